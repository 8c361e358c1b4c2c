#!/usr/bin/env python3
"""gcs_fixture.py: a strict local stand-in for Google Cloud Storage, for the
GCS backend's tests (tests/gcs_cli.sh). No GCS server can run on the test
machines, so this one checks what the real service checks, as Google
documents it, and refuses what the real service refuses:

- OAuth2 (POST /token, the JWT bearer flow of RFC 7523): the assertion's
  RS256 signature is verified with the public key of the test's service
  account, and its claims (iss, aud = this token URI, scope, iat, exp at most
  an hour later, not expired); refusals are 400 invalid_grant as Google's.
  With --refresh-token, the refresh_token grant of an authorized_user too.
  Tokens live --token-lifetime seconds; every JSON API request needs
  "Authorization: Bearer <a live token this server issued>" (else 401).
- JSON API (storage/v1): buckets insert/get; objects list (prefix,
  delimiter -> prefixes, maxResults capped at --page-size, pageToken), get
  (metadata, or alt=media with Range and ifGenerationMatch), delete,
  simple media upload, resumable sessions (chunks but the last a multiple
  of 256 KiB, none leaving a gap, an overlap with what the session holds
  ignored, 308 with Range, status queries with
  "bytes */*", cancel with DELETE -> 499), rewrite (at most --rewrite-chunk
  bytes a call, so copies loop on rewriteToken), compose (1 to 32
  sources, each at a generation or under ifGenerationMatch; a missing one
  404; the destination resource's type, disposition and metadata; no
  md5Hash, a componentCount); ifGenerationMatch
  everywhere; crc32c and md5Hash reported, and an X-Goog-Hash crc32c sent
  with an upload checked (400 when it differs). Errors in Google's JSON
  shape: {"error": {"code", "message", "errors": [{"reason", ...}]}}.
- XML API with HMAC keys (--hmac), requests signed in the Authorization
  header with AWS4-HMAC-SHA256 (service s3) or GOOG4-HMAC-SHA256 (service
  storage), checked as SigV4 prescribes: canonical request rebuilt from the
  request as received, x-amz-date / x-goog-date within 15 minutes, the
  body's SHA-256 against x-amz-content-sha256 unless UNSIGNED-PAYLOAD.
  Served: list (list-type=2: prefix, delimiter -> CommonPrefixes, max-keys
  capped at --page-size, continuation-token), HEAD/GET (Range, If-Match on
  the ETag), PUT (x-goog-if-generation-match; x-goog-meta-* and
  x-amz-meta-* stored, answered as x-goog-meta-*), copy (x-goog-copy-source
  or x-amz-copy-source), DELETE, bucket PUT (no LocationConstraint "auto"),
  multipart uploads (initiate, parts of at least 5 MiB but the last,
  complete, abort, list). What the XML API does not do is refused: POST
  ?delete (DeleteObjects), UploadPartCopy (x-amz-copy-source-range),
  If-None-Match on a write, any precondition on a multipart completion.
  Errors in S3's XML shape (Code, Message, Details).
- V4 signed URLs (XML API paths /BUCKET/OBJECT, the bucket in the Host
  name, or a --bound-host domain serving a bucket): GOOG4-RSA-SHA256 verified with the public key, GOOG4-HMAC-SHA256
  with --hmac ID:SECRET, the canonical request rebuilt from the request as
  received; expired or tampered URLs get 403 SignatureDoesNotMatch.

Faults and counters for the tests, under /_fixture/ (no auth):
  POST /_fixture/fault?name=break-chunk   the next chunk PUT keeps only part
                                          of its data (a multiple of 256 KiB)
                                          and answers 503
  POST /_fixture/fault?name=drop-chunk    the same, but the connection drops
                                          unanswered
  POST /_fixture/fault?name=cut-download  the next media download stops half
                                          way (the connection closes)
  POST /_fixture/fault?name=corrupt-download  the next media download (or
                                          whole XML API GET) has one byte
                                          flipped
  POST /_fixture/fault?name=fail-rewrite  the next rewrite call answers 503
  POST /_fixture/fault?name=replace-on-get  the next media download finds
                                          the object replaced (a new
                                          generation) just before it
  POST /_fixture/fault?name=reject-token  the next bearer token is refused
                                          (401) as if it had expired early
  POST /_fixture/fault?name=slow-chunks   every chunk PUT takes a second more
  POST /_fixture/fault?name=stuck-chunks  chunk PUTs are answered 308 without
                                          keeping anything, until cleared
  POST /_fixture/fault?name=garbage-token the token endpoint's next answer
                                          is an HTML page (200)
  POST /_fixture/fault?name=fail-token    its next answer is a 503
  POST /_fixture/clear                    no more faults
  POST /_fixture/revoke                   every token stops working now
  GET  /_fixture/object?bucket=B&name=N   size, md5 (hex), content type,
                                          disposition, metadata of an object
  GET  /_fixture/count?bucket=B&prefix=P how many objects start with P
  POST /_fixture/seed?bucket=B&prefix=P&count=N  creates N small objects
  GET  /_fixture/stats                    JSON counters (tokens issued,
                                          requests by kind, open sessions)

Usage: gcs_fixture.py --public-key PEM --client-email EMAIL
       [--hmac ID:SECRET] [--token-lifetime S] [--page-size N]
       [--rewrite-chunk BYTES] [--crc32c-lib PATH]
       [--refresh-token CLIENT_ID:CLIENT_SECRET:REFRESH_TOKEN]
       [--bound-host DOMAIN=BUCKET]
It binds 127.0.0.1 on a port the system picks, prints the port on a line of
its own, and serves until its standard input closes (so it never outlives
the test). Python 3 standard library and the cryptography package.
"""
import argparse
import base64
import ctypes
import hashlib
import hmac
import http.server
import json
import os
import re
import secrets
import socketserver
import sys
import threading
import time
import urllib.parse

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

QUANTUM = 256 * 1024
SCOPES = ("https://www.googleapis.com/auth/devstorage.full_control",
          "https://www.googleapis.com/auth/devstorage.read_write",
          "https://www.googleapis.com/auth/cloud-platform")
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"

args = None
public_key = None
lock = threading.RLock()
tokens = {}          # token -> expiry (time.time())
buckets = {}         # name -> {object name -> object dict}
sessions = {}        # upload id -> session dict
uploads = {}         # XML API multipart upload id -> upload dict
rewrites = {}        # rewrite token -> state
faults = set()
stats = {"tokens_issued": 0, "token_refusals": 0, "unauthorized": 0,
         "chunks": 0, "status_queries": 0, "simple_uploads": 0,
         "sessions_started": 0, "sessions_cancelled": 0, "rewrite_calls": 0,
         "media_gets": 0, "ranged_gets": 0, "signed_requests": 0,
         "signature_refusals": 0, "list_calls": 0, "overlaps": 0,
         "xml_requests": 0, "xml_signature_refusals": 0,
         "xml_multipart_started": 0, "xml_deletes": 0, "xml_copies": 0,
         "compose_calls": 0}
generation_counter = [int(time.time() * 1000000)]


# ------------------------------------------------------------ checksums

def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


CRC_TABLE = _crc32c_table()
crc_lib = None


def crc32c(data):
    """CRC-32C (Castagnoli): through the test's compiled helper when given
    (pure Python takes seconds per 64 MiB), else in Python."""
    if crc_lib is not None:
        return crc_lib.fixture_crc32c(0, data, len(data)) & 0xFFFFFFFF
    crc = 0xFFFFFFFF
    table = CRC_TABLE
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def crc_b64(value):
    return base64.b64encode(value.to_bytes(4, "big")).decode()


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + \
        ".%03dZ" % int((t % 1) * 1000)


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def next_generation():
    with lock:
        generation_counter[0] += 1
        return generation_counter[0]


def count(name, n=1):
    with lock:
        stats[name] += n


# ---------------------------------------------------------------- objects

def make_object(bucket, name, data, meta, generation=None):
    now = time.time()
    return {
        "bucket": bucket, "name": name, "data": data,
        "generation": generation or next_generation(),
        "contentType": meta.get("contentType") or "application/octet-stream",
        "contentDisposition": meta.get("contentDisposition"),
        "metadata": meta.get("metadata"),
        "crc32c": crc_b64(crc32c(data)),
        "md5Hash": base64.b64encode(hashlib.md5(data).digest()).decode(),
        "created": now, "updated": now,
    }


def resource(obj):
    r = {
        "kind": "storage#object",
        "id": "%s/%s/%d" % (obj["bucket"], obj["name"], obj["generation"]),
        "name": obj["name"], "bucket": obj["bucket"],
        "generation": str(obj["generation"]), "metageneration": "1",
        "contentType": obj["contentType"], "size": str(len(obj["data"])),
        "crc32c": obj["crc32c"],
        "etag": base64.b64encode(str(obj["generation"]).encode()).decode(),
        "timeCreated": rfc3339(obj["created"]),
        "updated": rfc3339(obj["updated"]), "storageClass": "STANDARD",
    }
    if obj["md5Hash"]:
        r["md5Hash"] = obj["md5Hash"]
    if obj.get("componentCount"):
        r["componentCount"] = obj["componentCount"]
    if obj["contentDisposition"] is not None:
        r["contentDisposition"] = obj["contentDisposition"]
    if obj["metadata"]:
        r["metadata"] = obj["metadata"]
    return r


def xml_escape(text):
    return (text.replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;").replace('"', "&quot;"))


def md5_hex(obj):
    """The XML API's ETag of an object: its MD5 in hex, or for a multipart
    object (no MD5) a digest of its generation."""
    if obj.get("etag"):
        return obj["etag"]
    return base64.b64decode(obj["md5Hash"]).hex()


class XmlRefusal(Exception):
    """An XML API error: status, S3-style code, message, details."""

    def __init__(self, status, code, message, details=""):
        super().__init__(message)
        self.status, self.code = status, code
        self.message, self.details = message, details


class Refusal(Exception):
    """An answer other than success: status, reason, message."""

    def __init__(self, status, reason, message):
        super().__init__(message)
        self.status, self.reason, self.message = status, reason, message


def check_generation(current, query, name="ifGenerationMatch"):
    """Applies ifGenerationMatch (0: the object must not exist)."""
    want = query.get(name)
    if want is None:
        return
    if not want.isdigit():
        raise Refusal(400, "invalid", "Invalid value for %s: %s" % (name, want))
    have = current["generation"] if current else 0
    if int(want) != have:
        raise Refusal(412, "conditionNotMet",
                      "At least one of the pre-conditions you specified did "
                      "not hold.")


# --------------------------------------------------------------- handler

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "gcs-fixture"

    def log_message(self, fmt, *a):
        if os.environ.get("GCS_FIXTURE_VERBOSE"):
            sys.stderr.write("fixture: " + fmt % a + "\n")

    # ------------------------------------------------------- plumbing

    def body(self):
        if "Transfer-Encoding" in self.headers:
            raise Refusal(411, "required", "Length Required")
        n = int(self.headers.get("Content-Length") or 0)
        data = b""
        while len(data) < n:
            piece = self.rfile.read(n - len(data))
            if not piece:
                break
            data += piece
        return data

    def reply(self, status, body=b"", ctype="application/json; charset=UTF-8",
              headers=()):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("X-GUploader-UploadID", "fixture-" + secrets.token_hex(6))
        if body or status not in (204, 304):
            self.send_header("Content-Type", ctype)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def refuse(self, refusal):
        self.reply(refusal.status, {"error": {
            "code": refusal.status, "message": refusal.message,
            "errors": [{"message": refusal.message, "domain": "global",
                        "reason": refusal.reason}]}})

    def drop(self):
        """Closes the connection without an answer (a broken request)."""
        self.close_connection = True
        try:
            self.connection.shutdown(2)
        except OSError:
            pass

    def split(self):
        parsed = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(parsed.query,
                                            keep_blank_values=True))
        return parsed.path, query, parsed.query

    def authorize(self):
        header = self.headers.get("Authorization", "")
        token = header[7:] if header.startswith("Bearer ") else None
        with lock:
            expiry = tokens.get(token)
        if self.take_fault("reject-token"):
            expiry = None
        if expiry is None or expiry < time.time():
            count("unauthorized")
            raise Refusal(401, "authError", "Invalid Credentials")

    def dispatch(self):
        path, query, raw_query = self.split()
        try:
            if path.startswith("/_fixture/"):
                return self.fixture(path, query)
            if path == "/token":
                return self.token()
            if "X-Goog-Signature" in query:
                return self.signed(path, raw_query)
            if self.headers.get("Authorization", "").split(" ")[0] in (
                    "AWS4-HMAC-SHA256", "GOOG4-HMAC-SHA256"):
                return self.xml_api(path, query, raw_query)
            if path.startswith("/upload/storage/v1/b/"):
                if "upload_id" in query:
                    return self.session(query)
                self.authorize()
                return self.upload(path[len("/upload/storage/v1/b/"):], query)
            if path.startswith("/storage/v1/b"):
                self.authorize()
                return self.json_api(path[len("/storage/v1/b"):], query)
            raise Refusal(404, "notFound", "Not Found")
        except Refusal as refusal:
            # A refused request's body may be unread: do not reuse the
            # connection.
            self.close_connection = True
            self.refuse(refusal)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = dispatch

    # ------------------------------------------------------- fixture API

    def fixture(self, path, query):
        if path == "/_fixture/stats":
            with lock:
                snapshot = dict(stats, sessions_open=sum(
                    1 for s in sessions.values() if s["state"] == "open"),
                    multipart_uploads_open=len(uploads))
            return self.reply(200, snapshot)
        if path == "/_fixture/fault":
            with lock:
                faults.add(query.get("name", ""))
            return self.reply(200, {})
        if path == "/_fixture/clear":
            with lock:
                faults.clear()
            return self.reply(200, {})
        if path == "/_fixture/object":
            with lock:
                obj = buckets.get(query.get("bucket"), {}).get(
                    query.get("name"))
            if obj is None:
                raise Refusal(404, "notFound", "no such object")
            return self.reply(200, {
                "size": len(obj["data"]),
                "md5": hashlib.md5(obj["data"]).hexdigest(),
                "generation": obj["generation"],
                "contentType": obj["contentType"],
                "contentDisposition": obj["contentDisposition"],
                "metadata": obj["metadata"]})
        if path == "/_fixture/count":
            prefix = query.get("prefix", "")
            with lock:
                names = list(buckets.get(query.get("bucket"), {}))
            return self.reply(200, {"count": sum(
                1 for name in names if name.startswith(prefix))})
        if path == "/_fixture/seed":
            bucket, prefix = query.get("bucket"), query.get("prefix", "")
            with lock:
                objects = buckets.get(bucket)
            if objects is None:
                raise Refusal(404, "notFound", "no such bucket")
            for i in range(int(query.get("count", "1"))):
                name = "%s%04d" % (prefix, i)
                obj = make_object(bucket, name, name.encode(), {})
                with lock:
                    objects[name] = obj
            return self.reply(200, {})
        if path == "/_fixture/revoke":
            with lock:
                tokens.clear()
            return self.reply(200, {})
        raise Refusal(404, "notFound", "no such fixture call")

    def take_fault(self, name):
        with lock:
            if name in faults:
                faults.discard(name)
                return True
        return False

    # ------------------------------------------------------------ OAuth2

    def token(self):
        def refused(why):
            count("token_refusals")
            self.close_connection = True
            self.reply(400, {"error": "invalid_grant",
                             "error_description": why})
        if self.command != "POST":
            return refused("POST required")
        if self.take_fault("garbage-token"):
            self.body()
            return self.reply(200, b"<html>Sign in</html>", ctype="text/html")
        if self.take_fault("fail-token"):
            self.body()
            raise Refusal(503, "backendError", "Backend Error")
        if not self.headers.get("Content-Type", "").startswith(
                "application/x-www-form-urlencoded"):
            return refused("form body required")
        form = dict(urllib.parse.parse_qsl(self.body().decode("latin-1")))
        if form.get("grant_type") == "refresh_token" and args.refresh_token:
            # An authorized_user (gcloud auth application-default login).
            client_id, secret, refresh = args.refresh_token.split(":", 2)
            if (form.get("client_id"), form.get("client_secret"),
                    form.get("refresh_token")) != (client_id, secret, refresh):
                return refused("Bad client credentials or refresh token")
            return self.issue_token()
        if form.get("grant_type") != JWT_BEARER:
            return refused("unsupported grant_type")
        parts = form.get("assertion", "").split(".")
        if len(parts) != 3:
            return refused("Invalid JWT: not three parts")
        try:
            header = json.loads(b64url_decode(parts[0]))
            claims = json.loads(b64url_decode(parts[1]))
            signature = b64url_decode(parts[2])
        except ValueError:
            return refused("Invalid JWT: not base64url JSON")
        if header.get("alg") != "RS256" or header.get("typ", "JWT") != "JWT":
            return refused("Invalid JWT: alg must be RS256")
        try:
            public_key.verify(signature, (parts[0] + "." + parts[1]).encode(),
                              padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            return refused("Invalid JWT Signature.")
        now = time.time()
        audience = "http://%s/token" % self.headers.get("Host", "")
        iat, exp = claims.get("iat"), claims.get("exp")
        if claims.get("iss") != args.client_email:
            return refused("Invalid JWT: iss is not the service account")
        if claims.get("aud") != audience:
            return refused("Invalid JWT: aud must be %s" % audience)
        if not any(s in (claims.get("scope") or "").split() for s in SCOPES):
            return refused("Invalid JWT: no storage scope")
        if not isinstance(iat, int) or not isinstance(exp, int):
            return refused("Invalid JWT: iat and exp must be integers")
        if iat > now + 60 or exp <= now or exp - iat > 3600 or exp <= iat:
            return refused("Invalid JWT: Token must be a short-lived token "
                           "(60 minutes) and in a reasonable timeframe.")
        self.issue_token()

    def issue_token(self):
        now = time.time()
        token = "ya29.fixture-" + secrets.token_urlsafe(24)
        with lock:
            tokens[token] = now + args.token_lifetime
            stats["tokens_issued"] += 1
        self.reply(200, {"access_token": token,
                         "expires_in": args.token_lifetime,
                         "token_type": "Bearer"})

    # ---------------------------------------------------------- JSON API

    def json_api(self, rest, query):
        # rest: "" | "/BUCKET" | "/BUCKET/o" | "/BUCKET/o/NAME" |
        # "/B/o/SRC/rewriteTo/b/B2/o/DST"
        if rest == "" and self.command == "POST":
            return self.bucket_insert(query)
        parts = rest.split("/")
        if len(parts) < 2 or not parts[1]:
            raise Refusal(404, "notFound", "Not Found")
        bucket = urllib.parse.unquote(parts[1])
        if len(parts) == 2 and self.command == "GET":
            with lock:
                exists = bucket in buckets
            if not exists:
                raise Refusal(404, "notFound",
                              "The specified bucket does not exist.")
            return self.reply(200, {"kind": "storage#bucket", "name": bucket,
                                    "id": bucket})
        with lock:
            objects = buckets.get(bucket)
        if objects is None:
            raise Refusal(404, "notFound",
                          "The specified bucket does not exist.")
        if len(parts) == 3 and parts[2] == "o" and self.command == "GET":
            return self.list(bucket, objects, query)
        if len(parts) == 4 and parts[2] == "o":
            name = urllib.parse.unquote(parts[3])
            if self.command == "GET":
                return self.get(bucket, objects, name, query)
            if self.command == "DELETE":
                return self.delete(objects, name, query)
        if len(parts) == 5 and parts[2] == "o" and parts[4] == "compose" \
                and self.command == "POST":
            return self.compose(bucket, urllib.parse.unquote(parts[3]), query)
        if len(parts) == 9 and parts[2] == "o" and parts[4] == "rewriteTo" \
                and parts[5] == "b" and parts[7] == "o" and \
                self.command == "POST":
            return self.rewrite(bucket, urllib.parse.unquote(parts[3]),
                                urllib.parse.unquote(parts[6]),
                                urllib.parse.unquote(parts[8]), query)
        raise Refusal(404, "notFound", "Not Found")

    def bucket_insert(self, query):
        if not query.get("project"):
            raise Refusal(400, "required", "Required parameter: project")
        try:
            name = json.loads(self.body() or b"{}").get("name")
        except ValueError:
            raise Refusal(400, "parseError", "Parse Error")
        if not name:
            raise Refusal(400, "required", "Required: name")
        with lock:
            if name in buckets:
                raise Refusal(409, "conflict", "Your previous request to "
                              "create the named bucket succeeded and you "
                              "already own it.")
            buckets[name] = {}
        self.reply(200, {"kind": "storage#bucket", "name": name, "id": name})

    def list(self, bucket, objects, query):
        count("list_calls")
        prefix = query.get("prefix", "")
        delimiter = query.get("delimiter")
        try:
            limit = min(int(query.get("maxResults", "1000")), 1000,
                        args.page_size)
        except ValueError:
            raise Refusal(400, "invalid", "Invalid maxResults")
        if limit < 1:
            raise Refusal(400, "invalid", "Invalid maxResults")
        after, skip = "", None
        if "pageToken" in query:
            try:
                state = json.loads(base64.b64decode(query["pageToken"]))
                after, skip = state["after"], state.get("skip")
            except (ValueError, KeyError, TypeError):
                raise Refusal(400, "invalid", "Invalid pageToken")
        with lock:
            names = sorted(n for n in objects if n.startswith(prefix))
            snapshot = {n: resource(objects[n]) for n in names}
        items, prefixes, taken = [], [], 0
        last, last_skip, more = None, None, False
        for name in names:
            if name <= after or (skip and name.startswith(skip)):
                continue
            if prefixes and name.startswith(prefixes[-1]):
                continue
            if taken == limit:
                more = True
                break
            rest = name[len(prefix):]
            if delimiter and delimiter in rest:
                folder = prefix + rest[:rest.index(delimiter) + len(delimiter)]
                prefixes.append(folder)
                last, last_skip = name, folder
            else:
                items.append(snapshot[name])
                last, last_skip = name, None
            taken += 1
        answer = {"kind": "storage#objects"}
        if items:
            answer["items"] = items
        if prefixes:
            answer["prefixes"] = prefixes
        if more:
            answer["nextPageToken"] = base64.b64encode(json.dumps(
                {"after": last, "skip": last_skip}).encode()).decode()
        self.reply(200, answer)

    def get(self, bucket, objects, name, query):
        if query.get("alt") == "media" and self.take_fault("replace-on-get"):
            # Another writer replaces the object between the metadata and
            # the media request.
            with lock:
                old = objects.get(name)
                if old is not None:
                    objects[name] = make_object(bucket, name, old["data"] + b"!",
                                                old)
        with lock:
            obj = objects.get(name)
        if obj is None:
            raise Refusal(404, "notFound", "No such object: %s/%s" %
                          (bucket, name))
        check_generation(obj, query)
        if query.get("alt") != "media":
            return self.reply(200, resource(obj))
        count("media_gets")
        data = obj["data"]
        status, headers = 200, []
        first, last = 0, len(data) - 1
        rng = self.headers.get("Range")
        if rng is not None:
            count("ranged_gets")
            if not rng.startswith("bytes=") or "," in rng:
                raise Refusal(400, "invalid", "Invalid Range")
            a, _, b = rng[6:].partition("-")
            try:
                if a == "":
                    first = max(len(data) - int(b), 0)
                else:
                    first = int(a)
                    if b != "":
                        last = min(int(b), len(data) - 1)
            except ValueError:
                raise Refusal(400, "invalid", "Invalid Range")
            if first >= len(data) or first > last:
                self.close_connection = True
                return self.reply(416, {"error": {
                    "code": 416, "message": "Request range not satisfiable",
                    "errors": [{"reason": "requestedRangeNotSatisfiable",
                                "domain": "global",
                                "message": "Request range not satisfiable"}]}},
                    headers=[("Content-Range", "bytes */%d" % len(data))])
            status = 206
            headers.append(("Content-Range", "bytes %d-%d/%d" %
                            (first, last, len(data))))
        body = data[first:last + 1]
        if self.take_fault("corrupt-download") and body:
            body = bytes([body[0] ^ 0x40]) + body[1:]
        headers += [("x-goog-generation", str(obj["generation"])),
                    ("x-goog-metageneration", "1"),
                    ("x-goog-stored-content-length", str(len(data))),
                    ("x-goog-hash", "crc32c=%s" % obj["crc32c"] +
                     (",md5=%s" % obj["md5Hash"] if obj["md5Hash"] else "")),
                    ("ETag", '"%s"' % (obj["md5Hash"] or md5_hex(obj)))]
        if self.take_fault("cut-download") and len(body) > 1:
            self.send_response(status)
            for n, v in headers:
                self.send_header(n, v)
            self.send_header("Content-Type", obj["contentType"])
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[:len(body) // 2])
            self.wfile.flush()
            return self.drop()
        self.reply(status, body, ctype=obj["contentType"], headers=headers)

    def delete(self, objects, name, query):
        with lock:
            obj = objects.get(name)
            if obj is None or (
                    "generation" in query and
                    query["generation"] != str(obj["generation"])):
                raise Refusal(404, "notFound", "No such object: %s" % name)
            check_generation(obj, query)
            del objects[name]
        self.reply(204)

    # ------------------------------------------------------------ uploads

    def check_hash(self, data):
        """An X-Goog-Hash crc32c must match the data, as GCS checks it."""
        for part in self.headers.get("X-Goog-Hash", "").split(","):
            kind, _, value = part.strip().partition("=")
            if kind == "crc32c" and value != crc_b64(crc32c(data)):
                raise Refusal(400, "invalid",
                              "Provided CRC32C \"%s\" doesn't match "
                              "calculated CRC32C \"%s\"." %
                              (value, crc_b64(crc32c(data))))

    def store(self, bucket, name, data, meta, query):
        with lock:
            objects = buckets.get(bucket)
            if objects is None:
                raise Refusal(404, "notFound",
                              "The specified bucket does not exist.")
            check_generation(objects.get(name), query)
            obj = make_object(bucket, name, data, meta)
            objects[name] = obj
        return obj

    def upload(self, rest, query):
        parts = rest.split("/")
        if len(parts) != 2 or parts[1] != "o" or self.command != "POST":
            raise Refusal(404, "notFound", "Not Found")
        bucket = urllib.parse.unquote(parts[0])
        kind = query.get("uploadType")
        if kind == "media":
            name = query.get("name")
            if not name:
                raise Refusal(400, "required", "Required: name")
            data = self.body()
            count("simple_uploads")
            self.check_hash(data)
            meta = {"contentType": self.headers.get("Content-Type")}
            obj = self.store(bucket, name, data, meta, query)
            return self.reply(200, resource(obj))
        if kind == "resumable":
            try:
                meta = json.loads(self.body() or b"{}")
            except ValueError:
                raise Refusal(400, "parseError", "Parse Error")
            name = meta.get("name") or query.get("name")
            if not name:
                raise Refusal(400, "required", "Required: name")
            if self.headers.get("X-Upload-Content-Type"):
                meta.setdefault("contentType",
                                self.headers["X-Upload-Content-Type"])
            with lock:
                if bucket not in buckets:
                    raise Refusal(404, "notFound",
                                  "The specified bucket does not exist.")
                check_generation(buckets[bucket].get(name), query)
                upload_id = secrets.token_urlsafe(16)
                sessions[upload_id] = {
                    "bucket": bucket, "name": name, "meta": meta,
                    "query": {k: v for k, v in query.items()
                              if k == "ifGenerationMatch"},
                    "data": bytearray(), "state": "open", "object": None}
                stats["sessions_started"] += 1
            location = ("http://%s/upload/storage/v1/b/%s/o?uploadType="
                        "resumable&upload_id=%s" %
                        (self.headers["Host"], urllib.parse.quote(bucket),
                         upload_id))
            return self.reply(200, b"", headers=[("Location", location)])
        raise Refusal(400, "invalid", "uploadType %s is not served by the "
                      "fixture" % kind)

    def session(self, query):
        # The session URI is the credential; a token, when sent, must be
        # valid all the same.
        if "Authorization" in self.headers:
            self.authorize()
        with lock:
            s = sessions.get(query["upload_id"])
        if s is None:
            raise Refusal(404, "notFound", "No such upload session")
        if self.command == "DELETE":
            with lock:
                s["state"] = "cancelled"
                stats["sessions_cancelled"] += 1
            return self.reply(499, b"")
        if self.command != "PUT":
            raise Refusal(405, "invalid", "Method not allowed")
        if s["state"] == "cancelled":
            raise Refusal(410, "gone", "The upload session was cancelled")
        data = self.body()
        spec = self.headers.get("Content-Range", "")
        if not spec.startswith("bytes "):
            raise Refusal(400, "invalid", "Content-Range required")
        span, _, total = spec[6:].partition("/")
        try:
            total = None if total == "*" else int(total)
        except ValueError:
            raise Refusal(400, "invalid", "Invalid Content-Range")
        if s["state"] == "done":
            return self.reply(200, resource(s["object"]))
        persisted = len(s["data"])
        if span == "*":
            if data:
                raise Refusal(400, "invalid", "A status query has no body")
            count("status_queries")
            if total is not None and total == persisted:
                return self.finish(s)
            if total is not None and total < persisted:
                raise Refusal(400, "invalid", "Total smaller than persisted")
            return self.incomplete(persisted)
        try:
            first, last = (int(x) for x in span.split("-"))
        except ValueError:
            raise Refusal(400, "invalid", "Invalid Content-Range")
        count("chunks")
        if last - first + 1 != len(data):
            raise Refusal(400, "invalid", "Content-Range does not match the "
                          "body's length")
        # A chunk sent again from an earlier offset (a client, or libcurl,
        # resending after a broken connection) has its overlap ignored; a
        # gap is an error.
        if first > persisted:
            raise Refusal(400, "invalid", "Chunk starts at %d; the session "
                          "holds %d bytes" % (first, persisted))
        if first < persisted:
            count("overlaps")
            data, first = data[persisted - first:], persisted
        final = total is not None
        if final and last != total - 1:
            raise Refusal(400, "invalid", "The last chunk must end at the "
                          "total size")
        if not final and len(data) % QUANTUM != 0:
            raise Refusal(400, "invalid", "Invalid request. The number of "
                          "bytes uploaded is required to be a multiple of "
                          "262144 bytes, except for the final request")
        with lock:
            slow = "slow-chunks" in faults
            stuck = "stuck-chunks" in faults
        if stuck:
            return self.incomplete(persisted)
        if slow:
            time.sleep(1)
        for fault in ("break-chunk", "drop-chunk"):
            if self.take_fault(fault):
                keep = (len(data) // 2) // QUANTUM * QUANTUM
                with lock:
                    s["data"] += data[:keep]
                if fault == "drop-chunk":
                    return self.drop()
                raise Refusal(503, "backendError", "Backend Error")
        with lock:
            s["data"] += data
        if final:
            return self.finish(s)
        return self.incomplete(len(s["data"]))

    def incomplete(self, persisted):
        headers = [("Range", "bytes=0-%d" % (persisted - 1))] if persisted \
            else []
        self.reply(308, b"", headers=headers)

    def finish(self, s):
        data = bytes(s["data"])
        self.check_hash(data)
        obj = self.store(s["bucket"], s["name"], data, s["meta"], s["query"])
        with lock:
            s["state"], s["object"] = "done", obj
        self.reply(200, resource(obj))

    # ------------------------------------------------------------ rewrite

    def rewrite(self, bucket, src, dst_bucket, dst, query):
        count("rewrite_calls")
        try:
            meta = json.loads(self.body() or b"{}")
        except ValueError:
            raise Refusal(400, "parseError", "Parse Error")
        if self.take_fault("fail-rewrite"):
            raise Refusal(503, "backendError", "Backend Error")
        token = query.get("rewriteToken")
        with lock:
            source = buckets.get(bucket, {}).get(src)
            if dst_bucket not in buckets:
                raise Refusal(404, "notFound",
                              "The specified bucket does not exist.")
            if token is None:
                if source is None:
                    raise Refusal(404, "notFound", "No such object: %s/%s"
                                  % (bucket, src))
                check_generation(buckets[dst_bucket].get(dst), query)
                state = {"src": (bucket, src), "dst": (dst_bucket, dst),
                         "generation": source["generation"], "done": 0}
                token = secrets.token_urlsafe(24)
                rewrites[token] = state
            else:
                state = rewrites.get(token)
                if state is None or state["src"] != (bucket, src) or \
                        state["dst"] != (dst_bucket, dst):
                    raise Refusal(400, "invalid", "Invalid rewriteToken")
                if source is None or \
                        source["generation"] != state["generation"]:
                    raise Refusal(412, "conditionNotMet", "The source "
                                  "object changed during the rewrite")
            size = len(source["data"])
            state["done"] = min(size, state["done"] + args.rewrite_chunk)
            finished = state["done"] == size
            if finished:
                del rewrites[token]
        answer = {"kind": "storage#rewriteResponse",
                  "totalBytesRewritten": str(state["done"]),
                  "objectSize": str(size), "done": finished}
        if not finished:
            answer["rewriteToken"] = token
            return self.reply(200, answer)
        copied = {"contentType": source["contentType"],
                  "contentDisposition": source["contentDisposition"],
                  "metadata": source["metadata"]}
        if meta:
            copied = {"contentType": meta.get("contentType"),
                      "contentDisposition": meta.get("contentDisposition"),
                      "metadata": meta.get("metadata")}
        obj = self.store(dst_bucket, dst, source["data"], copied, query)
        answer["resource"] = resource(obj)
        self.reply(200, answer)

    # ------------------------------------------------------------ compose

    def compose(self, bucket, dst, query):
        """objects.compose as GCS documents it: 1 to 32 sourceObjects of
        the bucket, each {name, generation?, objectPreconditions?:
        {ifGenerationMatch}} (a generation and an ifGenerationMatch that
        differ are refused; a source that is not there, or not at that
        generation, is 404; a failed precondition 412); the destination's
        resource gives the new object's contentType, contentDisposition and
        metadata; ifGenerationMatch applies to the destination. The object
        made has no md5Hash, a crc32c, and a componentCount: the sum of its
        sources' (1 for an object that is not composite)."""
        count("compose_calls")
        try:
            request = json.loads(self.body() or b"{}")
        except ValueError:
            raise Refusal(400, "parseError", "Parse Error")
        if not isinstance(request, dict):
            raise Refusal(400, "parseError", "Parse Error")
        sources = request.get("sourceObjects")
        if not sources:
            raise Refusal(400, "required", "Required: sourceObjects")
        if not isinstance(sources, list):
            raise Refusal(400, "invalid", "Invalid value for sourceObjects")
        if len(sources) > 32:
            raise Refusal(400, "invalid", "The number of source components "
                          "provided (%d) exceeds the maximum (32)" %
                          len(sources))
        destination = request.get("destination") or {}
        if not isinstance(destination, dict):
            raise Refusal(400, "invalid", "Invalid value for destination")
        if destination.get("name") not in (None, dst):
            raise Refusal(400, "invalid", "The destination's name differs "
                          "from the object named in the path")

        def number(value, what):
            if value is None:
                return None
            text = str(value)
            if isinstance(value, bool) or not text.isdigit():
                raise Refusal(400, "invalid", "Invalid value for %s: %s" %
                              (what, text))
            return int(text)

        with lock:
            objects = buckets[bucket]
            data, components = [], 0
            for source in sources:
                if not isinstance(source, dict) or not source.get("name"):
                    raise Refusal(400, "required",
                                  "Required: sourceObjects.name")
                name = source["name"]
                generation = number(source.get("generation"),
                                    "sourceObjects.generation")
                conditions = source.get("objectPreconditions") or {}
                match = number(conditions.get("ifGenerationMatch"),
                               "sourceObjects.objectPreconditions."
                               "ifGenerationMatch")
                if generation is not None and match is not None and \
                        generation != match:
                    raise Refusal(400, "invalid", "Source object %s: the "
                                  "generation and ifGenerationMatch differ"
                                  % name)
                obj = objects.get(name)
                if obj is None or (generation is not None and
                                   obj["generation"] != generation):
                    raise Refusal(404, "notFound", "Object %s (generation: "
                                  "%s) not found." % (name, generation or ""))
                if match is not None and obj["generation"] != match:
                    raise Refusal(412, "conditionNotMet",
                                  "At least one of the pre-conditions you "
                                  "specified did not hold.")
                data.append(obj["data"])
                components += obj.get("componentCount") or 1
            check_generation(objects.get(dst), query)
            meta = {"contentType": destination.get("contentType"),
                    "contentDisposition":
                        destination.get("contentDisposition"),
                    "metadata": destination.get("metadata")}
            obj = make_object(bucket, dst, b"".join(data), meta)
            # A composite has no MD5; the XML API's ETag is not one either.
            obj["md5Hash"] = None
            obj["componentCount"] = components
            obj["etag"] = hashlib.md5(
                str(obj["generation"]).encode()).hexdigest()
            objects[dst] = obj
        self.reply(200, resource(obj))

    # ----------------------------------------------- XML API, HMAC keys

    def xml_reply(self, status, root, children, headers=()):
        """An XML document <root> with children (name, text or list)."""
        def render(items):
            out = []
            for name, value in items:
                if isinstance(value, list):
                    out.append("<%s>%s</%s>" % (name, render(value), name))
                else:
                    out.append("<%s>%s</%s>" % (name, xml_escape(str(value)),
                                                name))
            return "".join(out)
        body = ("<?xml version='1.0' encoding='UTF-8'?><%s>%s</%s>" %
                (root, render(children), root)).encode()
        self.reply(status, body, ctype="application/xml; charset=UTF-8",
                   headers=headers)

    def xml_refuse(self, status, code, message, details=""):
        self.close_connection = True
        self.xml_reply(status, "Error", [("Code", code), ("Message", message),
                                         ("Details", details)])

    def xml_api(self, path, query, raw_query):
        count("xml_requests")
        try:
            data = self.body()
            self.verify_header_signature(path, raw_query, data)
            return self.xml_dispatch(path, query, data)
        except XmlRefusal as refusal:
            if refusal.code == "SignatureDoesNotMatch":
                count("xml_signature_refusals")
            return self.xml_refuse(refusal.status, refusal.code,
                                   refusal.message, refusal.details)

    def verify_header_signature(self, path, raw_query, data):
        def refuse(code, why, status=403):
            raise XmlRefusal(status, code, why)
        if not args.hmac:
            refuse("InvalidSecurity", "HMAC keys are not enabled here")
        header = self.headers.get("Authorization", "")
        algorithm, _, rest = header.partition(" ")
        fields = {}
        for part in rest.split(","):
            name, _, value = part.strip().partition("=")
            fields[name] = value
        try:
            who, date, region, service, terminator = \
                fields["Credential"].split("/")
            signed = fields["SignedHeaders"].split(";")
            signature = bytes.fromhex(fields["Signature"])
        except (KeyError, ValueError):
            refuse("MalformedSecurityHeader", "malformed Authorization")
        goog = algorithm == "GOOG4-HMAC-SHA256"
        prefix = "x-goog-" if goog else "x-amz-"
        if (service, terminator) != (("storage", "goog4_request") if goog
                                     else ("s3", "aws4_request")):
            refuse("SignatureDoesNotMatch", "bad credential scope")
        access_id, _, secret = args.hmac.partition(":")
        if who != access_id:
            refuse("InvalidAccessKeyId", "The provided security credentials "
                   "are not valid.")
        stamp = self.headers.get(prefix + "date", "")
        try:
            when = time.mktime(time.strptime(stamp, "%Y%m%dT%H%M%SZ")) - \
                time.timezone
        except ValueError:
            refuse("AccessDenied", "missing or malformed %sdate" % prefix)
        if stamp[:8] != date:
            refuse("SignatureDoesNotMatch", "the scope's date is not the "
                   "request's")
        if abs(time.time() - when) > 900:
            refuse("RequestTimeTooSkewed", "The difference between the "
                   "request time and the server's time is too large.")
        for required in ("host", prefix + "date"):
            if required not in signed:
                refuse("SignatureDoesNotMatch", "%s must be signed" % required)
        payload = self.headers.get(prefix + "content-sha256")
        if payload is None:
            refuse("InvalidRequest", "missing %scontent-sha256" % prefix, 400)
        if payload != "UNSIGNED-PAYLOAD" and \
                payload != hashlib.sha256(data).hexdigest():
            refuse("XAmzContentSHA256Mismatch", "The provided "
                   "content-sha256 does not match what was computed.", 400)
        encode = lambda v: urllib.parse.quote(v, safe="-_.~")
        pairs = [p.split("=", 1) if "=" in p else [p, ""]
                 for p in raw_query.split("&") if p]
        canonical_query = "&".join("%s=%s" % nv for nv in sorted(
            (encode(urllib.parse.unquote(n)), encode(urllib.parse.unquote(v)))
            for n, v in pairs))
        lines = []
        for h in signed:
            value = self.headers.get(h)
            if value is None:
                refuse("SignatureDoesNotMatch", "signed header %s was not "
                       "sent" % h)
            lines.append("%s:%s\n" % (h, " ".join(value.split())))
        canonical = "\n".join([self.command, path, canonical_query,
                               "".join(lines), ";".join(signed), payload])
        scope = "/".join([date, region, service, terminator])
        to_sign = "\n".join([algorithm, stamp, scope,
                             hashlib.sha256(canonical.encode()).hexdigest()])
        k = (("GOOG4" if goog else "AWS4") + secret).encode()
        for part in (date, region, service, terminator):
            k = hmac.new(k, part.encode(), hashlib.sha256).digest()
        want = hmac.new(k, to_sign.encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(want, signature):
            refuse("SignatureDoesNotMatch", "The request signature we "
                   "calculated does not match the signature you provided. "
                   "Check your Google secret key and signing method.")

    def xml_target(self, path):
        """(bucket, object name or None) of a path-style or virtual-hosted
        request."""
        host = self.headers.get("Host", "").rsplit(":", 1)[0]
        with lock:
            hosted = [b for b in buckets if host.startswith(b + ".")]
        raw = path[1:]
        if hosted:
            return hosted[0], urllib.parse.unquote(raw) or None
        bucket, slash, name = raw.partition("/")
        return urllib.parse.unquote(bucket), \
            (urllib.parse.unquote(name) if slash and name else None)

    def xml_header(self, name):
        """A request header given with either prefix (x-goog-..., x-amz-...),
        as GCS's XML API takes both from S3 tools."""
        value = self.headers.get("x-goog-" + name)
        return value if value is not None else \
            self.headers.get("x-amz-" + name)

    def xml_meta(self):
        meta = {}
        for h, v in self.headers.items():
            low = h.lower()
            for p in ("x-goog-meta-", "x-amz-meta-"):
                if low.startswith(p):
                    meta[low[len(p):]] = v
        return meta or None

    def xml_dispatch(self, path, query, data):
        bucket, name = self.xml_target(path)
        method = self.command
        if name is None:
            if method == "PUT" and not query:
                return self.xml_bucket_create(bucket, data)
            with lock:
                objects = buckets.get(bucket)
            if objects is None:
                raise XmlRefusal(404, "NoSuchBucket", "The specified bucket "
                                 "does not exist.")
            if method == "POST" and "delete" in query:
                raise XmlRefusal(501, "NotImplemented", "A header or query "
                                 "you provided requested a function that is "
                                 "not implemented.", "POST ?delete")
            if method == "GET" and "uploads" in query:
                return self.xml_list_uploads(bucket, query)
            if method == "GET":
                return self.xml_list(bucket, objects, query)
            raise XmlRefusal(405, "MethodNotAllowed", "not allowed")
        with lock:
            objects = buckets.get(bucket)
        if objects is None:
            raise XmlRefusal(404, "NoSuchBucket", "The specified bucket does "
                             "not exist.")
        if "uploadId" in query or "uploads" in query:
            return self.xml_multipart(bucket, objects, name, query, data)
        if method in ("GET", "HEAD"):
            return self.xml_get(objects, name)
        if method == "PUT":
            return self.xml_put(bucket, objects, name, data)
        if method == "DELETE":
            count("xml_deletes")
            with lock:
                if objects.pop(name, None) is None:
                    raise XmlRefusal(404, "NoSuchKey", "The specified key "
                                     "does not exist.", "No such object: "
                                     "%s/%s" % (bucket, name))
            return self.reply(204)
        raise XmlRefusal(405, "MethodNotAllowed", "not allowed")

    def xml_bucket_create(self, bucket, data):
        if data and b"<LocationConstraint>auto<" in data:
            raise XmlRefusal(400, "InvalidArgument", "Invalid argument.",
                             "Invalid location: auto")
        with lock:
            if bucket in buckets:
                raise XmlRefusal(409, "BucketAlreadyOwnedByYou", "Your "
                                 "previous request to create the named "
                                 "bucket succeeded and you already own it.")
            buckets[bucket] = {}
        self.reply(200, b"")

    def xml_list(self, bucket, objects, query):
        count("list_calls")
        if query.get("list-type") != "2":
            raise XmlRefusal(400, "InvalidArgument", "the fixture serves "
                             "list-type=2 only")
        prefix = query.get("prefix", "")
        delimiter = query.get("delimiter")
        try:
            limit = min(int(query.get("max-keys", "1000")), 1000,
                        args.page_size)
        except ValueError:
            raise XmlRefusal(400, "InvalidArgument", "Invalid max-keys")
        after = ""
        if "continuation-token" in query:
            try:
                after = base64.b64decode(query["continuation-token"],
                                         validate=True).decode()
            except (ValueError, UnicodeDecodeError):
                raise XmlRefusal(400, "InvalidArgument",
                                 "Invalid continuation-token")
        with lock:
            names = sorted(n for n in objects if n.startswith(prefix))
            snapshot = {n: objects[n] for n in names}
        contents, folders, last, more = [], [], None, False
        for n in names:
            if n <= after:
                continue
            rest = n[len(prefix):]
            folder = None
            if delimiter and delimiter in rest:
                folder = prefix + rest[:rest.index(delimiter) + len(delimiter)]
                if folders and folders[-1] == folder:
                    last = n
                    continue
                if folder <= after:
                    continue
            if len(contents) + len(folders) == limit:
                more = True
                break
            if folder is not None:
                folders.append(folder)
            else:
                o = snapshot[n]
                contents.append(("Contents", [
                    ("Key", n), ("Generation", o["generation"]),
                    ("MetaGeneration", 1),
                    ("LastModified", rfc3339(o["updated"])),
                    ("ETag", '"%s"' % md5_hex(o)),
                    ("Size", len(o["data"])),
                    ("StorageClass", "STANDARD")]))
            last = n
        children = [("Name", bucket), ("Prefix", prefix),
                    ("KeyCount", len(contents) + len(folders)),
                    ("MaxKeys", limit)]
        if delimiter:
            children.append(("Delimiter", delimiter))
        children.append(("IsTruncated", "true" if more else "false"))
        children += contents
        children += [("CommonPrefixes", [("Prefix", f)]) for f in folders]
        if more:
            # Past every name of the last folder too.
            mark = folders[-1] + "\U0010ffff" if folders and \
                last.startswith(folders[-1]) else last
            children.append(("NextContinuationToken",
                             base64.b64encode(mark.encode()).decode()))
        self.xml_reply(200, "ListBucketResult", children)

    def xml_object_headers(self, o):
        headers = [("ETag", '"%s"' % md5_hex(o)),
                   ("Last-Modified", time.strftime(
                       "%a, %d %b %Y %H:%M:%S GMT", time.gmtime(o["updated"]))),
                   ("x-goog-generation", str(o["generation"])),
                   ("x-goog-metageneration", "1"),
                   ("x-goog-stored-content-length", str(len(o["data"]))),
                   ("x-goog-hash", "crc32c=%s" % o["crc32c"]),
                   ("Accept-Ranges", "bytes")]
        if o["md5Hash"]:
            headers.append(("x-goog-hash", "md5=%s" % o["md5Hash"]))
        if o["contentDisposition"]:
            headers.append(("Content-Disposition", o["contentDisposition"]))
        for k, v in (o["metadata"] or {}).items():
            headers.append(("x-goog-meta-" + k, v))
        return headers

    def xml_get(self, objects, name):
        with lock:
            o = objects.get(name)
        if o is None:
            raise XmlRefusal(404, "NoSuchKey", "The specified key does not "
                             "exist.", "No such object: %s" % name)
        pin = self.headers.get("If-Match")
        if pin is not None and pin.strip('"') != md5_hex(o):
            raise XmlRefusal(412, "PreconditionFailed", "At least one of the "
                             "pre-conditions you specified did not hold.")
        data, status = o["data"], 200
        headers = self.xml_object_headers(o)
        rng = self.headers.get("Range")
        if rng is not None and self.command == "GET":
            count("ranged_gets")
            try:
                a, _, b = rng[len("bytes="):].partition("-")
                if not rng.startswith("bytes=") or "," in rng:
                    raise ValueError
                first = max(len(data) - int(b), 0) if a == "" else int(a)
                last = len(data) - 1 if a == "" or b == "" else \
                    min(int(b), len(data) - 1)
            except ValueError:
                raise XmlRefusal(400, "InvalidArgument", "Invalid Range")
            if first >= len(data) or first > last:
                raise XmlRefusal(416, "InvalidRange", "The requested range "
                                 "cannot be satisfied.")
            headers.append(("Content-Range", "bytes %d-%d/%d" %
                            (first, last, len(data))))
            data, status = data[first:last + 1], 206
        if self.command == "GET":
            count("media_gets")
            if rng is None and data and self.take_fault("corrupt-download"):
                data = bytes([data[0] ^ 0x40]) + data[1:]
        self.reply(status, data, ctype=o["contentType"], headers=headers)

    def xml_put(self, bucket, objects, name, data):
        if self.headers.get("If-None-Match") is not None:
            raise XmlRefusal(501, "NotImplemented", "A header you provided "
                             "implies functionality that is not implemented.",
                             "If-None-Match")
        source = self.xml_header("copy-source")
        if self.xml_header("copy-source-range") is not None:
            raise XmlRefusal(501, "NotImplemented", "UploadPartCopy is not "
                             "implemented.")
        want = self.xml_header("if-generation-match")
        with lock:
            current = objects.get(name)
            if want is not None and (not want.isdigit() or int(want) != (
                    current["generation"] if current else 0)):
                raise XmlRefusal(412, "PreconditionFailed", "At least one of "
                                 "the pre-conditions you specified did not "
                                 "hold.")
            if source is not None:
                count("xml_copies")
                sb, _, sn = urllib.parse.unquote(
                    source.lstrip("/")).partition("/")
                src = buckets.get(sb, {}).get(sn)
                if src is None:
                    raise XmlRefusal(404, "NoSuchKey", "The specified key "
                                     "does not exist.", "No such object: "
                                     "%s/%s" % (sb, sn))
                replace = (self.xml_header("metadata-directive") or
                           "COPY").upper() == "REPLACE"
                meta = {"contentType": self.headers.get("Content-Type"),
                        "contentDisposition":
                            self.headers.get("Content-Disposition"),
                        "metadata": self.xml_meta()} if replace else src
                o = make_object(bucket, name, src["data"], meta)
                objects[name] = o
                body = ("<?xml version='1.0' encoding='UTF-8'?>"
                        "<CopyObjectResult><LastModified>%s</LastModified>"
                        "<ETag>\"%s\"</ETag></CopyObjectResult>" %
                        (rfc3339(o["updated"]), md5_hex(o))).encode()
            else:
                md5 = self.headers.get("Content-MD5")
                if md5 is not None and md5 != base64.b64encode(
                        hashlib.md5(data).digest()).decode():
                    raise XmlRefusal(400, "BadDigest", "The Content-MD5 you "
                                     "specified did not match what we "
                                     "received.")
                o = make_object(bucket, name, data, {
                    "contentType": self.headers.get("Content-Type"),
                    "contentDisposition":
                        self.headers.get("Content-Disposition"),
                    "metadata": self.xml_meta()})
                objects[name] = o
                body = b""
        return self.reply(200, body, ctype="application/xml; charset=UTF-8",
                          headers=self.xml_object_headers(o)[:1])

    def xml_multipart(self, bucket, objects, name, query, data):
        method = self.command
        if method == "POST" and "uploads" in query:
            upload_id = secrets.token_urlsafe(18)
            with lock:
                uploads[upload_id] = {
                    "bucket": bucket, "name": name, "parts": {},
                    "initiated": time.time(),
                    "meta": {"contentType": self.headers.get("Content-Type"),
                             "contentDisposition":
                                 self.headers.get("Content-Disposition"),
                             "metadata": self.xml_meta()}}
                stats["xml_multipart_started"] += 1
            return self.xml_reply(200, "InitiateMultipartUploadResult", [
                ("Bucket", bucket), ("Key", name), ("UploadId", upload_id)])
        with lock:
            upload = uploads.get(query.get("uploadId"))
        if upload is None or (upload["bucket"], upload["name"]) != \
                (bucket, name):
            raise XmlRefusal(404, "NoSuchUpload", "The specified multipart "
                             "upload does not exist.")
        if method == "PUT":
            if self.xml_header("copy-source") is not None:
                raise XmlRefusal(501, "NotImplemented", "UploadPartCopy is "
                                 "not implemented.")
            try:
                number = int(query.get("partNumber", ""))
            except ValueError:
                number = 0
            if not 1 <= number <= 10000:
                raise XmlRefusal(400, "InvalidArgument", "Part number must "
                                 "be an integer between 1 and 10000.")
            etag = hashlib.md5(data).hexdigest()
            with lock:
                upload["parts"][number] = (etag, data)
            return self.reply(200, b"", headers=[("ETag", '"%s"' % etag)])
        if method == "DELETE":
            with lock:
                uploads.pop(query["uploadId"], None)
            return self.reply(204)
        if method != "POST":
            raise XmlRefusal(405, "MethodNotAllowed", "not allowed")
        for h in ("If-None-Match", "If-Match", "x-goog-if-generation-match",
                  "x-amz-if-generation-match"):
            if self.headers.get(h) is not None:
                raise XmlRefusal(501, "NotImplemented", "Preconditions are "
                                 "not supported for multipart uploads.", h)
        listed = re.findall(rb"<PartNumber>(\d+)</PartNumber>\s*<ETag>"
                            rb"([^<]*)</ETag>", data)
        if not listed:
            raise XmlRefusal(400, "MalformedXML", "The XML you provided was "
                             "not well-formed.")
        pieces, previous = [], 0
        with lock:
            for i, (number, etag) in enumerate(listed):
                number = int(number)
                etag = etag.decode().replace("&quot;", '"').strip('"')
                part = upload["parts"].get(number)
                if number <= previous or part is None or part[0] != etag:
                    raise XmlRefusal(400, "InvalidPart", "One or more of the "
                                     "specified parts could not be found.")
                if i < len(listed) - 1 and len(part[1]) < 5 * 1024 * 1024:
                    raise XmlRefusal(400, "EntityTooSmall", "Your proposed "
                                     "upload is smaller than the minimum "
                                     "allowed object size.")
                pieces.append(part[1])
                previous = number
            o = make_object(bucket, name, b"".join(pieces), upload["meta"])
            # As GCS: a multipart object has no MD5; its ETag is S3's form.
            o["md5Hash"] = None
            o["etag"] = "%s-%d" % (hashlib.md5(b"".join(
                bytes.fromhex(upload["parts"][int(n)][0])
                for n, _ in listed)).hexdigest(), len(listed))
            objects[name] = o
            del uploads[query["uploadId"]]
        self.xml_reply(200, "CompleteMultipartUploadResult", [
            ("Location", "http://%s/%s/%s" % (self.headers.get("Host"),
                                              bucket, name)),
            ("Bucket", bucket), ("Key", name), ("ETag", '"%s"' % o["etag"])])

    def xml_list_uploads(self, bucket, query):
        prefix = query.get("prefix", "")
        with lock:
            found = sorted((u["name"], uid, u["initiated"])
                           for uid, u in uploads.items()
                           if u["bucket"] == bucket and
                           u["name"].startswith(prefix))
        self.xml_reply(200, "ListMultipartUploadsResult", [
            ("Bucket", bucket), ("Prefix", prefix),
            ("IsTruncated", "false")] + [
            ("Upload", [("Key", n), ("UploadId", uid),
                        ("Initiated", rfc3339(t))]) for n, uid, t in found])

    # ------------------------------------------------------ signed URLs

    def signed(self, path, raw_query):
        count("signed_requests")
        try:
            bucket, name = self.verify_signature(path, raw_query)
        except Refusal as refusal:
            count("signature_refusals")
            self.close_connection = True
            body = ("<?xml version='1.0' encoding='UTF-8'?><Error><Code>%s"
                    "</Code><Message>%s</Message></Error>" %
                    (refusal.reason, refusal.message)).encode()
            return self.reply(refusal.status, body,
                              ctype="application/xml; charset=UTF-8")
        with lock:
            objects = buckets.get(bucket)
        if objects is None:
            raise Refusal(404, "notFound", "NoSuchBucket")
        if self.command in ("GET", "HEAD"):
            with lock:
                obj = objects.get(name)
            if obj is None:
                raise Refusal(404, "notFound", "NoSuchKey")
            return self.reply(200, obj["data"], ctype=obj["contentType"])
        if self.command == "PUT":
            data = self.body()
            obj = self.store(bucket, name, data, {
                "contentType": self.headers.get("Content-Type")}, {})
            return self.reply(200, b"")
        if self.command == "DELETE":
            return self.delete(objects, name, {})
        raise Refusal(405, "invalid", "Method not allowed")

    def verify_signature(self, path, raw_query):
        def refuse(why):
            raise Refusal(403, "SignatureDoesNotMatch", why)
        pairs = [p.split("=", 1) if "=" in p else [p, ""]
                 for p in raw_query.split("&") if p]
        params = {}
        decoded = []
        for n, v in pairs:
            n, v = urllib.parse.unquote(n), urllib.parse.unquote(v)
            params[n] = v
            if n != "X-Goog-Signature":
                decoded.append((n, v))
        algorithm = params.get("X-Goog-Algorithm")
        who, _, scope = params.get("X-Goog-Credential", "").partition("/")
        date = params.get("X-Goog-Date", "")
        try:
            start = time.mktime(time.strptime(date, "%Y%m%dT%H%M%SZ")) - \
                time.timezone
            expires = int(params.get("X-Goog-Expires", ""))
        except ValueError:
            refuse("malformed X-Goog-Date or X-Goog-Expires")
        if scope != date[:8] + "/auto/storage/goog4_request":
            refuse("bad credential scope")
        if not 1 <= expires <= 604800:
            refuse("X-Goog-Expires out of range")
        now = time.time()
        if now < start - 60 or now > start + expires:
            raise Refusal(400, "ExpiredToken", "Invalid argument: the URL "
                          "expired or is not valid yet")
        encode = lambda s: urllib.parse.quote(s, safe="-_.~")
        canonical_query = "&".join("%s=%s" % nv for nv in sorted(
            (encode(n), encode(v)) for n, v in decoded))
        signed = params.get("X-Goog-SignedHeaders", "").split(";")
        if "host" not in signed:
            refuse("host must be signed")
        lines = []
        for h in signed:
            if h == "host":
                value = self.headers.get("Host", "")
                if value.startswith("[") and "]" in value:
                    value = value[:value.index("]") + 1]
                else:
                    value = value.rsplit(":", 1)[0]
            else:
                value = self.headers.get(h)
                if value is None:
                    refuse("signed header %s was not sent" % h)
                value = " ".join(value.split())
            lines.append("%s:%s\n" % (h, value))
        payload = self.headers.get("x-goog-content-sha256") \
            if "x-goog-content-sha256" in signed else "UNSIGNED-PAYLOAD"
        canonical = "\n".join([self.command, path, canonical_query,
                               "".join(lines), ";".join(signed), payload])
        to_sign = "\n".join([algorithm or "", date, scope,
                             hashlib.sha256(canonical.encode()).hexdigest()])
        try:
            signature = bytes.fromhex(params.get("X-Goog-Signature", ""))
        except ValueError:
            refuse("signature is not hex")
        if algorithm == "GOOG4-RSA-SHA256":
            if who != args.client_email:
                refuse("unknown service account")
            try:
                public_key.verify(signature, to_sign.encode(),
                                  padding.PKCS1v15(), hashes.SHA256())
            except InvalidSignature:
                refuse("The request signature we calculated does not match "
                       "the signature you provided.")
        elif algorithm == "GOOG4-HMAC-SHA256" and args.hmac:
            access_id, _, secret = args.hmac.partition(":")
            if who != access_id:
                refuse("unknown HMAC access id")
            k = ("GOOG4" + secret).encode()
            for part in (date[:8], "auto", "storage", "goog4_request"):
                k = hmac.new(k, part.encode(), hashlib.sha256).digest()
            want = hmac.new(k, to_sign.encode(), hashlib.sha256).digest()
            if not hmac.compare_digest(want, signature):
                refuse("The request signature we calculated does not match "
                       "the signature you provided.")
        else:
            refuse("unsupported X-Goog-Algorithm")
        # Path style /BUCKET/OBJECT, virtual-hosted BUCKET.host/OBJECT, or
        # a bucket-bound hostname (--bound-host) DOMAIN/OBJECT.
        host = self.headers.get("Host", "").rsplit(":", 1)[0]
        with lock:
            hosted = [b for b in buckets if host.startswith(b + ".")]
        raw = path[1:]
        if args.bound_host and host == args.bound_host.split("=")[0]:
            return args.bound_host.split("=", 1)[1], urllib.parse.unquote(raw)
        if hosted:
            return hosted[0], urllib.parse.unquote(raw)
        bucket, _, name = raw.partition("/")
        return urllib.parse.unquote(bucket), urllib.parse.unquote(name)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def server_bind(self):
        import socket
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().server_bind()


def main():
    global args, public_key, crc_lib
    parser = argparse.ArgumentParser()
    parser.add_argument("--public-key", required=True)
    parser.add_argument("--client-email", required=True)
    parser.add_argument("--hmac")
    parser.add_argument("--token-lifetime", type=int, default=3600)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--rewrite-chunk", type=int, default=1 << 20)
    parser.add_argument("--crc32c-lib")
    parser.add_argument("--bound-host",
                        help="DOMAIN=BUCKET: signed URLs for DOMAIN are for "
                        "BUCKET (a bucket-bound hostname)")
    parser.add_argument("--refresh-token",
                        help="CLIENT_ID:CLIENT_SECRET:REFRESH_TOKEN of an "
                        "authorized_user the token endpoint accepts")
    args = parser.parse_args()
    with open(args.public_key, "rb") as f:
        public_key = serialization.load_pem_public_key(f.read())
    if args.crc32c_lib:
        crc_lib = ctypes.CDLL(args.crc32c_lib)
        crc_lib.fixture_crc32c.restype = ctypes.c_uint32
        crc_lib.fixture_crc32c.argtypes = [ctypes.c_uint32, ctypes.c_char_p,
                                           ctypes.c_size_t]
        # The helper must agree with the Python definition.
        assert crc_lib.fixture_crc32c(0, b"123456789", 9) == 0xE3069283
    assert crc32c(b"123456789") == 0xE3069283 or crc_lib is not None
    server = Server(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()  # until the test closes our standard input
    server.shutdown()


if __name__ == "__main__":
    main()

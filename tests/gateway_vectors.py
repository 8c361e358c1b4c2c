#!/usr/bin/env python3
"""Prints the requests botocore's S3 client sends, for test_gateway_auth.

The gateway must accept what boto3 and the aws CLI (both botocore) send, so
the vectors are real client requests: every call goes through a botocore S3
client whose HTTP layer is replaced, at the "before-send" event, by a
function that records the request (method, URL, headers, body) and answers
an empty 200. The time is fixed by replacing
botocore.auth.get_current_datetime, as tests/botocore_presign.py does.

Over http:// botocore signs the payload's SHA-256 and sends PutObject's
checksum as a header; over https:// it sends UNSIGNED-PAYLOAD, and
PutObject as STREAMING-UNSIGNED-PAYLOAD-TRAILER with the checksum in the
trailer. Presigned URLs come from generate_presigned_url.

Usage: tests/gateway_vectors.py > tests/data/gateway_vectors.json
(the output is committed, so the test needs no python).
"""
import base64
import calendar
import datetime
import json
import sys
import urllib.parse

import botocore
import botocore.auth
import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.config import Config

ACCESS_KEY = "AKIDGATEWAYEXAMPLE"
SECRET_KEY = "gw/Secret+Key=Example/wJalrXUtnFEMI/K7MDENG"
SIGNING_TIME = datetime.datetime(2026, 11, 25, 10, 0, 0)
NOW = calendar.timegm(SIGNING_TIME.timetuple())

KEYS = [
    "plain.txt",
    "with space.txt",
    "caf\u00e9/\u65e5\u672c.txt",
    "tilde~name",
    "a+b=c.txt",
    "bang!star*paren(1)'quote'.txt",
    "dir/sub/leaf",
    "semi;colon,comma@at$dollar&amp",
]


class EmptyRaw:
    def stream(self, **kwargs):
        return iter(())

    def read(self, *args, **kwargs):
        return b""


def make_client(endpoint, region, checksums="when_supported"):
    session = botocore.session.get_session()
    client = session.create_client(
        "s3", region_name=region, endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                      retries={"max_attempts": 1},
                      request_checksum_calculation=checksums))
    captured = []

    def record(request, **kwargs):
        body = request.body
        if hasattr(body, "read"):
            body = body.read()
        if isinstance(body, str):
            body = body.encode()
        captured.append((request, body or b""))
        return AWSResponse(request.url, 200, {}, EmptyRaw())

    client.meta.events.register("before-send", record)
    return client, captured


def as_vector(name, request, body, expect="ok"):
    url = urllib.parse.urlsplit(request.url)
    # Unsigned headers that change with each run or version are left out.
    headers = {k.lower(): (v.decode() if isinstance(v, bytes) else v)
               for k, v in request.headers.items()
               if k.lower() not in ("amz-sdk-invocation-id", "user-agent")}
    # What urllib3 sends: the URL's authority without a default port.
    host = url.netloc
    if (url.scheme, url.port) in (("http", 80), ("https", 443)):
        host = url.hostname
    headers["host"] = host
    return {"name": name, "method": request.method, "host": host,
            "path": url.path, "query": url.query, "headers": headers,
            "body": base64.b64encode(body).decode(), "secret": SECRET_KEY,
            "now": NOW, "expect": expect}


def call(client, captured, operation, **params):
    try:
        getattr(client, operation)(**params)
    except Exception as error:  # an empty answer may not parse
        if not captured:
            raise error
    return captured.pop()


def header_cases():
    out = []
    for scheme in ("http", "https"):
        client, captured = make_client(f"{scheme}://127.0.0.1:9000",
                                       "us-east-1")
        for i, key in enumerate(KEYS):
            req, body = call(client, captured, "get_object", Bucket="bucket",
                             Key=key)
            out.append(as_vector(f"{scheme}-get-{i}", req, body))
        req, body = call(client, captured, "put_object", Bucket="bucket",
                         Key="with space+plus.txt", Body=b"hello gateway\n")
        out.append(as_vector(f"{scheme}-put", req, body))
        req, body = call(client, captured, "list_objects_v2", Bucket="bucket",
                         Prefix="dir/ sub+x~", Delimiter="/", MaxKeys=7)
        out.append(as_vector(f"{scheme}-list", req, body))
    client, captured = make_client("https://s3.eu-west-1.amazonaws.com",
                                   "eu-west-1")
    for algorithm in ("CRC32", "SHA1", "SHA256"):
        req, body = call(client, captured, "put_object", Bucket="bucket",
                         Key=f"sum/{algorithm}", Body=b"x" * 5000,
                         ChecksumAlgorithm=algorithm)
        out.append(as_vector(f"trailer-{algorithm.lower()}", req, body))
    client, captured = make_client("https://127.0.0.1:9443", "us-east-1",
                                   checksums="when_required")
    req, body = call(client, captured, "put_object", Bucket="bucket",
                     Key="unsigned body", Body=b"sent as UNSIGNED-PAYLOAD")
    out.append(as_vector("https-put-unsigned", req, body))
    client, captured = make_client("http://localhost:9000", "us-east-1")
    req, body = call(client, captured, "put_object", Bucket="bucket",
                     Key="md5", Body=b"with md5", ContentMD5=base64.b64encode(
                         __import__("hashlib").md5(b"with md5").digest())
                     .decode())
    out.append(as_vector("http-put-md5", req, body))
    req, body = call(client, captured, "get_object_acl", Bucket="bucket",
                     Key="a b")
    out.append(as_vector("http-acl-empty-value", req, body))
    return out


def presigned_cases():
    out = []
    client, _ = make_client("http://127.0.0.1:9000", "us-east-1")
    for i, key in enumerate(KEYS):
        for method, operation in (("GET", "get_object"),
                                  ("PUT", "put_object")):
            url = client.generate_presigned_url(
                operation, Params={"Bucket": "bucket", "Key": key},
                ExpiresIn=600)
            parts = urllib.parse.urlsplit(url)
            out.append({"name": f"presigned-{method.lower()}-{i}",
                        "method": method, "host": parts.netloc,
                        "path": parts.path, "query": parts.query,
                        "headers": {"host": parts.netloc}, "body": "",
                        "secret": SECRET_KEY, "now": NOW + 300,
                        "expect": "ok"})
    return out


def main():
    botocore.auth.get_current_datetime = lambda: SIGNING_TIME
    vectors = {"botocore": botocore.__version__,
               "access_key_id": ACCESS_KEY,
               "cases": header_cases() + presigned_cases()}
    json.dump(vectors, sys.stdout, indent=1, ensure_ascii=True,
              sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

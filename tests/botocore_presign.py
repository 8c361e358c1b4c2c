#!/usr/bin/env python3
"""Prints botocore's presigned S3 URLs for the cases test_sigv4 compares.

One JSON object per line: the inputs of a case (method, endpoint, key, extra
headers and query parameters, credentials, time, expiry) and botocore's URL
for it. test_sigv4 builds the same URL through pail's sigv4_presign and
compares byte for byte.

Signing goes through botocore.auth.S3SigV4QueryAuth, the signer the S3 client
uses for presigned URLs, with the key encoded as botocore's REST serializer
encodes a greedy {Key+} label (everything but unreserved characters and '/').
The time is fixed by replacing botocore.auth.get_current_datetime, which
add_auth reads. Every case the S3 client can express (no extra header, or
Content-Type; response-* and versionId parameters) is also run through
client.generate_presigned_url, and the script fails if the two disagree, so
the cases stand for what botocore's users get.

Exits 77 (automake's "skipped") when botocore is missing.
"""
import calendar
import datetime
import json
import sys

try:
    import botocore
    import botocore.auth
    import botocore.session
    from botocore.awsrequest import AWSRequest
    from botocore.config import Config
    from botocore.credentials import Credentials
    from botocore.utils import percent_encode
except ImportError as error:
    print(f"botocore is not installed ({error})", file=sys.stderr)
    sys.exit(77)

ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
# '+', '/' and '=' so that the token's encoding in the query is exercised.
SESSION_TOKEN = ("IQoJb3JpZ2luX2VjEHoaCXVzLWVhc3QtMSJHMEUCIQD+example/token"
                 "+with/slashes==")
SIGNING_TIME = datetime.datetime(2026, 11, 25, 10, 0, 0)

ENDPOINTS = {
    # style: (base URL up to the key, region, client endpoint_url, style)
    "path": ("http://127.0.0.1:9000/bucket/", "us-east-1",
             "http://127.0.0.1:9000", "path"),
    "virtual": ("https://bucket.s3.eu-west-1.amazonaws.com/", "eu-west-1",
                None, "virtual"),
}

KEYS = [
    "plain.txt",
    "with space.txt",
    "a+b.txt",
    "100%.txt",
    "k=v",
    "tilde~name",
    "hash#tag",
    "what?.txt",
    "question?and#hash&amp=eq",
    "ünïcødé/日本語.txt",
    "emoji 😀.bin",
    "deep/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p.parquet",
    "dir/sub dir/file name (1).csv",
    "semi;colon,comma",
    "quote'double\"",
    "brackets[]{}<>",
    "at@dollar$star*bang!",
    "back\\slash",
    "caret^pipe|grave`",
    "colon:file",
    "dots.../x",
    "-_.~unreserved-0123456789",
    "percent%2Fencoded-looking",
    "trailing/",
]

METHODS = ["GET", "PUT", "HEAD", "DELETE"]
OPERATIONS = {"GET": "get_object", "PUT": "put_object",
              "HEAD": "head_object", "DELETE": "delete_object"}
# Wire names the client accepts as parameters, for the cross-check.
CLIENT_HEADERS = {"Content-Type": "ContentType"}
CLIENT_QUERY = {"response-content-disposition": "ResponseContentDisposition",
                "response-content-type": "ResponseContentType",
                "versionId": "VersionId"}


def cases():
    """The case list: every key in both styles, methods and tokens rotating,
    then extra signed headers, extra query parameters and expiry limits."""
    n = 0
    for style in ENDPOINTS:
        for key in KEYS:
            yield {"style": style, "method": METHODS[n % 4], "key": key,
                   "token": n % 3 == 0, "expires": 3600,
                   "headers": [], "query": []}
            n += 1
    for style in ENDPOINTS:
        yield {"style": style, "method": "PUT", "key": "upload/with space.csv",
               "token": False, "expires": 900,
               "headers": [["Content-Type", "text/csv"]], "query": []}
        yield {"style": style, "method": "PUT", "key": "meta+data.bin",
               "token": True, "expires": 60,
               "headers": [["x-amz-meta-owner", "  Ann   Smith "],
                           ["Content-Type", "application/octet-stream"]],
               "query": []}
        yield {"style": style, "method": "GET", "key": "report 2026.pdf",
               "token": False, "expires": 3600, "headers": [],
               "query": [["response-content-disposition",
                          'attachment; filename="report 2026.pdf"']]}
        yield {"style": style, "method": "GET", "key": "v/ersioned~key",
               "token": True, "expires": 86400, "headers": [],
               "query": [["versionId", "3/L4kqtJl+cMu=8Qe"],
                         ["response-content-type", "text/plain; charset=utf-8"]]}
        yield {"style": style, "method": "PUT", "key": "parts/big file.bin",
               "token": False, "expires": 3600,
               "headers": [["Content-Type", "application/octet-stream"]],
               "query": [["partNumber", "7"], ["uploadId", "VXBsb2FkIElE+/="]]}
        yield {"style": style, "method": "GET", "key": "Z/ünï code",
               "token": True, "expires": 1,
               "headers": [["x-amz-server-side-encryption-customer-algorithm",
                            "AES256"]],
               "query": [["x-id", "GetObject"]]}
        yield {"style": style, "method": "HEAD", "key": "limits",
               "token": False, "expires": 604800, "headers": [], "query": []}
        # A query written by hand, not encoded the SigV4 way: '+' for a
        # space, a lowercase escape, a name without '='. botocore decodes it
        # (parse_qs) and writes it again; so must pail.
        yield {"style": style, "method": "GET", "key": "raw query",
               "token": False, "expires": 3600, "headers": [], "query": [],
               "raw_query": "tag=a+b&flag&x=%7e%2f&y=%41"}


def botocore_url(case):
    """The URL botocore's S3 presigner builds for case."""
    base, region, _, _ = ENDPOINTS[case["style"]]
    url = base + percent_encode(case["key"], safe="/~")
    if case["query"]:
        url += "?" + "&".join(percent_encode(name) + "=" + percent_encode(value)
                              for name, value in case["query"])
    if case.get("raw_query"):
        url += "?" + case["raw_query"]
    request = AWSRequest(method=case["method"], url=url,
                         headers=dict(case["headers"]))
    credentials = Credentials(ACCESS_KEY, SECRET_KEY,
                              SESSION_TOKEN if case["token"] else None)
    botocore.auth.S3SigV4QueryAuth(credentials, "s3", region,
                                   expires=case["expires"]).add_auth(request)
    return request.url


def client_url(case, clients):
    """The same URL through client.generate_presigned_url, or None when the
    client cannot express the case."""
    if case.get("raw_query"):
        return None
    params = {"Bucket": "bucket", "Key": case["key"]}
    for name, value in case["headers"]:
        if name not in CLIENT_HEADERS:
            return None
        params[CLIENT_HEADERS[name]] = value
    for name, value in case["query"]:
        if name not in CLIENT_QUERY:
            return None
        params[CLIENT_QUERY[name]] = value
    client = clients[(case["style"], case["token"])]
    return client.generate_presigned_url(
        OPERATIONS[case["method"]], Params=params, ExpiresIn=case["expires"],
        HttpMethod=case["method"])


def make_clients():
    session = botocore.session.get_session()
    clients = {}
    for style, (_, region, endpoint, addressing) in ENDPOINTS.items():
        for token in (False, True):
            clients[(style, token)] = session.create_client(
                "s3", region_name=region, endpoint_url=endpoint,
                aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                aws_session_token=SESSION_TOKEN if token else None,
                config=Config(signature_version="s3v4",
                              s3={"addressing_style": addressing}))
    return clients


def main():
    botocore.auth.get_current_datetime = lambda: SIGNING_TIME
    clients = make_clients()
    at = calendar.timegm(SIGNING_TIME.timetuple())
    for case in cases():
        url = botocore_url(case)
        cross_check = client_url(case, clients)
        if cross_check is not None and cross_check != url:
            print(f"botocore's client and S3SigV4QueryAuth disagree:\n"
                  f"  {cross_check}\n  {url}", file=sys.stderr)
            return 1
        base, region, _, _ = ENDPOINTS[case["style"]]
        print(json.dumps({
            "method": case["method"], "base": base, "key": case["key"],
            "region": region, "access_key_id": ACCESS_KEY,
            "secret_access_key": SECRET_KEY,
            "session_token": SESSION_TOKEN if case["token"] else None,
            "headers": [f"{name}: {value}" for name, value in case["headers"]],
            "query": case["query"], "raw_query": case.get("raw_query"),
            "at": at, "expires": case["expires"],
            "client_checked": cross_check is not None,
            "botocore": botocore.__version__, "url": url}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

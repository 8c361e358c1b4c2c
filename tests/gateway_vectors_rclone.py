#!/usr/bin/env python3
"""Prints the requests rclone's S3 backend sends, for test_gateway_auth.

rclone (aws-sdk-go underneath) encodes and signs paths with its own code, so
its requests check that the gateway's canonical path matches a client other
than botocore. A local HTTP server records each request (method, path,
query, headers, body) and answers as S3 would enough for rclone to go on
(404 to HEAD, an empty listing, 200 with an ETag to PUT); rclone uploads a
few keys with awkward characters and lists a prefix.

Usage: tests/gateway_vectors_rclone.py > tests/data/gateway_vectors_rclone.json
(the output is committed, so the test needs neither rclone nor python).
Same JSON shape as tests/gateway_vectors.py; "now" is each request's own
X-Amz-Date.
"""
import base64
import calendar
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ACCESS_KEY = "AKIDGATEWAYEXAMPLE"
SECRET_KEY = "gw/Secret+Key=Example/wJalrXUtnFEMI/K7MDENG"
KEYS = ["plain.txt", "a b~c!d*(e)+f=g.txt", "caf\u00e9 \u65e5.txt",
        "semi;colon,comma@at$dollar&amp'q'.txt"]
EMPTY_LIST = (b'<?xml version="1.0" encoding="UTF-8"?>'
              b'<ListBucketResult xmlns="http://s3.amazonaws.com/doc/'
              b'2006-03-01/"><Name>bucket</Name><Prefix></Prefix>'
              b'<KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys>'
              b'<IsTruncated>false</IsTruncated></ListBucketResult>')
captured = []


class Recorder(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def record(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        headers = {k.lower(): v for k, v in self.headers.items()
                   if k.lower() not in ("user-agent",)}
        date = headers.get("x-amz-date", "")
        now = calendar.timegm(time.strptime(date, "%Y%m%dT%H%M%SZ")) \
            if date else 0
        captured.append({"name": f"rclone-{len(captured)}-{self.command}",
                         "method": self.command, "host": headers["host"],
                         "path": path, "query": query, "headers": headers,
                         "body": base64.b64encode(body).decode(),
                         "secret": SECRET_KEY, "now": now, "expect": "ok"})

    def answer(self, status, body=b"", extra=()):
        self.send_response(status)
        for name, value in extra:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.record()
        self.answer(404)

    def do_GET(self):
        self.record()
        self.answer(200, EMPTY_LIST, [("Content-Type", "application/xml")])

    def do_PUT(self):
        self.record()
        self.answer(200, b"", [("ETag", '"0"')])

    def log_message(self, *args):
        pass


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # AWS_CA_BUNDLE, if set, stops aws-sdk-go under rclone: none is needed.
    env = {k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE"}
    env.update(
               RCLONE_CONFIG_GW_TYPE="s3", RCLONE_CONFIG_GW_PROVIDER="Other",
               RCLONE_CONFIG_GW_ACCESS_KEY_ID=ACCESS_KEY,
               RCLONE_CONFIG_GW_SECRET_ACCESS_KEY=SECRET_KEY,
               RCLONE_CONFIG_GW_REGION="us-east-1",
               RCLONE_CONFIG_GW_ENDPOINT=f"http://127.0.0.1:"
                                         f"{server.server_address[1]}")
    with tempfile.TemporaryDirectory() as folder:
        source = os.path.join(folder, "object")
        with open(source, "wb") as f:
            f.write(b"uploaded by rclone\n")
        for key in KEYS:
            subprocess.run(["rclone", "copyto", "--s3-no-check-bucket",
                            "--retries", "1", "--low-level-retries", "1",
                            source, f"gw:bucket/dir/{key}"], env=env,
                           check=False, capture_output=True)
        subprocess.run(["rclone", "lsf", "--retries", "1",
                        "gw:bucket/dir/a b~c/"], env=env, check=False,
                       capture_output=True)
    server.shutdown()
    version = subprocess.run(["rclone", "version"], capture_output=True,
                             text=True).stdout.splitlines()[0]
    json.dump({"client": version, "access_key_id": ACCESS_KEY,
               "cases": captured}, sys.stdout, indent=1, ensure_ascii=True,
              sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""sts_fixture.py: STS's AssumeRoleWithWebIdentity on loopback, for the tests
of pail's web identity credentials (tests/s3_identity.sh). moto serves STS
too, but takes any token; this fixture checks the token as an identity
provider would, then hands out real temporary keys that it gets from moto's
AssumeRole (so the S3 requests that follow are checked by moto), with the
expiry the test asks for.

Usage: sts_fixture.py --moto URL --key ID --secret SECRET --token-file PATH
       --state DIR [--lifetime SECONDS]

It binds 127.0.0.1 on a port the system picks, prints the port on a line of
its own, and serves until its standard input closes. A request must be a
form-encoded POST of Action=AssumeRoleWithWebIdentity whose WebIdentityToken
is the current content of --token-file (the test rotates it), else STS's
error XML (InvalidIdentityToken, 400). DIR/calls counts the calls that got
credentials; DIR/mode, when present, changes the answer: "garbage" (200, not
XML), "refuse" (403 AccessDenied), "down" (503). Python 3 standard library
and boto3 only.
"""

import argparse
import datetime
import os
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
from botocore.config import Config

ARGS = None
LOCK = threading.Lock()


def error_xml(code, message):
    return (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        f"<Error><Type>Sender</Type><Code>{code}</Code>"
        f"<Message>{message}</Message></Error>"
        "<RequestId>fixture-request-1</RequestId></ErrorResponse>"
    )


def credentials_xml(role_arn, session_name):
    sts = boto3.client(
        "sts",
        endpoint_url=ARGS.moto,
        region_name="us-east-1",
        aws_access_key_id=ARGS.key,
        aws_secret_access_key=ARGS.secret,
        config=Config(retries={"max_attempts": 1}),
    )
    got = sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name)
    c = got["Credentials"]
    expiration = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(
        seconds=ARGS.lifetime
    )
    return (
        '<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/'
        'doc/2011-06-15/"><AssumeRoleWithWebIdentityResult><Credentials>'
        f"<AccessKeyId>{c['AccessKeyId']}</AccessKeyId>"
        f"<SecretAccessKey>{c['SecretAccessKey']}</SecretAccessKey>"
        f"<SessionToken>{c['SessionToken']}</SessionToken>"
        f"<Expiration>{expiration.strftime('%Y-%m-%dT%H:%M:%SZ')}</Expiration>"
        "</Credentials></AssumeRoleWithWebIdentityResult><ResponseMetadata>"
        "<RequestId>fixture-request-2</RequestId></ResponseMetadata>"
        "</AssumeRoleWithWebIdentityResponse>"
    )


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        field = lambda name: form.get(name, [""])[0]
        mode_path = os.path.join(ARGS.state, "mode")
        mode = open(mode_path).read().strip() if os.path.exists(mode_path) else ""
        if mode == "garbage":
            return self.answer(200, "this is not XML")
        if mode == "refuse":
            return self.answer(403, error_xml("AccessDenied", "Not authorized"))
        if mode == "down":
            return self.answer(503, error_xml("ServiceUnavailable", "down"))
        if field("Action") != "AssumeRoleWithWebIdentity":
            return self.answer(400, error_xml("InvalidAction", "not served here"))
        with open(ARGS.token_file) as f:
            expected = f.read().strip()
        if not expected or field("WebIdentityToken") != expected:
            return self.answer(
                400, error_xml("InvalidIdentityToken", "The token is not valid")
            )
        try:
            body = credentials_xml(field("RoleArn"), field("RoleSessionName"))
        except Exception as e:  # moto refused: say so as STS would
            return self.answer(403, error_xml("AccessDenied", str(e)))
        with LOCK:
            calls = os.path.join(ARGS.state, "calls")
            count = int(open(calls).read()) if os.path.exists(calls) else 0
            with open(calls, "w") as f:
                f.write(str(count + 1))
        self.answer(200, body)


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--moto", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--token-file", required=True)
    parser.add_argument("--state", required=True)
    parser.add_argument("--lifetime", type=int, default=3600)
    ARGS = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()  # until the test goes away


if __name__ == "__main__":
    main()

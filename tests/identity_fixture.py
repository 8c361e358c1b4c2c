#!/usr/bin/env python3
"""identity_fixture.py: the AWS identity endpoints moto does not serve as a
worker meets them, on loopback, for the tests of pail's temporary
credentials (tests/s3_identity.sh): STS's AssumeRoleWithWebIdentity with the
token checked (moto takes any), EC2 instance metadata (IMDSv2 only, the
session token required) and container credentials (ECS, EKS Pod Identity;
the Authorization header required). Each hands out real temporary keys that
it gets from moto's AssumeRole, so the S3 requests that follow are checked
by moto, with the expiry the test asks for.

Usage: identity_fixture.py --moto URL --key ID --secret SECRET
       --token-file PATH --state DIR [--lifetime SECONDS]
       [--imds-role ARN] [--container-token-file PATH]

It binds 127.0.0.1 on a port the system picks, prints the port on a line of
its own, and serves until its standard input closes.

  POST /   Action=AssumeRoleWithWebIdentity, whose WebIdentityToken must be
           the current content of --token-file (the test rotates it), else
           STS's error XML (InvalidIdentityToken, 400). Counted in DIR/calls.
  PUT /latest/api/token   with X-aws-ec2-metadata-token-ttl-seconds (1 to
           21600): a session token. Any GET under /latest/ without it: 401.
  GET /latest/meta-data/iam/security-credentials/[ROLE]   the role's name
           (the last part of --imds-role), then its credentials as JSON.
           Counted in DIR/imds-calls.
  GET /container   credentials as JSON when Authorization is the content
           of --container-token-file, else 401. Counted in
           DIR/container-calls.

DIR/mode, when present, changes every answer: "garbage" (200, not XML or
JSON), "refuse" (403), "down" (503), "hang" (no answer at all). Python 3
standard library and boto3 only.
"""

import argparse
import datetime
import json
import os
import secrets
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
from botocore.config import Config

ARGS = None
LOCK = threading.Lock()
IMDS_TOKEN = secrets.token_hex(16)


def error_xml(code, message):
    return (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        f"<Error><Type>Sender</Type><Code>{code}</Code>"
        f"<Message>{message}</Message></Error>"
        "<RequestId>fixture-request-1</RequestId></ErrorResponse>"
    )


def moto_credentials(role_arn, session_name):
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
    return c, expiration.strftime("%Y-%m-%dT%H:%M:%SZ")


def count(name):
    with LOCK:
        path = os.path.join(ARGS.state, name)
        n = int(open(path).read()) if os.path.exists(path) else 0
        with open(path, "w") as f:
            f.write(str(n + 1))


def credentials_xml(role_arn, session_name):
    c, expiration = moto_credentials(role_arn, session_name)
    return (
        '<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/'
        'doc/2011-06-15/"><AssumeRoleWithWebIdentityResult><Credentials>'
        f"<AccessKeyId>{c['AccessKeyId']}</AccessKeyId>"
        f"<SecretAccessKey>{c['SecretAccessKey']}</SecretAccessKey>"
        f"<SessionToken>{c['SessionToken']}</SessionToken>"
        f"<Expiration>{expiration}</Expiration>"
        "</Credentials></AssumeRoleWithWebIdentityResult><ResponseMetadata>"
        "<RequestId>fixture-request-2</RequestId></ResponseMetadata>"
        "</AssumeRoleWithWebIdentityResponse>"
    )


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body, kind="text/xml"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def mode(self):
        """True when the test's mode answered (or swallowed) the request."""
        mode_path = os.path.join(ARGS.state, "mode")
        mode = open(mode_path).read().strip() if os.path.exists(mode_path) else ""
        if mode == "hang":
            time.sleep(30)
            self.close_connection = True
            return True
        if mode == "garbage":
            self.answer(200, "this is not XML")
        elif mode == "refuse":
            self.answer(403, error_xml("AccessDenied", "Not authorized"))
        elif mode == "down":
            self.answer(503, error_xml("ServiceUnavailable", "down"))
        return mode in ("garbage", "refuse", "down")

    def json_credentials(self, role_arn, counter):
        try:
            c, expiration = moto_credentials(role_arn, "fixture")
        except Exception as e:
            return self.answer(500, str(e), "text/plain")
        count(counter)
        body = {
            "Code": "Success",
            "Type": "AWS-HMAC",
            "AccessKeyId": c["AccessKeyId"],
            "SecretAccessKey": c["SecretAccessKey"],
            "Token": c["SessionToken"],
            "Expiration": expiration,
        }
        self.answer(200, json.dumps(body), "application/json")

    def do_PUT(self):
        if self.mode():
            return
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "")
        if self.path != "/latest/api/token" or not ttl.isdigit() or not (
            1 <= int(ttl) <= 21600
        ):
            return self.answer(400, "bad token request", "text/plain")
        self.answer(200, IMDS_TOKEN, "text/plain")

    def do_GET(self):
        if self.mode():
            return
        if self.path == "/container":
            with open(ARGS.container_token_file) as f:
                expected = f.read().strip()
            if self.headers.get("Authorization") != expected:
                return self.answer(401, "no", "text/plain")
            return self.json_credentials(ARGS.imds_role, "container-calls")
        prefix = "/latest/meta-data/iam/security-credentials/"
        if self.headers.get("X-aws-ec2-metadata-token") != IMDS_TOKEN:
            return self.answer(401, "IMDSv2 token required", "text/plain")
        role = ARGS.imds_role.rsplit("/", 1)[-1] if ARGS.imds_role else ""
        if self.path == prefix and role:
            return self.answer(200, role + "\n", "text/plain")
        if self.path == prefix + role and role:
            return self.json_credentials(ARGS.imds_role, "imds-calls")
        self.answer(404, "not found", "text/plain")

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        field = lambda name: form.get(name, [""])[0]
        if self.mode():
            return
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
        count("calls")
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
    parser.add_argument("--imds-role", default="")
    parser.add_argument("--container-token-file", default="/nonexistent")
    ARGS = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()  # until the test goes away


if __name__ == "__main__":
    main()

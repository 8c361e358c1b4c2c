#!/usr/bin/env python3
"""entra_fixture.py: Microsoft Entra ID's token endpoints on loopback, for
the tests of pail's bearer tokens against Azurite (tests/azure_identity.sh).
Azurite started with `--oauth basic` takes a bearer token whose claims are
right (audience https://storage.azure.com, an Entra issuer, iat, nbf, exp
not past) without checking its signature; this fixture is the party that
checks the client's credentials and hands such tokens out, with the
lifetime the test asks for.

Usage: entra_fixture.py --tenant ID --client ID --secret SECRET
       --assertion-file PATH --identity-header VALUE --state DIR
       [--lifetime SECONDS]

It binds 127.0.0.1 on a port the system picks, prints the port on a line of
its own, and serves until its standard input closes.

  POST /TENANT/oauth2/v2.0/token   grant_type=client_credentials for
        --client with scope https://storage.azure.com/.default, and either
        client_secret --secret or a client_assertion equal to the content
        of --assertion-file (read at each request: the test rotates it).
        Anything else: 400 or 401 with Entra's {"error",
        "error_description"}.
  GET /metadata/identity/oauth2/token   the instance metadata's managed
        identity: header Metadata: true, resource https://storage.azure.com/.
  GET /msi/token   App Service's: header X-IDENTITY-HEADER: --identity-header.

Each token handed out is counted in DIR/tokens. DIR/mode, when present,
changes every answer: "refuse" (401 invalid_client), "garbage" (200, not
JSON), "hang" (no answer). Python 3 standard library only.
"""

import argparse
import base64
import json
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARGS = None
LOCK = threading.Lock()
SCOPE = "https://storage.azure.com/.default"
RESOURCE = "https://storage.azure.com/"


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token():
    now = int(time.time())
    claims = {
        "aud": "https://storage.azure.com",
        "iss": f"https://sts.windows.net/{ARGS.tenant}/",
        "iat": now,
        "nbf": now - 5,
        "exp": now + ARGS.lifetime,
        "appid": ARGS.client,
        "tid": ARGS.tenant,
    }
    header = {"alg": "RS256", "typ": "JWT"}
    return ".".join(
        [b64(json.dumps(header).encode()), b64(json.dumps(claims).encode()), b64(b"not-checked")]
    )


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def refused(self, status, code, description):
        self.answer(status, {"error": code, "error_description": description})

    def mode(self):
        path = os.path.join(ARGS.state, "mode")
        mode = open(path).read().strip() if os.path.exists(path) else ""
        if mode == "hang":
            time.sleep(30)
            self.close_connection = True
            return True
        if mode == "refuse":
            self.refused(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
        elif mode == "garbage":
            self.answer(200, "this is not JSON")
        return mode in ("refuse", "garbage")

    def grant(self, managed):
        with LOCK:
            path = os.path.join(ARGS.state, "tokens")
            n = int(open(path).read()) if os.path.exists(path) else 0
            with open(path, "w") as f:
                f.write(str(n + 1))
        if managed:  # managed identity: strings of digits, expires_on
            body = {
                "access_token": token(),
                "expires_on": str(int(time.time()) + ARGS.lifetime),
                "resource": RESOURCE,
                "token_type": "Bearer",
            }
        else:
            body = {"token_type": "Bearer", "expires_in": ARGS.lifetime, "access_token": token()}
        self.answer(200, body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        field = lambda name: form.get(name, [""])[0]
        if self.mode():
            return
        if self.path != f"/{ARGS.tenant}/oauth2/v2.0/token":
            return self.refused(400, "invalid_request", "AADSTS90002: Tenant not found.")
        if field("grant_type") != "client_credentials" or field("scope") != SCOPE:
            return self.refused(400, "invalid_request", "AADSTS900144: bad grant or scope")
        if field("client_id") != ARGS.client:
            return self.refused(400, "unauthorized_client", "AADSTS700016: unknown application")
        if field("client_assertion"):
            with open(ARGS.assertion_file) as f:
                expected = f.read().strip()
            if (
                field("client_assertion_type")
                != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
                or field("client_assertion") != expected
            ):
                return self.refused(401, "invalid_client", "AADSTS700211: No matching federated identity record found.")
        elif field("client_secret") != ARGS.secret:
            return self.refused(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
        self.grant(False)

    def do_GET(self):
        if self.mode():
            return
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        if query.get("resource", [""])[0] != RESOURCE:
            return self.refused(400, "invalid_resource", "bad resource")
        if url.path == "/metadata/identity/oauth2/token":
            if self.headers.get("Metadata") != "true":
                return self.refused(400, "invalid_request", "Required metadata header not specified")
            return self.grant(True)
        if url.path == "/msi/token":
            if self.headers.get("X-IDENTITY-HEADER") != ARGS.identity_header:
                return self.refused(401, "invalid_client", "wrong identity header")
            return self.grant(True)
        self.refused(404, "not_found", "no such endpoint")


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    for name in ("--tenant", "--client", "--secret", "--assertion-file", "--identity-header", "--state"):
        parser.add_argument(name, required=True)
    parser.add_argument("--lifetime", type=int, default=3600)
    ARGS = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()


if __name__ == "__main__":
    main()

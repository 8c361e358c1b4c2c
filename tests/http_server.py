#!/usr/bin/env python3
"""http_server.py: a loopback HTTP/1.1 server with switchable behaviours, for
the tests of the core's HTTP services (tests/test_http.c) and their fault
injection (retries).

Usage: http_server.py [--port N] [--exit-on-eof]. It binds 127.0.0.1 (port 0
by default: one the system picks), prints the port on a line of its own on
stdout, and serves until it is killed, or with --exit-on-eof until its
standard input closes (so that it never outlives a test that crashed).
Python 3 standard library only.

Every response carries X-Connection (a number per TCP connection, from 1) and
X-Request (a number per request, from 1). The behaviour is chosen by path;
any method works unless said otherwise; HEAD gets the GET headers only.

  /echo[/...]            200, JSON: method, path, query, headers (a list of
                         [name, value] in the order received), body (base64),
                         body_length, body_sha256, connection, client_port
  /sink[/...]            200, JSON: method, body_length, body_sha256 (for
                         large uploads)
  /status/CODE           that status; the body is ?body=TEXT (default empty),
                         ?type=CONTENT-TYPE, ?header=Name:Value (repeatable)
  /bytes/N               200 with N bytes of the pattern: byte i is i % 251
                         (?offset=K starts at byte K of the pattern,
                         ?status=CODE answers with that status instead)
  /chunked/N             as /bytes/N, Transfer-Encoding: chunked
  /truncate/N?send=M     announces Content-Length N, sends M (< N) pattern
                         bytes, then closes the connection
  /stall                 reads the request, never answers
  /stall-body/N?after=M  announces N bytes, sends M, then never sends more
  /reset                 reads the request, closes with a TCP reset
  /reset-body/N?after=M  announces N bytes, sends M, then resets
  /sleep/MS              answers as /echo after MS milliseconds
  /flaky/NAME?failures=K&fail=SPEC[&retry_after=S]
                         the first K requests to NAME fail as SPEC says
                         (a status like 503, "reset" or "stall"; default
                         503, with Retry-After: S when given), later ones
                         answer as /echo; each response says which attempt
                         it was in X-Attempt
  /stats                 JSON: connections and requests so far

With --tls CERT KEY it speaks HTTPS with that certificate.
"""
import base64
import hashlib
import http.server
import json
import socket
import socketserver
import struct
import sys
import threading
import time
import urllib.parse

PATTERN_PERIOD = 251
# A block of the pattern a whole number of periods long, sent repeatedly.
BLOCK = bytes(i % PATTERN_PERIOD for i in range(PATTERN_PERIOD * 4096))

lock = threading.Lock()
counters = {"connections": 0, "requests": 0}
flaky_attempts = {}
stop = threading.Event()


def next_count(name):
    with lock:
        counters[name] += 1
        return counters[name]


def pattern_chunks(offset, length):
    """Yields the pattern bytes [offset, offset + length) in large blocks."""
    start = offset % PATTERN_PERIOD
    while length > 0:
        block = BLOCK[start:]
        if len(block) > length:
            block = block[:length]
        yield block
        length -= len(block)
        start = (start + len(block)) % PATTERN_PERIOD


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def version_string(self):
        return "pail-test"

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle's
        # algorithm holds the body until the client's delayed ACK (40 ms) on
        # every reused connection.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connection_number = next_count("connections")

    def log_message(self, format, *args):  # quiet: the tests read stdout
        pass

    def do_GET(self):
        self.dispatch()

    do_PUT = do_POST = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    # ---------------------------------------------------------- helpers

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(length) if length else b""

    def start(self, status, length=None, content_type=None, extra=()):
        self.send_response(status)
        self.send_header("X-Connection", str(self.connection_number))
        self.send_header("X-Request", str(self.request_number))
        if content_type:
            self.send_header("Content-Type", content_type)
        if length is not None:
            self.send_header("Content-Length", str(length))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()

    def answer(self, status, body=b"", content_type=None, extra=()):
        self.start(status, len(body), content_type, extra)
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def send_pattern(self, offset, length):
        for block in pattern_chunks(offset, length):
            self.wfile.write(block)

    def stall(self):
        self.wfile.flush()
        self.close_connection = True
        stop.wait()

    def reset(self):
        self.wfile.flush()
        # SO_LINGER with a zero timeout: close() sends RST, not FIN.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                   struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    # ---------------------------------------------------------- routes

    def dispatch(self):
        self.request_number = next_count("requests")
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        parts = url.path.strip("/").split("/")
        route, args = parts[0], parts[1:]
        body = self.read_body()

        def number(i, default=0):
            return int(args[i]) if len(args) > i and args[i] else default

        def param(name, default=None):
            return query.get(name, [default])[0]

        if route == "echo":
            self.echo(url, body)
        elif route == "sink":
            document = {"method": self.command, "body_length": len(body),
                        "body_sha256": hashlib.sha256(body).hexdigest()}
            self.answer(200, json.dumps(document).encode(),
                        "application/json")
        elif route == "status":
            extra = [h.split(":", 1) for h in query.get("header", [])]
            self.answer(number(0, 200), (param("body") or "").encode(),
                        param("type"), [(n, v.strip()) for n, v in extra])
        elif route in ("bytes", "chunked"):
            length, offset = number(0), int(param("offset", "0"))
            if route == "bytes":
                self.start(int(param("status", "200")), length,
                           "application/octet-stream")
                if self.command != "HEAD":
                    self.send_pattern(offset, length)
            else:
                self.start(200, None, "application/octet-stream",
                           [("Transfer-Encoding", "chunked")])
                for block in pattern_chunks(offset, length):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(block), block))
                self.wfile.write(b"0\r\n\r\n")
        elif route == "truncate":
            length = number(0)
            self.start(200, length, "application/octet-stream")
            self.send_pattern(0, min(int(param("send", "0")), length))
            self.wfile.flush()
            self.close_connection = True
        elif route == "stall":
            self.stall()
        elif route in ("stall-body", "reset-body"):
            length = number(0)
            self.start(200, length, "application/octet-stream")
            self.send_pattern(0, min(int(param("after", "0")), length))
            self.stall() if route == "stall-body" else self.reset()
        elif route == "reset":
            self.reset()
        elif route == "sleep":
            time.sleep(number(0) / 1000.0)
            self.echo(url, body)
        elif route == "flaky":
            name = args[0] if args else ""
            with lock:
                attempt = flaky_attempts.get(name, 0) + 1
                flaky_attempts[name] = attempt
            spec = param("fail", "503")
            if attempt > int(param("failures", "1")):
                self.echo(url, body, [("X-Attempt", str(attempt))])
            elif spec == "reset":
                self.reset()
            elif spec == "stall":
                self.stall()
            else:
                extra = [("X-Attempt", str(attempt))]
                if param("retry_after", None) is not None:
                    extra.append(("Retry-After", param("retry_after", None)))
                self.answer(int(spec), b"injected failure\n", "text/plain",
                            extra)
        elif route == "stats":
            with lock:
                document = dict(counters)
            self.answer(200, json.dumps(document).encode(),
                        "application/json")
        else:
            self.answer(404, b"no such route\n", "text/plain")

    def echo(self, url, body, extra=()):
        document = {
            "method": self.command,
            "path": url.path,
            "query": url.query,
            "headers": [[n, v] for n, v in self.headers.items()],
            "body": base64.b64encode(body).decode(),
            "body_length": len(body),
            "body_sha256": hashlib.sha256(body).hexdigest(),
            "connection": self.connection_number,
            "client_port": self.client_address[1],
        }
        self.answer(200, json.dumps(document).encode(), "application/json",
                    extra)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # A client hanging up (the tests do it on purpose) is not news.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def main():
    port, exit_on_eof, tls, args = 0, False, None, sys.argv[1:]
    while args:
        if args[0] == "--port" and len(args) > 1:
            port, args = int(args[1]), args[2:]
        elif args[0] == "--exit-on-eof":
            exit_on_eof, args = True, args[1:]
        elif args[0] == "--tls" and len(args) > 2:
            tls, args = (args[1], args[2]), args[3:]
        else:
            sys.exit("usage: http_server.py [--port N] [--exit-on-eof] "
                     "[--tls CERT KEY]")
    server = Server(("127.0.0.1", port), Handler)
    if tls is not None:
        import ssl
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tls[0], tls[1])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)

    def watch_stdin():
        # The test holds our stdin open; EOF means it went away.
        try:
            sys.stdin.read()
        finally:
            stop.set()
            server.shutdown()

    if exit_on_eof:
        threading.Thread(target=watch_stdin, daemon=True).start()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        stop.set()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""fault_proxy.py: an HTTP/1.1 proxy for tests that breaks things on purpose.

Sits on a free loopback port in front of a real server (moto, Azurite, a
fixture) and forwards requests one by one, except when a rule or the seeded
random mode picks a fault for a request:

  reset      close the client connection with a TCP reset before answering
  truncate   forward the response head and only part of its body, then close
  stall      forward the head and part of the body, then send nothing more
             (the client's stalled-transfer limit has to notice)
  status     answer 500, 503 or 503 SlowDown itself (S3-style XML body),
             without forwarding the request
  drop       forward the request, let the server answer it, and reset the
             client's connection instead of forwarding the answer: a
             request that took effect but whose answer was lost (rules
             only)
  delay      log the request as it arrives ("-> delay"), wait BYTES
             milliseconds, then forward it: a request in flight that the
             server has not yet seen (rules only)
  hold       forward the request, let the server answer it, log "-> STATUS
             hold", then wait BYTES milliseconds before forwarding the
             answer: a request that took effect whose answer is on its way,
             for a test to act at that moment (rules only)
  corrupt    forward the whole response, with the body's byte number BYTES
             (the last one if the body is shorter) flipped: what a bad disk
             or proxy does, and only a checksum notices (rules only; the
             random mode never corrupts, as a range has no checksum)

Usage:
  fault_proxy.py --upstream 127.0.0.1:PORT --port-file F --log F
                 [--seed N --rate R]          random faults on R of requests
                 [--rule 'METHOD PATH-REGEX FAULT [BYTES] [COUNT] [SKIP]']...

A rule lets the first SKIP (default 0) requests that match pass, then
applies to the next COUNT (default 1); BYTES is how much of the body
truncate/stall let through, or the milliseconds of delay/hold. Every request is logged
as one line: `METHOD TARGET -> STATUS [fault]` plus the request's Range,
x-ms-range, If-Match and If-None-Match headers, so tests can see what the client sent. Only loopback
addresses are accepted for --upstream.
"""
import argparse
import os
import random
import re
import socket
import struct
import sys
import threading
import time

STALL_SECONDS = 120
SLOWDOWN_BODY = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
                 b'<Message>Please reduce your request rate.</Message>'
                 b'<RequestId>FAULTPROXY</RequestId></Error>')
ERROR_BODY = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code>'
              b'<Message>We encountered an internal error. Please try again.</Message>'
              b'<RequestId>FAULTPROXY</RequestId></Error>')


class Closed(Exception):
    pass


class Reader:
    """Buffered reads of lines and exact lengths from a socket."""

    def __init__(self, sock):
        self.sock = sock
        self.buffer = b""

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise Closed()
        self.buffer += data

    def line(self):
        while b"\r\n" not in self.buffer:
            if len(self.buffer) > 65536:
                raise Closed()
            self._fill()
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def exact(self, n):
        while len(self.buffer) < n:
            self._fill()
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def rest(self):
        """Everything until the peer closes."""
        chunks = [self.buffer]
        self.buffer = b""
        while True:
            data = self.sock.recv(65536)
            if not data:
                return b"".join(chunks)
            chunks.append(data)


def read_head(reader):
    """A start line and headers: (start_line, [(name, value)], raw bytes)."""
    start = reader.line()
    while start == b"":  # tolerate stray CRLF between messages
        start = reader.line()
    headers = []
    raw = [start]
    while True:
        line = reader.line()
        raw.append(line)
        if line == b"":
            break
        name, _, value = line.partition(b":")
        headers.append((name.strip().lower().decode("latin-1"),
                        value.strip().decode("latin-1")))
    return start, headers, b"\r\n".join(raw) + b"\r\n"


def header(headers, name):
    for n, v in headers:
        if n == name:
            return v
    return None


def read_body(reader, headers, response_to=None, status=None):
    """The body as raw wire bytes (chunked kept chunked) and its payload
    length; None for read-until-close."""
    if response_to == "HEAD" or (status is not None and
                                 (status in (204, 304) or 100 <= status < 200)):
        return b""
    if (header(headers, "transfer-encoding") or "").lower() == "chunked":
        wire = []
        while True:
            size_line = reader.line()
            wire.append(size_line + b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                while True:  # trailers
                    trailer = reader.line()
                    wire.append(trailer + b"\r\n")
                    if trailer == b"":
                        return b"".join(wire)
            wire.append(reader.exact(size + 2))
    length = header(headers, "content-length")
    if length is not None:
        return reader.exact(int(length))
    if status is None:
        return b""  # a request without a length has no body
    return None


class Cut(Exception):
    """The relay reached the byte where a fault cuts the body."""


def relay_body(reader, headers, method, status, out, limit, flip=None):
    """Copies a response body from reader to out as it arrives, never more
    than limit bytes of wire data (None: no limit; Cut when reached), with
    the payload's byte number flip inverted (None: none; past the end: the
    last byte). Returns True when the server closes the connection after
    it."""
    sent = [0]
    payload = [0]  # payload bytes relayed so far
    if flip is not None:
        length = header(headers, "content-length")
        if length is not None and int(length) > 0:
            flip = min(flip, int(length) - 1)

    def corrupt(piece):
        """piece is payload: flip the byte if it is in there."""
        at = payload[0]
        payload[0] += len(piece)
        if flip is None or not at <= flip < at + len(piece):
            return piece
        data = bytearray(piece)
        data[flip - at] ^= 0xFF
        return bytes(data)

    def send(data):
        if limit is not None and sent[0] + len(data) >= limit:
            out.sendall(data[:limit - sent[0]])
            raise Cut()
        out.sendall(data)
        sent[0] += len(data)

    def take(n, is_payload=True):
        while n > 0:
            if not reader.buffer:
                reader._fill()
            piece = reader.buffer[:n]
            reader.buffer = reader.buffer[len(piece):]
            send(corrupt(piece) if is_payload else piece)
            n -= len(piece)

    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return False
    if (header(headers, "transfer-encoding") or "").lower() == "chunked":
        while True:
            size_line = reader.line()
            send(size_line + b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                while True:
                    trailer = reader.line()
                    send(trailer + b"\r\n")
                    if trailer == b"":
                        return False
            take(size)
            take(2, False)
    length = header(headers, "content-length")
    if length is not None:
        take(int(length))
        return False
    while True:  # until the server closes
        if reader.buffer:
            data, reader.buffer = reader.buffer, b""
        else:
            data = reader.sock.recv(65536)
            if not data:
                return True
        send(corrupt(data))


class Proxy:
    def __init__(self, args):
        host, _, port = args.upstream.rpartition(":")
        if host not in ("127.0.0.1", "localhost", "::1"):
            sys.exit("fault_proxy: upstream must be a loopback address")
        self.upstream = (host, int(port))
        self.rate = args.rate
        self.random = random.Random(args.seed)
        self.rules = []
        for text in args.rule:
            parts = text.split()
            method, pattern, fault = parts[0], re.compile(parts[1]), parts[2]
            size = int(parts[3]) if len(parts) > 3 else 0
            count = int(parts[4]) if len(parts) > 4 else 1
            skip = int(parts[5]) if len(parts) > 5 else 0
            self.rules.append([method, pattern, fault, size, count, skip])
        self.lock = threading.Lock()
        self.log = open(args.log, "a", buffering=1)

    def choose(self, method, target):
        """(fault, bytes) for this request, or (None, 0)."""
        with self.lock:
            for rule in self.rules:
                if rule[4] > 0 and rule[0] in (method, "*") and \
                        rule[1].search(target):
                    if rule[5] > 0:
                        rule[5] -= 1
                        return None, 0
                    rule[4] -= 1
                    return rule[2], rule[3]
            if self.rate > 0 and self.random.random() < self.rate:
                fault = self.random.choice(
                    ["reset", "truncate", "stall", "status"])
                return fault, self.random.randrange(0, 64 * 1024)
        return None, 0

    def note(self, text):
        with self.lock:
            self.log.write(text + "\n")

    def serve(self, client):
        upstream = None
        try:
            creader = Reader(client)
            while True:
                start, headers, raw_head = read_head(creader)
                body = read_body(creader, headers)
                method, target = start.decode("latin-1").split(" ")[:2]
                fault, size = self.choose(method, target)
                seen = " ".join(f"{n}={header(headers, n)}" for n in
                                ("range", "x-ms-range", "if-match", "if-none-match")
                                if header(headers, n) is not None)
                if fault == "reset":
                    self.note(f"{method} {target} -> reset {seen}")
                    reset(client)
                    return
                if fault == "status":
                    status = self.random.choice([500, 503, 503])
                    payload = SLOWDOWN_BODY if status == 503 else ERROR_BODY
                    reason = b"Slow Down" if status == 503 else b"Internal Server Error"
                    self.note(f"{method} {target} -> {status} status {seen}")
                    client.sendall(b"HTTP/1.1 %d %s\r\nContent-Type: application/xml\r\n"
                                   b"Content-Length: %d\r\nConnection: close\r\n\r\n%s"
                                   % (status, reason, len(payload), payload))
                    return
                if fault == "delay":
                    self.note(f"{method} {target} -> delay {size} ms {seen}")
                    time.sleep(size / 1000)
                if upstream is None:
                    upstream = socket.create_connection(self.upstream)
                    ureader = Reader(upstream)
                upstream.sendall(raw_head + (body or b""))
                rstart, rheaders, rraw = read_head(ureader)
                while rstart.split(b" ")[1].startswith(b"1"):  # 100 Continue
                    client.sendall(rraw)
                    rstart, rheaders, rraw = read_head(ureader)
                status = int(rstart.split(b" ")[1])
                if fault == "drop":
                    read_body(ureader, rheaders, method, status)
                    self.note(f"{method} {target} -> {status} drop {seen}")
                    reset(client)
                    return
                if fault == "hold":
                    answer = read_body(ureader, rheaders, method, status)
                    closing = answer is None
                    if closing:
                        answer = ureader.rest()
                    self.note(f"{method} {target} -> {status} hold {size} ms {seen}")
                    time.sleep(size / 1000)
                    client.sendall(rraw + answer)
                    if closing or (header(headers, "connection") or "").lower() == "close":
                        return
                    continue
                limit = size if fault in ("truncate", "stall") else None
                flip = size if fault == "corrupt" else None
                if flip is not None:
                    # Logged before the body goes: a client that finds the
                    # damage may hang up before the relay ends, and a test
                    # may read the log as soon as the client has exited.
                    self.note(f"{method} {target} -> {status} corrupt at "
                              f"{flip} {seen}")
                client.sendall(rraw)
                try:
                    closing = relay_body(ureader, rheaders, method, status,
                                         client, limit, flip)
                except Cut:
                    self.note(f"{method} {target} -> {status} {fault} at {size} {seen}")
                    if fault == "stall":
                        time.sleep(STALL_SECONDS)
                    return
                self.note(f"{method} {target} -> {status}"
                          f"{' corrupt' if flip is not None else ''} {seen}")
                if closing or (header(headers, "connection") or "").lower() == "close":
                    return
        except (Closed, OSError, ValueError, IndexError):
            return
        finally:
            for s in (client, upstream):
                if s is not None:
                    try:
                        s.close()
                    except OSError:
                        pass


def reset(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rate", type=float, default=0.0)
    parser.add_argument("--rule", action="append", default=[])
    args = parser.parse_args()
    proxy = Proxy(args)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    # Written whole, then renamed: a test polling for the file never reads
    # half a number.
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(listener.getsockname()[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    while True:
        client, _ = listener.accept()
        threading.Thread(target=proxy.serve, args=(client,), daemon=True).start()


if __name__ == "__main__":
    main()

"""Streaming reads: a 1 GiB object read through open() with bounded
memory, and seeks, which reopen the read at the new offset."""

import io
import json
import os
import subprocess
import sys

import pytest

MiB = 1 << 20
GiB = 1 << 30

# Streams the 1 GiB object in a fresh process, so that the peak RSS is the
# stream's alone (this process holds the 64 MiB round trips' data). The peak
# is VmHWM, the high-water mark of the process image: ru_maxrss would do,
# but Linux carries into it the RSS of the parent that forked (or vforked)
# it, and pytest's process is larger than the limit.
STREAM = r"""
import json, sys
import pail

def peak_kib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])

zeros = bytes(1 << 20)
with pail.Workspace() as ws, ws.open(sys.argv[1]) as stream:
    before = peak_kib()
    total = 0
    while True:
        block = stream.read(1 << 20)
        if not block:
            break
        if block != zeros[:len(block)]:
            sys.exit("non-zero bytes at %d" % total)
        total += len(block)
    stream.seek(-10, 2)
    tail = stream.read()
print(json.dumps({"bytes": total, "tail": len(tail), "before_kib": before,
                  "peak_kib": peak_kib()}))
"""


def test_1gib_stream_bounded_memory(prefix):
    sanitizer = os.environ.get("PAIL_TEST_SANITIZER")
    if sanitizer:
        pytest.skip("RSS under %s measures the sanitizer, not the stream"
                    % sanitizer)
    # A sparse 1 GiB file in the default fs storage ($PAIL_HOME) is a 1 GiB
    # object, written in no time.
    key = prefix + "sparse-1GiB"
    path = os.path.join(os.environ["PAIL_HOME"], key)
    os.makedirs(os.path.dirname(path))
    with open(path, "wb") as f:
        f.truncate(GiB)
    try:
        done = subprocess.run([sys.executable, "-c", STREAM, key],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout)
    finally:
        os.remove(path)
    assert result["bytes"] == GiB
    assert result["tail"] == 10
    assert result["peak_kib"] < 64 * 1024, result


def test_seeks(ws, prefix, data64):
    data = data64[:3 * MiB + 17]
    pointer = ws.write(prefix + "seek.bin", data)
    with ws.open(pointer) as stream:
        assert stream.seekable()
        assert stream.raw.size == len(data)
        assert stream.read(10) == data[:10]
        stream.seek(2 * MiB + 3)
        assert stream.tell() == 2 * MiB + 3
        # Across the reader's buffer and to the end.
        assert stream.read(MiB) == data[2 * MiB + 3:3 * MiB + 3]
        stream.seek(-7, io.SEEK_END)
        assert stream.read() == data[-7:]
        stream.seek(100)
        stream.seek(50, io.SEEK_CUR)
        assert stream.read(5) == data[150:155]
        # Backwards, after the read has gone further.
        stream.seek(1)
        assert stream.read(3) == data[1:4]
        # At or past the end: nothing, as for a file.
        stream.seek(len(data))
        assert stream.read(10) == b""
        stream.seek(len(data) + 100)
        assert stream.read() == b""
        stream.seek(0)
        assert stream.read() == data


def test_open_empty_object(ws, prefix):
    pointer = ws.write(prefix + "empty", b"")
    with ws.open(pointer) as stream:
        assert stream.read() == b""
        stream.seek(0)
        assert stream.read(1) == b""

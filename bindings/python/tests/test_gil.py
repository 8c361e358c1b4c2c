"""The GIL is released while libpail works: during one foreign call that
reads 64 MiB from moto, other Python threads keep running. The read goes
through tests/fault_proxy.py, which holds the GET for 500 ms, so that the
call lasts long enough on any machine. Measured in windows, not by speed:
the main thread wakes every 10 ms and sees whether a spinning thread
advanced; a call that held the GIL would let it wake at most at the call's
start and end. The same measure around a call made through ctypes.PyDLL,
which keeps the GIL, shows that it can tell."""

import ctypes
import json
import os
import subprocess
import sys
import threading
import time

import pytest

import pail
from conftest import settings_file

PROXY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                     "..", "tests", "fault_proxy.py")


def windows_during(call):
    """The count of 10 ms windows, wholly within call() run on another
    thread, in which a spinning thread advanced; and the call's seconds."""
    state = {"count": 0, "running": False, "stop": False}

    def spin():
        while not state["stop"]:
            state["count"] += 1

    def run():
        state["running"] = True
        started = time.monotonic()
        try:
            call()
        finally:
            state["seconds"] = time.monotonic() - started
            state["running"] = False

    spinner = threading.Thread(target=spin)
    spinner.start()
    caller = threading.Thread(target=run)
    try:
        caller.start()
        while not state["running"] and caller.is_alive():
            time.sleep(0.001)
        windows = 0
        while True:
            before = state["count"]
            time.sleep(0.01)
            if not state["running"]:
                break
            if state["count"] > before:
                windows += 1
        caller.join()
    finally:
        state["stop"] = True
        spinner.join()
    return windows, state["seconds"]


@pytest.fixture
def slow_s3(tmp_path):
    """Moto's settings, through a proxy that delays each GET by 500 ms."""
    with open(settings_file("PAIL_TEST_S3_SETTINGS")) as f:
        settings = json.load(f)
    storage = settings["storage"]
    port_file = tmp_path / "proxy.port"
    proxy = subprocess.Popen(
        [sys.executable, os.path.normpath(PROXY), "--upstream",
         storage["endPoint"], "--port-file", str(port_file), "--log",
         str(tmp_path / "proxy.log"), "--rule", "GET /.*gil\\.bin$ delay 500 100"])
    try:
        for _ in range(300):
            if port_file.exists() and port_file.read_text().strip():
                break
            time.sleep(0.05)
        port = port_file.read_text().strip()
        yield ({"storage": storage}, {"storage": dict(
            storage, endPoint="127.0.0.1:%s" % port)})
    finally:
        proxy.terminate()
        proxy.wait(30)


def test_threads_run_during_a_64_mib_read(prefix, data64, slow_s3):
    direct, delayed = slow_s3
    with pail.Workspace(direct) as ws:
        pointer = ws.write(prefix + "gil.bin", data64)
    with pail.Workspace(delayed) as ws:
        got = []
        windows, seconds = windows_during(lambda: got.append(ws.read(pointer)))
        assert len(got[0]) == len(data64)
        # One pail_read of at least 0.5 s: about 100 windows a second while
        # the GIL is free; 10 leaves room for a loaded machine.
        assert seconds >= 0.5
        assert windows >= 10, "%d windows in %.2f s of reading" % (windows, seconds)


def test_the_measure_tells_a_call_that_holds_the_gil():
    held = ctypes.PyDLL(None).usleep  # PyDLL: the GIL stays held
    held.argtypes = [ctypes.c_uint]
    windows, seconds = windows_during(lambda: held(500000))
    assert seconds >= 0.5
    assert windows <= 2, "%d windows while the GIL was held" % windows

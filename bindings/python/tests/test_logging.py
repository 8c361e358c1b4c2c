"""libpail's log lines reach the logging module, logger "pail", at their
levels, from whichever thread the library logs on."""

import logging
import threading

import pail


def pail_records(caplog):
    return [(r.levelno, r.getMessage(), r.threadName) for r in caplog.records
            if r.name == "pail"]


def test_debug_lines_reach_the_pail_logger(caplog, prefix):
    with caplog.at_level(logging.DEBUG, logger="pail"):
        with pail.Workspace() as ws:
            ws.write(prefix + "logged", b"x")
    records = pail_records(caplog)
    messages = [m for level, m, _ in records if level == logging.DEBUG]
    assert any(m.startswith("workspace settings from ") for m in messages), records
    assert any(m.startswith("opened primary storage (type fs") for m in messages), records


def test_warnings_keep_their_level_and_lines_below_the_logger_level_are_not_made(caplog):
    # tlsVerify off is a WARNING when the storage opens (at its first use,
    # here a stat that cannot connect).
    settings = {"storage": {"type": "s3", "bucket": "b", "region": "us-east-1",
                            "endPoint": "127.0.0.1:1", "useSSL": True,
                            "tlsVerify": False, "accessKey": "AKIDTEST",
                            "secretKey": "never-logged", "maxAttempts": 1}}
    with caplog.at_level(logging.WARNING, logger="pail"):
        with pail.Workspace(settings) as ws:
            try:
                ws.stat("any")
            except pail.Error:
                pass
    records = pail_records(caplog)
    assert [level for level, _, _ in records] == [logging.WARNING], records
    assert "TLS certificate verification is off" in records[0][1]
    assert all("never-logged" not in m for _, m, _ in records)


def test_lines_logged_on_many_threads(caplog, prefix):
    with caplog.at_level(logging.DEBUG, logger="pail"):
        def work(n):
            with pail.Workspace() as ws:
                ws.write("%sthread%d" % (prefix, n), b"x")
        threads = [threading.Thread(target=work, args=(n,), name="w%d" % n)
                   for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    opened = {t for level, m, t in pail_records(caplog)
              if m.startswith("opened primary storage")}
    assert opened == {"w%d" % n for n in range(8)}

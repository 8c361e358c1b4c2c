"""gateway_checks.py: what the Python clients of the gateway's tests share
(tests/gateway_boto3.py, tests/gateway_native.py): one line per check,
"ok: ..." or "FAIL: ...", S3's refusals by their codes, and the exit
status.
"""

import sys

import botocore

FAILURES = 0


def ok(name):
    print("ok: " + name, flush=True)


def fail(name):
    global FAILURES
    FAILURES += 1
    print("FAIL: " + name, flush=True)


def check(name, condition):
    if condition:
        ok(name)
    else:
        fail(name)


def error_code(call):
    """The S3 error code call raises, or None when it succeeds."""
    try:
        call()
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
    return None


def expect_error(name, code, call):
    got = error_code(call)
    if got == code:
        ok("%s: %s" % (name, code))
    else:
        fail("%s: wanted %s, got %s" % (name, code, got))


def finish():
    """Prints the count of failures and exits 1 when there were any."""
    print("%d failures" % FAILURES)
    sys.exit(1 if FAILURES else 0)

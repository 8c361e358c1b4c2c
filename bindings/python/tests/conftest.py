"""Fixtures of the pail package's tests: workspaces on the fs default,
moto_server and Azurite (tests/python_binding.sh starts the servers and
passes their settings files in PAIL_TEST_S3_SETTINGS and
PAIL_TEST_AZURE_SETTINGS), unique keys, and test data."""

import os
import random
import uuid

import pytest

import pail

BACKENDS = ["fs", "s3", "azure"]


def settings_file(variable):
    """The settings file the driver passed, or a skip (a failure under the
    driver, which sets PAIL_TEST_REQUIRE_SERVERS: a missing server there is
    a broken run, not a reason to pass)."""
    path = os.environ.get(variable)
    if not path:
        message = "%s is not set: run through tests/python_binding.sh" % variable
        if os.environ.get("PAIL_TEST_REQUIRE_SERVERS"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def open_workspace(backend, **kwargs):
    """fs: the embedded default (an fs storage at $PAIL_HOME), as a worker
    with no settings has; s3 and azure: the servers' settings files."""
    if backend == "fs":
        return pail.Workspace(**kwargs)
    variable = {"s3": "PAIL_TEST_S3_SETTINGS",
                "azure": "PAIL_TEST_AZURE_SETTINGS"}[backend]
    return pail.Workspace(settings_file(variable), **kwargs)


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def ws(backend):
    workspace = open_workspace(backend)
    yield workspace
    workspace.close()


@pytest.fixture
def prefix():
    """A folder no other test writes to."""
    return "py/%s/" % uuid.uuid4().hex


@pytest.fixture(scope="session")
def data64():
    """64 MiB of reproducible random bytes; tests take prefixes of it."""
    return random.Random(18).randbytes(64 << 20)

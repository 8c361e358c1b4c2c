"""A worker without storage credentials: a workspace whose only storage is
the S3 gateway of `pail serve --s3-listen` (the driver starts it over the
fs default) with keys minted by `pail credentials`; and settings() with a
gateway, whose minted keys read through it."""

import hashlib
import os
import urllib.parse

import pytest

import pail

GATEWAY = os.environ.get("PAIL_TEST_GATEWAY")


@pytest.fixture(autouse=True)
def _gateway():
    if not GATEWAY:
        message = "PAIL_TEST_GATEWAY is not set: run through tests/python_binding.sh"
        if os.environ.get("PAIL_TEST_REQUIRE_SERVERS"):
            pytest.fail(message)
        pytest.skip(message)


def worker(key_id, secret):
    """A worker's workspace: one s3 storage, the gateway, with these keys."""
    return pail.Workspace({"storage": {
        "type": "s3", "bucket": "_default_",
        "endPoint": urllib.parse.urlsplit(GATEWAY).netloc, "useSSL": False,
        "accessKey": key_id, "secretKey": secret, "partSize": 5 << 20}})


def sha(data):
    return hashlib.sha256(data).hexdigest()


def test_worker_round_trips_and_lists(prefix, data64):
    data = data64[:(11 << 20) + 5]  # parts of 5 MiB through the gateway
    with pail.Workspace() as storage, worker(
            os.environ["PAIL_TEST_GATEWAY_KEY_ID"],
            os.environ["PAIL_TEST_GATEWAY_SECRET"]) as ws:
        pointer = ws.write(prefix + "w.bin", data)
        assert pointer == {"s3": prefix + "w.bin"}
        assert sha(storage.read(pointer)) == sha(data)
        storage.write(prefix + "sub/x.txt", b"from the storage")
        assert ws.read(prefix + "sub/x.txt") == b"from the storage"
        with ws.open(pointer) as stream:
            stream.seek((5 << 20) - 1)
            assert stream.read((1 << 20) + 2) == data[(5 << 20) - 1:(6 << 20) + 1]
        assert [(e["key"], e["is_folder"]) for e in ws.list(prefix)] == [
            (prefix + "sub/", True), (prefix + "w.bin", False)]


def test_read_only_key_is_refused_a_write(prefix):
    secret = os.environ["PAIL_TEST_GATEWAY_RO_SECRET"]
    with pail.Workspace() as storage, worker(
            os.environ["PAIL_TEST_GATEWAY_RO_KEY_ID"], secret) as ws:
        storage.write(prefix + "ro.txt", b"readable")
        assert ws.read(prefix + "ro.txt") == b"readable"
        with pytest.raises(pail.AccessDenied) as raised:
            ws.write(prefix + "refused.txt", b"no")
        error = raised.value
        assert isinstance(error, PermissionError)
        assert error.category == pail.Category.ACCESS_DENIED
        assert error.http_status == 403
        assert error.provider_code == "AccessDenied"
        assert error.request_id
        assert secret not in str(error) and secret not in repr(error.args)
        with pytest.raises(pail.NotFound):
            storage.stat(prefix + "refused.txt")


def test_settings_with_a_gateway_mint_keys_that_read(prefix, data64):
    import boto3
    data = data64[:(1 << 20) + 11]
    with pail.Workspace() as storage:
        pointer = storage.write(prefix + "minted.bin", data)
        args = storage.settings("boto3", gateway=GATEWAY)
        assert args["endpoint_url"] == GATEWAY
        assert args["aws_access_key_id"].startswith("PK1")
        with worker(args["aws_access_key_id"],
                    args["aws_secret_access_key"]) as minted:
            assert sha(minted.read(pointer)) == sha(data)
        body = boto3.client("s3", **args).get_object(
            Bucket="_default_", Key=pointer["s3"])["Body"].read()
        assert sha(body) == sha(data)
        duckdb = storage.settings("duckdb", gateway=GATEWAY)
        assert "ENDPOINT '%s'" % urllib.parse.urlsplit(GATEWAY).netloc in duckdb
        assert "SCOPE 's3://_default_'" in duckdb
        with pytest.raises(pail.InvalidArgument):
            storage.settings("boto3", gateway="ftp://x")

"""The module-level helpers with Windmill's names and arguments, on the
default workspace (the settings lookup of the CLI), and the data-tool
settings: boto3 reads through boto3_connection_settings() on moto."""

import io
import json
import os
import subprocess
import sys

import pytest

import pail
from conftest import settings_file


def test_helpers_on_the_fs_default(prefix, tmp_path):
    key = prefix + "windmill.txt"
    s3object = pail.write_s3_file({"s3": key}, b"Hello Windmill!")
    assert s3object == {"s3": key}
    assert pail.load_s3_file(s3object) == b"Hello Windmill!"
    with pail.load_s3_file_reader(s3object) as reader:
        assert isinstance(reader, io.BufferedReader)
        assert reader.read() == b"Hello Windmill!"
    # A BufferedReader as content, a string as pointer, as Windmill scripts
    # write them.
    local = tmp_path / "local.csv"
    local.write_bytes(b"a,b\n")
    with open(local, "rb") as content:
        s3object = pail.write_s3_file("s3:///" + key, content, None,
                                      "text/csv", "inline")
    assert s3object == {"s3": key}
    assert pail.load_s3_file(key) == b"a,b\n"
    info = pail.default_workspace().stat(s3object)
    assert (info["content_type"], info["content_disposition"]) == \
        ("text/csv", "inline")
    # The data lands where the CLI would put it: $PAIL_HOME.
    with open(os.path.join(os.environ["PAIL_HOME"], key), "rb") as f:
        assert f.read() == b"a,b\n"


def test_s3_resource_path_names_a_storage(prefix):
    # The default workspace has no storage "archive": the argument is used.
    with pytest.raises(pail.NotFound, match='"archive"'):
        pail.write_s3_file({"s3": prefix + "x"}, b"x", "archive")
    with pytest.raises(pail.NotFound, match='"archive"'):
        pail.load_s3_file(prefix + "x", s3_resource_path="archive")
    with pytest.raises(pail.InvalidArgument):
        pail.write_s3_file(None, b"x")


def test_connection_settings_of_fs_are_unsupported():
    for helper in (pail.duckdb_connection_settings,
                   pail.polars_connection_settings,
                   pail.boto3_connection_settings):
        with pytest.raises(pail.Unsupported):
            helper()


# Runs in a fresh process whose default workspace is moto's (PAIL_CONFIG):
# pail writes, boto3 reads through boto3_connection_settings(), and back.
ON_MOTO = r"""
import json, sys
import boto3
import pail
bucket, key = sys.argv[1], sys.argv[2]
written = pail.write_s3_file({"s3": key}, b"from pail", content_type="text/plain")
client = boto3.client("s3", **pail.boto3_connection_settings())
got = client.get_object(Bucket=bucket, Key=key)
client.put_object(Bucket=bucket, Key=key + ".boto3", Body=b"from boto3")
print(json.dumps({
    "written": written,
    "body": got["Body"].read().decode(),
    "content_type": got["ContentType"],
    "back": pail.load_s3_file(key + ".boto3").decode(),
    "duckdb": pail.duckdb_connection_settings()["connection_settings_str"],
    "polars": sorted(pail.polars_connection_settings()["storage_options"]),
}))
"""


def test_boto3_reads_through_connection_settings(prefix):
    settings = settings_file("PAIL_TEST_S3_SETTINGS")
    import boto3  # noqa: F401  (fails the test when boto3 is missing)
    key = prefix + "boto3.txt"
    env = dict(os.environ, PAIL_CONFIG=settings)
    done = subprocess.run(
        [sys.executable, "-c", ON_MOTO, os.environ["PAIL_TEST_S3_BUCKET"], key],
        capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["written"] == {"s3": key}
    assert result["body"] == "from pail"
    assert result["content_type"] == "text/plain"
    assert result["back"] == "from boto3"
    assert "CREATE OR REPLACE SECRET" in result["duckdb"]
    assert "aws_access_key_id" in result["polars"]

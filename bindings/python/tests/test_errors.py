"""Errors and their classes: every pail_error category is a pail.Error
subclass, and the common ones are also the built-in exception Python code
already catches. A failed write stores nothing."""

import errno
import os

import pytest

import pail
from conftest import open_workspace

MiB = 1 << 20


def test_missing_key_is_not_found(ws, prefix, backend):
    with pytest.raises(FileNotFoundError) as caught:
        ws.read(prefix + "missing")
    error = caught.value
    assert isinstance(error, pail.NotFound) and isinstance(error, pail.Error)
    assert error.category == pail.Category.NOT_FOUND
    assert str(error.category) == "not found"
    assert error.errno == errno.ENOENT
    assert prefix + "missing" in error.message
    if backend == "fs":
        assert error.http_status is None
    else:
        assert error.http_status == 404
        assert error.provider_code is not None
    # open() and stat() fail at once, not at the first read.
    with pytest.raises(pail.NotFound):
        ws.open(prefix + "missing")
    with pytest.raises(pail.NotFound):
        ws.stat({"s3": prefix + "missing"})


def test_bad_pointers_are_invalid_arguments(ws):
    for bad in ["a/../b", "", '{"s3": 1}', "s3://bad name/key", {"key": "x"}]:
        with pytest.raises(ValueError) as caught:
            ws.read(bad)
        assert isinstance(caught.value, pail.InvalidArgument), bad
        assert caught.value.category == pail.Category.INVALID_ARGUMENT
    with pytest.raises(TypeError):
        ws.read(42)


def test_unknown_storage_is_not_found(ws):
    with pytest.raises(pail.NotFound) as caught:
        ws.read("s3://archive/x")
    assert 'no storage named "archive"' in str(caught.value)


def test_access_rules_follow_user(tmp_path):
    settings = {
        "storage": {"type": "fs", "root_path": str(tmp_path / "root"),
                    "create_root": True},
        "advanced_permissions": [
            {"pattern": "u/{username}/**", "allow": "read,write,delete,list"},
            {"pattern": "public/**", "allow": "read"},
        ],
    }
    with pail.Workspace(settings, user="alice") as alice:
        assert alice.write("u/alice/notes", b"mine") == {"s3": "u/alice/notes"}
        assert alice.read("u/alice/notes") == b"mine"
        with pytest.raises(PermissionError) as caught:
            alice.write("u/bob/notes", b"not mine")
        assert isinstance(caught.value, pail.AccessDenied)
        assert caught.value.errno == errno.EACCES
        with pytest.raises(pail.AccessDenied):
            alice.write("public/x", b"read only")
        with pytest.raises(pail.AccessDenied):
            list(alice.list("u/"))
    with pail.Workspace(settings, user="bob") as bob:
        with pytest.raises(pail.AccessDenied):
            bob.read("u/alice/notes")
        with pytest.raises(pail.AccessDenied):
            bob.delete("u/alice/notes")
    # Nothing was stored by the denied writes.
    assert not os.path.exists(tmp_path / "root" / "u" / "bob")
    assert not os.path.exists(tmp_path / "root" / "public")


def test_bad_settings(tmp_path):
    with pytest.raises(pail.InvalidArgument) as caught:
        pail.Workspace({"storage": {"type": "fs"}, "advanced_permission": []})
    assert "advanced_permission" in str(caught.value)
    with pytest.raises(FileNotFoundError):
        pail.Workspace(tmp_path / "missing.json")


def test_no_clobber_is_conflict(ws, prefix):
    pointer = ws.write(prefix + "once", b"first", no_clobber=True)
    with pytest.raises(pail.Conflict) as caught:
        ws.write(pointer, b"second", no_clobber=True)
    assert caught.value.category == pail.Category.CONFLICT
    assert ws.read(pointer) == b"first"


def test_settings_of_fs_are_unsupported():
    with pail.Workspace() as ws:
        with pytest.raises(pail.Unsupported):
            ws.settings("boto3")
        with pytest.raises(ValueError):
            ws.settings("spark")


def test_closed_workspace_refuses_calls():
    ws = pail.Workspace()
    ws.close()
    ws.close()  # twice is fine
    with pytest.raises(ValueError):
        ws.read("x")


def test_reader_outlives_close(prefix):
    ws = pail.Workspace()
    pointer = ws.write(prefix + "outlives", b"x" * 3000)
    stream = ws.open(pointer, buffer_size=1024)
    ws.close()
    # The C workspace is freed only once the reader is closed.
    assert stream.read() == b"x" * 3000
    stream.close()
    assert ws._handle is None


def _raises_midway(data):
    """Yields data in 1 MiB pieces, then fails as a producer can."""
    for start in range(0, len(data), MiB):
        yield data[start:start + MiB]
    raise RuntimeError("producer failed")


def test_failed_write_stores_nothing(ws, prefix, backend, data64):
    key = prefix + "failed"
    data = data64[:12 * MiB]  # past the first part of a multipart upload
    with pytest.raises(RuntimeError, match="producer failed"):
        ws.write(key, _raises_midway(data))
    with pytest.raises(pail.NotFound):
        ws.stat(key)
    # Over an existing object: the old one stays.
    ws.write(key, b"old")
    with pytest.raises(RuntimeError):
        ws.write(key, _raises_midway(data))
    assert ws.read(key) == b"old"
    # A wrong item in an iterable aborts the same way.
    with pytest.raises(TypeError):
        ws.write(key, iter([b"new", 12]))
    assert ws.read(key) == b"old"
    if backend == "s3":
        # ... and leaves no multipart upload behind, as boto3 sees it.
        import boto3
        client = boto3.client("s3", **ws.settings("boto3"))
        uploads = client.list_multipart_uploads(
            Bucket=os.environ["PAIL_TEST_S3_BUCKET"], Prefix=prefix)
        assert uploads.get("Uploads", []) == []
    if backend == "fs":
        root = os.path.join(os.environ["PAIL_HOME"], prefix)
        assert sorted(os.listdir(root)) == ["failed"]

"""Objects of 0 B to 64 MiB written in every form write() takes and read
back, compared by hash, on fs, moto and Azurite."""

import hashlib
import io

import pytest

MiB = 1 << 20


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def as_input(data, kind, tmp_path):
    if kind == "bytes":
        return bytes(data)
    if kind == "bytearray":
        return bytearray(data)
    if kind == "file":
        path = tmp_path / "input"
        path.write_bytes(data)
        return open(path, "rb")
    if kind == "iterable":  # uneven pieces, as a generator gives them
        view = memoryview(data)
        return (view[i:i + 700001] for i in range(0, len(data), 700001))
    raise AssertionError(kind)


@pytest.mark.parametrize("size,kind", [
    (0, "bytes"), (1, "iterable"), (MiB + 1, "file"),
    (5 * MiB + 1, "bytearray"), (64 * MiB, "iterable")])
def test_round_trip(ws, prefix, data64, tmp_path, size, kind):
    data = data64[:size]
    source = as_input(data, kind, tmp_path)
    try:
        pointer = ws.write(prefix + "object.bin", source)
    finally:
        if hasattr(source, "close"):
            source.close()
    assert pointer == {"s3": prefix + "object.bin"}
    assert ws.stat(pointer)["size"] == size
    assert sha256(ws.read(pointer)) == sha256(data)
    if size == 64 * MiB:
        # The same bytes streamed through open(), in 1 MiB reads.
        digest = hashlib.sha256()
        with ws.open(pointer) as stream:
            for block in iter(lambda: stream.read(MiB), b""):
                digest.update(block)
        assert digest.hexdigest() == sha256(data)


def test_upload_download(ws, prefix, data64, tmp_path):
    data = data64[:3 * MiB + 5]
    local = tmp_path / "up.bin"
    local.write_bytes(data)
    pointer = ws.upload(local, "s3:///" + prefix + "up.bin",
                        content_type="application/x-test")
    assert pointer == {"s3": prefix + "up.bin"}
    back = tmp_path / "down.bin"
    ws.download(pointer, back)
    assert sha256(back.read_bytes()) == sha256(data)
    assert ws.stat(pointer)["content_type"] == "application/x-test"


def test_write_options_and_pointer_forms(ws, prefix):
    key = prefix + "options.csv"
    pointer = ws.write({"s3": key, "filename": "x.csv"}, "a,b\n1,2\n",
                       content_type="text/csv",
                       content_disposition='attachment; filename="x.csv"',
                       metadata={"team": "data"})
    # The JSON form's other fields come back, as pail_pointer_to_json
    # prints them.
    assert pointer == {"s3": key, "filename": "x.csv"}
    info = ws.stat('{"s3": "%s"}' % key)
    assert info["content_type"] == "text/csv"
    assert info["content_disposition"] == 'attachment; filename="x.csv"'
    assert info["metadata"] == {"team": "data"}
    assert ws.read("s3:///" + key) == ws.read(key) == b"a,b\n1,2\n"
    copied = ws.copy(pointer, key + ".copy")
    assert copied == {"s3": key + ".copy"}
    assert ws.read(copied) == b"a,b\n1,2\n"


def test_list_pages_and_delete(ws, prefix):
    keys = [prefix + "many/%02d" % i for i in range(7)] + [prefix + "many/sub/x"]
    for key in keys:
        ws.write(key, key.encode())
    # Pages of 3: the iterator fetches the next page itself.
    listed = [entry["key"] for entry in ws.list(prefix + "many/",
                                                recursive=True, page_size=3)]
    assert listed == sorted(keys)
    one_level = list(ws.list(prefix + "many/", page_size=3))
    assert [e["key"] for e in one_level if not e["is_folder"]] == sorted(keys)[:7]
    assert [e["key"] for e in one_level if e["is_folder"]] == [prefix + "many/sub/"]
    first = one_level[0]
    assert ws.read(first["pointer"]) == first["key"].encode()
    for key in keys:
        ws.delete(key)
    assert list(ws.list(prefix, recursive=True)) == []


def test_sign(ws, prefix):
    pointer = ws.write(prefix + "signed", b"signed")
    signature = ws.sign(pointer, expires=600)
    assert signature["expires_at"] is not None
    if signature["url"] is None:
        # fs cannot presign: a grant that reads the object.
        assert signature["pointer"]["presigned"].startswith("exp=")
        assert ws.read(signature["pointer"]) == b"signed"
    else:
        assert signature["url"].startswith("http")
        assert signature["pointer"] is None

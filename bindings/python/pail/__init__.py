"""pail: datasets in object storage through pointers, from Python.

Pure Python over libpail (ctypes): the same settings, access rules,
retries and errors as the C API and the CLI. docs/python.md has the whole
story; in short:

    import pail
    with pail.Workspace() as ws:
        ptr = ws.write("results/cities.csv", b"a,b\\n1,2\\n")
        data = ws.read(ptr)

and, on a default workspace, the helpers Windmill's client gives scripts,
by the same names and arguments: load_s3_file, load_s3_file_reader,
write_s3_file, duckdb_connection_settings, polars_connection_settings,
boto3_connection_settings.
"""

import threading

from ._errors import (AccessDenied, Cancelled, Category, Conflict, Error,
                      InternalError, InvalidArgument, IOFailure, NotFound,
                      Throttled, Unavailable, Unsupported)
from ._workspace import Workspace

__all__ = [
    "Workspace", "Error", "Category", "NotFound", "AccessDenied",
    "InvalidArgument", "Conflict", "Throttled", "Unavailable", "IOFailure",
    "Unsupported", "InternalError", "Cancelled", "default_workspace",
    "load_s3_file", "load_s3_file_reader", "write_s3_file",
    "duckdb_connection_settings", "polars_connection_settings",
    "boto3_connection_settings",
]

_default = None
_default_lock = threading.Lock()


def default_workspace():
    """The workspace of the module-level helpers, opened on first use as
    Workspace() opens it (the CLI's settings lookup) and shared by every
    thread."""
    global _default
    with _default_lock:
        if _default is None or _default.closed:
            _default = Workspace()
        return _default


def _in_storage(s3object, s3_resource_path):
    """Windmill's s3_resource_path names the resource of another bucket;
    here it names a storage of the workspace, used when the pointer does
    not name one itself."""
    if not s3_resource_path:
        return s3object
    if isinstance(s3object, dict):
        if s3object.get("storage") is None:
            return dict(s3object, storage=s3_resource_path)
        return s3object
    if isinstance(s3object, str) and not s3object.lstrip().startswith(("{", "s3:")):
        return "s3://%s/%s" % (s3_resource_path, s3object.lstrip("/"))
    return s3object


def load_s3_file(s3object, s3_resource_path=None):
    """The whole object as bytes."""
    return default_workspace().read(_in_storage(s3object, s3_resource_path))


def load_s3_file_reader(s3object, s3_resource_path=None):
    """The object as a streaming BufferedReader (close it, or use with)."""
    return default_workspace().open(_in_storage(s3object, s3_resource_path))


def write_s3_file(s3object, file_content, s3_resource_path=None,
                  content_type=None, content_disposition=None):
    """Streams file_content (bytes or a binary file object, or an iterable
    of bytes) to the object; returns its pointer ({"s3": key, ...}).
    Unlike Windmill, s3object may not be None: pail makes up no key."""
    if s3object is None:
        raise InvalidArgument(
            "write_s3_file needs a pointer: pail does not make up a key")
    return default_workspace().write(
        _in_storage(s3object, s3_resource_path), file_content,
        content_type=content_type, content_disposition=content_disposition)


def duckdb_connection_settings(s3_resource_path=""):
    """{"connection_settings_str": SQL} that lets DuckDB read the storage
    (s3_resource_path: a storage name; "" the primary)."""
    return {"connection_settings_str": default_workspace().settings(
        "duckdb", storage=s3_resource_path or None)}


def polars_connection_settings(s3_resource_path=""):
    """{"storage_options": {...}} for Polars' readers and writers."""
    return {"storage_options": default_workspace().settings(
        "polars", storage=s3_resource_path or None)}


def boto3_connection_settings(s3_resource_path=""):
    """The arguments of boto3.client("s3", **settings)."""
    return default_workspace().settings(
        "boto3", storage=s3_resource_path or None)

"""_workspace.py: pail.Workspace, a libpail workspace and the operations on
it, and the streamed reader that Workspace.open returns."""

import ctypes
import datetime
import io
import json
import logging
import os
import threading

from . import _lib
from ._errors import Conflict, check, new_error
from ._lib import PAIL_READ_TO_END, lib

byref = ctypes.byref

# Blocks of a streamed write from a file object, and the buffer of the
# BufferedReader that Workspace.open returns: the size the core's own
# transfers use (core/transfer.c).
BLOCK_SIZE = 1 << 20

_INT64_MIN = -(2**63)
_TOOLS = ("duckdb", "polars", "boto3")


# libpail's log lines go to the logging module, logger "pail", by level.
logger = logging.getLogger("pail")
_LEVELS = (logging.ERROR, logging.WARNING, logging.INFO, logging.DEBUG)


def _log_line(user_data, level, message):
    """pail_log_fn: called from any thread using a workspace, the library's
    own included; ctypes takes the GIL for it. Never raises into C."""
    try:
        logger.log(_LEVELS[level] if 0 <= level < len(_LEVELS) else logging.ERROR,
                   "%s", message.decode("utf-8", "replace") if message else "")
    except Exception:  # a handler's failure must not reach libpail
        pass


# One callback for every workspace, alive as long as the module.
_LOG_CALLBACK = _lib.LOG_FN(_log_line)


def _c_log_level():
    """The most detailed pail_log_level the "pail" logger takes now: lines
    it would drop are not even produced."""
    for c_level in (3, 2, 1):
        if logger.isEnabledFor(_LEVELS[c_level]):
            return c_level
    return 0


def _encode(text, what):
    if text is None:
        return None
    if isinstance(text, os.PathLike):
        text = os.fspath(text)
    if isinstance(text, bytes):
        return text
    if not isinstance(text, str):
        raise TypeError("%s must be a string, not %s" % (what, type(text).__name__))
    return text.encode("utf-8")


def _decode(value):
    return value.decode("utf-8", "surrogateescape") if value is not None else None


def _pointer_text(pointer):
    """The text libpail parses for any pointer form Python code holds."""
    if isinstance(pointer, dict):
        return json.dumps(pointer).encode("utf-8")
    if isinstance(pointer, (str, bytes)):
        return _encode(pointer, "a pointer")
    raise TypeError(
        "a pointer is a dict ({'s3': key}), JSON text, an s3:// URI or a key, "
        "not %s" % type(pointer).__name__)


class _Parsed:
    """A pail_pointer parsed from Python, freed on exit."""

    def __init__(self, pointer, default_storage, prefix=False):
        self.pointer = ctypes.POINTER(_lib.Pointer)()
        err = new_error()
        parse = lib.pail_pointer_parse_prefix if prefix else lib.pail_pointer_parse
        check(parse(_pointer_text(pointer), default_storage,
                    byref(self.pointer), byref(err)), err)

    def as_dict(self):
        text = _lib.take_string(lib.pail_pointer_to_json(self.pointer))
        if text is None:
            raise MemoryError("pail_pointer_to_json failed")
        return json.loads(text)

    def free(self):
        if self.pointer:
            lib.pail_pointer_free(self.pointer)
            self.pointer = ctypes.POINTER(_lib.Pointer)()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.free()


def _time(seconds, nanoseconds=0):
    if seconds == _INT64_MIN:
        return None
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc) + \
        datetime.timedelta(microseconds=nanoseconds // 1000)


def _info_dict(info, storage=None):
    """An object's info (pail_object_info) as a dict."""
    metadata = {}
    for i in range(info.metadata_count):
        entry = info.metadata[i]
        metadata[_decode(entry.name)] = _decode(entry.value)
    result = {
        "key": _decode(info.key),
        "size": info.size,
        "last_modified": _time(info.last_modified, info.last_modified_nsec),
        "etag": _decode(info.etag),
        "content_type": _decode(info.content_type),
        "content_disposition": _decode(info.content_disposition),
        "metadata": metadata,
        "is_folder": bool(info.is_folder),
    }
    if not info.is_folder and info.key is not None:
        pointer = {"s3": result["key"]}
        if storage is not None:
            pointer["storage"] = storage
        result["pointer"] = pointer
    return result


def _write_options(content_type, content_disposition, metadata, no_clobber,
                   size_hint=0):
    """pail_write_options, and what it points to (kept alive by the
    caller as long as the options are used)."""
    options = _lib.new_options(_lib.WriteOptions)
    options.content_type = _encode(content_type, "content_type")
    options.content_disposition = _encode(content_disposition,
                                          "content_disposition")
    options.if_none_match = 1 if no_clobber else 0
    options.size_hint = size_hint
    keep = []
    if metadata:
        entries = (_lib.MetadataEntry * len(metadata))()
        for i, (name, value) in enumerate(metadata.items()):
            entries[i].name = _encode(name, "a metadata name")
            entries[i].value = _encode(value, "a metadata value")
        options.metadata = entries
        options.metadata_count = len(metadata)
        keep.append(entries)
    return options, keep


def _size_of(data):
    """What is left to read of data, when it can be known cheaply (0: not
    known), for the backend's choice of one request or several parts."""
    if isinstance(data, (bytes, bytearray)):
        return len(data)
    if isinstance(data, memoryview):
        return data.nbytes
    try:
        left = os.fstat(data.fileno()).st_size - data.tell()
        return left if left > 0 else 0
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return 0


def _blocks(data):
    """The bytes of data, block by block: a bytes-like object or str (UTF-8)
    whole, a binary file object BLOCK_SIZE at a time, or each item of an
    iterable of bytes-like objects."""
    if isinstance(data, str):
        yield data.encode("utf-8")
    elif isinstance(data, (bytes, bytearray, memoryview)):
        yield data
    elif hasattr(data, "read"):
        buffer = bytearray(BLOCK_SIZE)
        view = memoryview(buffer)
        readinto = getattr(data, "readinto", None)
        while True:
            if readinto is not None:
                got = readinto(view)
                if not got:
                    return
                yield view[:got]
            else:
                block = data.read(BLOCK_SIZE)
                if not block:
                    return
                yield block.encode("utf-8") if isinstance(block, str) else block
    else:
        try:
            items = iter(data)
        except TypeError:
            raise TypeError(
                "data must be bytes, a binary file object or an iterable of "
                "bytes, not %s" % type(data).__name__) from None
        for item in items:
            if isinstance(item, str):
                item = item.encode("utf-8")
            elif not isinstance(item, (bytes, bytearray, memoryview)):
                raise TypeError("an iterable written must yield bytes, not %s"
                                % type(item).__name__)
            yield item


def _c_buffer(block):
    """block as a foreign-call argument, without a copy where ctypes allows:
    bytes directly, writable buffers through from_buffer."""
    if isinstance(block, bytes):
        return block, len(block)
    view = memoryview(block).cast("B")
    if view.readonly:
        data = view.tobytes()
        return data, len(data)
    return (ctypes.c_char * len(view)).from_buffer(view), len(view)


class Workspace:
    """A libpail workspace: its storages, access rules and key.

    config None opens the settings the CLI would ($PAIL_CONFIG, then
    ~/.config/pail/workspace.json, then the embedded default); a path opens
    that file; a dict is the settings document itself. user fills
    {username} in the access rules (None: $PAIL_USER). storage is the
    storage of bare keys (None: the primary). A Workspace may be shared by
    any number of threads; close() waits for none of them but frees the C
    workspace only once the last call and the last open reader are done.
    """

    __module__ = "pail"

    def __init__(self, config=None, user=None, storage=None):
        self._handle = None
        self._lock = threading.Lock()
        self._users = 0
        self._closing = False
        self._storage = _encode(storage, "storage")
        self._storage_name = storage
        options = _lib.new_options(_lib.Options)
        options.username = _encode(user, "user")
        # Held by the instance too: the C workspace may log until it is
        # freed, which at exit can come after the module's globals are.
        self._log_callback = _LOG_CALLBACK
        options.log = self._log_callback
        options.log_level = _c_log_level()
        handle = ctypes.c_void_p()
        err = new_error()
        if isinstance(config, dict):
            status = lib.pail_workspace_open_json(
                json.dumps(config).encode("utf-8"), byref(options),
                byref(handle), byref(err))
        else:
            path = os.fsencode(config) if config is not None else None
            status = lib.pail_workspace_open(path, byref(options),
                                             byref(handle), byref(err))
        check(status, err)
        self._handle = handle

    # ------------------------------------------------------------ lifetime
    def _acquire(self):
        with self._lock:
            if self._closing or self._handle is None:
                raise ValueError("the workspace is closed")
            self._users += 1
            return self._handle

    def _release(self):
        with self._lock:
            self._users -= 1
            last = self._closing and self._users == 0
        if last:
            self._free()

    def _free(self):
        handle, self._handle = self._handle, None
        if handle:
            lib.pail_workspace_close(handle)

    def close(self):
        """Closes the workspace: later calls raise ValueError. Calls still
        running and readers still open go on; the C workspace is freed after
        the last of them."""
        with self._lock:
            if self._closing:
                return
            self._closing = True
            idle = self._users == 0
        if idle:
            self._free()

    @property
    def closed(self):
        return self._closing

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        if getattr(self, "_lock", None) is not None and self._handle:
            self.close()

    def _call(self, function, *args):
        """Runs a libpail call on the workspace, raising its error."""
        handle = self._acquire()
        try:
            err = new_error()
            check(function(handle, *args, byref(err)), err)
        finally:
            self._release()

    def _parse(self, pointer, prefix=False):
        return _Parsed(pointer, self._storage, prefix)

    @property
    def source(self):
        """Where the settings came from: a path, "<json>" or "<embedded
        default>"."""
        handle = self._acquire()
        try:
            return _decode(lib.pail_workspace_source(handle))
        finally:
            self._release()

    # ---------------------------------------------------------------- reads
    def read(self, pointer):
        """The whole object as bytes (for objects that fit in memory; open()
        streams)."""
        with self._parse(pointer) as parsed:
            data = ctypes.c_void_p()
            length = ctypes.c_size_t()
            self._call(lib.pail_read, parsed.pointer, None, byref(data),
                       byref(length))
            try:
                return ctypes.string_at(data, length.value)
            finally:
                _lib.free(data)

    def open(self, pointer, buffer_size=BLOCK_SIZE):
        """A binary file object streaming the object: a BufferedReader over
        a pail_reader, seekable (a seek reopens the read at the new offset,
        pinned to the version first opened where the backend can pin).
        Missing objects and denied reads raise here, not at the first
        read."""
        return io.BufferedReader(_RawReader(self, pointer), buffer_size)

    def download(self, pointer, local_path):
        """Streams the object to local_path, which appears complete or not
        at all."""
        with self._parse(pointer) as parsed:
            self._call(lib.pail_download, parsed.pointer,
                       os.fsencode(local_path), None)

    def stat(self, pointer):
        """The object's size, last_modified (an aware datetime, or None),
        etag, content_type, content_disposition and metadata, as a dict."""
        with self._parse(pointer) as parsed:
            info = _lib.ObjectInfo()
            self._call(lib.pail_stat, parsed.pointer, byref(info))
            try:
                return _info_dict(info, parsed.pointer.contents.storage and
                                  _decode(parsed.pointer.contents.storage))
            finally:
                lib.pail_object_info_clear(byref(info))

    def list(self, prefix="", recursive=False, page_size=0):
        """Iterates over the objects (and, not recursive, the folders, with
        is_folder) under prefix, one page (page_size entries, 0: the
        backend's default) fetched at a time. Entries are stat()'s dicts;
        objects carry their pointer."""
        parsed = self._parse(prefix, prefix=True)
        try:
            storage = _decode(parsed.pointer.contents.storage)
            options = _lib.new_options(_lib.ListOptions)
            options.recursive = 1 if recursive else 0
            options.max_keys = page_size
            token = None
            while True:
                options.page_token = token
                page = _lib.ListPage()
                self._call(lib.pail_list, parsed.pointer, byref(options),
                           byref(page))
                try:
                    entries = [_info_dict(page.entries[i], storage)
                               for i in range(page.count)]
                    token = page.next_page_token
                finally:
                    lib.pail_list_page_clear(byref(page))
                yield from entries
                if token is None:
                    return
        finally:
            parsed.free()

    # --------------------------------------------------------------- writes
    def write(self, pointer, data, content_type=None, content_disposition=None,
              metadata=None, no_clobber=False):
        """Streams data (bytes, str as UTF-8, a binary file object, or an
        iterable of bytes) to the object and returns its pointer as a dict.
        Nothing is stored unless every byte was: any failure, the
        iterable's or the file's own included, aborts the write.
        no_clobber: fail with Conflict if the object exists."""
        options, keep = _write_options(content_type, content_disposition,
                                       metadata, no_clobber, _size_of(data))
        with self._parse(pointer) as parsed:
            handle = self._acquire()
            try:
                writer = ctypes.c_void_p()
                err = new_error()
                check(lib.pail_writer_open(handle, parsed.pointer,
                                           byref(options), byref(writer),
                                           byref(err)), err)
                try:
                    for block in _blocks(data):
                        buffer, length = _c_buffer(block)
                        if length == 0:
                            continue
                        err = new_error()
                        check(lib.pail_writer_write(writer, buffer, length,
                                                    byref(err)), err)
                        del buffer
                except BaseException:
                    lib.pail_writer_abort(writer)
                    raise
                info = _lib.ObjectInfo()
                err = new_error()
                status = lib.pail_writer_close(writer, byref(info), byref(err))
                lib.pail_object_info_clear(byref(info))
                check(status, err)
            finally:
                self._release()
            del keep
            return parsed.as_dict()

    def upload(self, local_path, pointer, content_type=None,
               content_disposition=None, metadata=None, no_clobber=False):
        """Streams the local file to the object; returns its pointer."""
        options, keep = _write_options(content_type, content_disposition,
                                       metadata, no_clobber)
        with self._parse(pointer) as parsed:
            self._call(lib.pail_upload, parsed.pointer,
                       os.fsencode(local_path), byref(options))
            del keep
            return parsed.as_dict()

    def delete(self, pointer):
        """Deletes the object (NotFound where the provider can tell it was
        missing: S3 cannot)."""
        with self._parse(pointer) as parsed:
            self._call(lib.pail_delete, parsed.pointer)

    def copy(self, source, destination):
        """Copies source to destination (server-side within one storage
        whose backend can); returns the destination's pointer."""
        with self._parse(source) as src, self._parse(destination) as dst:
            self._call(lib.pail_copy, src.pointer, dst.pointer, None)
            return dst.as_dict()

    # ------------------------------------------------------ links, settings
    def sign(self, pointer, expires=3600, method="GET"):
        """A presigned URL for the object, or where the backend cannot sign
        (fs, mem) a pointer carrying a workspace-signed grant: a dict with
        "url" or "pointer" (the other None) and "expires_at" (an aware
        datetime)."""
        options = _lib.new_options(_lib.SignOptions)
        options.method = _encode(method, "method")
        options.expires = int(expires)
        with self._parse(pointer) as parsed:
            signature = _lib.Signature()
            self._call(lib.pail_sign, parsed.pointer, byref(options),
                       byref(signature))
            try:
                grant = None
                if signature.grant:
                    text = _lib.take_string(
                        lib.pail_pointer_to_json(signature.grant))
                    grant = json.loads(text)
                return {"url": _decode(signature.url), "pointer": grant,
                        "expires_at": _time(signature.expires_at)}
            finally:
                lib.pail_signature_clear(byref(signature))

    def settings(self, tool, storage=None, gateway=None):
        """What a data tool needs to read the storage (None: the primary)
        directly: for "duckdb" SQL statements (str), for "polars" its
        storage_options and for "boto3" boto3.client("s3", **args)'s
        arguments (dicts). With gateway (the URL of `pail serve
        --s3-listen`), settings for that gateway with keys minted for the
        storage. Holds credentials: do not log it."""
        if tool not in _TOOLS:
            raise ValueError("tool must be one of %s, not %r"
                             % (", ".join(_TOOLS), tool))
        options = _lib.new_options(_lib.SettingsOptions)
        options.gateway = _encode(gateway, "gateway")
        text = ctypes.c_void_p()
        self._call(lib.pail_settings_export_with, _encode(storage, "storage"),
                   tool.encode(), byref(options), byref(text))
        text = _lib.take_string(text)
        return text if tool == "duckdb" else json.loads(text)


class _RawReader(io.RawIOBase):
    """A pail_reader as a raw binary stream. Holds a use of its workspace
    from open to close, so that closing the workspace meanwhile is safe."""

    def __init__(self, workspace, pointer):
        io.RawIOBase.__init__(self)
        self._workspace = workspace
        self._reader = None
        self._parsed = None
        self._handle = None
        try:
            self._parsed = workspace._parse(pointer)
            self._handle = workspace._acquire()
            self._position = 0
            self._etag = None
            self.size = None
            self._open_reader(0)
            info = lib.pail_reader_info(self._reader).contents
            self.size = info.size
            self.info = _info_dict(info)
            self._etag = info.etag
        except BaseException:
            self.close()
            raise

    def _open_reader(self, offset):
        options = _lib.new_options(_lib.ReadOptions)
        options.offset = offset
        options.length = PAIL_READ_TO_END
        options.large = 1
        reader = ctypes.c_void_p()
        err = new_error()
        check(lib.pail_reader_open(self._handle, self._parsed.pointer,
                                   byref(options), byref(reader), byref(err)),
              err)
        self._reader = reader
        if self.size is None:  # the first open: nothing to compare yet
            return
        # A seek reads on from a new request: the bytes must be the same
        # version's. Not pinned with if_match, which would make fs hash the
        # whole file at each seek; checked instead, by size and by etag
        # where both reads know it (the cloud backends always do).
        info = lib.pail_reader_info(reader).contents
        if info.size != self.size or (self._etag is not None and
                                      info.etag is not None and
                                      info.etag != self._etag):
            self._close_reader()
            raise Conflict("%s changed while it was being read"
                           % self.info["key"])

    def readable(self):
        return True

    def seekable(self):
        return True

    def readinto(self, buffer):
        if self.closed:
            raise ValueError("I/O operation on closed file")
        view = memoryview(buffer).cast("B")
        if len(view) == 0 or self._position >= self.size:
            return 0
        if self._reader is None:
            self._open_reader(self._position)
        target = (ctypes.c_char * len(view)).from_buffer(view)
        got = ctypes.c_size_t()
        err = new_error()
        check(lib.pail_reader_read(self._reader, target, len(view), byref(got),
                                   byref(err)), err)
        self._position += got.value
        return got.value

    def seek(self, offset, whence=io.SEEK_SET):
        if self.closed:
            raise ValueError("I/O operation on closed file")
        if whence == io.SEEK_SET:
            position = offset
        elif whence == io.SEEK_CUR:
            position = self._position + offset
        elif whence == io.SEEK_END:
            position = self.size + offset
        else:
            raise ValueError("invalid whence (%r)" % whence)
        if position < 0:
            raise ValueError("negative seek position %d" % position)
        if position != self._position:
            self._close_reader()
            self._position = position
        return position

    def tell(self):
        return self._position

    def _close_reader(self):
        if self._reader is not None:
            lib.pail_reader_close(self._reader)
            self._reader = None

    def close(self):
        if not self.closed:
            try:
                self._close_reader()
                if self._parsed is not None:
                    self._parsed.free()
                if self._handle is not None:
                    self._handle = None
                    self._workspace._release()
            finally:
                io.RawIOBase.close(self)


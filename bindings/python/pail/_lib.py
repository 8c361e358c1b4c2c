"""_lib.py: libpail through ctypes: finding the library, the C structs of
include/pail/pail.h and the prototypes of the calls the package makes.

Every call goes through ctypes.CDLL, which releases the GIL for the
duration of the foreign call: a thread blocked in a transfer never holds
up the others. The structs below mirror pail.h field for field; options
structs carry struct_size, so a newer libpail reads them as the version
this file was written against (ABI 1.x appends only).
"""

import ctypes
import ctypes.util
import os

c_char_p = ctypes.c_char_p
c_void_p = ctypes.c_void_p
c_size_t = ctypes.c_size_t
c_int = ctypes.c_int
c_int32 = ctypes.c_int32
c_int64 = ctypes.c_int64
c_uint64 = ctypes.c_uint64
POINTER = ctypes.POINTER

PAIL_READ_TO_END = 2**64 - 1


class Pointer(ctypes.Structure):
    _fields_ = [
        ("storage", c_char_p),
        ("key", c_char_p),
        ("presigned", c_char_p),
        ("extra", c_char_p),
    ]


class MetadataEntry(ctypes.Structure):
    _fields_ = [("name", c_char_p), ("value", c_char_p)]


class ObjectInfo(ctypes.Structure):
    _fields_ = [
        ("key", c_char_p),
        ("size", c_uint64),
        ("last_modified", c_int64),
        ("last_modified_nsec", c_int32),
        ("is_folder", c_int),
        ("etag", c_char_p),
        ("content_type", c_char_p),
        ("content_disposition", c_char_p),
        ("metadata", POINTER(MetadataEntry)),
        ("metadata_count", c_size_t),
    ]


LOG_FN = ctypes.CFUNCTYPE(None, c_void_p, c_int, c_char_p)
PROGRESS_FN = ctypes.CFUNCTYPE(c_int, c_void_p, c_uint64, c_uint64)
COMMITTING_FN = ctypes.CFUNCTYPE(None, c_void_p)


class Options(ctypes.Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("username", c_char_p),
        ("log", LOG_FN),
        ("log_user_data", c_void_p),
        ("log_level", c_int),
        ("max_attempts", c_int),
    ]


class ListOptions(ctypes.Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("recursive", c_int),
        ("max_keys", c_size_t),
        ("page_token", c_char_p),
    ]


class ListPage(ctypes.Structure):
    _fields_ = [
        ("entries", POINTER(ObjectInfo)),
        ("count", c_size_t),
        ("next_page_token", c_char_p),
    ]


class ReadOptions(ctypes.Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("offset", c_uint64),
        ("length", c_uint64),
        ("if_match", c_char_p),
        ("progress", PROGRESS_FN),
        ("progress_user_data", c_void_p),
        ("large", c_int),
    ]


class WriteOptions(ctypes.Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("content_type", c_char_p),
        ("content_disposition", c_char_p),
        ("if_none_match", c_int),
        ("size_hint", c_uint64),
        ("metadata", POINTER(MetadataEntry)),
        ("metadata_count", c_size_t),
        ("progress", PROGRESS_FN),
        ("progress_user_data", c_void_p),
        ("committing", COMMITTING_FN),
    ]


class SignOptions(ctypes.Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("method", c_char_p),
        ("expires", c_int64),
        ("at", c_int64),
        ("headers", POINTER(c_char_p)),
        ("header_count", c_size_t),
        ("query", POINTER(c_char_p)),
        ("query_count", c_size_t),
    ]


class Signature(ctypes.Structure):
    _fields_ = [
        ("url", c_char_p),
        ("grant", POINTER(Pointer)),
        ("expires_at", c_int64),
    ]


class SettingsOptions(ctypes.Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("gateway", c_char_p),
        ("credentials", c_void_p),
    ]


def new_options(struct):
    """An options struct as its PAIL_*_OPTIONS_INIT gives it: zeroed, with
    struct_size set (the non-zero defaults are set by the caller)."""
    options = struct()
    options.struct_size = ctypes.sizeof(struct)
    return options


def _library_path():
    """PAIL_LIBRARY, else the libpail this package was built with (the path
    `make` recorded in _build.py), else the linker's search."""
    path = os.environ.get("PAIL_LIBRARY")
    if path:
        return path
    try:
        from . import _build
    except ImportError:
        _build = None
    if _build is not None and os.path.exists(_build.LIBRARY):
        return _build.LIBRARY
    found = ctypes.util.find_library("pail")
    if found:
        return found
    raise OSError(
        "libpail not found: set PAIL_LIBRARY to its path (in a build tree, "
        ".libs/libpail.so)"
    )


def _prototype(lib, name, restype, *argtypes):
    function = getattr(lib, name)
    function.restype = restype
    function.argtypes = list(argtypes)


def _load():
    lib = ctypes.CDLL(_library_path())
    err = POINTER(c_void_p)  # pail_error **
    ws = c_void_p
    ptr = POINTER(Pointer)
    _prototype(lib, "pail_status_name", c_char_p, c_int)
    _prototype(lib, "pail_error_category", c_int, c_void_p)
    _prototype(lib, "pail_error_message", c_char_p, c_void_p)
    _prototype(lib, "pail_error_provider_code", c_char_p, c_void_p)
    _prototype(lib, "pail_error_http_status", c_int, c_void_p)
    _prototype(lib, "pail_error_request_id", c_char_p, c_void_p)
    _prototype(lib, "pail_error_free", None, c_void_p)

    _prototype(lib, "pail_pointer_parse", c_int, c_char_p, c_char_p,
               POINTER(ptr), err)
    _prototype(lib, "pail_pointer_parse_prefix", c_int, c_char_p, c_char_p,
               POINTER(ptr), err)
    _prototype(lib, "pail_pointer_new", c_int, c_char_p, c_char_p,
               POINTER(ptr), err)
    _prototype(lib, "pail_pointer_free", None, ptr)
    # Returns malloc'ed text: c_void_p, so that it can be freed.
    _prototype(lib, "pail_pointer_to_json", c_void_p, ptr)

    _prototype(lib, "pail_workspace_open", c_int, c_char_p,
               POINTER(Options), POINTER(ws), err)
    _prototype(lib, "pail_workspace_open_json", c_int, c_char_p,
               POINTER(Options), POINTER(ws), err)
    _prototype(lib, "pail_workspace_close", None, ws)
    _prototype(lib, "pail_workspace_source", c_char_p, ws)

    _prototype(lib, "pail_object_info_clear", None, POINTER(ObjectInfo))
    _prototype(lib, "pail_stat", c_int, ws, ptr, POINTER(ObjectInfo), err)
    _prototype(lib, "pail_list", c_int, ws, ptr, POINTER(ListOptions),
               POINTER(ListPage), err)
    _prototype(lib, "pail_list_page_clear", None, POINTER(ListPage))

    _prototype(lib, "pail_reader_open", c_int, ws, ptr,
               POINTER(ReadOptions), POINTER(c_void_p), err)
    _prototype(lib, "pail_reader_read", c_int, c_void_p, c_void_p, c_size_t,
               POINTER(c_size_t), err)
    _prototype(lib, "pail_reader_info", POINTER(ObjectInfo), c_void_p)
    _prototype(lib, "pail_reader_close", None, c_void_p)
    _prototype(lib, "pail_read", c_int, ws, ptr, POINTER(ReadOptions),
               POINTER(c_void_p), POINTER(c_size_t), err)
    _prototype(lib, "pail_download", c_int, ws, ptr, c_char_p,
               POINTER(ReadOptions), err)

    _prototype(lib, "pail_writer_open", c_int, ws, ptr,
               POINTER(WriteOptions), POINTER(c_void_p), err)
    _prototype(lib, "pail_writer_write", c_int, c_void_p, c_void_p, c_size_t,
               err)
    _prototype(lib, "pail_writer_close", c_int, c_void_p,
               POINTER(ObjectInfo), err)
    _prototype(lib, "pail_writer_abort", None, c_void_p)
    _prototype(lib, "pail_upload", c_int, ws, ptr, c_char_p,
               POINTER(WriteOptions), err)

    _prototype(lib, "pail_delete", c_int, ws, ptr, err)
    _prototype(lib, "pail_copy", c_int, ws, ptr, ptr, POINTER(WriteOptions),
               err)
    _prototype(lib, "pail_sign", c_int, ws, ptr, POINTER(SignOptions),
               POINTER(Signature), err)
    _prototype(lib, "pail_signature_clear", None, POINTER(Signature))
    _prototype(lib, "pail_settings_export_with", c_int, ws, c_char_p,
               c_char_p, POINTER(SettingsOptions), POINTER(c_void_p), err)
    return lib


lib = _load()
# free() as the dynamic linker resolves it for the whole process, which is
# the one paired with libpail's malloc() (an interposed allocator's, such
# as a sanitizer's, included), not necessarily libc's own.
_process = ctypes.CDLL(None)
_process.free.restype = None
_process.free.argtypes = [c_void_p]
free = _process.free


def take_string(address):
    """The text of a malloc'ed C string, which it frees; None for NULL."""
    if not address:
        return None
    try:
        return ctypes.string_at(address).decode("utf-8")
    finally:
        free(address)

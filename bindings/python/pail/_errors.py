"""_errors.py: pail_error as Python exceptions, one class per category of
pail_status, each also the built-in exception a Python program already
catches for that failure (FileNotFoundError, PermissionError, ValueError,
...)."""

import ctypes
import enum
import errno

from ._lib import lib


class Category(enum.IntEnum):
    """pail_status: the category of a failure; values as in pail.h."""

    NOT_FOUND = 1
    ACCESS_DENIED = 2
    INVALID_ARGUMENT = 3
    CONFLICT = 4
    THROTTLED = 5
    UNAVAILABLE = 6
    IO = 7
    UNSUPPORTED = 8
    INTERNAL = 9
    CANCELLED = 10

    def __str__(self):
        return lib.pail_status_name(int(self)).decode()


class Error(Exception):
    """A failure libpail reported. category is a Category; message the
    library's sentence; http_status the provider's HTTP status (None when no
    HTTP exchange was involved); provider_code and request_id the provider's
    (None when it gave none)."""

    category = None

    # One argument only: OSError, a base of some subclasses, would read
    # more as (errno, strerror, filename).
    def __init__(self, message):
        Exception.__init__(self, message)
        self.message = message
        self.http_status = None
        self.provider_code = None
        self.request_id = None

    def __str__(self):
        return self.message


class NotFound(Error, FileNotFoundError):
    category = Category.NOT_FOUND
    os_errno = errno.ENOENT


class AccessDenied(Error, PermissionError):
    category = Category.ACCESS_DENIED
    os_errno = errno.EACCES


class InvalidArgument(Error, ValueError):
    category = Category.INVALID_ARGUMENT


class Conflict(Error):
    category = Category.CONFLICT


class Throttled(Error):
    category = Category.THROTTLED


class Unavailable(Error, ConnectionError):
    category = Category.UNAVAILABLE


class IOFailure(Error, OSError):
    category = Category.IO
    os_errno = errno.EIO


class Unsupported(Error):
    category = Category.UNSUPPORTED


class InternalError(Error):
    category = Category.INTERNAL


class Cancelled(Error):
    category = Category.CANCELLED


for _cls in (Category, Error, NotFound, AccessDenied, InvalidArgument, Conflict,
             Throttled, Unavailable, IOFailure, Unsupported, InternalError,
             Cancelled):
    _cls.__module__ = "pail"  # as users name them: pail.NotFound

_CLASSES = {cls.category: cls for cls in (
    NotFound, AccessDenied, InvalidArgument, Conflict, Throttled,
    Unavailable, IOFailure, Unsupported, InternalError, Cancelled)}


def _text(value):
    return value.decode("utf-8", "replace") if value is not None else None


def from_status(status, error):
    """The exception for a failed call's status and pail_error (a c_void_p,
    possibly NULL), which it frees."""
    try:
        if error:
            category = lib.pail_error_category(error)
            message = _text(lib.pail_error_message(error))
            http_status = lib.pail_error_http_status(error) or None
            provider_code = _text(lib.pail_error_provider_code(error))
            request_id = _text(lib.pail_error_request_id(error))
        else:
            category, message = status, None
            http_status = provider_code = request_id = None
    finally:
        if error:
            lib.pail_error_free(error)
    try:
        cls = _CLASSES[Category(category)]
    except ValueError:
        cls = Error
    if message is None:
        message = lib.pail_status_name(category).decode()
    exception = cls(message)
    exception.category = Category(category) if cls is not Error else category
    exception.http_status = http_status
    exception.provider_code = provider_code
    exception.request_id = request_id
    if getattr(cls, "os_errno", None) is not None:
        exception.errno = cls.os_errno
    return exception


def check(status, error):
    """Raises the exception for status unless it is PAIL_OK."""
    if status != 0:
        raise from_status(status, error)


def new_error():
    """A NULL pail_error * to pass by reference."""
    return ctypes.c_void_p()

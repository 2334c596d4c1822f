"""The C entry points of a Python closure (cabi/ABI.md section 15): ``call``, ``retain`` and
``release``, ctypes trampolines made **once per process** and kept alive forever (guests may keep
the pointers), and ``realloc``, the C library's own.

The ``call`` trampoline runs the callable with the lifted arguments (ctypes takes the GIL, from
whatever thread the guest calls), writes the reply envelope into the guest's scratch buffer when
it fits and otherwise into ``realloc`` memory, and never lets an exception escape: any
``BaseException`` becomes an error envelope whose record has the Python frames and the
``__cause__``/``__context__`` chain. The scope of the call remembers the exception objects its
callables raised, so that when the guest hands a record back unchanged (or as a cause), the
caller gets the original Python exception, with its own traceback, in the chain.

Memory: the argument box a guest passes is read during ``call`` only; the reply is written into
the box the guest passed as ``out`` (its own scratch buffer, or C ``realloc`` memory the guest
then owns and frees with the ``realloc`` it was given).
"""

from __future__ import annotations

import contextlib
import ctypes
from typing import Any, List, Optional

from . import _names
from ._handles import CallScope, table
from ._python_records import record_of
from ._tracebacks import register_trampoline, strip_trampoline
from .codec import DecodeError, LimitError, describe, encode, lift, unpack
from .exceptions import ArgumentError, LimitExceeded
from .records import ExceptionRecord, record_key

__all__ = ["CALL_ADDRESS", "REALLOC_ADDRESS", "RELEASE_ADDRESS", "RETAIN_ADDRESS"]


class _Box(ctypes.Structure):
    _fields_ = [("ptr", ctypes.c_void_p), ("len", ctypes.c_uint64)]


_LIBC = ctypes.CDLL(None)
_realloc = _LIBC.realloc
_realloc.argtypes = (ctypes.c_void_p, ctypes.c_size_t)
_realloc.restype = ctypes.c_void_p
REALLOC_ADDRESS: int = ctypes.cast(_realloc, ctypes.c_void_p).value or 0

CALL_TYPE = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)
REF_TYPE = ctypes.CFUNCTYPE(None, ctypes.c_void_p)

_RELEASED_REPLY = encode(
    {
        "error": ExceptionRecord(
            name=_names.RELEASED_CLOSURE,
            message="the closure was called after it stopped being valid: the call it was "
            "passed to returned and it was not retained, or its last retain was released",
            language="python",
        ).to_wire()
    }
)
_NO_REPLY = b""


def _reply(out: int, data: bytes) -> None:
    """Writes a reply by the scratch-buffer protocol: into the scratch buffer when it fits, else
    into C-library ``realloc`` memory (``{NULL, 0}`` when that fails)."""
    box = _Box.from_address(out)
    size = len(data)
    if box.ptr and size <= box.len:
        ctypes.memmove(box.ptr, data, size)
        box.len = size
        return
    ptr = _realloc(None, size)
    if ptr:
        ctypes.memmove(ptr, data, size)
        box.ptr, box.len = ptr, size
    else:  # pragma: no cover - out of memory
        box.ptr, box.len = None, 0


def _error_reply(exception: BaseException, scope: Optional[CallScope]) -> bytes:
    # Without the trampoline's frame, whose locals hold the scope: the scope keeps the exception,
    # and that would be a reference cycle.
    strip_trampoline(exception)
    record = record_of(exception)
    if scope is not None:
        scope.raised[record_key(record)] = exception
    return encode({"error": record.to_wire()})


def _arguments(in_ptr: Optional[int]) -> List[Any]:
    """The arguments a peer sent a closure, checked as a guest checks its own (cabi/ABI.md
    sections 2, 4 and 11): ``virgil.ArgumentError`` for a box with a length and no pointer or
    bytes that are not one array, ``virgil.LimitExceeded`` for nesting deeper than 512."""
    box = _Box.from_address(in_ptr) if in_ptr else None
    if box is not None and box.len and not box.ptr:
        raise ArgumentError(f"closure: the argument box is {{NULL, {box.len}}}")
    data = ctypes.string_at(box.ptr, box.len) if box is not None and box.len else b""
    try:
        args = lift(unpack(data))  # (lift converts timestamps in place)
    except LimitError as error:
        raise LimitExceeded(f"closure: {error}") from None
    except DecodeError as error:
        raise ArgumentError(f"closure: the arguments are malformed: {error}") from None
    if type(args) is not list:
        raise ArgumentError(f"closure: the arguments are not an array ({describe(args)})")
    return args


def _run(env: Optional[int], in_ptr: Optional[int]) -> bytes:
    """The reply envelope of one call of the closure ``env`` with the arguments at ``in_ptr``."""
    function, scope = table.lookup(env)
    if function is None:
        return _RELEASED_REPLY
    try:
        args = _arguments(in_ptr)
        result = function(*args)
    except BaseException as exception:
        return _error_reply(exception, scope)
    try:
        return encode({"ok": result})
    except BaseException as exception:
        return _error_reply(exception, scope)


def _call(env: Optional[int], in_ptr: Optional[int], out: Optional[int]) -> None:
    """The ``call`` trampoline: never raises."""
    try:
        data = _run(env, in_ptr)
    except BaseException:  # pragma: no cover - a failure of the error path itself
        data = _NO_REPLY
    if not out:
        return
    try:
        if data:
            _reply(out, data)
        else:  # pragma: no cover
            box = _Box.from_address(out)
            box.ptr, box.len = None, 0
    except BaseException:  # pragma: no cover - nothing left to report to
        pass


def _retain(env: Optional[int]) -> None:
    with contextlib.suppress(BaseException):
        table.retain(env)


def _release(env: Optional[int]) -> None:
    with contextlib.suppress(BaseException):
        table.release(env)


register_trampoline(_run.__code__)

# Made once, kept alive for the life of the process (guests may keep the pointers).
_KEEP = (CALL_TYPE(_call), REF_TYPE(_retain), REF_TYPE(_release))
CALL_ADDRESS: int = ctypes.cast(_KEEP[0], ctypes.c_void_p).value or 0
RETAIN_ADDRESS: int = ctypes.cast(_KEEP[1], ctypes.c_void_p).value or 0
RELEASE_ADDRESS: int = ctypes.cast(_KEEP[2], ctypes.c_void_p).value or 0

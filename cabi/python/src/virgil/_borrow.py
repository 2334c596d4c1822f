"""Borrowed bytes on the host side (cabi/ABI.md section 16): lending large byte strings and strings
to a library whose manifest declares ``"borrow": true`` instead of copying them into the argument
array, and checking the borrowed values of every reply before a byte of them is read.

What is lent, and how it stays put (CPython only; on PyPy objects move, so nothing is lent):

- ``bytes``: immutable, and CPython never moves an object, so its own bytes are lent; the call
  keeps a reference to it until the guest returns.
- ``bytearray`` and C-contiguous ``memoryview`` (and other buffers of the same shape): lent through
  the buffer protocol. The call holds a buffer export until the guest returns, which also stops a
  ``bytearray`` from being resized (moved) meanwhile (``BufferError``). As for Go's ``[]byte``,
  the caller must not write to it during the call (section 16: the lent memory is read-only for
  the call); a buffer that is not contiguous is written inline (or refused) as before.
- ``str``: lent only when it is ASCII, whose UTF-8 bytes CPython keeps inside the object itself
  (no encoding, no copy); any other ``str`` is written inline (encoding it once is the copy that
  lending would save).

Values are lent when they are arguments of a call themselves (not inside lists, maps or records),
of at least the library's threshold (64 KiB by default), never in a call whose arguments hold
callables (closures, section 15: those calls write everything inline).

A reply's borrowed values are checked by :meth:`Lender.view` against the memory lent to the call:
the argument bytes (``in``) and each value lent; anything else is ``virgil.ProtocolError``, unread
(check 4). The codec copies the bytes out before the call returns to its caller.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any, Callable, List, Optional, Tuple

from ._abi import IS_PYPY, GuestMemory, InBox, in_address
from .codec import (
    BORROWED_BYTES,
    BORROWED_STR,
    MAX_LENGTH,
    BorrowError,
    borrowed,
    borrowing_hook,
)

__all__ = ["DEFAULT_BORROW_THRESHOLD", "LENDS", "Lender"]

#: The smallest argument lent rather than copied to a library declaring borrow: 64 KiB (below it a
#: copy costs less than the bookkeeping, cabi/ABI.md section 16).
DEFAULT_BORROW_THRESHOLD = 64 << 10
#: Whether this interpreter can lend at all: CPython (objects never move) on a little-endian
#: machine (the words' byte order on every platform the ABI supports).
LENDS = not IS_PYPY and hasattr(ctypes, "pythonapi") and sys.byteorder == "little"


class _Buffer(ctypes.Structure):
    """``Py_buffer`` (the buffer protocol's view, stable since Python 3.3)."""

    _fields_ = [
        ("buf", ctypes.c_void_p),
        ("obj", ctypes.c_void_p),
        ("len", ctypes.c_ssize_t),
        ("itemsize", ctypes.c_ssize_t),
        ("readonly", ctypes.c_int),
        ("ndim", ctypes.c_int),
        ("format", ctypes.c_char_p),
        ("shape", ctypes.c_void_p),
        ("strides", ctypes.c_void_p),
        ("suboffsets", ctypes.c_void_p),
        ("internal", ctypes.c_void_p),
    ]


def _python_api() -> Tuple[Any, Any, Any, Any]:
    """CPython's PyBytes_AsString, PyUnicode_AsUTF8AndSize, PyObject_GetBuffer and
    PyBuffer_Release, called with the GIL held (``ctypes.pythonapi`` raises a Python error they
    set)."""
    api = ctypes.pythonapi
    as_string = api.PyBytes_AsString
    as_string.argtypes = (ctypes.py_object,)
    as_string.restype = ctypes.c_void_p
    as_utf8 = api.PyUnicode_AsUTF8AndSize
    as_utf8.argtypes = (ctypes.py_object, ctypes.POINTER(ctypes.c_ssize_t))
    as_utf8.restype = ctypes.c_void_p
    get_buffer = api.PyObject_GetBuffer
    get_buffer.argtypes = (ctypes.py_object, ctypes.POINTER(_Buffer), ctypes.c_int)
    get_buffer.restype = ctypes.c_int
    release = api.PyBuffer_Release
    release.argtypes = (ctypes.POINTER(_Buffer),)
    release.restype = None
    return as_string, as_utf8, get_buffer, release


if LENDS:
    _AS_STRING, _AS_UTF8, _GET_BUFFER, _RELEASE = _python_api()
_PyBUF_SIMPLE = 0  # a contiguous buffer of bytes, read-only or not


class Lender:
    """The borrowed-bytes state of one call state, reused call after call (one call at a time).

    Attributes:
        spans: ``(address, length)`` of each value the current call lends.
        keep: what keeps them alive and unmoved until the call returns: the objects themselves,
            and the buffer exports to release afterwards.
        hook: the unpacker ``ext_hook`` reading the call's reply, borrowed values included
            (checked by :meth:`view`).
    """

    __slots__ = ("hook", "inbox", "keep", "memory", "spans")

    def __init__(self, inbox: InBox, memory: GuestMemory) -> None:
        self.inbox = inbox
        self.memory = memory
        self.spans: List[Tuple[int, int]] = []
        self.keep: List[Any] = []
        self.hook: Callable[[int, bytes], Any] = borrowing_hook(self.view)

    def lend(self, args: Tuple[Any, ...], threshold: int) -> Optional[Tuple[Any, ...]]:
        """The arguments with each value of at least ``threshold`` bytes (and less than 2^32)
        that can be lent replaced by its borrowed value, or None when none is lent. What is
        lent stays lent (kept alive, exports held) until :meth:`end`, which the caller runs when
        the call returns."""
        lent: Optional[List[Any]] = None
        try:
            for position, arg in enumerate(args):
                kind = type(arg)
                if kind is bytes:
                    if not threshold <= len(arg) <= MAX_LENGTH:
                        continue  # (one too long is left to the encoder, which refuses it)
                    value = self._lend_bytes(arg)
                elif kind is str:
                    if not threshold <= len(arg) <= MAX_LENGTH or not arg.isascii():
                        continue
                    value = self._lend_ascii(arg)
                elif kind is bytearray or kind is memoryview:
                    value = self._lend_buffer(arg, threshold)
                    if value is None:
                        continue
                else:
                    continue
                if lent is None:
                    lent = list(args)
                lent[position] = value
        except BaseException:
            self.end()  # nothing stays exported when lending fails half-way
            raise
        return tuple(lent) if lent is not None else None

    def _lend_bytes(self, data: bytes) -> Any:
        address = _AS_STRING(data)
        return self._record(address, len(data), data, BORROWED_BYTES)

    def _lend_ascii(self, text: str) -> Any:
        size = ctypes.c_ssize_t()
        address = _AS_UTF8(text, ctypes.byref(size))  # ASCII: the object's own bytes
        return self._record(address, size.value, text, BORROWED_STR)

    def _lend_buffer(self, data: Any, threshold: int) -> Any:
        """A contiguous buffer of at least ``threshold`` bytes, lent while an export is held;
        None for one the buffer protocol does not give as contiguous bytes (written inline)."""
        if (data.nbytes if isinstance(data, memoryview) else len(data)) < threshold:
            return None
        view = _Buffer()
        try:
            _GET_BUFFER(data, ctypes.byref(view), _PyBUF_SIMPLE)
        except (BufferError, TypeError, ValueError):
            return None
        if not threshold <= view.len <= MAX_LENGTH:
            _RELEASE(ctypes.byref(view))
            return None
        return self._record(view.buf or 0, view.len, view, BORROWED_BYTES)

    def _record(self, address: Optional[int], length: int, keep: Any, code: int) -> Any:
        self.spans.append((address or 0, length))
        self.keep.append(keep)
        return borrowed(code, address or 0, length)

    def end(self) -> None:
        """Ends what the call lent: releases the buffer exports and forgets the values."""
        for kept in self.keep:
            if type(kept) is _Buffer:
                _RELEASE(ctypes.byref(kept))
        self.keep.clear()
        self.spans.clear()

    def view(self, ptr: int, length: int) -> Any:
        """The resolver of a reply's borrowed values (check 4 of section 16): a view of the
        ``length`` bytes at ``ptr`` when they lie entirely inside the call's argument bytes or
        inside one value it lent.

        Raises:
            BorrowError: anywhere else (never read).
        """
        end = ptr + length
        start = in_address(self.inbox)
        if start and start <= ptr and end <= start + self.inbox.len:
            return self.memory.view(ptr, length)
        for address, size in self.spans:
            if address <= ptr and end <= address + size:
                return self.memory.view(ptr, length)
        lent = len(self.spans)
        raise BorrowError(
            f"a borrowed value at {ptr:#x} of {length} bytes is not inside the memory lent to the "
            f"call (its {self.inbox.len} argument bytes or the {lent} "
            f"value{'' if lent == 1 else 's'} lent)"
        )

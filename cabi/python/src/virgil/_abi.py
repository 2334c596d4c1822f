"""The C side of the ABI through ctypes: the byte box, library handles, symbols, and the memory
one call needs (cabi/ABI.md sections 1 to 3).

ctypes releases the GIL around every foreign call made through a ``CDLL`` function pointer, so
calls from many threads run in the guest at once.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from typing import Any, Callable, Optional, Tuple

__all__ = [
    "UNWRITTEN",
    "CallState",
    "GuestMemory",
    "InBox",
    "OutBox",
    "Symbol",
    "in_address",
    "open_library",
    "pin",
    "realloc_of",
    "same_object",
    "symbol",
]


class InBox(ctypes.Structure):
    """``virgil_box`` as the caller fills it for ``in``: the pointer is set straight from a
    ``bytes`` object (no copy; ctypes keeps the object alive while the box refers to it)."""

    _fields_ = [("ptr", ctypes.c_char_p), ("len", ctypes.c_uint64)]


def in_address(inbox: InBox) -> int:
    """The address an ``in`` box points at (0 for none), read as a pointer (reading ``ptr``
    itself would copy the bytes)."""
    return ctypes.c_void_p.from_buffer(inbox).value or 0


class OutBox(ctypes.Structure):
    """``virgil_box`` as the callee fills it for ``out``: the pointer reads back as an int."""

    _fields_ = [("ptr", ctypes.c_void_p), ("len", ctypes.c_uint64)]


assert ctypes.sizeof(InBox) == ctypes.sizeof(OutBox) == 16, "virgil_box is 16 bytes"

#: On PyPy, ctypes copies a ``bytes`` object handed to a ``c_char_p`` byte by byte, and copies out
#: of a memoryview of foreign memory just as slowly; there, large arguments are pinned (copied
#: once into a bytearray, at C speed) and guest replies read with ``string_at``.
IS_PYPY = sys.implementation.name == "pypy"
#: Arguments longer than this are passed by :func:`pin` rather than pointed at directly.
PIN_ABOVE = 4096 if IS_PYPY else sys.maxsize
_ONE_BYTE = ctypes.c_char * 1


def pin(data: bytes) -> Tuple[Any, Any]:
    """A ``c_char_p`` to a copy of ``data`` that stays put, and the object keeping it alive.

    One array type of one byte is laid over the copy's start (``from_buffer`` checks only that
    the buffer is long enough), so no ctypes type is made per argument size.
    """
    copy = bytearray(data)
    view = _ONE_BYTE.from_buffer(copy)
    return ctypes.cast(view, ctypes.c_char_p), (copy, view)


#: A guest function as ctypes sees it: ``void NAME(const virgil_box *in, virgil_box *out)``.
Symbol = Callable[[Any, Any], None]
Realloc = Callable[[Optional[int], int], Optional[int]]


def open_library(path: str) -> ctypes.CDLL:
    """``dlopen(path, RTLD_NOW | RTLD_LOCAL)``: every guest exports the same names, so none may
    become global (cabi/ABI.md section 12)."""
    mode = getattr(os, "RTLD_NOW", 2) | getattr(os, "RTLD_LOCAL", 0)
    return ctypes.CDLL(path, mode=mode)


class _DlInfo(ctypes.Structure):
    """``Dl_info`` of dladdr(3)."""

    _fields_ = [
        ("dli_fname", ctypes.c_char_p),
        ("dli_fbase", ctypes.c_void_p),
        ("dli_sname", ctypes.c_char_p),
        ("dli_saddr", ctypes.c_void_p),
    ]


def _find_dladdr() -> Optional[Callable[[Optional[int], Any], int]]:
    """dladdr(3) from the process (glibc 2.34+, musl, macOS) or libdl, or None."""
    for name in (None, ctypes.util.find_library("dl")):
        try:
            dladdr = ctypes.CDLL(name).dladdr
        except (OSError, AttributeError, TypeError):
            continue
        dladdr.argtypes = (ctypes.c_void_p, ctypes.POINTER(_DlInfo))
        dladdr.restype = ctypes.c_int
        return dladdr
    return None  # pragma: no cover - Windows


_DLADDR = _find_dladdr()


def _object_base(function: Any) -> Optional[int]:
    """The base address of the loaded object holding a function, or None if unknown."""
    if _DLADDR is None:  # pragma: no cover - Windows
        return None
    info = _DlInfo()
    address = ctypes.cast(function, ctypes.c_void_p).value
    if not _DLADDR(address, ctypes.byref(info)):
        return None
    base: Optional[int] = info.dli_fbase
    return base


def same_object(function: Any, other: Any) -> bool:
    """Whether two symbols lie in the same loaded object (True when that cannot be told).

    dlsym on a library handle also finds the symbols of the libraries it depends on (libc's
    ``puts``, the Go runtime's own), which do not have the ABI's signature; a library's own
    functions lie where its ``virgil_realloc`` does.
    """
    base, own = _object_base(function), _object_base(other)
    return base is None or own is None or base == own


def symbol(library: ctypes.CDLL, name: str) -> Optional[Symbol]:
    """The exported function ``name`` with the ABI's signature, or None if there is none."""
    try:
        function = library[name]
    except AttributeError:
        return None
    # No argtypes (a new function pointer has none): the two arguments are always prebuilt
    # byref() objects of the right types, and ctypes checks a POINTER argtype at a cost greater
    # than the rest of the crossing.
    function.restype = None
    return function


def realloc_of(library: ctypes.CDLL) -> Optional[Realloc]:
    """The library's ``virgil_realloc``, or None if it has none."""
    try:
        function = library["virgil_realloc"]
    except AttributeError:
        return None
    function.argtypes = (ctypes.c_void_p, ctypes.c_size_t)
    function.restype = ctypes.c_void_p
    return function


class GuestMemory:
    """Read-only views of memory a guest returned, without copying it first.

    ``view(ptr, n)`` is a memoryview of ``n`` bytes at ``ptr``, valid until the guest's buffer is
    freed. It slices one array type of a huge length laid over the address: making an array type
    per length would leave a type behind for every distinct reply size (ctypes caches them), and
    ``ctypes.string_at`` would copy every reply once more before it is decoded. (On PyPy, where
    reading such a view is slow, it is that copy.)
    """

    def __init__(self) -> None:
        length = min(sys.maxsize, 1 << 47)
        self._huge: Optional[Any] = None
        if IS_PYPY:
            return
        try:
            self._huge = ctypes.c_ubyte * length
            memoryview(self._huge.from_address(ctypes.addressof(ctypes.c_char())))
        except (OverflowError, ValueError, TypeError, MemoryError):  # pragma: no cover
            self._huge = None

    def view(self, ptr: int, length: int) -> Any:
        """The ``length`` bytes at ``ptr`` (a copy only where views are not possible)."""
        if self._huge is None or length > ctypes.sizeof(self._huge):
            return ctypes.string_at(ptr, length)
        return memoryview(self._huge.from_address(ptr))[:length]


#: The scratch buffer's first byte before every call: 0xc1 is never valid MessagePack, so a reply
#: box still equal to {scratch, capacity} with this byte is one the guest did not write.
UNWRITTEN = 0xC1


class CallState:
    """What one call needs, made once and reused: the two boxes and references to them, the
    scratch buffer lent to the guest, a packer.

    Ownership and threads: a call takes a state from its library's pool and puts it back
    afterwards, so a state is never used by two calls at once, whatever the threads (a call
    re-entering from a signal handler simply takes another one). The scratch buffer is this
    state's memory, lent to the guest for the duration of one call only: the guest may write a
    reply into it, never keep it. The ``in`` box points at the argument bytes only during a call.

    Attributes:
        inbox: the ``in`` box (:class:`InBox`).
        outbox: the ``out`` box (:class:`OutBox`). Its pointer is the scratch address whenever
            the state is not in a call (a reply written into the scratch buffer leaves it so;
            calls answered in guest memory put it back), so a call only has to set its length.
        inref: ``byref(inbox)``, made once.
        outref: ``byref(outbox)``, made once.
        scratch: the scratch buffer (a bytearray: slicing one is the cheapest way to hand a
            small reply to the unpacker), at least 4 bytes whatever is lent.
        scratch_address: its address, 0 for none (the guest then gets NULL, and a reply pointer
            is never 0).
        capacity: how many bytes of it are lent (0: none).
        packer: the packer for the arguments (replaced after a failure or a huge call).
        head: a view of the scratch buffer's first four bytes, where a reply's envelope starts.
        keep: the ctypes view that keeps the scratch buffer's address fixed.
        lender: what the call lends and how its reply's borrowed values are read (set by the
            layer that makes states: virgil._borrow.Lender).
    """

    __slots__ = (
        "capacity",
        "head",
        "inbox",
        "inref",
        "keep",
        "lender",
        "outbox",
        "outref",
        "packer",
        "scratch",
        "scratch_address",
    )

    def __init__(self, capacity: int, packer: Any) -> None:
        """A call state lending a scratch buffer of ``capacity`` bytes (0: none), packing with
        ``packer`` (a ``msgpack.Packer``: the codec's, which this layer does not import)."""
        self.inbox = InBox()
        self.scratch = bytearray(max(capacity, 4))  # the hot path reads 4 bytes, whatever is lent
        self.keep: Any = (
            (ctypes.c_char * capacity).from_buffer(self.scratch) if capacity > 0 else None
        )
        self.scratch_address: int = ctypes.addressof(self.keep) if self.keep is not None else 0
        self.capacity = capacity
        self.outbox = OutBox(self.scratch_address or None, capacity)
        self.inref: Any = ctypes.byref(self.inbox)
        self.outref: Any = ctypes.byref(self.outbox)
        self.packer: Any = packer
        self.head = memoryview(self.scratch)[:4]
        self.lender: Any = None

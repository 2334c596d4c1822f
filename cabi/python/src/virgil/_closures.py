"""Python callables as closures (cabi/ABI.md section 15).

A callable passed as an argument (at the top level or anywhere inside lists, tuples and dicts)
crosses as the extension type 64: five little-endian 64-bit words ``call, env, realloc, retain,
release``. The three function pointers are ctypes trampolines made **once per process** and kept
alive forever; ``realloc`` is the C library's ``realloc``; ``env`` is a handle into one
process-wide :class:`HandleTable`: ``(generation << 32) | slot``, never a pointer, so a guest
holding a stale ``env`` gets ``virgil.ReleasedClosure`` and never a crash.

Lifetime: a :class:`Scope` is opened for each call that passes callables. Its closures are valid
until that call returns (the scope closes); a guest that called ``retain(env)`` meanwhile keeps
its closure, and the callable in it, alive until the matching ``release(env)``.

The ``call`` trampoline runs the callable with the lifted arguments (ctypes takes the GIL, from
whatever thread the guest calls), writes the reply envelope into the guest's scratch buffer when
it fits and otherwise into ``realloc`` memory, and never lets an exception escape: any
``BaseException`` becomes an error envelope whose record has the Python frames and the
``__cause__``/``__context__`` chain. The scope remembers the exception objects its callables
raised, so that when the guest hands a record back unchanged (or as a cause), the caller gets
the original Python exception, with its own traceback, in the chain.

A record written from a Python exception follows cabi/ABI.md section 6: its name is the class's
name (Python's built-in names are the shared names of section 7.1), its attributes hold
``errno``, ``filename`` and ``filename2`` of an OSError and the exception's ``args`` when they can
cross, and its frames name files relative to their ``sys.path`` entry, without this package's own
glue frames (``virgil/_*.py``).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import struct
import sys
import threading
from functools import lru_cache
from types import CodeType, TracebackType
from typing import Any, Callable, Dict, List, Optional, Tuple

import msgpack

from .codec import (
    ClosureInContext,
    DecodeError,
    LimitError,
    describe,
    encode,
    encode_exact,
    lift,
    lower,
    needs_exact_writer,
    unpack,
)
from .records import MAX_CHAIN, MAX_FRAMES, Attributes, ExceptionRecord, Frame

__all__ = [
    "EXT_CLOSURE",
    "HandleTable",
    "Scope",
    "live_closures",
    "record_key",
    "record_of",
    "table",
]

#: The extension type of a closure.
EXT_CLOSURE = 64
_PAYLOAD = struct.Struct("<5Q")


class _Box(ctypes.Structure):
    _fields_ = [("ptr", ctypes.c_void_p), ("len", ctypes.c_uint64)]


# ---- The handle table ----------------------------------------------------------------------

# A slot: [generation, callable, retains, pinned (the call it was passed to is under way),
# the scope of that call (None once it returned)].
_GEN, _FN, _RETAINS, _PINNED, _SCOPE = range(5)


class HandleTable:
    """The callables the guests may call, by ``env`` handle. Thread-safe.

    ``env`` is ``(generation << 32) | (index + 1)``: an ``env`` whose slot was freed (or reused,
    with a new generation) is recognised as stale. A slot is freed when its call returned and
    every retain was released.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots: List[List[Any]] = []
        self._free: List[int] = []
        self._live = 0

    def add(self, function: Callable[..., Any], scope: Scope) -> int:
        """A new handle for ``function``, valid until ``scope`` closes (or its last release)."""
        with self._lock:
            if self._free:
                index = self._free.pop()
                slot = self._slots[index]
                slot[_FN] = function
                slot[_PINNED] = True
                slot[_SCOPE] = scope
            else:
                index = len(self._slots)
                if index >= 0xFFFFFFFF:  # pragma: no cover - four billion live closures
                    raise MemoryError("too many live closures")
                slot = [1, function, 0, True, scope]
                self._slots.append(slot)
            self._live += 1
            return int(slot[_GEN]) << 32 | (index + 1)

    def _slot(self, env: Optional[int]) -> Optional[List[Any]]:
        """The live slot of ``env``, or None (call with the lock held)."""
        if not env:
            return None
        index = (env & 0xFFFFFFFF) - 1
        if index < 0 or index >= len(self._slots):
            return None
        slot = self._slots[index]
        if slot[_GEN] != env >> 32 or slot[_FN] is None:
            return None
        return slot

    def lookup(self, env: Optional[int]) -> Tuple[Optional[Callable[..., Any]], Optional[Scope]]:
        """The callable of a valid ``env`` and the scope of its call (None after it returned),
        or ``(None, None)``."""
        with self._lock:
            slot = self._slot(env)
            if slot is None:
                return None, None
            return slot[_FN], slot[_SCOPE]

    def _free_slot(self, env: int, slot: List[Any]) -> None:
        slot[_FN] = None
        slot[_SCOPE] = None
        self._live -= 1
        if slot[_GEN] >= 0xFFFFFFFF:
            return  # retired: its generation would wrap, and a stale env could match again
        slot[_GEN] += 1
        self._free.append((env & 0xFFFFFFFF) - 1)

    def retain(self, env: Optional[int]) -> None:
        """One more retain of a valid ``env``; nothing for an invalid one."""
        with self._lock:
            slot = self._slot(env)
            if slot is not None:
                slot[_RETAINS] += 1

    def release(self, env: Optional[int]) -> None:
        """Gives up one retain of a valid, retained ``env``; nothing otherwise."""
        with self._lock:
            slot = self._slot(env)
            if slot is None or slot[_RETAINS] == 0:
                return
            slot[_RETAINS] -= 1
            if slot[_RETAINS] == 0 and not slot[_PINNED]:
                assert env is not None
                self._free_slot(env, slot)

    def unpin(self, envs: List[int]) -> None:
        """The call these handles were passed to returned: frees those not retained."""
        with self._lock:
            for env in envs:
                slot = self._slot(env)
                if slot is None:  # pragma: no cover - a pinned slot is never freed
                    continue
                slot[_PINNED] = False
                slot[_SCOPE] = None
                if slot[_RETAINS] == 0:
                    self._free_slot(env, slot)

    def live(self) -> int:
        """How many handles are valid now (passed to a call under way, or retained)."""
        return self._live


#: The process's one handle table.
table = HandleTable()


def live_closures() -> int:
    """How many Python callables guests can call right now: those passed to calls still under
    way, and those a guest retained and has not released. Leak tests check it returns to 0."""
    return table.live()


# ---- Exception records of Python exceptions ------------------------------------------------

_LIBC = ctypes.CDLL(None)
_realloc = _LIBC.realloc
_realloc.argtypes = (ctypes.c_void_p, ctypes.c_size_t)
_realloc.restype = ctypes.c_void_p
_REALLOC_ADDRESS: int = ctypes.cast(_realloc, ctypes.c_void_p).value or 0

_trampoline_code: Optional[CodeType] = None  # set below: frames of it are left out of tracebacks


_KIT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))


def _is_glue(file: str) -> bool:
    """Whether a frame's file is one of this package's own glue modules (``virgil/_*.py``)."""
    directory, base = os.path.split(file)
    return base.startswith("_") and directory == _KIT_DIRECTORY


@lru_cache(maxsize=1024)
def _relative(file: str, roots: Tuple[str, ...]) -> str:
    """``file`` relative to the longest ``sys.path`` entry (``roots``) that holds it, with ``/``
    separators, as Python names modules; the file as it is when no entry holds it."""
    if not os.path.isabs(file):
        return file
    best = ""
    for root in roots:
        absolute = os.path.abspath(root or os.curdir)
        if len(absolute) > len(best) and file.startswith(absolute.rstrip(os.sep) + os.sep):
            best = absolute
    if not best:
        return file
    return os.path.relpath(file, best).replace(os.sep, "/")


def _frames(tb: Optional[TracebackType]) -> Tuple[Tuple[Frame, ...], List[str]]:
    """A Python traceback as record frames, oldest call first, without the kit's glue (the
    trampoline, the crossing of a nested call), files relative to their sys.path entry."""
    frames: List[Frame] = []
    roots = tuple(entry for entry in sys.path if isinstance(entry, str))
    while tb is not None:
        code = tb.tb_frame.f_code
        if code is not _trampoline_code and not _is_glue(code.co_filename):
            function = getattr(code, "co_qualname", code.co_name)
            file = _relative(code.co_filename, roots)
            frames.append(Frame(function, file, tb.tb_lineno or 0, 0))
        tb = tb.tb_next
    notes: List[str] = []
    if len(frames) > MAX_FRAMES:
        notes.append(f"traceback cut: the {len(frames) - MAX_FRAMES} oldest frames left out")
        frames = frames[-MAX_FRAMES:]
    return tuple(frames), notes


def _path(value: Any) -> Any:
    """A file name as it crosses: str, else decoded from bytes or a path object; None if not."""
    if isinstance(value, str):
        return value
    try:
        return os.fsdecode(value)
    except TypeError:
        return None


def _attributes(exception: BaseException) -> Attributes:
    """The attributes of a Python exception's record: an OSError's ``errno``, ``filename`` and
    ``filename2``, and the ``args`` when they can cross (section 6)."""
    attributes: Dict[str, Any] = {}
    if isinstance(exception, OSError):
        number = exception.errno
        if isinstance(number, int) and not isinstance(number, bool):
            attributes["errno"] = number
        for key in ("filename", "filename2"):
            value = _path(getattr(exception, key, None))
            if value is not None:
                attributes[key] = value
    args = exception.args
    if args:
        try:
            encode(list(args))
        except Exception:  # a value with no Virgil equivalent: the args stay behind
            pass
        else:
            attributes["args"] = list(args)
    return Attributes(attributes)


def _message(exception: BaseException) -> str:
    try:
        return str(exception)
    except Exception:
        return f"<unprintable {type(exception).__name__}>"


def _chain(exception: BaseException) -> List[BaseException]:
    """The exception and its causes (``__cause__``, else ``__context__`` unless suppressed),
    outermost first, at most MAX_CHAIN, without cycles."""
    levels: List[BaseException] = []
    seen = set()
    current: Optional[BaseException] = exception
    while current is not None and id(current) not in seen and len(levels) < MAX_CHAIN:
        seen.add(id(current))
        levels.append(current)
        cause = current.__cause__
        if cause is None and not current.__suppress_context__:
            cause = current.__context__
        current = cause
    return levels


def record_of(exception: BaseException) -> ExceptionRecord:
    """The exception record of a Python exception and its causes. A level that came from a
    guest (a ForeignError) keeps its own record, and that record's causes."""
    from .exceptions import ForeignError

    levels = _chain(exception)
    record: Optional[ExceptionRecord] = None
    for level in reversed(levels):
        if isinstance(level, ForeignError):
            record = level.record
            continue
        frames, notes = _frames(level.__traceback__)
        notes += [note for note in getattr(level, "__notes__", ()) if isinstance(note, str)]
        record = ExceptionRecord(
            name=type(level).__name__,
            message=_message(level),
            language="python",
            traceback=frames,
            cause=record,
            notes=tuple(notes),
            attributes=_attributes(level),
        )
    assert record is not None
    return record


def record_key(record: ExceptionRecord) -> Tuple[Any, ...]:
    """What identifies a record that went to a guest and came back: name, message, language
    and the frames' places (a guest re-encoding the record may drop columns, notes or keys)."""
    places = tuple((f.function, f.file, f.line) for f in record.traceback)
    return (record.name, record.message, record.language, places)


# ---- Scopes: the closures of one call ------------------------------------------------------


class Scope:
    """The closures passed to one call, and the exceptions they raised during it."""

    __slots__ = ("closed", "envs", "raised")

    def __init__(self) -> None:
        self.envs: List[int] = []
        #: record_key -> the exception object a callable raised (see :func:`record_key`).
        self.raised: Dict[Tuple[Any, ...], BaseException] = {}
        self.closed = False

    def closure(self, function: Callable[..., Any]) -> msgpack.ExtType:
        """The wire value of ``function``, valid until this scope closes."""
        env = table.add(function, self)
        self.envs.append(env)
        return msgpack.ExtType(
            EXT_CLOSURE, _PAYLOAD.pack(_CALL_ADDRESS, env, _REALLOC_ADDRESS, _RETAIN, _RELEASE)
        )

    def lower(self, value: Any) -> Any:
        """The packer's ``default`` for a call: :func:`codec.lower`, with callables as closures."""
        try:
            return lower(value)
        except ClosureInContext:
            return self.closure(value)

    def encode(self, value: Any) -> bytes:
        """The canonical encoding of ``value`` with its callables as closures of this scope."""
        packer = msgpack.Packer(use_bin_type=True, default=self.lower, datetime=False)
        try:
            return packer.pack(value)  # type: ignore[no-any-return]
        except Exception as error:
            if not needs_exact_writer(error):
                raise
        self.close()  # the closures lowered before the packer stopped are not sent
        self.closed = False
        return encode_exact(value, self.lower)

    def close(self) -> None:
        """The call returned: its closures stop being valid unless a guest retained them."""
        envs, self.envs = self.envs, []
        self.closed = True
        if envs:
            table.unpin(envs)

    def __enter__(self) -> Scope:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---- The trampolines -----------------------------------------------------------------------

CALL_TYPE = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)
REF_TYPE = ctypes.CFUNCTYPE(None, ctypes.c_void_p)

_RELEASED_REPLY = encode(
    {
        "error": ExceptionRecord(
            name="virgil.ReleasedClosure",
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


def _error_reply(exception: BaseException, scope: Optional[Scope]) -> bytes:
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
    from .exceptions import ArgumentError, LimitExceeded

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


_trampoline_code = _run.__code__

# Made once, kept alive for the life of the process (guests may keep the pointers).
_KEEP = (CALL_TYPE(_call), REF_TYPE(_retain), REF_TYPE(_release))
_CALL_ADDRESS: int = ctypes.cast(_KEEP[0], ctypes.c_void_p).value or 0
_RETAIN: int = ctypes.cast(_KEEP[1], ctypes.c_void_p).value or 0
_RELEASE: int = ctypes.cast(_KEEP[2], ctypes.c_void_p).value or 0


def strip_trampoline(exception: BaseException) -> None:
    """Removes the trampoline's own frame from the head of an exception's traceback."""
    tb = exception.__traceback__
    if tb is not None and tb.tb_frame.f_code is _trampoline_code:
        exception.__traceback__ = tb.tb_next

"""Python exceptions for Virgil: the framework's own, and one class per foreign exception name.

Every exception that comes from a guest is a :class:`ForeignError` that carries its record (name,
message, language, frames, notes, attributes). Its class is chosen by the record's name:

- the framework's names (cabi/ABI.md section 7) are fixed classes: ``virgil.ArgumentError`` (a
  :class:`TypeError`), ``virgil.ResultError``, ``virgil.UnknownFunction``, ``virgil.Panic``,
  ``virgil.InternalError``, ``virgil.ProtocolError``, ``virgil.OutOfMemory`` (a
  :class:`MemoryError`), ``virgil.LimitExceeded`` and ``virgil.AbiMismatch``;
- a shared name of section 7.1 is a Python built-in name (``FileNotFoundError``, ``ValueError``,
  ``TimeoutError``, ...; ``CancelledError`` is :class:`asyncio.CancelledError`): it gets a class
  that is both a :class:`ForeignError` and that built-in, so ``except FileNotFoundError`` catches
  a Go, Rust, Haskell or C guest's missing file. A record of the OSError family that carries an
  ``errno`` gets the class its errno names (the PEP 3151 table, Linux numbering), as
  ``OSError(errno, ...)`` does in Python;
- any other name gets a :class:`ForeignError` subclass made once, the first time it is needed, and
  kept in the registry :data:`errors`: ``errors["json.SyntaxError"]``. A qualified name's class
  derives from the class of its bare name, so ``except errors.QuotaError`` (the same as
  ``errors["QuotaError"]``) catches ``app.QuotaError`` and ``billing::QuotaError`` alike, whether
  or not one was seen before the ``except`` clause was written.

A record's attributes surface idiomatically: ``e.attributes`` is the read-only mapping, an
OSError-family exception has ``errno``, ``filename``, ``filename2`` and ``strerror`` as a native
one does, a record with an ``args`` attribute has those ``args``, and any other attribute whose
key is an identifier reads as ``e.code`` (keys are matched exactly, else folded, so a Go ``Code``
field reads as ``e.code`` too). ``str(e)`` stays the level's text: its message, or its name when
the message is empty (section 6, "Text").

Haskell's ``ErrorCall`` (``error "..."``) is a :class:`Panic`; more names can be mapped onto
Python classes with :meth:`ErrorRegistry.register` before the name is first used.

Why one file of about 540 lines: the classes, the table from names and error numbers to classes,
the registry and the building of an exception from a record are one rule (which class a record
gets) read in one place; splitting the classes from the registry would also move
``ForeignError``'s ``__module__``, which pickling and ``repr`` show.
"""

from __future__ import annotations

import asyncio
import builtins
import keyword
import os
import re
import threading
from typing import (
    Any,
    Callable,
    ClassVar,
    Dict,
    Iterator,
    List,
    Mapping,
    Optional,
    Tuple,
    Type,
    cast,
)

from . import _names
from ._tracebacks import foreign_traceback, frame_label, strip_trampoline
from .records import Attributes, ExceptionRecord, record_key

__all__ = [
    "ERRNO_NAMES",
    "AbiMismatch",
    "ArgumentError",
    "ErrorRegistry",
    "ForeignError",
    "InternalError",
    "LibraryClosed",
    "LimitExceeded",
    "LoadError",
    "NotAVirgilLibrary",
    "OutOfMemory",
    "Panic",
    "ProtocolError",
    "ResultError",
    "UnknownFunction",
    "bare_name",
    "errors",
    "exception_from_record",
    "exception_with_originals",
]


class ForeignError(Exception):
    """An exception described by a Virgil exception record, usually raised by a guest.

    ``str(e)`` is the level's text: the record's message, or its name when the message is empty
    (the causes' text is theirs: they are ``e.__cause__``). The guest's frames are in
    ``e.__traceback__`` (after the Python call site), so ``traceback.print_exc()`` tells the
    whole story.

    Attributes:
        record: the :class:`~virgil.records.ExceptionRecord` (with its causes).
        name: the wire name (``"FileNotFoundError"``, ``"QuotaError"``).
        message: the message of this level alone.
        language: the language that raised it (``"go"``, ``"c"``, ``"python"``, ...).
        frames: the guest's traceback frames, oldest call first.
        notes: the record's notes (also in ``__notes__``, which Python 3.11+ prints).
        attributes: the record's attributes, a read-only mapping (keys found exactly or folded).

    Any attribute of the record whose key is a Python identifier, and which is not one of the
    exception's own attributes, reads as ``e.<key>`` (``e.code``, ``e.reason``). A transparent
    wrapper level (named like its cause, as Go's ``fmt.Errorf("...: %w", err)`` is) reads the
    attributes it lacks from its cause.
    """

    #: The wire name this class stands for.
    wire_name: ClassVar[str] = "ForeignError"

    record: ExceptionRecord
    name: str
    message: str
    language: str
    frames: Tuple[Any, ...]
    notes: Tuple[str, ...]
    attributes: Attributes

    def __init__(self, message: str = "", *, record: Optional[ExceptionRecord] = None) -> None:
        super().__init__(message)
        if record is None:
            record = ExceptionRecord(name=type(self).wire_name, message=message, language="python")
        self.record = record
        self.name = record.name
        self.message = record.message
        self.language = record.language
        self.frames = record.traceback
        self.notes = record.notes
        self.attributes = record.attributes
        if record.notes:
            self.__notes__ = list(record.notes)
        args = record.attributes.get("args") if record.attributes else None
        if isinstance(args, (list, tuple)):
            self.args = tuple(args)
        if isinstance(self, OSError):
            _set_os_fields(self, _os_fields(record))

    def __str__(self) -> str:
        return self.message or self.name

    def __getattr__(self, name: str) -> Any:
        """A record attribute by its key (exactly, else folded), or the cause's when this level
        is a transparent wrapper of it."""
        if not name.startswith("_"):
            try:
                record = object.__getattribute__(self, "record")
            except AttributeError:
                record = None
            if record is not None:
                key = record.attributes.key_of(name)
                if key is not None:
                    return record.attributes[key]
                cause = self.__cause__
                if isinstance(cause, ForeignError) and cause.name == record.name:
                    return getattr(cause, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __dir__(self) -> List[str]:
        keys = [key for key in self.attributes if key.isidentifier() and not keyword.iskeyword(key)]
        return sorted(set(super().__dir__()) | set(keys))

    def __reduce__(
        self,
    ) -> Tuple[Callable[..., ForeignError], Tuple[Any, ...]]:
        fields = _os_fields_of(self) if isinstance(self, OSError) else None
        return (_restore, (self.record, fields))


def _restore(record: ExceptionRecord, fields: Optional[Dict[str, Any]] = None) -> ForeignError:
    """Unpickles a ForeignError: its class comes back from the registry by name (and errno)."""
    errno = fields.get("errno") if fields else None
    exception = class_of(record, errno)(record.message, record=record)
    if fields and isinstance(exception, OSError):
        _set_os_fields(exception, fields)
    return exception


class ArgumentError(ForeignError, TypeError):
    """``virgil.ArgumentError``: the arguments could not be lifted (wrong count or types), by the
    guest, or could not be lowered by this host."""

    wire_name = _names.ARGUMENT_ERROR
    __module__ = "virgil"


class ResultError(ForeignError, ValueError):
    """``virgil.ResultError``: a reply could not be lifted (not an envelope, malformed, too
    deep)."""

    wire_name = _names.RESULT_ERROR
    __module__ = "virgil"


class UnknownFunction(ForeignError, AttributeError):  # type: ignore[misc]  # name: the record's
    """``virgil.UnknownFunction``: the library has no such function. An :class:`AttributeError`,
    so ``hasattr(lib, "name")`` and ``getattr(lib, "name", None)`` work."""

    wire_name = _names.UNKNOWN_FUNCTION
    __module__ = "virgil"


class Panic(ForeignError, RuntimeError):
    """``virgil.Panic``: a Go panic, Rust panic or uncaught Haskell exception in the guest; the
    message is the panic value and the frames are the panicking ones."""

    wire_name = _names.PANIC
    __module__ = "virgil"


class InternalError(ForeignError, RuntimeError):
    """``virgil.InternalError``: the framework itself failed (a broken invariant)."""

    wire_name = _names.INTERNAL_ERROR
    __module__ = "virgil"


class ProtocolError(ForeignError, RuntimeError):
    """``virgil.ProtocolError``: the peer broke the ABI's protocol (cabi/ABI.md sections 2, 3,
    15): a reply box pointing into the caller's own memory, NULL with a length, a pointer with no
    length, a length beyond the scratch buffer, a reply the callee did not write. The host frees
    nothing it was not given."""

    wire_name = _names.PROTOCOL_ERROR
    __module__ = "virgil"


class OutOfMemory(ForeignError, MemoryError):
    """``virgil.OutOfMemory``: an allocation failed; from a guest, it could not allocate its
    reply (``out`` left ``{NULL, 0}``)."""

    wire_name = _names.OUT_OF_MEMORY
    __module__ = "virgil"


class LimitExceeded(ForeignError, ValueError):
    """``virgil.LimitExceeded``: a limit of cabi/ABI.md section 11 was exceeded: nesting deeper
    than 512, a chain of more than 256 records, a traceback of more than 4,096 frames, a reply
    larger than the host's maximum (see :func:`virgil.load`'s ``max_reply``)."""

    wire_name = _names.LIMIT_EXCEEDED
    __module__ = "virgil"


class LoadError(OSError):
    """A library could not be loaded as a Virgil library."""

    __module__ = "virgil"


class NotAVirgilLibrary(LoadError):
    """The shared library loaded but is not a Virgil library: it lacks ``virgil_realloc``."""

    __module__ = "virgil"


class AbiMismatch(ForeignError, LoadError):
    """``virgil.AbiMismatch``: the library's manifest declares an ABI version this host does not
    speak. Raised by :func:`virgil.load`, before any function is called."""

    wire_name = _names.ABI_MISMATCH
    __module__ = "virgil"


class LibraryClosed(ValueError):
    """A function of a closed library was called (see :meth:`virgil.Library.close`)."""

    __module__ = "virgil"


_FRAMEWORK: Tuple[Type[ForeignError], ...] = (
    ArgumentError,
    ResultError,
    UnknownFunction,
    Panic,
    InternalError,
    ProtocolError,
    OutOfMemory,
    LimitExceeded,
    AbiMismatch,
)

# Built-in exceptions a name maps to. Left out: warnings, the iteration protocol's exceptions
# (raising them from a function misleads generators) and those whose constructors need more than
# a message.
_UNMAPPED = {"UnicodeDecodeError", "UnicodeEncodeError", "UnicodeTranslateError", "ExceptionGroup"}
_BUILTINS: Dict[str, Type[Exception]] = {
    name: value
    for name, value in vars(builtins).items()
    if isinstance(value, type)
    and issubclass(value, Exception)
    and not issubclass(value, (Warning, StopIteration, StopAsyncIteration))
    and name not in _UNMAPPED
}

# Names that mean a Python class other than the built-in of the same name: section 7.1's
# CancelledError, and Haskell's ErrorCall (``error "..."``), which is a panic. (Bare names;
# qualified names inherit through their bare name.)
_WELL_KNOWN: Dict[str, Type[BaseException]] = {
    "CancelledError": asyncio.CancelledError,
    "ErrorCall": Panic,
}

#: The shared name of each error number (cabi/ABI.md section 7.1, PEP 3151), Linux numbering.
#: A number not listed is ``OSError``.
ERRNO_NAMES: Dict[int, str] = {
    2: "FileNotFoundError",  # ENOENT
    17: "FileExistsError",  # EEXIST
    13: "PermissionError",  # EACCES
    1: "PermissionError",  # EPERM
    21: "IsADirectoryError",  # EISDIR
    20: "NotADirectoryError",  # ENOTDIR
    110: "TimeoutError",  # ETIMEDOUT
    4: "InterruptedError",  # EINTR
    11: "BlockingIOError",  # EAGAIN
    114: "BlockingIOError",  # EALREADY
    115: "BlockingIOError",  # EINPROGRESS
    32: "BrokenPipeError",  # EPIPE
    108: "BrokenPipeError",  # ESHUTDOWN
    111: "ConnectionRefusedError",  # ECONNREFUSED
    104: "ConnectionResetError",  # ECONNRESET
    103: "ConnectionAbortedError",  # ECONNABORTED
    10: "ChildProcessError",  # ECHILD
    3: "ProcessLookupError",  # ESRCH
}

# The names whose errno chooses the class: OSError and its built-in subclasses.
_OS_FAMILY = frozenset(name for name, value in _BUILTINS.items() if issubclass(value, OSError))

_OS_KEYS = ("errno", "filename", "filename2")


def _os_fields(record: ExceptionRecord) -> Optional[Dict[str, Any]]:
    """The OSError fields a record's own attributes give (errno, filename, filename2,
    strerror), or None when it has no ``errno`` (an int)."""
    attributes = record.attributes
    errno = attributes.get("errno") if attributes else None
    if isinstance(errno, bool) or not isinstance(errno, int):
        return None
    fields = {key: attributes.get(key) for key in _OS_KEYS}
    try:
        fields["strerror"] = os.strerror(errno)
    except (ValueError, OverflowError):
        fields["strerror"] = record.message or None
    return fields


def _os_fields_of(exception: OSError) -> Dict[str, Any]:
    return {key: getattr(exception, key) for key in (*_OS_KEYS, "strerror")}


def _set_os_fields(exception: OSError, fields: Optional[Dict[str, Any]]) -> None:
    """Sets an OSError's errno, filename, filename2 and strerror as a native one has them (a
    level without an errno keeps its message as strerror)."""
    if fields is None:
        message = exception.message if isinstance(exception, ForeignError) else ""
        fields = {"strerror": message or None}
        if isinstance(exception, ForeignError):
            for key in ("filename", "filename2"):
                value = exception.attributes.get(key)
                if value is not None:
                    fields[key] = value
    for key, value in fields.items():
        setattr(exception, key, value)  # OSError's fields take any object


def class_of(record: ExceptionRecord, errno: Optional[int] = None) -> Type[ForeignError]:
    """The class of a record's exception: by its name, except that an OSError-family record
    with an errno (its own, or ``errno`` surfaced from the level it wraps) gets the class that
    errno names (``OSError`` with errno 2 is a FileNotFoundError)."""
    if errno is None:
        fields = _os_fields(record)
        errno = fields["errno"] if fields else None
    if errno is not None and bare_name(record.name) in _OS_FAMILY:
        shared = ERRNO_NAMES.get(errno)
        if shared is not None:
            return errors[shared]
    return errors[record.name]


_GENERIC_ARGUMENTS = re.compile(r"\[.*\]|<.*>")
_SEPARATORS = re.compile(r"::|[./\\]")


def bare_name(name: str) -> str:
    """A wire name without its qualifiers, as a Python identifier: ``json.SyntaxError`` ->
    ``SyntaxError``, ``std::io::Error`` -> ``Error``, ``Result<T>`` -> ``Result``."""
    text = _GENERIC_ARGUMENTS.sub("", name).lstrip("*&")
    parts = [part for part in _SEPARATORS.split(text) if part]
    identifier = re.sub(r"\W", "_", parts[-1] if parts else text)
    if not identifier or identifier[0].isdigit():
        identifier = "_" + identifier
    if keyword.iskeyword(identifier):
        identifier += "_"
    return identifier


class ErrorRegistry:
    """The exception classes of foreign names, made once per name on first use.

    ``errors["app.QuotaError"]`` is the class of exactly that name; ``errors.QuotaError`` is
    ``errors["QuotaError"]``, the class every ``...QuotaError`` derives from. Thread-safe.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._classes: Dict[str, Type[ForeignError]] = {cls.wire_name: cls for cls in _FRAMEWORK}
        self._bases: Dict[str, Type[BaseException]] = dict(_WELL_KNOWN)

    def __getitem__(self, name: str) -> Type[ForeignError]:
        """The class of the wire name ``name``, made now if it is new."""
        cls = self._classes.get(name)
        if cls is not None:
            return cls
        if not isinstance(name, str) or not name:
            raise KeyError(name)
        with self._lock:
            cls = self._classes.get(name)
            if cls is None:
                cls = self._classes[name] = self._make(name)
            return cls

    def __getattr__(self, name: str) -> Type[ForeignError]:
        """``errors.QuotaError`` is ``errors["QuotaError"]``."""
        if name.startswith("_"):  # keeps introspection (_repr_html_, __wrapped__, ...) quiet
            raise AttributeError(name)
        return self[name]

    def __contains__(self, name: object) -> bool:
        """Whether the class of this name exists already."""
        return name in self._classes

    def __iter__(self) -> Iterator[str]:
        """The names whose classes exist, in the order they were made."""
        return iter(list(self._classes))

    def __len__(self) -> int:
        return len(self._classes)

    def __dir__(self) -> List[str]:
        names = [name for name in self._classes if name.isidentifier()]
        return sorted(set(names) | set(super().__dir__()))

    def __repr__(self) -> str:
        return f"<virgil.errors: {len(self._classes)} exception classes>"

    def register(self, name: str, base: Type[Exception]) -> Type[ForeignError]:
        """Makes exceptions named ``name`` also instances of ``base`` (a Python exception class),
        and returns their class. A bare name covers its qualified forms too.

        Raises:
            ValueError: the class of ``name`` exists already and does not derive from ``base``.
        """
        with self._lock:
            existing = self._classes.get(name)
            if existing is not None:
                if issubclass(existing, base):
                    return existing
                raise ValueError(f"the exception class of {name!r} exists already")
            self._bases[name] = base
            return self[name]

    def _make(self, name: str) -> Type[ForeignError]:
        parents: List[type] = []
        bare = bare_name(name)
        if bare != name:
            parents.append(self[bare])
        base = self._bases.get(name) or _BUILTINS.get(name)
        if base is not None and not any(issubclass(parent, base) for parent in parents):
            parents.append(base)
        if not any(issubclass(parent, ForeignError) for parent in parents):
            parents.insert(0, ForeignError)
        # A class name cannot hold NUL (a peer's name can): it is shown escaped, the wire name
        # stays as it came.
        shown = name.replace("\0", "\\0")
        namespace = {
            "__module__": "virgil.errors",
            "__qualname__": shown,
            "__doc__": f"The foreign exception {name!r}.",
            "wire_name": name,
        }
        return cast(Type[ForeignError], type(shown, tuple(parents), namespace))


#: The registry of exception classes by wire name (also ``Library.errors``).
errors = ErrorRegistry()


def exception_from_record(record: ExceptionRecord) -> ForeignError:
    """The Python exception for a record: the right class, the record's fields, the guest's
    frames as its ``__traceback__`` and its causes as a ``__cause__`` chain.

    Raise it where the call was made: Python then puts the caller's frames in front of the
    guest's.
    """
    return cast(ForeignError, exception_with_originals(record, None))


def exception_with_originals(
    record: ExceptionRecord,
    originals: Optional[Mapping[Tuple[Any, ...], BaseException]],
) -> BaseException:
    """:func:`exception_from_record`, where ``originals`` maps the keys
    (:func:`virgil.records.record_key`) of records made from exceptions that Python callbacks
    raised during the call to those exceptions: the first level of the chain that is one of them
    is that exception object itself (with its own traceback and causes), so the caller can catch
    the very exception its callback raised. Without originals the result is a ForeignError.
    """
    chain = record.chain()
    original: Optional[BaseException] = None
    if originals:
        for depth, level in enumerate(chain):
            original = originals.get(record_key(level))
            if original is not None:
                strip_trampoline(original)
                chain = chain[:depth]
                break
    if original is not None and not chain:
        return original
    # OS fields surface through transparent wrappers: a level named like its cause, with no
    # errno of its own, takes its cause's errno and file names (innermost first).
    surfaced: List[Optional[Dict[str, Any]]] = [None] * len(chain)
    for depth in range(len(chain) - 1, -1, -1):
        own = _os_fields(chain[depth])
        if own is None and depth + 1 < len(chain) and chain[depth + 1].name == chain[depth].name:
            own = surfaced[depth + 1]
        surfaced[depth] = own
    made = []
    for level, fields in zip(chain, surfaced):
        exception = class_of(level, fields["errno"] if fields else None)(
            level.message, record=level
        )
        if fields is not None and isinstance(exception, OSError):
            _set_os_fields(exception, fields)
        made.append(exception)
    for exception, level in zip(made, chain):
        tb = foreign_traceback(level.traceback, level.language)
        if tb is not None:
            exception.__traceback__ = tb
        elif level.traceback:  # pragma: no cover - a Python that cannot build tracebacks
            lines = [f"  {frame_label(f.function, level.language)} at {f}" for f in level.traceback]
            exception.__notes__ = [*getattr(exception, "__notes__", []), "guest frames:", *lines]
    for outer, inner in zip(made, made[1:]):
        outer.__cause__ = inner
    if original is not None:
        made[-1].__cause__ = original
    return made[0]

"""Python exceptions for Virgil: the framework's own, and one class per foreign exception name.

Every exception that comes from a guest is a :class:`ForeignError` that carries its record (name,
message, language, frames, notes). Its class is chosen by the record's name:

- the framework's names (cabi/ABI.md section 7) are fixed classes: ``virgil.ArgumentError`` (a
  :class:`TypeError`), ``virgil.ResultError``, ``virgil.UnknownFunction``, ``virgil.Panic``,
  ``virgil.InternalError`` and ``virgil.AbiMismatch``;
- a Python built-in name (``ZeroDivisionError``, ``ValueError``, ``KeyError``, ...) gets a class
  that is both a :class:`ForeignError` and that built-in, so ``except ZeroDivisionError`` works;
- any other name gets a :class:`ForeignError` subclass made once, the first time it is needed, and
  kept in the registry :data:`errors`: ``errors["*fs.PathError"]``. A qualified name's class
  derives from the class of its bare name, so ``except errors.PathError`` (the same as
  ``errors["PathError"]``) catches ``*fs.PathError`` and ``*os.PathError`` alike, whether or not
  one was seen before the ``except`` clause was written.

A few names from other languages are known to mean a Python built-in (``ErrorCall``, Haskell's
``error``, is a :class:`Panic`; a Go ``PathError`` is an :class:`OSError`, ...); more can be added
with :meth:`ErrorRegistry.register` before the name is first used.
"""

from __future__ import annotations

import builtins
import keyword
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

from ._tracebacks import foreign_traceback, frame_label
from .records import ExceptionRecord

__all__ = [
    "AbiMismatch",
    "ArgumentError",
    "ErrorRegistry",
    "ForeignError",
    "InternalError",
    "LibraryClosed",
    "LoadError",
    "NotAVirgilLibrary",
    "Panic",
    "ResultError",
    "UnknownFunction",
    "bare_name",
    "errors",
    "exception_from_record",
    "exception_with_originals",
]


class ForeignError(Exception):
    """An exception described by a Virgil exception record, usually raised by a guest.

    ``str(e)`` is the record's message. The record's fields are attributes; the guest's frames
    are also in ``e.__traceback__`` (after the Python call site) and its cause in ``e.__cause__``,
    so ``traceback.print_exc()`` tells the whole story.

    Attributes:
        record: the :class:`~virgil.records.ExceptionRecord` (with its causes).
        name: the wire name (``"*fs.PathError"``).
        message: the message of this level alone.
        language: the language that raised it (``"go"``, ``"c"``, ``"python"``, ...).
        frames: the guest's traceback frames, oldest call first.
        notes: the record's notes (also in ``__notes__``, which Python 3.11+ prints).
    """

    #: The wire name this class stands for.
    wire_name: ClassVar[str] = "ForeignError"

    record: ExceptionRecord
    name: str
    message: str
    language: str
    frames: Tuple[Any, ...]
    notes: Tuple[str, ...]

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
        if record.notes:
            self.__notes__ = list(record.notes)

    def __str__(self) -> str:
        return self.message

    def __reduce__(
        self,
    ) -> Tuple[Callable[[ExceptionRecord], ForeignError], Tuple[ExceptionRecord]]:
        return (_restore, (self.record,))


def _restore(record: ExceptionRecord) -> ForeignError:
    """Unpickles a ForeignError: its class comes back from the registry by name."""
    return errors[record.name](record.message, record=record)


class ArgumentError(ForeignError, TypeError):
    """``virgil.ArgumentError``: the arguments could not be lifted (wrong count or types), by the
    guest, or could not be lowered by this host."""

    wire_name = "virgil.ArgumentError"
    __module__ = "virgil"


class ResultError(ForeignError, ValueError):
    """``virgil.ResultError``: a reply could not be lifted (not an envelope, malformed, too
    deep)."""

    wire_name = "virgil.ResultError"
    __module__ = "virgil"


class UnknownFunction(ForeignError, AttributeError):  # type: ignore[misc]  # name: the record's
    """``virgil.UnknownFunction``: the library has no such function. An :class:`AttributeError`,
    so ``hasattr(lib, "name")`` and ``getattr(lib, "name", None)`` work."""

    wire_name = "virgil.UnknownFunction"
    __module__ = "virgil"


class Panic(ForeignError, RuntimeError):
    """``virgil.Panic``: a Go panic, Rust panic or uncaught Haskell exception in the guest; the
    message is the panic value and the frames are the panicking ones."""

    wire_name = "virgil.Panic"
    __module__ = "virgil"


class InternalError(ForeignError, RuntimeError):
    """``virgil.InternalError``: the framework itself failed (the guest could not allocate its
    reply, a broken invariant)."""

    wire_name = "virgil.InternalError"
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

    wire_name = "virgil.AbiMismatch"
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

# Names other languages use for what Python has a built-in for (bare names; qualified names such
# as "*fs.PathError" inherit through their bare name).
_WELL_KNOWN: Dict[str, Type[Exception]] = {
    "ErrorCall": Panic,  # Haskell: error "..."
    "ArithException": ArithmeticError,  # Haskell
    "IOException": OSError,  # Haskell
    "PathError": OSError,  # Go: *fs.PathError, *os.PathError
    "SyscallError": OSError,  # Go: *os.SyscallError
    "NumError": ValueError,  # Go: *strconv.NumError
    "ParseIntError": ValueError,  # Rust
    "ParseFloatError": ValueError,  # Rust
}

_GENERIC_ARGUMENTS = re.compile(r"\[.*\]|<.*>")
_SEPARATORS = re.compile(r"::|[./\\]")


def bare_name(name: str) -> str:
    """A wire name without its qualifiers, as a Python identifier: ``*fs.PathError`` ->
    ``PathError``, ``std::io::Error`` -> ``Error``, ``Result<T>`` -> ``Result``."""
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

    ``errors["*fs.PathError"]`` is the class of exactly that name; ``errors.PathError`` is
    ``errors["PathError"]``, the class every ``...PathError`` derives from. Thread-safe.
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
        """``errors.PathError`` is ``errors["PathError"]``."""
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
        namespace = {
            "__module__": "virgil.errors",
            "__qualname__": name,
            "__doc__": f"The foreign exception {name!r}.",
            "wire_name": name,
        }
        return cast(Type[ForeignError], type(name, tuple(parents), namespace))


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
    (:func:`virgil._closures.record_key`) of records made from exceptions that Python callbacks
    raised during the call to those exceptions: the first level of the chain that is one of them
    is that exception object itself (with its own traceback and causes), so the caller can catch
    the very exception its callback raised. Without originals the result is a ForeignError.
    """
    chain = record.chain()
    original: Optional[BaseException] = None
    if originals:
        from ._closures import record_key, strip_trampoline

        for depth, level in enumerate(chain):
            original = originals.get(record_key(level))
            if original is not None:
                strip_trampoline(original)
                chain = chain[:depth]
                break
    if original is not None and not chain:
        return original
    made = [errors[level.name](level.message, record=level) for level in chain]
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

"""Loading a Virgil library and reaching its functions.

:func:`load` opens a shared library, checks that it is a Virgil library (it exports
``virgil_realloc``), reads its manifest when it has one (refusing another ABI version), and returns
a :class:`Library` whose functions are attributes: ``lib.add(1, 2)``.
"""

from __future__ import annotations

import errno
import os
import threading
from types import MappingProxyType, TracebackType
from typing import Any, Dict, Iterator, List, Mapping, Optional, Type, Union

from ._abi import Symbol, open_library, realloc_of, same_object, symbol
from ._binding import Function, bind
from ._borrow import DEFAULT_BORROW_THRESHOLD, LENDS
from ._crossing import Core, cross
from .codec import DecodeError, lift, split_envelope
from .exceptions import (
    AbiMismatch,
    ErrorRegistry,
    ForeignError,
    LoadError,
    NotAVirgilLibrary,
    ResultError,
    UnknownFunction,
    errors,
    exception_from_record,
)
from .manifest import ABI_VERSION, Manifest, ManifestError
from .records import ExceptionRecord, RecordError

__all__ = [
    "DEFAULT_BORROW_THRESHOLD",
    "DEFAULT_MAX_REPLY",
    "DEFAULT_SCRATCH_SIZE",
    "Library",
    "load",
]

#: Bytes of the scratch buffer each call lends to the guest: replies up to this size cost the
#: guest no allocation and the host no free.
DEFAULT_SCRATCH_SIZE = 16 * 1024
#: The longest reply a guest may give, in bytes (cabi/ABI.md section 11): a longer one is
#: ``virgil.LimitExceeded``, freed unread.
DEFAULT_MAX_REPLY = 1 << 30

# Symbols of the ABI itself, callable by name even when a manifest does not list them.
_ABI_SYMBOLS = ("virgil_manifest", "virgil_stats")


def _resolve(path: str) -> str:
    """A path with a directory must name an existing file. A bare file name means the file in the
    working directory when there is one (dlopen alone would search only the system's library
    paths), else it is left to dlopen's search."""
    if os.sep not in path and (os.altsep is None or os.altsep not in path):
        return os.path.join(os.curdir, path) if os.path.exists(path) else path
    if not os.path.exists(path):
        raise FileNotFoundError(errno.ENOENT, "no such Virgil library", path)
    return path


def load(
    path: Union[str, "os.PathLike[str]"],
    *,
    scratch_size: int = DEFAULT_SCRATCH_SIZE,
    max_reply: int = DEFAULT_MAX_REPLY,
    borrow_threshold: int = DEFAULT_BORROW_THRESHOLD,
) -> Library:
    """Loads the Virgil library at ``path``.

    Args:
        path: the shared library (``.so``, ``.dylib``, ``.dll``).
        scratch_size: bytes lent to the guest per call for its reply (0 lends none, so every
            reply is allocated by the guest and freed by the host).
        max_reply: the longest reply accepted, in bytes (1 GiB by default); a longer one raises
            ``virgil.LimitExceeded`` without being read.
        borrow_threshold: the smallest ``bytes``, ``bytearray``, ``memoryview`` or ASCII ``str``
            argument lent to the guest for the call instead of copied (cabi/ABI.md section 16),
            when the library's manifest declares ``"borrow": true``: 64 KiB by default, 0 never
            lends. A lent ``bytearray`` or ``memoryview`` must not be written during the call.

    Raises:
        FileNotFoundError: there is no such file (a bare file name that is not in the working
            directory is looked for by dlopen, in the system's library paths).
        LoadError: the file cannot be loaded as a shared library.
        NotAVirgilLibrary: it does not export ``virgil_realloc``.
        AbiMismatch: its manifest declares an ABI version this host does not speak.
        ResultError: its manifest cannot be read.
    """
    return Library(
        path, scratch_size=scratch_size, max_reply=max_reply, borrow_threshold=borrow_threshold
    )


class Library:
    """A loaded Virgil library. Safe to use from many threads at once.

    Functions listed in the manifest are attributes (``lib.add``) and items (``lib["add"]``);
    ``lib.call("add", 1, 2)`` calls by name, with or without a manifest. A function whose name
    collides with an attribute of this class (``call``, ``close``, ...) is reached as an item.
    A library is never unloaded (a Go runtime cannot be); :meth:`close` only stops further calls.
    """

    path: str
    manifest: Optional[Manifest]
    errors: ErrorRegistry

    def __init__(
        self,
        path: Union[str, "os.PathLike[str]"],
        *,
        scratch_size: int = DEFAULT_SCRATCH_SIZE,
        max_reply: int = DEFAULT_MAX_REPLY,
        borrow_threshold: int = DEFAULT_BORROW_THRESHOLD,
    ) -> None:
        self.path = _resolve(os.fspath(path))
        if scratch_size < 0:
            raise ValueError(f"scratch_size must be 0 or more, not {scratch_size}")
        if max_reply < 1:
            raise ValueError(f"max_reply must be 1 or more, not {max_reply}")
        if borrow_threshold < 0:
            raise ValueError(f"borrow_threshold must be 0 or more, not {borrow_threshold}")
        try:
            self._cdll = open_library(self.path)
        except OSError as error:
            raise LoadError(f"cannot load {self.path}: {error}") from error
        realloc = realloc_of(self._cdll)
        if realloc is None:
            raise NotAVirgilLibrary(
                f"{self.path} is not a Virgil library: it does not export virgil_realloc"
            )
        self._realloc = realloc
        self._core = Core(self.path, realloc, scratch_size, max_reply)
        self._lock = threading.Lock()
        self._functions: Dict[str, Function] = {}
        self.errors = errors
        self.manifest = self._read_manifest()
        if self.manifest is not None and self.manifest.borrow and LENDS:
            self._core.lend_at = borrow_threshold
        if self.manifest is not None:
            for info in self.manifest.functions:
                fn = symbol(self._cdll, info.name)
                if fn is not None:
                    self._functions[info.name] = self._bind(info.name, fn)
        # Manifest functions are instance attributes (fast), unless a name is taken by the class.
        for name, function in self._functions.items():
            if name.isidentifier() and not hasattr(type(self), name):
                self.__dict__[name] = function
        self.functions: Mapping[str, Function] = MappingProxyType(dict(self._functions))

    def _read_manifest(self) -> Optional[Manifest]:
        fn = symbol(self._cdll, "virgil_manifest")
        if fn is None:
            return None  # allowed for hand-written C guests: symbol lookup alone
        value = self._call_abi_symbol("virgil_manifest", fn)
        abi = Manifest.abi_of(value)
        if abi != ABI_VERSION:
            raise AbiMismatch(
                f"{self.path} speaks Virgil ABI version {abi}; "
                f"this host speaks version {ABI_VERSION}"
            )
        try:
            return Manifest.from_wire(value)
        except ManifestError as error:
            raise ResultError(f"{self.path}: malformed manifest: {error}") from None

    def _call_abi_symbol(self, name: str, fn: Symbol) -> Any:
        """Calls a symbol of the ABI (manifest, stats) with ``[]`` and lifts its ``ok`` value."""
        envelope = cross(self._core, self._core.new_state(0), fn, name, b"\x90")
        try:
            ok, payload = split_envelope(envelope)
            if ok:
                return lift(payload)
            failure: ForeignError = exception_from_record(ExceptionRecord.from_wire(lift(payload)))
        except (DecodeError, RecordError) as error:
            raise ResultError(f"{self.path}: {name}: {error}") from None
        raise failure

    def _bind(self, name: str, fn: Symbol) -> Function:
        manifest = self.manifest
        info = manifest.function(name) if manifest is not None else None
        if info is not None and manifest is not None:
            origin = f"{manifest.library} {manifest.version} ({manifest.language}), {self.path}"
            footer = f"Virgil: {info.describe()}\nLibrary: {origin}"
            doc = "\n\n".join(part for part in (info.doc.strip(), footer) if part)
        elif name in _ABI_SYMBOLS:
            doc = f"The ABI's own {name} of {self.path} (cabi/ABI.md)."
        else:
            doc = f"The function {name!r} of {self.path} (no manifest: arguments are not checked)."
        module = (
            self.manifest.library
            if self.manifest and self.manifest.library
            else os.path.basename(self.path)
        )
        return bind(self._core, name, fn, info, module=module, doc=doc)

    def __getitem__(self, name: str) -> Function:
        """The function exported as ``name``.

        Raises:
            UnknownFunction: the library has no such function (with a manifest: the manifest
                does not list it; without one: no such symbol).
        """
        function = self._functions.get(name)
        if function is not None:
            return function
        if not isinstance(name, str) or not name:
            raise UnknownFunction(f"{self.path} has no function {name!r}")
        refusal = self._refusal(name)
        fn = symbol(self._cdll, name) if refusal is None else None
        if fn is None and refusal is None:
            refusal = "is not exported"
        if fn is not None and self.manifest is None and not same_object(fn, self._realloc):
            refusal = "is not defined by the library itself (it comes from a library it depends on)"
        if refusal is not None or fn is None:
            raise UnknownFunction(f"{self.path} has no function {name!r}: the symbol {refusal}")
        with self._lock:
            return self._functions.setdefault(name, self._bind(name, fn))

    def _refusal(self, name: str) -> Optional[str]:
        """Why ``name`` may not be called as a function of this library, or None if it may."""
        if name in _ABI_SYMBOLS:
            return None
        if name.startswith("virgil_"):
            return "is part of the ABI, not a function"
        if self.manifest is not None and self.manifest.function(name) is None:
            return "is not in its manifest"
        return None

    def __getattr__(self, name: str) -> Function:
        """``lib.name`` for a function the manifest does not list (or without a manifest)."""
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]

    def __contains__(self, name: object) -> bool:
        """Whether the library has a function called ``name``."""
        if not isinstance(name, str):
            return False
        try:
            self[name]
        except UnknownFunction:
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        """The names of the manifest's functions."""
        return iter(self.functions)

    def __dir__(self) -> List[str]:
        return sorted(set(super().__dir__()) | {n for n in self.functions if n.isidentifier()})

    def call(self, name: str, /, *args: Any, **kwargs: Any) -> Any:
        """Calls the function called ``name`` with these arguments.

        Raises:
            UnknownFunction: there is no such function.
            ForeignError: the guest failed (a subclass per exception name).
        """
        return self[name](*args, **kwargs)

    def close(self) -> None:
        """Stops further calls (they raise :class:`virgil.LibraryClosed`); calls under way finish.
        The library stays loaded: a Go runtime cannot be unloaded (cabi/ABI.md section 12)."""
        self._core.closed = True

    @property
    def borrow_threshold(self) -> int:
        """The smallest argument lent to this library for a call (cabi/ABI.md section 16), or 0
        when none is: its manifest does not declare borrow, ``borrow_threshold=0`` was asked, or
        this interpreter cannot lend (PyPy moves objects)."""
        return self._core.lend_at

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._core.closed

    def __enter__(self) -> Library:
        return self

    def __exit__(
        self,
        kind: Optional[Type[BaseException]],
        value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = " (closed)" if self._core.closed else ""
        if self.manifest is None:
            return f"<virgil.Library {self.path!r} without a manifest{state}>"
        m = self.manifest
        return (
            f"<virgil.Library {m.library!r} {m.version} ({m.language}) from {self.path!r}{state}>"
        )

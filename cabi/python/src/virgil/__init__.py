"""Virgil for Python: call any Virgil library (Go, C, Rust, Haskell, ...) as if it were Python.

>>> import virgil
>>> lib = virgil.load("build/libconformance_go.so")
>>> lib.add(1, 2)
3
>>> lib.divide(1.0, 0.0)
Traceback (most recent call last):
  ...
  File "/src/go-guest/main.go", line 40, in main.Divide [go]
virgil.errors.ZeroDivisionError: division by zero

Every function crosses the C ABI of cabi/ABI.md as MessagePack in a byte box; this package lowers
Python values, makes the ctypes call and lifts the reply, turning a guest's failure into a Python
exception with the guest's frames in its traceback and its causes as ``__cause__``.
"""

from __future__ import annotations

from ._binding import Function
from ._handles import live_closures
from .codec import Extension, decode, encode
from .exceptions import (
    AbiMismatch,
    ArgumentError,
    ErrorRegistry,
    ForeignError,
    InternalError,
    LibraryClosed,
    LimitExceeded,
    LoadError,
    NotAVirgilLibrary,
    OutOfMemory,
    Panic,
    ProtocolError,
    ResultError,
    UnknownFunction,
    errors,
)
from .library import (
    DEFAULT_BORROW_THRESHOLD,
    DEFAULT_MAX_REPLY,
    DEFAULT_SCRATCH_SIZE,
    Library,
    load,
)
from .manifest import ABI_VERSION, FunctionInfo, Manifest, Param
from .records import ExceptionRecord, Frame
from .values import Float32, Time

__version__ = "0.1.0"

__all__ = [
    "ABI_VERSION",
    "DEFAULT_BORROW_THRESHOLD",
    "DEFAULT_MAX_REPLY",
    "DEFAULT_SCRATCH_SIZE",
    "AbiMismatch",
    "ArgumentError",
    "ErrorRegistry",
    "ExceptionRecord",
    "Extension",
    "Float32",
    "ForeignError",
    "Frame",
    "Function",
    "FunctionInfo",
    "InternalError",
    "Library",
    "LibraryClosed",
    "LimitExceeded",
    "LoadError",
    "Manifest",
    "NotAVirgilLibrary",
    "OutOfMemory",
    "Panic",
    "Param",
    "ProtocolError",
    "ResultError",
    "Time",
    "UnknownFunction",
    "decode",
    "encode",
    "errors",
    "live_closures",
    "load",
]

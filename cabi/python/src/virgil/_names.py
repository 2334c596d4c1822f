"""The framework's exception names (cabi/ABI.md section 7): the one place this kit spells them.

A record with one of these names is the framework's own failure, not a guest's; the classes of
:mod:`virgil.exceptions` take their ``wire_name`` from here, and ``tests/test_names.py`` checks
:data:`FRAMEWORK_NAMES` against the table of section 7.
"""

from __future__ import annotations

from typing import Tuple

__all__ = [
    "ABI_MISMATCH",
    "ARGUMENT_ERROR",
    "FRAMEWORK_NAMES",
    "INTERNAL_ERROR",
    "LIMIT_EXCEEDED",
    "OUT_OF_MEMORY",
    "PANIC",
    "PROTOCOL_ERROR",
    "RELEASED_CLOSURE",
    "RESULT_ERROR",
    "UNKNOWN_FUNCTION",
]

ARGUMENT_ERROR = "virgil.ArgumentError"
RESULT_ERROR = "virgil.ResultError"
UNKNOWN_FUNCTION = "virgil.UnknownFunction"
PANIC = "virgil.Panic"
INTERNAL_ERROR = "virgil.InternalError"
PROTOCOL_ERROR = "virgil.ProtocolError"
OUT_OF_MEMORY = "virgil.OutOfMemory"
LIMIT_EXCEEDED = "virgil.LimitExceeded"
ABI_MISMATCH = "virgil.AbiMismatch"
RELEASED_CLOSURE = "virgil.ReleasedClosure"

#: Every name of section 7, in the order of its table.
FRAMEWORK_NAMES: Tuple[str, ...] = (
    ARGUMENT_ERROR,
    RESULT_ERROR,
    UNKNOWN_FUNCTION,
    PANIC,
    INTERNAL_ERROR,
    PROTOCOL_ERROR,
    OUT_OF_MEMORY,
    LIMIT_EXCEEDED,
    ABI_MISMATCH,
    RELEASED_CLOSURE,
)

"""Exception records of Python exceptions (cabi/ABI.md section 6): what a Python callback's
failure crosses as.

A record written from a Python exception follows cabi/ABI.md section 6: its name is the class's
name (Python's built-in names are the shared names of section 7.1), its attributes hold
``errno``, ``filename`` and ``filename2`` of an OSError and the exception's ``args`` when they can
cross, and its frames name files relative to their ``sys.path`` entry, without this package's own
glue frames (``virgil/_*.py``). A level that came from a guest (a :class:`ForeignError`) keeps
its own record.
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional

from ._tracebacks import python_frames
from .codec import encode
from .exceptions import ForeignError
from .records import MAX_CHAIN, Attributes, ExceptionRecord

__all__ = ["record_of"]


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
    levels = _chain(exception)
    record: Optional[ExceptionRecord] = None
    for level in reversed(levels):
        if isinstance(level, ForeignError):
            record = level.record
            continue
        frames, notes = python_frames(level.__traceback__)
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

"""The exception record (cabi/ABI.md section 6) as Python data, to and from its wire form.

A record is the language-neutral description of a failure: name, message, language, the frames
of its traceback (oldest call first), its cause (another record) and notes. :class:`ExceptionRecord`
reads the decoded MessagePack map leniently where the ABI asks readers to be lenient (unknown keys
are ignored, missing optional keys take their empty value, nil stands for absent) and strictly
where it asks them to be strict (a name is required, a chain holds at most 256 records and a
traceback at most 4,096 frames). Reading is iterative, so a hostile chain cannot exhaust the stack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

__all__ = ["MAX_CHAIN", "MAX_FRAMES", "ExceptionRecord", "Frame", "RecordError"]

#: The most records a cause chain may hold, the outermost included.
MAX_CHAIN = 256
#: The most frames one record's traceback may hold.
MAX_FRAMES = 4096


class RecordError(ValueError):
    """A decoded value is not a well-formed exception record."""


@dataclass(frozen=True)
class Frame:
    """One traceback frame of a record: where a call was, in the guest's own terms.

    ``line`` and ``column`` are 0 and ``file`` is ``""`` when unknown.
    """

    function: str = ""
    file: str = ""
    line: int = 0
    column: int = 0

    def to_wire(self) -> Dict[str, Any]:
        """The frame as its canonical map: ``function, file, line, column``."""
        return {
            "function": self.function,
            "file": self.file,
            "line": self.line,
            "column": self.column,
        }

    @classmethod
    def from_wire(cls, value: Any) -> Frame:
        """Reads a frame map, ignoring unknown keys.

        Raises:
            RecordError: ``value`` is not a map or a known key has a value of the wrong type.
        """
        if not isinstance(value, Mapping):
            raise RecordError(f"a traceback frame is a map, not {_kind(value)}")
        return cls(
            function=_text(value, "function", "frame"),
            file=_text(value, "file", "frame"),
            line=_integer(value, "line"),
            column=_integer(value, "column"),
        )

    def __str__(self) -> str:
        where = self.file or "?"
        if self.line:
            where += f":{self.line}"
            if self.column:
                where += f":{self.column}"
        return f"{self.function or '?'} ({where})"


@dataclass(frozen=True)
class ExceptionRecord:
    """A failure as it crosses the boundary: one level of a cause chain.

    Attributes:
        name: the type or class name (``"ZeroDivisionError"``, ``"*fs.PathError"``).
        message: this level's own message, without its causes' text.
        language: the language that raised it (``"go"``, ``"c"``, ``"python"``, ...).
        traceback: the frames, oldest call first; the last is where it was raised.
        cause: the record this one wraps, or None.
        notes: extra annotations.
    """

    name: str
    message: str = ""
    language: str = ""
    traceback: Tuple[Frame, ...] = ()
    cause: Optional[ExceptionRecord] = None
    notes: Tuple[str, ...] = field(default=())

    def chain(self) -> List[ExceptionRecord]:
        """This record and its causes, outermost first."""
        levels: List[ExceptionRecord] = []
        record: Optional[ExceptionRecord] = self
        while record is not None:
            levels.append(record)
            record = record.cause
        return levels

    def to_wire(self) -> Dict[str, Any]:
        """The record as its canonical map (keys ``name, message, language, traceback, cause``,
        then ``notes`` when there are any), causes included."""
        wire: Optional[Dict[str, Any]] = None
        for record in reversed(self.chain()):
            level: Dict[str, Any] = {
                "name": record.name,
                "message": record.message,
                "language": record.language,
                "traceback": [frame.to_wire() for frame in record.traceback],
                "cause": wire,
            }
            if record.notes:
                level["notes"] = list(record.notes)
            wire = level
        assert wire is not None
        return wire

    @classmethod
    def from_wire(cls, value: Any) -> ExceptionRecord:
        """Reads a record map and its causes.

        Raises:
            RecordError: the value is not a record, or its chain or a traceback is too long.
        """
        maps: List[Mapping[Any, Any]] = []
        level = value
        while level is not None:
            if not isinstance(level, Mapping):
                where = "an exception record" if not maps else f"the cause of {_name_of(maps[-1])}"
                raise RecordError(f"{where} is a map, not {_kind(level)}")
            if len(maps) == MAX_CHAIN:
                raise RecordError(f"the cause chain is longer than {MAX_CHAIN} records")
            maps.append(level)
            level = level.get("cause")
        record: Optional[ExceptionRecord] = None
        for wire in reversed(maps):
            record = cls._level(wire, record)
        assert record is not None
        return record

    @classmethod
    def _level(cls, wire: Mapping[Any, Any], cause: Optional[ExceptionRecord]) -> ExceptionRecord:
        name = wire.get("name")
        if not isinstance(name, str):
            raise RecordError(f"an exception record needs a name (a str), got {_kind(name)}")
        frames = _sequence(wire, "traceback", name)
        if len(frames) > MAX_FRAMES:
            raise RecordError(f"{name}: the traceback is longer than {MAX_FRAMES} frames")
        notes = _sequence(wire, "notes", name)
        if not all(isinstance(note, str) for note in notes):
            raise RecordError(f"{name}: notes must be strings")
        return cls(
            name=name,
            message=_text(wire, "message", name),
            language=_text(wire, "language", name),
            traceback=tuple(Frame.from_wire(frame) for frame in frames),
            cause=cause,
            notes=tuple(notes),
        )


def _kind(value: Any) -> str:
    """How a decoded value is described in errors: ``a str``, ``nil``, ``an int``."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "a bool"
    kinds = {int: "an int", float: "a float", str: "a str", bytes: "bytes", list: "an array"}
    for kind, text in kinds.items():
        if isinstance(value, kind):
            return text
    if isinstance(value, Mapping):
        return "a map"
    return f"a {type(value).__name__}"


def _name_of(wire: Mapping[Any, Any]) -> str:
    name = wire.get("name")
    return name if isinstance(name, str) else "a record"


def _text(wire: Mapping[Any, Any], key: str, owner: str) -> str:
    value = wire.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RecordError(f"{owner}: {key!r} must be a str, not {_kind(value)}")
    return value


def _integer(wire: Mapping[Any, Any], key: str) -> int:
    value = wire.get(key)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise RecordError(f"frame: {key!r} must be an int, not {_kind(value)}")
    return value


def _sequence(wire: Mapping[Any, Any], key: str, owner: str) -> Sequence[Any]:
    value = wire.get(key)
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)):
        raise RecordError(f"{owner}: {key!r} must be an array, not {_kind(value)}")
    return value

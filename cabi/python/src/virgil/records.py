"""The exception record (cabi/ABI.md section 6) as Python data, to and from its wire form.

A record is the language-neutral description of a failure: name, message, language, the frames
of its traceback (oldest call first), its cause (another record), notes and attributes (structured
fields: ``errno``, ``filename``, a user error's own fields). :class:`ExceptionRecord` reads the
decoded MessagePack map leniently where the ABI asks readers to be lenient (unknown keys are
ignored, missing optional keys take their empty value, nil stands for absent, an ``attributes``
that is not a map is ignored) and strictly where it asks them to be strict (a name is required, a
chain holds at most 256 records, a traceback at most 4,096 frames, a record at most 256
attributes). Reading is iterative, so a hostile chain cannot exhaust the stack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

__all__ = [
    "MAX_ATTRIBUTES",
    "MAX_CHAIN",
    "MAX_FRAMES",
    "Attributes",
    "ExceptionRecord",
    "Frame",
    "RecordError",
    "RecordLimitError",
    "fold",
]

#: The most records a cause chain may hold, the outermost included.
MAX_CHAIN = 256
#: The most frames one record's traceback may hold.
MAX_FRAMES = 4096
#: The most attributes one record may hold.
MAX_ATTRIBUTES = 256

_FOLD = str.maketrans("", "", "_-")


def fold(name: str) -> str:
    """A name as the struct rule compares it when no key matches exactly (cabi/ABI.md section
    5): ASCII letters lowercased, every ``_`` and ``-`` removed (``MaxValue``, ``max_value`` and
    ``max-value`` all fold to ``maxvalue``)."""
    lowered = "".join(c.lower() if "A" <= c <= "Z" else c for c in name)
    return lowered.translate(_FOLD)


class RecordError(ValueError):
    """A decoded value is not a well-formed exception record."""


class RecordLimitError(RecordError):
    """A record exceeds a limit of cabi/ABI.md section 11 (chain, frames, attributes): hosts
    raise it as ``virgil.LimitExceeded`` rather than ``virgil.ResultError``."""


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


class Attributes(Mapping[str, Any]):
    """A record's attributes: a read-only mapping from key to value, in canonical order (keys
    ascending by their UTF-8 bytes).

    A key is looked up exactly first, then folded (see :func:`fold`), as ABI section 6 asks, so
    ``attributes["code"]`` finds a Go error's ``Code`` field and ``attributes["max_value"]`` a
    Haskell ``maxValue``. A folded lookup that matches two keys finds neither. Iteration, ``len``
    and equality see the keys as they were written.
    """

    __slots__ = ("_folded", "_items")

    def __init__(self, items: Optional[Mapping[str, Any]] = None) -> None:
        pairs = sorted((items or {}).items(), key=lambda pair: pair[0].encode("utf-8", "replace"))
        self._items: Dict[str, Any] = dict(pairs)
        self._folded: Optional[Dict[str, Optional[str]]] = None

    def _fold_index(self) -> Dict[str, Optional[str]]:
        """Folded key -> the key it stands for, or None when two keys fold alike."""
        if self._folded is None:
            index: Dict[str, Optional[str]] = {}
            for key in self._items:
                folded = fold(key)
                index[folded] = None if folded in index else key
            self._folded = index
        return self._folded

    def key_of(self, name: str) -> Optional[str]:
        """The key ``name`` finds (exactly, else folded), or None."""
        if name in self._items:
            return name
        if not self._items or not isinstance(name, str):
            return None
        return self._fold_index().get(fold(name))

    def __getitem__(self, name: str) -> Any:
        key = self.key_of(name)
        if key is None:
            raise KeyError(name)
        return self._items[key]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.key_of(name) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Attributes({self._items!r})"

    def to_wire(self) -> Dict[str, Any]:
        """The attributes as their canonical map (a new dict, keys in canonical order)."""
        return dict(self._items)


_NO_ATTRIBUTES = Attributes()


@dataclass(frozen=True)
class ExceptionRecord:
    """A failure as it crosses the boundary: one level of a cause chain.

    Attributes:
        name: the shared or type name (``"FileNotFoundError"``, ``"QuotaError"``).
        message: this level's own message, without its causes' text.
        language: the language that raised it (``"go"``, ``"c"``, ``"python"``, ...).
        traceback: the frames, oldest call first; the last is where it was raised.
        cause: the record this one wraps, or None.
        notes: extra annotations.
        attributes: the level's structured fields (:class:`Attributes`; any mapping given is
            converted): ``errno``, ``filename``, ``filename2``, ``args``, a user error's own.
    """

    name: str
    message: str = ""
    language: str = ""
    traceback: Tuple[Frame, ...] = ()
    cause: Optional[ExceptionRecord] = None
    notes: Tuple[str, ...] = field(default=())
    attributes: Attributes = field(default_factory=lambda: _NO_ATTRIBUTES, hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.attributes, Attributes):
            object.__setattr__(self, "attributes", Attributes(self.attributes))
        if len(self.attributes) > MAX_ATTRIBUTES:
            raise RecordLimitError(f"{self.name}: more than {MAX_ATTRIBUTES} attributes")

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
        then ``notes`` and ``attributes`` when there are any), causes included."""
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
            if record.attributes:
                level["attributes"] = record.attributes.to_wire()
            wire = level
        assert wire is not None
        return wire

    @classmethod
    def from_wire(cls, value: Any) -> ExceptionRecord:
        """Reads a record map and its causes.

        Raises:
            RecordError: the value is not a record, or its chain or a traceback is too long.
        """
        if value is None:
            raise RecordError("an exception record is a map, not nil")
        maps: List[Mapping[Any, Any]] = []
        level = value
        while level is not None:
            if not isinstance(level, Mapping):
                where = "an exception record" if not maps else f"the cause of {_name_of(maps[-1])}"
                raise RecordError(f"{where} is a map, not {_kind(level)}")
            if len(maps) == MAX_CHAIN:
                raise RecordLimitError(f"the cause chain is longer than {MAX_CHAIN} records")
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
            raise RecordLimitError(f"{name}: the traceback is longer than {MAX_FRAMES} frames")
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
            attributes=_attributes(wire, name),
        )


def _attributes(wire: Mapping[Any, Any], owner: str) -> Attributes:
    """A level's ``attributes``: empty when missing or nil, and also when it is not a map (a
    reader that cannot use a field ignores it); entries whose key is not a str are skipped."""
    value = wire.get("attributes")
    if not value or not isinstance(value, Mapping):
        return _NO_ATTRIBUTES
    if len(value) > MAX_ATTRIBUTES:
        raise RecordLimitError(f"{owner}: more than {MAX_ATTRIBUTES} attributes ({len(value)})")
    return Attributes({key: item for key, item in value.items() if isinstance(key, str)})


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


def record_key(record: ExceptionRecord) -> Tuple[Any, ...]:
    """What identifies a record that went to a guest and came back: name, message, language
    and the frames' places (a guest re-encoding the record may drop columns, notes or keys)."""
    places = tuple((f.function, f.file, f.line) for f in record.traceback)
    return (record.name, record.message, record.language, places)

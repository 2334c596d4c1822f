"""The manifest's type vocabulary (cabi/ABI.md section 8): type strings such as ``int``,
``[float]``, ``{str: int}``, ``{"count": int, "mean": float}``, ``str?`` and ``fn(int) -> int``
read by :func:`parse_type` into :class:`TypeSpec` trees, from which come Python annotations for
``inspect.signature``, the lowering a ``float32`` parameter needs, and the lifting of results by
their declared type (:meth:`TypeSpec.lifter`): values are checked against the type, integers
become floats where a float is declared, nil becomes the empty list or map, and records follow
the struct rule of section 5 (keys matched exactly, else folded; a missing required field, an
ambiguous key or a value of the wrong type is a :class:`LiftError` naming the field's path).

Why one file of about 440 lines: the parser, the specs and their lifters are one grammar, each
lifter written next to the type it lifts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from types import GenericAlias
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, cast

import msgpack

from .records import fold
from .values import Float32

Timestamp = msgpack.Timestamp

__all__ = ["LiftError", "ManifestError", "TypeSpec", "parse_type"]


class ManifestError(ValueError):
    """A manifest value is malformed."""


class LiftError(ValueError):
    """A value does not fit its declared type. ``str()`` is the path to the misfit and what is
    wrong there: ``field mean: want float, got str``, ``missing field mean``."""

    def __init__(self, problem: str, path: Tuple[str, ...] = ()) -> None:
        super().__init__(problem)
        self.problem = problem
        self.path = path

    def within(self, step: str) -> LiftError:
        """The same error one level further out (``step`` is ``field x``, ``item 3``, ...)."""
        return LiftError(self.problem, (step, *self.path))

    def __str__(self) -> str:
        return ": ".join((*self.path, self.problem))


# ---- The type vocabulary -------------------------------------------------------------------

_SCALARS: Dict[str, Any] = {
    "nil": None,
    "bool": bool,
    "int": int,
    "uint": int,
    "float": float,
    "float32": float,
    "str": str,
    "bytes": bytes,
    "time": datetime,
    "any": Any,
}


@dataclass(frozen=True)
class TypeSpec:
    """A parsed type of the vocabulary.

    ``kind`` is a scalar name (``"int"``, ``"any"``, ...) or one of ``"list"`` (``args``: the item
    type), ``"map"`` (key and value types), ``"record"`` (field types, with ``fields`` naming them),
    ``"optional"`` (the inner type), ``"fn"`` (parameter types, then the result type) or
    ``"unknown"`` for text this host cannot read (treated as ``any``).
    """

    kind: str
    args: Tuple[TypeSpec, ...] = ()
    fields: Tuple[str, ...] = ()

    def annotation(self) -> Any:
        """The Python annotation for this type."""
        if self.kind in _SCALARS:
            return _SCALARS[self.kind]
        inner = [arg.annotation() for arg in self.args]
        if self.kind == "list":
            return GenericAlias(list, (inner[0],))
        if self.kind == "map":
            return GenericAlias(dict, (inner[0], inner[1]))
        if self.kind == "record":
            return dict[str, Any]
        if self.kind == "optional":
            return cast(Any, Optional)[inner[0]]
        if self.kind == "fn":
            return cast(Any, Callable)[inner[:-1], inner[-1]]
        return Any

    def lowerer(self) -> Optional[Callable[[Any], Any]]:
        """A converter sending the floats of this type as float 32 where it says ``float32``,
        or None when values of this type go out as they are."""
        if self.kind == "float32":
            return _to_float32
        converters = [arg.lowerer() for arg in self.args]
        if all(converter is None for converter in converters) or self.kind == "fn":
            return None
        if self.kind == "optional":
            inner = converters[0]
            assert inner is not None
            return lambda value: None if value is None else inner(value)
        if self.kind == "list":
            item = converters[0]
            assert item is not None
            return lambda value: value if value is None else [item(x) for x in value]
        if self.kind == "map":
            key = converters[0] or _same
            val = converters[1] or _same
            return lambda value: (
                value if value is None else {key(k): val(v) for k, v in value.items()}
            )
        if self.kind == "record":
            by_field = {name: c for name, c in zip(self.fields, converters) if c is not None}
            return lambda value: _lower_record(value, by_field)
        return None  # pragma: no cover - scalars have no arguments

    def lifter(self) -> Optional[Callable[[Any], Any]]:
        """A function lifting a decoded value of this type (see the module's doc), raising
        :class:`LiftError`; None when every value fits as it is (``any``, unknown types)."""
        if self.kind in ("any", "unknown", "fn"):
            return None
        if self.kind == "record":
            return _record_lifter(self)
        return lambda value: _lift(self, value)

    def exact(self) -> Optional[type]:
        """The one Python type a value of this type may have to need no lifting at all (``int``
        for ``int``), or None."""
        return _EXACT.get(self.kind)

    def describe(self) -> str:
        """The type in the ABI's vocabulary (for error messages)."""
        if self.kind in _SCALARS or self.kind == "unknown":
            return "any" if self.kind == "unknown" else self.kind
        inner = [arg.describe() for arg in self.args]
        if self.kind == "list":
            return f"[{inner[0]}]"
        if self.kind == "map":
            return f"{{{inner[0]}: {inner[1]}}}"
        if self.kind == "optional":
            return f"{inner[0]}?"
        if self.kind == "record":
            return "record"
        return f"fn({', '.join(inner[:-1])}) -> {inner[-1]}"


_EXACT: Dict[str, type] = {
    "nil": type(None),
    "bool": bool,
    "int": int,
    "float": float,
    "float32": float,
    "str": str,
    "bytes": bytes,
}

_WIRE_KINDS: Dict[type, str] = {
    type(None): "nil",
    bool: "bool",
    int: "int",
    float: "float",
    str: "str",
    bytes: "bytes",
    list: "array",
    tuple: "array",
    dict: "map",
}


def _got(value: Any) -> str:
    """A decoded value's family, as errors name it: ``str``, ``int``, ``map``."""
    kind = _WIRE_KINDS.get(type(value))
    if kind is not None:
        return kind
    if isinstance(value, (datetime, Timestamp)):
        return "time"
    if isinstance(value, msgpack.ExtType):
        return f"extension type {value.code}"
    return type(value).__name__


def _mismatch(spec: TypeSpec, value: Any) -> LiftError:
    return LiftError(f"want {spec.describe()}, got {_got(value)}")


def _lift(spec: TypeSpec, value: Any) -> Any:
    """``value`` (decoded and lifted by the codec) as a value of ``spec``, or a LiftError."""
    kind = spec.kind
    if kind in ("any", "unknown", "fn"):
        return value
    if kind == "optional":
        return None if value is None else _lift(spec.args[0], value)
    exact = _EXACT.get(kind)
    if exact is not None:
        if type(value) is exact:
            return value
        if exact is float and type(value) is int:
            return float(value)  # a float accepts any integer (section 5)
        raise _mismatch(spec, value)
    if kind == "uint":
        if type(value) is int and value >= 0:
            return value
        raise _mismatch(spec, value)
    if kind == "time":
        if isinstance(value, (datetime, Timestamp)):
            return value
        raise _mismatch(spec, value)
    if kind == "list":
        if value is None:
            return []
        if type(value) is not list:
            raise _mismatch(spec, value)
        item = spec.args[0]
        lifted = []
        for index, element in enumerate(value):
            try:
                lifted.append(_lift(item, element))
            except LiftError as error:
                raise error.within(f"item {index}") from None
        return lifted
    if kind == "map":
        if value is None:
            return {}
        if type(value) is not dict:
            raise _mismatch(spec, value)
        key_spec, value_spec = spec.args
        result = {}
        for key, element in value.items():
            try:
                lifted_key = _lift(key_spec, key)
            except LiftError as error:
                raise error.within(f"key {key!r}") from None
            try:
                result[lifted_key] = _lift(value_spec, element)
            except LiftError as error:
                raise error.within(f"key {key!r}") from None
        return result
    if kind == "record":
        return _lift_record(spec, value)
    raise _mismatch(spec, value)  # pragma: no cover - every kind is handled above


def _lift_record(spec: TypeSpec, value: Any) -> Any:
    """The struct rule (cabi/ABI.md section 5): a map keyed by the record's field names, in
    declaration order; keys matched exactly, else folded; unknown keys ignored."""
    if value is None:
        return None  # nil is the absent record
    if type(value) is not dict:
        raise LiftError(f"want a record, got {_got(value)}")
    exact_used = {name for name in spec.fields if name in value}
    folded: Dict[str, List[Any]] = {}
    for key in value:
        if isinstance(key, str) and key not in exact_used:
            folded.setdefault(fold(key), []).append(key)
    result: Dict[str, Any] = {}
    for name, field_spec in zip(spec.fields, spec.args):
        if name in value:
            key = name
        else:
            candidates = folded.get(fold(name), [])
            if len(candidates) > 1:
                keys = " and ".join(repr(candidate) for candidate in candidates)
                raise LiftError(f"ambiguous keys {keys} for field {name}")
            if not candidates:
                if field_spec.kind == "optional":
                    result[name] = None
                    continue
                raise LiftError(f"missing field {name}")
            key = candidates[0]
        try:
            result[name] = _lift(field_spec, value[key])
        except LiftError as error:
            raise error.within(f"field {name}") from None
    return result


def _record_lifter(spec: TypeSpec) -> Callable[[Any], Any]:
    """A lifter of records of ``spec`` with a fast path for the common reply: every field under
    its exact name, with a value of the exact scalar type declared (other replies take the whole
    struct rule of :func:`_lift_record`)."""
    plain = [(name, _EXACT.get(field.kind)) for name, field in zip(spec.fields, spec.args)]
    missing = object()

    def lift_record(value: Any) -> Any:
        if type(value) is dict:
            result = {}
            for name, exact in plain:
                item = value.get(name, missing)
                if exact is None or type(item) is not exact:
                    return _lift_record(spec, value)
                result[name] = item
            return result
        return _lift_record(spec, value)

    return lift_record


def _same(value: Any) -> Any:
    return value


def _to_float32(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Float32(value)
    return value  # anything else goes as it is, and the guest says what is wrong with it


def _lower_record(value: Any, by_field: Mapping[str, Callable[[Any], Any]]) -> Any:
    if isinstance(value, Mapping):
        return {k: by_field[k](v) if k in by_field else v for k, v in value.items()}
    return value


class _TypeParser:
    """A recursive-descent reader of the type grammar in cabi/ABI.md section 8, tolerant of
    extra spaces."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, what: str) -> ManifestError:
        return ManifestError(f"type {self.text!r}: {what} at position {self.pos}")

    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] == " ":
            self.pos += 1

    def peek(self) -> str:
        self.skip()
        return self.text[self.pos : self.pos + 1]

    def expect(self, token: str) -> None:
        self.skip()
        if not self.text.startswith(token, self.pos):
            raise self.fail(f"expected {token!r}")
        self.pos += len(token)

    def word(self) -> str:
        self.skip()
        start = self.pos
        while self.pos < len(self.text) and (
            self.text[self.pos].isalnum() or self.text[self.pos] == "_"
        ):
            self.pos += 1
        return self.text[start : self.pos]

    def parse(self) -> TypeSpec:
        spec = self.type()
        self.skip()
        if self.pos != len(self.text):
            raise self.fail("unexpected text")
        return spec

    def type(self) -> TypeSpec:
        spec = self.base()
        while self.peek() == "?":
            self.pos += 1
            spec = TypeSpec("optional", (spec,))
        return spec

    def base(self) -> TypeSpec:
        head = self.peek()
        if head == "[":
            self.pos += 1
            item = self.type()
            self.expect("]")
            return TypeSpec("list", (item,))
        if head == "{":
            self.pos += 1
            return self.record() if self.peek() == '"' else self.map()
        name = self.word()
        if name == "fn" and self.peek() == "(":
            return self.function()
        if name in _SCALARS:
            return TypeSpec(name)
        raise self.fail("expected a type")

    def map(self) -> TypeSpec:
        key = self.type()
        self.expect(":")
        value = self.type()
        self.expect("}")
        return TypeSpec("map", (key, value))

    def record(self) -> TypeSpec:
        names: List[str] = []
        types: List[TypeSpec] = []
        while True:
            self.expect('"')
            end = self.text.find('"', self.pos)
            if end < 0:
                raise self.fail("unterminated field name")
            names.append(self.text[self.pos : end])
            self.pos = end + 1
            self.expect(":")
            types.append(self.type())
            if self.peek() == "}":
                self.pos += 1
                return TypeSpec("record", tuple(types), tuple(names))
            self.expect(",")

    def function(self) -> TypeSpec:
        self.expect("(")
        params: List[TypeSpec] = []
        if self.peek() != ")":
            params.append(self.type())
            while self.peek() == ",":
                self.pos += 1
                params.append(self.type())
        self.expect(")")
        self.expect("->")
        return TypeSpec("fn", (*params, self.type()))


_PARSED: Dict[str, TypeSpec] = {}


def parse_type(text: str) -> TypeSpec:
    """Reads a type of the vocabulary; text this host cannot read is ``TypeSpec("unknown")``,
    which behaves as ``any`` (a newer guest's types must not stop an older host)."""
    spec = _PARSED.get(text)
    if spec is None:
        try:
            spec = _TypeParser(text).parse()
        except (ManifestError, IndexError):
            spec = TypeSpec("unknown")
        if len(_PARSED) < 4096:
            _PARSED[text] = spec
    return spec

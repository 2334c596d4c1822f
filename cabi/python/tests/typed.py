"""The typed JSON notation of cabi/testdata/README.md: to Python values, and strict comparison.

JSON cannot tell an int from a float or text from bytes, so the data files write each value as a
one-key object naming its MessagePack family. :func:`parse` makes the Python value a host would
send; :func:`mismatch` compares a value the host received against the notation, family included
(``1`` is not ``1.0``, ``True`` is not ``1``), maps without regard to key order, floats bit for
bit except that any NaN equals any NaN.
"""

from __future__ import annotations

import math
import struct
from typing import Any, Dict, Optional

import msgpack

import virgil


def _float(value: Any) -> float:
    specials = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
    return specials[value] if isinstance(value, str) else float(value)


def _hashable(value: Any) -> Any:
    return tuple(_hashable(item) for item in value) if isinstance(value, list) else value


def parse(node: Dict[str, Any]) -> Any:
    """The Python value a typed JSON node stands for."""
    ((kind, value),) = node.items()
    if kind == "nil":
        return None
    if kind in ("bool", "int", "str"):
        return value
    if kind == "float":
        return _float(value)
    if kind == "float32":
        return virgil.Float32(_float(value))
    if kind == "bin":
        return bytes.fromhex(value)
    if kind == "array":
        return [parse(item) for item in value]
    if kind == "map":
        return {_hashable(parse(key)): parse(item) for key, item in value}
    if kind == "time":
        return virgil.Time.from_unix(value["sec"], value["nsec"])
    raise ValueError(f"unknown typed JSON kind {kind!r}")


def _bits(number: float) -> bytes:
    return struct.pack(">d", number)


def mismatch(node: Dict[str, Any], got: Any, where: str = "value") -> Optional[str]:
    """None when ``got`` is the value ``node`` describes, else what differs."""
    ((kind, value),) = node.items()
    if kind == "nil":
        return None if got is None else f"{where}: want nil, got {got!r}"
    if kind == "bool":
        return None if got is value else f"{where}: want {value}, got {got!r}"
    if kind == "int":
        ok = type(got) is int and got == value
        return None if ok else f"{where}: want int {value}, got {got!r}"
    if kind in ("float", "float32"):
        if type(got) is not float:
            return f"{where}: want {kind} {value}, got {got!r}"
        want = _float(value)
        if kind == "float32":  # Python has no float32: it arrives as the same float64
            want = struct.unpack(">f", struct.pack(">f", want))[0]
        same = (math.isnan(want) and math.isnan(got)) or _bits(want) == _bits(got)
        return None if same else f"{where}: want {kind} {value}, got {got!r}"
    if kind == "str":
        return (
            None if type(got) is str and got == value else f"{where}: want {value!r}, got {got!r}"
        )
    if kind == "bin":
        want_bytes = bytes.fromhex(value)
        ok = type(got) is bytes and got == want_bytes
        return None if ok else f"{where}: want bytes {value}, got {got!r:.80}"
    if kind == "array":
        if type(got) is not list or len(got) != len(value):
            return f"{where}: want an array of {len(value)}, got {got!r:.80}"
        for index, (item, got_item) in enumerate(zip(value, got)):
            problem = mismatch(item, got_item, f"{where}[{index}]")
            if problem:
                return problem
        return None
    if kind == "map":
        if type(got) is not dict or len(got) != len(value):
            return f"{where}: want a map of {len(value)}, got {got!r:.80}"
        for key, item in value:
            python_key = _hashable(parse(key))
            if python_key not in got:
                return f"{where}: key {python_key!r} missing"
            problem = mismatch(item, got[python_key], f"{where}[{python_key!r}]")
            if problem:
                return problem
        return None
    if kind == "time":
        if isinstance(got, virgil.Time):
            unix = got.unix()
        elif isinstance(got, msgpack.Timestamp):
            unix = (got.seconds, got.nanoseconds)
        else:
            return f"{where}: want a time, got {got!r}"
        want_unix = (value["sec"], value["nsec"])
        return None if unix == want_unix else f"{where}: want time {want_unix}, got {unix}"
    raise ValueError(f"unknown typed JSON kind {kind!r}")


def has_kind(node: Any, wanted: str) -> bool:
    """Whether a typed JSON node contains a value of the family ``wanted``."""
    if isinstance(node, dict):
        return wanted in node or any(has_kind(item, wanted) for item in node.values())
    if isinstance(node, list):
        return any(has_kind(item, wanted) for item in node)
    return False

"""Calling: arguments by position and by name, bad input as clear errors, and the value mapping
both ways through ``echo``."""

from __future__ import annotations

import dataclasses
import math
from collections import OrderedDict
from datetime import datetime, timedelta, timezone
from typing import Any

import msgpack
import pytest
from conftest import not_yet_conforming

import virgil


def nested(depth: int) -> Any:
    value: Any = None
    for _ in range(depth):
        value = [value]
    return value


def test_positional_and_keyword_arguments(lib: virgil.Library) -> None:
    assert lib.add(1, 2) == 3
    assert lib.add(a=1, b=2) == 3
    assert lib.add(1, b=2) == 3
    assert lib.call("add", 40, b=2) == 42
    assert lib.greet(name="you") == "Hello, you!"
    assert lib["divide"](7, 2) == 3.5


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda lib: lib.add(1), "add: expected 2 arguments (a, b), got 1"),
        (lambda lib: lib.add(1, 2, 3), "add: expected 2 arguments (a, b), got 3"),
        (lambda lib: lib.greet(), "greet: expected 1 argument (name), got 0"),
        (lambda lib: lib.add(1, 2, c=3), "add: got an unexpected keyword argument 'c'"),
        (lambda lib: lib.add(1, a=2), "add: multiple values for argument 'a'"),
    ],
)
def test_wrong_arity_is_an_argument_error_before_crossing(
    lib: virgil.Library, call: Any, message: str
) -> None:
    with pytest.raises(virgil.ArgumentError) as caught:
        call(lib)
    assert message in str(caught.value)
    assert caught.value.language == "python"  # the host refused; nothing crossed
    assert isinstance(caught.value, TypeError)


@pytest.mark.parametrize(
    "argument, message",
    [
        (object(), "cannot send a builtins.object"),
        ({1, 2}, "cannot send a builtins.set"),
        (2**64, "an int outside the 64-bit range"),
        (-(2**63) - 1, "an int outside the 64-bit range"),
        (datetime(2024, 1, 1), "naive datetime"),
        (nested(2000), "nested too deeply"),
        ("\ud800", "surrogates not allowed"),
    ],
    ids=["object", "set", "too-big", "too-small", "naive-datetime", "too-deep", "lone-surrogate"],
)
def test_unencodable_arguments_are_argument_errors(
    lib: virgil.Library, argument: Any, message: str
) -> None:
    with pytest.raises(virgil.ArgumentError) as caught:
        lib.echo(argument)
    assert caught.value.message.startswith("echo: argument 1: ")
    assert message in caught.value.message
    with pytest.raises(virgil.ArgumentError, match="argument 2"):
        lib.add(1, object())
    assert lib.add(1, 2) == 3  # the pooled packer still works


def test_wrong_types_are_refused_by_the_guest(lib: virgil.Library) -> None:
    with pytest.raises(virgil.ArgumentError) as caught:
        lib.add(1, "two")
    assert "argument 2" in caught.value.message and caught.value.language != "python"
    with pytest.raises(virgil.ArgumentError):
        lib.echo_bytes("text, not bytes")


@dataclasses.dataclass
class Point:
    x: int
    y: float
    label: str = "p"


ROUND_TRIPS = [
    None,
    True,
    False,
    0,
    -1,
    127,
    -33,
    2**32,
    2**64 - 1,
    -(2**63),
    0.5,
    -0.0,
    math.inf,
    "",
    "Zoë 世界",
    b"",
    b"\x00\xff",
    [],
    {},
    [1, "two", 3.0, None, True, b"\x01"],
    {"a": {"b": [1, {"c": None}]}},
    {1: "one", -1: "minus one"},
    virgil.Time.from_unix(1_700_000_000, 123_456_789),
    virgil.Time.from_unix(-1, 500),
    virgil.Time.from_unix(0),
    [virgil.Time.from_unix(1), {"when": virgil.Time.from_unix(2, 3)}],
]


@pytest.mark.parametrize("value", ROUND_TRIPS, ids=[repr(value)[:40] for value in ROUND_TRIPS])
def test_echo_round_trips(lib: virgil.Library, value: Any) -> None:
    got = lib.echo(value)
    assert got == value and type(got) is type(value)


def test_echo_converts_python_values(lib: virgil.Library) -> None:
    assert lib.echo((1, (2, 3))) == [1, [2, 3]]
    assert lib.echo(bytearray(b"ab")) == b"ab" and lib.echo(memoryview(b"cd")) == b"cd"
    assert lib.echo(OrderedDict(a=1)) == {"a": 1}
    assert lib.echo(Point(1, 2.5)) == {"x": 1, "y": 2.5, "label": "p"}
    assert lib.echo(math.nan) != lib.echo(math.nan)  # NaN comes back NaN
    assert math.isnan(lib.echo(math.nan))
    aware = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=timezone(timedelta(hours=2)))
    got = lib.echo(aware)
    assert isinstance(got, virgil.Time) and isinstance(got, datetime)
    assert got == aware and got.tzinfo == timezone.utc and got.nanosecond == 0
    assert lib.echo(virgil.Float32(1.5)) == 1.5
    assert lib.echo([virgil.Float32(0.1), 0.1]) == [virgil.Float32(0.1).value, 0.1]


def test_times_beyond_datetime_stay_timestamps(lib: virgil.Library) -> None:
    far = msgpack.Timestamp(300_000_000_000, 7)  # the year 11476
    got = lib.echo(far)
    assert got == far and isinstance(got, msgpack.Timestamp)


def test_nesting_limits(lib: virgil.Library) -> None:
    assert lib.echo(nested(512)) == nested(512)  # the argument array does not count
    with pytest.raises((virgil.LimitExceeded, virgil.ArgumentError)) as caught:
        lib.echo(nested(513))  # refused by the guest's decoder
    if not isinstance(caught.value, virgil.LimitExceeded):
        not_yet_conforming(lib, f"513 levels of nesting: {caught.value.name}, not LimitExceeded")


def test_results_are_fresh_objects(lib: virgil.Library) -> None:
    first = lib.echo({"list": [1, 2]})
    first["list"].append(3)
    assert lib.echo({"list": [1, 2]}) == {"list": [1, 2]}


def test_stats_arrives_as_a_dict_in_field_order(lib: virgil.Library) -> None:
    result = lib.stats([3, 1.5, 4])
    assert list(result) == ["count", "mean", "min", "max"]
    assert result == {"count": 3, "mean": 8.5 / 3, "min": 1.5, "max": 4.0}


def test_replies_larger_than_the_scratch_buffer(lib: virgil.Library) -> None:
    for size in (virgil.DEFAULT_SCRATCH_SIZE - 20, virgil.DEFAULT_SCRATCH_SIZE, 1 << 20):
        payload = bytes(size)
        assert lib.echo_bytes(payload) == payload
        text = "x" * size
        assert lib.greet(text) == f"Hello, {text}!"

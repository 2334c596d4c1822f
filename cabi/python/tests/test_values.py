"""The codec and value types on their own: canonical encodings, Time, Float32, limits."""

from __future__ import annotations

import copy
import dataclasses
import math
import pickle
import random
from datetime import datetime, timedelta, timezone
from typing import Any

import msgpack
import pytest

import virgil
from virgil.codec import (
    MAX_DEPTH,
    DecodeError,
    decode,
    encode,
    encode_exact,
    lift,
    split_envelope,
    unpack,
)


def nested(depth: int) -> Any:
    value: Any = None
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    "value, hex_bytes",
    [
        (0, "00"),
        (128, "cc80"),
        (-33, "d0df"),
        (2**64 - 1, "cfffffffffffffffff"),
        (2.0, "cb4000000000000000"),
        (virgil.Float32(1.5), "ca3fc00000"),
        ("a" * 32, "d920" + "61" * 32),
        (b"", "c400"),
        ((1, 2), "920102"),
        ({"a": 1}, "81a16101"),
        (virgil.Time.from_unix(1_700_000_000), "d6ff6553f100"),
        (virgil.Time.from_unix(1_700_000_000, 123_456_789), "d7ff1d6f34546553f100"),
        (virgil.Time.from_unix(-1, 500), "c70cff000001f4ffffffffffffffff"),
        (datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc), "d6ff6553f100"),
    ],
)
def test_canonical_encodings(value: Any, hex_bytes: str) -> None:
    assert encode(value).hex() == hex_bytes


def random_value(rng: random.Random, depth: int = 0) -> Any:
    choice = rng.randrange(10 if depth < 4 else 7)
    if choice == 0:
        return None
    if choice == 1:
        return rng.random() < 0.5
    if choice == 2:
        return rng.choice(
            [0, 1, 127, 128, -32, -33, 255, 65536, -(2**31), 2**63, -(2**63)]
        ) + rng.randrange(2)
    if choice == 3:
        return rng.uniform(-1e10, 1e10)
    if choice == 4:
        return "é" * rng.randrange(40)
    if choice == 5:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(300)))
    if choice == 6:
        return virgil.Time.from_unix(rng.randrange(-(2**35), 2**35), rng.randrange(10**9))
    if choice in (7, 8):
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(20))]
    return {f"k{i}": random_value(rng, depth + 1) for i in range(rng.randrange(20))}


def test_the_python_writer_agrees_with_msgpack() -> None:
    rng = random.Random(7)
    for _ in range(300):
        value = random_value(rng)
        encoded = encode(value)
        assert encode_exact(value) == encoded
        assert decode(encoded) == value


def test_float32_anywhere_uses_the_exact_writer() -> None:
    value = {"xs": [virgil.Float32(0.5), 0.5], "t": (virgil.Float32(-2.0),)}
    assert encode(value) == bytes.fromhex("82a27873") + bytes.fromhex(
        "92ca3f000000cb3fe0000000000000"
    ) + bytes.fromhex("a17491cac0000000")


def test_decoding_limits() -> None:
    assert decode(encode(nested(MAX_DEPTH))) == nested(MAX_DEPTH)
    with pytest.raises(DecodeError, match="nesting deeper than 512"):
        decode(encode(nested(MAX_DEPTH + 1)))
    with pytest.raises(DecodeError, match="nesting deeper than 512"):
        decode(b"\x91" * 100_000 + b"\xc0")
    with pytest.raises(DecodeError, match="truncated"):
        decode(b"\x92\x01")
    with pytest.raises(DecodeError, match="unexpected bytes after the value"):
        decode(b"\x01\x02")
    with pytest.raises(DecodeError, match="unused type byte"):
        decode(b"\xc1")
    with pytest.raises(DecodeError, match="not UTF-8"):
        decode(b"\xa1\xff")
    with pytest.raises(DecodeError, match="truncated"):
        decode(b"")


def test_deep_maps_are_limited_too() -> None:
    value: Any = 1
    for _ in range(MAX_DEPTH + 1):
        value = {"k": value}
    with pytest.raises(DecodeError):
        lift(value)


def test_arrays_and_maps_as_map_keys_are_refused() -> None:
    # cabi/ABI.md section 5: map keys are scalars; an array key is no longer read as a tuple.
    with pytest.raises(DecodeError, match="an array used as a map key"):
        decode(bytes.fromhex("81920102a178"))
    with pytest.raises(DecodeError, match="a map used as a map key"):
        decode(bytes.fromhex("8181a16101a178"))


def test_timestamps_as_map_keys_become_times() -> None:
    key = msgpack.Timestamp(5, 0)
    decoded = decode(msgpack.packb({"a": {key: 1}}))
    assert decoded == {"a": {virgil.Time.from_unix(5): 1}}


def test_envelopes() -> None:
    assert split_envelope({"ok": 1}) == (True, 1)
    assert split_envelope({"error": {"name": "x"}}) == (False, {"name": "x"})
    for bad, message in [
        ("garbage", "a str, not an envelope"),
        ({"ok": 1, "error": 2}, "a map with 2 entries"),
        ({"result": 1}, "not 'result'"),
        ({}, "a map with 0 entries"),
    ]:
        with pytest.raises(DecodeError, match=message):
            split_envelope(bad)


def test_time_is_an_exact_datetime() -> None:
    time = virgil.Time.from_unix(1_700_000_000, 123_456_789)
    assert isinstance(time, datetime) and time.tzinfo == timezone.utc
    assert time.microsecond == 123_456 and time.nanosecond == 789
    assert time.unix() == (1_700_000_000, 123_456_789)
    assert str(time) == "2023-11-14 22:13:20.123456789+00:00"
    assert time.isoformat() == "2023-11-14T22:13:20.123456789+00:00"
    fields = "2023, 11, 14, 22, 13, 20, 123456, nanosecond=789, tzinfo=datetime.timezone.utc"
    assert repr(time) == f"virgil.Time({fields})"
    plain = datetime(2023, 11, 14, 22, 13, 20, 123_456, tzinfo=timezone.utc)
    assert time != plain and plain != time and plain < time and time > plain
    assert virgil.Time.from_unix(1_700_000_000, 123_456_000) == plain
    assert hash(virgil.Time.from_unix(1_700_000_000, 123_456_000)) == hash(plain)
    assert pickle.loads(pickle.dumps(time)) == time and copy.deepcopy(time).nanosecond == 789
    assert time.replace(year=2024).nanosecond == 789 and time.replace(nanosecond=1).nanosecond == 1
    assert (time + timedelta(seconds=1)).unix() == (1_700_000_001, 123_456_000)  # microseconds
    assert virgil.Time.from_unix(-1, 500).unix() == (-1, 500)
    with pytest.raises(ValueError):
        virgil.Time.from_unix(0, 10**9)
    with pytest.raises(OverflowError):
        virgil.Time.from_unix(2**40)


def test_any_aware_datetime_is_an_instant() -> None:
    moment = datetime(2000, 1, 1, 12, tzinfo=timezone(timedelta(hours=-5)))
    assert decode(encode(moment)) == moment
    with pytest.raises(ValueError, match="naive datetime"):
        encode(datetime(2000, 1, 1))


def test_float32() -> None:
    assert virgil.Float32(0.1).value == 0.10000000149011612
    assert virgil.Float32(1.5) == 1.5 == virgil.Float32(1.5) and hash(virgil.Float32(1.5)) == hash(
        1.5
    )
    assert math.isnan(float(virgil.Float32(math.nan))) and virgil.Float32(math.nan) == math.nan
    assert repr(virgil.Float32(2)) == "virgil.Float32(2.0)"
    assert pickle.loads(pickle.dumps(virgil.Float32(3.5))) == 3.5
    with pytest.raises(OverflowError, match="float32 range"):
        virgil.Float32(1e300)


def test_lowering_python_values() -> None:
    @dataclasses.dataclass
    class Record:
        b: int
        a: str

    class Index:
        def __index__(self) -> int:
            return 7

    assert encode(Record(1, "x")) == encode({"b": 1, "a": "x"})  # fields in declaration order
    assert encode(Index()) == b"\x07"
    with pytest.raises(TypeError, match=r"cannot send a builtins\.complex"):
        encode(1j)
    with pytest.raises(TypeError):
        encode(Record)  # a class, not an instance


def test_unpack_does_not_lift() -> None:
    stamp = unpack(encode(virgil.Time.from_unix(1)))
    assert isinstance(stamp, msgpack.Timestamp)
    assert lift(stamp) == virgil.Time.from_unix(1)

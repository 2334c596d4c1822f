"""A guest that breaks the reply rules on purpose (host/testdata/badguest.c): each breakage is a
clear error, never a crash, a hang or a leak, with or without a scratch buffer."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator

import pytest

import virgil

BuildC = Callable[[str], Path]

BROKEN = [
    ("not_envelope", virgil.ResultError, "a str, not an envelope"),
    ("empty_reply", virgil.OutOfMemory, "could not allocate its reply"),
    ("two_keys", virgil.ResultError, "a map with 2 entries"),
    ("wrong_key", virgil.ResultError, "'result'"),
    ("trailing", virgil.ResultError, "unexpected bytes"),
    ("truncated", virgil.ResultError, "truncated"),
    ("deep_nesting", virgil.LimitExceeded, "nesting deeper than 512"),
    ("bad_exception", virgil.ResultError, "malformed exception record"),
    (
        "deep_cause",
        virgil.LimitExceeded,
        "exception record: the cause chain is longer than 256",
    ),
]


@pytest.fixture(
    scope="module", params=[virgil.DEFAULT_SCRATCH_SIZE, 0], ids=["scratch", "no-scratch"]
)
def bad(request: pytest.FixtureRequest, build_c: BuildC) -> Iterator[virgil.Library]:
    lib = virgil.load(build_c("host/testdata/badguest.c"), scratch_size=request.param)
    before = lib.virgil_stats()["live"]
    yield lib
    assert lib.virgil_stats()["live"] == before, "guest buffers leaked"


@pytest.mark.parametrize("function, error, message", BROKEN, ids=[case[0] for case in BROKEN])
def test_broken_replies_are_clear_errors(
    bad: virgil.Library, function: str, error: type, message: str
) -> None:
    with pytest.raises(error) as caught:
        bad.call(function)
    assert isinstance(caught.value, virgil.ForeignError)
    assert message in str(caught.value)
    assert caught.value.message.startswith(function + ": ")


def test_a_reply_allocated_when_the_scratch_would_do_is_freed(bad: virgil.Library) -> None:
    before = bad.virgil_stats()
    for _ in range(100):
        assert bad.always_alloc() == "allocated"
    after = bad.virgil_stats()
    assert after["allocations"] - before["allocations"] >= 100
    assert after["live"] == before["live"]


def test_scratch_buffer_boundary(build_c: BuildC) -> None:
    """A reply of exactly the scratch buffer's size is written there; one byte more is not."""
    capacity = 4096
    lib = virgil.load(build_c("host/testdata/badguest.c"), scratch_size=capacity)
    overhead = 4 + 3  # {"ok": and a bin16 header
    for n in (
        0,
        1,
        100,
        capacity - overhead - 1,
        capacity - overhead,
        capacity - overhead + 1,
        100_000,
    ):
        before = lib.virgil_stats()["allocations"]
        got = lib.scratch_fill(n)
        assert got == (bytes(range(251)) * (n // 251 + 1))[:n]
        allocated = lib.virgil_stats()["allocations"] - before
        assert allocated == (1 if n + (2 if n < 256 else 3) + 4 > capacity else 0), n
    assert lib.virgil_stats()["live"] == 0


def test_argument_errors_from_the_guest(bad: virgil.Library) -> None:
    with pytest.raises(virgil.ArgumentError, match="scratch_fill: expected one int"):
        bad["scratch_fill"].raw(b"\x91\xa1x")

"""No guest buffer is ever leaked: 100,000 calls of every kind, and the guest's live allocation
count (virgil_stats, cabi/ABI.md section 10) comes back to where it started."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from conftest import stats

import virgil

CALLS = 100_000


def test_100000_calls_leave_no_guest_buffer_behind(lib: virgil.Library) -> None:
    before = stats(lib)
    big = bytes(virgil.DEFAULT_SCRATCH_SIZE * 2)  # replies the guest must allocate
    add, echo, echo_bytes, divide = lib.add, lib.echo, lib.echo_bytes, lib.divide
    for i in range(CALLS):
        kind = i % 100
        if kind < 80:
            add(i, 1)  # the common small call: the reply is in the scratch buffer
        elif kind < 90:
            echo({"i": i, "s": "x" * (i % 50)})
        elif kind < 95:
            echo_bytes(big)
        elif kind < 98:
            with contextlib.suppress(ZeroDivisionError):
                divide(i, 0)
        elif kind < 99:
            with contextlib.suppress(virgil.ForeignError):
                lib.fail_chain(5)
        else:
            with contextlib.suppress(virgil.ArgumentError):
                lib["add"].raw(b"\x92\x01")  # malformed: the guest replies an ArgumentError
    after = stats(lib)
    assert after["live"] == before["live"], f"{after['live'] - before['live']} guest buffers leaked"
    assert after["allocations"] - before["allocations"] >= CALLS * 5 // 100  # the big replies


@pytest.mark.parametrize("scratch_size", [0, 16])
def test_every_reply_allocated_is_freed(guest: Path, scratch_size: int) -> None:
    """Without a scratch buffer every reply is in guest memory, and with a tiny one every error
    reply is: each must be freed, exactly once."""
    lib = virgil.load(guest, scratch_size=scratch_size)
    before = stats(lib)
    for i in range(20_000):
        assert lib.add(i, 1) == i + 1
        if i % 10 == 0:
            with pytest.raises(ValueError):
                lib.stats([])
    after = stats(lib)
    allocated = after["allocations"] - before["allocations"]
    assert allocated >= (22_000 if scratch_size == 0 else 2_000)
    assert after["frees"] - before["frees"] == allocated
    assert after["live"] == before["live"]


@pytest.mark.parametrize("scratch_size", [1, 3, 4, 5, 9, 64])
def test_any_scratch_size_works(guest: Path, scratch_size: int) -> None:
    """Scratch buffers too small for an envelope's head, for a small reply, or just enough."""
    lib = virgil.load(guest, scratch_size=scratch_size)
    before = stats(lib)["live"]
    for i in range(200):
        assert lib.add(i, 1) == i + 1
        assert lib.greet("x" * (i % 40)) == "Hello, " + "x" * (i % 40) + "!"
        with pytest.raises(ZeroDivisionError):
            lib.divide(i, 0)
    assert stats(lib)["live"] == before

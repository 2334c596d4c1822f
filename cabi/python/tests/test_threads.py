"""Calls from many Python threads at once: correct results, the GIL released during the call, and
no guest buffer left behind."""

from __future__ import annotations

import contextlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import List

import pytest

import virgil

THREADS = 16
CALLS = 2_000


def worker(lib: virgil.Library, seed: int, failures: List[str]) -> None:
    """CALLS calls of several kinds, each checked; failures are collected, not raised."""
    big = bytes([seed % 256]) * (virgil.DEFAULT_SCRATCH_SIZE + seed)  # a reply the guest allocates
    try:
        for i in range(CALLS):
            kind = i % 8
            if kind == 0:
                assert lib.add(seed, i) == seed + i
            elif kind == 1:
                assert lib.greet(f"t{seed}-{i}") == f"Hello, t{seed}-{i}!"
            elif kind == 2:
                value = {"seed": seed, "i": i, "list": [seed] * (i % 5), "b": bytes([i % 256])}
                assert lib.echo(value) == value
            elif kind == 3:
                try:
                    lib.divide(seed, 0)
                except ZeroDivisionError as error:
                    assert isinstance(error, virgil.ForeignError)
                else:
                    raise AssertionError("no ZeroDivisionError")
            elif kind == 4:
                assert lib.echo_bytes(big) == big
            elif kind == 5:
                try:
                    lib.fail_chain(1 + i % 4)
                except virgil.ForeignError as error:
                    depth, level = 0, error
                    while level is not None:
                        depth, level = depth + 1, level.__cause__  # type: ignore[assignment]
                    assert depth == 1 + i % 4
            elif kind == 6:
                assert lib.stats([seed, i]) == {
                    "count": 2,
                    "mean": (seed + i) / 2,
                    "min": float(min(seed, i)),
                    "max": float(max(seed, i)),
                }
            else:
                with contextlib.suppress(virgil.ArgumentError):
                    lib.add(1)
    except Exception as error:
        failures.append(f"thread {seed}: {error!r}")


def test_many_threads_at_once(leak_checked: virgil.Library) -> None:
    lib = leak_checked
    failures: List[str] = []
    threads = [
        threading.Thread(target=worker, args=(lib, seed, failures)) for seed in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_the_gil_is_released_during_calls(lib: virgil.Library) -> None:
    """Eight 300 ms sleeps in the guest from eight threads take about 300 ms, not 2.4 s."""
    lib.sleep_ms(0)
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: lib.sleep_ms(300), range(8)))
    elapsed = time.perf_counter() - start
    assert results == [None] * 8
    assert elapsed < 1.2, f"8 concurrent 300 ms calls took {elapsed:.2f} s"


def test_python_keeps_running_while_a_guest_sleeps(lib: virgil.Library) -> None:
    ticks = 0
    sleeper = threading.Thread(target=lib.sleep_ms, args=(300,))
    sleeper.start()
    while sleeper.is_alive():
        ticks += 1
        time.sleep(0.001)
    sleeper.join()
    assert ticks > 50


@pytest.mark.parametrize("scratch_size", [0, 64])
def test_threads_with_small_or_no_scratch_buffers(guest: object, scratch_size: int) -> None:
    lib = virgil.load(guest, scratch_size=scratch_size)  # type: ignore[arg-type]
    before = lib.virgil_stats()["live"]
    with ThreadPoolExecutor(max_workers=8) as pool:
        sums = list(pool.map(lambda i: lib.add(i, i), range(4_000)))
    assert sums == [2 * i for i in range(4_000)]
    assert lib.virgil_stats()["live"] == before

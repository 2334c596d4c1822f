#!/usr/bin/env python3
"""Measures what the Python host costs over a bare ctypes call, and large-payload throughput.

For each library: the per-call time of ``lib.add(1, 2)`` against a raw ctypes call of the same
``add`` symbol on pre-encoded argument bytes (prebuilt boxes, a scratch buffer, no decoding), both
measured in this run, best of several rounds; for guests with closures, ``lib.apply(f, 21)``
(a Python callable passed to the guest, which calls it back once) against ``add``; and the
throughput of ``echo_bytes`` at 16 MiB
against copying 16 MiB into a new ``bytearray`` (for a library whose manifest declares borrow,
both lent and inline, cabi/ABI.md section 16). Prints a table.

    python3 cabi/python/bench.py                      # every build/libconformance_*.so
    python3 cabi/python/bench.py build/libconformance_go.so --rounds 7
"""

from __future__ import annotations

import argparse
import ctypes
import glob
import os
import sys
import time
from typing import Callable, List, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
try:
    import virgil
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, os.path.join(HERE, "src"))
    import virgil


class Box(ctypes.Structure):
    """virgil_box, declared here independently of the package."""

    _fields_ = [("ptr", ctypes.c_void_p), ("len", ctypes.c_uint64)]


def best_ns(action: Callable[[], object], count: int, rounds: int) -> float:
    """The best time per call of ``action`` over ``rounds`` rounds of ``count`` calls."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter_ns()
        for _ in range(count):
            action()
        best = min(best, (time.perf_counter_ns() - start) / count)
    return best


def raw_add(path: str) -> Callable[[], object]:
    """A bare ctypes call of ``add`` with the bytes of [1, 2], lending a 16 KiB scratch buffer."""
    library = ctypes.CDLL(path, mode=os.RTLD_NOW | os.RTLD_LOCAL)
    add = library["add"]
    add.restype = None  # no argtypes: the fastest way ctypes passes two prebuilt references
    args = ctypes.create_string_buffer(b"\x92\x01\x02", 3)
    scratch = ctypes.create_string_buffer(16 * 1024)
    inbox = Box(ctypes.addressof(args), 3)
    outbox = Box()
    inref, outref = ctypes.byref(inbox), ctypes.byref(outbox)
    scratch_addr = ctypes.addressof(scratch)

    def call() -> object:
        outbox.ptr = scratch_addr
        outbox.len = 16 * 1024
        add(inref, outref)
        return outbox.len

    call.keep_alive = (args, scratch)  # type: ignore[attr-defined]  # the guest writes there

    call()
    if scratch.raw[: outbox.len] != b"\x81\xa2ok\x03":
        raise SystemExit(f"{path}: add(1, 2) replied {scratch.raw[: outbox.len]!r}")
    return call


def raw_echo_bytes(path: str, payload: bytes) -> Callable[[], object]:
    """A bare ctypes call of ``echo_bytes`` on pre-encoded arguments, with the reply copied out
    (as any host must) and freed: the floor for the host's own ``echo_bytes``."""
    library = ctypes.CDLL(path, mode=os.RTLD_NOW | os.RTLD_LOCAL)
    echo = library["echo_bytes"]
    echo.restype = None
    free = library["virgil_realloc"]
    free.argtypes = (ctypes.c_void_p, ctypes.c_size_t)
    free.restype = ctypes.c_void_p
    encoded = __import__("msgpack").packb([payload], use_bin_type=True)
    args = ctypes.create_string_buffer(encoded, len(encoded))
    scratch = ctypes.create_string_buffer(16 * 1024)
    inbox = Box(ctypes.addressof(args), len(encoded))
    outbox = Box()

    def call() -> object:
        outbox.ptr = ctypes.addressof(scratch)
        outbox.len = 16 * 1024
        echo(ctypes.byref(inbox), ctypes.byref(outbox))
        reply = ctypes.string_at(outbox.ptr, outbox.len)
        free(outbox.ptr, 0)
        return reply

    call.keep_alive = (args, scratch)  # type: ignore[attr-defined]
    return call


def measure(path: str, calls: int, rounds: int) -> List[Tuple[str, str, str, str]]:
    """The table rows for one library."""
    lib = virgil.load(path)
    name = lib.manifest.language if lib.manifest else os.path.basename(path)
    raw = raw_add(path)
    add = lib.add
    assert add(1, 2) == 3

    # Interleave the two measurements so that both see the same machine state.
    raw_ns, host_ns = float("inf"), float("inf")
    for _ in range(rounds):
        raw_ns = min(raw_ns, best_ns(raw, calls, 1))
        host_ns = min(host_ns, best_ns(lambda: add(1, 2), calls, 1))
    rows = [
        (
            name,
            "add(1, 2)",
            f"{host_ns:,.0f} ns",
            f"{host_ns / raw_ns:.2f}x raw ctypes ({raw_ns:,.0f} ns)",
        )
    ]

    if "apply" in lib:  # closures (cabi/ABI.md section 15): one crossing each way
        apply = lib.apply
        double = lambda x: 2 * x  # noqa: E731 - the same callable every call
        assert apply(double, 21) == 42
        apply_ns = fresh_ns = float("inf")
        for _ in range(rounds):
            apply_ns = min(apply_ns, best_ns(lambda: apply(double, 21), calls // 4, 1))
            fresh_ns = min(fresh_ns, best_ns(lambda: apply(lambda x: 2 * x, 21), calls // 4, 1))
        rows.append(
            (
                name,
                "apply(double, 21)",
                f"{apply_ns:,.0f} ns",
                f"{apply_ns / host_ns:.1f}x add(1, 2)",
            )
        )
        rows.append(
            (
                name,
                "apply(lambda x: 2*x, 21)",
                f"{fresh_ns:,.0f} ns",
                f"{fresh_ns / host_ns:.1f}x add(1, 2); a fresh lambda each call",
            )
        )

    echo = lib.echo
    value = {"name": "x", "list": [1, 2.5, None, True], "blob": b"\x00" * 32}
    echo_ns = best_ns(lambda: echo(value), calls // 4, rounds)
    rows.append((name, "echo(small map)", f"{echo_ns:,.0f} ns", ""))

    size = 16 << 20
    payload = bytes(range(256)) * (size // 256)
    # A library declaring borrow (cabi/ABI.md section 16) is measured lending the payload and,
    # loaded again with borrow_threshold=0, writing it inline: before and after, in one run.
    echoes: List[Tuple[str, Callable[[], object]]] = [("", lambda: lib.echo_bytes(payload))]
    if lib.borrow_threshold:
        inline = virgil.load(path, borrow_threshold=0)
        echoes = [
            (", lent", lambda: lib.echo_bytes(payload)),
            (", inline", lambda: inline.echo_bytes(payload)),
        ]
    for _, echo_once in echoes:
        assert echo_once() == payload
    raw_echo = raw_echo_bytes(path, payload)
    echo_s = [float("inf")] * len(echoes)
    raw_s = copy_s = float("inf")
    for _ in range(max(rounds, 3)):  # interleaved: every measurement sees the same machine
        for index, (_, echo_once) in enumerate(echoes):
            echo_s[index] = min(echo_s[index], best_ns(echo_once, 1, 1) / 1e9)
        raw_s = min(raw_s, best_ns(raw_echo, 1, 1) / 1e9)
        copy_s = min(copy_s, best_ns(lambda: bytearray(payload), 1, 1) / 1e9)
    mib = size / (1 << 20)
    for (how, _), seconds in zip(echoes, echo_s):
        rows.append(
            (
                name,
                f"echo_bytes(16 MiB){how}",
                f"{mib / seconds:,.0f} MiB/s",
                f"{copy_s / seconds:.2f}x one copy ({mib / copy_s:,.0f} MiB/s); "
                f"{seconds / raw_s:.2f}x the time of raw ctypes inline ({mib / raw_s:,.0f} MiB/s)",
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "libraries", nargs="*", help="guest libraries (default: build/libconformance_*.so)"
    )
    parser.add_argument(
        "--calls", type=int, default=100_000, help="calls per round (default 100000)"
    )
    parser.add_argument("--rounds", type=int, default=5, help="rounds; the best counts (default 5)")
    options = parser.parse_args()
    root = os.path.dirname(os.path.dirname(HERE))
    paths = options.libraries or sorted(
        glob.glob(os.path.join(root, "build", "libconformance_*.so"))
    )
    if not paths:
        raise SystemExit("no libraries: build them with `make guests` or name them")
    rows = [("guest", "call", "virgil", "compared with")]
    for path in paths:
        rows += measure(path, options.calls, options.rounds)
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    msgpack_version = ".".join(map(str, __import__("msgpack").version))
    print(f"Python {sys.version.split()[0]} ({sys.implementation.name}), msgpack {msgpack_version}")
    for index, row in enumerate(rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        if index == 0:
            print("  ".join("-" * width for width in widths))


if __name__ == "__main__":
    main()

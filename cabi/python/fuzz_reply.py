#!/usr/bin/env python3
"""Fuzzes how the Python host reads a reply: the reply-box checks, the envelope, the value (by
several declared result types), borrowed values (read through a lender whose argument bytes and one
lent value are real memory, so a view it lets through is readable) and the exception record
(cabi/ABI.md sections 2, 4, 5, 6, 11, 16).

Whatever the bytes, reading them either gives a value or raises a
:class:`virgil.ForeignError` (``ResultError``, ``LimitExceeded``, or the guest's own exception
from a well-formed record): never another exception, a crash or a hang. A value that is read is
written canonically, and that encoding reads and writes back to the same bytes (idempotence).
The box checks never accept a reply pointer inside the caller's own memory, nor a length that is
zero, beyond the scratch buffer or the maximum.

With atheris (``pip install atheris``) it runs under libFuzzer, seeded from the test vectors;
without it, a self-made mutating fuzzer runs over the same seeds:

    python cabi/python/fuzz_reply.py --time 30s           # atheris when installed
    python cabi/python/fuzz_reply.py --iterations 200000  # the self-made fuzzer, fixed count
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import struct
import sys
import time
from typing import Any, Callable, List, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
try:
    import virgil
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, os.path.join(HERE, "src"))
    import virgil

from virgil import _binding, _crossing  # noqa: E402
from virgil._abi import GuestMemory, InBox, in_address  # noqa: E402
from virgil._borrow import Lender  # noqa: E402
from virgil.codec import borrowed  # noqa: E402
from virgil.manifest import parse_type  # noqa: E402

# Result types a reply is lifted by: any, and the conformance library's typed results.
_TYPES: List[Optional[Callable[[Any], Any]]] = [None] + [
    parse_type(text).lifter()
    for text in (
        "int",
        "float",
        "str?",
        "bytes",
        "[float]",
        "{str: int}",
        '{"count": int, "mean": float, "min": float, "max": float}',
        "time",
    )
]


# The memory a fuzzed reply's borrowed values may view: the call's argument bytes and one value
# lent to it, both real (a view the lender lets through is read, and copied).
_IN = b"\x92\xa3abc" + bytes(range(32))
_LENT = bytes(range(256)) * 4
_LENDER = Lender(InBox(_IN, len(_IN)), GuestMemory())
_LENDER.lend((_LENT,), 1)


def _borrowed_seeds() -> List[bytes]:
    """Replies whose borrowed values view (part of) the memory the fuzzed call lent, or not."""
    (start, size), inside = _LENDER.spans[0], in_address(_LENDER.inbox)
    views = [(65, start, size), (66, start + 10, 20), (65, inside, len(_IN)), (65, start, 0)]
    views += [(65, start + size - 4, 8), (66, 0, 3), (65, inside - 1, 4), (65, 1 << 63, 1 << 32)]
    envelopes = [b"\x81\xa2ok" + virgil.encode(borrowed(*view)) for view in views]
    pair = virgil.encode([borrowed(*views[0]), {"k": borrowed(*views[1])}])
    return [*envelopes, b"\x81\xa2ok" + pair]


def check_reply(data: bytes) -> None:
    """Reads ``data`` as a reply envelope the way a bound function does."""
    try:
        envelope = _crossing._decode("fuzz", data, _LENDER.hook)
    except virgil.ForeignError:
        return
    for typed in _TYPES:
        try:
            value = _binding._result("fuzz", envelope, typed)
        except virgil.ForeignError:
            continue
        if typed is None:
            try:
                again = virgil.encode(value)
            except (TypeError, ValueError, OverflowError):
                continue  # e.g. a Timestamp outside datetime's years that lift left raw
            assert virgil.encode(virgil.decode(again)) == again, data.hex()


_OWN_IN, _OWN_SCRATCH = 0x10000, 0x20000


def check_box(data: bytes) -> None:
    """The reply-box checks over box words taken from ``data`` (no memory is touched)."""
    if len(data) < 12:
        return
    pick, length = struct.unpack_from("<IQ", data)
    pointers = (0, _OWN_SCRATCH, _OWN_SCRATCH + 1 + pick % 64, _OWN_IN + pick % 40, 0x90000)
    ptr = pointers[pick % len(pointers)]
    length %= 1 << (8 + pick % 56)
    own = ((_OWN_IN, 32, "argument bytes"), (_OWN_SCRATCH, 64, "scratch buffer"))
    try:
        in_guest = _crossing.check_box("fuzz", ptr, length, _OWN_SCRATCH, 64, own, 1 << 20)
    except (virgil.ProtocolError, virgil.OutOfMemory, virgil.LimitExceeded):
        return
    assert ptr and length > 0, (ptr, length)
    if in_guest:
        assert not (_OWN_IN <= ptr < _OWN_IN + 32 or _OWN_SCRATCH <= ptr < _OWN_SCRATCH + 64)
        assert length <= 1 << 20
    else:
        assert ptr == _OWN_SCRATCH and length <= 64


def one_input(data: bytes) -> None:
    """The fuzz target: one input, every check."""
    check_box(data)
    check_reply(data)


def seeds() -> List[bytes]:
    """Replies to start from: every vector and edge wrapped in envelopes, and a few records."""
    found: List[bytes] = [b"\x81\xa2ok\xc0", b"\x81\xa5error\x81\xa4name\xa1X"]
    found += _borrowed_seeds()
    with open(os.path.join(REPO, "cabi", "testdata", "vectors.json")) as file:
        for vector in json.load(file)["vectors"]:
            raw = bytes.fromhex(vector["hex"])
            found.append(raw if vector["kind"] == "envelope" else b"\x81\xa2ok" + raw)
            if vector["kind"] == "exception":
                found.append(b"\x81\xa5error" + raw)
    with open(os.path.join(REPO, "cabi", "testdata", "edges.json")) as file:
        for case in json.load(file)["cases"]:
            found.append(b"\x81\xa2ok" + bytes.fromhex(case["hex"]))
    return found


def mutate(data: bytes, rng: random.Random, pool: List[bytes]) -> bytes:
    """One random change: flip, insert, delete, splice, or an interesting byte."""
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        action = rng.randrange(6)
        where = rng.randrange(len(buf) + 1)
        if action == 0 and buf:
            buf[where % len(buf)] ^= 1 << rng.randrange(8)
        elif action == 1:
            buf[where:where] = bytes([rng.choice((0xC1, 0xDD, 0xDF, 0xDB, 0xFF, 0x91, 0x81))])
        elif action == 2 and buf:
            del buf[where : where + rng.randint(1, 8)]
        elif action == 3:
            other = rng.choice(pool)
            start = rng.randrange(len(other) + 1)
            buf[where:where] = other[start : start + rng.randint(1, 32)]
        elif action == 4 and buf:
            buf[where % len(buf)] = rng.randrange(256)
        else:
            buf = buf[:where]
    return bytes(buf[: 1 << 16])


def run_own(iterations: int, seconds: float, seed: int) -> int:
    """The self-made fuzzer: mutates seeds for ``iterations`` inputs or ``seconds``."""
    rng = random.Random(seed)
    pool = seeds()
    deadline = time.monotonic() + seconds if seconds > 0 else math.inf
    count = 0
    for data in pool:
        one_input(data)
    while count < iterations and time.monotonic() < deadline:
        data = mutate(rng.choice(pool), rng, pool)
        try:
            one_input(data)
        except Exception:
            print(f"fuzz_reply: failing input (seed {seed}, input {count}): {data.hex()}")
            raise
        if rng.random() < 0.01 and len(pool) < 5000:
            pool.append(data)
        count += 1
    return count


def _seconds(text: str) -> float:
    """A Go-style duration (``30s``, ``2m``, ``1h``) or a number of seconds."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h)?", text)
    if match is None:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r}")
    scale = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, None: 1}[match.group(2)]
    return float(match.group(1)) * scale


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--time", type=_seconds, default=0.0, help="how long, e.g. 30s")
    parser.add_argument("--iterations", type=int, default=0, help="how many inputs (own fuzzer)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the own fuzzer")
    parser.add_argument(
        "--own", action="store_true", help="the self-made fuzzer, even with atheris"
    )
    options, rest = parser.parse_known_args()
    if not options.time and not options.iterations:
        options.iterations = 100_000
    try:
        import atheris  # type: ignore[import-not-found]
    except ImportError:
        atheris = None
    if atheris is None or options.own:
        started = time.monotonic()
        count = run_own(options.iterations or sys.maxsize, options.time, options.seed)
        took = time.monotonic() - started
        print(f"fuzz_reply: {count} inputs in {took:.1f}s, no failure (self-made fuzzer)")
        return
    corpus = os.path.join(REPO, "build", "fuzz_reply_corpus")
    os.makedirs(corpus, exist_ok=True)
    for index, data in enumerate(seeds()):
        with open(os.path.join(corpus, f"seed-{index:04d}"), "wb") as file:
            file.write(data)
    artifacts = os.path.join(REPO, "build", "fuzz_reply_")  # failing inputs land beside it
    argv = [sys.argv[0], f"-artifact_prefix={artifacts}", *rest, corpus]
    if options.time:
        argv.insert(1, f"-max_total_time={max(1, int(options.time))}")
    if options.iterations:
        argv.insert(1, f"-runs={options.iterations}")
    atheris.instrument_all()  # coverage of the kit's Python code (msgpack's C is not instrumented)
    atheris.Setup(argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()

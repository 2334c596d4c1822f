"""The hostile host of cabi/conformance/hostile.json: runs every ``host_faults`` case against one
guest through hand-made boxes and prints one JSON line per case (``name``, ``got``: the reply's
outcome, ``alive``: whether ``add(1, 2)`` still works, and the guest's live buffers before and
after). Run by test_hostile.py in a child process, so a guest crash ends only this process.

A case that ``requires: borrow`` (cabi/ABI.md section 16) runs only when the guest's manifest
declares ``"borrow": true`` (else its line says ``skip``); "broken borrowed arguments" sends every
``arguments`` case of cabi/testdata/borrowed.json and reports each under ``cases``.

    python hostile_host.py build/libconformance_c.so
"""

from __future__ import annotations

import ctypes
import json
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rawbox import RawGuest, reply_outcome

import virgil
from virgil.codec import borrowed

REPO = Path(__file__).resolve().parents[3]
_NOOP = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(lambda env: None)
_LIBC_REALLOC = ctypes.cast(ctypes.CDLL(None).realloc, ctypes.c_void_p).value or 0


def _closure(call: int) -> bytes:
    """A closure (ext 64, 40 bytes) whose call word is ``call`` and whose other words are real:
    a guest that used them anyway would call a no-op, not crash."""
    noop = ctypes.cast(_NOOP, ctypes.c_void_p).value or 0
    words = (call, 1, _LIBC_REALLOC, noop, noop)
    return b"\xc7\x28\x40" + b"".join(word.to_bytes(8, "little") for word in words)


def _nested(depth: int) -> bytes:
    return b"\x91" * depth + b"\x01"


# What each case sends: (function, argument bytes or None for {NULL, 0}, options).
CASES: Dict[str, Any] = {
    "null in": ("add", None, {"null_in": True}),
    "empty in": ("add", None, {}),
    "null out": ("add", b"\x92\x01\x02", {"null_out": True}),
    "garbage": ("add", b"\xc1\xc1", {}),
    "truncated": ("add", b"\x92\x01", {}),
    "array32 header claiming 2^32-1 elements": ("add", bytes.fromhex("ddffffffff01"), {}),
    "str32 header claiming 4 GiB": ("greet", bytes.fromhex("91dbffffffff61"), {}),
    "wrong arity": ("add", b"\x91\x01", {}),
    "wrong type": ("add", bytes.fromhex("9201a132"), {}),
    "not an array": ("add", bytes.fromhex("81a16101"), {}),
    "nesting 513": ("echo", b"\x91" + _nested(513), {}),
    "nesting 512": ("echo", b"\x91" + _nested(512), {}),
    "closure with a NULL call word": ("apply", b"\x92" + _closure(0) + b"\x15", {}),
    "closure with a short payload": ("apply", b"\x92\xd7\x40" + bytes(8) + b"\x15", {}),
    "scratch smaller than the reply": (
        "greet",
        b"\x91" + virgil.encode("x" * 100),
        {"scratch": 4},
    ),
}


def _lent_str(data: bytes) -> Any:
    """The argument array ``[ext 66 viewing data]`` as a ``bytes_of`` function: the bytes are
    real memory, lent for the call (``data`` is kept alive by the closure)."""

    def bytes_of() -> bytes:
        address = ctypes.cast(ctypes.c_char_p(data), ctypes.c_void_p).value or 0
        return b"\x91" + virgil.encode(borrowed(66, address, len(data)))

    return bytes_of


# The cases that require borrow, with the function each calls: a list of (label, function,
# argument bytes or a function making them, expected outcome); an outcome None takes the fault's.
_BORROWED = json.loads((REPO / "cabi" / "testdata" / "borrowed.json").read_text())
BORROW_CASES: Dict[str, List[Tuple[str, str, Any, Optional[str]]]] = {
    "broken borrowed arguments": [
        (case["name"], case["function"], bytes.fromhex(case["hex"]), case["expect"])
        for case in _BORROWED["arguments"]
    ],
    "borrowed str not UTF-8": [("ff fe", "greet", _lent_str(b"\xff\xfe"), None)],
}


def _outcome(guest: RawGuest, function: str, data: Optional[bytes], options: Dict[str, Any]) -> str:
    reply = guest.call(function, data, **options)
    if reply is None:
        return "no reply"
    return reply_outcome(reply)


def run_case(guest: RawGuest, functions: Optional[set], name: str) -> Dict[str, Any]:
    function, data, options = CASES[name]
    if functions is not None and function not in functions:
        return {"name": name, "skip": f"its manifest has no {function}, so {name!r} cannot run"}
    options = dict(options)
    options.setdefault("scratch", virgil.DEFAULT_SCRATCH_SIZE)
    before = guest.live()
    got = _outcome(guest, function, data, options)
    if name == "nesting 512" and got == "ok:" + data[1:].hex():
        got = "ok:same"
    return _entry(guest, name, before, got=got)


def _entry(guest: RawGuest, name: str, before: Optional[int], **found: Any) -> Dict[str, Any]:
    """One line of output: what was found, whether the guest still answers add(1, 2), and its
    live buffers before the case and now."""
    alive = guest.call("add", b"\x92\x01\x02", scratch=64) == b"\x81\xa2ok\x03"
    return {
        "name": name,
        **found,
        "alive": alive,
        "live_before": before,
        "live_after": guest.live(),
    }


def run_borrow_case(
    guest: RawGuest, manifest: Optional[virgil.Manifest], name: str, expect: str
) -> Dict[str, Any]:
    """A case that requires borrow: each of its calls, against a guest declaring borrow."""
    if manifest is None or not manifest.borrow:
        return {"name": name, "skip": "its manifest does not declare borrow (cabi/ABI.md 16)"}
    functions = {info.name for info in manifest.functions}
    before = guest.live()
    cases = []
    for label, function, data, want in BORROW_CASES[name]:
        if function not in functions:
            return {"name": name, "skip": f"its manifest has no {function}"}
        arguments = data() if callable(data) else data
        got = _outcome(guest, function, arguments, {"scratch": virgil.DEFAULT_SCRATCH_SIZE})
        cases.append({"case": label, "expect": want or expect, "got": got})
    return _entry(guest, name, before, cases=cases)


def main(path: str) -> None:
    guest = RawGuest(path)
    manifest = virgil.load(path).manifest
    functions = {info.name for info in manifest.functions} if manifest is not None else None
    suite = json.loads((REPO / "cabi" / "conformance" / "hostile.json").read_text())
    for fault in suite["host_faults"]:
        name = fault["name"]
        if fault.get("requires") == "borrow" and name in BORROW_CASES:
            entry = run_borrow_case(guest, manifest, name, fault["expect"])
            print(json.dumps(entry), flush=True)
        elif name not in CASES:
            print(json.dumps({"name": name, "skip": f"this driver has no case {name!r} yet"}))
        else:
            print(json.dumps(run_case(guest, functions, name)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])

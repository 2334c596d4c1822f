"""cabi/conformance/hostile.json: the hostile-peer suite (cabi/ABI.md sections 2, 3, 7, 11, 16).

``guest_faults``: every function of the hostile C guest (build/libhostile.so, from
cabi/conformance/hostile/hostile_guest.c) breaks the reply protocol one way; this host raises the
named error, in-process, and frees nothing the guest did not allocate. ``host_faults``: this test
plays a hostile host against every conformance guest through hand-made boxes, and the guest
replies the named error and keeps answering. The host faults run in a child process per guest,
so that a guest that crashes on one fails (or skips) that fault instead of killing the run. Host
faults that require borrow run against the guests whose manifest declares it (whatever their
name), and must pass there.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest
from conftest import GUEST_DIR, IN_CI, REPO, guest_language, not_yet_conforming

import virgil

SUITE = json.loads((REPO / "cabi" / "conformance" / "hostile.json").read_text())
GUEST_FAULTS: List[Dict[str, str]] = SUITE["guest_faults"]
HOST_FAULTS: List[Dict[str, str]] = SUITE["host_faults"]
HOSTILE = GUEST_DIR / "libhostile.so"
# The fault whose buffer the hostile guest leaks on purpose (the host must not free it).
_LEAKS_ONE = "reply_pointer_without_length"


@pytest.fixture(scope="module", params=[virgil.DEFAULT_SCRATCH_SIZE, 64], ids=["16k", "64"])
def hostile(request: pytest.FixtureRequest) -> virgil.Library:
    if not HOSTILE.exists():
        message = f"{HOSTILE} is missing (make guests builds it from cabi/conformance/hostile)"
        if IN_CI:
            pytest.fail(f"CI=true: {message}")
        pytest.skip(message)
    return virgil.load(HOSTILE, scratch_size=request.param)


@pytest.mark.parametrize("fault", GUEST_FAULTS, ids=[fault["function"] for fault in GUEST_FAULTS])
def test_guest_fault(hostile: virgil.Library, fault: Dict[str, str]) -> None:
    name, expect = fault["function"], fault["expect"]
    if name not in hostile:
        pytest.fail(
            f"{HOSTILE} has no function {name}, which hostile.json lists: rebuild it from "
            "cabi/conformance/hostile/hostile_guest.c (make guests)"
        )
    before = hostile.virgil_stats()["live"]
    for _ in range(3):  # the same fault again: nothing was left half-done
        if expect == "ok:in":  # a borrowed view of the argument bytes sent: [] is 0x90
            assert hostile.call(name) == b"\x90"
            continue
        if expect.startswith("ok:"):
            assert str(hostile.call(name)) == expect[3:]
            continue
        with pytest.raises(virgil.ForeignError) as caught:
            hostile.call(name)
        assert caught.value.name == expect, f"{name}: {caught.value!r}"
        assert str(caught.value).startswith(f"{name}: "), "the error names the function"
        assert type(caught.value) is virgil.errors[expect]
    leaked = 3 if name == _LEAKS_ONE else 0
    assert hostile.virgil_stats()["live"] == before + leaked, "freed too much or too little"
    assert hostile.reply_ok_then_valid() == 42, "the host still calls the guest"


def test_guest_faults_messages(hostile: virgil.Library) -> None:
    """The messages say what the fault was."""
    expected = {
        "reply_into_input": "into the caller's own argument bytes",
        "reply_inside_scratch": "into the caller's own scratch buffer",
        "reply_null_with_length": "{NULL, 5}",
        "reply_pointer_without_length": "a pointer without a length",
        "reply_beyond_scratch": "scratch buffer",
        "reply_huge_length": "more than the maximum",
        "reply_not_written": "the guest wrote no reply",
        "reply_no_memory": "could not allocate its reply",
        "reply_too_deep": "nesting deeper than 512",
        "reply_chain_257": "longer than 256 records",
        "reply_frames_4097": "longer than 4096 frames",
        "reply_invalid_utf8": "not UTF-8",
        "reply_borrowed_own_memory": "not inside the memory lent to the call",
        "reply_borrowed_null": "is NULL with length 8",
        "reply_borrowed_past_input": "not inside the memory lent to the call (its 1 argument",
        "reply_borrowed_short": "must hold 16 bytes, not 8",
        "reply_borrowed_huge": "of 4294967296 bytes",
    }
    for name, text in expected.items():
        if name not in hostile:
            pytest.fail(f"{HOSTILE} has no function {name}: rebuild it (make guests)")
        with pytest.raises(virgil.ForeignError) as caught:
            hostile.call(name)
        assert text in str(caught.value), f"{name}: {caught.value}"


def test_max_reply_is_configurable() -> None:
    if not HOSTILE.exists():
        pytest.skip(f"{HOSTILE} is missing")
    with pytest.raises(virgil.LimitExceeded, match="virgil_manifest: the reply is"):
        virgil.load(HOSTILE, max_reply=4)  # the manifest is a reply like any other
    small = virgil.load(HOSTILE, max_reply=4096)
    before = small.virgil_stats()["live"]
    assert small.reply_ok_then_valid() == 42
    with pytest.raises(virgil.LimitExceeded, match="more than the maximum of 4096"):
        small.reply_frames_4097()  # refused unread, and freed
    assert small.virgil_stats()["live"] == before
    with pytest.raises(ValueError, match="max_reply"):
        virgil.load(HOSTILE, max_reply=0)


# ---- A hostile host against every guest -------------------------------------------------------

_DRIVER = Path(__file__).with_name("hostile_host.py")
_RESULTS: Dict[str, Dict[str, Any]] = {}


def _results(lib: virgil.Library) -> Dict[str, Any]:
    """Runs every host fault against the guest in a child process (once per guest)."""
    if lib.path not in _RESULTS:
        run = subprocess.run(
            [sys.executable, str(_DRIVER), lib.path],
            capture_output=True,
            text=True,
            timeout=120,
        )
        results: Dict[str, Any] = {}
        for line in run.stdout.splitlines():
            entry = json.loads(line)
            results[entry["name"]] = entry
        results["__returncode__"] = run.returncode
        results["__stderr__"] = run.stderr[-2000:]
        _RESULTS[lib.path] = results
    return _RESULTS[lib.path]


@pytest.mark.parametrize("fault", HOST_FAULTS, ids=[fault["name"] for fault in HOST_FAULTS])
def test_host_fault(lib: virgil.Library, fault: Dict[str, str]) -> None:
    results = _results(lib)
    entry = results.get(fault["name"])
    if entry is None:
        code = results["__returncode__"]
        not_yet_conforming(
            lib,
            f"{fault['name']}: the guest process died (exit status {code}) before answering: "
            f"{results['__stderr__'][-300:]}",
        )
        return
    if entry.get("skip"):
        pytest.skip(f"guest {guest_language(lib)}: {entry['skip']}")
    assert entry["alive"], f"{fault['name']}: the guest no longer answers add(1, 2)"
    if fault.get("requires") == "borrow":  # the guest declares borrow: it must conform
        assert entry["live_after"] == entry["live_before"], f"{fault['name']}: buffers leaked"
        for case in entry["cases"]:
            assert case["got"] == case["expect"], f"{fault['name']}: {case}"
        return
    if entry["live_after"] != entry["live_before"]:
        not_yet_conforming(
            lib,
            f"{fault['name']}: live buffers {entry['live_before']} -> {entry['live_after']}",
        )
    expect, got = fault["expect"], entry["got"]
    matches = got == expect or (expect == "ok" and got.startswith("ok:"))
    if not matches:
        not_yet_conforming(lib, f"{fault['name']}: replied {got[:80]}, want {expect}")

"""cabi/testdata/edges.json: one answer for every edge of the value mapping (cabi/ABI.md sections 5
and 11), through this kit's codec and through every guest's ``echo``.

Every guest kit must give the ABI's answer: a mismatch fails, saying what the guest answered.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List

import pytest
from conftest import REPO, guest_language
from rawbox import RawGuest, reply_outcome

import virgil
from virgil.codec import DecodeError, LimitError

CASES: List[Dict[str, Any]] = json.loads((REPO / "cabi" / "testdata" / "edges.json").read_text())[
    "cases"
]


def _expected_hex(case: Dict[str, Any]) -> str:
    return str(case.get("canonical_hex", case["hex"]))


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_codec(case: Dict[str, Any]) -> None:
    data = bytes.fromhex(case["hex"])
    error = case.get("error")
    if error is None:
        value = virgil.decode(data)
        assert virgil.encode(value).hex() == _expected_hex(case)
        return
    expected = LimitError if error == "virgil.LimitExceeded" else DecodeError
    with pytest.raises(expected) as caught:
        virgil.decode(data)
    if error != "virgil.LimitExceeded":
        assert not isinstance(caught.value, LimitError), "a malformed value is no limit"


def test_raw_extensions_keep_their_type() -> None:
    value = virgil.decode(bytes.fromhex("d6fe01020304"))
    assert value == virgil.Extension(-2, b"\x01\x02\x03\x04")
    assert isinstance(value, virgil.Extension)
    assert (value.code, value.data) == (-2, b"\x01\x02\x03\x04")
    assert virgil.decode(bytes.fromhex("d40100")) == (1, b"\x00")
    with pytest.raises(ValueError, match="-128 to 127"):
        virgil.Extension(128, b"")


def _raw_guest(lib: virgil.Library) -> RawGuest:
    return RawGuest(lib.path)


def _mismatch(lib: virgil.Library, case: Dict[str, Any], what: str) -> None:
    language = guest_language(lib)
    message = f"{case['name']}: {what}"
    pytest.fail(f"guest {language}: {message}")


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_guest_echo(lib: virgil.Library, case: Dict[str, Any]) -> None:
    """The guest's reply bytes are the canonical value (or the named error), and this host lifts
    them to what its own decoder gives."""
    args = b"\x91" + bytes.fromhex(case["hex"])
    guest = _raw_guest(lib)
    before = guest.live()
    reply = guest.call("echo", args, scratch=virgil.DEFAULT_SCRATCH_SIZE)
    assert reply is not None
    assert guest.live() == before, "guest buffers leaked"
    got = reply_outcome(reply)
    error = case.get("error")
    if error is None:
        want = "ok:" + _expected_hex(case)
    else:
        want = "virgil.LimitExceeded" if error == "virgil.LimitExceeded" else "virgil.ArgumentError"
    if got != want:
        _mismatch(lib, case, f"echo replied {got[:80]}, want {want[:80]}")
    # The whole kit path agrees with the guest's bytes.
    if error is None:
        assert virgil.encode(lib["echo"].raw(args)).hex() == _expected_hex(case)
    else:
        with pytest.raises(virgil.ForeignError) as caught:
            lib["echo"].raw(args)
        assert caught.value.name == want


def test_edges_file_is_complete() -> None:
    """Every edge the spec names has at least one case (a guard against a shrunk file)."""
    names = " ".join(case["name"] for case in CASES)
    for word in ("nesting 512", "nesting 513", "utf-8", "ext", "timestamp", "duplicate", "key"):
        assert word in names, word
    assert Path(REPO / "cabi" / "testdata" / "edges.json").exists()

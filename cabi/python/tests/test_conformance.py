"""Every conformance case (cabi/conformance/cases.json) against every discovered guest.

The semantics are those of the file's "about" field, as in the Go runner
(internal/conformance/conformance.go): ``args`` are lowered by this host, ``raw_args`` are sent
as they are, ``large_bytes`` is an ``echo_bytes`` of that many bytes (byte i = i mod 251); a case
expects a ``result`` or an ``error`` with a ``name``, one of ``name_any_of``, a cause ``chain``
of exactly these names, ``frames`` on every level and a message containing ``message_contains``.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

import pytest
from conftest import load_cases
from typed import mismatch, parse

import virgil

CASES = load_cases()


def large_payload(size: int) -> bytes:
    """``size`` bytes where byte i is i mod 251."""
    block = bytes(range(251))
    return (block * (size // 251 + 1))[:size]


def check_error(expect: Dict[str, Any], error: Optional[BaseException]) -> None:
    """Checks a failure against a case's ``error`` expectation."""
    assert isinstance(error, virgil.ForeignError), f"want an exception, got {error!r}"
    if "name" in expect:
        assert error.name == expect["name"], f"want {expect['name']}, got {error.name}: {error}"
    if "name_any_of" in expect:
        assert error.name in expect["name_any_of"], (
            f"want one of {expect['name_any_of']}, got {error.name}"
        )
    if "message_contains" in expect:
        assert expect["message_contains"] in error.message
    if "chain" in expect:
        names = []
        level: Optional[BaseException] = error
        while level is not None:
            assert isinstance(level, virgil.ForeignError)
            if expect.get("frames"):
                assert level.frames, f"{level.name} has no traceback frames"
            names.append(level.name)
            level = level.__cause__
        assert names == expect["chain"]


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_case(lib: virgil.Library, case: Dict[str, Any]) -> None:
    function = case["function"]
    expect = case.get("error")
    if "large_bytes" in case:
        payload = large_payload(case["large_bytes"])
        echoed = lib.call(function, payload)
        assert type(echoed) is bytes and len(echoed) == len(payload)
        assert echoed == payload, "the bytes did not come back unchanged"
        return
    error: Optional[BaseException] = None
    result: Any = None
    try:
        if "raw_args" in case:
            result = lib[function].raw(bytes.fromhex(case["raw_args"]))
        else:
            result = lib.call(function, *(parse(arg) for arg in case["args"]))
    except virgil.ForeignError as failure:
        error = failure
    if expect is not None:
        check_error(expect, error)
        return
    assert error is None, f"unexpected {error!r}"
    problem = mismatch(case["result"], result)
    assert problem is None, problem


def test_every_case_has_an_expectation() -> None:
    for case in CASES:
        assert ("result" in case) != ("error" in case) or "large_bytes" in case, case["name"]

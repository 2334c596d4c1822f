"""Every error case (cabi/conformance/errors.json) against every discovered guest.

The semantics are those of the file's "about" field: a case expects a ``result``, or an ``error``
with a ``name``, a cause ``chain`` of exactly these names (outermost first), ``attributes`` the
outermost level holds (keys matched exactly or folded), per-level ``levels`` (``message`` exact,
``attributes`` as above), a ``user_frame`` (the last frame of the outermost level names the
user's function, compared folded), and no frame of any level naming glue (``glue_markers``).

On top of the shared cases, the Python side of issue 11's "Done when": ``except
FileNotFoundError as e`` catches each guest's missing file with ``e.errno == 2`` and ``e.filename``
set, also through ``load_config``'s transparent wrapper; ``str(e)`` is the level's message; the
causes are ``__cause__``. A guest whose manifest lacks a case's function is skipped, saying so
(the guests gain these functions one by one).
"""

from __future__ import annotations

import errno
import json
from typing import Any, Dict, List, Optional

import pytest
from conftest import REPO
from typed import mismatch, parse

import virgil
from virgil.records import fold

DOCUMENT = json.loads((REPO / "cabi" / "conformance" / "errors.json").read_text())
CASES: List[Dict[str, Any]] = DOCUMENT["cases"]
GLUE: List[str] = DOCUMENT["glue_markers"]
MISSING = "/nonexistent-virgil-conformance/config.toml"


def needs(lib: virgil.Library, function: str) -> None:
    """Skips unless the guest's manifest lists ``function``."""
    if lib.manifest is not None and lib.manifest.function(function) is None:
        pytest.skip(
            f"{lib.path}: its manifest has no {function} yet "
            "(cabi/ABI.md section 9, errors of ordinary code)"
        )


def levels_of(error: BaseException) -> List[virgil.ForeignError]:
    levels: List[virgil.ForeignError] = []
    level: Optional[BaseException] = error
    while level is not None:
        assert isinstance(level, virgil.ForeignError), f"a cause is not foreign: {level!r}"
        levels.append(level)
        level = level.__cause__
    return levels


def check_attributes(expect: Dict[str, Any], level: virgil.ForeignError, where: str) -> None:
    for key, node in expect.items():
        found = level.attributes.key_of(key)
        assert found is not None, f"{where}: no attribute {key!r} in {dict(level.attributes)}"
        assert found == key or fold(found) == fold(key)
        problem = mismatch(node, level.attributes[found], f"{where}: attribute {key}")
        assert problem is None, problem


def check_error(expect: Dict[str, Any], error: virgil.ForeignError) -> None:
    levels = levels_of(error)
    names = [level.name for level in levels]
    assert error.name == expect["name"], f"want {expect['name']}, got {names}: {error}"
    if "chain" in expect:
        assert names == expect["chain"]
    check_attributes(expect.get("attributes", {}), error, "outermost level")
    for depth, (want, level) in enumerate(zip(expect.get("levels", []), levels)):
        if "message" in want:
            assert level.message == want["message"], f"level {depth}"
        check_attributes(want.get("attributes", {}), level, f"level {depth}")
    if "user_frame" in expect:
        assert error.frames, f"{error.name} has no frames"
        last = error.frames[-1].function
        assert fold(expect["user_frame"]) in fold(last), f"the last frame is {last!r}"
    for depth, level in enumerate(levels):
        for frame in level.frames:
            for marker in GLUE:
                assert marker not in frame.function and marker not in frame.file, (
                    f"level {depth} ({level.name}) has a glue frame: {frame}"
                )
    # Text: str(e) is the level's own text; the causes are reached through __cause__.
    for level in levels:
        assert str(level) == (level.message or level.name)


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_error_case(lib: virgil.Library, case: Dict[str, Any]) -> None:
    needs(lib, case["function"])
    args = [parse(arg) for arg in case["args"]]
    if "error" not in case:
        problem = mismatch(case["result"], lib.call(case["function"], *args))
        assert problem is None, problem
        return
    with pytest.raises(virgil.ForeignError) as caught:
        lib.call(case["function"], *args)
    check_error(case["error"], caught.value)


def test_every_case_has_an_expectation() -> None:
    assert {case["function"] for case in CASES} == {
        "read_file",
        "load_config",
        "parse_int",
        "fail_plain",
        "fail_attrs",
    }
    for case in CASES:
        assert ("result" in case) != ("error" in case), case["name"]


def test_except_file_not_found_error(lib: virgil.Library) -> None:
    needs(lib, "read_file")
    try:
        lib.read_file(MISSING)
    except FileNotFoundError as e:
        assert e.errno == errno.ENOENT == 2 and e.filename == MISSING
        assert e.strerror and str(e) == e.message and e.message
    else:
        pytest.fail("read_file of a missing file did not raise FileNotFoundError")
    with pytest.raises(IsADirectoryError) as directory:
        lib.read_file("/")
    assert directory.value.errno == errno.EISDIR and directory.value.filename == "/"


def test_except_file_not_found_error_through_a_wrapper(lib: virgil.Library) -> None:
    needs(lib, "load_config")
    try:
        lib.load_config(MISSING)
    except FileNotFoundError as e:
        assert str(e) == "load config"
        assert e.errno == 2 and e.filename == MISSING  # surfaced from the level it wraps
        cause = e.__cause__
        assert isinstance(cause, FileNotFoundError) and isinstance(cause, virgil.ForeignError)
        assert cause.errno == 2 and cause.filename == MISSING and str(cause) == cause.message
        assert e.__suppress_context__ and cause.__cause__ is None
    else:
        pytest.fail("load_config of a missing file did not raise FileNotFoundError")


def test_parse_errors_are_value_and_overflow_errors(lib: virgil.Library) -> None:
    needs(lib, "parse_int")
    assert lib.parse_int("-42") == -42
    with pytest.raises(ValueError) as not_a_number:
        lib.parse_int("forty-two")
    assert not isinstance(not_a_number.value, OverflowError)
    with pytest.raises(OverflowError):
        lib.parse_int("99999999999999999999")


def test_plain_and_user_errors(lib: virgil.Library) -> None:
    needs(lib, "fail_plain")
    with pytest.raises(Exception) as plain:
        lib.fail_plain("plain failure")
    assert type(plain.value) is virgil.errors["Exception"] and str(plain.value) == "plain failure"
    needs(lib, "fail_attrs")
    with pytest.raises(virgil.errors.QuotaError) as quota:
        lib.fail_attrs(7, "disk full")
    assert quota.value.code == 7 and quota.value.reason == "disk full"

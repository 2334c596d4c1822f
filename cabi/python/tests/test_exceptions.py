"""Guest failures as Python exceptions: classes by name, the record's fields, the guest's frames
in ``__traceback__`` after the call site, causes as ``__cause__``, and what ``traceback`` prints."""

from __future__ import annotations

import builtins
import pickle
import traceback
from pathlib import Path
from types import TracebackType
from typing import List, Optional

import pytest

import virgil
from virgil.exceptions import bare_name, exception_from_record

LANGUAGE_OF = {"go": "go", "c": "c", "rust": "rust", "haskell": "haskell"}


def chain_of(error: Optional[BaseException]) -> List[BaseException]:
    levels = []
    while error is not None:
        levels.append(error)
        error = error.__cause__
    return levels


def tb_entries(tb: Optional[TracebackType]) -> List[TracebackType]:
    entries = []
    while tb is not None:
        entries.append(tb)
        tb = tb.tb_next
    return entries


def guest_frames_in(error: virgil.ForeignError) -> List[TracebackType]:
    """The traceback entries that show the guest's frames: those labelled with its language."""
    label = f" [{error.language}]"
    return [
        entry
        for entry in tb_entries(error.__traceback__)
        if entry.tb_frame.f_code.co_name.endswith(label)
    ]


@pytest.mark.parametrize("depth", [1, 2, 3, 5, 100])
def test_fail_chain_causes_are_depth_long_with_guest_frames_on_every_level(
    lib: virgil.Library, depth: int
) -> None:
    with pytest.raises(virgil.ForeignError) as caught:
        lib.fail_chain(depth)
    levels = chain_of(caught.value)
    assert len(levels) == depth
    for number, level in zip(range(depth, 0, -1), levels):
        assert isinstance(level, virgil.ForeignError)
        assert (
            type(level)
            is virgil.errors[f"ChainLevel{number}"]
            is getattr(lib.errors, f"ChainLevel{number}")
        )
        assert level.name == f"ChainLevel{number}" and str(level) == f"level {number}"
        assert level.frames, "every level has frames of its own"
        shown = guest_frames_in(level)
        assert len(shown) == len(level.frames)
        for entry, frame in zip(shown, level.frames):
            assert entry.tb_frame.f_code.co_filename == (frame.file or f"<{level.language}>")
            assert entry.tb_lineno == frame.line
        assert level.__suppress_context__ or level is levels[-1]
    assert levels[-1].__cause__ is None


def test_the_traceback_continues_past_the_call_site_into_the_guest(lib: virgil.Library) -> None:
    try:
        lib.fail_chain(3)  # the call site
    except virgil.ForeignError as error:
        entries = tb_entries(error.__traceback__)
        names = [entry.tb_frame.f_code.co_name for entry in entries]
        # this test's frame, the crossing (named after the function), then the guest's frames
        assert names[0] == "test_the_traceback_continues_past_the_call_site_into_the_guest"
        assert names[1] == "fail_chain"
        assert entries[1].tb_frame.f_code.co_filename.endswith("_binding.py")
        assert all(name.endswith(f" [{error.language}]") for name in names[2:])
        assert len(names[2:]) == len(error.frames)


def test_print_exc_tells_the_whole_story(
    lib: virgil.Library, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        lib.fail_chain(3)
    except virgil.ForeignError as error:
        traceback.print_exc()
        language = error.language
    text = capsys.readouterr().err
    assert text.count("The above exception was the direct cause of the following exception") == 2
    for number in (1, 2, 3):
        assert f"virgil.errors.ChainLevel{number}: level {number}" in text
    assert "lib.fail_chain(3)" in text  # the Python call site
    assert f" [{language}]" in text  # the guest's frames, with their language
    assert text.index("ChainLevel1: level 1") < text.index("ChainLevel3: level 3")
    call_site = text.rindex("lib.fail_chain(3)")
    assert text.index(f" [{language}]", call_site) < text.rindex("ChainLevel3: level 3")


def test_go_frames_show_go_source(go_guest: Path) -> None:
    lib = virgil.load(go_guest)
    try:
        lib.fail_chain(2)
    except virgil.ForeignError as error:
        text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    # Files are module-relative (cabi/ABI.md section 6), as `go build -trimpath` writes them.
    assert 'File "github.com/virgilffi/virgil/examples/go-guest/main.go", line ' in text
    assert ", in main.chainLevel [go]" in text
    source = Path(__file__).resolve().parents[3] / "examples" / "go-guest" / "main.go"
    if source.exists() and Path.cwd() == source.parents[2]:
        # the guest was built from this checkout and the tests run at its root: the
        # module-relative file is found there and its source lines are shown
        assert "errors.WithStack(&ChainError{Level: n, Cause: below})" in text
    lines = text.splitlines()
    for index, line in enumerate(lines):  # no caret line is drawn under Go source
        if line.endswith("[go]"):
            for following in lines[index + 1 : index + 3]:
                marks = following.strip()
                assert not marks or not set(marks) <= {"^", "~"}, text


def test_builtin_names_are_builtin_exceptions(lib: virgil.Library) -> None:
    with pytest.raises(ZeroDivisionError) as caught:
        lib.divide(1.0, 0.0)
    error = caught.value
    assert isinstance(error, virgil.ForeignError)
    assert type(error) is virgil.errors["ZeroDivisionError"]
    assert str(error) == "division by zero" and error.message == "division by zero"
    assert error.language in LANGUAGE_OF.values() and error.frames
    with pytest.raises(ValueError) as value_error:
        lib.stats([])
    assert isinstance(value_error.value, virgil.ForeignError)
    assert value_error.value.name == "ValueError"
    with pytest.raises(OverflowError):
        lib.add(2**63 - 1, 1)


def test_framework_names_are_framework_classes(lib: virgil.Library) -> None:
    with pytest.raises(virgil.Panic) as panic:
        lib.crash()
    assert isinstance(panic.value, RuntimeError)
    assert panic.value.name in ("virgil.Panic", "ErrorCall")  # Haskell's error is a Panic too
    with pytest.raises(virgil.ArgumentError) as argument:
        lib["add"].raw(b"\x92\x01\xa3two")
    assert isinstance(argument.value, TypeError) and "argument 2" in argument.value.message
    assert argument.value.language != "python"  # the guest said so


def test_classes_are_made_once_per_name() -> None:
    first = virgil.errors["*example.OnceError"]
    assert virgil.errors["*example.OnceError"] is first
    assert "*example.OnceError" in virgil.errors and "*example.OnceError" in list(virgil.errors)
    assert issubclass(first, virgil.errors.OnceError) and issubclass(first, virgil.ForeignError)
    assert first.__qualname__ == "*example.OnceError" and first.__module__ == "virgil.errors"
    assert first.wire_name == "*example.OnceError"


def test_a_bare_name_catches_its_qualified_forms_whenever_they_first_appear() -> None:
    quota_error = virgil.errors.BareQuotaError  # before any BareQuotaError was seen
    record = virgil.ExceptionRecord(
        name="app.BareQuotaError",
        message="quota exceeded",
        language="go",
        traceback=(virgil.Frame("example.com/app.Reserve", "example.com/app/quota.go", 34),),
        notes=("while loading settings",),
    )
    with pytest.raises(quota_error) as caught:
        raise exception_from_record(record)
    error = caught.value
    assert type(error) is virgil.errors["app.BareQuotaError"]
    assert not isinstance(error, OSError)
    assert error.notes == ("while loading settings",) and error.__notes__ == [
        "while loading settings"
    ]
    assert error.frames == record.traceback and error.record == record
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    assert 'File "example.com/app/quota.go", line 34, in example.com/app.Reserve [go]' in text
    assert "virgil.errors.app.BareQuotaError: quota exceeded" in text


def test_go_runtime_names_no_longer_mean_builtins() -> None:
    # Before section 7.1, a Go *fs.PathError crossed under its type name and was mapped onto
    # OSError here; now a Go guest names it by its errno, and such names mean nothing special.
    for name in ("*fs.PathError", "*strconv.NumError", "ParseIntError", "IOException"):
        assert not issubclass(virgil.errors[name], (OSError, ValueError)), name


def test_register_maps_a_name_onto_a_python_base() -> None:
    cls = virgil.errors.register("example::Timeout", TimeoutError)
    assert issubclass(cls, TimeoutError) and issubclass(cls, virgil.ForeignError)
    assert virgil.errors.register("example::Timeout", TimeoutError) is cls
    with pytest.raises(ValueError, match="exists already"):
        virgil.errors.register("example::Timeout", KeyError)
    assert issubclass(virgil.errors["ErrorCall"], virgil.Panic)  # Haskell's error


def test_every_builtin_name_makes_a_working_class() -> None:
    for name, value in vars(builtins).items():
        if not (isinstance(value, type) and issubclass(value, Exception)):
            continue
        error = virgil.errors[name]("message")
        assert isinstance(error, virgil.ForeignError) and str(error) == "message"
        unmapped = issubclass(value, (Warning, StopIteration, StopAsyncIteration)) or name in {
            "UnicodeDecodeError",
            "UnicodeEncodeError",
            "UnicodeTranslateError",
            "ExceptionGroup",
        }
        assert isinstance(error, value) != unmapped, name


@pytest.mark.parametrize(
    "name, bare",
    [
        ("*fs.PathError", "PathError"),
        ("std::io::Error", "Error"),
        ("Result<T, E>", "Result"),
        ("main.(*T).Err", "Err"),
        ("ChainLevel3", "ChainLevel3"),
        ("pkg/errors.fundamental", "fundamental"),
        ("class", "class_"),
        ("3D", "_3D"),
        ("a-b", "a_b"),
    ],
)
def test_bare_names(name: str, bare: str) -> None:
    assert bare_name(name) == bare


def test_exceptions_pickle_by_name(lib: virgil.Library) -> None:
    try:
        lib.fail_chain(2)
    except virgil.ForeignError as error:
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error) and copy.record == error.record and str(copy) == str(error)
    panic = pickle.loads(pickle.dumps(virgil.Panic("boom")))
    assert type(panic) is virgil.Panic and panic.language == "python"


def test_python_raised_framework_errors_have_python_records() -> None:
    error = virgil.ArgumentError("add: expected 2 arguments, got 1")
    assert (
        error.name == "virgil.ArgumentError" and error.language == "python" and error.frames == ()
    )
    assert repr(error) == "ArgumentError('add: expected 2 arguments, got 1')"


def test_unknown_function_is_an_attribute_error(lib: virgil.Library) -> None:
    with pytest.raises(AttributeError):
        _ = lib.no_such_function
    assert getattr(lib, "no_such_function", None) is None
    with pytest.raises(virgil.UnknownFunction) as caught:
        lib.call("no_such_function")
    assert caught.value.name == "virgil.UnknownFunction"
    assert "no function 'no_such_function'" in str(caught.value)

"""Records' attributes and shared names (cabi/ABI.md sections 6 and 7.1) as Python exceptions.

Reading: ``attributes`` in canonical order, leniency (not a map, non-str keys), the 256 limit.
Surfacing: the built-in classes of the shared names, the errno table, ``errno``/``filename``/
``strerror`` like a native OSError while ``str(e)`` stays the level's text, transparent wrappers
surfacing what their cause has, user attributes as ``e.code``, ``args``.
"""

from __future__ import annotations

import asyncio
import builtins
import errno as errno_module
import os
import pickle
from typing import Any, Dict, Optional

import pytest

import virgil
from virgil.exceptions import ERRNO_NAMES, exception_from_record
from virgil.records import MAX_ATTRIBUTES, Attributes, ExceptionRecord, RecordError, fold

MISSING = "/etc/app.toml"


def record(
    name: str,
    message: str = "",
    attributes: Optional[Dict[str, Any]] = None,
    cause: Optional[ExceptionRecord] = None,
) -> ExceptionRecord:
    return ExceptionRecord(
        name=name, message=message, language="go", cause=cause, attributes=attributes or {}
    )


# ---- Reading and writing ---------------------------------------------------------------------


def test_attributes_are_written_sorted_and_only_when_present() -> None:
    wire = record("QuotaError", "quota", {"reason": "disk", "code": 7, "Zeta": 1}).to_wire()
    assert list(wire) == ["name", "message", "language", "traceback", "cause", "attributes"]
    assert list(wire["attributes"]) == ["Zeta", "code", "reason"]  # by UTF-8 bytes
    assert "attributes" not in record("Exception", "plain").to_wire()
    noted = ExceptionRecord("X", notes=("n",), attributes={"a": 1}).to_wire()
    assert list(noted)[-2:] == ["notes", "attributes"]


def test_attributes_that_are_not_a_map_are_ignored() -> None:
    for value in (5, "errno", [1, 2], None, b"x", {}):
        read = ExceptionRecord.from_wire({"name": "OSError", "attributes": value})
        assert read.attributes == {} and "attributes" not in read.to_wire()
    read = ExceptionRecord.from_wire({"name": "E", "attributes": {"code": 1, 2: "two"}})
    assert dict(read.attributes) == {"code": 1}  # a key that is not a str is skipped


def test_more_than_256_attributes_are_refused() -> None:
    many = {f"k{i:03d}": i for i in range(MAX_ATTRIBUTES)}
    assert len(ExceptionRecord.from_wire({"name": "E", "attributes": many}).attributes) == 256
    many["one-more"] = 0
    with pytest.raises(RecordError, match="more than 256 attributes"):
        ExceptionRecord.from_wire({"name": "E", "attributes": many})
    with pytest.raises(RecordError, match="more than 256 attributes"):
        ExceptionRecord("E", attributes=many)


def test_attribute_keys_match_exactly_then_folded() -> None:
    attributes = Attributes({"Code": 7, "maxValue": 3, "max_value": 4, "MIN-VALUE": 1})
    assert attributes["Code"] == attributes["code"] == 7
    assert attributes["max_value"] == 4 and attributes["maxValue"] == 3  # exact wins
    assert "MaxValue" not in attributes  # two keys fold to it: ambiguous, so neither
    assert attributes["min_value"] == 1
    assert fold("Max_Value-X") == "maxvaluex"
    assert list(attributes) == ["Code", "MIN-VALUE", "maxValue", "max_value"]


# ---- Names ---------------------------------------------------------------------------------

SHARED_NAMES = [
    "FileNotFoundError",
    "PermissionError",
    "FileExistsError",
    "IsADirectoryError",
    "NotADirectoryError",
    "TimeoutError",
    "InterruptedError",
    "BlockingIOError",
    "BrokenPipeError",
    "ConnectionRefusedError",
    "ConnectionResetError",
    "ConnectionAbortedError",
    "ConnectionError",
    "ChildProcessError",
    "ProcessLookupError",
    "OSError",
    "EOFError",
    "ValueError",
    "OverflowError",
    "ZeroDivisionError",
    "ArithmeticError",
    "NotImplementedError",
    "Exception",
]


@pytest.mark.parametrize("name", SHARED_NAMES)
def test_shared_names_are_python_builtins(name: str) -> None:
    error = exception_from_record(record(name, "failed"))
    assert isinstance(error, getattr(builtins, name)) and isinstance(error, virgil.ForeignError)
    assert str(error) == "failed" and error.name == name


def test_cancelled_error_is_asyncio_s() -> None:
    error = exception_from_record(record("CancelledError", "context canceled"))
    assert isinstance(error, asyncio.CancelledError) and isinstance(error, virgil.ForeignError)


@pytest.mark.parametrize("number, name", sorted(ERRNO_NAMES.items()))
def test_an_errno_names_the_class_of_an_os_error(number: int, name: str) -> None:
    error = exception_from_record(record("OSError", "failed", {"errno": number}))
    assert type(error) is virgil.errors[name] and isinstance(error, getattr(builtins, name))
    assert error.name == "OSError" and error.errno == number
    if hasattr(errno_module, "ENOENT") and os.name == "posix" and os.uname().sysname == "Linux":
        assert type(OSError(number, "x")).__name__ == name  # the same table as Python's own


def test_an_unknown_errno_is_a_plain_os_error() -> None:
    error = exception_from_record(record("OSError", "i/o error", {"errno": 5}))
    assert type(error) is virgil.errors["OSError"] and error.errno == 5
    # an OSError-family name keeps its class when the errno names nothing more specific
    named = exception_from_record(record("PermissionError", "denied", {"errno": 5}))
    assert isinstance(named, PermissionError)


def test_errno_does_not_rename_other_exceptions() -> None:
    error = exception_from_record(record("QuotaError", "quota", {"errno": 2}))
    assert not isinstance(error, OSError) and error.errno == 2


def test_empty_message_shows_the_name() -> None:
    error = exception_from_record(record("TimeoutError"))
    assert str(error) == "TimeoutError" and error.message == ""


# ---- Surfacing -------------------------------------------------------------------------------


def missing_file(message: str = "open /etc/app.toml: no such file or directory") -> ExceptionRecord:
    return record("FileNotFoundError", message, {"errno": 2, "filename": MISSING})


def test_os_fields_like_a_native_os_error_with_the_message_as_text() -> None:
    with pytest.raises(FileNotFoundError) as caught:
        raise exception_from_record(missing_file())
    error = caught.value
    assert error.errno == errno_module.ENOENT and error.filename == MISSING
    assert error.filename2 is None
    assert error.strerror == os.strerror(2)
    assert str(error) == "open /etc/app.toml: no such file or directory"
    assert error.attributes == {"errno": 2, "filename": MISSING}
    native = FileNotFoundError(2, os.strerror(2), MISSING)
    assert (error.errno, error.strerror, error.filename) == (
        native.errno,
        native.strerror,
        native.filename,
    )


def test_a_transparent_wrapper_surfaces_its_cause_s_os_fields() -> None:
    wrapper = record("FileNotFoundError", "load config", cause=missing_file())
    outer = record("FileNotFoundError", "start", cause=wrapper)
    with pytest.raises(FileNotFoundError) as caught:
        raise exception_from_record(outer)
    error = caught.value
    assert str(error) == "start" and error.errno == 2 and error.filename == MISSING
    assert error.attributes == {}  # its own attributes: none
    middle = error.__cause__
    assert isinstance(middle, FileNotFoundError) and str(middle) == "load config"
    assert middle.errno == 2 and middle.filename == MISSING
    inner = middle.__cause__
    assert isinstance(inner, FileNotFoundError) and inner.__cause__ is None
    # An OSError wrapper over a refused connection is a ConnectionRefusedError too.
    refused = record("OSError", "dial", cause=record("OSError", "refused", {"errno": 111}))
    assert isinstance(exception_from_record(refused), ConnectionRefusedError)


def test_a_differently_named_wrapper_does_not_surface() -> None:
    wrapper = record("ConfigError", "bad config", cause=missing_file())
    error = exception_from_record(wrapper)
    assert not isinstance(error, OSError)
    with pytest.raises(AttributeError):
        _ = error.errno
    assert isinstance(error.__cause__, FileNotFoundError) and error.__cause__.errno == 2
    # an OSError-family level with an errno of its own keeps it
    own = record("FileNotFoundError", "x", {"errno": 2, "filename": "b"}, cause=missing_file())
    assert exception_from_record(own).filename == "b"


def test_user_attributes_read_as_attributes() -> None:
    go_spelling = record("QuotaError", "quota exceeded", {"Code": 7, "Reason": "disk full"})
    error = exception_from_record(go_spelling)
    assert error.code == 7 and error.reason == "disk full"  # folded: Code, Reason
    assert error.attributes["code"] == 7 and "Code" in dir(error)
    with pytest.raises(AttributeError):
        _ = error.limit
    clashing = exception_from_record(record("QuotaError", "real", {"message": "fake", "name": 1}))
    assert clashing.message == "real" and clashing.name == "QuotaError"
    assert clashing.attributes["message"] == "fake"
    wrapped = exception_from_record(record("QuotaError", "reserve", cause=go_spelling))
    assert wrapped.code == 7  # a transparent wrapper reads what its cause has


def test_args_attribute_is_args() -> None:
    error = exception_from_record(record("KeyError", "'x'", {"args": ["x"]}))
    assert isinstance(error, KeyError) and error.args == ("x",) and str(error) == "'x'"
    assert repr(error) == "KeyError('x')"
    plain = exception_from_record(record("ValueError", "bad", {"args": "not an array"}))
    assert plain.args == ("bad",)


def test_surfaced_fields_survive_pickling() -> None:
    error = exception_from_record(record("FileNotFoundError", "load config", cause=missing_file()))
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error) and copy.errno == 2 and copy.filename == MISSING
    assert str(copy) == "load config"

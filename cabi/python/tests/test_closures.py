"""Python callables as closures (cabi/ABI.md section 15).

The cases of cabi/conformance/callbacks.json run against ``tests/fixtures/closures.c`` (a C
guest written for these tests, always built) and every discovered conformance guest whose
manifest lists ``apply``; guests without closures yet are skipped, saying so. The rest checks the
host's side of the contract: handles do not leak, retained closures work from threads the host
never saw, a released closure replies ``virgil.ReleasedClosure``, and an exception raised in a
callback comes back whole, with the callback's frames, the guest's and the call site's.
"""

from __future__ import annotations

import ctypes
import json
import struct
import threading
import traceback
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional

import msgpack
import pytest
from conftest import REPO, FixtureBuilder, guest_paths, stats
from typed import mismatch, parse

import virgil
from virgil import _handles, _scope

DOCUMENT = json.loads((REPO / "cabi" / "conformance" / "callbacks.json").read_text())
CASES: List[Dict[str, Any]] = DOCUMENT["cases"]
FIXTURE = "cabi/python/tests/fixtures/closures.c"


class CallbackError(Exception):
    """The host's own exception type that the ``fail`` callback raises."""


def fail(x: Any) -> Any:
    raise CallbackError(f"callback failed on {x}")


CALLBACKS: Dict[str, Callable[..., Any]] = {
    "identity": lambda x: x,
    "double": lambda x: 2 * x,
    "add": lambda a, b: a + b,
    "fail": fail,
}


def value(node: Dict[str, Any]) -> Any:
    """A case's argument: the typed JSON notation, plus ``{"callback": NAME}``."""
    if set(node) == {"callback"}:
        return CALLBACKS[node["callback"]]
    return parse(node)


# ---- The libraries under test --------------------------------------------------------------


def _closure_guests() -> List[Any]:
    params = [pytest.param(None, id="fixture")]
    params += [
        pytest.param(path, id=path.stem.replace("libconformance_", "")) for path in guest_paths()
    ]
    return params


@pytest.fixture(scope="session")
def fixture_lib(build_c: FixtureBuilder) -> virgil.Library:
    return virgil.load(build_c(FIXTURE))


@pytest.fixture(params=_closure_guests())
def clib(
    request: pytest.FixtureRequest,
    build_c: FixtureBuilder,
    libraries: Dict[Path, virgil.Library],
) -> Iterator[virgil.Library]:
    """A library that takes closures: the C fixture, or a conformance guest whose manifest has
    ``apply`` (others are skipped). Checked to leave no live closures behind."""
    path: Optional[Path] = request.param
    if path is None:
        path = build_c(FIXTURE)
    if path not in libraries:
        libraries[path] = virgil.load(path)
    library = libraries[path]
    if library.manifest is not None and library.manifest.function("apply") is None:
        pytest.skip(
            f"{path.name}: its manifest has no apply, so this guest takes no closures yet "
            "(cabi/ABI.md section 15)"
        )
    before = virgil.live_closures()
    yield library
    if "unregister" in library:
        library.unregister()
    assert virgil.live_closures() == before, "closures were left valid after their calls"


# ---- The conformance cases -----------------------------------------------------------------


def chain_of(error: BaseException) -> List[BaseException]:
    levels: List[BaseException] = []
    level: Optional[BaseException] = error
    while level is not None and len(levels) < 300:
        levels.append(level)
        level = level.__cause__
    return levels


def name_of(level: BaseException) -> str:
    return level.name if isinstance(level, virgil.ForeignError) else type(level).__name__


def has_python_frames(level: BaseException) -> bool:
    """Whether a level's traceback shows frames of Python code (a .py file)."""
    if isinstance(level, virgil.ForeignError) and level.language != "python":
        return False
    frames = traceback.extract_tb(level.__traceback__)
    return any(frame.filename.endswith(".py") for frame in frames)


def check_error(expect: Dict[str, Any], error: Optional[BaseException]) -> None:
    assert error is not None, "want an exception, got a result"
    if "name" in expect:
        assert name_of(error) == expect["name"], f"got {name_of(error)}: {error}"
    if "message_contains" in expect:
        assert expect["message_contains"] in str(error)
    levels = chain_of(error)
    names = [name_of(level) for level in levels]
    position = 0
    for wanted in expect.get("chain_contains", []):
        assert wanted in names[position:], f"{wanted} not in the chain {names} (in order)"
        position = names.index(wanted, position) + 1
    if expect.get("callback_frames"):
        named = [level for level in levels if name_of(level) == "CallbackError"]
        assert named and has_python_frames(named[0]), "the callback's level has no Python frames"


def run_step(library: virgil.Library, step: Dict[str, Any]) -> None:
    error: Optional[BaseException] = None
    result: Any = None
    try:
        result = library.call(step["function"], *(value(arg) for arg in step["args"]))
    except Exception as failure:
        error = failure
    if "error" in step:
        check_error(step["error"], error)
        return
    assert error is None, f"{step['function']}: unexpected {error!r}"
    problem = mismatch(step["result"], result)
    assert problem is None, problem


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_callback_case(clib: virgil.Library, case: Dict[str, Any]) -> None:
    for step in case.get("sequence", [case]):
        run_step(clib, step)


# ---- Exceptions ----------------------------------------------------------------------------


def test_exception_shows_callback_guest_and_call_site(clib: virgil.Library) -> None:
    with pytest.raises(Exception) as caught:
        clib.apply(fail, 1)  # the call site
    text = "".join(traceback.format_exception(caught.type, caught.value, caught.tb))
    assert 'raise CallbackError(f"callback failed on {x}")' in text, text  # the callback
    assert "in fail" in text
    assert "clib.apply(fail, 1)  # the call site" in text, text
    assert "CallbackError: callback failed on 1" in text
    language = clib.manifest.language if clib.manifest else "c"
    levels = chain_of(caught.value)
    if len(levels) > 1:  # the guest wrapped the callback's failure in its own level
        assert f"[{language}]" in text, text


def test_the_original_exception_comes_back(fixture_lib: virgil.Library) -> None:
    # map_ints passes the callback's record on unchanged: the caller gets the very object.
    raised: List[BaseException] = []

    def failing(x: int) -> int:
        error = CallbackError(f"no {x}")
        raised.append(error)
        raise error

    with pytest.raises(CallbackError) as caught:
        fixture_lib.map_ints(failing, [1, 2])
    assert caught.value is raised[0]
    frames = traceback.extract_tb(caught.tb)
    assert [frame.name for frame in frames][-2:] == ["map_ints", "failing"], frames
    text = "".join(traceback.format_exception(caught.value))
    assert "virgil/_trampolines.py" not in text and "virgil/_scope.py" not in text

    # apply wraps it in a C level: the cause is the original, with its own causes.
    def chained(x: int) -> int:
        try:
            raise KeyError(x)
        except KeyError as inner:
            raise CallbackError("wrapped") from inner
        return 0

    with pytest.raises(RuntimeError) as wrapped:
        fixture_lib.apply(chained, 3)
    assert isinstance(wrapped.value, virgil.ForeignError)
    assert wrapped.value.language == "c"
    cause = wrapped.value.__cause__
    assert type(cause) is CallbackError and isinstance(cause.__cause__, KeyError)


def test_record_of_a_python_exception(fixture_lib: virgil.Library) -> None:
    """What the guest receives: name, message, language, the callback's frames, the causes."""

    def chained(x: int) -> int:
        try:
            raise ValueError("inner")
        except ValueError:
            if x < 0:
                raise CallbackError("outer") from None
            raise CallbackError("outer")  # noqa: B904 - the context is what is tested

    with pytest.raises(RuntimeError) as caught:
        fixture_lib.apply(chained, 1)
    assert isinstance(caught.value, virgil.ForeignError)
    record = caught.value.record.cause
    assert record is not None
    assert (record.name, record.message, record.language) == ("CallbackError", "outer", "python")
    assert record.traceback[-1].function.endswith("chained")
    # Files relative to their sys.path entry (pytest puts this directory on sys.path).
    assert record.traceback[-1].file == "test_closures.py"
    assert record.attributes == {"args": ["outer"]}
    assert record.cause is not None and record.cause.name == "ValueError"  # __context__
    assert record.cause.attributes["args"] == ["inner"]
    with pytest.raises(RuntimeError) as suppressed:
        fixture_lib.apply(chained, -1)
    assert isinstance(suppressed.value, virgil.ForeignError)
    assert suppressed.value.record.cause is not None
    assert suppressed.value.record.cause.cause is None  # "from None" hides the context


def test_record_of_an_os_error_has_its_attributes_and_no_glue(
    fixture_lib: virgil.Library, build_c: FixtureBuilder, tmp_path: Path
) -> None:
    """An OSError crosses under its shared name with errno, filename and args (section 6);
    frames of the kit's own glue (virgil/_*.py) never appear in the record."""
    missing = tmp_path / "missing.toml"

    def read(x: int) -> int:
        with open(missing, "rb"):
            return x

    with pytest.raises(RuntimeError) as caught:
        fixture_lib.apply(read, 1)
    assert isinstance(caught.value, virgil.ForeignError)
    assert isinstance(caught.value.__cause__, FileNotFoundError)  # the original object
    record = caught.value.record.cause
    assert record is not None and record.name == "FileNotFoundError"
    assert record.attributes["errno"] == 2 and record.attributes["filename"] == str(missing)
    assert record.attributes["args"] == [2, "No such file or directory"]

    closed = virgil.load(build_c(FIXTURE))
    closed.close()

    def nested(x: int) -> int:
        return int(closed.apply(lambda y: y, x))  # raises LibraryClosed in the kit's glue

    with pytest.raises(RuntimeError) as glued:
        fixture_lib.apply(nested, 1)
    inner = glued.value.record.cause
    assert inner is not None and inner.name == "LibraryClosed"
    files = [frame.file for frame in inner.traceback]
    assert files and files[-1] == "test_closures.py", files
    assert not any("virgil/_" in file or file.startswith("_") for file in files), files


def test_retained_closure_failure_keeps_python_frames(fixture_lib: virgil.Library) -> None:
    """A retained closure failing in a later call: its record (not the object) comes back."""
    fixture_lib.register(fail)
    try:
        with pytest.raises(virgil.ForeignError) as caught:
            fixture_lib.fire(4)
    finally:
        fixture_lib.unregister()
    assert caught.value.name == "CallbackError" and caught.value.language == "python"
    text = "".join(traceback.format_exception(caught.value))
    assert "in fail [python]" in text and "raise CallbackError" in text, text


def test_keyboard_interrupt_in_a_callback(fixture_lib: virgil.Library) -> None:
    def interrupted(x: int) -> int:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fixture_lib.map_ints(interrupted, [1])
    assert virgil.live_closures() == 0


def test_unsendable_result(fixture_lib: virgil.Library) -> None:
    with pytest.raises(RuntimeError) as caught:
        fixture_lib.apply(lambda x: object(), 1)
    cause = caught.value.__cause__
    assert isinstance(cause, TypeError) and "cannot send" in str(cause)
    with pytest.raises(TypeError, match="only in the arguments of a call"):
        virgil.encode(fail)


# ---- Lifetime ------------------------------------------------------------------------------


def test_fresh_lambdas_leave_no_handles(clib: virgil.Library) -> None:
    before = stats(clib)["live"] if "virgil_stats" in clib else None
    apply = clib.apply
    for i in range(100_000):
        assert apply(lambda x, i=i: x + i, 1) == i + 1
    assert virgil.live_closures() == 0
    assert len(_handles.table._slots) <= 8, "slots are reused, not accumulated"
    if before is not None:
        assert stats(clib)["live"] == before, "guest buffers leaked"


def test_nested_and_reentrant(fixture_lib: virgil.Library) -> None:
    # A callback calling the guest again, passing a closure of its own.
    assert fixture_lib.apply(lambda x: fixture_lib.apply(lambda y: y * 10, x) + 1, 4) == 41
    # Callables inside lists and dicts are closures too, each with its own handle.
    with _scope.Scope() as scope:
        data = scope.encode([[fail], {"f": fail}, virgil.Float32(1.5)])
        assert virgil.live_closures() == 2
    assert virgil.live_closures() == 0
    decoded = msgpack.unpackb(data, raw=False, strict_map_key=False)
    for ext in (decoded[0][0], decoded[1]["f"]):
        assert isinstance(ext, msgpack.ExtType) and ext.code == 64 and len(ext.data) == 40
    assert data[1:4] == b"\x91\xc7\x28"  # written as ext 8, also by the exact writer


def test_closure_with_float32_argument(fixture_lib: virgil.Library) -> None:
    # The packer stops at the Float32 and the exact writer takes over: one closure is sent.
    with pytest.raises(virgil.ArgumentError):
        fixture_lib.apply(lambda x: x, virgil.Float32(1.0))
    assert virgil.live_closures() == 0


def test_unsendable_argument_next_to_a_callable(fixture_lib: virgil.Library) -> None:
    with pytest.raises(virgil.ArgumentError, match="argument 2"):
        fixture_lib.apply(fail, object())
    assert virgil.live_closures() == 0


def test_retained_closure_from_many_threads(fixture_lib: virgil.Library) -> None:
    calls: List[int] = []
    lock = threading.Lock()

    def counted(x: int) -> int:
        with lock:
            calls.append(threading.get_ident())
        return x * 2

    fixture_lib.register(counted)
    try:
        # From 8 threads the guest starts (the host never saw them), all at once...
        assert fixture_lib.fire_threads(8, 500, 3) == 8 * 500 * 6
        assert len(set(calls)) >= 2
        # ...and from Python threads calling the guest at once.
        errors: List[BaseException] = []

        def fire_many() -> None:
            try:
                for i in range(300):
                    assert fixture_lib.fire(i) == 2 * i
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=fire_many) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors, errors
        assert virgil.live_closures() == 1  # still retained
    finally:
        fixture_lib.unregister()
    assert virgil.live_closures() == 0
    with pytest.raises(ValueError):
        fixture_lib.fire(1)


# ---- Calling closures by hand, as a guest would --------------------------------------------


class Box(ctypes.Structure):
    _fields_ = [("ptr", ctypes.c_void_p), ("len", ctypes.c_uint64)]


CALL = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.POINTER(Box), ctypes.POINTER(Box))
REF = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
REALLOC = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)


class Guest:
    """A closure's five words, used from Python through ctypes exactly as a guest would."""

    def __init__(self, payload: bytes) -> None:
        call, self.env, realloc, retain, release = struct.unpack("<5Q", payload)
        self._call = CALL(call)
        self._realloc = REALLOC(realloc)
        self._retain = REF(retain)
        self._release = REF(release)

    def call(self, data: bytes, scratch_size: int = 256) -> Any:
        """Calls with these argument bytes; returns the decoded reply envelope."""
        args = ctypes.create_string_buffer(data, len(data))
        scratch = ctypes.create_string_buffer(max(scratch_size, 1))
        inbox = Box(ctypes.addressof(args), len(data))
        out = Box(ctypes.addressof(scratch) if scratch_size else None, scratch_size)
        self._call(self.env, ctypes.byref(inbox), ctypes.byref(out))
        assert out.ptr and out.len
        reply = ctypes.string_at(out.ptr, out.len)
        if out.ptr != ctypes.addressof(scratch):
            self._realloc(out.ptr, 0)  # the closure side's allocator
        return msgpack.unpackb(reply, raw=False)

    def retain(self) -> None:
        self._retain(self.env)

    def release(self) -> None:
        self._release(self.env)


def released_name(envelope: Any) -> str:
    assert set(envelope) == {"error"}, envelope
    name: str = envelope["error"]["name"]
    return name


def test_calling_a_released_closure(fixture_lib: virgil.Library) -> None:
    # The guest hands back the closure's bytes; the call it was passed to has returned.
    guest = Guest(fixture_lib.payload(lambda x: x + 1))
    assert virgil.live_closures() == 0
    assert released_name(guest.call(b"\x91\x01")) == "virgil.ReleasedClosure"
    guest.retain()  # too late: an invalid env's retain and release do nothing
    guest.release()
    assert virgil.live_closures() == 0
    assert released_name(guest.call(b"\x91\x01", scratch_size=0)) == "virgil.ReleasedClosure"


def test_retain_and_release_by_hand() -> None:
    with _scope.Scope() as scope:
        ext = scope.closure(lambda *args: list(args))
        guest = Guest(ext.data)
        assert guest.call(b"\x92\x01\xa1x") == {"ok": [1, "x"]}
        guest.retain()
        guest.retain()
    assert virgil.live_closures() == 1
    big = b"\x91\xc5" + struct.pack(">H", 5000) + bytes(5000)
    assert guest.call(big, scratch_size=16) == {"ok": [bytes(5000)]}  # in realloc memory
    guest.release()
    assert guest.call(b"\x90") == {"ok": []}
    guest.release()
    assert virgil.live_closures() == 0
    assert released_name(guest.call(b"\x90")) == "virgil.ReleasedClosure"
    guest.release()  # one release too many does nothing
    with _scope.Scope() as scope:  # the slot is reused with a new generation
        other = Guest(scope.closure(fail).data)
        assert other.env != guest.env
        assert released_name(guest.call(b"\x90")) == "virgil.ReleasedClosure"
        assert released_name(other.call(b"\x91\x07")) == "CallbackError"


def test_malformed_arguments_to_a_closure() -> None:
    with _scope.Scope() as scope:
        guest = Guest(scope.closure(lambda x: x).data)
        for data in (b"\xc1", b"\x01", b"\x92\x01", b"\x91\x82\x01\x02\x01\x03"):
            name = released_name(guest.call(data))
            assert name == "virgil.ArgumentError", (data, name)
        deep = b"\x91" + b"\x91" * 513 + b"\x01"
        assert released_name(guest.call(deep)) == "virgil.LimitExceeded"
        assert released_name(guest.call(b"\x92\x01\x02")) == "TypeError"  # the lambda's own
        words = struct.unpack("<5Q", scope.closure(lambda: 1).data)
        call, env = CALL(words[0]), words[1]
        box, out = Box(None, 5), Box(None, 0)
        call(env, ctypes.byref(box), ctypes.byref(out))  # {NULL, 5}: refused, not read
        reply = msgpack.unpackb(ctypes.string_at(out.ptr, out.len))
        assert reply["error"]["name"] == "virgil.ArgumentError", reply
        assert "{NULL, 5}" in reply["error"]["message"]
        ctypes.CDLL(None).free(ctypes.c_void_p(out.ptr))
        null = CALL(struct.unpack("<5Q", scope.closure(fail).data)[0])
        out = Box(None, 0)
        null(0, None, ctypes.byref(out))  # env 0 and no arguments: still a reply
        assert released_name(msgpack.unpackb(ctypes.string_at(out.ptr, out.len))) == (
            "virgil.ReleasedClosure"
        )
        ctypes.CDLL(None).free(ctypes.c_void_p(out.ptr))


# ---- The encoding (cabi/testdata/closures.json) --------------------------------------------


def test_closure_vectors() -> None:
    """The five words are written as the vectors say, by the packer and the exact writer."""
    document = json.loads((REPO / "cabi" / "testdata" / "closures.json").read_text())
    order = ("call", "env", "realloc", "retain", "release")

    def ext(words: Dict[str, str]) -> msgpack.ExtType:
        payload = _scope._PAYLOAD.pack(*(int(words[key], 16) for key in order))
        return msgpack.ExtType(_scope.EXT_CLOSURE, payload)

    for vector in document["vectors"]:
        want = bytes.fromhex(vector["hex"])
        assert virgil.encode(ext(vector["closure"])) == want, vector["name"]
        assert virgil.codec.encode_exact(ext(vector["closure"])) == want, vector["name"]
    for vector in document.get("args", []):
        args = [ext(a["closure"]) if "closure" in a else parse(a) for a in vector["args"]]
        assert virgil.encode(args) == bytes.fromhex(vector["hex"]), vector["name"]


def test_handle_generation_never_wraps() -> None:
    """A slot whose generation reached 2**32 - 1 is retired, so a stale env never matches again."""
    from virgil._handles import HandleTable
    from virgil._scope import Scope

    table = HandleTable()
    env = table.add(lambda: None, Scope())
    table._slots[0][0] = 0xFFFFFFFF
    last = 0xFFFFFFFF << 32 | 1
    table.unpin([last])  # the call returned: the slot is freed, and retired
    assert table.lookup(last) == (None, None)
    for _ in range(3):
        fresh = table.add(lambda: None, Scope())
        assert fresh & 0xFFFFFFFF != 1, "the retired slot was reused"
        assert table.lookup(last) == (None, None)
        table.unpin([fresh])
    assert env & 0xFFFFFFFF == 1

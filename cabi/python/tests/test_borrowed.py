"""Borrowed bytes (cabi/ABI.md section 16) in the Python host: the vectors of
cabi/testdata/borrowed.json through the codec (``encoding``, ``arguments``) and through the range
check of a reply's borrowed values (``replies``), the lender's choice of what to lend, and calls
lending to every guest whose manifest declares ``"borrow": true``.
"""

from __future__ import annotations

import ctypes
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Dict, List, Tuple

import msgpack
import pytest
from conftest import REPO, guest_paths, stats

import virgil
from virgil import codec
from virgil._abi import GuestMemory, InBox, in_address
from virgil._borrow import LENDS, Lender
from virgil._crossing import Core, _decode, _reply
from virgil.manifest import FunctionInfo, Manifest, ManifestError

BORROWED = json.loads((REPO / "cabi" / "testdata" / "borrowed.json").read_text())
ENCODING: List[Dict[str, Any]] = BORROWED["encoding"]
ARGUMENTS: List[Dict[str, Any]] = BORROWED["arguments"]
REPLIES: List[Dict[str, Any]] = BORROWED["replies"]

needs_lending = pytest.mark.skipif(not LENDS, reason="this interpreter does not lend (PyPy)")


class Recorder:
    """A view resolver that records what it is asked and reads no memory: it returns as many
    bytes as asked, all 0x61 ('a', valid UTF-8)."""

    def __init__(self) -> None:
        self.asked: List[Tuple[int, int]] = []

    def __call__(self, ptr: int, length: int) -> bytes:
        self.asked.append((ptr, length))
        return b"a" * length


def address_of(data: bytes) -> int:
    return ctypes.cast(ctypes.c_char_p(data), ctypes.c_void_p).value or 0


# ---- encoding: the codec writes and reads the words, never the memory ------------------------


@pytest.mark.parametrize("case", ENCODING, ids=[case["name"] for case in ENCODING])
def test_encoding(case: Dict[str, Any]) -> None:
    raw = bytes.fromhex(case["hex"])
    recorder = Recorder()
    value = codec.unpack(raw, codec.borrowing_hook(recorder))
    plain = codec.unpack(raw)  # without a resolver: the raw extensions they are
    assert codec.encode(plain) == raw, "a raw extension goes back byte for byte"
    if case.get("args"):
        (borrowed, rest) = value
        ((ptr, length),) = recorder.asked
        assert type(borrowed) is bytes and len(borrowed) == length and rest == 1
        assert plain[0] == codec.borrowed(codec.BORROWED_BYTES, ptr, length)
        assert codec.encode([codec.borrowed(65, ptr, length), 1]) == raw
        return
    kind, ptr, length = case["ext"], case["ptr"], case["len"]
    assert codec.encode(codec.borrowed(kind, ptr, length)).hex() == case["hex"]
    assert plain == msgpack.ExtType(kind, ptr.to_bytes(8, "little") + length.to_bytes(8, "little"))
    assert codec.borrowed_words(kind, plain.data) == (ptr, length)
    assert type(value) is {"bytes": bytes, "str": str}[case["reads_as"]]
    assert len(value) == length
    assert recorder.asked == ([(ptr, length)] if length else []), "an empty value is never read"


def test_encoding_refuses_what_is_not_a_borrowed_value() -> None:
    with pytest.raises(ValueError, match="ext 65 or 66"):
        codec.borrowed(64, 1, 1)
    with pytest.raises(ValueError, match="64-bit"):
        codec.borrowed(65, 1 << 64, 1)


# ---- arguments: broken words, refused by the codec before the resolver is asked ---------------

# The error name each of the codec's errors stands for in an argument array (section 16).
_ARGUMENT_NAMES = (
    (codec.LimitError, "virgil.LimitExceeded"),
    (codec.BorrowError, "virgil.ProtocolError"),
    (codec.DecodeError, "virgil.ArgumentError"),
)


@pytest.mark.parametrize("case", ARGUMENTS, ids=[case["name"] for case in ARGUMENTS])
def test_arguments(case: Dict[str, Any]) -> None:
    recorder = Recorder()
    raw = bytes.fromhex(case["hex"])
    try:
        (value,) = codec.unpack(raw, codec.borrowing_hook(recorder))
    except codec.DecodeError as error:
        name = next(name for kind, name in _ARGUMENT_NAMES if isinstance(error, kind))
        assert name == case["expect"], f"{error}"
        assert recorder.asked == [], "a broken borrowed value is never read"
        return
    # Well-formed words the declared type refuses: a str where echo_bytes declares bytes.
    assert case["name"] == "str where bytes are declared", f"read {value!r}"
    assert value == "" and case["expect"] == "virgil.ArgumentError"


def test_borrowed_str_not_utf8() -> None:
    hook = codec.borrowing_hook(lambda ptr, length: b"\xff\xfe")
    with pytest.raises(codec.DecodeError, match="borrowed str that is not UTF-8"):
        codec.unpack(codec.encode(codec.borrowed(66, 0x1000, 2)), hook)
    assert codec.unpack(codec.encode(codec.borrowed(65, 0x1000, 2)), hook) == b"\xff\xfe"


def test_borrowed_values_read_as_inline_values_anywhere() -> None:
    """In arrays, as map keys and values, in any: the bytes or str itself, never an Ext."""
    hook = codec.borrowing_hook(Recorder())
    value = [
        codec.borrowed(65, 0x1000, 2),
        {codec.borrowed(66, 0x2000, 1): codec.borrowed(66, 8, 3)},
    ]
    assert codec.unpack(codec.encode(value), hook) == [b"aa", {"a": "aaa"}]
    assert codec.unpack(codec.encode({"k": msgpack.ExtType(79, b"x")}), hook) == {
        "k": msgpack.ExtType(79, b"x")
    }


def test_the_fast_hook_defers_borrowed_values() -> None:
    with pytest.raises(codec.BorrowedValue):
        msgpack.unpackb(
            codec.encode([codec.borrowed(65, 1, 1)]), ext_hook=codec.extension_deferring_borrowed
        )
    assert codec.extension_deferring_borrowed(79, b"x") == msgpack.ExtType(79, b"x")
    assert codec.extension_deferring_borrowed(-5, b"x") == codec.Extension(-5, b"x")


# ---- replies: the range check of the host's lender (check 4) ---------------------------------


@needs_lending
@pytest.mark.parametrize("case", REPLIES, ids=[case["name"] for case in REPLIES])
def test_replies(case: Dict[str, Any]) -> None:
    argument = bytes(range(256)) * (case["lent"] // 256 + 1)
    argument = argument[: case["lent"]]
    arguments = b"\x91\xc0"  # the call's own argument bytes, elsewhere
    lender = Lender(InBox(arguments, len(arguments)), GuestMemory())
    lent = lender.lend((argument,), 1)
    assert lent is not None, "the argument is lent"
    ((start, size),) = lender.spans
    assert (start, size) == (address_of(argument), len(argument))
    ptr = case["ptr"] if "ptr" in case else start + case["offset"]
    reply = b"\x81\xa2ok" + codec.encode(codec.borrowed(65, ptr, case["len"]))
    try:
        if case["expect"] == "ok":
            envelope = _decode("f", reply, lender.hook)
            offset = ptr - start
            assert envelope == {"ok": argument[offset : offset + case["len"]]}
            return
        with pytest.raises(virgil.ForeignError) as caught:
            _decode("f", reply, lender.hook)
        assert caught.value.name == case["expect"], str(caught.value)
        assert str(caught.value).startswith("f: a borrowed value")
    finally:
        lender.end()
    assert lender.spans == [] and lender.keep == []


@needs_lending
def test_replies_may_view_the_argument_bytes() -> None:
    arguments = b"\x92\xa3abc\x01"
    lender = Lender(InBox(arguments, len(arguments)), GuestMemory())
    start = in_address(lender.inbox)
    reply = b"\x81\xa2ok" + codec.encode(codec.borrowed(66, start + 2, 3))
    assert _decode("f", reply, lender.hook) == {"ok": "abc"}
    past = b"\x81\xa2ok" + codec.encode(codec.borrowed(65, start + 1, len(arguments)))
    with pytest.raises(virgil.ProtocolError, match="not inside the memory lent"):
        _decode("f", past, lender.hook)


@needs_lending
def test_a_reply_box_inside_a_lent_value_is_refused_and_never_freed() -> None:
    """Check 4 of section 2 counts the values lent to the call as the caller's own memory."""
    freed: List[int] = []
    core = Core("lib", lambda ptr, size: freed.append(ptr), 64, 1 << 20)
    state = core.new_state(64)
    argument = bytes(100)
    assert state.lender.lend((argument,), 1) is not None
    ((start, _),) = state.lender.spans
    with pytest.raises(virgil.ProtocolError, match="into the caller's own lent argument"):
        _reply(core, state, "f", start + 10, 5)
    assert freed == [], "not the guest's to give back"
    state.lender.end()


# ---- What the lender lends ---------------------------------------------------------------------


@needs_lending
def test_lender_lends_large_bytes_buffers_and_ascii_str() -> None:
    lender = Lender(InBox(b"\x90", 1), GuestMemory())
    big = bytes(range(256)) * 4
    array = bytearray(big)
    text = "x" * 1024
    view = memoryview(big)[1:]
    args = (big, array, text, view, "é" * 1024, b"small", 7, memoryview(big)[::2])
    lent = lender.lend(args, 1024 - 1)
    assert lent is not None
    assert lent[4:] == args[4:], "non-ASCII str, small values, others and strided views inline"
    for value, original, code in zip(lent[:4], args[:4], (65, 65, 66, 65)):
        assert isinstance(value, msgpack.ExtType) and value.code == code
        ptr, length = codec.borrowed_words(code, value.data)
        expected = original.encode() if isinstance(original, str) else bytes(original)
        assert ctypes.string_at(ptr, length) == expected, "the words name the object's bytes"
    assert codec.borrowed_words(65, lent[0].data)[0] == address_of(big), "bytes lent, not copied"
    with pytest.raises(BufferError):
        array.extend(b"x")  # a lent bytearray cannot move during the call
    lender.end()
    array.extend(b"x")  # released when the call ends
    assert lender.lend((big[:100], b"", "x", bytearray(10)), 1024) is None


# ---- The manifest key ------------------------------------------------------------------------


def test_manifest_borrow_key() -> None:
    wire = {"abi": 1, "library": "l", "language": "c", "version": "1", "functions": []}
    assert Manifest.from_wire(wire).borrow is False
    assert "borrow" not in Manifest.from_wire(wire).to_wire(), "omitted when false"
    declared = Manifest.from_wire({**wire, "borrow": True})
    assert declared.borrow is True
    assert list(declared.to_wire()) == [*wire, "borrow"], "after functions"
    with pytest.raises(ManifestError, match="'borrow' must be a bool"):
        Manifest.from_wire({**wire, "borrow": 1})


@pytest.mark.parametrize(
    ("types", "lends"),
    [
        (["int", "int"], False),
        (["bytes"], True),
        (["int", "str?"], True),
        (["any"], True),
        (["a type from the future"], True),
        (["[bytes]", "{str: str}", '{"b": bytes}'], False),
        ([], False),
    ],
)
def test_functions_look_for_values_to_lend_only_where_a_parameter_takes_them(
    types: List[str], lends: bool
) -> None:
    params = [{"name": f"p{index}", "type": text} for index, text in enumerate(types)]
    info = FunctionInfo.from_wire({"name": "f", "params": params, "result": "nil", "doc": ""})
    assert info.lends() is lends


# ---- Calls lending to guests that declare borrow -----------------------------------------------


def _borrowing_guests() -> List[Any]:
    """The conformance guests whose manifest declares borrow (chosen by manifest, not name)."""
    found = []
    for path in guest_paths():
        manifest = virgil.load(path).manifest
        if manifest is not None and manifest.borrow:
            found.append(pytest.param(path, id=path.stem.replace("libconformance_", "")))
    if not found:
        reason = "no guest in the guest directory declares borrow in its manifest"
        found.append(pytest.param(None, id="none", marks=pytest.mark.skip(reason=reason)))
    return found


def test_threshold_is_configured_per_library() -> None:
    paths = guest_paths()
    if not paths:
        pytest.skip("no guests")
    for path in paths:
        lib = virgil.load(path)
        declares = lib.manifest is not None and lib.manifest.borrow
        expected = virgil.DEFAULT_BORROW_THRESHOLD if declares and LENDS else 0
        assert lib.borrow_threshold == expected, path
        assert virgil.load(path, borrow_threshold=0).borrow_threshold == 0
    with pytest.raises(ValueError, match="borrow_threshold"):
        virgil.load(paths[0], borrow_threshold=-1)


def _sent(lib: virgil.Library) -> int:
    """How many argument bytes the last call on this thread sent (its state's in box)."""
    return int(lib._core.pool[-1].inbox.len)


@needs_lending
@pytest.mark.parametrize("borrowing", _borrowing_guests())
def test_calls_lend_to_guests_declaring_borrow(borrowing: Path) -> None:
    lib = virgil.load(borrowing, borrow_threshold=1024)
    before = stats(lib)["live"]
    payload = bytes(range(256)) * 4096  # 1 MiB
    for value in (
        payload,
        bytearray(payload),
        memoryview(payload)[3:],
        memoryview(bytearray(payload)),
    ):
        assert lib.echo_bytes(value) == bytes(value)
        assert _sent(lib) == 1 + 18, "the argument array holds one borrowed value, not the bytes"
    assert lib.echo_bytes(payload[:1000]) == payload[:1000]
    assert _sent(lib) == 1 + 3 + 1000, "below the threshold: inline"
    name = "Ada" * 1000
    assert lib.greet(name) == f"Hello, {name}!"
    assert _sent(lib) == 1 + 18, "an ASCII str is lent"
    assert lib.greet("é" * 1000) == f"Hello, {'é' * 1000}!"
    assert _sent(lib) == 1 + 3 + 2000, "another str is written inline (lending would encode it)"
    assert lib.echo([payload, 1]) == [payload, 1], "values inside lists are inline"
    assert lib.echo(payload) == payload, "any reads a borrowed value as the bytes themselves"
    array = bytearray(payload)
    lib.echo_bytes(array)
    array.extend(b"!")  # released once the call returned
    with pytest.raises(virgil.ArgumentError):
        lib.echo_bytes("x" * 2048)  # a str where bytes are declared, lent or not
    assert stats(lib)["live"] == before, "guest buffers leaked"


@needs_lending
@pytest.mark.parametrize("borrowing", _borrowing_guests())
def test_threads_lend_at_once(borrowing: Path) -> None:
    """Each call lends through its own state: replies never mix up the threads' payloads."""
    lib = virgil.load(borrowing, borrow_threshold=1024)
    before = stats(lib)["live"]

    def work(seed: int) -> bool:
        payload = bytes((seed + i) % 256 for i in range(256)) * 1024
        text = chr(0x41 + seed) * 4096
        return all(
            lib.echo_bytes(payload) == payload and lib.greet(text) == f"Hello, {text}!"
            for _ in range(20)
        )

    with ThreadPoolExecutor(4) as pool:
        assert all(pool.map(work, range(8)))
    assert stats(lib)["live"] == before


@needs_lending
@pytest.mark.parametrize("borrowing", _borrowing_guests())
def test_a_call_passing_callables_lends_nothing(borrowing: Path) -> None:
    lib = virgil.load(borrowing, borrow_threshold=1024)
    if "apply" not in lib:
        pytest.skip("this guest takes no closures")
    array = bytearray(1 << 17)
    with pytest.raises(virgil.ArgumentError, match="argument 2"):
        lib.apply(lambda x: x, array)  # lent, then written inline with the closure
    array.extend(b"!")  # the export was released
    assert lib._core.pool[-1].lender.keep == []


@needs_lending
@pytest.mark.parametrize("borrowing", _borrowing_guests())
def test_no_lending_when_disabled(borrowing: Path) -> None:
    lib = virgil.load(borrowing, borrow_threshold=0)
    payload = bytes(1 << 17)
    assert lib.echo_bytes(payload) == payload
    assert _sent(lib) == 1 + 5 + len(payload)


def test_libraries_without_borrow_get_inline_values(guest: Path) -> None:
    lib = virgil.load(guest, borrow_threshold=1)
    if lib.manifest is not None and lib.manifest.borrow:
        pytest.skip("this guest declares borrow")
    payload = bytes(1 << 17)
    assert lib.echo_bytes(payload) == payload
    assert _sent(lib) == 1 + 5 + len(payload), "never lent to a library without the key"

"""Lowering and lifting: Python values to canonical MessagePack and back (cabi/ABI.md 4, 5, 11).

Encoding uses msgpack's C packer with ``use_bin_type=True``, which already writes every value in
the smallest encoding of its family (ints, str, bin, arrays, maps, timestamps) and floats as
float 64. What it cannot write is handed to :func:`lower`:

- an aware :class:`~datetime.datetime` (a :class:`~virgil.Time` keeps its nanoseconds) becomes a
  timestamp; a naive one is refused, since it names no instant;
- a dataclass instance becomes a map of its fields in declaration order (a record), any other
  mapping a map, an object with ``__index__`` (numpy integers) an int;
- a :class:`~virgil.Float32` switches to a small pure-Python writer for that one value tree, as
  the C packer has no way to write one float as float 32 and the others as float 64.

Decoding uses msgpack's C unpacker with two hooks (duplicate and container map keys refused,
extension values kept raw, negative types as :class:`Extension`), then :func:`lift` turns
timestamps into :class:`~virgil.Time` and enforces the nesting limit (512 levels of arrays and maps
per value).

Borrowed bytes (cabi/ABI.md section 16): ext 65 and 66 hold a pointer and a length, bytes the
caller lent for one call. This module sees the words as integers only: :func:`borrowed` writes
one, :func:`borrowed_words` reads one, and :func:`borrowing_hook` makes an unpacker hook that reads
them as the ``bytes`` or ``str`` they stand for, through a view resolver its caller supplies (the
host layer, which owns pointers), with checks 1 to 5 of section 16. Without a resolver they are
the raw extension values they are.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
import struct
import types
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Callable, Dict, List, Optional, Tuple

import msgpack

from .values import Float32, Time, unix_of

__all__ = [
    "BORROWED_BYTES",
    "BORROWED_STR",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "BorrowError",
    "BorrowedValue",
    "ClosureInContext",
    "DecodeError",
    "Extension",
    "LimitError",
    "borrowed",
    "borrowed_words",
    "borrowing_hook",
    "decode",
    "decode_error",
    "describe",
    "encode",
    "encode_exact",
    "extension",
    "extension_deferring_borrowed",
    "lift",
    "lower",
    "map_of_pairs",
    "needs_exact_writer",
    "new_packer",
    "split_envelope",
    "unpack",
]

#: Deepest nesting of arrays and maps a decoded value may have.
MAX_DEPTH = 512
# Deepest nesting the pure-Python writer accepts: more than decoders take (512 per value), well
# within Python's recursion limit. (msgpack's C packer stops at 511 levels before msgpack 1.2, at
# 1023 since; the pure-Python writer takes over when it stops.)
_ENCODE_DEPTH = 600

Timestamp = msgpack.Timestamp


class DecodeError(ValueError):
    """Bytes are not one well-formed MessagePack value within the ABI's limits."""


class LimitError(DecodeError):
    """Bytes exceed a limit of cabi/ABI.md section 11 (nesting): ``virgil.LimitExceeded``."""


class BorrowError(DecodeError):
    """A borrowed value whose words are broken (NULL with a length, a range that wraps the address
    space) or name memory the resolver refuses (a reply's view of memory not lent to the call):
    ``virgil.ProtocolError`` (cabi/ABI.md section 16, checks 3 and 4)."""


class BorrowedValue(Exception):
    """Raised by :func:`extension_deferring_borrowed` on a borrowed value: the bytes must be
    decoded again with a :func:`borrowing_hook` (not a decoding error)."""


class _NeedsExactEncoding(Exception):
    """Raised from the C packer's fallback when a value needs the pure-Python writer."""


class ClosureInContext(TypeError):
    """Raised by :func:`lower` for a callable: a function value can only be sent as (part of)
    the arguments of a call, which lowers it as a closure valid during that call (section 15)."""

    def __init__(self) -> None:
        super().__init__(
            "a function can be sent only in the arguments of a call (as a closure), "
            "not as a result or on its own"
        )


_FUNCTIONS = frozenset(
    (types.FunctionType, types.BuiltinFunctionType, types.MethodType, functools.partial)
)


def lower(value: Any) -> Any:
    """Turns a value msgpack cannot write itself into one it can (the packer's ``default``).

    Raises:
        TypeError: the value has no Virgil equivalent.
        ValueError: the value is a naive datetime.
    """
    if type(value) in _FUNCTIONS:  # the common callables, recognised first
        raise ClosureInContext
    if isinstance(value, datetime):
        return Timestamp(*unix_of(value))
    if isinstance(value, Float32):
        raise _NeedsExactEncoding
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return dict(value)
    if hasattr(type(value), "__index__"):
        return operator.index(value)
    if callable(value):
        raise ClosureInContext
    raise TypeError(
        f"cannot send a {type(value).__module__}.{type(value).__qualname__}: a Virgil value is "
        "None, bool, int, float, str, bytes, list, tuple, dict, datetime or a dataclass"
    )


def new_packer() -> msgpack.Packer:
    """A packer writing canonical Virgil MessagePack (not thread-safe: one per call state)."""
    return msgpack.Packer(use_bin_type=True, default=lower, datetime=False)


def encode(value: Any) -> bytes:
    """The canonical MessagePack encoding of ``value``.

    Raises:
        TypeError, ValueError, OverflowError: the value cannot be sent (see :func:`lower`; an int
            outside the 64-bit ranges is an OverflowError).
    """
    try:
        return msgpack.packb(value, use_bin_type=True, default=lower, datetime=False)  # type: ignore[no-any-return]
    except _NeedsExactEncoding:
        return encode_exact(value)
    except ValueError as error:
        if not needs_exact_writer(error):
            raise
        return encode_exact(value)


def needs_exact_writer(error: BaseException) -> bool:
    """Whether the C packer failed only where the pure-Python writer succeeds: a Float32, or a
    value nested deeper than the packer's own recursion limit."""
    return isinstance(error, _NeedsExactEncoding) or (
        isinstance(error, ValueError) and "recursion limit" in str(error)
    )


def encode_exact(value: Any, default: Callable[[Any], Any] = lower) -> bytes:
    """The canonical encoding of ``value``, written in Python; handles :class:`Float32`.
    ``default`` lowers what is not a plain value (see :func:`lower`)."""
    out: List[bytes] = []
    _write(value, out, 0, default)
    return b"".join(out)


_NATIVE = (bool, int, float, str, bytes, bytearray, memoryview, Timestamp, msgpack.ExtType)


def _header(count: int, small: int, codes: Tuple[int, int]) -> bytes:
    """An array (small=0x90) or map (small=0x80) header for ``count`` entries."""
    if count < 16:
        return bytes((small | count,))
    if count < 0x10000:
        return struct.pack(">BH", codes[0], count)
    return struct.pack(">BI", codes[1], count)


def _write(value: Any, out: List[bytes], depth: int, default: Callable[[Any], Any]) -> None:
    if depth > _ENCODE_DEPTH:
        raise ValueError("recursion limit exceeded: the value is nested too deeply")
    while True:
        if isinstance(value, Float32):
            out.append(value.packed())
        elif isinstance(value, msgpack.ExtType):  # a namedtuple, not an array
            out.append(msgpack.packb(value))
        elif isinstance(value, (list, tuple)):
            out.append(_header(len(value), 0x90, (0xDC, 0xDD)))
            for item in value:
                _write(item, out, depth + 1, default)
        elif isinstance(value, dict):
            out.append(_header(len(value), 0x80, (0xDE, 0xDF)))
            for key, item in value.items():
                _write(key, out, depth + 1, default)
                _write(item, out, depth + 1, default)
        elif value is None or isinstance(value, _NATIVE):
            out.append(msgpack.packb(value, use_bin_type=True))
        else:
            value = default(value)
            continue
        return


def unpack(data: Any, ext_hook: Optional[Callable[[int, bytes], Any]] = None) -> Any:
    """Decodes exactly one MessagePack value from a bytes-like object, without :func:`lift`.
    ``ext_hook`` reads extension values (default :func:`extension`; a :func:`borrowing_hook`
    reads borrowed values).

    Refuses what cabi/ABI.md section 5 calls malformed: invalid UTF-8 in a str, an invalid
    timestamp, duplicate map keys, an array or map as a map key. Extension values other than the
    timestamp are kept as raw extension values (:class:`Extension` for negative types).

    Raises:
        DecodeError: saying what is wrong (truncated, trailing bytes, malformed).
        LimitError: nesting beyond what the unpacker takes (deeper than 512 is refused by
            :func:`lift`), a borrowed value of 2^32 bytes or more.
        BorrowError: a broken borrowed value (with a :func:`borrowing_hook`).
    """
    try:
        return msgpack.unpackb(
            data,
            raw=False,
            strict_map_key=False,
            timestamp=0,
            object_pairs_hook=map_of_pairs,
            ext_hook=ext_hook or extension,
        )
    except Exception as error:
        raise decode_error(error) from error


class Extension(msgpack.ExtType):  # type: ignore[misc]
    """A raw MessagePack extension value: its type (-128 to 127) and its bytes, written back
    exactly as they came. Decoders give extension types other than the timestamp (-1) as
    ``msgpack.ExtType``, or as this subclass of it for the negative types ``ExtType`` refuses.
    """

    __slots__ = ()
    __module__ = "virgil"

    def __new__(cls, code: int, data: bytes) -> Extension:
        if type(code) is not int or not -128 <= code <= 127:
            raise ValueError(f"an extension type is -128 to 127, not {code!r}")
        if not isinstance(data, bytes):
            raise TypeError(f"an extension's data is bytes, not {type(data).__name__}")
        return tuple.__new__(cls, (code, data))

    def __repr__(self) -> str:
        return f"virgil.Extension(code={self.code}, data={self.data!r})"


def extension(code: int, data: bytes) -> Any:
    """The unpacker's ``ext_hook``: a raw extension value for every type but the timestamp,
    which the unpacker reads (and validates) itself."""
    if code >= 0:
        return msgpack.ExtType(code, data)
    return Extension(code, data)


def extension_deferring_borrowed(code: int, data: bytes) -> Any:
    """:func:`extension`, but raising :class:`BorrowedValue` on ext 65 and 66: the hook of a
    caller's fast path, which decodes the bytes again with a :func:`borrowing_hook` when it meets
    a borrowed value (so the common reply pays nothing for them)."""
    if code in (BORROWED_BYTES, BORROWED_STR):
        raise BorrowedValue
    if code >= 0:
        return msgpack.ExtType(code, data)
    return Extension(code, data)


# ---- Borrowed bytes (cabi/ABI.md section 16) ------------------------------------------------

#: The extension type of a borrowed byte string, and of a borrowed str.
BORROWED_BYTES = 65
BORROWED_STR = 66
#: The longest byte string, str or borrowed value MessagePack can describe: 2^32 - 1 bytes.
MAX_LENGTH = (1 << 32) - 1
_WORDS = struct.Struct("<QQ")
_ADDRESS_END = 1 << 64

#: A view resolver: given a pointer and a length (checked: not NULL, 0 < length < 2^32, no wrap),
#: the bytes there (a bytes-like object, read during the call only), or :class:`BorrowError`
#: when the range may not be read.
Resolver = Callable[[int, int], Any]


def borrowed(code: int, ptr: int, length: int) -> msgpack.ExtType:
    """The borrowed value of extension type ``code`` (65 bytes, 66 str) viewing ``length`` bytes
    at ``ptr``: written by the packer as fixext 16, ``d8``, the type, then the two words
    little-endian.

    Raises:
        ValueError: ``code`` is not 65 or 66, or a word does not fit 64 bits.
    """
    if code not in (BORROWED_BYTES, BORROWED_STR):
        raise ValueError(f"a borrowed value is ext 65 or 66, not {code!r}")
    try:
        return msgpack.ExtType(code, _WORDS.pack(ptr, length))
    except struct.error:
        raise ValueError(f"a borrowed value's words are 64-bit: {ptr!r}, {length!r}") from None


def borrowed_words(code: int, data: bytes) -> Tuple[int, int]:
    """The pointer and length of the borrowed value of type ``code`` holding ``data``, read
    without touching the memory they name, with checks 1 to 3 of section 16.

    Raises:
        DecodeError: the payload is not exactly 16 bytes (check 1).
        LimitError: the length is 2^32 or more (check 2).
        BorrowError: NULL with a length, or a range past the end of the address space (check 3).
    """
    if len(data) != _WORDS.size:
        raise DecodeError(
            f"a borrowed value (ext {code}) must hold {_WORDS.size} bytes, not {len(data)}"
        )
    ptr, length = _WORDS.unpack(data)
    if length > MAX_LENGTH:
        raise LimitError(
            f"a borrowed value (ext {code}) of {length} bytes: lengths are at most {MAX_LENGTH}"
        )
    if length and not ptr:
        raise BorrowError(f"a borrowed value (ext {code}) is NULL with length {length}")
    if ptr + length >= _ADDRESS_END:  # the end is not an address: the range wraps
        raise BorrowError(
            f"a borrowed value (ext {code}) at {ptr:#x} of {length} bytes wraps past the end "
            "of the address space"
        )
    return ptr, length


def _copy(view: Any) -> bytes:
    """The bytes of a resolved view, copied (a bytes object is its own copy); a memoryview is
    released, so nothing keeps the memory it views."""
    if type(view) is bytes:
        return view
    try:
        return bytes(view)
    finally:
        if isinstance(view, memoryview):
            view.release()


def borrowing_hook(resolve: Resolver) -> Callable[[int, bytes], Any]:
    """An unpacker ``ext_hook`` reading ext 65 as ``bytes`` and ext 66 as ``str``, copied out of
    the views ``resolve`` gives, with checks 1 to 5 of section 16; every other extension type as
    :func:`extension` does. A value of length 0 is empty, never resolved.

    Raises (from the unpacker):
        DecodeError: a payload that is not 16 bytes, a str that is not UTF-8.
        LimitError: a length of 2^32 or more.
        BorrowError: NULL with a length, a range that wraps, or one ``resolve`` refuses.
    """

    def hook(code: int, data: bytes) -> Any:
        if code not in (BORROWED_BYTES, BORROWED_STR):
            return extension(code, data)
        ptr, length = borrowed_words(code, data)
        if not length:
            return b"" if code == BORROWED_BYTES else ""
        copied = _copy(resolve(ptr, length))
        if len(copied) != length:  # a resolver's bug, never a view of other memory
            raise BorrowError(f"a borrowed value of {length} bytes resolved to {len(copied)}")
        if code == BORROWED_BYTES:
            return copied
        try:
            return copied.decode("utf-8")
        except UnicodeDecodeError as error:
            raise DecodeError(f"a borrowed str that is not UTF-8 ({error.reason})") from None

    return hook


def map_of_pairs(pairs: List[Tuple[Any, Any]]) -> Dict[Any, Any]:
    """The unpacker's ``object_pairs_hook``: a dict, refusing duplicate keys (which a dict would
    merge) and keys that are arrays or maps (cabi/ABI.md section 5)."""
    try:
        result = dict(pairs)
    except TypeError:
        for key, _ in pairs:
            if isinstance(key, (list, dict)):
                kind = "an array" if isinstance(key, list) else "a map"
                raise DecodeError(f"{kind} used as a map key") from None
        raise
    if len(result) != len(pairs):
        seen: Dict[Any, int] = {}
        for key, _ in pairs:
            if key in seen:
                raise DecodeError(f"duplicate map key {key!r}")
            seen[key] = 1
    return result


def decode_error(error: BaseException) -> DecodeError:
    """A DecodeError (a LimitError for a limit) saying what a failed unpack found."""
    if isinstance(error, DecodeError):
        return error
    text = str(error)
    if isinstance(error, msgpack.ExtraData):
        return DecodeError(f"unexpected bytes after the value ({len(error.extra)} bytes)")
    if isinstance(error, (msgpack.exceptions.StackError, RecursionError)):
        return LimitError(f"nesting deeper than {MAX_DEPTH} levels")
    if isinstance(error, msgpack.OutOfData) or "incomplete" in text:
        return DecodeError("truncated MessagePack")
    if isinstance(error, UnicodeDecodeError):
        return DecodeError(f"a str that is not UTF-8 ({error.reason})")
    if isinstance(error, msgpack.FormatError):
        return DecodeError("malformed MessagePack (an unused type byte)")
    if "nanoseconds" in text or "timestamp" in text:
        return DecodeError(f"an invalid timestamp ({text})")
    return DecodeError(f"malformed MessagePack ({text or type(error).__name__})")


def decode(data: Any) -> Any:
    """Decodes exactly one value: :func:`unpack`, then :func:`lift`.

    Raises:
        DecodeError: the bytes are not one well-formed value within the limits.
    """
    return lift(unpack(data))


_TIMESTAMP_OR_CONTAINER = frozenset((list, dict, Timestamp))


def _time(stamp: Any) -> Any:
    """A Time for a msgpack Timestamp; the Timestamp itself when datetime cannot hold it."""
    try:
        return Time.from_unix(stamp.seconds, stamp.nanoseconds)
    except (OverflowError, ValueError):
        return stamp


def lift(value: Any) -> Any:
    """Finishes a decoded value in place: timestamps become :class:`~virgil.Time` (those outside
    the years 1 to 9999 stay ``msgpack.Timestamp``), and nesting deeper than :data:`MAX_DEPTH`
    levels is refused.

    Raises:
        LimitError: the value is nested too deeply.
    """
    kind = type(value)
    if kind is list or kind is dict:
        _lift_tree(value)
    elif kind is Timestamp:
        return _time(value)
    return value


def _lift_tree(root: Any) -> None:
    """Walks the containers level by level (no recursion), converting timestamps."""
    level = [root]
    depth = 0
    while level:
        depth += 1
        if depth > MAX_DEPTH:
            raise LimitError(f"nesting deeper than {MAX_DEPTH} levels")
        below: List[Any] = []
        for node in level:
            if type(node) is list:
                if _TIMESTAMP_OR_CONTAINER.isdisjoint(map(type, node)):
                    continue
                for index, item in enumerate(node):
                    kind = type(item)
                    if kind is list or kind is dict:
                        below.append(item)
                    elif kind is Timestamp:
                        node[index] = _time(item)
                continue
            if not _TIMESTAMP_OR_CONTAINER.isdisjoint(map(type, node.values())):
                for key, item in node.items():
                    kind = type(item)
                    if kind is list or kind is dict:
                        below.append(item)
                    elif kind is Timestamp:
                        node[key] = _time(item)
            if Timestamp in set(map(type, node)):
                items = [(_time(k) if type(k) is Timestamp else k, v) for k, v in node.items()]
                node.clear()
                node.update(items)
        level = below


def describe(value: Any) -> str:
    """How a decoded value is named in error messages: ``a str``, ``a map with 2 entries``."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, dict):
        return f"a map with {len(value)} entries" if len(value) != 1 else "a map with 1 entry"
    names: Dict[type, str] = {int: "an int", float: "a float", str: "a str", bytes: "bytes"}
    for kind, name in names.items():
        if isinstance(value, kind):
            return name
    if isinstance(value, list):
        return "an array"
    if isinstance(value, msgpack.ExtType):
        return f"an extension of type {value.code}"
    return f"a {type(value).__name__}"


def split_envelope(envelope: Any) -> Tuple[bool, Any]:
    """``(True, value)`` for ``{"ok": value}``, ``(False, record)`` for ``{"error": record}``.

    Raises:
        DecodeError: anything else, saying what it is.
    """
    if isinstance(envelope, dict) and len(envelope) == 1:
        ((key, payload),) = envelope.items()
        if key == "ok":
            return True, payload
        if key == "error":
            return False, payload
        raise DecodeError(f"an envelope has the key 'ok' or 'error', not {key!r}")
    raise DecodeError(f"{describe(envelope)}, not an envelope")

"""Raw calls of a guest through hand-made boxes, independent of the kit's own call path.

The edge and hostile-host tests use this to see exactly what bytes a guest replies (the kit would
lift them first) and to send what no well-behaved host sends: a NULL ``in``, a NULL ``out``, a
tiny scratch buffer, argument bytes of any shape.
"""

from __future__ import annotations

import ctypes
import os
from typing import Any, Optional

import virgil


class Box(ctypes.Structure):
    """``virgil_box``, declared here independently of the package."""

    _fields_ = [("ptr", ctypes.c_void_p), ("len", ctypes.c_uint64)]


_FUNCTION = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)


class RawGuest:
    """A guest library opened with ``RTLD_LOCAL`` and called box by box."""

    def __init__(self, path: str) -> None:
        self.path = path
        mode = getattr(os, "RTLD_NOW", 2) | getattr(os, "RTLD_LOCAL", 0)
        self.cdll = ctypes.CDLL(path, mode=mode)
        self.realloc = self.cdll.virgil_realloc
        self.realloc.argtypes = (ctypes.c_void_p, ctypes.c_size_t)
        self.realloc.restype = ctypes.c_void_p

    def function(self, name: str) -> Any:
        """The exported function ``name`` with the ABI's signature."""
        return _FUNCTION((name, self.cdll))

    def call(
        self,
        name: str,
        data: Optional[bytes],
        *,
        scratch: int = 0,
        null_in: bool = False,
        null_out: bool = False,
    ) -> Optional[bytes]:
        """Calls ``name`` with ``data`` as the argument bytes (``None``: the box ``{NULL, 0}``)
        and returns a copy of the reply bytes, giving guest memory back to the guest.

        ``scratch`` lends a scratch buffer of that many bytes; ``null_in`` passes NULL for the
        ``in`` pointer itself, ``null_out`` NULL for ``out`` (then the result is None).
        The reply box is checked the way cabi/ABI.md section 2 asks, with plain assertions: a
        conforming guest's reply always passes.
        """
        keep = ctypes.create_string_buffer(data, len(data)) if data else None
        inbox = Box(ctypes.addressof(keep) if keep is not None else None, len(data or b""))
        buffer = ctypes.create_string_buffer(max(scratch, 1))
        address = ctypes.addressof(buffer) if scratch else None
        if scratch:
            buffer[0] = b"\xc1"
        out = Box(address, scratch)
        self.function(name)(
            None if null_in else ctypes.addressof(inbox),
            None if null_out else ctypes.addressof(out),
        )
        if null_out:
            return None
        assert out.ptr, f"{self.path}: {name}: the reply box is {{NULL, {out.len}}}"
        assert out.len > 0, f"{self.path}: {name}: a reply pointer without a length"
        if out.ptr == address:
            assert out.len <= scratch, f"{self.path}: {name}: a reply beyond the scratch buffer"
            assert not (out.len == scratch and buffer.raw[0] == 0xC1), "the guest wrote no reply"
            return bytes(buffer.raw[: out.len])
        if keep is not None:
            start = ctypes.addressof(keep)
            assert not start <= out.ptr < start + len(data or b""), "a reply inside in"
        try:
            return ctypes.string_at(out.ptr, out.len)
        finally:
            self.realloc(out.ptr, 0)

    def live(self) -> Optional[int]:
        """The guest's count of live buffers (virgil_stats), or None without virgil_stats."""
        try:
            self.cdll["virgil_stats"]
        except AttributeError:
            return None
        reply = self.call("virgil_stats", b"\x90")
        assert reply is not None
        envelope = virgil.decode(reply)
        return int(envelope["ok"]["live"])


def reply_outcome(reply: bytes) -> str:
    """What a reply envelope says, as hostile.json writes expectations: ``ok`` (with the value's
    bytes after a colon, in hex) or the error's name."""
    if reply.startswith(b"\x81\xa2ok"):
        return "ok:" + reply[4:].hex()
    envelope = virgil.decode(reply)
    if isinstance(envelope, dict) and "error" in envelope:
        return str(envelope["error"].get("name"))
    return f"not an envelope: {reply[:32].hex()}"

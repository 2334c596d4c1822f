"""The closures of one call (cabi/ABI.md section 15): a Python callable passed as an argument
(at the top level or anywhere inside lists, tuples and dicts) crosses as the extension type 64:
five little-endian 64-bit words ``call, env, realloc, retain, release``
(see :mod:`virgil._trampolines` and :mod:`virgil._handles`).

Lifetime: a :class:`Scope` is opened for each call that passes callables. Its closures are valid
until that call returns (the scope closes); a guest that called ``retain(env)`` meanwhile keeps
its closure, and the callable in it, alive until the matching ``release(env)``. A scope is used
by the one thread making its call.
"""

from __future__ import annotations

import struct
from typing import Any, Callable, Dict, List, Tuple

import msgpack

from ._handles import table
from ._trampolines import CALL_ADDRESS, REALLOC_ADDRESS, RELEASE_ADDRESS, RETAIN_ADDRESS
from .codec import ClosureInContext, encode_exact, lower, needs_exact_writer

__all__ = ["EXT_CLOSURE", "Scope"]

#: The extension type of a closure.
EXT_CLOSURE = 64
_PAYLOAD = struct.Struct("<5Q")


class Scope:
    """The closures passed to one call, and the exceptions they raised during it."""

    __slots__ = ("closed", "envs", "raised")

    def __init__(self) -> None:
        self.envs: List[int] = []
        #: record_key -> the exception object a callable raised (see :func:`record_key`).
        self.raised: Dict[Tuple[Any, ...], BaseException] = {}
        self.closed = False

    def closure(self, function: Callable[..., Any]) -> msgpack.ExtType:
        """The wire value of ``function``, valid until this scope closes."""
        env = table.add(function, self)
        self.envs.append(env)
        return msgpack.ExtType(
            EXT_CLOSURE,
            _PAYLOAD.pack(CALL_ADDRESS, env, REALLOC_ADDRESS, RETAIN_ADDRESS, RELEASE_ADDRESS),
        )

    def lower(self, value: Any) -> Any:
        """The packer's ``default`` for a call: :func:`codec.lower`, with callables as closures."""
        try:
            return lower(value)
        except ClosureInContext:
            return self.closure(value)

    def encode(self, value: Any) -> bytes:
        """The canonical encoding of ``value`` with its callables as closures of this scope."""
        packer = msgpack.Packer(use_bin_type=True, default=self.lower, datetime=False)
        try:
            return packer.pack(value)  # type: ignore[no-any-return]
        except Exception as error:
            if not needs_exact_writer(error):
                raise
        self.close()  # the closures lowered before the packer stopped are not sent
        self.closed = False
        return encode_exact(value, self.lower)

    def close(self) -> None:
        """The call returned: its closures stop being valid unless a guest retained them."""
        envs, self.envs = self.envs, []
        self.closed = True
        if envs:
            table.unpin(envs)

    def __enter__(self) -> Scope:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

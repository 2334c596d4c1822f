"""One crossing: what the bound functions of a library share (:class:`Core`), and one call
of a guest function with argument bytes as they are (:func:`cross`): the scratch buffer lent,
the reply box checked by the rules of cabi/ABI.md section 2 (:func:`check_box`, the one place
this kit checks a reply box), the reply decoded wherever it is (its borrowed values, section 16,
read through the call state's :class:`~virgil._borrow.Lender`, which checks them), and guest
memory given back to the guest's ``virgil_realloc``.

Memory: a reply in the scratch buffer is the caller's own memory (the :class:`CallState`'s); a
reply elsewhere is the guest's, read through a view that is released before it is freed with
the guest's ``virgil_realloc``, exactly once (unread when it is longer than ``max_reply``); a box
failing checks 1 to 4 is never freed, since it may not be the guest's to give back.
"""

from __future__ import annotations

import contextlib
from typing import Any, Callable, List, Optional, Tuple

from ._abi import PIN_ABOVE, UNWRITTEN, CallState, GuestMemory, Realloc, Symbol, in_address, pin
from ._borrow import Lender
from .codec import BorrowError, DecodeError, LimitError, new_packer, unpack
from .exceptions import LimitExceeded, OutOfMemory, ProtocolError, ResultError

__all__ = ["Core", "check_box", "cross"]

# Beyond this many bytes of arguments, a call state also drops its packer, whose buffer grew to
# their size (below it, keeping the buffer saves growing one again next time).
_KEEP_PACKER = 64 << 20


class Core:
    """What the bound functions of one library share: the guest's allocator, the pool of call
    states, whether the library was closed, and the smallest argument lent to it (``lend_at``:
    0 lends none, the case unless its manifest declares borrow)."""

    def __init__(self, path: str, realloc: Realloc, scratch_size: int, max_reply: int) -> None:
        self.path = path
        self.realloc = realloc
        self.scratch_size = scratch_size
        self.max_reply = max_reply
        self.pool: List[CallState] = []
        self.memory = GuestMemory()
        self.closed = False
        self.lend_at = 0

    def new_state(self, capacity: int) -> CallState:
        """A new call state lending a scratch buffer of ``capacity`` bytes, with its lender."""
        state = CallState(capacity, new_packer())
        state.lender = Lender(state.inbox, self.memory)
        return state

    def acquire(self) -> CallState:
        """A call state no other call is using."""
        try:
            return self.pool.pop()
        except IndexError:
            return self.new_state(self.scratch_size)

    def release(self, state: CallState) -> None:
        """Returns a state to the pool (which keeps one state per concurrent call)."""
        self.pool.append(state)


# ---- Reading replies -----------------------------------------------------------------------


def _decode(name: str, reply: Any, hook: Callable[[int, bytes], Any]) -> Any:
    """Decodes a whole reply envelope, its extension values read by ``hook`` (a call state's
    lender's, which reads borrowed values), or says what is wrong with it as a ResultError (a
    LimitExceeded for a limit, a ProtocolError for a broken borrowed value)."""
    try:
        return unpack(reply, hook)
    except LimitError as error:
        raise LimitExceeded(f"{name}: {error}") from None
    except BorrowError as error:
        raise ProtocolError(f"{name}: {error}") from None
    except DecodeError as error:
        raise ResultError(f"{name}: {error}") from None


def _release_view(view: Any) -> None:
    """Makes a view of guest memory unusable before the memory is freed."""
    if isinstance(view, memoryview):
        with contextlib.suppress(BufferError):  # nothing keeps exports of a reply
            view.release()


def check_box(
    name: str,
    ptr: Optional[int],
    length: int,
    scratch: int,
    capacity: int,
    own: Tuple[Tuple[int, int, str], ...],
    max_reply: int,
) -> bool:
    """Checks a reply box before a byte of it is read or freed (cabi/ABI.md section 2, checks 1
    to 5, in order). ``own`` lists the caller's own memory as ``(address, size, what)``.

    Returns:
        True when the reply is in guest memory (and must be freed by the guest's allocator),
        False when it is in the scratch buffer.

    Raises:
        OutOfMemory: ``{NULL, 0}``.
        ProtocolError: NULL with a length, a pointer without one, a length beyond the scratch
            buffer, a pointer into the caller's own memory (never freed).
        LimitExceeded: a guest reply longer than ``max_reply`` (the caller frees it unread).
    """
    if not ptr:
        if not length:
            raise OutOfMemory(
                f"{name}: the guest could not allocate its reply (out is {{NULL, 0}})"
            )
        raise ProtocolError(f"{name}: the reply box is {{NULL, {length}}}: a length without bytes")
    if not length:
        raise ProtocolError(
            f"{name}: the reply box is {{{ptr:#x}, 0}}: a pointer without a length (not freed)"
        )
    if ptr == scratch:
        if length > capacity:
            raise ProtocolError(
                f"{name}: the guest claims a {length}-byte reply in the {capacity}-byte "
                "scratch buffer"
            )
        return False
    for address, size, what in own:
        if address and address <= ptr < address + size:
            raise ProtocolError(
                f"{name}: the reply points into the caller's own {what} at offset "
                f"{ptr - address} (not freed: it is not the guest's to give back)"
            )
    if length > max_reply:
        raise LimitExceeded(
            f"{name}: the reply is {length} bytes, more than the maximum of {max_reply} "
            "(freed unread; see virgil.load's max_reply)"
        )
    return True


def _reply(core: Core, state: CallState, name: str, ptr: Optional[int], length: int) -> Any:
    """Everything but the common case after a call: checks the reply box (section 2, checks 1
    to 6), then decodes the reply wherever it is and gives guest memory back to the guest.
    Puts the scratch pointer back into the out box. Returns the decoded envelope."""
    scratch, address, capacity = state.scratch, state.scratch_address, state.capacity
    state.outbox.ptr = address or None
    lender = state.lender
    own = (
        (in_address(state.inbox), state.inbox.len, "argument bytes"),
        (address, capacity, "scratch buffer"),
        *((start, size, "lent argument") for start, size in lender.spans),
    )
    try:
        in_guest = check_box(name, ptr, length, address, capacity, own, core.max_reply)
    except LimitExceeded:
        core.realloc(ptr, 0)  # passed checks 1 to 4: the guest's own memory, freed unread
        raise
    if not in_guest:
        if length == capacity and scratch[0] == UNWRITTEN:
            raise ProtocolError(f"{name}: the guest wrote no reply")
        return _decode(name, scratch[:length], lender.hook)
    assert ptr is not None
    try:
        view = core.memory.view(ptr, length)
        try:
            return _decode(name, view, lender.hook)
        finally:
            _release_view(view)
    finally:
        core.realloc(ptr, 0)


def cross(core: Core, state: CallState, fn: Symbol, name: str, data: bytes) -> Any:
    """One call with argument bytes as they are: lends the scratch buffer, calls, checks the
    reply box, decodes the reply envelope wherever it is and frees guest memory. Returns the
    decoded envelope; raises ProtocolError, OutOfMemory, LimitExceeded or ResultError. (Bound
    functions inline this, with a faster success path.)"""
    inbox, out, scratch = state.inbox, state.outbox, state.scratch
    inbox.len = size = len(data)
    if size > PIN_ABOVE:
        inbox.ptr, _pinned = pin(data)  # kept alive until the call returns
    else:
        inbox.ptr = data or None
    out.ptr = state.scratch_address or None
    out.len = state.capacity
    scratch[0] = UNWRITTEN
    fn(state.inref, state.outref)
    return _reply(core, state, name, out.ptr, out.len)


def _forget_large(state: CallState) -> None:
    """Drops what a call with large arguments left in a state: the reference the in-box keeps
    to the argument bytes, and a packer's buffer grown past 64 MiB."""
    inbox = state.inbox
    if inbox.len > _KEEP_PACKER:
        state.packer = new_packer()
    inbox.ptr = None

"""The process-wide table of the Python callables guests may call (cabi/ABI.md section 15).

A closure's ``env`` is a handle into the one :data:`table`: ``(generation << 32) | slot``, never
a pointer, so a guest holding a stale ``env`` gets ``virgil.ReleasedClosure`` and never a crash.
A slot lives while the call its callable was passed to is under way (it is *pinned*) and while a
guest holds retains of it; then it is freed, and its generation moves on. The table is shared by
every thread and every library, behind one lock; it knows the scope of each call only as a
:class:`CallScope`, the one thing the trampoline needs of it.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Dict, List, Optional, Protocol, Tuple

__all__ = ["CallScope", "HandleTable", "live_closures", "table"]


class CallScope(Protocol):
    """What the handle table keeps of the scope of a call (see :class:`virgil._scope.Scope`):
    the exceptions its callables raised, by :func:`virgil.records.record_key`."""

    raised: Dict[Tuple[Any, ...], BaseException]


# ---- The handle table ----------------------------------------------------------------------

# A slot: [generation, callable, retains, pinned (the call it was passed to is under way),
# the scope of that call (None once it returned)].
_GEN, _FN, _RETAINS, _PINNED, _SCOPE = range(5)


class HandleTable:
    """The callables the guests may call, by ``env`` handle. Thread-safe.

    ``env`` is ``(generation << 32) | (index + 1)``: an ``env`` whose slot was freed (or reused,
    with a new generation) is recognised as stale. A slot is freed when its call returned and
    every retain was released.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots: List[List[Any]] = []
        self._free: List[int] = []
        self._live = 0

    def add(self, function: Callable[..., Any], scope: CallScope) -> int:
        """A new handle for ``function``, valid until ``scope`` closes (or its last release)."""
        with self._lock:
            if self._free:
                index = self._free.pop()
                slot = self._slots[index]
                slot[_FN] = function
                slot[_PINNED] = True
                slot[_SCOPE] = scope
            else:
                index = len(self._slots)
                if index >= 0xFFFFFFFF:  # pragma: no cover - four billion live closures
                    raise MemoryError("too many live closures")
                slot = [1, function, 0, True, scope]
                self._slots.append(slot)
            self._live += 1
            return int(slot[_GEN]) << 32 | (index + 1)

    def _slot(self, env: Optional[int]) -> Optional[List[Any]]:
        """The live slot of ``env``, or None (call with the lock held)."""
        if not env:
            return None
        index = (env & 0xFFFFFFFF) - 1
        if index < 0 or index >= len(self._slots):
            return None
        slot = self._slots[index]
        if slot[_GEN] != env >> 32 or slot[_FN] is None:
            return None
        return slot

    def lookup(
        self, env: Optional[int]
    ) -> Tuple[Optional[Callable[..., Any]], Optional[CallScope]]:
        """The callable of a valid ``env`` and the scope of its call (None after it returned),
        or ``(None, None)``."""
        with self._lock:
            slot = self._slot(env)
            if slot is None:
                return None, None
            return slot[_FN], slot[_SCOPE]

    def _free_slot(self, env: int, slot: List[Any]) -> None:
        slot[_FN] = None
        slot[_SCOPE] = None
        self._live -= 1
        if slot[_GEN] >= 0xFFFFFFFF:
            return  # retired: its generation would wrap, and a stale env could match again
        slot[_GEN] += 1
        self._free.append((env & 0xFFFFFFFF) - 1)

    def retain(self, env: Optional[int]) -> None:
        """One more retain of a valid ``env``; nothing for an invalid one."""
        with self._lock:
            slot = self._slot(env)
            if slot is not None:
                slot[_RETAINS] += 1

    def release(self, env: Optional[int]) -> None:
        """Gives up one retain of a valid, retained ``env``; nothing otherwise."""
        with self._lock:
            slot = self._slot(env)
            if slot is None or slot[_RETAINS] == 0:
                return
            slot[_RETAINS] -= 1
            if slot[_RETAINS] == 0 and not slot[_PINNED]:
                assert env is not None
                self._free_slot(env, slot)

    def unpin(self, envs: List[int]) -> None:
        """The call these handles were passed to returned: frees those not retained."""
        with self._lock:
            for env in envs:
                slot = self._slot(env)
                if slot is None:  # pragma: no cover - a pinned slot is never freed
                    continue
                slot[_PINNED] = False
                slot[_SCOPE] = None
                if slot[_RETAINS] == 0:
                    self._free_slot(env, slot)

    def live(self) -> int:
        """How many handles are valid now (passed to a call under way, or retained)."""
        return self._live


#: The process's one handle table.
table = HandleTable()


def live_closures() -> int:
    """How many Python callables guests can call right now: those passed to calls still under
    way, and those a guest retained and has not released. Leak tests check it returns to 0."""
    return table.live()

"""Python types for the wire values that have no exact built-in counterpart.

Most values of the Virgil value mapping (cabi/ABI.md section 5) are plain Python objects: ``None``,
``bool``, ``int``, ``float``, ``str``, ``bytes``, ``list`` and ``dict``. Two need help:

- :class:`Time` is what a timestamp becomes: a timezone-aware UTC :class:`~datetime.datetime`
  that also keeps the nanoseconds a ``datetime`` cannot hold, so a time read from a guest is
  written back to the same bytes.
- :class:`Float32` asks for the float 32 encoding, which the ABI reserves for parameters declared
  ``float32``. A float 32 read from a guest arrives as a plain ``float``: Python has no float 32
  type, and every float 32 is exactly representable as a float 64.
"""

from __future__ import annotations

import math
import struct
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable, SupportsFloat, Tuple

__all__ = ["EPOCH", "Float32", "Time", "unix_of"]

#: The Unix epoch, 1970-01-01T00:00:00Z.
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

_NANOS_PER_SECOND = 1_000_000_000
_FLOAT32 = struct.Struct(">f")


class Float32:
    """A float to be sent with the float 32 encoding (``0xca``) instead of float 64.

    The value is rounded to the nearest float 32 when the object is made, so what is sent is what
    :attr:`value` says. It compares equal to the ``float`` with the same value.
    """

    __slots__ = ("_value",)

    def __init__(self, value: SupportsFloat) -> None:
        number = float(value)
        try:
            (rounded,) = _FLOAT32.unpack(_FLOAT32.pack(number))
        except OverflowError:
            raise OverflowError(f"{number!r} is out of the float32 range") from None
        self._value: float = rounded

    @property
    def value(self) -> float:
        """The value, as a Python float (exactly the float 32 that is sent)."""
        return self._value

    def packed(self) -> bytes:
        """The value's canonical MessagePack encoding: ``0xca`` and four big-endian bytes."""
        return b"\xca" + _FLOAT32.pack(self._value)

    def __float__(self) -> float:
        return self._value

    def __repr__(self) -> str:
        return f"virgil.Float32({self._value!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Float32):
            other = other._value
        if isinstance(other, (float, int)):
            return self._value == other or (math.isnan(self._value) and math.isnan(other))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> Tuple[Callable[[float], Float32], Tuple[float]]:
        return (Float32, (self._value,))


def unix_of(moment: datetime) -> Tuple[int, int]:
    """Seconds since the Unix epoch and nanoseconds (0 to 999,999,999) of an aware datetime.

    Exact: no float arithmetic is involved, and a :class:`Time` keeps its nanoseconds.

    Raises:
        ValueError: ``moment`` is naive (it has no time zone), so it names no instant.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(
            "a naive datetime names no instant; give it a time zone, "
            "e.g. datetime.now(timezone.utc)"
        )
    delta = moment - EPOCH
    seconds = delta.days * 86_400 + delta.seconds
    nanos = delta.microseconds * 1000 + (moment.nanosecond if isinstance(moment, Time) else 0)
    return seconds, nanos


class Time(datetime):
    """A UTC instant with nanosecond precision: what a timestamp from a guest becomes.

    It is a timezone-aware :class:`~datetime.datetime` (UTC) in every respect, and also keeps the
    nanoseconds below the microsecond in :attr:`nanosecond` (0 to 999), which equality, ordering,
    hashing, ``str``, ``repr`` and pickling respect, so a time read from a guest is written back to
    exactly the same bytes. Arithmetic works at microsecond precision, like ``datetime``'s.

    Make one with :meth:`from_unix`, or as a ``datetime`` with an extra ``nanosecond`` keyword.
    """

    _nanosecond = 0

    def __new__(cls, *args: Any, nanosecond: int = 0, **kwargs: Any) -> Time:
        self = super().__new__(cls, *args, **kwargs)
        if not 0 <= nanosecond <= 999:
            raise ValueError(f"nanosecond must be in 0..999, not {nanosecond}")
        if nanosecond:
            self._nanosecond = nanosecond
        return self

    @classmethod
    def from_unix(cls, seconds: int, nanoseconds: int = 0) -> Time:
        """The instant ``seconds`` (plus ``nanoseconds``) after the Unix epoch, in UTC.

        Raises:
            ValueError: ``nanoseconds`` is not in 0 .. 999,999,999.
            OverflowError: the instant is outside the years 1 to 9999 that ``datetime`` covers.
        """
        if not 0 <= nanoseconds < _NANOS_PER_SECOND:
            raise ValueError(f"nanoseconds must be in 0..999999999, not {nanoseconds}")
        micros, nanos = divmod(nanoseconds, 1000)
        moment = EPOCH + timedelta(seconds=seconds, microseconds=micros)
        return cls(
            moment.year,
            moment.month,
            moment.day,
            moment.hour,
            moment.minute,
            moment.second,
            moment.microsecond,
            tzinfo=timezone.utc,
            nanosecond=nanos,
        )

    @property
    def nanosecond(self) -> int:
        """The nanoseconds below :attr:`microsecond`, 0 to 999."""
        return self._nanosecond

    def unix(self) -> Tuple[int, int]:
        """Seconds since the Unix epoch and nanoseconds (0 to 999,999,999), exactly."""
        return unix_of(self)

    def replace(self, *args: Any, nanosecond: int | None = None, **kwargs: Any) -> Time:
        """As ``datetime.replace``, keeping :attr:`nanosecond` unless it is given."""
        plain = datetime.replace(self, *args, **kwargs)
        return Time(
            plain.year,
            plain.month,
            plain.day,
            plain.hour,
            plain.minute,
            plain.second,
            plain.microsecond,
            tzinfo=plain.tzinfo,
            fold=plain.fold,
            nanosecond=self._nanosecond if nanosecond is None else nanosecond,
        )

    def _order(self, other: datetime) -> int:
        """-1, 0 or 1 as self is before, at or after other (which must be comparable)."""
        if datetime.__lt__(self, other):
            return -1
        if datetime.__gt__(self, other):
            return 1
        theirs = other.nanosecond if isinstance(other, Time) else 0
        return (self._nanosecond > theirs) - (self._nanosecond < theirs)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, datetime):
            return NotImplemented
        if not datetime.__eq__(self, other):
            return False
        return self._nanosecond == (other.nanosecond if isinstance(other, Time) else 0)

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __lt__(self, other: date) -> bool:
        if not isinstance(other, datetime):
            return NotImplemented
        return self._order(other) < 0

    def __le__(self, other: date) -> bool:
        if not isinstance(other, datetime):
            return NotImplemented
        return self._order(other) <= 0

    def __gt__(self, other: date) -> bool:
        if not isinstance(other, datetime):
            return NotImplemented
        return self._order(other) > 0

    def __ge__(self, other: date) -> bool:
        if not isinstance(other, datetime):
            return NotImplemented
        return self._order(other) >= 0

    def __hash__(self) -> int:
        base = datetime.__hash__(self)
        return hash((base, self._nanosecond)) if self._nanosecond else base

    def __repr__(self) -> str:
        fields = [self.year, self.month, self.day, self.hour, self.minute, self.second]
        fields.append(self.microsecond)
        while len(fields) > 5 and fields[-1] == 0:  # as datetime's repr, which omits zeros
            fields.pop()
        text = ", ".join(map(str, fields))
        if self._nanosecond:
            text += f", nanosecond={self._nanosecond}"
        return f"virgil.Time({text}, tzinfo={self.tzinfo!r})"

    def __str__(self) -> str:
        return self.isoformat(sep=" ")

    def isoformat(self, sep: str = "T", timespec: str = "auto") -> str:
        """ISO 8601, as ``datetime.isoformat``, with nine fraction digits when nanoseconds are set
        (and ``timespec`` is ``"auto"`` or ``"nanoseconds"``)."""
        if timespec == "nanoseconds" or (timespec == "auto" and self._nanosecond):
            text = datetime.isoformat(self, sep, "microseconds")
            dot = text.rindex(".")
            return f"{text[: dot + 7]}{self._nanosecond:03d}{text[dot + 7 :]}"
        return datetime.isoformat(self, sep, timespec)

    def __reduce_ex__(self, protocol: Any) -> Tuple[Callable[[int, int], Time], Tuple[int, int]]:
        return (Time.from_unix, self.unix())

    def __reduce__(self) -> Tuple[Callable[[int, int], Time], Tuple[int, int]]:
        return self.__reduce_ex__(2)

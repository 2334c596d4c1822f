"""Python traceback objects that show a guest's frames.

Python prints a traceback from a chain of :class:`types.TracebackType` objects, each pointing at a
frame object whose code object gives the file name and the function name. A guest's frames have no
Python frame objects, so this module makes one per foreign frame: it takes a tiny compiled code
object (``raise _exc``), renames it after the foreign file and function (with the language in
brackets: ``main.chainLevel [go]``), runs it once to obtain a real frame, and links the frames
with ``TracebackType(tb_next, frame, lasti, lineno)`` (public since Python 3.7).
``traceback.print_exc()`` then shows::

    File "/src/guest/main.go", line 94, in main.chainLevel [go]
      err := errors.WithStack(&ChainError{Level: n, Cause: below})

including the source line when the file exists on this machine. Guests write their files relative
to their module or crate (``example.com/app/main.go``, ``src/lib.rs``; cabi/ABI.md section 6); such
a file is looked for below the working directory, trying the path with its leading parts dropped
one at a time (``app/main.go``, ``main.go``), and when found its lines are shown under the path as
written. On Python 3.11 and later the
code object's location table is replaced by one without columns, so that no caret line is drawn
under a source line that is not Python. Frames are cached (bounded), so a guest failing in a loop
costs a dictionary lookup per frame after the first time.

The other way, :func:`python_frames` turns a Python traceback into record frames (for the record
of an exception a Python callback raised), leaving out this package's own glue: its ``virgil/_*.py``
modules and the closure trampoline, whose code object :mod:`virgil._trampolines` registers here
with :func:`register_trampoline` (so that this layer never imports the calling convention above
it). :func:`strip_trampoline` drops the trampoline's frame from the head of a traceback.
"""

from __future__ import annotations

import contextlib
import linecache
import os
import sys
from functools import lru_cache
from types import CodeType, FrameType, TracebackType
from typing import Dict, List, Optional, Sequence, Tuple

from .records import MAX_FRAMES, Frame

__all__ = [
    "foreign_traceback",
    "frame_label",
    "python_frames",
    "register_trampoline",
    "strip_trampoline",
]


class _Marker(Exception):
    """Raised by the template code to capture its frame."""


def _without_columns(code: CodeType) -> Tuple[CodeType, bool]:
    """The same code with a location table that has lines but no columns (Python 3.11+).

    Each entry of the table (see CPython's InternalDocs/locations.md) covers up to 8 code units;
    kind 13 is "no column info" followed by a signed varint line delta, 0 here. If the result does
    not read back as expected (a future format), the original code is returned, with False.
    """
    units = len(code.co_code) // 2
    table = bytearray()
    while units:
        count = min(units, 8)
        table += bytes((0x80 | (13 << 3) | (count - 1), 0))
        units -= count
    try:
        stripped = code.replace(co_linetable=bytes(table))
        if all(start is None and end is None for _, _, start, end in stripped.co_positions()):
            return stripped, True
    except (ValueError, TypeError):  # pragma: no cover - a location table format we don't know
        pass
    return code, False  # pragma: no cover


_TEMPLATE = compile("raise _exc", "<virgil>", "exec")
# Python 3.11+ draws carets from column positions; strip them so no caret line is drawn.
_TEMPLATE, _NO_COLUMNS = (
    _without_columns(_TEMPLATE) if hasattr(_TEMPLATE, "co_positions") else (_TEMPLATE, False)
)


def frame_label(function: str, language: str) -> str:
    """How a foreign frame's function is shown: ``main.chainLevel [go]``."""
    label = function or "<unknown>"
    return f"{label} [{language}]" if language else label


@lru_cache(maxsize=4096)
def _frame(file: str, label: str, language: str, line: int) -> Tuple[FrameType, int]:
    """A finished Python frame whose code says ``file`` and ``label`` at ``line``, and the
    instruction offset to put in its traceback entry."""
    names = {"co_filename": file, "co_name": label, "co_firstlineno": max(line, 1)}
    if sys.version_info >= (3, 11):
        names["co_qualname"] = label
    code = _TEMPLATE.replace(**names)  # type: ignore[arg-type]
    marker = _Marker()
    namespace: Dict[str, object] = {"__name__": f"<{language or 'guest'}>", "_exc": marker}
    with contextlib.suppress(_Marker):
        exec(code, namespace)
    entry = marker.__traceback__.tb_next if marker.__traceback__ is not None else None
    del namespace["_exc"], marker
    if entry is None:  # pragma: no cover - exec always adds the template's own frame
        raise TypeError("could not capture a frame")
    # With columns stripped a real offset is safe (no carets); without (Python < 3.11, or an
    # unknown table format) -1 tells the traceback module there is no position to show.
    return entry.tb_frame, entry.tb_lasti if _NO_COLUMNS else -1


@lru_cache(maxsize=1024)
def _find_source(file: str) -> None:
    """Lets ``linecache`` show the lines of a module-relative foreign ``file`` found below the
    working directory (see the module documentation); does nothing for other files."""
    if not file or os.path.isabs(file) or file.startswith("<") or file in linecache.cache:
        return
    parts = file.replace("\\", "/").split("/")
    if ".." in parts:
        return
    for start in range(len(parts)):
        candidate = os.path.join(os.getcwd(), *parts[start:])
        if os.path.isfile(candidate):
            try:
                with open(candidate, encoding="utf-8", errors="replace") as source:
                    lines = source.readlines()
            except OSError:
                return
            # An entry without a modification time is never re-checked against the disk, where
            # the relative name would not be found.
            linecache.cache[file] = (len(lines), None, lines, candidate)
            return


def foreign_traceback(frames: Sequence[Frame], language: str) -> Optional[TracebackType]:
    """A traceback chain showing ``frames`` (oldest call first), or None when there are none or
    this Python cannot build traceback objects."""
    tb: Optional[TracebackType] = None
    try:
        for frame in reversed(frames):
            label = frame_label(frame.function, language)
            file = frame.file or f"<{language or 'unknown'}>"
            _find_source(file)
            python_frame, lasti = _frame(file, label, language, frame.line)
            tb = TracebackType(tb, python_frame, lasti, frame.line)
    except (TypeError, ValueError, AttributeError):  # pragma: no cover - a Python without them
        return None
    return tb


# ---- Python tracebacks as record frames ----------------------------------------------------

_trampoline_code: Optional[CodeType] = None  # registered by virgil._trampolines


_KIT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))


def _is_glue(file: str) -> bool:
    """Whether a frame's file is one of this package's own glue modules (``virgil/_*.py``)."""
    directory, base = os.path.split(file)
    return base.startswith("_") and directory == _KIT_DIRECTORY


@lru_cache(maxsize=1024)
def _relative(file: str, roots: Tuple[str, ...]) -> str:
    """``file`` relative to the longest ``sys.path`` entry (``roots``) that holds it, with ``/``
    separators, as Python names modules; the file as it is when no entry holds it."""
    if not os.path.isabs(file):
        return file
    best = ""
    for root in roots:
        absolute = os.path.abspath(root or os.curdir)
        if len(absolute) > len(best) and file.startswith(absolute.rstrip(os.sep) + os.sep):
            best = absolute
    if not best:
        return file
    return os.path.relpath(file, best).replace(os.sep, "/")


def python_frames(tb: Optional[TracebackType]) -> Tuple[Tuple[Frame, ...], List[str]]:
    """A Python traceback as record frames, oldest call first, without the kit's glue (the
    trampoline, the crossing of a nested call), files relative to their sys.path entry."""
    frames: List[Frame] = []
    roots = tuple(entry for entry in sys.path if isinstance(entry, str))
    while tb is not None:
        code = tb.tb_frame.f_code
        if code is not _trampoline_code and not _is_glue(code.co_filename):
            function = getattr(code, "co_qualname", code.co_name)
            file = _relative(code.co_filename, roots)
            frames.append(Frame(function, file, tb.tb_lineno or 0, 0))
        tb = tb.tb_next
    notes: List[str] = []
    if len(frames) > MAX_FRAMES:
        notes.append(f"traceback cut: the {len(frames) - MAX_FRAMES} oldest frames left out")
        frames = frames[-MAX_FRAMES:]
    return tuple(frames), notes


def register_trampoline(code: CodeType) -> None:
    """Names the code object of the closure trampoline, whose frames are glue: left out of
    records, and stripped from the head of a callback's traceback."""
    global _trampoline_code
    _trampoline_code = code


def strip_trampoline(exception: BaseException) -> None:
    """Removes the trampoline's own frame from the head of an exception's traceback."""
    tb = exception.__traceback__
    if tb is not None and tb.tb_frame.f_code is _trampoline_code:
        exception.__traceback__ = tb.tb_next

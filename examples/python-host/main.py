#!/usr/bin/env python3
"""A Python program calling a Go library as if it were Python.

It loads the conformance library built from examples/go-guest with ``go build -buildmode=c-shared``,
calls its functions with Python values, and shows what a failure three levels deep inside Go looks
like from Python: a real exception, caught with ``except``, whose traceback continues from this
file into the Go frames and whose causes are chained with ``__cause__``. A library with the
conformance functions for errors of ordinary code (``load_config``, ``fail_attrs``) also shows a
missing file caught as ``FileNotFoundError`` with ``errno`` and ``filename``, and a user error's
fields read as attributes.

    make guests                     # builds build/libconformance_go.so (and the C guest)
    python3 examples/python-host/main.py build/libconformance_go.so [more libraries ...]

Any conforming library works the same way (the C, Rust and Haskell conformance libraries), and
several can be given.
"""

from __future__ import annotations

import inspect
import os
import sys
import traceback
from datetime import datetime, timezone

try:
    import virgil
except ImportError:  # not installed (pip install ./cabi/python): use the checkout's copy
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.path.insert(0, os.path.join(root, "cabi", "python", "src"))
    import virgil


def main() -> int:
    if len(sys.argv) < 2:
        print("usage: main.py LIBRARY.so...", file=sys.stderr)
        return 2
    for path in sys.argv[1:]:
        demo(path)
    return 0


def demo(path: str) -> None:
    """Loads the library at path and shows calls, values and one cross-language traceback."""
    lib = virgil.load(path)
    manifest = lib.manifest
    if manifest is not None:
        print(
            f"== {manifest.library} {manifest.version}, written in {manifest.language} ({lib.path})"
        )

    # Functions are attributes, with signatures and docs from the library's manifest.
    print(f"add{inspect.signature(lib.add)}: {inspect.getdoc(lib.add).splitlines()[0]}")
    print("add(40, 2)          =", lib.add(40, 2))
    print("greet('Pythonista') =", repr(lib.greet("Pythonista")))
    print("divide(a=1, b=4)    =", lib.divide(a=1, b=4))
    print("stats([3, 1, 4, 1]) =", lib.stats([3, 1, 4, 1]))
    value = {
        "name": "probe",
        "tags": ["a", "b"],
        "raw": b"\x00\x01",
        "at": datetime(2024, 1, 2, tzinfo=timezone.utc),
    }
    print("echo(...)           =", lib.echo(value))
    print("echo_bytes(1 MiB)   =", len(lib.echo_bytes(bytes(1 << 20))), "bytes back")

    # A guest's exception is a Python exception: built-in names map to built-ins.
    try:
        lib.divide(1.0, 0.0)
    except ZeroDivisionError as error:
        print(f"divide(1, 0) raised {type(error).__name__}: {error} (from {error.language})")

    # And a failure deep inside the guest tells its whole story, across the languages.
    print("\nfail_chain(3), as traceback.print_exc() shows it:\n")
    try:
        lib.fail_chain(3)
    except virgil.ForeignError:
        traceback.print_exc(file=sys.stdout)
    print()
    if "load_config" in lib:
        ordinary_errors(lib)
    if "apply" in lib:
        callbacks(lib)


def ordinary_errors(lib: virgil.Library) -> None:
    """Errors of ordinary code in the guest, under the names and fields Python gives its own."""
    missing = "/nonexistent/app.toml"
    try:
        lib.load_config(missing)  # the guest wraps its failed read in "load config"
    except FileNotFoundError as error:
        print(f"load_config({missing!r}) raised FileNotFoundError: {error}")
        print(f"  errno {error.errno} ({error.strerror}), filename {error.filename!r}")
        print(f"  caused by {type(error.__cause__).__name__}: {error.__cause__}")
    try:
        lib.fail_attrs(7, "disk full")
    except lib.errors.QuotaError as error:
        print(f"fail_attrs(7, 'disk full') raised QuotaError: {error}")
        print(f"  code {error.code}, reason {error.reason!r}; attributes {dict(error.attributes)}")
    print()


class CallbackError(Exception):
    """An exception of this program's own, raised inside a callback the guest calls."""


def callbacks(lib: virgil.Library) -> None:
    """Python functions passed to the guest, which calls them back (closures)."""
    print("apply(lambda x: 2 * x, 21)     =", lib.apply(lambda x: 2 * x, 21))
    print("map_ints(lambda x: x * x, ...) =", lib.map_ints(lambda x: x * x, [1, 2, 3]))
    print("fold(lambda a, b: a + b, 0, ..)=", lib.fold(lambda a, b: a + b, 0, [1, 2, 3, 4]))

    def fail(x: int) -> int:
        raise CallbackError(f"callback failed on {x}")

    # The exception travels into the guest and back out: the callback's frames, the guest's
    # (when it wraps the failure) and this call site, in one traceback.
    print("\napply(fail, 1), as traceback.print_exc() shows it:\n")
    try:
        lib.apply(fail, 1)
    except Exception:
        traceback.print_exc(file=sys.stdout)
    print()


if __name__ == "__main__":
    sys.exit(main())

"""Loading: clear, specific errors at load time, libraries without a manifest, closing."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest
from conftest import guest_paths

import virgil

BuildC = Callable[[str], Path]


def test_missing_file_is_file_not_found(tmp_path: Path) -> None:
    missing = tmp_path / "libnothing.so"
    with pytest.raises(FileNotFoundError) as caught:
        virgil.load(missing)
    assert caught.value.filename == str(missing)
    assert "no such Virgil library" in str(caught.value)


def test_a_file_that_is_not_a_shared_library(tmp_path: Path) -> None:
    text = tmp_path / "libtext.so"
    text.write_text("not an ELF file\n")
    with pytest.raises(virgil.LoadError, match="cannot load") as caught:
        virgil.load(text)
    assert isinstance(caught.value, OSError)


def test_missing_virgil_realloc_is_refused_at_load_time(build_c: BuildC) -> None:
    with pytest.raises(virgil.NotAVirgilLibrary, match="does not export virgil_realloc"):
        virgil.load(build_c("host/testdata/norealloc.c"))


def test_abi_mismatch_is_refused_at_load_time(build_c: BuildC) -> None:
    with pytest.raises(virgil.AbiMismatch) as caught:
        virgil.load(build_c("host/testdata/abi2guest.c"))
    error = caught.value
    assert "version 2" in error.message and "version 1" in error.message
    assert error.name == "virgil.AbiMismatch"
    assert isinstance(error, virgil.LoadError) and isinstance(error, virgil.ForeignError)


def test_a_bare_file_name_is_looked_for_in_the_working_directory(
    guest: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(guest.parent)
    lib = virgil.load(guest.name)
    assert lib.path == f"./{guest.name}" or lib.path.endswith(f"/{guest.name}")
    assert lib.add(20, 22) == 42


def test_a_bare_file_name_elsewhere_is_left_to_dlopen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(virgil.LoadError, match=r"cannot load libvirgil_nowhere\.so"):
        virgil.load("libvirgil_nowhere.so")


def test_symbols_that_are_not_functions_are_refused(guest: Path, build_c: BuildC) -> None:
    lib = virgil.load(guest)
    for name, why in [
        ("virgil_realloc", "is part of the ABI, not a function"),
        ("puts", "is not in its manifest"),
        ("no_such_function", "is not in its manifest"),
    ]:
        with pytest.raises(virgil.UnknownFunction, match=why):
            lib.call(name)
    bare = virgil.load(build_c("host/testdata/nomanifest.c"))
    assert bare.nothing() is None
    with pytest.raises(virgil.UnknownFunction, match="not defined by the library itself"):
        bare.call("puts", "from a dependency")
    with pytest.raises(virgil.UnknownFunction, match="is not exported"):
        bare.call("no_such_function")


def test_negative_scratch_size(guest: Path) -> None:
    with pytest.raises(ValueError, match="scratch_size"):
        virgil.load(guest, scratch_size=-1)


def test_no_manifest_works_by_symbol_lookup(build_c: BuildC) -> None:
    lib = virgil.load(build_c("cabi/python/tests/fixtures/handwritten.c"))
    assert lib.manifest is None and dict(lib.functions) == {}
    assert "without a manifest" in repr(lib)
    assert lib.call("answer") == 42
    assert lib.answer() == 42 and lib["answer"]() == 42
    assert lib.count_args(1, "two", [3]) == 3  # the host does not check the count
    assert "answer" in lib and "no_such_function" not in lib
    assert lib.answer.info is None
    with pytest.raises(virgil.ArgumentError, match="keyword arguments need a manifest"):
        lib.answer(x=1)
    with pytest.raises(virgil.UnknownFunction, match="no function 'no_such_function'"):
        lib.call("no_such_function")
    assert not hasattr(lib, "no_such_function")
    assert lib.call("virgil_stats")["live"] == 0


def test_no_manifest_with_no_scratch_buffer_frees_every_reply(build_c: BuildC) -> None:
    lib = virgil.load(build_c("cabi/python/tests/fixtures/handwritten.c"), scratch_size=0)
    before = lib.virgil_stats()
    for _ in range(1000):
        assert lib.answer() == 42
    after = lib.virgil_stats()
    assert after["allocations"] - before["allocations"] >= 1000
    assert after["live"] == before["live"]


def test_close_stops_calls(guest: Path) -> None:
    with virgil.load(guest) as lib:
        add = lib.add
        assert add(1, 2) == 3 and not lib.closed
    assert lib.closed and "(closed)" in repr(lib)
    with pytest.raises(virgil.LibraryClosed, match="closed"):
        add(1, 2)
    with pytest.raises(virgil.LibraryClosed):
        lib.call("greet", "x")
    with pytest.raises(virgil.LibraryClosed):
        lib.add.raw(b"\x92\x01\x02")


def test_the_same_library_loads_twice(guest: Path) -> None:
    first, second = virgil.load(guest), virgil.load(guest)
    assert first.add(2, 3) == second.add(2, 3) == 5


def test_several_guests_in_one_process() -> None:
    loaded = [virgil.load(path) for path in guest_paths()]
    for lib in loaded:
        assert lib.greet("all") == "Hello, all!"

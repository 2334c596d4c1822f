"""The manifest: functions as attributes with real signatures, docstrings and help() output; the
type vocabulary read into annotations."""

from __future__ import annotations

import inspect
import pydoc
from datetime import datetime
from typing import Any, Callable, Dict, List, Optional

import pytest

import virgil
from virgil.manifest import parse_type

CONFORMANCE = [
    "add",
    "crash",
    "divide",
    "echo",
    "echo_bytes",
    "fail_chain",
    "greet",
    "sleep_ms",
    "stats",
]


def test_manifest(lib: virgil.Library) -> None:
    manifest = lib.manifest
    assert manifest is not None
    assert manifest.abi == virgil.ABI_VERSION == 1
    assert manifest.library == "conformance" and manifest.version
    assert manifest.language in ("go", "c", "rust", "haskell")
    names = [info.name for info in manifest.functions]
    assert names == sorted(names) and set(CONFORMANCE) <= set(names)  # a guest may have more
    assert list(lib) == names and sorted(lib.functions) == names
    assert set(names) <= set(dir(lib))
    assert f"'conformance' {manifest.version} ({manifest.language})" in repr(lib)


@pytest.mark.parametrize(
    "name, text",
    [
        ("add", "(a: int, b: int) -> int"),
        ("greet", "(name: str) -> str"),
        ("divide", "(a: float, b: float) -> float"),
        ("echo", "(v: Any) -> Any"),
        ("echo_bytes", "(b: bytes) -> bytes"),
        ("stats", "(xs: list[float]) -> dict[str, typing.Any]"),
        ("fail_chain", "(depth: int) -> None"),
        ("crash", "() -> None"),
        ("sleep_ms", "(ms: int) -> None"),
    ],
)
def test_signatures(lib: virgil.Library, name: str, text: str) -> None:
    function = lib[name]
    assert getattr(lib, name) is function
    assert str(inspect.signature(function)) == text
    assert function.__name__ == name
    assert lib.manifest is not None and function.info is lib.manifest.function(name)
    assert inspect.isfunction(function)


def test_help_shows_signature_and_doc(lib: virgil.Library) -> None:
    manifest, info = lib.manifest, lib["add"].info
    assert manifest is not None and info is not None
    text = pydoc.plain(pydoc.render_doc(lib.add))
    assert "add(a: int, b: int) -> int" in text
    assert info.doc.split()[0] in text
    assert "Virgil: add(a: int, b: int) -> int" in text
    assert f"Library: conformance {manifest.version} ({manifest.language})" in text
    stats_help = pydoc.plain(pydoc.render_doc(lib.stats))
    assert (
        'Virgil: stats(xs: [float]) -> {"count": int, "mean": float, "min": float, "max": float}'
        in stats_help
    )


def test_manifest_round_trips(lib: virgil.Library) -> None:
    manifest = lib.manifest
    assert manifest is not None
    assert virgil.Manifest.from_wire(manifest.to_wire()) == manifest


@pytest.mark.parametrize(
    "text, annotation",
    [
        ("int", int),
        ("uint", int),
        ("float32", float),
        ("time", datetime),
        ("any", Any),
        ("nil", None),
        ("[float]", list[float]),
        ("[[str]]", list[list[str]]),
        ("{str: int}", dict[str, int]),
        ('{"count": int, "mean": float}', dict[str, Any]),
        ("str?", Optional[str]),
        ("[int?]", list[Optional[int]]),
        ("fn(int, str) -> bool", Callable[[int, str], bool]),
        ("fn() -> nil", Callable[[], None]),
        ('{"inner": {"deep": [time]}, "f": fn(int) -> int}', dict[str, Any]),
        ("  [ int ]  ", list[int]),
        ("complex128", Any),  # unknown to this host: treated as any
        ("[int", Any),
        ('{"a": int', Any),
    ],
)
def test_type_vocabulary(text: str, annotation: Any) -> None:
    assert parse_type(text).annotation() == annotation


def test_record_and_map_types_keep_their_structure() -> None:
    spec = parse_type('{"count": int, "stats": {str: [float32]}}')
    assert spec.kind == "record" and spec.fields == ("count", "stats")
    assert spec.args[1].kind == "map" and spec.args[1].args[1].args[0].kind == "float32"


def test_float32_parameters_are_lowered_as_float32() -> None:
    info = virgil.FunctionInfo(
        "f",
        (
            virgil.Param("x", "float32"),
            virgil.Param("xs", "[float32]"),
            virgil.Param("m", '{"a": float32?, "b": int}'),
            virgil.Param("n", "int"),
        ),
    )
    lower = info.lowerer()
    assert lower is not None
    x, xs, m, n = lower((1.5, [0.25, 2], {"a": None, "b": 1}, 3))
    assert x == virgil.Float32(1.5) and isinstance(x, virgil.Float32)
    assert all(isinstance(item, virgil.Float32) for item in xs)
    assert m == {"a": None, "b": 1} and n == 3
    assert virgil.encode(lower((1.5, [], {"a": 2.0}, 1))) == bytes.fromhex(
        "94ca3fc0000090" + "81a161ca40000000" + "01"
    )
    assert virgil.FunctionInfo("g", (virgil.Param("x", "float"),)).lowerer() is None


def test_parameter_names_that_are_not_identifiers() -> None:
    info = virgil.FunctionInfo(
        "f",
        (
            virgil.Param("class", "int"),
            virgil.Param("a b", "str"),
            virgil.Param("x", "int"),
            virgil.Param("x", "int"),
        ),
    )
    assert str(info.signature()) == "(arg1: int, arg2: str, x: int, arg4: int) -> None"


def test_malformed_manifests_are_clear() -> None:
    with pytest.raises(virgil.manifest.ManifestError, match="'abi' must be an int"):
        virgil.Manifest.from_wire({"abi": "1"})
    with pytest.raises(virgil.manifest.ManifestError, match="'name' must be a str"):
        virgil.Manifest.from_wire({"abi": 1, "functions": [{"params": []}]})
    minimal = virgil.Manifest.from_wire({"abi": 1, "future": True, "functions": [{"name": "f"}]})
    assert minimal.functions == (virgil.FunctionInfo("f"),)


def test_dir_and_items(lib: virgil.Library) -> None:
    assert lib["add"] is lib.add
    assert "add" in lib and "virgil_stats" in lib and "nope" not in lib
    stats: Dict[str, int] = lib.virgil_stats()
    assert set(stats) == {"allocations", "frees", "live"}
    assert isinstance(lib.functions["add"], type(lambda: 0))
    names: List[str] = [name for name in dir(lib) if not name.startswith("_")]
    assert "call" in names and "close" in names

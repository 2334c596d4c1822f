"""The package's modules form layers with arrows one way (README, "Architecture"): every import
between the package's modules points to a lower layer, or within a layer without a circle, and
none is hidden inside a function."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, List, Set

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "virgil"

#: The layers, bottom up, as the README's "Architecture" section names them.
LAYERS: List[List[str]] = [
    ["_abi", "_names"],  # 1. the box and the ABI
    ["values", "codec"],  # 2. the wire codec
    ["records", "_tracebacks", "exceptions", "_python_records"],  # 3. exception records
    # 4. the calling convention
    [
        "typespec",
        "manifest",
        "_handles",
        "_trampolines",
        "_scope",
        "_borrow",
        "_crossing",
        "_binding",
    ],
    ["library", "__init__"],  # 5. entry points
]
LAYER_OF: Dict[str, int] = {module: depth for depth, row in enumerate(LAYERS) for module in row}
#: A module's place in the whole order: within a layer, a module imports only those before it.
ORDER: Dict[str, int] = {
    module: place for place, module in enumerate(m for row in LAYERS for m in row)
}


def imports_of(path: Path) -> Dict[str, bool]:
    """The package modules a module imports, each with whether some import of it is at the top
    level of the module (not inside a function or class)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    found: Dict[str, bool] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or node.level != 1:
            continue
        names = [node.module] if node.module else [alias.name for alias in node.names]
        for name in names:
            assert name is not None
            found[name] = found.get(name, False) or id(node) in top
    return found


def graph() -> Dict[str, Dict[str, bool]]:
    return {path.stem: imports_of(path) for path in sorted(PACKAGE.glob("*.py"))}


def test_every_module_has_a_layer() -> None:
    assert sorted(graph()) == sorted(LAYER_OF), "a module is missing from LAYERS (or gone)"


def test_imports_point_down_and_sit_at_the_top() -> None:
    for module, imported in graph().items():
        for target, at_top in imported.items():
            assert at_top, f"{module}.py imports {target} inside a function"
            assert LAYER_OF[target] <= LAYER_OF[module], (
                f"{module}.py (layer {LAYER_OF[module] + 1}) imports {target} "
                f"(layer {LAYER_OF[target] + 1}): an arrow back up"
            )
            assert ORDER[target] < ORDER[module], (
                f"{module}.py imports {target}, listed after it in its layer"
            )


def test_no_circle() -> None:
    edges = {module: set(imported) for module, imported in graph().items()}
    done: Set[str] = set()

    def visit(module: str, path: List[str]) -> None:
        if module in path:
            raise AssertionError("import circle: " + " -> ".join([*path, module]))
        if module in done:
            return
        for target in sorted(edges[module]):
            visit(target, [*path, module])
        done.add(module)

    for module in sorted(edges):
        visit(module, [])

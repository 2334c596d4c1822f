"""The manifest (cabi/ABI.md section 8): what a library says about itself and its functions.

:class:`Manifest` reads the value ``virgil_manifest`` replies. Each function's parameter and result
types are strings in the ABI's small type vocabulary (``int``, ``[float]``, ``{str: int}``,
``{"count": int, "mean": float}``, ``str?``, ``fn(int) -> int``); :func:`parse_type` reads them
into :class:`TypeSpec` trees, from which this module derives Python annotations for
``inspect.signature``, the lowering a ``float32`` parameter needs, and the lifting of results by
their declared type (:meth:`TypeSpec.lifter`): values are checked against the type, integers
become floats where a float is declared, nil becomes the empty list or map, and records follow
the struct rule of section 5 (keys matched exactly, else folded; a missing required field, an
ambiguous key or a value of the wrong type is a :class:`LiftError` naming the field's path).
The type vocabulary itself is :mod:`virgil.typespec`; its names are re-exported here.
"""

from __future__ import annotations

import inspect
import keyword
from dataclasses import dataclass
from typing import (
    Any,
    Callable,
    Dict,
    Mapping,
    Optional,
    Sequence,
    Tuple,
)

from .typespec import LiftError, ManifestError, TypeSpec, parse_type

__all__ = [
    "ABI_VERSION",
    "FunctionInfo",
    "LiftError",
    "Manifest",
    "ManifestError",
    "Param",
    "TypeSpec",
    "parse_type",
]

#: The ABI version this host speaks.
ABI_VERSION = 1


@dataclass(frozen=True)
class Param:
    """One parameter: its name and its type in the ABI's vocabulary."""

    name: str
    type: str = "any"

    def to_wire(self) -> Dict[str, Any]:
        """The parameter as its canonical map."""
        return {"name": self.name, "type": self.type}


@dataclass(frozen=True)
class FunctionInfo:
    """What the manifest says about one function."""

    name: str
    params: Tuple[Param, ...] = ()
    result: str = "nil"
    doc: str = ""

    def describe(self) -> str:
        """The language-neutral signature: ``add(a: int, b: int) -> int``."""
        params = ", ".join(f"{param.name}: {param.type}" for param in self.params)
        return f"{self.name}({params}) -> {self.result}"

    def to_wire(self) -> Dict[str, Any]:
        """The function as its canonical map: ``name, params, result, doc``."""
        return {
            "name": self.name,
            "params": [param.to_wire() for param in self.params],
            "result": self.result,
            "doc": self.doc,
        }

    @classmethod
    def from_wire(cls, value: Any) -> FunctionInfo:
        """Reads a function entry, ignoring unknown keys."""
        if not isinstance(value, Mapping):
            raise ManifestError(f"a function entry is a map, not {type(value).__name__}")
        name = _text(value, "name", "a function", required=True)
        params = []
        for param in _list(value, "params", name):
            if not isinstance(param, Mapping):
                raise ManifestError(f"{name}: a parameter is a map, not {type(param).__name__}")
            params.append(
                Param(
                    _text(param, "name", name, required=True),
                    _text(param, "type", name) or "any",
                )
            )
        return cls(
            name, tuple(params), _text(value, "result", name) or "nil", _text(value, "doc", name)
        )

    def signature(self) -> inspect.Signature:
        """A Python signature: parameters by their manifest names (positional or keyword) with
        annotations from their types. A name that is not a usable identifier becomes ``argN``."""
        parameters = []
        seen = set()
        for position, param in enumerate(self.params, start=1):
            name = param.name
            if not name.isidentifier() or keyword.iskeyword(name) or name in seen:
                name = f"arg{position}"
            seen.add(name)
            parameters.append(
                inspect.Parameter(
                    name,
                    inspect.Parameter.POSITIONAL_OR_KEYWORD,
                    annotation=parse_type(param.type).annotation(),
                )
            )
        return inspect.Signature(parameters, return_annotation=parse_type(self.result).annotation())

    def lends(self) -> bool:
        """Whether an argument of this function may be lent (cabi/ABI.md section 16): some
        parameter takes a byte string or a str itself (``bytes``, ``str``, ``any``, optional or
        not). Calls of other functions skip looking for values to lend."""
        for param in self.params:
            spec = parse_type(param.type)
            if spec.kind == "optional":
                spec = spec.args[0]
            if spec.kind in _LENDABLE:
                return True
        return False

    def lowerer(self) -> Optional[Callable[[Tuple[Any, ...]], Tuple[Any, ...]]]:
        """A function preparing an argument tuple for the declared types (floats sent as float 32
        where a parameter says ``float32``), or None when the arguments go out as they are."""
        converters = [parse_type(param.type).lowerer() for param in self.params]
        if all(converter is None for converter in converters):
            return None

        def lower(args: Tuple[Any, ...]) -> Tuple[Any, ...]:
            return (
                tuple(
                    converter(arg) if converter is not None else arg
                    for converter, arg in zip(converters, args)
                )
                + args[len(converters) :]
            )

        return lower


# Parameter kinds whose arguments may be lent: those taking a byte string or str as a whole.
_LENDABLE = frozenset(("bytes", "str", "any", "unknown"))


@dataclass(frozen=True)
class Manifest:
    """A library's manifest: ABI version, library name, language, version and functions, and
    whether its functions accept borrowed bytes (``borrow``, cabi/ABI.md sections 8 and 16)."""

    abi: int
    library: str = ""
    language: str = ""
    version: str = ""
    functions: Tuple[FunctionInfo, ...] = ()
    borrow: bool = False

    def function(self, name: str) -> Optional[FunctionInfo]:
        """The entry of the function called ``name``, or None."""
        for info in self.functions:
            if info.name == name:
                return info
        return None

    def to_wire(self) -> Dict[str, Any]:
        """The manifest as its canonical map: ``abi, library, language, version, functions``,
        then ``borrow`` when it is true (omitted when false)."""
        wire: Dict[str, Any] = {
            "abi": self.abi,
            "library": self.library,
            "language": self.language,
            "version": self.version,
            "functions": [info.to_wire() for info in self.functions],
        }
        if self.borrow:
            wire["borrow"] = True
        return wire

    @staticmethod
    def abi_of(value: Any) -> Any:
        """The ``abi`` entry of a manifest value (None when there is none), read before anything
        else so that a manifest from another ABI version is refused for its version alone."""
        return value.get("abi") if isinstance(value, Mapping) else None

    @classmethod
    def from_wire(cls, value: Any) -> Manifest:
        """Reads a manifest value, ignoring unknown keys.

        Raises:
            ManifestError: the value is not a manifest.
        """
        if not isinstance(value, Mapping):
            raise ManifestError(f"a manifest is a map, not {type(value).__name__}")
        abi = value.get("abi")
        if isinstance(abi, bool) or not isinstance(abi, int):
            raise ManifestError(f"the manifest's 'abi' must be an int, not {abi!r}")
        borrow = value.get("borrow", False)
        if not isinstance(borrow, bool):
            raise ManifestError(f"the manifest's 'borrow' must be a bool, not {borrow!r}")
        return cls(
            abi=abi,
            library=_text(value, "library", "the manifest"),
            language=_text(value, "language", "the manifest"),
            version=_text(value, "version", "the manifest"),
            functions=tuple(
                FunctionInfo.from_wire(entry) for entry in _list(value, "functions", "the manifest")
            ),
            borrow=borrow,
        )


def _text(value: Mapping[Any, Any], key: str, owner: str, *, required: bool = False) -> str:
    text = value.get(key)
    if text is None and not required:
        return ""
    if not isinstance(text, str):
        raise ManifestError(f"{owner}: {key!r} must be a str, not {type(text).__name__}")
    return text


def _list(value: Mapping[Any, Any], key: str, owner: str) -> Sequence[Any]:
    items = value.get(key)
    if items is None:
        return ()
    if not isinstance(items, (list, tuple)):
        raise ManifestError(f"{owner}: {key!r} must be an array, not {type(items).__name__}")
    return items

"""Every test vector of cabi/testdata, decoded and encoded byte for byte (cabi/ABI.md section 13).

For each vector: decoding ``hex`` gives ``value`` (exception, envelope and manifest vectors are
also read through this package's record types, dropping the keys a reader must ignore), and
encoding ``value`` gives ``canonical_hex`` when there is one, else exactly ``hex``. Re-encoding
what was decoded gives the same bytes too, except for float 32, which Python holds as a float.
"""

from __future__ import annotations

import json
from typing import Any, Dict

import pytest
from conftest import REPO
from typed import has_kind, mismatch, parse

import virgil
from virgil.codec import split_envelope
from virgil.exceptions import class_of, exception_from_record

VECTORS = json.loads((REPO / "cabi" / "testdata" / "vectors.json").read_text())["vectors"]


def read_as_kind(kind: str, value: Any) -> Any:
    """A decoded value read through the record type of its kind, and written back out."""
    if kind == "exception":
        return virgil.ExceptionRecord.from_wire(value).to_wire()
    if kind == "manifest":
        return virgil.Manifest.from_wire(value).to_wire()
    if kind == "envelope":
        ok, payload = split_envelope(value)
        if ok:
            return {"ok": payload}
        return {"error": virgil.ExceptionRecord.from_wire(payload).to_wire()}
    return value


def test_there_are_vectors_of_every_kind() -> None:
    kinds = {vector["kind"] for vector in VECTORS}
    assert kinds == {"value", "args", "envelope", "exception", "manifest"}
    assert len(VECTORS) > 50


@pytest.mark.parametrize("vector", VECTORS, ids=[vector["name"] for vector in VECTORS])
def test_vector(vector: Dict[str, Any]) -> None:
    raw = bytes.fromhex(vector["hex"])
    canonical = bytes.fromhex(vector.get("canonical_hex", vector["hex"]))
    node = vector["value"]

    decoded = read_as_kind(vector["kind"], virgil.decode(raw))
    problem = mismatch(node, decoded)
    assert problem is None, problem

    assert virgil.encode(parse(node)) == canonical, "encoding the vector's value"
    if not has_kind(node, "float32"):
        assert virgil.encode(decoded) == canonical, "re-encoding the decoded value"
    else:  # a float 32 arrives as a float; sent back, it is a float 64 unless declared float32
        assert virgil.encode(virgil.Float32(decoded)) == canonical


@pytest.mark.parametrize(
    "vector",
    [vector for vector in VECTORS if vector["kind"] == "exception"],
    ids=lambda vector: vector["name"],
)
def test_exception_vectors_become_exceptions(vector: Dict[str, Any]) -> None:
    record = virgil.ExceptionRecord.from_wire(virgil.decode(bytes.fromhex(vector["hex"])))
    exception = exception_from_record(record)
    level: Any = exception
    for expected in record.chain():
        assert isinstance(level, virgil.ForeignError)
        assert type(level) is class_of(expected)  # by name, or by errno for the OSError family
        assert (level.name, level.message, level.language) == (
            expected.name,
            expected.message,
            expected.language,
        )
        assert level.frames == expected.traceback
        assert level.attributes == expected.attributes
        assert level.record == expected
        level = level.__cause__
    assert level is None


def test_arguments_are_arrays() -> None:
    for vector in VECTORS:
        if vector["kind"] == "args":
            assert bytes.fromhex(vector["hex"])[0] & 0xF0 == 0x90 or vector["hex"][:2] in (
                "dc",
                "dd",
            )

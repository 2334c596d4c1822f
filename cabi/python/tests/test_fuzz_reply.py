"""The reply fuzzer (cabi/python/fuzz_reply.py): the inputs it found, and a short run of its
self-made mode, so the target itself stays working."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

import virgil
from virgil import _binding, _crossing

_SCRIPT = Path(__file__).resolve().parents[1] / "fuzz_reply.py"


@pytest.fixture(scope="module")
def fuzz() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fuzz_reply", _SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fuzz_reply"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "reply",
    [
        # {"error": nil}: once an AssertionError out of the record reader.
        "81a56572726f72c0",
        # An exception name holding NUL: once a ValueError making its class.
        "81a56572726f7281a46e616d65a3610062",
    ],
)
def test_found_inputs(fuzz: ModuleType, reply: str) -> None:
    fuzz.one_input(bytes.fromhex(reply))
    with pytest.raises(virgil.ForeignError):  # a ResultError, or the guest's exception
        _binding._result("f", _crossing._decode("f", bytes.fromhex(reply), fuzz._LENDER.hook))


def test_a_short_run(fuzz: ModuleType) -> None:
    assert fuzz.run_own(3000, 0, seed=7) == 3000

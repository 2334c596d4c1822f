"""The exception-chain example as a test: Python -> Go -> Rust, and back with the whole story."""

from __future__ import annotations

import os
import subprocess
import sys
import traceback
from pathlib import Path

import pytest

import virgil

HERE = Path(__file__).resolve().parent
BUILD = Path(os.environ.get("VIRGIL_GUEST_DIR", HERE.parent.parent / "build"))
ORDERS = BUILD / "liborders_go.so"
PRICING = BUILD / "libconformance_rust.so"

sys.path.insert(0, str(HERE))
import main as example  # noqa: E402  (the example program itself)


@pytest.fixture(scope="module")
def orders() -> virgil.Library:
    for lib in (ORDERS, PRICING):
        if not lib.exists():
            if os.environ.get("CI") == "true":
                pytest.fail(f"{lib} is missing: run make guests {ORDERS}")
            pytest.skip(f"{lib} is not built: run make guests {ORDERS}")
    lib = virgil.load(str(ORDERS))
    lib.use_pricing(str(PRICING))
    return lib


def test_success_crosses_both_boundaries(orders: virgil.Library) -> None:
    assert example.checkout(orders, 1, 30.0, 4.0) == 7.5


def test_the_chain_has_every_language_in_order(orders: virgil.Library) -> None:
    with pytest.raises(example.CheckoutError) as caught:
        example.checkout(orders, 2, 30.0, 0.0)
    chain = []
    error: BaseException | None = caught.value
    while error is not None:
        chain.append(error)
        error = error.__cause__
    names = [type(e).__name__ if not isinstance(e, virgil.ForeignError) else e.name for e in chain]
    languages = [getattr(e, "language", "python") for e in chain]
    assert names == ["CheckoutError", "OrderError", "ZeroDivisionError"]
    assert languages == ["python", "go", "rust"]
    assert "pricing order 2" in str(chain[1])
    # Each level has frames of its own language: Python's call site, Go's and Rust's frames.
    go_level, rust_level = chain[1], chain[2]
    assert isinstance(go_level, virgil.ForeignError) and isinstance(rust_level, virgil.ForeignError)
    assert any("main.UnitPrice" in f.function for f in go_level.frames)
    assert rust_level.frames, "the Rust level has frames"
    text = "".join(traceback.format_exception(caught.value))
    assert text.index("ZeroDivisionError") < text.index("OrderError") < text.index("CheckoutError")
    assert "[rust]" in text and "[go]" in text and "main.py" in text


def test_the_program_prints_the_story() -> None:
    if not (ORDERS.exists() and PRICING.exists()):
        pytest.skip("libraries not built")
    out = subprocess.run(
        [sys.executable, str(HERE / "main.py"), str(ORDERS), str(PRICING)],
        capture_output=True, text=True, check=True,
    ).stdout
    assert "unit price of order 1: 7.5" in out
    assert "The above exception was the direct cause of the following exception" in out
    assert "CheckoutError: checkout of order 2 failed" in out
    # the level texts, outermost first: str(e) is each level's own message
    summary = out[out.index("The chain, outermost first:") :]
    assert summary.index("[python] CheckoutError: checkout of order 2 failed") < summary.index(
        "[go] OrderError: pricing order 2"
    ) < summary.index("[rust] ZeroDivisionError: division by zero")

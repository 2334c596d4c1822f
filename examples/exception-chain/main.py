#!/usr/bin/env python3
"""One failure, three languages: Python calls Go, Go calls Rust, Rust fails.

Python loads the Go library ``orders`` (examples/exception-chain/orders), which loads the Rust
conformance library (examples/rust-guest) as a Virgil host of its own. Pricing an order with a
quantity of zero makes Rust raise ZeroDivisionError; Go wraps it in an OrderError naming the
order; Python wraps that in its own CheckoutError. One traceback then tells the whole story, in
order, with every language's frames; then each level's own text (``str(e)``), outermost first,
along ``__cause__``:

    make guests build/liborders_go.so
    python3 examples/exception-chain/main.py build/liborders_go.so build/libconformance_rust.so
"""

from __future__ import annotations

import sys
import traceback
from typing import Any

import virgil


class CheckoutError(Exception):
    """The Python program's own failure: a checkout that could not be priced."""


def checkout(orders: Any, order: int, total: float, quantity: float) -> float:
    """Prices one order through the Go library, as a Python service would."""
    try:
        return float(orders.unit_price(order, total, quantity))
    except virgil.ForeignError as error:
        raise CheckoutError(f"checkout of order {order} failed") from error


def main() -> int:
    if len(sys.argv) != 3:
        print("usage: main.py ORDERS_LIBRARY.so PRICING_LIBRARY.so", file=sys.stderr)
        return 2
    orders = virgil.load(sys.argv[1])
    orders.use_pricing(sys.argv[2])
    print("unit price of order 1:", checkout(orders, 1, 30.0, 4.0))
    try:
        checkout(orders, 2, 30.0, 0.0)
    except CheckoutError as error:
        traceback.print_exc(file=sys.stdout)
        print("\nThe chain, outermost first:")
        level: BaseException | None = error
        while level is not None:
            language = getattr(level, "language", "python")
            name = getattr(level, "name", type(level).__name__)
            print(f"  [{language}] {name}: {level}")
            level = level.__cause__
    return 0


if __name__ == "__main__":
    sys.exit(main())

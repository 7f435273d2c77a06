"""Money in yuan and quantities, always Decimal.

Amounts are rounded half-up to the fen only where they are fixed (a price on an order,
a line total, a movement's value), never in intermediate arithmetic.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN = Decimal("0.01")
MILLI = Decimal("0.001")


def to_decimal(value: Decimal | int | str) -> Decimal:
    if isinstance(value, float):
        raise TypeError("floats are not accepted for money or quantities; pass a Decimal or a string")
    try:
        result = Decimal(value)
    except (InvalidOperation, TypeError) as exc:
        raise ValueError(f"not a decimal number: {value!r}") from exc
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def money(value: Decimal | int | str) -> Decimal:
    """Fix an amount in yuan to the fen, half-up."""
    return to_decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


def quantity(value: Decimal | int | str) -> Decimal:
    """Fix a quantity in a base unit to the thousandth, half-up."""
    return to_decimal(value).quantize(MILLI, rounding=ROUND_HALF_UP)

"""Three-way matching (三单匹配): what was ordered, what was received, what is invoiced.

An invoice line matches when its unit price is within the price tolerance of the ordered
price (default ±0.5 %) and its quantity is no more than the accepted quantity plus the
quantity tolerance (default 0: never invoice more than was received). Anything else is a
mismatch with a reason the supplier can act on.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from shared.money import to_decimal

DEFAULT_PRICE_TOLERANCE = Decimal("0.005")
DEFAULT_QUANTITY_TOLERANCE = Decimal("0")


@dataclass(frozen=True)
class Tolerances:
    price: Decimal = DEFAULT_PRICE_TOLERANCE  # a fraction of the ordered price, either way
    quantity: Decimal = DEFAULT_QUANTITY_TOLERANCE  # base units that may be invoiced beyond receipt

    def __post_init__(self):
        if to_decimal(self.price) < 0 or to_decimal(self.quantity) < 0:
            raise ValueError("tolerances are not negative")


@dataclass(frozen=True)
class LineToMatch:
    line_ref: str  # how the supplier knows the line, e.g. "PO-2026-000123 line 2"
    ordered_price: Decimal
    received_quantity: Decimal
    invoiced_quantity: Decimal
    invoiced_price: Decimal


def line_mismatches(line: LineToMatch, tolerances: Tolerances = Tolerances()) -> list[str]:
    reasons = []
    allowed_difference = line.ordered_price * tolerances.price
    if abs(line.invoiced_price - line.ordered_price) > allowed_difference:
        reasons.append(f"{line.line_ref}: invoiced price {line.invoiced_price} differs from the ordered "
                       f"{line.ordered_price} by more than {tolerances.price * 100}%")
    if line.invoiced_quantity > line.received_quantity + tolerances.quantity:
        reasons.append(f"{line.line_ref}: invoiced quantity {line.invoiced_quantity} exceeds the accepted "
                       f"{line.received_quantity}")
    return reasons


def match(lines: list[LineToMatch], tolerances: Tolerances = Tolerances()) -> list[str]:
    """Every reason the invoice does not match; an empty list means it matches."""
    return [reason for line in lines for reason in line_mismatches(line, tolerances)]

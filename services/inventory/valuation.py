"""Moving weighted average per item and location, fixed to the fen so that value is conserved.

How the rounding keeps received − issued = on-hand value exactly:

* The on-hand value of an item at a location is not recomputed from a rate; it is the running
  sum of the values of its movements, each fixed to the fen once, when posted. So the
  on-hand value always equals the ledger's sum of values, exactly.
* An inbound movement brings its own value: quantity × unit price fixed to the fen for a
  receipt, the outbound movement's value for the receiving side of a transfer.
* An outbound movement of part of the stock is valued at the current rate (on-hand value ÷
  on-hand quantity, kept unrounded) and then fixed to the fen, half up. Because the part is
  smaller than the whole, the result never exceeds the on-hand value.
* An outbound movement that empties the location takes the whole remaining value. Rounding
  residues therefore never pile up on stock that is no longer there: zero quantity always
  has zero value.

The rate recorded on each movement (six places) is informational; the fen amounts are the books.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from shared.money import money
from shared.money import quantity as fix_quantity

RATE_PLACES = Decimal("0.000001")
ZERO = Decimal(0)


@dataclass(frozen=True)
class Position:
    """What is on hand of one item at one location: quantity, value, and the last known rate."""

    quantity: Decimal = ZERO
    value: Decimal = ZERO
    last_rate: Decimal = ZERO

    @property
    def rate(self) -> Decimal:
        if self.quantity > 0:
            return (self.value / self.quantity).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)
        return self.last_rate


def receipt_value(quantity: Decimal, unit_price: Decimal) -> Decimal:
    """The value of received goods: quantity × price, fixed to the fen."""
    return money(quantity * unit_price)


def outbound_value(position: Position, quantity: Decimal) -> Decimal:
    """The value of `quantity` leaving `position` at the moving-average rate, fixed to the fen."""
    if quantity <= 0:
        raise ValueError("an outbound quantity is positive")
    if quantity > position.quantity:
        raise ValueError(f"{quantity} is more than the {position.quantity} on hand")
    if quantity == position.quantity:
        return position.value
    return money(position.value * quantity / position.quantity)


def inbound_at_rate(position: Position, quantity: Decimal) -> Decimal:
    """The value of stock found (a positive stocktake adjustment): at the current or last rate."""
    return money(position.rate * quantity)


def take_in(position: Position, quantity: Decimal, value: Decimal) -> Position:
    moved = Position(fix_quantity(position.quantity + quantity), position.value + value, position.last_rate)
    return Position(moved.quantity, moved.value, moved.rate)


def take_out(position: Position, quantity: Decimal) -> tuple[Position, Decimal]:
    """The position after `quantity` leaves, and the value that left with it."""
    value = outbound_value(position, quantity)
    moved = Position(fix_quantity(position.quantity - quantity), position.value - value, position.last_rate)
    return Position(moved.quantity, moved.value, moved.rate), value

"""First-expiry-first-out: which lots an outbound movement takes.

Lots are taken in the order (expiry date, receipt time, lot id): earliest expiry first, a lot
without an expiry date last, ties broken by the older receipt and then the lower id, so the
choice is always the same for the same stock. A lot whose expiry date is before the day the
goods are used is never taken. A request for more than the usable stock is refused whole:
nothing is picked, nothing is posted.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from shared.errors import RuleBroken

_NEVER = date.max


@dataclass(frozen=True)
class Candidate:
    lot_id: int
    expiry_date: date | None
    received_at: datetime
    quantity: Decimal


class NotEnoughStock(RuleBroken):
    """Fewer usable units on hand than requested."""

    def __init__(self, requested: Decimal, usable: Decimal, expired: Decimal):
        self.requested, self.usable, self.expired = requested, usable, expired
        if expired:
            super().__init__("{requested} requested but only {usable} usable on hand "
                             "({expired} more are expired and may not be issued)",
                             requested=requested, usable=usable, expired=expired)
        else:
            super().__init__("{requested} requested but only {usable} usable on hand",
                             requested=requested, usable=usable)


def is_expired(expiry_date: date | None, on: date) -> bool:
    """A lot may be used through its expiry date, not after."""
    return expiry_date is not None and expiry_date < on


def fefo_key(candidate: Candidate):
    return (candidate.expiry_date or _NEVER, candidate.received_at, candidate.lot_id)


def pick(candidates: list[Candidate], requested: Decimal, used_on: date) -> list[tuple[int, Decimal]]:
    """The (lot id, quantity) pairs that make up `requested`, earliest expiry first."""
    if requested <= 0:
        raise ValueError("the requested quantity is positive")
    usable = sorted((c for c in candidates if c.quantity > 0 and not is_expired(c.expiry_date, used_on)),
                    key=fefo_key)
    available = sum((c.quantity for c in usable), Decimal(0))
    if available < requested:
        expired = sum((c.quantity for c in candidates if c.quantity > 0 and is_expired(c.expiry_date, used_on)),
                      Decimal(0))
        raise NotEnoughStock(requested, available, expired)
    picks, remaining = [], requested
    for candidate in usable:
        if remaining == 0:
            break
        taken = min(candidate.quantity, remaining)
        picks.append((candidate.lot_id, taken))
        remaining -= taken
    return picks

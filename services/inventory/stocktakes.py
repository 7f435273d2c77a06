"""Stocktakes (盘点): a count sheet per location, the variance, and adjustments posted on approval.

The sheet lists every lot with stock at the location when it is drawn up (the book
quantity). Counting fills in what is there. On approval each line posts an adjustment of
counted − book quantity *at approval*, so a movement between count and approval is not
undone twice; the adjustment is valued like any movement (out at the moving average, in at
the current or last rate).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.auth import Principal
from shared.db import utcnow
from shared.errors import Conflict, InvalidInput, NotFound
from shared.statemachine import StateMachine

from .ledger import lock_lot_balance, lock_positions, post_inbound, post_outbound, source_for
from .locations import at_own_location, get_location, may_act_at
from .models import Audit, StockBalance, Stocktake, StocktakeLine
from .valuation import Position, inbound_at_rate

STOCKTAKE = StateMachine("stocktake", {
    "approve": {"counting": "approved"},
    "cancel": {"counting": "cancelled"},
}, Audit)


def get_stocktake(session: Session, principal: Principal, stocktake_id: int) -> Stocktake:
    stocktake = session.scalars(select(Stocktake).where(
        Stocktake.id == stocktake_id, Stocktake.school_id == principal.school_id,
        at_own_location(session, principal, Stocktake.location_id))).first()
    if stocktake is None:
        raise NotFound("No stocktake {stocktake_id}", stocktake_id=stocktake_id)
    return stocktake


def open_stocktake(session: Session, principal: Principal, location_id: int) -> Stocktake:
    location = get_location(session, principal.school_id, location_id)
    may_act_at(session, principal, location.id)
    if session.scalars(select(Stocktake.id).where(Stocktake.location_id == location.id,
                                                  Stocktake.status == "counting")).first() is not None:
        raise Conflict("{location} already has a stocktake being counted", location=location.name)
    stocktake = Stocktake(school_id=principal.school_id, location_id=location.id, status="counting",
                          created_by=principal.user_id)
    session.add(stocktake)
    session.flush()
    balances = session.scalars(select(StockBalance).where(StockBalance.location_id == location.id,
                                                          StockBalance.quantity > 0)
                               .order_by(StockBalance.item_id, StockBalance.lot_id)).unique()
    for balance in balances:
        session.add(StocktakeLine(stocktake_id=stocktake.id, item_id=balance.item_id, lot_id=balance.lot_id,
                                  expected_quantity=balance.quantity))
    session.flush()
    session.refresh(stocktake, ["lines"])
    return stocktake


def record_counts(session: Session, principal: Principal, stocktake_id: int, counts: list[dict]) -> Stocktake:
    stocktake = get_stocktake(session, principal, stocktake_id)
    if stocktake.status != "counting":
        raise Conflict("A stocktake that is {status} takes no more counts", status=stocktake.status)
    lines = {line.id: line for line in stocktake.lines}
    for index, count in enumerate(counts):
        line = lines.get(count["line_id"])
        if line is None:
            raise InvalidInput(f"lines.{index}.line_id", "no line {line} on this count sheet", line=count["line_id"])
        line.counted_quantity = count["counted_quantity"]
    session.flush()
    return stocktake


def approve_stocktake(session: Session, principal: Principal, stocktake_id: int) -> Stocktake:
    stocktake = get_stocktake(session, principal, stocktake_id)
    uncounted = [line.id for line in stocktake.lines if line.counted_quantity is None]
    if stocktake.status == "counting" and uncounted:
        raise Conflict("Every line must be counted before approval",
                       {"lines": [f"line {line_id} is not counted" for line_id in uncounted]})
    STOCKTAKE.apply(session, stocktake, "approve", principal)
    stocktake.decided_by, stocktake.decided_at = principal.user_id, utcnow()
    source = source_for(stocktake, "stocktake", principal.user_id)
    location_id = stocktake.location_id
    positions = lock_positions(session, stocktake.school_id, [(line.item_id, location_id) for line in stocktake.lines],
                               create=True)
    for line in stocktake.lines:
        valuation = positions[(line.item_id, location_id)]
        balance = lock_lot_balance(session, stocktake.school_id, line.item_id, location_id, line.lot_id,
                                   create=True)
        line.adjustment_quantity = line.counted_quantity - balance.quantity
        if line.adjustment_quantity > 0:
            value = inbound_at_rate(Position(valuation.quantity, valuation.value, valuation.last_rate),
                                    line.adjustment_quantity)
            post_inbound(session, valuation, line.lot, "adjustment", line.adjustment_quantity, value, source)
        elif line.adjustment_quantity < 0:
            post_outbound(session, valuation, balance, "adjustment", -line.adjustment_quantity, source)
    session.flush()
    session.refresh(stocktake, ["movements"])
    return stocktake


def cancel_stocktake(session: Session, principal: Principal, stocktake_id: int, reason: str | None) -> Stocktake:
    stocktake = get_stocktake(session, principal, stocktake_id)
    STOCKTAKE.apply(session, stocktake, "cancel", principal, reason)
    stocktake.decided_by, stocktake.decided_at = principal.user_id, utcnow()
    session.flush()
    return stocktake


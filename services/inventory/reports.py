"""Reading stock: on hand by location with lots, the valuation report, the ledger.

On-hand and value are read from the balance rows, never by summing the ledger.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from .fefo import Candidate, fefo_key, is_expired
from .models import Item, Location, Lot, StockBalance, StockMovement, StockValuation


def on_hand(session: Session, school_id: int, today: date, location_id: int | None = None,
            item_id: int | None = None, hall_id: int | None = None) -> list[dict]:
    """Per location and item: quantity, value, rate, and the lots in FEFO order with their expiry.
    `hall_id` (here and below): a canteen manager's own hall, the only location they are shown."""
    query = (select(StockValuation, Item, Location)
             .join(Item, Item.id == StockValuation.item_id).join(Location, Location.id == StockValuation.location_id)
             .where(StockValuation.school_id == school_id, StockValuation.quantity > 0)
             .order_by(Location.id, Item.code))
    lots_query = select(StockBalance).where(StockBalance.school_id == school_id, StockBalance.quantity > 0)
    for location in (location_id, hall_id):
        if location is not None:
            query = query.where(StockValuation.location_id == location)
            lots_query = lots_query.where(StockBalance.location_id == location)
    if item_id is not None:
        query = query.where(StockValuation.item_id == item_id)
        lots_query = lots_query.where(StockBalance.item_id == item_id)
    lots: dict[tuple[int, int], list[StockBalance]] = {}
    for balance in session.scalars(lots_query).unique():
        lots.setdefault((balance.item_id, balance.location_id), []).append(balance)
    rows = []
    for valuation, item, location in session.execute(query):
        balances = sorted(lots.get((item.id, location.id), []), key=lambda b: fefo_key(
            Candidate(b.lot_id, b.lot.expiry_date, b.lot.received_at, b.quantity)))
        rows.append({
            "location_id": location.id, "location_code": location.code, "item_id": item.id,
            "item_code": item.code, "item_name": item.name, "base_unit": item.base_unit,
            "restricted": item.restricted, "quantity": valuation.quantity, "value": valuation.value,
            "valuation_rate": valuation.last_rate,
            "lots": [{"lot_id": b.lot_id, "lot_number": b.lot.lot_number, "production_date": b.lot.production_date,
                      "expiry_date": b.lot.expiry_date, "supplier_id": b.lot.supplier_id, "quantity": b.quantity,
                      "expired": is_expired(b.lot.expiry_date, today)} for b in balances],
        })
    return rows


def valuation_report(session: Session, school_id: int, location_id: int | None = None,
                     hall_id: int | None = None) -> dict:
    """Quantity, value and rate per item and location, with totals per location and overall."""
    query = (select(StockValuation, Item, Location)
             .join(Item, Item.id == StockValuation.item_id).join(Location, Location.id == StockValuation.location_id)
             .where(StockValuation.school_id == school_id, StockValuation.quantity > 0)
             .order_by(Location.id, Item.code))
    for location in (location_id, hall_id):
        if location is not None:
            query = query.where(StockValuation.location_id == location)
    lines, totals = [], {}
    for valuation, item, location in session.execute(query):
        lines.append({"location_id": location.id, "location_code": location.code, "item_id": item.id,
                      "item_code": item.code, "item_name": item.name, "category": item.category,
                      "restricted": item.restricted, "quantity": valuation.quantity, "value": valuation.value,
                      "valuation_rate": valuation.last_rate})
        totals[location.id] = totals.get(location.id, Decimal("0.00")) + valuation.value
    return {"lines": lines,
            "locations": [{"location_id": key, "value": value} for key, value in totals.items()],
            "total_value": sum(totals.values(), Decimal("0.00"))}


def ledger_query(school_id: int, item_id: int | None = None, location_id: int | None = None,
                 lot_id: int | None = None, kind: str | None = None, source_type: str | None = None,
                 source_id: int | None = None, occurred_from: datetime | None = None,
                 occurred_to: datetime | None = None, sort: str = "id", hall_id: int | None = None) -> Select:
    query = select(StockMovement).where(StockMovement.school_id == school_id)
    for column, value in ((StockMovement.item_id, item_id), (StockMovement.location_id, location_id),
                          (StockMovement.location_id, hall_id),
                          (StockMovement.lot_id, lot_id), (StockMovement.kind, kind),
                          (StockMovement.source_type, source_type), (StockMovement.source_id, source_id)):
        if value is not None:
            query = query.where(column == value)
    if occurred_from is not None:
        query = query.where(StockMovement.occurred_at >= occurred_from)
    if occurred_to is not None:
        query = query.where(StockMovement.occurred_at < occurred_to)
    return query.order_by(StockMovement.id.desc() if sort == "-id" else StockMovement.id)


def expiring_lots(session: Session, school_id: int, today: date, within_days: int,
                  location_id: int | None = None, hall_id: int | None = None) -> list[dict]:
    """Lots with stock whose expiry date falls within `within_days` of today (expired ones included),
    per location, earliest expiry first."""
    horizon = today + timedelta(days=within_days)
    query = (select(StockBalance, Item, Location)
             .join(Item, Item.id == StockBalance.item_id).join(Location, Location.id == StockBalance.location_id)
             .join(Lot, Lot.id == StockBalance.lot_id)
             .where(StockBalance.school_id == school_id, StockBalance.quantity > 0, Lot.expiry_date.is_not(None),
                    Lot.expiry_date <= horizon)
             .order_by(Location.id, Lot.expiry_date, Lot.id))
    for location in (location_id, hall_id):
        if location is not None:
            query = query.where(StockBalance.location_id == location)
    return [{"location_id": location.id, "location_code": location.code, "item_id": item.id, "item_code": item.code,
             "item_name": item.name, "lot_id": balance.lot_id, "lot_number": balance.lot.lot_number,
             "expiry_date": balance.lot.expiry_date, "days_left": (balance.lot.expiry_date - today).days,
             "expired": is_expired(balance.lot.expiry_date, today), "quantity": balance.quantity}
            for balance, item, location in session.execute(query).unique()]

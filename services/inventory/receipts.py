"""Direct goods receipts: lots found or made, movements posted at the delivered price."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cache

from sqlalchemy import and_, bindparam, select, text, true
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from shared.auth import Principal
from shared.db import utcnow
from shared.errors import InvalidInput

from .fefo import is_expired
from .items import unknown_item
from .ledger import (
    Record,
    append,
    lock_position_rows,
    receive_taken_in,
    source_for,
    take_in_position,
    upsert_rows,
)
from .locations import unknown_location
from .models import Item, Location, Lot, Receipt, ReorderRule
from .reorder import check_rule_by_id
from .valuation import receipt_value


def expiry_of(item, production_date: date | None, expiry_date: date | None, field: str) -> date | None:
    """The given expiry date, or production date + the item's shelf life; None when the item does not expire.
    `item` has the Item's `name` and `shelf_life_days` (a row of _LOCATION_AND_ITEMS)."""
    if expiry_date is not None:
        if production_date is not None and expiry_date < production_date:
            raise InvalidInput(f"{field}.expiry_date", "the expiry date is before the production date")
        return expiry_date
    if item.shelf_life_days is None:
        return None
    if production_date is None:
        raise InvalidInput(f"{field}.production_date",
                           "{item} has a shelf life: give its production date or expiry date", item=item.name)
    return production_date + timedelta(days=item.shelf_life_days)


# uq_lots_identity's own expressions, literally: a bound 0 would not match its coalesce
LOT_IDENTITY = (Lot.school_id, Lot.item_id, text("coalesce(supplier_id, 0)"), Lot.lot_number)


_LOTS = Lot.__table__
# what a receipt line checks and its movement shows of a lot
_LOT_READ = (_LOTS.c.id, _LOTS.c.item_id, _LOTS.c.lot_number, _LOTS.c.production_date, _LOTS.c.expiry_date)


def _same_lot(excluded) -> dict:
    # a no-op update, so that RETURNING yields the lot that was already there
    return {"lot_number": excluded.lot_number}


@dataclass(frozen=True)
class LotWanted:
    """A lot a receipt line brings in, as the line describes it; `field` names the line in errors."""

    item_id: int
    lot_number: str
    production_date: date | None
    expiry_date: date | None
    field: str


def find_or_make_lots(connection: Connection, school_id: int, supplier_id: int | None,
                      delivery_reference: str | None, wanted: list[LotWanted]) -> list:
    """The lots (rows of `lots`) with these numbers from this supplier, made where missing, in one
    statement; a lot received before must agree on its dates. Two receipts making the same lot at
    once meet on the unique identity index, and the second gets the first's lot."""
    if not wanted:
        return []
    now = utcnow()
    rows = {}
    for lot in wanted:  # the first line of a lot makes it; the others are checked against it below
        rows.setdefault((lot.item_id, lot.lot_number), {
            "school_id": school_id, "item_id": lot.item_id, "lot_number": lot.lot_number,
            "production_date": lot.production_date, "expiry_date": lot.expiry_date, "supplier_id": supplier_id,
            "delivery_reference": delivery_reference, "received_at": now})
    lots = {(lot.item_id, lot.lot_number): lot
            for lot in upsert_rows(connection, _LOTS, list(rows.values()), LOT_IDENTITY, _same_lot, _LOT_READ)}
    found = []
    for line in wanted:
        lot = lots[(line.item_id, line.lot_number)]
        if line.production_date is not None and lot.production_date not in (None, line.production_date):
            raise InvalidInput(f"{line.field}.production_date",
                               "lot {lot_number} was received before with production date "
                               "{production_date}", lot_number=line.lot_number, production_date=lot.production_date)
        if lot.expiry_date != line.expiry_date:
            raise InvalidInput(f"{line.field}.expiry_date",
                               "lot {lot_number} was received before with expiry date {expiry_date}",
                               lot_number=line.lot_number, expiry_date=lot.expiry_date)
        found.append(lot)
    return found


_LOCATIONS, _ITEMS, _RULES = Location.__table__, Item.__table__, ReorderRule.__table__


@cache
def _location_and_items(count: int):
    """The location and `count` items in one look-up: no row, no such location; a row without an
    item for a line, no such active item in the school's catalogue. With each item its reorder rule
    at the location, if any, so that the movements need not look it up one by one. One statement per
    number of items, with a parameter each (item_0, item_1, ...): an expanding IN would be rewritten
    on every execution."""
    return (
        select(_LOCATIONS.c.id.label("location_id"), _ITEMS.c.id, _ITEMS.c.name, _ITEMS.c.shelf_life_days,
               _RULES.c.id.label("rule_id"))
        .select_from(_LOCATIONS.outerjoin(_ITEMS, and_(_ITEMS.c.id.in_([bindparam(f"item_{index}")
                                                                         for index in range(count)]),
                                                       _ITEMS.c.school_id == _LOCATIONS.c.school_id,
                                                       _ITEMS.c.active == true()))
                     .outerjoin(_RULES, and_(_RULES.c.item_id == _ITEMS.c.id,
                                             _RULES.c.location_id == _LOCATIONS.c.id)))
        .where(_LOCATIONS.c.id == bindparam("location_id"), _LOCATIONS.c.school_id == bindparam("school_id")))


def post_receipt(session: Session, principal: Principal, location_id: int, lines: list[dict], today: date,
                 supplier_id: int | None = None, delivery_reference: str | None = None,
                 note: str | None = None) -> Record:
    """Receive goods into a location. Expired goods and goods produced in the future are refused.

    The statements run on the session's connection, and what they write comes back as records
    (ledger.Record), not ORM objects: the receipt's rows are written once and only read back for
    the response."""
    school_id = principal.school_id
    connection = session.connection()
    item_ids = sorted({line["item_id"] for line in lines})
    found = connection.execute(_location_and_items(len(item_ids)), {
        "location_id": location_id, "school_id": school_id,
        **{f"item_{index}": item_id for index, item_id in enumerate(item_ids)}}).all()
    if not found:
        raise unknown_location(location_id)
    items = {item.id: item for item in found if item.id is not None}
    prepared = []
    for index, line in enumerate(lines):
        field = f"lines.{index}"
        item = items.get(line["item_id"])
        if item is None:
            raise unknown_item(line["item_id"], f"{field}.item_id")
        production_date = line.get("production_date")
        if production_date is not None and production_date > today:
            raise InvalidInput(f"{field}.production_date", "the production date is in the future")
        expiry_date = expiry_of(item, production_date, line.get("expiry_date"), field)
        if is_expired(expiry_date, today):
            raise InvalidInput(f"{field}.expiry_date", "the goods expired on {expiry_date}: expired goods are refused",
                               expiry_date=expiry_date)
        prepared.append((item, production_date, expiry_date, line, field))
    receipt = append(connection, Receipt, {
        "school_id": school_id, "location_id": location_id, "supplier_id": supplier_id,
        "delivery_reference": delivery_reference, "note": note, "created_by": principal.user_id,
        "created_at": utcnow()})
    source = source_for(receipt, "receipt", principal.user_id)
    item_ids = [item.id for item, *_ in prepared]
    if item_ids != sorted(item_ids):  # each line would lock its position out of the global lock order
        lock_position_rows(connection, school_id, [(item_id, location_id) for item_id in item_ids])
    values = [receipt_value(line["quantity"], Decimal(line["unit_price"])) for *_, line, _ in prepared]
    positions = [take_in_position(connection, school_id, item.id, location_id, "receipt", line["quantity"], value,
                                  source.occurred_at)
                 for (item, *_, line, _), value in zip(prepared, values, strict=True)]
    lots = find_or_make_lots(connection, school_id, supplier_id, delivery_reference, [
        LotWanted(item.id, line["lot_number"], production_date, expiry_date, field)
        for item, production_date, expiry_date, line, field in prepared])
    receipt.movements = []
    for (item, *_, line, _), value, position, lot in zip(prepared, values, positions, lots, strict=True):
        receipt.movements.append(receive_taken_in(connection, position, lot, "receipt", line["quantity"], value,
                                                  source))
        check_rule_by_id(session, item.rule_id, position.quantity, source.occurred_at)
    # the response is built from the rows just written, not read back
    return receipt

"""Direct goods receipts: lots found or made, movements posted at the delivered price."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from shared.auth import Principal
from shared.db import utcnow
from shared.errors import InvalidInput

from .fefo import is_expired
from .items import get_item
from .ledger import lock_positions, post_inbound, source_for, upsert_returning
from .locations import get_location
from .models import Item, Lot, Receipt
from .valuation import receipt_value


def expiry_of(item: Item, production_date: date | None, expiry_date: date | None, field: str) -> date | None:
    """The given expiry date, or production date + the item's shelf life; None when the item does not expire."""
    if expiry_date is not None:
        if production_date is not None and expiry_date < production_date:
            raise InvalidInput(f"{field}.expiry_date", "the expiry date is before the production date")
        return expiry_date
    if item.shelf_life_days is None:
        return None
    if production_date is None:
        raise InvalidInput(f"{field}.production_date",
                           f"{item.name} has a shelf life: give its production date or expiry date")
    return production_date + timedelta(days=item.shelf_life_days)


# uq_lots_identity's own expressions, literally: a bound 0 would not match its coalesce
LOT_IDENTITY = (Lot.school_id, Lot.item_id, text("coalesce(supplier_id, 0)"), Lot.lot_number)


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


def find_or_make_lots(session: Session, school_id: int, supplier_id: int | None, delivery_reference: str | None,
                      wanted: list[LotWanted]) -> list[Lot]:
    """The lots with these numbers from this supplier, made where missing, in one statement; a lot
    received before must agree on its dates. Two receipts making the same lot at once meet on the
    unique identity index, and the second gets the first's lot."""
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
            for lot in upsert_returning(session, Lot, list(rows.values()), LOT_IDENTITY, _same_lot)}
    found = []
    for line in wanted:
        lot = lots[(line.item_id, line.lot_number)]
        if line.production_date is not None and lot.production_date not in (None, line.production_date):
            raise InvalidInput(f"{line.field}.production_date",
                               f"lot {line.lot_number} was received before with production date "
                               f"{lot.production_date}")
        if lot.expiry_date != line.expiry_date:
            raise InvalidInput(f"{line.field}.expiry_date",
                               f"lot {line.lot_number} was received before with expiry date {lot.expiry_date}")
        found.append(lot)
    return found


def post_receipt(session: Session, principal: Principal, location_id: int, lines: list[dict], today: date,
                 supplier_id: int | None = None, delivery_reference: str | None = None,
                 note: str | None = None) -> Receipt:
    """Receive goods into a location. Expired goods and goods produced in the future are refused."""
    school_id = principal.school_id
    location = get_location(session, school_id, location_id)
    prepared = []
    for index, line in enumerate(lines):
        field = f"lines.{index}"
        item = get_item(session, school_id, line["item_id"], f"{field}.item_id")
        production_date = line.get("production_date")
        if production_date is not None and production_date > today:
            raise InvalidInput(f"{field}.production_date", "the production date is in the future")
        expiry_date = expiry_of(item, production_date, line.get("expiry_date"), field)
        if is_expired(expiry_date, today):
            raise InvalidInput(f"{field}.expiry_date", f"the goods expired on {expiry_date}: expired goods are refused")
        prepared.append((item, production_date, expiry_date, line, field))
    receipt = Receipt(school_id=school_id, location_id=location.id, supplier_id=supplier_id,
                      delivery_reference=delivery_reference, note=note, created_by=principal.user_id)
    session.add(receipt)
    session.flush()
    source = source_for(receipt, "receipt", principal.user_id)
    positions = lock_positions(session, school_id, [(item.id, location.id) for item, *_ in prepared], create=True)
    lots = find_or_make_lots(session, school_id, supplier_id, delivery_reference, [
        LotWanted(item.id, line["lot_number"], production_date, expiry_date, field)
        for item, production_date, expiry_date, line, field in prepared])
    movements = []
    for (item, _, _, line, _), lot in zip(prepared, lots, strict=True):
        quantity = line["quantity"]
        movements.append(post_inbound(session, positions[(item.id, location.id)], lot.id, "receipt", quantity,
                                      receipt_value(quantity, Decimal(line["unit_price"])), source))
    session.flush()
    # the response is built from the rows just written, not read back
    set_committed_value(receipt, "movements", movements)
    return receipt

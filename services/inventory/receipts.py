"""Direct goods receipts: lots found or made, movements posted at the delivered price."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.auth import Principal
from shared.db import utcnow
from shared.errors import InvalidInput

from .fefo import is_expired
from .items import get_item
from .ledger import lock_positions, post_inbound, source_for
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


def find_or_make_lot(session: Session, school_id: int, item: Item, lot_number: str, production_date: date | None,
                     expiry_date: date | None, supplier_id: int | None, delivery_reference: str | None,
                     field: str) -> Lot:
    """The lot with this number from this supplier; a second delivery of it must agree on its dates."""
    query = select(Lot).where(Lot.school_id == school_id, Lot.item_id == item.id, Lot.lot_number == lot_number,
                              Lot.supplier_id.is_(None) if supplier_id is None else Lot.supplier_id == supplier_id)
    lot = session.scalars(query).first()
    if lot is None:
        lot = Lot(school_id=school_id, item_id=item.id, lot_number=lot_number, production_date=production_date,
                  expiry_date=expiry_date, supplier_id=supplier_id, delivery_reference=delivery_reference,
                  received_at=utcnow())
        try:
            with session.begin_nested():
                session.add(lot)
                session.flush()
            return lot
        except IntegrityError:
            # another receipt made the same lot and committed first: use it
            lot = session.scalars(query).one()
    if production_date is not None and lot.production_date not in (None, production_date):
        raise InvalidInput(f"{field}.production_date",
                           f"lot {lot_number} was received before with production date {lot.production_date}")
    if lot.expiry_date != expiry_date:
        raise InvalidInput(f"{field}.expiry_date",
                           f"lot {lot_number} was received before with expiry date {lot.expiry_date}")
    return lot


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
    for item, production_date, expiry_date, line, field in prepared:
        lot = find_or_make_lot(session, school_id, item, line["lot_number"], production_date, expiry_date,
                               supplier_id, delivery_reference, field)
        quantity = line["quantity"]
        post_inbound(session, positions[(item.id, location.id)], lot.id, "receipt", quantity,
                     receipt_value(quantity, Decimal(line["unit_price"])), source)
    session.flush()
    session.refresh(receipt, ["movements"])
    return receipt

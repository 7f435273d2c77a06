"""Stock leaving by a lot: waste (报损) written off with a reason, and returns to the supplier (退货)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from shared.auth import Principal
from shared.errors import Conflict, InvalidInput

from .items import get_item
from .ledger import lock_lot_balance, lock_positions, post_outbound, source_for
from .locations import get_location, may_act_at
from .models import Lot, SupplierReturn, WasteRecord


def _take_lots(session: Session, principal: Principal, location, lines: list[dict], kind: str, source,
               supplier_id: int | None = None) -> None:
    school_id = principal.school_id
    items = [get_item(session, school_id, line["item_id"], f"lines.{i}.item_id") for i, line in enumerate(lines)]
    positions = lock_positions(session, school_id, [(item.id, location.id) for item in items], create=False)
    for index, (item, line) in enumerate(zip(items, lines, strict=True)):
        field = f"lines.{index}.quantity"
        if supplier_id is not None:
            lot = session.get(Lot, line["lot_id"])
            if lot is None or lot.school_id != school_id or lot.supplier_id != supplier_id:
                raise InvalidInput(f"lines.{index}.lot_id", "lot {lot} did not come from this supplier",
                                   lot=line["lot_id"])
        balance = lock_lot_balance(session, school_id, item.id, location.id, line["lot_id"], create=False)
        on_hand = balance.quantity if balance is not None else 0
        if on_hand < line["quantity"]:
            raise Conflict.at(field, "only {on_hand} of lot {lot} of {item} on hand at {location}",
                              on_hand=on_hand, lot=line["lot_id"], item=item.name, location=location.name)
        post_outbound(session, positions[(item.id, location.id)], balance, kind, line["quantity"], source)


def record_waste(session: Session, principal: Principal, location_id: int, reason: str,
                 lines: list[dict]) -> WasteRecord:
    location = get_location(session, principal.school_id, location_id)
    may_act_at(session, principal, location.id)
    record = WasteRecord(school_id=principal.school_id, location_id=location.id, reason=reason,
                         created_by=principal.user_id)
    session.add(record)
    session.flush()
    _take_lots(session, principal, location, lines, "waste", source_for(record, "waste", principal.user_id))
    session.flush()
    session.refresh(record, ["movements"])
    return record


def return_to_supplier(session: Session, principal: Principal, location_id: int, supplier_id: int, reason: str,
                       lines: list[dict]) -> SupplierReturn:
    """Send lots back to the supplier they came from, valued at cost like any outbound movement."""
    location = get_location(session, principal.school_id, location_id)
    may_act_at(session, principal, location.id)
    record = SupplierReturn(school_id=principal.school_id, location_id=location.id, supplier_id=supplier_id,
                            reason=reason, created_by=principal.user_id)
    session.add(record)
    session.flush()
    _take_lots(session, principal, location, lines, "return_to_supplier",
               source_for(record, "supplier_return", principal.user_id), supplier_id)
    session.flush()
    session.refresh(record, ["movements"])
    return record

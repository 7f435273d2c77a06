"""Waste (报损): spoiled, damaged or expired stock written off, lot by lot, with a reason."""
from __future__ import annotations

from sqlalchemy.orm import Session

from shared.auth import Principal
from shared.errors import Conflict

from .items import get_item
from .ledger import lock_lot_balance, lock_positions, post_outbound, source_for
from .locations import get_location
from .models import WasteRecord


def record_waste(session: Session, principal: Principal, location_id: int, reason: str,
                 lines: list[dict]) -> WasteRecord:
    school_id = principal.school_id
    location = get_location(session, school_id, location_id)
    items = [get_item(session, school_id, line["item_id"], f"lines.{i}.item_id") for i, line in enumerate(lines)]
    record = WasteRecord(school_id=school_id, location_id=location.id, reason=reason, created_by=principal.user_id)
    session.add(record)
    session.flush()
    source = source_for(record, "waste", principal.user_id)
    positions = lock_positions(session, school_id, [(item.id, location.id) for item in items], create=False)
    for index, (item, line) in enumerate(zip(items, lines, strict=True)):
        field = f"lines.{index}.quantity"
        balance = lock_lot_balance(session, school_id, item.id, location.id, line["lot_id"], create=False)
        on_hand = balance.quantity if balance is not None else 0
        if on_hand < line["quantity"]:
            message = f"only {on_hand} of lot {line['lot_id']} of {item.name} on hand at {location.name}"
            raise Conflict(f"{field}: {message}", {field: [message]})
        post_outbound(session, positions[(item.id, location.id)], balance, "waste", line["quantity"], source)
    session.flush()
    session.refresh(record, ["movements"])
    return record

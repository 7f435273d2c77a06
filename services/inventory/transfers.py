"""Transfers between locations: an outbound and an inbound movement of the same lot, one transaction.

The receiving side takes the goods in at exactly the value that left, so a transfer moves
value between locations without creating or losing a fen.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from shared.auth import Principal
from shared.errors import Conflict, InvalidInput

from .issues import distinct_items, take_fefo
from .ledger import lock_lot_balance, lock_positions, post_inbound, post_outbound, source_for
from .locations import get_location, may_act_at
from .models import Transfer


def transfer_stock(session: Session, principal: Principal, from_location_id: int, to_location_id: int,
                   lines: list[dict], today: date) -> Transfer:
    """Move stock; a line names a lot, or FEFO picks among the lots not expired today."""
    school_id = principal.school_id
    source_location = get_location(session, school_id, from_location_id, "from_location_id")
    target = get_location(session, school_id, to_location_id, "to_location_id")
    if source_location.id == target.id:
        raise InvalidInput("to_location_id", "a transfer goes to another location")
    # a canteen manager sends from or takes into their own hall, never between two others
    may_act_at(session, principal, source_location.id, target.id)
    items = distinct_items(session, school_id, lines)
    transfer = Transfer(school_id=school_id, from_location_id=source_location.id, to_location_id=target.id,
                        created_by=principal.user_id)
    session.add(transfer)
    session.flush()
    source = source_for(transfer, "transfer", principal.user_id)
    pairs = [(item.id, loc) for item in items for loc in (source_location.id, target.id)]
    positions = lock_positions(session, school_id, pairs, create=True)
    for index, (item, line) in enumerate(zip(items, lines, strict=True)):
        field = f"lines.{index}.quantity"
        valuation = positions[(item.id, source_location.id)]
        if line.get("lot_id") is not None:
            balance = lock_lot_balance(session, school_id, item.id, source_location.id, line["lot_id"], create=False)
            on_hand = balance.quantity if balance is not None else 0
            if on_hand < line["quantity"]:
                raise Conflict.at(field, "only {on_hand} of lot {lot} on hand at {location}",
                                  on_hand=on_hand, lot=line["lot_id"], location=source_location.name)
            outs = [post_outbound(session, valuation, balance, "transfer_out", line["quantity"], source)]
        else:
            outs = take_fefo(session, valuation, item.id, source_location.id, line["quantity"], today,
                             "transfer_out", source, field)
        for out in outs:
            post_inbound(session, positions[(item.id, target.id)], out.lot, "transfer_in", -out.quantity,
                         -out.value, source)
    session.flush()
    session.refresh(transfer, ["movements"])
    return transfer

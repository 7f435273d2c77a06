"""Expected receipts and the incoming inspection (进货查验), DESIGN.md §5.

`po.sent` makes an expected receipt (what was ordered, where, at what price); a
`delivery.dispatched` note records the supplier's lots on their way. At the door, the
inspection records per line the accepted and rejected quantities (with the reason), lot,
production date, shelf life, the documents checked and the inspectors — two for bulk
commodities. Expired goods are refused: they can only be rejected. Accepted quantities post
receipt movements at the order's price, and `goods.received` goes to procurement and the portal.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from shared.auth import Principal
from shared.db import utcnow
from shared.errors import Conflict, InvalidInput, NotFound
from shared.events import NotYetKnown, emit

from .fefo import is_expired
from .items import is_bulk_commodity
from .ledger import Source, lock_positions, post_inbound
from .locations import may_act_at, own_location
from .models import (
    DeliveryNote,
    DeliveryNoteLine,
    ExpectedReceipt,
    ExpectedReceiptLine,
    Inspection,
    InspectionLine,
    Item,
    Location,
)
from .receipts import LotWanted, find_or_make_lots
from .valuation import receipt_value

DOCUMENTS = ("licence", "product_certificate", "delivery_note", "quarantine_certificate")
# 索证索票: no goods are accepted without the supplier's licence, the product certificate and the delivery note.
REQUIRED_DOCUMENTS = frozenset({"licence", "product_certificate", "delivery_note"})


def _cache_item(session: Session, school_id: int, line: dict) -> None:
    """An ordered item unknown to the cache is added from the order; the catalogue refresh completes it."""
    if session.get(Item, line["item_id"]) is None:
        session.add(Item(id=line["item_id"], school_id=school_id, code=line["item_code"], name=line["item_name"],
                         category=line["category"], base_unit=line["unit"], shelf_life_days=None,
                         restricted=False, active=True, synced_at=utcnow()))
        session.flush()


def expect_order(session: Session, payload: dict) -> ExpectedReceipt:
    """Apply po.sent: a new order, or a newer revision of one (an older or equal revision changes nothing)."""
    expected = session.scalars(select(ExpectedReceipt).where(ExpectedReceipt.school_id == payload["school_id"],
                                                             ExpectedReceipt.po_id == payload["po_id"])).first()
    if expected is not None and (expected.po_revision >= payload["revision"] or expected.cancelled_at is not None):
        return expected
    if expected is None:
        expected = ExpectedReceipt(school_id=payload["school_id"], po_id=payload["po_id"], lines=[])
        session.add(expected)
    expected.po_number, expected.po_revision = payload["number"], payload["revision"]
    expected.supplier_id, expected.updated_at = payload["supplier_id"], utcnow()
    lines = {line.po_line_id: line for line in expected.lines}
    for data in payload["lines"]:
        _cache_item(session, payload["school_id"], data)
        line = lines.pop(data["po_line_id"], None)
        if line is None:
            line = ExpectedReceiptLine(po_line_id=data["po_line_id"], accepted_quantity=Decimal(0),
                                       rejected_quantity=Decimal(0))
            expected.lines.append(line)
        line.item_id, line.quantity, line.unit_price = data["item_id"], data["quantity"], data["unit_price"]
        line.delivery_date, line.destination = data["delivery_date"], data["destination"]
    for dropped in lines.values():  # a line the amendment removed: nothing more is expected of it
        dropped.quantity = dropped.accepted_quantity
    session.flush()
    return expected


def cancel_order(session: Session, payload: dict) -> ExpectedReceipt:
    """Apply po.cancelled. Arriving before its po.sent, it leaves a cancelled stub at its revision, so the
    late po.sent (an equal or older revision) changes nothing."""
    expected = session.scalars(select(ExpectedReceipt).where(ExpectedReceipt.school_id == payload["school_id"],
                                                             ExpectedReceipt.po_id == payload["po_id"])).first()
    if expected is None:
        expected = ExpectedReceipt(school_id=payload["school_id"], po_id=payload["po_id"], po_number="",
                                   po_revision=payload["revision"], supplier_id=payload["supplier_id"], lines=[])
        session.add(expected)
    if expected.cancelled_at is None:
        expected.cancelled_at, expected.cancel_reason = payload["cancelled_at"], payload["reason"]
        expected.po_revision = max(expected.po_revision, payload["revision"])
        expected.updated_at = utcnow()
    session.flush()
    return expected


def close_order(session: Session, payload: dict) -> ExpectedReceipt | None:
    """Apply po.closed: the expected receipt takes no more inspections; what was received stays received."""
    expected = session.scalars(select(ExpectedReceipt).where(ExpectedReceipt.school_id == payload["school_id"],
                                                             ExpectedReceipt.po_id == payload["po_id"])).first()
    if expected is None:
        # an order is closed only after goods were received against it, so its po.sent is still on its way
        raise NotYetKnown(f"order {payload['po_id']} is not expected yet")
    if expected.closed_at is None:
        expected.closed_at, expected.close_reason = payload["closed_at"], payload["reason"]
        expected.updated_at = utcnow()
        session.flush()
    return expected


def expect_delivery(session: Session, payload: dict) -> DeliveryNote:
    """Apply delivery.dispatched: keep the supplier's lots for the inspection to check against."""
    note = session.scalars(select(DeliveryNote).where(
        DeliveryNote.delivery_note_id == payload["delivery_note_id"])).first()
    if note is not None:
        return note
    note = DeliveryNote(school_id=payload["school_id"], delivery_note_id=payload["delivery_note_id"],
                        po_id=payload["po_id"], supplier_id=payload["supplier_id"], number=payload["number"],
                        planned_at=payload["planned_at"], lines=[
                            DeliveryNoteLine(po_line_id=line["po_line_id"], item_id=line["item_id"],
                                             quantity=line["quantity"], lot_number=line["lot_number"],
                                             production_date=line["production_date"],
                                             expiry_date=line.get("expiry_date"),
                                             certificate_ref=line.get("certificate_ref") or "")
                            for line in payload["lines"]])
    session.add(note)
    session.flush()
    return note


def for_own_hall(session: Session, principal: Principal) -> ColumnElement[bool]:
    """The expected receipts a canteen manager sees: those with a line for their hall (every one for school-wide
    roles). An order for two halls is seen by both managers; each inspects only their own lines."""
    own = own_location(session, principal)
    return true() if own is None else ExpectedReceipt.lines.any(ExpectedReceiptLine.destination == own.code)


def get_expected_receipt(session: Session, principal: Principal, expected_receipt_id: int) -> ExpectedReceipt:
    expected = session.scalars(select(ExpectedReceipt).where(ExpectedReceipt.id == expected_receipt_id,
                                                             ExpectedReceipt.school_id == principal.school_id,
                                                             for_own_hall(session, principal))).first()
    if expected is None:
        raise NotFound("No expected receipt {expected_receipt_id}", expected_receipt_id=expected_receipt_id)
    return expected


def delivery_notes_of(session: Session, expected: ExpectedReceipt) -> list[DeliveryNote]:
    return _delivery_notes_by_order(session, [expected])[expected.school_id, expected.po_id]


def with_delivery_notes(session: Session, expected_receipts: list[ExpectedReceipt]) -> list[ExpectedReceipt]:
    """Each expected receipt with the delivery notes of its order as `delivery_notes`, read in one query
    for a whole page."""
    notes = _delivery_notes_by_order(session, expected_receipts)
    for expected in expected_receipts:
        expected.delivery_notes = notes[expected.school_id, expected.po_id]
    return expected_receipts


def _delivery_notes_by_order(session: Session, expected_receipts: list[ExpectedReceipt]
                             ) -> dict[tuple[int, int], list[DeliveryNote]]:
    notes: dict[tuple[int, int], list[DeliveryNote]] = defaultdict(list)
    if expected_receipts:
        for note in session.scalars(select(DeliveryNote).where(
                DeliveryNote.school_id.in_({expected.school_id for expected in expected_receipts}),
                DeliveryNote.po_id.in_({expected.po_id for expected in expected_receipts})).order_by(DeliveryNote.id)):
            notes[note.school_id, note.po_id].append(note)
    return notes


def notes_awaiting_inspection(session: Session, expected: ExpectedReceipt) -> list[DeliveryNote]:
    """The order's delivery notes with a line not yet inspected (a note may go to two dining halls)."""
    inspected = set(session.execute(
        select(Inspection.delivery_note_id, InspectionLine.po_line_id)
        .join(InspectionLine, InspectionLine.inspection_id == Inspection.id)
        .where(Inspection.expected_receipt_id == expected.id, Inspection.delivery_note_id.is_not(None))).all())
    return [note for note in delivery_notes_of(session, expected)
            if any((note.delivery_note_id, line.po_line_id) not in inspected for line in note.lines)]


def _check_line(index: int, data: dict, ordered: ExpectedReceiptLine | None, today: date):
    """The line's expiry date, after the rules of the inspection; raises InvalidInput naming the field."""
    field = f"lines.{index}"
    if ordered is None:
        raise InvalidInput(f"{field}.po_line_id", "line {line} is not on this order", line=data["po_line_id"])
    accepted, rejected = data["accepted_quantity"], data["rejected_quantity"]
    if accepted + rejected <= 0:
        raise InvalidInput(f"{field}.accepted_quantity", "nothing accepted and nothing rejected")
    if rejected > 0 and not data.get("rejection_reason"):
        raise InvalidInput(f"{field}.rejection_reason", "say why goods are rejected")
    outstanding = ordered.quantity - ordered.accepted_quantity
    if accepted > outstanding:
        raise InvalidInput(f"{field}.accepted_quantity", "only {outstanding} is still expected on this line",
                           outstanding=outstanding)
    production_date = data.get("production_date")
    if production_date is not None and production_date > today:
        raise InvalidInput(f"{field}.production_date", "the production date is in the future")
    shelf_life = data.get("shelf_life_days") or ordered.item.shelf_life_days
    expiry = data.get("expiry_date") or (production_date + timedelta(days=shelf_life)
                                         if production_date is not None and shelf_life else None)
    if accepted > 0:
        if production_date is None:
            raise InvalidInput(f"{field}.production_date", "accepted goods need their production date")
        if expiry is not None and expiry < production_date:
            raise InvalidInput(f"{field}.expiry_date", "the expiry date is before the production date")
        if is_expired(expiry, today):
            raise InvalidInput(f"{field}.accepted_quantity",
                               "the goods expired on {expiry}: expired goods are refused, reject them", expiry=expiry)
    return expiry


def inspect_delivery(session: Session, principal: Principal, expected_receipt_id: int, lines: list[dict],
                     inspectors: list[str], documents_checked: list[str], today: date,
                     delivery_note_id: int | None = None, received_at: datetime | None = None) -> Inspection:
    expected = get_expected_receipt(session, principal, expected_receipt_id)
    if expected.cancelled_at is not None:
        raise Conflict("Order {po_number} was cancelled: {cancel_reason}",
                       po_number=expected.po_number or expected.po_id, cancel_reason=expected.cancel_reason)
    if expected.closed_at is not None:
        raise Conflict("Order {po_number} was closed: {close_reason}",
                       po_number=expected.po_number, close_reason=expected.close_reason)
    note = None
    if delivery_note_id is not None:
        note = session.scalars(select(DeliveryNote).where(DeliveryNote.delivery_note_id == delivery_note_id,
                                                          DeliveryNote.po_id == expected.po_id,
                                                          DeliveryNote.school_id == expected.school_id)).first()
        if note is None:
            raise InvalidInput("delivery_note_id", "no delivery note {delivery_note_id} for this order",
                               delivery_note_id=delivery_note_id)
        # A note's line is inspected once: recording it again would post its goods twice.
        again = sorted(set(session.scalars(
            select(InspectionLine.po_line_id).join(Inspection, Inspection.id == InspectionLine.inspection_id)
            .where(Inspection.expected_receipt_id == expected.id, Inspection.delivery_note_id == delivery_note_id,
                   InspectionLine.po_line_id.in_([data["po_line_id"] for data in lines])))))
        if again:
            raise Conflict("Delivery note {note} was already inspected for order lines {lines}",
                           note=note.number, lines=", ".join(map(str, again)))
    ordered = {line.po_line_id: line for line in expected.lines}
    seen, checked = set(), []
    for index, data in enumerate(lines):
        if data["po_line_id"] in seen:
            raise InvalidInput(f"lines.{index}.po_line_id", "the line is inspected twice")
        seen.add(data["po_line_id"])
        order_line = ordered.get(data["po_line_id"])
        checked.append((data, order_line, _check_line(index, data, order_line, today)))
    destinations = {order_line.destination for _, order_line, _ in checked}
    if len(destinations) > 1:
        raise InvalidInput("lines", "the lines go to {destinations}: inspect one location at a time",
                           destinations=", ".join(sorted(destinations)))
    location = session.scalars(select(Location).where(Location.school_id == expected.school_id,
                                                      Location.code == destinations.pop())).first()
    if location is None:
        raise InvalidInput("lines", "the order's destination is not a location of this school")
    may_act_at(session, principal, location.id)
    if len(set(inspectors)) < 2 and any(is_bulk_commodity(line.item) for _, line, _ in checked):
        raise InvalidInput("inspectors", "bulk commodities (rice, flour, cooking oil, coal) need two inspectors")
    accepting = any(data["accepted_quantity"] > 0 for data, _, _ in checked)
    missing = REQUIRED_DOCUMENTS - set(documents_checked)
    if accepting and missing:
        raise InvalidInput("documents_checked", "goods are accepted only with {missing} checked",
                           missing=", ".join(sorted(missing)))

    inspection = Inspection(school_id=expected.school_id, expected_receipt_id=expected.id,
                            delivery_note_id=delivery_note_id, location_id=location.id,
                            supplier_id=expected.supplier_id, received_at=received_at or utcnow(),
                            inspectors=list(inspectors), documents_checked=sorted(set(documents_checked)),
                            recorded_by=principal.user_id)
    session.add(inspection)
    session.flush()
    source = Source("inspection", inspection.id, principal.user_id, utcnow())
    positions = lock_positions(session, expected.school_id, [(line.item_id, location.id) for data, line, _ in checked
                                                             if data["accepted_quantity"] > 0], create=True)
    accepted = [(index, data, order_line, expiry) for index, (data, order_line, expiry) in enumerate(checked)
                if data["accepted_quantity"] > 0]
    lots = dict(zip((index for index, *_ in accepted), find_or_make_lots(
        session.connection(), expected.school_id, expected.supplier_id, note.number if note else expected.po_number,
        [LotWanted(order_line.item_id, data["lot_number"], data["production_date"], expiry, f"lines.{index}")
         for index, data, order_line, expiry in accepted]), strict=True))
    movements = []
    for index, (data, order_line, expiry) in enumerate(checked):
        lot = lots.get(index)
        if lot is not None:
            movements.append(post_inbound(
                session, positions[(order_line.item_id, location.id)], lot, "receipt", data["accepted_quantity"],
                receipt_value(data["accepted_quantity"], order_line.unit_price), source))
        order_line.accepted_quantity += data["accepted_quantity"]
        order_line.rejected_quantity += data["rejected_quantity"]
        inspection.lines.append(InspectionLine(
            po_line_id=order_line.po_line_id, item_id=order_line.item_id, accepted_quantity=data["accepted_quantity"],
            rejected_quantity=data["rejected_quantity"], rejection_reason=data.get("rejection_reason") or "",
            lot_id=lot.id if lot else None, lot_number=data.get("lot_number") or "",
            production_date=data.get("production_date"), shelf_life_days=data.get("shelf_life_days"),
            expiry_date=expiry, unit_price=order_line.unit_price))
    session.flush()
    emit(session, "goods.received", {
        "receipt_id": inspection.id, "po_id": expected.po_id, "supplier_id": expected.supplier_id,
        "school_id": expected.school_id, "delivery_note_id": delivery_note_id, "location_code": location.code,
        "received_at": inspection.received_at, "inspectors": list(inspectors),
        "lines": [{"po_line_id": line.po_line_id, "item_id": line.item_id,
                   "accepted_quantity": line.accepted_quantity, "rejected_quantity": line.rejected_quantity,
                   "rejection_reason": line.rejection_reason, "lot_number": line.lot_number,
                   "production_date": line.production_date, "expiry_date": line.expiry_date}
                  for line in inspection.lines],
    })
    set_committed_value(inspection, "movements", movements)
    return inspection

"""Delivering an acknowledged order: delivery notes with lots, then the school's inspection (goods.received).

What is still to deliver on an order line is what was ordered, less what the school accepted,
less what is on its way (notes dispatched and not yet inspected); rejected goods are to be
delivered again. The order row is locked while a note is written, so two notes at once
cannot together exceed the order.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.auth import Principal
from shared.errors import Conflict, InvalidInput
from shared.events import NotYetKnown, emit
from shared.pagination import Page, paginate
from shared.statemachine import StateMachine

from .isolation import get_visible, visible
from .models import (
    Audit,
    DeliveryNote,
    DeliveryNoteLine,
    GoodsReceipt,
    GoodsReceiptLine,
    Invoice,
    InvoiceLine,
    PurchaseOrder,
)
from .notifications import notify_if_registered

log = logging.getLogger(__name__)
ZERO = Decimal("0.000")
# A note whose lines go to two dining halls is inspected hall by hall: partly inspected until every line is.
DELIVERY_STATUS = StateMachine("delivery note", {
    "inspect_part": {"dispatched": "partially_inspected", "partially_inspected": "partially_inspected"},
    "inspect": {"dispatched": "inspected", "partially_inspected": "inspected"},
}, Audit)
OPEN_NOTE_STATUSES = ("dispatched", "partially_inspected")


@dataclass
class LineProgress:
    ordered: Decimal
    accepted: Decimal = ZERO
    rejected: Decimal = ZERO
    in_transit: Decimal = ZERO
    invoiced: Decimal = ZERO

    @property
    def to_deliver(self) -> Decimal:
        return max(ZERO, self.ordered - self.accepted - self.in_transit)

    @property
    def to_invoice(self) -> Decimal:
        return self.accepted - self.invoiced


def progress(session: Session, order: PurchaseOrder) -> dict[int, LineProgress]:
    """Per PO line: ordered, accepted, rejected, on its way, invoiced (disputed invoices do not count)."""
    lines = {line.po_line_id: LineProgress(line.quantity) for line in order.lines}

    def add(attribute: str, statement) -> None:
        for po_line_id, amount in session.execute(statement):
            if po_line_id in lines and amount is not None:
                setattr(lines[po_line_id], attribute, getattr(lines[po_line_id], attribute) + amount)

    received = (select(GoodsReceiptLine.po_line_id, func.sum(GoodsReceiptLine.accepted_quantity),
                       func.sum(GoodsReceiptLine.rejected_quantity))
                .join(GoodsReceipt).where(GoodsReceipt.order_id == order.id).group_by(GoodsReceiptLine.po_line_id))
    for po_line_id, accepted, rejected in session.execute(received):
        if po_line_id in lines:
            lines[po_line_id].accepted, lines[po_line_id].rejected = accepted, rejected
    inspected_on_its_note = (select(GoodsReceiptLine.id).join(GoodsReceipt).where(
        GoodsReceipt.delivery_note_id == DeliveryNote.id, GoodsReceiptLine.po_line_id == DeliveryNoteLine.po_line_id)
        .exists())
    add("in_transit", select(DeliveryNoteLine.po_line_id, func.sum(DeliveryNoteLine.quantity)).join(DeliveryNote)
        .where(DeliveryNote.order_id == order.id, DeliveryNote.status.in_(OPEN_NOTE_STATUSES),
               ~inspected_on_its_note)
        .group_by(DeliveryNoteLine.po_line_id))
    add("invoiced", select(InvoiceLine.po_line_id, func.sum(InvoiceLine.quantity)).join(Invoice)
        .where(Invoice.order_id == order.id, Invoice.status != "disputed").group_by(InvoiceLine.po_line_id))
    return lines


def with_progress(session: Session, order: PurchaseOrder) -> PurchaseOrder:
    """The order with each line's progress attached for display."""
    figures = progress(session, order)
    for line in order.lines:
        line.progress = figures[line.po_line_id]
    return order


def create_delivery_note(session: Session, principal: Principal, order_id: int, planned_at: datetime,
                         lines: list[dict], today: date) -> DeliveryNote:
    order = get_visible(session, PurchaseOrder, order_id, principal, for_update=True)
    if order.status != "acknowledged":
        raise Conflict("A delivery note needs an acknowledged order; {order} is {status}",
                       order=order.number, status=order.status)
    figures = progress(session, order)
    order_lines = {line.po_line_id: line for line in order.lines}
    wanted: dict[int, Decimal] = {}
    for index, line in enumerate(lines):
        field = f"lines.{index}"
        if line["po_line_id"] not in order_lines:
            raise InvalidInput(field, "names no line of order {order}", order=order.number)
        if line["production_date"] > today:
            raise InvalidInput(field, "the production date is in the future")
        if line.get("expiry_date") is not None and line["expiry_date"] < max(line["production_date"],
                                                                              planned_at.date()):
            raise InvalidInput(field, "expired goods cannot be delivered: the expiry date is before delivery")
        wanted[line["po_line_id"]] = wanted.get(line["po_line_id"], ZERO) + line["quantity"]
    for po_line_id, quantity in wanted.items():
        remaining = figures[po_line_id].to_deliver
        if quantity > remaining:
            raise Conflict("{item}: {quantity} {unit} is more than the {remaining} still to deliver",
                           item=order_lines[po_line_id].item_name, quantity=quantity, unit=order_lines[po_line_id].unit,
                           remaining=remaining)
    sequence = session.scalar(select(func.count()).select_from(DeliveryNote)
                              .where(DeliveryNote.order_id == order.id)) + 1
    note = DeliveryNote(
        number=f"DN-{order.number}-{sequence:02d}", order_id=order.id, po_id=order.po_id, school_id=order.school_id,
        supplier_id=order.supplier_id, planned_at=planned_at, status="dispatched", created_by=principal.user_id,
        lines=[DeliveryNoteLine(po_line_id=line["po_line_id"], item_id=order_lines[line["po_line_id"]].item_id,
                                quantity=line["quantity"], lot_number=line["lot_number"],
                                production_date=line["production_date"], expiry_date=line.get("expiry_date"),
                                certificate_ref=line.get("certificate_ref") or "") for line in lines])
    session.add(note)
    session.flush()
    note.receipts  # noqa: B018  (loaded now: the view shows the new note after its unit of work)
    emit(session, "delivery.dispatched", {
        "delivery_note_id": note.id, "po_id": order.po_id, "supplier_id": order.supplier_id,
        "school_id": order.school_id, "number": note.number, "planned_at": planned_at,
        "lines": [{"po_line_id": line.po_line_id, "item_id": line.item_id, "quantity": line.quantity,
                   "lot_number": line.lot_number, "production_date": line.production_date,
                   "expiry_date": line.expiry_date, "certificate_ref": line.certificate_ref}
                  for line in note.lines]})
    return note


def list_delivery_notes(session: Session, principal: Principal, page: int, per_page: int,
                        order_id: int | None = None, status: str | None = None) -> Page:
    query = visible(select(DeliveryNote), DeliveryNote, principal)
    if order_id is not None:
        query = query.where(DeliveryNote.order_id == order_id)
    if status is not None:
        query = query.where(DeliveryNote.status == status)
    return paginate(session, query.order_by(DeliveryNote.id.desc()), page, per_page)


def get_delivery_note(session: Session, principal: Principal, note_id: int) -> DeliveryNote:
    return get_visible(session, DeliveryNote, note_id, principal)


def receive_goods(session: Session, payload: dict) -> GoodsReceipt | None:
    """Record the school's inspection on the order and on the delivery note it names (once per receipt)."""
    if session.scalar(select(GoodsReceipt.id).where(GoodsReceipt.receipt_id == payload["receipt_id"])):
        return None
    order = session.scalar(select(PurchaseOrder).where(PurchaseOrder.po_id == payload["po_id"]))
    if order is None:
        raise NotYetKnown(f"order {payload['po_id']} has not arrived yet")
    note = None
    if payload.get("delivery_note_id") is not None:
        note = session.get(DeliveryNote, payload["delivery_note_id"])
        if note is None or note.order_id != order.id:
            # Inventory named a note of another order: keep the inspection on the order only.
            log.warning("receipt %s names delivery note %s, which is not of order %s",
                        payload["receipt_id"], payload["delivery_note_id"], order.po_id)
            note = None
    receipt = GoodsReceipt(
        receipt_id=payload["receipt_id"], order_id=order.id, delivery_note_id=note.id if note else None,
        school_id=order.school_id, supplier_id=order.supplier_id, location_code=payload["location_code"],
        received_at=payload["received_at"], inspectors=list(payload["inspectors"]),
        lines=[GoodsReceiptLine(po_line_id=line["po_line_id"], item_id=line["item_id"],
                                accepted_quantity=line["accepted_quantity"],
                                rejected_quantity=line["rejected_quantity"],
                                rejection_reason=line.get("rejection_reason") or "",
                                lot_number=line.get("lot_number") or "", production_date=line.get("production_date"),
                                expiry_date=line.get("expiry_date")) for line in payload["lines"]])
    session.add(receipt)
    session.flush()
    if note is not None:
        session.expire(note, ["receipts"])
        action = "inspect" if all(line["inspected"] for line in note.line_results) else "inspect_part"
        if DELIVERY_STATUS.can(note, action):
            DELIVERY_STATUS.apply(session, note, action, "inventory", f"receipt {receipt.receipt_id}")
            session.flush()
    rejected = [line for line in receipt.lines if line.rejected_quantity > 0]
    if rejected:
        reasons = "; ".join(f"{line.rejected_quantity} rejected: {line.rejection_reason or 'no reason given'}"
                            for line in rejected)
        notify_if_registered(session, order.supplier_id, "delivery_rejected", f"receipt:{receipt.receipt_id}",
                             number=order.number, reasons=reasons)
    return receipt

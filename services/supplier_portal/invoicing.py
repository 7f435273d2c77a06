"""Invoices against what the school accepted, and what procurement made of them (matched, disputed, paid).

An invoice line may claim at most the accepted quantity of its PO line not yet on another
invoice (a disputed invoice frees what it claimed). The order row is locked while an invoice
is written (FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers),
so two invoices sent at once never together claim more than was accepted.
"""
from __future__ import annotations

import logging
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.auth import Principal
from shared.errors import Conflict, InvalidInput
from shared.events import NotYetKnown, emit
from shared.money import money
from shared.pagination import Page, paginate
from shared.statemachine import StateMachine

from .fulfilment import ZERO, progress
from .isolation import get_visible, visible
from .models import Audit, GoodsReceipt, GoodsReceiptLine, Invoice, InvoiceLine, Payment, PurchaseOrder
from .notifications import notify_if_registered

log = logging.getLogger(__name__)
PAID_FROM = {"submitted": "paid", "matched": "paid", "partially_paid": "paid"}
INVOICE_STATUS = StateMachine("invoice", {
    "match": {"submitted": "matched"},
    "dispute": {"submitted": "disputed", "matched": "disputed"},
    # Procurement pays only matched invoices, but its events may overtake one another.
    "pay_part": {"submitted": "partially_paid", "matched": "partially_paid", "partially_paid": "partially_paid"},
    "pay": PAID_FROM,
}, Audit)


def submit_invoice(session: Session, principal: Principal, order_id: int, invoice_number: str, issued_on: date,
                   lines: list[dict], today: date, now: datetime) -> Invoice:
    order = get_visible(session, PurchaseOrder, order_id, principal, for_update=True)
    if order.status == "closed":
        raise Conflict("Order {order} is closed: nothing more is invoiced against it", order=order.number)
    if issued_on > today:
        raise InvalidInput("issued_on", "must not be in the future")
    if session.scalar(select(func.count()).select_from(Invoice).where(
            Invoice.supplier_id == order.supplier_id, Invoice.invoice_number == invoice_number)):
        raise Conflict("Invoice number {invoice_number} was already submitted", invoice_number=invoice_number)
    figures = progress(session, order)
    order_lines = {line.po_line_id: line for line in order.lines}
    claimed: dict[int, Decimal] = {}
    invoice_lines = []
    for index, line in enumerate(lines):
        order_line = order_lines.get(line["po_line_id"])
        if order_line is None:
            raise InvalidInput(f"lines.{index}", "names no line of order {order}", order=order.number)
        claimed[order_line.po_line_id] = claimed.get(order_line.po_line_id, ZERO) + line["quantity"]
        unit_price = line.get("unit_price")
        unit_price = order_line.unit_price if unit_price is None else unit_price
        invoice_lines.append(InvoiceLine(po_line_id=order_line.po_line_id, item_id=order_line.item_id,
                                         quantity=line["quantity"], unit_price=unit_price,
                                         amount=money(line["quantity"] * unit_price)))
    for po_line_id, quantity in claimed.items():
        open_quantity = figures[po_line_id].to_invoice
        if quantity > open_quantity:
            raise Conflict("{item}: {quantity} {unit} is more than the {open_quantity} accepted and not yet invoiced",
                           item=order_lines[po_line_id].item_name, quantity=quantity, unit=order_lines[po_line_id].unit,
                           open_quantity=open_quantity)
    invoice = Invoice(invoice_number=invoice_number, order_id=order.id, po_id=order.po_id, school_id=order.school_id,
                      supplier_id=order.supplier_id, issued_on=issued_on, status="submitted", submitted_at=now,
                      submitted_by=principal.user_id, paid_amount=Decimal("0.00"), lines=invoice_lines, payments=[],
                      total=sum((line.amount for line in invoice_lines), Decimal("0.00")))
    session.add(invoice)
    session.flush()
    covered = sorted(set(session.scalars(select(GoodsReceipt.receipt_id).join(GoodsReceiptLine).where(
        GoodsReceipt.order_id == order.id, GoodsReceiptLine.po_line_id.in_(claimed)))))
    emit(session, "invoice.submitted", {
        "invoice_id": invoice.id, "po_id": order.po_id, "supplier_id": order.supplier_id,
        "school_id": order.school_id, "invoice_number": invoice_number, "issued_on": issued_on,
        "total": invoice.total, "submitted_at": now, "receipt_ids": covered,
        "lines": [{"po_line_id": line.po_line_id, "quantity": line.quantity, "unit_price": line.unit_price}
                  for line in invoice.lines]})
    return invoice


def list_invoices(session: Session, principal: Principal, page: int, per_page: int, order_id: int | None = None,
                  status: str | None = None) -> Page:
    query = visible(select(Invoice), Invoice, principal)
    if order_id is not None:
        query = query.where(Invoice.order_id == order_id)
    if status is not None:
        query = query.where(Invoice.status == status)
    return paginate(session, query.order_by(Invoice.id.desc()), page, per_page)


def get_invoice(session: Session, principal: Principal, invoice_id: int) -> Invoice:
    return get_visible(session, Invoice, invoice_id, principal)


def _invoice_of(session: Session, payload: dict) -> Invoice | None:
    invoice = session.get(Invoice, payload["invoice_id"])
    if invoice is None:
        raise NotYetKnown(f"invoice {payload['invoice_id']} is unknown")
    if invoice.supplier_id != payload["supplier_id"] or invoice.po_id != payload["po_id"]:
        log.error("event for invoice %s names supplier %s and order %s; ignored", invoice.id,
                  payload["supplier_id"], payload["po_id"])
        return None
    return invoice


def record_match(session: Session, payload: dict) -> None:
    invoice = _invoice_of(session, payload)
    if invoice is None or not INVOICE_STATUS.can(invoice, "match"):
        return
    INVOICE_STATUS.apply(session, invoice, "match", "procurement")
    invoice.matched_amount, invoice.matched_at = payload["amount"], payload["matched_at"]
    session.flush()
    notify_if_registered(session, invoice.supplier_id, "invoice_matched", f"invoice_matched:{invoice.id}",
                         number=invoice.invoice_number, amount=invoice.matched_amount)


def record_dispute(session: Session, payload: dict) -> None:
    invoice = _invoice_of(session, payload)
    if invoice is None or not INVOICE_STATUS.can(invoice, "dispute"):
        return
    reasons = list(payload["reasons"])
    INVOICE_STATUS.apply(session, invoice, "dispute", "procurement", "; ".join(reasons))
    invoice.dispute_reasons, invoice.disputed_at = reasons, payload["disputed_at"]
    session.flush()
    notify_if_registered(session, invoice.supplier_id, "invoice_disputed", f"invoice_disputed:{invoice.id}",
                         number=invoice.invoice_number, reasons="; ".join(reasons))


def record_payment(session: Session, payload: dict) -> None:
    invoice = _invoice_of(session, payload)
    if invoice is None or session.scalar(select(Payment.id).where(Payment.payment_id == payload["payment_id"])):
        return
    session.add(Payment(payment_id=payload["payment_id"], invoice_id=invoice.id, supplier_id=invoice.supplier_id,
                        amount=payload["amount"], paid_on=payload["paid_on"], reference=payload.get("reference") or ""))
    invoice.paid_amount += payload["amount"]
    action = "pay" if invoice.paid_amount >= invoice.total else "pay_part"
    if INVOICE_STATUS.can(invoice, action):
        INVOICE_STATUS.apply(session, invoice, action, "procurement", f"payment {payload['payment_id']}")
    session.flush()
    notify_if_registered(session, invoice.supplier_id, "payment_recorded", f"payment:{payload['payment_id']}",
                         number=invoice.invoice_number, amount=payload["amount"])

"""Invoices matched three ways on arrival, and the payments finance records against them."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from shared.auth import Principal
from shared.db import utcnow
from shared.errors import Conflict, InvalidInput, NotFound
from shared.events import NotYetKnown, emit
from shared.money import money
from shared.pagination import Page, paginate
from shared.statemachine import StateMachine

from . import workflow
from .demand import SYSTEM
from .matching import LineToMatch, Tolerances, match
from .models import Audit, GoodsReceipt, Invoice, InvoiceLine, MatchingTolerance, Payment, PurchaseOrder
from .orders import close_order

# matched or disputed on arrival; a disputed invoice is replaced by the supplier's corrected one. Finance
# may still dispute a matched invoice before paying any of it (the portal takes matched → disputed).
INVOICE = StateMachine("invoice", {"pay_in_full": {"matched": "paid"}, "dispute": {"matched": "disputed"}}, Audit,
                       state_attribute="state")

# an invoice is matched only against an order whose goods have (at least partly) arrived
RECEIVING_STATES = ("sent", "acknowledged", "partially_received", "received", "closed")
# The portal may hear of a receipt (goods.received) before we do: an invoice naming a receipt we have
# not applied waits for it this long after it was submitted, then is disputed for it.
RECEIPT_WAIT = timedelta(minutes=30)


def tolerances_for(session: Session, school_id: int) -> Tolerances:
    row = session.scalar(select(MatchingTolerance).where(MatchingTolerance.school_id == school_id))
    return Tolerances(row.price, row.quantity) if row else Tolerances()


def set_tolerances(session: Session, principal: Principal, price: Decimal, quantity: Decimal) -> Tolerances:
    if not Decimal(0) <= price <= Decimal("0.1"):
        raise InvalidInput("price", "a fraction from 0 to 0.1 (10 %)")
    row = session.scalar(select(MatchingTolerance).where(MatchingTolerance.school_id == principal.school_id))
    if row is None:
        row = MatchingTolerance(school_id=principal.school_id)
        session.add(row)
    row.price, row.quantity = price, quantity
    session.flush()
    return Tolerances(price, quantity)


def _already_invoiced(session: Session, order: PurchaseOrder) -> dict[int, Decimal]:
    """Quantities per order line on this order's earlier invoices that were not disputed."""
    totals: dict[int, Decimal] = defaultdict(Decimal)
    rows = session.execute(select(InvoiceLine.po_line_id, InvoiceLine.quantity).join(Invoice).where(
        Invoice.order_id == order.id, Invoice.state.in_(("matched", "paid"))))
    for po_line_id, quantity in rows:
        totals[po_line_id] += quantity
    return totals


def _receipts_not_applied(session: Session, order: PurchaseOrder, receipt_ids: list[int]) -> list[int]:
    applied = set(session.scalars(select(GoodsReceipt.receipt_id).where(GoodsReceipt.order_id == order.id,
                                                                         GoodsReceipt.receipt_id.in_(receipt_ids))))
    return sorted(set(receipt_ids) - applied)


def receive_invoice(session: Session, payload: dict) -> Invoice | None:
    """invoice.submitted: record the invoice, match it, and tell the supplier the outcome.

    Raises NotYetKnown (the event is retried) while a receipt the invoice covers has not reached
    us and RECEIPT_WAIT has not passed since the invoice was submitted.
    """
    if session.scalar(select(Invoice.id).where(Invoice.portal_invoice_id == payload["invoice_id"])) is not None:
        return None
    order = session.scalar(select(PurchaseOrder).where(PurchaseOrder.id == payload["po_id"])
                           .options(selectinload(PurchaseOrder.lines)).with_for_update())
    if order is None or order.supplier_id != payload["supplier_id"] or order.school_id != payload["school_id"]:
        return None
    missing = _receipts_not_applied(session, order, payload["receipt_ids"])
    if missing and utcnow() - payload["submitted_at"] < RECEIPT_WAIT:
        raise NotYetKnown(f"invoice {payload['invoice_id']} covers receipts {missing} not yet applied to "
                          f"{order.number}")
    invoice = Invoice(school_id=order.school_id, portal_invoice_id=payload["invoice_id"], order=order,
                      supplier_id=order.supplier_id, invoice_number=payload["invoice_number"],
                      issued_on=payload["issued_on"], total=payload["total"], paid_amount=Decimal("0.00"),
                      received_at=utcnow(), version=1, state="disputed", reasons=[])
    invoice.lines = [InvoiceLine(po_line_id=line["po_line_id"], quantity=line["quantity"],
                                 unit_price=line["unit_price"]) for line in payload["lines"]]
    reasons = []
    if missing:
        reasons.append(f"receipts {', '.join(map(str, missing))} that the invoice covers had not reached procurement "
                       f"{int(RECEIPT_WAIT.total_seconds() // 60)} minutes after it was submitted")
    if order.state not in RECEIVING_STATES:
        reasons.append(f"{order.number} is {order.state}: nothing on it can be invoiced")
    by_id = {line.id: line for line in order.lines}
    earlier = _already_invoiced(session, order)
    invoiced_here: dict[int, Decimal] = defaultdict(Decimal)
    to_match = []
    for line in payload["lines"]:
        po_line = by_id.get(line["po_line_id"])
        if po_line is None:
            reasons.append(f"line {line['po_line_id']} is not on {order.number}")
            continue
        invoiced_here[po_line.id] += line["quantity"]
        to_match.append((po_line, line["unit_price"]))
    for po_line, unit_price in to_match:
        to_match_line = LineToMatch(f"{order.number} line {po_line.line_no}", po_line.unit_price,
                                    po_line.received_quantity, earlier[po_line.id] + invoiced_here[po_line.id],
                                    unit_price)
        reasons.extend(r for r in match([to_match_line], tolerances_for(session, order.school_id)) if r not in reasons)
    computed = sum((money(line["quantity"] * line["unit_price"]) for line in payload["lines"]), Decimal("0.00"))
    if computed != payload["total"]:
        reasons.append(f"the invoice total {payload['total']} is not the sum of its lines, {computed}")
    invoice.state, invoice.reasons = ("disputed", reasons) if reasons else ("matched", [])
    session.add(invoice)
    session.flush()
    if reasons:
        emit(session, "invoice.disputed", {"invoice_id": invoice.portal_invoice_id, "po_id": order.id,
                                           "supplier_id": order.supplier_id, "reasons": reasons,
                                           "disputed_at": utcnow()})
    else:
        emit(session, "invoice.matched", {"invoice_id": invoice.portal_invoice_id, "po_id": order.id,
                                          "supplier_id": order.supplier_id, "amount": invoice.total,
                                          "matched_at": utcnow()})
        invoiced = _already_invoiced(session, order)
        if order.state == "received" and all(invoiced[line.id] >= line.received_quantity for line in order.lines):
            close_order(session, order, SYSTEM, "fully received and invoiced")
    return invoice


LOAD_INVOICE = (selectinload(Invoice.lines), selectinload(Invoice.payments), selectinload(Invoice.order))


def get_invoice(session: Session, principal: Principal, invoice_id: int, for_update: bool = False) -> Invoice:
    query = select(Invoice).where(Invoice.id == invoice_id, Invoice.school_id == principal.school_id)
    if for_update:
        query = query.with_for_update()
    invoice = session.scalar(query.options(*LOAD_INVOICE).execution_options(populate_existing=True))
    if invoice is None:
        raise NotFound("No such invoice")
    return invoice


def list_invoices(session: Session, principal: Principal, state: str | None = None, order_id: int | None = None,
                  page: int = 1, per_page: int = 50) -> Page:
    query = select(Invoice).where(Invoice.school_id == principal.school_id)
    if state:
        query = query.where(Invoice.state == state)
    if order_id is not None:
        query = query.where(Invoice.order_id == order_id)
    return paginate(session, query.options(*LOAD_INVOICE).order_by(Invoice.id.desc()), page, per_page)


def dispute_invoice(session: Session, principal: Principal, invoice_id: int, reason: str | None) -> Invoice:
    """Finance disputes a matched invoice it has not paid, saying why; the supplier is told (invoice.disputed)."""
    if not (reason or "").strip():
        raise InvalidInput("reason", "say why the invoice is disputed")
    invoice = get_invoice(session, principal, invoice_id, for_update=True)
    if invoice.paid_amount > 0:
        raise Conflict("{paid_amount} was paid on this invoice already: it is no longer disputed",
                       paid_amount=invoice.paid_amount)
    workflow.apply(session, INVOICE, invoice, "dispute", principal.user_id, reason.strip())
    invoice.reasons = [*invoice.reasons, reason.strip()]
    session.flush()
    emit(session, "invoice.disputed", {"invoice_id": invoice.portal_invoice_id, "po_id": invoice.order_id,
                                       "supplier_id": invoice.supplier_id, "reasons": invoice.reasons,
                                       "disputed_at": utcnow()})
    return invoice


def record_payment(session: Session, principal: Principal, invoice_id: int, amount: Decimal, paid_on: date,
                   reference: str = "") -> Payment:
    """Finance pays a matched invoice, in one or several payments, never beyond its total."""
    invoice = get_invoice(session, principal, invoice_id, for_update=True)
    if invoice.state != "matched":
        raise Conflict("A {state} invoice cannot be paid", state=invoice.state)
    if amount <= 0:
        raise InvalidInput("amount", "must be positive")
    if invoice.paid_amount + amount > invoice.total:
        raise Conflict("Only {total} is left to pay on this invoice", total=invoice.total - invoice.paid_amount)
    payment = Payment(school_id=invoice.school_id, invoice=invoice, amount=amount, paid_on=paid_on,
                      reference=reference, recorded_by=principal.user_id, recorded_at=utcnow())
    session.add(payment)
    invoice.paid_amount += amount
    invoice.version += 1
    session.flush()
    if invoice.paid_amount == invoice.total:
        workflow.apply(session, INVOICE, invoice, "pay_in_full", principal.user_id, f"payment {payment.id}")
    emit(session, "payment.recorded", {"payment_id": payment.id, "invoice_id": invoice.portal_invoice_id,
                                       "po_id": invoice.order_id, "supplier_id": invoice.supplier_id,
                                       "amount": amount, "paid_on": paid_on, "reference": reference})
    return payment

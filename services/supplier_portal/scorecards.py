"""Supplier scorecards (供应商考核) and the evaluation-and-exit rule.

For one school, supplier and period: deliveries inspected; the on-time rate (a delivery is on
time when received, in the school's calendar, by the earliest delivery date of the order lines
it carried); the acceptance rate (accepted ÷ delivered); price compliance (invoice lines at or
below the order price); disputes (invoices disputed); and staff's rating. A supplier rated
unsatisfactory by a school in two consecutive periods is suspended (DESIGN.md §5); the
scorecards stay as its history.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.auth import Principal
from shared.errors import Conflict, InvalidInput
from shared.pagination import Page, paginate

from .approval import transition
from .isolation import get_visible, visible
from .models import GoodsReceipt, Invoice, PurchaseOrder, Scorecard, Supplier

RATINGS = ("satisfactory", "unsatisfactory")
EVALUATION = "evaluation"
PERCENT = Decimal("0.001")


def _percent(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(PERCENT, rounding=ROUND_HALF_UP)


def measure(session: Session, school_id: int, supplier_id: int, start: date, end: date, timezone: str) -> dict:
    """The measured figures of a period (dates inclusive, in the school's calendar)."""
    zone = ZoneInfo(timezone)
    since = datetime.combine(start, time.min, zone)
    until = datetime.combine(end + timedelta(days=1), time.min, zone)
    receipts = list(session.scalars(select(GoodsReceipt).where(
        GoodsReceipt.school_id == school_id, GoodsReceipt.supplier_id == supplier_id,
        GoodsReceipt.received_at >= since, GoodsReceipt.received_at < until)))
    on_time = accepted = inspected = 0
    for receipt in receipts:
        due = {line.po_line_id: line.delivery_date for line in receipt.order.lines}
        dates = [due[line.po_line_id] for line in receipt.lines if line.po_line_id in due]
        if dates and receipt.received_at.astimezone(zone).date() <= min(dates):
            on_time += 1
        accepted += sum((line.accepted_quantity for line in receipt.lines), Decimal(0))
        inspected += sum((line.accepted_quantity + line.rejected_quantity for line in receipt.lines), Decimal(0))
    invoices = list(session.scalars(select(Invoice).where(
        Invoice.school_id == school_id, Invoice.supplier_id == supplier_id,
        Invoice.issued_on >= start, Invoice.issued_on <= end)))
    compliant = priced = 0
    for invoice in invoices:
        order = session.get(PurchaseOrder, invoice.order_id)
        ordered_price = {line.po_line_id: line.unit_price for line in order.lines}
        for line in invoice.lines:
            if line.po_line_id in ordered_price:
                priced += 1
                compliant += line.unit_price <= ordered_price[line.po_line_id]
    disputes = session.scalar(select(func.count()).select_from(Invoice).where(
        Invoice.school_id == school_id, Invoice.supplier_id == supplier_id,
        Invoice.disputed_at >= since, Invoice.disputed_at < until))
    return {"deliveries": len(receipts), "on_time_rate": _percent(on_time, len(receipts)),
            "acceptance_rate": _percent(accepted, inspected), "price_compliance_rate": _percent(compliant, priced),
            "disputes": disputes}


def rate_supplier(session: Session, principal: Principal, supplier_id: int, period_start: date, period_end: date,
                  rating: str, comment: str, today: date, timezone: str) -> Scorecard:
    """Staff close a period for a supplier: the figures are measured, the rating recorded, the exit rule applied."""
    if rating not in RATINGS:
        raise InvalidInput("rating", "must be one of {choices}", choices=", ".join(RATINGS))
    if period_end < period_start:
        raise InvalidInput("period_end", "must not be before period_start")
    if period_end > today:
        raise InvalidInput("period_end", "a period is rated once it has ended")
    if rating == "unsatisfactory" and not comment.strip():
        raise InvalidInput("comment", "say why the supplier is unsatisfactory")
    supplier = get_visible(session, Supplier, supplier_id, principal, for_update=True)
    school_id = principal.school_id
    previous = session.scalar(select(Scorecard).where(
        Scorecard.school_id == school_id, Scorecard.supplier_id == supplier.id)
        .order_by(Scorecard.period_end.desc()).limit(1))
    if previous is not None and period_start <= previous.period_end:
        raise Conflict("This school already rated the supplier up to {period_end}; "
                       "a new period starts after it", period_end=previous.period_end.isoformat())
    scorecard = Scorecard(school_id=school_id, supplier_id=supplier.id, period_start=period_start,
                          period_end=period_end, rating=rating, comment=comment, rated_by=principal.user_id,
                          suspended_supplier=False,
                          **measure(session, school_id, supplier.id, period_start, period_end, timezone))
    session.add(scorecard)
    if (rating == "unsatisfactory" and previous is not None and previous.rating == "unsatisfactory"
            and supplier.status == "approved"):
        transition(session, supplier, "suspend", principal.user_id,
                   reason=f"Rated unsatisfactory in two consecutive evaluations ({previous.period_start.isoformat()}"
                          f"–{previous.period_end.isoformat()}, {period_start.isoformat()}–{period_end.isoformat()})",
                   cause=EVALUATION)
        scorecard.suspended_supplier = True
    session.flush()
    return scorecard


def list_scorecards(session: Session, principal: Principal, page: int, per_page: int,
                    supplier_id: int | None = None) -> Page:
    query = visible(select(Scorecard), Scorecard, principal)
    if supplier_id is not None:
        query = query.where(Scorecard.supplier_id == supplier_id)
    return paginate(session, query.order_by(Scorecard.period_end.desc(), Scorecard.id.desc()), page, per_page)


def get_scorecard(session: Session, principal: Principal, scorecard_id: int) -> Scorecard:
    return get_visible(session, Scorecard, scorecard_id, principal)

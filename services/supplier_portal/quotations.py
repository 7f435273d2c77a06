"""Requests for quotation a supplier was invited to (rfq.issued), and its quote: a draft, then one submission.

Only an approved supplier with every required licence valid may quote, and only before the
RFQ's deadline. Each invited supplier gets its own copy of the RFQ, so nothing it can read
names the others or their prices.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.auth import Principal
from shared.errors import Conflict, Forbidden, InvalidInput
from shared.events import NotYetKnown, emit
from shared.pagination import Page, paginate
from shared.statemachine import StateMachine

from .approval import describe_missing, missing_licences
from .isolation import get_visible, visible
from .models import Audit, Quote, QuoteLine, Rfq, RfqLine, Supplier
from .notifications import notify_if_registered

QUOTE_STATUS = StateMachine("quote", {"submit": {"draft": "submitted"}}, Audit)
RFQ_LINE_FIELDS = ("rfq_line_id", "item_id", "item_code", "item_name", "specification", "category", "unit",
                   "quantity", "delivery_date")


def receive_rfq(session: Session, payload: dict) -> list[Rfq]:
    """One copy of the RFQ per invited supplier; a supplier already holding its copy is left as it is."""
    copies = []
    for supplier_id in sorted(set(payload["supplier_ids"])):
        if session.scalar(select(Rfq.id).where(Rfq.rfq_id == payload["rfq_id"], Rfq.supplier_id == supplier_id)):
            continue
        rfq = Rfq(rfq_id=payload["rfq_id"], school_id=payload["school_id"], supplier_id=supplier_id,
                  number=payload["number"], title=payload["title"], quote_deadline=payload["quote_deadline"],
                  lines=[RfqLine(**{name: line.get(name, "") for name in RFQ_LINE_FIELDS})
                         for line in payload["lines"]])
        session.add(rfq)
        session.flush()
        notify_if_registered(session, supplier_id, "rfq_received", f"rfq:{rfq.rfq_id}", number=rfq.number,
                             title=rfq.title, deadline=rfq.quote_deadline)
        copies.append(rfq)
    return copies


def record_award(session: Session, payload: dict) -> list[Rfq]:
    """rfq.awarded: each invited supplier's copy is closed and its submitted quote told line by line."""
    closed = []
    for outcome in payload["outcomes"]:
        rfq = session.scalar(select(Rfq).where(Rfq.rfq_id == payload["rfq_id"],
                                               Rfq.supplier_id == outcome["supplier_id"]))
        if rfq is None:
            raise NotYetKnown(f"request for quotation {payload['rfq_id']} has not arrived yet")
        if rfq.awarded_at is not None:
            continue
        rfq.awarded_at = payload["awarded_at"]
        quote = session.scalar(select(Quote).where(Quote.rfq_copy_id == rfq.id, Quote.status == "submitted"))
        if quote is not None and quote.id == outcome["quote_id"]:
            _record_outcome(session, quote, set(outcome["awarded_rfq_line_ids"]), payload["awarded_at"])
        closed.append(rfq)
    session.flush()
    return closed


def _record_outcome(session: Session, quote: Quote, awarded: set[int], at: datetime) -> None:
    for line in quote.lines:
        line.awarded = line.rfq_line_id in awarded
    won = sum(1 for line in quote.lines if line.awarded)
    quote.outcome = "not_awarded" if won == 0 else "awarded" if won == len(quote.lines) else "partly_awarded"
    quote.outcome_at = at
    notify_if_registered(session, quote.supplier_id, f"quote_{quote.outcome}", f"quote_outcome:{quote.id}",
                         number=quote.rfq.number, title=quote.rfq.title, won=won, quoted=len(quote.lines))


def list_rfqs(session: Session, principal: Principal, page: int, per_page: int, now: datetime,
              open: bool | None = None) -> Page:
    query = visible(select(Rfq), Rfq, principal)
    if open is True:
        query = query.where(Rfq.quote_deadline > now)
    elif open is False:
        query = query.where(Rfq.quote_deadline <= now)
    return paginate(session, query.order_by(Rfq.quote_deadline.desc(), Rfq.id.desc()), page, per_page)


def get_rfq(session: Session, principal: Principal, rfq_id: int) -> Rfq:
    return get_visible(session, Rfq, rfq_id, principal)


def list_quotes(session: Session, principal: Principal, page: int, per_page: int,
                status: str | None = None, outcome: str | None = None) -> Page:
    query = visible(select(Quote), Quote, principal)
    if status is not None:
        query = query.where(Quote.status == status)
    if outcome is not None:
        query = query.where(Quote.outcome == outcome)
    return paginate(session, query.order_by(Quote.updated_at.desc(), Quote.id.desc()), page, per_page)


def get_quote(session: Session, principal: Principal, quote_id: int) -> Quote:
    return get_visible(session, Quote, quote_id, principal)


def ensure_may_quote(session: Session, principal: Principal, today: date) -> Supplier:
    """The reason a supplier may not quote, as a 409 (its status) or 403 (its licences)."""
    supplier = get_visible(session, Supplier, principal.supplier_id, principal)
    if supplier.status == "suspended":
        raise Conflict("Your supplier account is suspended and may not quote: {reason}",
                       reason=supplier.status_reason or "no reason given")
    if supplier.status != "approved":
        raise Conflict("Your supplier account is {status}; only an approved supplier may quote", status=supplier.status)
    missing = missing_licences(session, supplier, today)
    if missing:
        # The daily check may not have suspended it yet: an expired licence refuses the quote today.
        raise Forbidden("A required licence is expired or missing ({missing}); "
                        "upload a valid one before quoting", missing=describe_missing(missing))
    return supplier


def save_draft(session: Session, principal: Principal, rfq_id: int, valid_until: date | None, lines: list[dict],
               now: datetime, today: date) -> Quote:
    """Create or replace the supplier's draft quote; prices may still be missing."""
    rfq, quote = _open_rfq(session, principal, rfq_id, now)
    if quote is not None and quote.status != "draft":
        raise Conflict("This quote was submitted; it can no longer be edited")
    if valid_until is not None and valid_until < today:
        raise InvalidInput("valid_until", "must not be in the past")
    quote = _write(session, rfq, quote, valid_until, _quote_lines(rfq, lines), now)
    session.flush()
    return quote


def submit_quote(session: Session, principal: Principal, rfq_id: int, valid_until: date, lines: list[dict],
                 now: datetime, today: date) -> Quote:
    """Submit a price for each line quoted (a draft becomes this quote) and tell procurement (quote.submitted)."""
    rfq, quote = _open_rfq(session, principal, rfq_id, now)
    ensure_may_quote(session, principal, today)
    if quote is not None and quote.status != "draft":
        raise Conflict("A quote for {rfq} was already submitted on {submitted_at}",
                       rfq=rfq.number, submitted_at=quote.submitted_at.isoformat())
    if valid_until < today:
        raise InvalidInput("valid_until", "must not be in the past")
    quote_lines = _quote_lines(rfq, lines)
    for index, line in enumerate(quote_lines):
        if line.unit_price is None:
            raise InvalidInput("lines", "line {line} needs a unit price", line=index + 1)
    quote = _write(session, rfq, quote, valid_until, quote_lines, now)
    session.flush()
    QUOTE_STATUS.apply(session, quote, "submit", principal)
    quote.submitted_at, quote.submitted_by = now, principal.user_id
    emit(session, "quote.submitted", {
        "quote_id": quote.id, "rfq_id": rfq.rfq_id, "supplier_id": quote.supplier_id, "submitted_at": now,
        "valid_until": valid_until,
        "lines": [{"rfq_line_id": line.rfq_line_id, "item_id": line.item_id, "unit_price": line.unit_price,
                   "note": line.note} for line in quote.lines]})
    session.flush()
    return quote


def _open_rfq(session: Session, principal: Principal, rfq_id: int, now: datetime) -> tuple[Rfq, Quote | None]:
    # Locked so that two submissions of one quote are serialised (SQLite's BEGIN IMMEDIATE already does).
    rfq = get_visible(session, Rfq, rfq_id, principal, for_update=True)
    if now >= rfq.quote_deadline:
        raise Conflict("The quote deadline of {rfq} ({quote_deadline}) has passed",
                       rfq=rfq.number, quote_deadline=rfq.quote_deadline.isoformat())
    if rfq.awarded_at is not None:
        raise Conflict("{rfq} was awarded on {awarded_at}; it takes no more quotes",
                       rfq=rfq.number, awarded_at=rfq.awarded_at.isoformat())
    quote = session.scalar(select(Quote).where(Quote.rfq_copy_id == rfq.id))
    return rfq, quote


def _quote_lines(rfq: Rfq, lines: list[dict]) -> list[QuoteLine]:
    by_id = {line.rfq_line_id: line for line in rfq.lines}
    seen = set()
    result = []
    for index, line in enumerate(lines):
        rfq_line = by_id.get(line["rfq_line_id"])
        if rfq_line is None:
            raise InvalidInput("lines", "line {line} names no line of {rfq}", line=index + 1, rfq=rfq.number)
        if rfq_line.rfq_line_id in seen:
            raise InvalidInput("lines", "line {line} quotes {item} a second time",
                               line=index + 1, item=rfq_line.item_name)
        seen.add(rfq_line.rfq_line_id)
        result.append(QuoteLine(rfq_line_id=rfq_line.rfq_line_id, item_id=rfq_line.item_id,
                                unit_price=line.get("unit_price"), note=line.get("note") or ""))
    return result


def _write(session: Session, rfq: Rfq, quote: Quote | None, valid_until: date | None, lines: list[QuoteLine],
           now: datetime) -> Quote:
    if quote is None:
        quote = Quote(rfq=rfq, rfq_id=rfq.rfq_id, school_id=rfq.school_id, supplier_id=rfq.supplier_id,
                      status="draft")
        session.add(quote)
    else:
        quote.lines.clear()
        session.flush()
    quote.valid_until, quote.updated_at, quote.lines = valid_until, now, lines
    return quote

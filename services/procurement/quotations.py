"""Requests for quotation, quotes and awards (询价, 报价, 定标).

An RFQ covers plan lines of one supplier category and goes (`rfq.issued`) only to the suppliers
approved for that category. Quotes arrive as `quote.submitted`; each quoted price is checked
against the item's price rule. The award goes to the lowest compliant quote, or to another with
a written reason; a price above the limit needs an approver's written override.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from shared.auth import Principal
from shared.db import utcnow
from shared.errors import Conflict, Forbidden, InvalidInput, Message, NotFound
from shared.events import emit
from shared.pagination import Page, paginate
from shared.statemachine import StateMachine

from . import workflow
from .consolidation import get_plan
from .models import ApprovedSupplier, Audit, PlanLine, Quote, QuoteLine, Rfq, RfqLine
from .orders import SUPPLIER_CATEGORY, LineInput, create_order, next_number, split_by_code
from .pricing import checks_for

RFQ = StateMachine("rfq", {
    "award": {"issued": "awarded"},
    "cancel": {"issued": "cancelled"},
    "order": {"awarded": "ordered"},
}, Audit, state_attribute="state")
LIVE_RFQ_STATES = ("issued", "awarded", "ordered")


@dataclass(frozen=True)
class Offer:
    quote_line_id: int
    unit_price: Decimal
    above_limit: bool
    submitted_at: datetime


def lowest_compliant(offers: list[Offer]) -> Offer | None:
    """The cheapest offer within the price limit; the earlier of two equal ones."""
    compliant = [offer for offer in offers if not offer.above_limit]
    return min(compliant, key=lambda o: (o.unit_price, o.submitted_at, o.quote_line_id), default=None)


def award_problems(chosen: Offer, offers: list[Offer], reason: str | None, override_reason: str | None,
                   is_approver: bool) -> dict[str, Message]:
    """What an award of `chosen` still needs: {field: message}; empty when it may stand."""
    problems = {}
    if chosen != lowest_compliant(offers) and not (reason or "").strip():
        problems["reason"] = Message("not the lowest compliant quote: say why it is chosen", {})
    if chosen.above_limit:
        if not is_approver:
            problems["override_reason"] = Message("a price above the limit is accepted only by an approver", {})
        elif not (override_reason or "").strip():
            problems["override_reason"] = Message(
                "the price is above the limit: the approver's written override is needed", {})
    return problems


LOAD_RFQ = (selectinload(Rfq.lines).selectinload(RfqLine.item),
            selectinload(Rfq.lines).selectinload(RfqLine.awarded_quote_line),
            selectinload(Rfq.quotes).selectinload(Quote.lines))


def get_rfq(session: Session, principal: Principal, rfq_id: int, for_update: bool = False) -> Rfq:
    query = select(Rfq).where(Rfq.id == rfq_id, Rfq.school_id == principal.school_id)
    if for_update:
        query = query.with_for_update()
    rfq = session.scalar(query.options(*LOAD_RFQ).execution_options(populate_existing=True))
    if rfq is None:
        raise NotFound("No such request for quotation")
    return rfq


def list_rfqs(session: Session, principal: Principal, state: str | None = None, page: int = 1,
              per_page: int = 50) -> Page:
    query = select(Rfq).where(Rfq.school_id == principal.school_id)
    if state:
        query = query.where(Rfq.state == state)
    return paginate(session, query.options(*LOAD_RFQ).order_by(Rfq.id.desc()), page, per_page)


def issue_rfq(session: Session, principal: Principal, plan_id: int, plan_line_ids: list[int], title: str,
              quote_deadline: datetime, today: date) -> Rfq:
    if quote_deadline <= utcnow():
        raise InvalidInput("quote_deadline", "is in the past")
    plan = get_plan(session, principal, plan_id)
    by_id = {line.id: line for line in plan.lines}
    unknown = sorted(set(plan_line_ids) - set(by_id))
    if unknown:
        raise InvalidInput("plan_line_ids", "plan lines {unknown} are not in plan {plan}",
                           unknown=unknown, plan=plan.id)
    lines = [by_id[line_id] for line_id in dict.fromkeys(plan_line_ids)]
    categories = {SUPPLIER_CATEGORY[line.item.category] for line in lines}
    if len(categories) != 1:
        raise InvalidInput("plan_line_ids", "one RFQ is for one kind of supplier; these need {categories}",
                           categories=sorted(categories))
    [category] = categories
    taken = session.scalar(select(RfqLine.plan_line_id).join(Rfq).where(
        RfqLine.plan_line_id.in_([line.id for line in lines]), Rfq.state.in_(LIVE_RFQ_STATES)).limit(1))
    if taken is not None:
        raise Conflict("Plan line {plan_line} is already in a live request for quotation", plan_line=taken)
    suppliers = [s for s in session.scalars(select(ApprovedSupplier).where(ApprovedSupplier.status == "approved")
                                            .order_by(ApprovedSupplier.supplier_id)) if category in s.categories]
    if not suppliers:
        raise Conflict("No supplier is approved for {category}; nobody could quote", category=category)
    rfq = Rfq(school_id=principal.school_id, number=next_number(session, principal.school_id, today.year, "RFQ"),
              plan_id=plan.id, title=title, supplier_category=category,
              supplier_ids=[s.supplier_id for s in suppliers], state="issued", quote_deadline=quote_deadline,
              created_by=principal.user_id, created_at=utcnow(), version=1)
    rfq.lines = [RfqLine(school_id=rfq.school_id, plan_line_id=line.id, item=line.item, quantity=line.quantity,
                         delivery_date=line.delivery_date) for line in lines]
    rfq.quotes = []
    session.add(rfq)
    session.flush()
    emit(session, "rfq.issued", {
        "rfq_id": rfq.id, "school_id": rfq.school_id, "number": rfq.number, "title": rfq.title,
        "supplier_ids": rfq.supplier_ids, "quote_deadline": rfq.quote_deadline,
        "lines": [{"rfq_line_id": line.id, "item_id": line.item.id, "item_code": line.item.code,
                   "item_name": line.item.name_zh, "specification": line.item.specification,
                   "category": line.item.category, "unit": line.item.base_unit, "quantity": line.quantity,
                   "delivery_date": line.delivery_date} for line in rfq.lines]})
    return rfq


def record_quote(session: Session, payload: dict) -> Quote | None:
    """quote.submitted: kept when the RFQ is open, the supplier invited and the deadline not passed.

    A later quote from the same supplier replaces the earlier one. Returns None when dropped.
    """
    rfq = session.scalar(select(Rfq).where(Rfq.id == payload["rfq_id"]).options(*LOAD_RFQ).with_for_update())
    if rfq is None or rfq.state != "issued" or payload["supplier_id"] not in rfq.supplier_ids:
        return None
    if payload["submitted_at"] > rfq.quote_deadline:
        return None
    if session.scalar(select(Quote.id).where(Quote.portal_quote_id == payload["quote_id"])) is not None:
        return None
    lines_by_id = {line.id: line for line in rfq.lines}
    if any(line["rfq_line_id"] not in lines_by_id or line["item_id"] != lines_by_id[line["rfq_line_id"]].item_id
           for line in payload["lines"]):
        return None
    supplier = session.scalar(select(ApprovedSupplier).where(ApprovedSupplier.supplier_id == payload["supplier_id"]))
    on = payload["submitted_at"].date()
    # read before the quote joins the RFQ: a query after it would flush the RFQ with a quote not yet added
    checks = checks_for(session, [lines_by_id[line["rfq_line_id"]].item for line in payload["lines"]], on)
    for earlier in rfq.quotes:
        if earlier.supplier_id == payload["supplier_id"] and not earlier.superseded:
            earlier.superseded = True
    quote = Quote(school_id=rfq.school_id, rfq=rfq, portal_quote_id=payload["quote_id"],
                  supplier_id=payload["supplier_id"], supplier_name=supplier.name if supplier else "",
                  submitted_at=payload["submitted_at"], valid_until=payload["valid_until"], superseded=False)
    for line in payload["lines"]:
        rfq_line = lines_by_id[line["rfq_line_id"]]
        check = checks[rfq_line.item_id]
        quote.lines.append(QuoteLine(rfq_line_id=rfq_line.id, unit_price=line["unit_price"],
                                     price_limit=check.limit if check else None,
                                     above_price_limit=bool(check and line["unit_price"] > check.limit),
                                     note=line.get("note", "")))
    session.add(quote)
    session.flush()
    return quote


def comparison(rfq: Rfq) -> list[dict]:
    """Per RFQ line: the live quotes cheapest first, which is the lowest compliant, which is awarded."""
    live = [quote for quote in rfq.quotes if not quote.superseded]
    result = []
    for rfq_line in rfq.lines:
        entries = [(quote, line) for quote in live for line in quote.lines if line.rfq_line_id == rfq_line.id]
        offers = {line.id: Offer(line.id, line.unit_price, line.above_price_limit, quote.submitted_at)
                  for quote, line in entries}
        best = lowest_compliant(list(offers.values()))
        entries.sort(key=lambda pair: (pair[1].unit_price, pair[0].submitted_at, pair[1].id))
        result.append({"rfq_line": rfq_line, "quotes": [{
            "quote_id": quote.id, "quote_line_id": line.id, "supplier_id": quote.supplier_id,
            "supplier_name": quote.supplier_name, "unit_price": line.unit_price, "price_limit": line.price_limit,
            "above_price_limit": line.above_price_limit, "valid_until": quote.valid_until,
            "amount": (line.unit_price * rfq_line.quantity).quantize(Decimal("0.01")),
            "lowest_compliant": best is not None and best.quote_line_id == line.id,
            "awarded": rfq_line.awarded_quote_line_id == line.id} for quote, line in entries]})
    return result


def awaiting_override(session: Session, principal: Principal) -> list[tuple[Rfq, list[dict]]]:
    """Issued RFQs with a line quoted only above the price limit: only an approver's override can award it."""
    waiting = []
    for rfq in session.scalars(select(Rfq).where(Rfq.school_id == principal.school_id, Rfq.state == "issued")
                               .options(*LOAD_RFQ).order_by(Rfq.quote_deadline, Rfq.id)):
        lines = [entry for entry in comparison(rfq)
                 if entry["quotes"] and not any(quote["lowest_compliant"] for quote in entry["quotes"])]
        if lines:
            waiting.append((rfq, lines))
    return waiting


def quotes_for_plan_lines(session: Session, principal: Principal, plan_line_ids: list[int]) -> dict[int, dict]:
    """The comparison of the quotes an order's plan lines were awarded from, per plan line."""
    rfqs = session.scalars(select(Rfq).join(RfqLine).where(
        Rfq.school_id == principal.school_id, Rfq.state.in_(("awarded", "ordered")),
        RfqLine.plan_line_id.in_(plan_line_ids)).options(*LOAD_RFQ).distinct())
    return {entry["rfq_line"].plan_line_id: entry for rfq in rfqs for entry in comparison(rfq)
            if entry["rfq_line"].plan_line_id in plan_line_ids}


def award(session: Session, principal: Principal, rfq_id: int, awards: list[dict], today: date) -> Rfq:
    """Award every line of the RFQ at once: {rfq_line_id, quote_line_id, reason, override_reason}."""
    rfq = get_rfq(session, principal, rfq_id, for_update=True)
    if not RFQ.can(rfq, "award"):
        RFQ.apply(session, rfq, "award", principal.user_id)  # raises the 409
    by_line = {line.id: line for line in rfq.lines}
    chosen = {entry["rfq_line_id"]: entry for entry in awards}
    if set(chosen) != set(by_line) or len(chosen) != len(awards):
        raise InvalidInput("awards", "award each line of the request exactly once")
    live = {line.id: (quote, line) for quote in rfq.quotes if not quote.superseded for line in quote.lines}
    is_approver = "approver" in principal.roles
    problems: dict[str, list[Message]] = {}
    for index, entry in enumerate(awards):
        rfq_line = by_line[entry["rfq_line_id"]]
        pair = live.get(entry["quote_line_id"])
        if pair is None or pair[1].rfq_line_id != rfq_line.id:
            problems[f"awards.{index}.quote_line_id"] = [Message("not a live quote for this line", {})]
            continue
        quote, quote_line = pair
        if quote.valid_until < today:
            raise Conflict("{supplier_name}'s quote expired on {valid_until}",
                           supplier_name=quote.supplier_name, valid_until=quote.valid_until)
        offers = [Offer(line.id, line.unit_price, line.above_price_limit, q.submitted_at)
                  for q, line in live.values() if line.rfq_line_id == rfq_line.id]
        chosen_offer = next(offer for offer in offers if offer.quote_line_id == quote_line.id)
        for field, message in award_problems(chosen_offer, offers, entry.get("reason"), entry.get("override_reason"),
                                             is_approver).items():
            if field == "override_reason" and not is_approver:
                raise Forbidden(message)
            problems[f"awards.{index}.{field}"] = [message]
        rfq_line.awarded_quote_line_id = quote_line.id
        rfq_line.award_reason = (entry.get("reason") or "").strip() or None
        rfq_line.override_reason = (entry.get("override_reason") or "").strip() or None
        rfq_line.awarded_by, rfq_line.awarded_at = principal.user_id, utcnow()
    if problems:
        raise InvalidInput.several(problems)
    workflow.apply(session, RFQ, rfq, "award", principal.user_id)
    emit(session, "rfq.awarded", award_outcomes(rfq, utcnow()))
    return rfq


def award_outcomes(rfq: Rfq, awarded_at: datetime) -> dict:
    """rfq.awarded: per invited supplier, its live quote and the lines awarded to it; no prices, no names."""
    live = {quote.supplier_id: quote for quote in rfq.quotes if not quote.superseded}
    # by id: the award has just set the ids, which the relationships loaded before it do not follow
    supplier_of = {line.id: quote.supplier_id for quote in live.values() for line in quote.lines}
    won: dict[int, list[int]] = {}
    for rfq_line in rfq.lines:
        won.setdefault(supplier_of[rfq_line.awarded_quote_line_id], []).append(rfq_line.id)
    return {"rfq_id": rfq.id, "school_id": rfq.school_id, "awarded_at": awarded_at, "outcomes": [
        {"supplier_id": supplier_id, "quote_id": live[supplier_id].portal_quote_id if supplier_id in live else None,
         "awarded_rfq_line_ids": won.get(supplier_id, [])} for supplier_id in rfq.supplier_ids]}


def order_awarded(session: Session, principal: Principal, rfq_id: int, today: date) -> list:
    """One draft purchase order per awarded supplier, its lines split per demand point of the plan line."""
    rfq = get_rfq(session, principal, rfq_id, for_update=True)
    workflow.apply(session, RFQ, rfq, "order", principal.user_id)
    by_supplier: dict[int, list[RfqLine]] = {}
    quotes = {line.id: quote for quote in rfq.quotes for line in quote.lines}
    for rfq_line in rfq.lines:
        by_supplier.setdefault(quotes[rfq_line.awarded_quote_line_id].supplier_id, []).append(rfq_line)
    created = []
    for supplier_id, rfq_lines in by_supplier.items():
        lines, overrides = [], []
        for rfq_line in rfq_lines:
            plan_line = session.get(PlanLine, rfq_line.plan_line_id)
            price = rfq_line.awarded_quote_line.unit_price
            for point, quantity in split_by_code(plan_line).items():
                lines.append(LineInput(rfq_line.item_id, quantity, rfq_line.item.base_unit, price, point,
                                       max(rfq_line.delivery_date, today), plan_line.id))
            if rfq_line.override_reason:
                overrides.append(f"{rfq_line.item.name_zh}: {rfq_line.override_reason}")
        order = create_order(session, principal, supplier_id, lines, today, f"{rfq.number} {rfq.title}",
                             plan_id=rfq.plan_id)
        # the approver's override at award covers the same prices on the order
        order.price_override_reason = "\n".join(overrides) or None
        created.append(order)
    session.flush()
    return created


def cancel_rfq(session: Session, principal: Principal, rfq_id: int, reason: str | None) -> Rfq:
    if not (reason or "").strip():
        raise InvalidInput("reason", "say why the request for quotation is cancelled")
    rfq = get_rfq(session, principal, rfq_id, for_update=True)
    workflow.apply(session, RFQ, rfq, "cancel", principal.user_id, reason)
    return rfq

"""The monthly statement (月度伙食成本核算表): figures per dining hall and for the school, the surplus
carried forward, five sign-offs in order, then frozen and published; overdue after the 15th.

Rules:
* One statement per school and month. Its figures are live while it is a draft.
* Signing starts only after the month has ended, and only once the previous month's
  statement (when there is one) is published: the surplus it carries forward is then fixed.
* Slots are signed in `SIGNATURE_SLOTS` order, each by a different person; the cost
  accountant is finance, the other four are approvers or admins. A slot out of order is 409.
* From the first signature the month's entries are locked (`entries.ensure_month_open`);
  the fifth signature stores every figure in `snapshot` and publishes. Nothing changes after.
* Surplus carried forward: a hall's opening surplus is the previous statement's closing
  surplus for that hall; closing = opening + balance. The first statement of the books (no
  previous statement) opens with the balances given when it is prepared, or 0.
"""
from __future__ import annotations

import logging
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.auth import Principal
from shared.db import utcnow
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound
from shared.statemachine import StateMachine

from ..models import Audit, Location
from .accounts import get_dining_hall, period_accounts
from .meal_cost import ZERO
from .models import SIGNATURE_SLOTS, MonthlyStatement, StatementSignature
from .periods import month_end, month_start, next_month, previous_month

log = logging.getLogger(__name__)

STATEMENT = StateMachine("monthly_statement", {
    "sign": {"draft": "signing", "signing": "signing"},
    "publish": {"signing": "published"},
}, Audit)
SLOT_ROLES = {"cost_accountant": frozenset({"finance"})} | {
    slot: frozenset({"approver", "admin"}) for slot in SIGNATURE_SLOTS[1:]}
SLOT_TITLES = {"cost_accountant": "成本核算员", "meal_committee_head": "膳食委员会主任",
               "general_affairs_head": "总务主任", "deputy_principal": "分管副校长", "principal": "校长"}
DUE_DAY = 15


def due_date(month: date) -> date:
    """Published by the 15th of the next month."""
    return next_month(month).replace(day=DUE_DAY)


def get_statement(session: Session, principal: Principal, statement_id: int, lock: bool = False) -> MonthlyStatement:
    query = select(MonthlyStatement).where(MonthlyStatement.id == statement_id,
                                           MonthlyStatement.school_id == principal.school_id)
    if lock:
        # Two signers at once: the second waits, then sees the first signature (PostgreSQL; SQLite
        # writers are serialized by BEGIN IMMEDIATE already).
        query = query.with_for_update().execution_options(populate_existing=True)
    statement = session.scalars(query).first()
    if statement is None:
        raise NotFound("No statement {statement_id}", statement_id=statement_id)
    return statement


def _statement_of(session: Session, school_id: int, month: date) -> MonthlyStatement | None:
    return session.scalars(select(MonthlyStatement).where(MonthlyStatement.school_id == school_id,
                                                          MonthlyStatement.month == month)).first()


def prepare_statement(session: Session, principal: Principal, month: date,
                      opening_surplus: list[dict] | None = None) -> MonthlyStatement:
    """Open the statement of the month containing `month` (409 when it exists).

    `opening_surplus` ([{location_id, amount}]) starts the books: it is refused when the
    previous month has a statement, whose closing surplus is carried forward instead.
    """
    first = month_start(month)
    if _statement_of(session, principal.school_id, first) is not None:
        raise Conflict("the statement of {first:%Y-%m} already exists", first=first)
    balances = None
    if opening_surplus:
        if _statement_of(session, principal.school_id, previous_month(first)) is not None:
            raise Conflict("the surplus of {previous_month:%Y-%m} is carried forward from its statement",
                           previous_month=previous_month(first))
        balances = {}
        for index, line in enumerate(opening_surplus):
            hall = get_dining_hall(session, principal.school_id, line["location_id"],
                                   f"opening_surplus.{index}.location_id")
            if str(hall.id) in balances:
                raise InvalidInput(f"opening_surplus.{index}.location_id", "a dining hall is given twice")
            balances[str(hall.id)] = str(line["amount"])
    statement = MonthlyStatement(school_id=principal.school_id, month=first, status="draft",
                                 prepared_by=principal.user_id, opening_balances=balances)
    try:
        with session.begin_nested():  # two at once: the unique (school, month) refuses the second
            session.add(statement)
    except IntegrityError:
        raise Conflict("the statement of {first:%Y-%m} already exists", first=first) from None
    return statement


def closing_surplus(session: Session, statement: MonthlyStatement | None, school_timezone: str) -> dict:
    """{"halls": {location id (str): closing}, "school": closing} of a statement, as Decimals."""
    if statement is None:
        return {"halls": {}, "school": ZERO}
    content = statement_content(session, statement, school_timezone)
    return {"halls": {str(hall["location_id"]): Decimal(hall["closing_surplus"]) for hall in content["halls"]},
            "school": Decimal(content["school"]["closing_surplus"])}


def statement_content(session: Session, statement: MonthlyStatement, school_timezone: str) -> dict:
    """Every figure of the statement: the stored snapshot once published, else computed now."""
    if statement.snapshot is not None:
        return statement.snapshot
    previous = _statement_of(session, statement.school_id, previous_month(statement.month))
    if previous is not None:
        opening = closing_surplus(session, previous, school_timezone)
    else:
        halls = {key: Decimal(value) for key, value in (statement.opening_balances or {}).items()}
        opening = {"halls": halls, "school": sum(halls.values(), ZERO)}
    accounts = period_accounts(session, statement.school_id, statement.month, month_end(statement.month),
                               school_timezone)
    halls = []
    for account in accounts.halls:
        carried = opening["halls"].get(str(account.location.id), ZERO)
        halls.append({"location_id": account.location.id, "code": account.location.code,
                      "name": account.location.name, **account.statement.as_dict(),
                      "opening_surplus": str(carried), "closing_surplus": str(carried + account.statement.balance)})
    school = accounts.school.as_dict()
    school.update(opening_surplus=str(opening["school"]),
                  closing_surplus=str(opening["school"] + accounts.school.balance))
    return {"month": statement.month.isoformat(), "start": accounts.start.isoformat(),
            "end": accounts.end.isoformat(), "halls": halls, "school": school}


def statement_view(session: Session, statement: MonthlyStatement, school_timezone: str | None = None) -> dict:
    """The statement as the API shows it; with a time zone, every figure too."""
    signed = len(statement.signatures)
    view = {"id": statement.id, "month": statement.month, "status": statement.status,
            "prepared_by": statement.prepared_by, "prepared_at": statement.prepared_at,
            "published_at": statement.published_at, "due_date": due_date(statement.month),
            "overdue_since": statement.overdue_since,
            "next_slot": SIGNATURE_SLOTS[signed] if signed < len(SIGNATURE_SLOTS) else None,
            "signatures": list(statement.signatures)}
    if school_timezone is not None:
        view["content"] = statement_content(session, statement, school_timezone)
    return view


def list_statements(session: Session, principal: Principal, status: str | None = None):
    query = select(MonthlyStatement).where(MonthlyStatement.school_id == principal.school_id)
    if status is not None:
        query = query.where(MonthlyStatement.status == status)
    return query.order_by(MonthlyStatement.month.desc(), MonthlyStatement.id.desc())


def sign_statement(session: Session, principal: Principal, statement_id: int, slot: str, signer_name: str,
                   today: date, school_timezone: str) -> MonthlyStatement:
    statement = get_statement(session, principal, statement_id, lock=True)
    session.refresh(statement, ["signatures"])
    if statement.status == "published":
        raise Conflict("the statement is published: it cannot change")
    if slot not in SIGNATURE_SLOTS:
        raise Conflict("no signature slot {slot!r}", slot=slot)
    if not principal.roles & SLOT_ROLES[slot]:
        raise Forbidden("the {slot} slot is signed by one of: {slot_roles}",
                        slot=slot, slot_roles=", ".join(sorted(SLOT_ROLES[slot])))
    expected = SIGNATURE_SLOTS[len(statement.signatures)]
    if slot != expected:
        raise Conflict("slots are signed in order: the next is {expected} ({slot_titles})",
                       expected=expected, slot_titles=SLOT_TITLES[expected])
    if today <= month_end(statement.month):
        raise Conflict("{month:%Y-%m} is not over yet: it is signed from {next_month}",
                       month=statement.month, next_month=next_month(statement.month))
    if any(signature.signer == principal.user_id for signature in statement.signatures):
        raise Conflict("each slot is signed by a different person")
    previous = _statement_of(session, statement.school_id, previous_month(statement.month))
    if previous is not None and previous.status != "published":
        raise Conflict("the statement of {month:%Y-%m} must be published first: "
                       "it fixes the surplus carried forward", month=previous.month)
    STATEMENT.apply(session, statement, "sign", principal, reason=slot)
    session.add(StatementSignature(statement_id=statement.id, slot=slot, position=len(statement.signatures) + 1,
                                   signer=principal.user_id, signer_name=signer_name, signed_at=utcnow()))
    session.flush()
    session.refresh(statement, ["signatures"])
    if len(statement.signatures) == len(SIGNATURE_SLOTS):
        # Frozen: every figure as it is now, carried forward from the (published) previous month.
        statement.snapshot = statement_content(session, statement, school_timezone)
        STATEMENT.apply(session, statement, "publish", principal)
        statement.published_at = utcnow()
        session.flush()
    return statement


def flag_overdue_statements(session: Session, today: date) -> list[MonthlyStatement]:
    """Flag every statement not published by the 15th of its next month.

    The month just past gets a draft statement when nobody prepared one, so that its
    absence shows as an overdue statement rather than as nothing. Flagging twice does nothing.
    """
    flagged = []
    last_month = previous_month(month_start(today))
    if today > due_date(last_month):
        schools = session.scalars(select(Location.school_id).where(Location.kind == "dining_hall").distinct())
        for school_id in list(schools):
            if _statement_of(session, school_id, last_month) is None:
                session.add(MonthlyStatement(school_id=school_id, month=last_month, status="draft",
                                             prepared_by="reminder"))
        session.flush()
    latest_due = last_month if today > due_date(last_month) else previous_month(last_month)
    for statement in session.scalars(select(MonthlyStatement).where(
            MonthlyStatement.status != "published", MonthlyStatement.overdue_since.is_(None),
            MonthlyStatement.month <= latest_due).order_by(MonthlyStatement.id)):
        statement.overdue_since = due_date(statement.month) + timedelta(days=1)
        log.warning("meal-cost statement %s of school %s (%s) is not published by %s", statement.id,
                    statement.school_id, f"{statement.month:%Y-%m}", due_date(statement.month))
        flagged.append(statement)
    session.flush()
    return flagged

"""Monthly statement rules on the domain functions: carried-forward order, audit, overdue reminders."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from services.inventory import SPEC
from services.inventory.costing.entries import update_settings
from services.inventory.costing.models import MonthlyStatement
from services.inventory.costing.statements import (
    flag_overdue_statements,
    prepare_statement,
    sign_statement,
    statement_content,
)
from services.inventory.costing.tasks import run_overdue_statement_check
from services.inventory.models import Audit
from shared.auth import Principal
from shared.errors import Conflict

TZ = "Asia/Shanghai"
SLOTS = ["cost_accountant", "meal_committee_head", "general_affairs_head", "deputy_principal", "principal"]


@pytest.fixture
def signers(school_id):
    roles = ["finance", "approver", "approver", "admin", "admin"]
    return [Principal(str(4000 + index), frozenset({role}), school_id=school_id) for index, role in enumerate(roles)]


def sign_all(session, signers, statement, today):
    for slot, signer in zip(SLOTS, signers, strict=True):
        sign_statement(session, signer, statement.id, slot, f"签字人{signer.user_id}", today, TZ)


def test_a_month_is_signed_only_after_the_previous_statement_is_published(session, finance, signers, october):
    october_statement = prepare_statement(session, finance, date(2026, 10, 1))
    november = prepare_statement(session, finance, date(2026, 11, 1))
    with pytest.raises(Conflict, match="2026-10 must be published first"):
        sign_statement(session, signers[0], november.id, SLOTS[0], "李会计", date(2026, 12, 2), TZ)
    sign_all(session, signers, october_statement, date(2026, 11, 3))
    sign_statement(session, signers[0], november.id, SLOTS[0], "李会计", date(2026, 12, 2), TZ)
    assert november.status == "signing"


def test_every_signature_and_the_publication_leave_an_audit_row(session, finance, signers, october):
    statement = prepare_statement(session, finance, date(2026, 10, 1))
    sign_all(session, signers, statement, date(2026, 11, 3))
    rows = session.scalars(select(Audit).where(Audit.document_type == "monthly_statement",
                                               Audit.document_id == statement.id).order_by(Audit.id)).all()
    assert [(row.action, row.from_state, row.to_state, row.reason) for row in rows] == [
        ("sign", "draft", "signing", "cost_accountant"), ("sign", "signing", "signing", "meal_committee_head"),
        ("sign", "signing", "signing", "general_affairs_head"), ("sign", "signing", "signing", "deputy_principal"),
        ("sign", "signing", "signing", "principal"), ("publish", "signing", "published", None)]
    assert statement.snapshot == statement_content(session, statement, TZ)
    assert statement.snapshot["school"]["balance"] == "-335.40"


def test_a_published_statement_does_not_follow_later_ledger_or_settings(session, finance, signers, october, keeper,
                                                                        items, clock):
    statement = prepare_statement(session, finance, date(2026, 10, 1))
    sign_all(session, signers, statement, date(2026, 11, 3))
    before = dict(statement.snapshot["school"])
    update_settings(session, finance, Decimal("99.00"))
    assert statement_content(session, statement, TZ)["school"] == before


def test_statements_not_published_by_the_15th_are_flagged_once(session, finance, signers, october):
    assert flag_overdue_statements(session, date(2026, 11, 15)) == []  # due on the 15th: not late yet
    flagged = flag_overdue_statements(session, date(2026, 11, 16))
    # nobody prepared October: a draft is opened so that its absence shows, and it is flagged
    assert [(s.month, s.status, s.prepared_by, s.overdue_since) for s in flagged] == [
        (date(2026, 10, 1), "draft", "reminder", date(2026, 11, 16))]
    assert flag_overdue_statements(session, date(2026, 11, 20)) == []  # flagged already


def test_a_published_statement_is_never_overdue_and_an_old_unpublished_one_is(session, finance, signers, october):
    september = prepare_statement(session, finance, date(2026, 9, 1))
    october_statement = prepare_statement(session, finance, date(2026, 10, 1))
    sign_all(session, signers, september, date(2026, 10, 10))
    flagged = flag_overdue_statements(session, date(2026, 12, 16))
    # October was due on 15 Nov, November on 15 Dec (and is opened by the reminder); September is published
    assert sorted((s.month, s.overdue_since) for s in flagged) == [
        (date(2026, 10, 1), date(2026, 11, 16)), (date(2026, 11, 1), date(2026, 12, 16))]
    assert october_statement.overdue_since == date(2026, 11, 16)
    assert september.overdue_since is None


def test_the_reminder_is_an_inventory_periodic_job(databases, october, session):
    assert "flag_overdue_statements" in [job.name for job in SPEC.periodic]
    session.commit()  # the job opens its own unit of work (inside the test's rolled-back transaction)
    result = run_overdue_statement_check(databases["inventory"])
    if datetime.now(ZoneInfo(TZ)).day > 15:  # last month's statement is late: the reminder opened and flagged it
        assert result["flagged"]
    with databases["inventory"].unit_of_work() as uow:
        statements = uow.session.scalars(select(MonthlyStatement).where(MonthlyStatement.id.in_(result["flagged"])))
        assert all(statement.overdue_since is not None for statement in statements)

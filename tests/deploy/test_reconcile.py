"""deploy.reconcile finds every disagreement it is meant to find, and none where the books agree.

The rows here are fabricated inside the test's rolled-back transaction; the purchasing cycle of
tests/e2e/test_faults.py proves the check passes on real traffic and fails on a tampered order.
"""
from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import select

from deploy.reconcile import problems_in
from services.inventory.models import StockBalance, StockValuation
from services.inventory.receipts import post_receipt
from services.procurement.models import Outbox
from services.supplier_portal.models import Inbox
from shared.db import utcnow
from tests.inventory.conftest import (  # noqa: F401 (fixtures)
    RICE,
    TODAY,
    inventory_db,
    items,
    keeper,
    locations,
    receipt_line,
    school_id,
    session,
)
from tests.inventory.test_domain_movements import issue


def invitation_event(databases, published=True) -> str:
    event_id = str(uuid.uuid4())
    with databases["procurement"].unit_of_work() as uow:
        uow.session.add(Outbox(id=event_id, type="supplier.invited", version=1, occurred_at=utcnow(),
                               producer="procurement", correlation_id=None, payload={}, attempts=1,
                               published_at=utcnow() if published else None))
        uow.commit()
    return event_id


def applied_by_portal(databases, event_id: str) -> None:
    with databases["supplier_portal"].unit_of_work() as uow:
        uow.session.add(Inbox(event_id=event_id, type="supplier.invited", received_at=utcnow()))
        uow.commit()


def about(databases, needle) -> list[str]:
    return [problem for problem in problems_in(databases) if str(needle) in problem]


def test_an_event_published_and_applied_by_its_consumer_reconciles(databases):
    event_id = invitation_event(databases)
    applied_by_portal(databases, event_id)
    assert about(databases, event_id) == []


def test_an_event_no_consumer_applied_is_reported(databases):
    event_id = invitation_event(databases)
    assert about(databases, event_id) == [
        f"event {event_id} (supplier.invited) from procurement is not applied by supplier_portal"]


def test_an_event_left_unpublished_in_the_outbox_is_reported(databases):
    event_id = invitation_event(databases, published=False)
    applied_by_portal(databases, event_id)
    assert about(databases, event_id) == [f"event {event_id} (supplier.invited) from procurement is not published"]


def test_an_applied_event_that_no_outbox_holds_is_reported(databases):
    event_id = str(uuid.uuid4())
    applied_by_portal(databases, event_id)
    assert about(databases, event_id) == [
        f"supplier_portal applied event {event_id} (supplier.invited) that no outbox holds"]


def received_and_issued(session, keeper, locations):  # noqa: F811
    post_receipt(session, keeper, locations["DH1"].id, [receipt_line(RICE, "500", "4.20", "R-1", TODAY)], TODAY,
                 supplier_id=7, delivery_reference="DN-1")
    issue(session, keeper, locations["DH1"], RICE, "120")
    session.flush()
    return session.scalars(select(StockBalance).where(StockBalance.location_id == locations["DH1"].id)).one()


def test_a_ledger_that_sums_to_its_balances_reconciles(databases, session, keeper, locations, items):  # noqa: F811
    balance = received_and_issued(session, keeper, locations)
    assert balance.quantity == Decimal("380")
    assert about(databases, "stock of item") == []


def test_a_lot_balance_that_differs_from_its_ledger_is_reported(databases, session, keeper, locations,  # noqa: F811
                                                                items):  # noqa: F811
    balance = received_and_issued(session, keeper, locations)
    balance.quantity = Decimal("381")
    session.flush()
    key = (RICE["id"], locations["DH1"].id, balance.lot_id)
    assert about(databases, "stock of item") == [
        f"stock of item × location × lot {key}: ledger 380.000 ≠ balance 381.000"]


def test_a_valuation_that_differs_from_its_ledger_is_reported(databases, session, keeper, locations,  # noqa: F811
                                                              items):  # noqa: F811
    received_and_issued(session, keeper, locations)
    valuation = session.scalars(select(StockValuation).where(StockValuation.location_id == locations["DH1"].id)).one()
    valuation.value += Decimal("0.01")
    session.flush()
    assert about(databases, "stock of item × location ") == [
        f"stock of item × location {(RICE['id'], locations['DH1'].id)}: ledger 380.000/1596.00 ≠ valuation "
        f"380.000/1596.01"]

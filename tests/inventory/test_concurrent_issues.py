"""50 issues at once against one lot, each in its own connection and committing for real.

Runs on a separate, freshly migrated database (not the rolled-back test transaction), on
SQLite always and on PostgreSQL in CI's PostgreSQL pass (TEST_DATABASE_SERVER).
"""
from __future__ import annotations

import os
import threading
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import NullPool

from services.inventory import SPEC
from services.inventory.issues import issue_to_kitchen
from services.inventory.items import upsert_items
from services.inventory.locations import ensure_standard_locations
from services.inventory.models import Lot, Outbox, StockBalance, StockMovement, StockValuation
from services.inventory.receipts import post_receipt
from shared.auth import Principal
from shared.db import make_engine
from shared.errors import Conflict
from shared.migrations import upgrade
from tests.support import DatabaseServer

from .conftest import RICE

TODAY = date(2026, 11, 26)
KEEPER = Principal("7", frozenset({"storekeeper"}), school_id=1)
ISSUES = 50


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_database(request, tmp_path):
    if request.param == "postgresql":
        if not os.environ.get("TEST_DATABASE_SERVER"):
            pytest.skip("TEST_DATABASE_SERVER is not set: the PostgreSQL row-lock test runs in CI's PostgreSQL pass")
        server = DatabaseServer(tmp_path)
        url = server.create("concurrent_issues_inventory")
        # one connection per thread, as separate clients would have
        engine_factory = lambda: create_engine(url, poolclass=NullPool)  # noqa: E731
    else:
        server, url = None, f"sqlite:///{tmp_path / 'concurrent_issues.db'}"
        engine_factory = lambda: make_engine(url)  # noqa: E731  (BEGIN IMMEDIATE, as the service runs)
    upgrade(SPEC.migrations_dir, url)
    engine = engine_factory()
    yield sessionmaker(engine, expire_on_commit=False, info={"service": "inventory", "outbox_model": Outbox})
    engine.dispose()
    if server is not None:
        server.drop_all()


def at_once(Session, work, arguments) -> None:
    """Run `work(session, argument)` for each argument in a thread and session of its own, all released
    together, as separate clients would; none may raise (a deadlock or a lost update would)."""
    start = threading.Barrier(len(arguments))
    errors: list[BaseException] = []

    def run(argument):
        try:
            with Session() as session:
                start.wait(timeout=30)
                work(session, argument)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(argument,)) for argument in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors


def receive_rice(session, location_id, quantity, unit_price, lot_number, supplier_id):
    post_receipt(session, KEEPER, location_id, [{
        "item_id": RICE["id"], "quantity": quantity, "unit_price": unit_price, "lot_number": lot_number,
        "production_date": TODAY, "expiry_date": None}], TODAY, supplier_id=supplier_id)
    session.commit()


def test_fifty_concurrent_issues_never_take_a_lot_below_zero(fresh_database):
    Session = fresh_database
    with Session() as session:
        dh1 = ensure_standard_locations(session, KEEPER.school_id)[0]
        upsert_items(session, KEEPER.school_id, [RICE])
        post_receipt(session, KEEPER, dh1.id, [{"item_id": RICE["id"], "quantity": Decimal("100.000"),
                                                "unit_price": Decimal("3.33"), "lot_number": "R-1",
                                                "production_date": TODAY, "expiry_date": None}], TODAY)
        session.commit()
        location_id = dh1.id

    outcomes: list[str] = []

    def issue_three_kilos(session, _):
        try:
            issue_to_kitchen(session, KEEPER, location_id, TODAY, "lunch",
                             [{"item_id": RICE["id"], "quantity": Decimal("3.000")}], TODAY)
            session.commit()
            outcomes.append("issued")
        except Conflict:
            session.rollback()
            outcomes.append("refused")

    at_once(Session, issue_three_kilos, range(ISSUES))
    assert (outcomes.count("issued"), outcomes.count("refused")) == (33, 17)

    with Session() as session:
        [balance] = session.scalars(select(StockBalance)).unique().all()
        state = session.scalars(select(StockValuation)).one()
        quantity, value, count = session.execute(select(
            func.sum(StockMovement.quantity), func.sum(StockMovement.value), func.count())).one()
        issued_value = session.scalar(select(func.sum(StockMovement.value)).where(StockMovement.kind == "issue"))
        lot_balances = list(session.scalars(select(StockMovement.lot_balance).order_by(StockMovement.id)))
    assert count == 34
    assert balance.quantity == state.quantity == quantity == Decimal("1.000")
    assert state.value == value == Decimal("333.00") + issued_value
    assert state.value == Decimal("3.33")
    # each issue saw the previous one's result: the recorded balances step down by exactly 3 kg
    assert lot_balances == [Decimal("100.000") - 3 * n for n in range(34)]


def test_receipts_of_one_new_lot_at_once_in_several_locations_make_one_lot(fresh_database):
    Session = fresh_database
    with Session() as session:
        location_ids = [location.id for location in ensure_standard_locations(session, KEEPER.school_id)]
        upsert_items(session, KEEPER.school_id, [RICE])
        session.commit()
    at_once(Session, lambda session, n: receive_rice(session, location_ids[n % 5], Decimal("1"), Decimal("4"),
                                                     "R-NEW", supplier_id=None), range(10))
    with Session() as session:
        assert session.scalar(select(func.count()).select_from(Lot)) == 1
        assert session.scalar(select(func.sum(StockBalance.quantity))) == Decimal("10.000")


def test_concurrent_receipts_of_one_lot_into_one_location_add_up_and_record_each_running_balance(fresh_database):
    """Receipts create-and-lock the item × location row and increment the lot balance inside one upsert
    each: ten at once must serialize on that lock, none may read a stale balance."""
    Session = fresh_database
    with Session() as session:
        csr = ensure_standard_locations(session, KEEPER.school_id)[3]
        upsert_items(session, KEEPER.school_id, [RICE])
        session.commit()
    at_once(Session, lambda session, n: receive_rice(session, csr.id, Decimal(n), Decimal("4.00"), "R-SAME",
                                                     supplier_id=7), range(1, 11))
    with Session() as session:
        movements = list(session.scalars(select(StockMovement).order_by(StockMovement.id)))
        [balance] = session.scalars(select(StockBalance)).all()
        [state] = session.scalars(select(StockValuation)).all()
    assert balance.quantity == state.quantity == Decimal("55.000")
    assert state.value == sum(m.value for m in movements) == Decimal("220.00")
    # each receipt saw the ones committed before it: the running balances are the prefix sums
    running = Decimal(0)
    for movement in movements:
        running += movement.quantity
        assert (movement.lot_balance, movement.balance_quantity) == (running, running)

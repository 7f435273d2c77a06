"""Property tests on the database: any sequence of receipts, issues, transfers and stocktake
adjustments leaves balances equal to the ledger sums, values conserved to the fen, and issues FEFO."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from services.inventory.fefo import is_expired
from services.inventory.issues import issue_to_kitchen
from services.inventory.items import upsert_items
from services.inventory.locations import ensure_standard_locations
from services.inventory.models import Lot, StockBalance, StockMovement, StockValuation
from services.inventory.receipts import post_receipt
from services.inventory.stocktakes import approve_stocktake, open_stocktake, record_counts
from services.inventory.transfers import transfer_stock
from services.inventory.valuation import Position
from shared.auth import Principal
from shared.errors import DomainError

from .conftest import MILK, RICE, TODAY

PRINCIPAL = Principal("42", frozenset({"storekeeper"}), school_id=9001)
CODES = ("DH1", "DH2", "CSR")
quantity = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("20"), places=3)
receipt = st.tuples(st.just("receipt"), st.sampled_from(CODES), st.sampled_from((RICE, MILK)),
                    st.decimals(min_value=Decimal("0.001"), max_value=Decimal("100"), places=3),
                    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99"), places=2), st.integers(0, 4))
operation = st.one_of(
    receipt, receipt,  # twice: enough stock arrives for issues and transfers to go through
    st.tuples(st.just("issue"), st.sampled_from(CODES[:2]), st.sampled_from((RICE, MILK)), quantity,
              st.integers(0, 12)),
    st.tuples(st.just("transfer"), st.sampled_from(CODES), st.sampled_from(CODES), st.sampled_from((RICE, MILK)),
              quantity),
    st.tuples(st.just("stocktake"), st.sampled_from(CODES), st.integers(50, 150)),
)


def run(session, locations, step):
    kind = step[0]
    if kind == "receipt":
        _, code, item, qty, price, lot_number = step
        post_receipt(session, PRINCIPAL, locations[code].id, [{
            "item_id": item["id"], "quantity": qty, "unit_price": price, "lot_number": f"L{lot_number}",
            "production_date": None, "expiry_date": TODAY + timedelta(days=3 * lot_number)}], TODAY)
    elif kind == "issue":
        _, code, item, qty, days_later = step
        used_on = TODAY + timedelta(days=days_later)
        before = lots_at(session, locations[code].id, item["id"])
        issue = issue_to_kitchen(session, PRINCIPAL, locations[code].id, used_on, "lunch",
                                 [{"item_id": item["id"], "quantity": qty}], TODAY)
        picked = [session.get(Lot, m.lot_id) for m in issue.movements]
        assert not any(is_expired(lot.expiry_date, used_on) for lot in picked)
        latest = max(lot.expiry_date for lot in picked)
        after = lots_at(session, locations[code].id, item["id"])
        for lot_id, (expiry, _) in before.items():
            if not is_expired(expiry, used_on) and expiry < latest:
                assert after[lot_id][1] == 0, "an earlier-expiring usable lot was left while a later one was taken"
    elif kind == "transfer":
        _, source, target, item, qty = step
        transfer_stock(session, PRINCIPAL, locations[source].id, locations[target].id,
                       [{"item_id": item["id"], "quantity": qty}], TODAY)
    else:
        _, code, percent = step
        sheet = open_stocktake(session, PRINCIPAL, locations[code].id)
        record_counts(session, PRINCIPAL, sheet.id, [
            {"line_id": line.id,
             "counted_quantity": (line.expected_quantity * percent / 100).quantize(Decimal("0.001"))}
            for line in sheet.lines])
        approve_stocktake(session, PRINCIPAL, sheet.id)


def lots_at(session, location_id, item_id):
    return {b.lot_id: (b.lot.expiry_date, b.quantity) for b in session.scalars(
        select(StockBalance).where(StockBalance.location_id == location_id, StockBalance.item_id == item_id)).unique()}


def check_books(session):
    ledger_by_lot = dict(((i, loc, lot), q) for i, loc, lot, q in session.execute(
        select(StockMovement.item_id, StockMovement.location_id, StockMovement.lot_id, func.sum(StockMovement.quantity))
        .group_by(StockMovement.item_id, StockMovement.location_id, StockMovement.lot_id)))
    balances = list(session.scalars(select(StockBalance)).unique())
    assert {(b.item_id, b.location_id, b.lot_id): b.quantity for b in balances} == ledger_by_lot
    for state in session.scalars(select(StockValuation)):
        quantity, value = session.execute(
            select(func.sum(StockMovement.quantity), func.sum(StockMovement.value))
            .where(StockMovement.item_id == state.item_id, StockMovement.location_id == state.location_id)).one()
        lots = sum((b.quantity for b in balances if (b.item_id, b.location_id) == (state.item_id, state.location_id)),
                   Decimal(0))
        assert state.quantity == quantity == lots >= 0
        assert state.value == value >= 0, "on-hand value is exactly received − issued, to the fen"
        if state.quantity == 0:
            assert state.value == 0
        last = session.scalars(select(StockMovement).where(
            StockMovement.item_id == state.item_id, StockMovement.location_id == state.location_id)
            .order_by(StockMovement.id.desc()).limit(1)).first()
        assert (last.balance_quantity, last.balance_value, last.valuation_rate) == (
            state.quantity, state.value, state.last_rate)
        if state.quantity > 0:  # the moving average, whether Python or SQL (a receipt's) computed it
            assert state.last_rate == Position(state.quantity, state.value).rate
    # transfers move value between locations and create none
    transfers = session.execute(select(func.coalesce(func.sum(StockMovement.value), 0))
                                .where(StockMovement.kind.in_(("transfer_in", "transfer_out")))).scalar()
    assert Decimal(transfers) == 0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(operation, min_size=8, max_size=30))
def test_any_sequence_of_movements_keeps_balances_equal_to_the_ledger_and_value_conserved(session_databases, steps):
    database = session_databases["inventory"]
    with database.engine.connect() as connection:
        transaction = connection.begin()
        try:
            with database.bound_to(connection).unit_of_work() as uow:
                session = uow.session
                locations = {loc.code: loc for loc in ensure_standard_locations(session, PRINCIPAL.school_id)}
                upsert_items(session, PRINCIPAL.school_id, [RICE, MILK])
                for step in steps:
                    try:
                        with session.begin_nested():
                            run(session, locations, step)
                        event(f"{step[0]} posted")
                    except DomainError:
                        event(f"{step[0]} refused")  # short stock, same-location transfer: nothing posted
                    check_books(session)
        finally:
            transaction.rollback()

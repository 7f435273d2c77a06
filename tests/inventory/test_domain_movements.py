"""Receipts, issues, transfers, waste and stocktakes posted through the domain functions."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from services.inventory.issues import issue_to_kitchen
from services.inventory.locations import ensure_standard_locations
from services.inventory.models import Lot, StockBalance, StockMovement, StockValuation
from services.inventory.receipts import post_receipt
from services.inventory.stocktakes import approve_stocktake, cancel_stocktake, open_stocktake, record_counts
from services.inventory.transfers import transfer_stock
from services.inventory.waste import record_waste
from shared.auth import Principal
from shared.errors import Conflict, InvalidInput

from .conftest import CHIPS, COAL, MILK, RICE, TODAY, days, receipt_line


def receive(session, keeper, location, *lines, supplier_id=7):
    return post_receipt(session, keeper, location.id, list(lines), TODAY, supplier_id=supplier_id,
                        delivery_reference="DN-1")


def issue(session, keeper, location, item, quantity, meal_date=TODAY):
    return issue_to_kitchen(session, keeper, location.id, meal_date, "lunch",
                            [{"item_id": item["id"], "quantity": Decimal(quantity)}], TODAY)


def position(session, item, location):
    # the row itself: a position in memory is not reverted by a rolled-back savepoint (see ledger._record)
    return session.scalars(select(StockValuation).where(StockValuation.item_id == item["id"],
                                                        StockValuation.location_id == location.id)
                           .execution_options(populate_existing=True)).one()


def test_a_receipt_makes_the_lot_with_expiry_from_production_date_and_shelf_life(session, keeper, locations, items):
    receipt = receive(session, keeper, locations["CSR"], receipt_line(RICE, "500.000", "4.20", "R-1", TODAY - days(10)))
    [movement] = receipt.movements
    lot = session.get(Lot, movement.lot_id)
    assert lot.expiry_date == TODAY - days(10) + days(365)
    assert (lot.supplier_id, lot.delivery_reference) == (7, "DN-1")
    assert (movement.kind, movement.quantity, movement.value) == ("receipt", Decimal("500.000"), Decimal("2100.00"))
    assert (movement.lot_balance, movement.balance_quantity, movement.balance_value) == (
        Decimal("500.000"), Decimal("500.000"), Decimal("2100.00"))
    assert movement.valuation_rate == Decimal("4.200000")
    assert (movement.source_type, movement.source_id, movement.actor) == ("receipt", receipt.id, "1001")


def test_an_item_without_shelf_life_has_lots_that_never_expire(session, keeper, locations, items):
    receipt = receive(session, keeper, locations["CSR"], receipt_line(COAL, "2000", "1.10", "C-1"))
    assert session.get(Lot, receipt.movements[0].lot_id).expiry_date is None


def test_a_given_expiry_date_wins_over_the_shelf_life(session, keeper, locations, items):
    receipt = receive(session, keeper, locations["DH1"],
                      receipt_line(MILK, "10", "6.00", "M-1", TODAY - days(1), TODAY + days(3)))
    assert session.get(Lot, receipt.movements[0].lot_id).expiry_date == TODAY + days(3)


@pytest.mark.parametrize("line, field", [
    (receipt_line(MILK, "10", "6.00", "M-1", TODAY - days(8)), "lines.0.expiry_date"),
    (receipt_line(MILK, "10", "6.00", "M-1", None, TODAY - days(1)), "lines.0.expiry_date"),
    (receipt_line(MILK, "10", "6.00", "M-1", TODAY + days(1)), "lines.0.production_date"),
    (receipt_line(MILK, "10", "6.00", "M-1"), "lines.0.production_date"),
    (receipt_line(MILK, "10", "6.00", "M-1", TODAY, TODAY - days(1)), "lines.0.expiry_date"),
    ({**receipt_line(MILK, "10", "6.00", "M-1", TODAY), "item_id": 999}, "lines.0.item_id"),
])
def test_expired_undated_future_or_unknown_goods_are_refused_at_receipt(session, keeper, locations, items, line,
                                                                         field):
    with pytest.raises(InvalidInput) as refused:
        receive(session, keeper, locations["DH1"], line)
    assert field in refused.value.errors
    assert session.scalar(select(func.count()).select_from(StockMovement)) == 0


def test_a_second_delivery_of_a_lot_must_agree_on_its_production_date(session, keeper, locations, items):
    receive(session, keeper, locations["CSR"], receipt_line(RICE, "10", "4.00", "R-1", TODAY - days(10)))
    again = receive(session, keeper, locations["CSR"], receipt_line(RICE, "5", "4.00", "R-1", TODAY - days(10)))
    assert session.scalar(select(func.count()).select_from(Lot)) == 1
    assert again.movements[0].lot_balance == Decimal("15.000")
    with pytest.raises(InvalidInput) as refused:
        receive(session, keeper, locations["CSR"], receipt_line(RICE, "5", "4.00", "R-1", TODAY - days(9)))
    assert "lines.0.production_date" in refused.value.errors


def test_an_issue_takes_the_earliest_expiring_lot_first_at_the_moving_average(session, keeper, locations, items):
    dh1 = locations["DH1"]
    receive(session, keeper, dh1, receipt_line(MILK, "10", "6.00", "LATE", TODAY, TODAY + days(6)),
            receipt_line(MILK, "4", "4.50", "EARLY", TODAY - days(3), TODAY + days(2)))
    # 14 L worth 60.00 + 18.00 = 78.00: 5.571428… a litre
    issued = issue(session, keeper, dh1, MILK, "6")
    assert [(m.lot.lot_number, m.quantity) for m in issued.movements] == [
        ("EARLY", Decimal("-4.000")), ("LATE", Decimal("-2.000"))]
    assert sum(m.value for m in issued.movements) == Decimal("-33.43")
    state = position(session, MILK, dh1)
    assert (state.quantity, state.value) == (Decimal("8.000"), Decimal("44.57"))


def test_issuing_all_stock_takes_the_remaining_value_to_the_fen(session, keeper, locations, items):
    dh1 = locations["DH1"]
    receive(session, keeper, dh1, receipt_line(MILK, "3", "3.33", "A", TODAY))
    issue(session, keeper, dh1, MILK, "1")
    issue(session, keeper, dh1, MILK, "1")
    last = issue(session, keeper, dh1, MILK, "1")
    state = position(session, MILK, dh1)
    assert (state.quantity, state.value) == (Decimal("0.000"), Decimal("0.00"))
    assert last.movements[0].value == Decimal("-3.33")  # 9.99 − 3.33 − 3.33


def test_an_issue_for_more_than_is_on_hand_is_refused_and_nothing_is_posted(session, keeper, locations, items):
    dh1 = locations["DH1"]
    receive(session, keeper, dh1, receipt_line(MILK, "5", "6.00", "A", TODAY), receipt_line(RICE, "50", "4", "R",
                                                                                           TODAY))
    before = session.scalar(select(func.count()).select_from(StockMovement))
    with pytest.raises(Conflict) as refused:
        with session.begin_nested():  # rolled back on the error, as the unit of work does
            issue_to_kitchen(session, keeper, dh1.id, TODAY, "dinner",
                             [{"item_id": RICE["id"], "quantity": Decimal("10")},
                              {"item_id": MILK["id"], "quantity": Decimal("5.001")}], TODAY)
    assert list(refused.value.errors) == ["lines.1.quantity"]
    assert "5.001 requested but only 5.000 usable" in refused.value.errors["lines.1.quantity"][0]
    assert session.scalar(select(func.count()).select_from(StockMovement)) == before == 2
    assert position(session, RICE, dh1).quantity == Decimal("50.000")


def test_an_expired_lot_is_never_issued(session, keeper, locations, items):
    dh1 = locations["DH1"]
    receive(session, keeper, dh1, receipt_line(MILK, "5", "6.00", "OLD", TODAY - days(5), TODAY),
            receipt_line(MILK, "2", "6.00", "NEW", TODAY, TODAY + days(7)))
    tomorrow = issue_to_kitchen(session, keeper, dh1.id, TODAY + days(1), "breakfast",
                                [{"item_id": MILK["id"], "quantity": Decimal("2")}], TODAY)
    assert [m.lot.lot_number for m in tomorrow.movements] == ["NEW"]
    with pytest.raises(Conflict) as refused:
        issue_to_kitchen(session, keeper, dh1.id, TODAY + days(1), "lunch",
                         [{"item_id": MILK["id"], "quantity": Decimal("1")}], TODAY)
    assert "5.000 more are expired" in refused.value.errors["lines.0.quantity"][0]
    # on its expiry date the lot is still usable
    assert [m.lot.lot_number for m in issue(session, keeper, dh1, MILK, "1").movements] == ["OLD"]


def test_issues_go_only_to_a_dining_hall_of_the_school(session, keeper, locations, items):
    for location_id in (locations["CSR"].id, 99_999):
        with pytest.raises(InvalidInput) as refused:
            issue_to_kitchen(session, keeper, location_id, TODAY, "lunch",
                             [{"item_id": MILK["id"], "quantity": Decimal("1")}], TODAY)
        assert "location_id" in refused.value.errors


def test_an_item_never_received_at_the_location_cannot_be_issued(session, keeper, locations, items):
    with pytest.raises(Conflict) as refused:
        issue(session, keeper, locations["DH2"], RICE, "1")
    assert "lines.0.quantity" in refused.value.errors


def test_a_transfer_moves_the_lot_and_its_value_without_losing_a_fen(session, keeper, locations, items):
    csr, dh2 = locations["CSR"], locations["DH2"]
    receive(session, keeper, csr, receipt_line(RICE, "3", "3.33", "R-1", TODAY))
    transfer = transfer_stock(session, keeper, csr.id, dh2.id, [{"item_id": RICE["id"], "quantity": Decimal("1")}],
                              TODAY)
    out, into = transfer.movements
    assert (out.kind, out.location_id, out.quantity, out.value) == ("transfer_out", csr.id, Decimal("-1.000"),
                                                                     Decimal("-3.33"))
    assert (into.kind, into.location_id, into.quantity, into.value, into.lot_id) == (
        "transfer_in", dh2.id, Decimal("1.000"), Decimal("3.33"), out.lot_id)
    assert position(session, RICE, csr).value + position(session, RICE, dh2).value == Decimal("9.99")


def test_a_transfer_of_a_named_lot_refuses_more_than_the_lot_holds(session, keeper, locations, items):
    csr = locations["CSR"]
    receipt = receive(session, keeper, csr, receipt_line(RICE, "3", "4", "R-1", TODAY),
                      receipt_line(RICE, "9", "4", "R-2", TODAY))
    lot_id = receipt.movements[0].lot_id
    with pytest.raises(Conflict) as refused:
        transfer_stock(session, keeper, csr.id, locations["DH1"].id,
                       [{"item_id": RICE["id"], "quantity": Decimal("4"), "lot_id": lot_id}], TODAY)
    assert "lines.0.quantity" in refused.value.errors


def test_a_transfer_to_the_same_location_is_refused(session, keeper, locations, items):
    with pytest.raises(InvalidInput) as refused:
        transfer_stock(session, keeper, locations["CSR"].id, locations["CSR"].id,
                       [{"item_id": RICE["id"], "quantity": Decimal("1")}], TODAY)
    assert "to_location_id" in refused.value.errors


def test_waste_writes_off_a_lot_with_its_reason(session, keeper, locations, items):
    store = locations["STORE"]
    receipt = receive(session, keeper, store, receipt_line(CHIPS, "20", "2.50", "CH-1", TODAY))
    record = record_waste(session, keeper, store.id, "包装破损",
                          [{"item_id": CHIPS["id"], "lot_id": receipt.movements[0].lot_id, "quantity": Decimal("2")}])
    [movement] = record.movements
    assert (movement.kind, movement.quantity, movement.value) == ("waste", Decimal("-2.000"), Decimal("-5.00"))
    assert record.reason == "包装破损"
    with pytest.raises(Conflict):
        record_waste(session, keeper, store.id, "过期", [{"item_id": CHIPS["id"], "lot_id": movement.lot_id,
                                                          "quantity": Decimal("18.001")}])


def test_a_stocktake_posts_counted_minus_book_as_adjustments_on_approval(session, keeper, manager, locations, items):
    hall = locations["DH1"]  # the manager's own
    receive(session, keeper, hall, receipt_line(RICE, "100", "4.00", "R-1", TODAY),
            receipt_line(MILK, "10", "6.00", "M-1", TODAY))
    sheet = open_stocktake(session, keeper, hall.id)
    assert sorted((line.item_id, line.expected_quantity) for line in sheet.lines) == [
        (RICE["id"], Decimal("100.000")), (MILK["id"], Decimal("10.000"))]
    lines = {line.item_id: line for line in sheet.lines}
    with pytest.raises(Conflict):
        approve_stocktake(session, manager, sheet.id)  # nothing counted yet
    record_counts(session, keeper, sheet.id, [{"line_id": lines[RICE["id"]].id, "counted_quantity": Decimal("98.5")},
                                              {"line_id": lines[MILK["id"]].id, "counted_quantity": Decimal("11")}])
    assert lines[RICE["id"]].variance == Decimal("-1.500")
    approved = approve_stocktake(session, manager, sheet.id)
    assert approved.status == "approved"
    assert sorted((m.item_id, m.kind, m.quantity, m.value) for m in approved.movements) == [
        (RICE["id"], "adjustment", Decimal("-1.500"), Decimal("-6.00")),
        (MILK["id"], "adjustment", Decimal("1.000"), Decimal("6.00"))]
    assert position(session, RICE, hall).quantity == Decimal("98.500")
    with pytest.raises(Conflict):
        approve_stocktake(session, manager, sheet.id)


def test_a_cancelled_stocktake_posts_nothing_and_takes_no_counts(session, keeper, manager, locations, items):
    hall = locations["DH1"]  # the manager's own
    receive(session, keeper, hall, receipt_line(RICE, "100", "4.00", "R-1", TODAY))
    sheet = open_stocktake(session, keeper, hall.id)
    with pytest.raises(Conflict):
        open_stocktake(session, keeper, hall.id)  # one count at a time per location
    cancel_stocktake(session, manager, sheet.id, "wrong day")
    with pytest.raises(Conflict):
        record_counts(session, keeper, sheet.id, [{"line_id": sheet.lines[0].id, "counted_quantity": Decimal("1")}])
    assert session.scalar(select(func.count()).select_from(StockMovement).where(
        StockMovement.source_type == "stocktake")) == 0


def test_the_ledger_refuses_updates_and_deletes(session, keeper, locations, items):
    receive(session, keeper, locations["CSR"], receipt_line(RICE, "1", "4", "R-1", TODAY))
    for statement in ("UPDATE stock_movements SET quantity = 0", "DELETE FROM stock_movements"):
        with pytest.raises(Exception, match="append-only"):
            with session.begin_nested():
                session.execute(text(statement))
    assert session.scalar(select(func.count()).select_from(StockMovement)) == 1
    session.scalars(select(StockMovement)).one().quantity = Decimal("2")
    with pytest.raises(PermissionError, match="append-only"):
        session.flush()


def test_balance_rows_equal_the_ledger_sums(session, keeper, locations, items):
    csr, dh1 = locations["CSR"], locations["DH1"]
    receive(session, keeper, csr, receipt_line(RICE, "7.777", "3.19", "R-1", TODAY),
            receipt_line(RICE, "1.001", "9.99", "R-2", TODAY))
    transfer_stock(session, keeper, csr.id, dh1.id, [{"item_id": RICE["id"], "quantity": Decimal("3.333")}], TODAY)
    issue(session, keeper, dh1, RICE, "1.111")
    for balance in session.scalars(select(StockBalance)).unique():
        assert balance.quantity == session.scalar(select(func.sum(StockMovement.quantity)).where(
            StockMovement.item_id == balance.item_id, StockMovement.location_id == balance.location_id,
            StockMovement.lot_id == balance.lot_id))
    for state in session.scalars(select(StockValuation)):
        assert state.value == session.scalar(select(func.sum(StockMovement.value)).where(
            StockMovement.item_id == state.item_id, StockMovement.location_id == state.location_id))


def test_another_schools_item_is_unknown_here(session, keeper, locations, items):
    stranger = Principal("9", frozenset({"storekeeper"}), school_id=keeper.school_id + 1000)
    their_store = ensure_standard_locations(session, stranger.school_id)[3]
    with pytest.raises(InvalidInput) as refused:
        receive(session, stranger, their_store, receipt_line(RICE, "1", "4", "R-1", TODAY))
    assert "lines.0.item_id" in refused.value.errors

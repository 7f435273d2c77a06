"""Goods receipts in few statements: what bench/inventory.py measures, held here so it cannot creep back."""
from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select

from services.inventory.models import Item, Lot, StockBalance, StockMovement, StockValuation
from services.inventory.receipts import post_receipt
from services.inventory.valuation import Position, receipt_value, take_in
from shared.errors import InvalidInput

from .conftest import MILK, RICE, TODAY, days, receipt_line
from .test_api import TODAY as SHANGHAI_TODAY
from .test_api import line
from .test_api import post_receipt as post_receipt_api


def test_a_one_line_goods_receipt_takes_six_statements_and_answers_without_reading_back(
        inventory, inventory_db, keeper_headers, setup):
    statements = []

    def count(_connection, _cursor, statement, *_):
        if not statement.startswith(("SAVEPOINT", "RELEASE")):  # the test's own rolled-back transaction
            statements.append(statement.split()[0])

    event.listen(inventory_db.engine, "before_cursor_execute", count)
    try:
        response = post_receipt_api(inventory, keeper_headers, setup["CSR"],
                                    line(RICE, "25.000", "4.20", "R-COUNT", SHANGHAI_TODAY - timedelta(3)))
    finally:
        event.remove(inventory_db.engine, "before_cursor_execute", count)
    assert response.status_code == 201, response.json
    # location, items and their reorder rules, receipt, position (create-or-lock and take in), lot
    # (make-or-find), lot balance (increment), ledger row
    assert statements == ["SELECT", "INSERT", "INSERT", "INSERT", "INSERT", "INSERT"]
    [movement] = response.json["movements"]
    assert (movement["lot_number"], movement["quantity"], movement["lot_balance"]) == (
        "R-COUNT", "25.000", "25.000")


def test_two_lines_of_one_lot_in_one_receipt_make_one_lot_and_record_each_running_balance(
        session, keeper, locations, items):
    receipt = post_receipt(session, keeper, locations["CSR"].id, [
        receipt_line(RICE, "10", "4.00", "R-TWICE", TODAY - days(2)),
        receipt_line(MILK, "3", "5.00", "M-1", TODAY - days(1)),
        receipt_line(RICE, "15", "4.00", "R-TWICE", TODAY - days(2))], TODAY, supplier_id=7)
    assert session.scalar(select(func.count()).select_from(Lot).where(Lot.lot_number == "R-TWICE")) == 1
    assert [(m.lot.lot_number, m.lot_balance, m.balance_quantity) for m in receipt.movements] == [
        ("R-TWICE", Decimal("10.000"), Decimal("10.000")), ("M-1", Decimal("3.000"), Decimal("3.000")),
        ("R-TWICE", Decimal("25.000"), Decimal("25.000"))]
    assert session.scalar(select(StockBalance.quantity).where(
        StockBalance.lot_id == receipt.movements[0].lot_id)) == Decimal("25.000")


def test_a_lot_without_a_supplier_is_found_again_on_its_next_receipt(session, keeper, locations, items):
    first = post_receipt(session, keeper, locations["CSR"].id,
                         [receipt_line(RICE, "4", "4.00", "R-NOSUP", TODAY - days(2))], TODAY)
    second = post_receipt(session, keeper, locations["DH1"].id,
                          [receipt_line(RICE, "6", "4.00", "R-NOSUP", TODAY - days(2))], TODAY)
    assert first.movements[0].lot_id == second.movements[0].lot_id
    assert session.scalar(select(func.count()).select_from(Lot).where(Lot.lot_number == "R-NOSUP")) == 1


@pytest.mark.parametrize("change, field", [
    ({"location_id": 10**6}, "location_id"),
    ({"inactive": MILK["id"]}, "lines.1.item_id"),
    ({"second_item": 999}, "lines.1.item_id"),
])
def test_the_one_look_up_of_location_and_items_still_refuses_what_is_unknown_naming_the_field(
        session, keeper, locations, items, change, field):
    if "inactive" in change:
        session.get(Item, change["inactive"]).active = False
        session.flush()
    lines = [receipt_line(RICE, "1", "4.00", "R-1", TODAY),
             {**receipt_line(MILK, "1", "5.00", "M-1", TODAY), "item_id": change.get("second_item", MILK["id"])}]
    with pytest.raises(InvalidInput) as refused:
        post_receipt(session, keeper, change.get("location_id", locations["CSR"].id), lines, TODAY)
    assert list(refused.value.errors) == [field]
    assert session.scalar(select(func.count()).select_from(StockMovement)) == 0


def test_the_moving_average_a_receipt_takes_in_with_sql_is_valuation_take_in(session, keeper, locations, items):
    """The receipt's position statement computes valuation.take_in in SQL: after every receipt the
    position and the movement must hold what Python's take_in gives, also on a rounding tie
    (0.256 at ¥0.04 is worth ¥0.01: a rate of 0.0390625, 0.039063 half up) and past the value up
    to which the SQL rate is exact (¥4.6 billion), where Python's rate is stored instead."""
    rng = random.Random(20261126)
    lines = [("0.256", "0.04")] + [
        (f"{rng.randint(1, 10_000_000) / 1000:.3f}", f"{rng.randint(0, 50_000) / 100:.2f}") for _ in range(30)] + [
        ("10000000", "99999.99"), ("0.001", "0.01"), ("123.457", "3.33")]
    expected = Position()
    for number, (quantity, price) in enumerate(lines):
        quantity, price = Decimal(quantity), Decimal(price)
        receipt = post_receipt(session, keeper, locations["CSR"].id,
                               [receipt_line(RICE, quantity, price, f"R-{number}", TODAY)], TODAY)
        expected = take_in(expected, quantity, receipt_value(quantity, price))
        [movement] = receipt.movements
        stored = session.execute(select(StockValuation.quantity, StockValuation.value, StockValuation.last_rate)
                                 .where(StockValuation.item_id == RICE["id"],
                                        StockValuation.location_id == locations["CSR"].id)).one()
        assert tuple(stored) == (movement.balance_quantity, movement.balance_value, movement.valuation_rate) == (
            expected.quantity, expected.value, expected.rate), f"after line {number}: {quantity} at {price}"
        if number == 0:
            assert movement.valuation_rate == Decimal("0.039063")
    assert expected.value > Decimal("4600000000")  # the last receipts were past the exact SQL rate

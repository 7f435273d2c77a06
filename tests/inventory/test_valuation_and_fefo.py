"""The valuation and FEFO rules on their own, with property tests of their invariants."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.inventory.fefo import Candidate, NotEnoughStock, fefo_key, is_expired, pick
from services.inventory.valuation import Position, outbound_value, receipt_value, take_in, take_out

TODAY = date(2026, 11, 26)
T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
quantities = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("10000"), places=3)
prices = st.decimals(min_value=Decimal("0"), max_value=Decimal("500"), places=2)


def test_a_receipt_is_valued_at_quantity_times_price_rounded_half_up_to_the_fen():
    assert receipt_value(Decimal("0.125"), Decimal("0.04")) == Decimal("0.01")  # 0.005 → 0.01
    assert receipt_value(Decimal("0.124"), Decimal("0.04")) == Decimal("0.00")
    assert receipt_value(Decimal("2.500"), Decimal("4.18")) == Decimal("10.45")


def test_an_issue_of_part_of_the_stock_is_valued_at_the_unrounded_rate():
    position = Position(Decimal("3.000"), Decimal("10.00"))
    assert outbound_value(position, Decimal("1")) == Decimal("3.33")
    assert outbound_value(position, Decimal("2")) == Decimal("6.67")
    assert outbound_value(position, Decimal("3")) == Decimal("10.00")


def test_an_issue_of_more_than_the_position_holds_is_an_error():
    with pytest.raises(ValueError):
        outbound_value(Position(Decimal("1"), Decimal("1")), Decimal("1.001"))


def test_an_emptied_position_keeps_its_last_rate_for_stock_found_later():
    position = take_in(Position(), Decimal("4"), Decimal("10.00"))
    emptied, value = take_out(position, Decimal("4"))
    assert (emptied.quantity, emptied.value, value) == (Decimal("0.000"), Decimal("0.00"), Decimal("10.00"))
    assert emptied.rate == Decimal("2.500000")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.booleans(), quantities, prices, st.integers(1, 100)), min_size=1, max_size=40))
def test_valuation_conserves_value_received_minus_issued_is_on_hand_value_to_the_fen(steps):
    position, received, issued = Position(), Decimal(0), Decimal(0)
    for is_receipt, quantity, price, share in steps:
        if is_receipt or position.quantity == 0:
            value = receipt_value(quantity, price)
            position = take_in(position, quantity, value)
            received += value
        else:
            # issue a share of what is on hand (at least a thousandth), sometimes all of it
            part = max(Decimal("0.001"), (position.quantity * share / 100).quantize(Decimal("0.001")))
            position, value = take_out(position, min(part, position.quantity))
            issued += value
        assert position.value == received - issued
        assert position.value >= 0 and position.value == position.value.quantize(Decimal("0.01"))
        if position.quantity == 0:
            assert position.value == 0


def lot(lot_id, expiry, quantity="10", received_days=0):
    return Candidate(lot_id, expiry, T0 + timedelta(days=received_days), Decimal(quantity))


def test_fefo_orders_by_expiry_then_receipt_then_id_and_undated_lots_last():
    lots = [lot(1, None), lot(2, TODAY + timedelta(5), received_days=2), lot(3, TODAY + timedelta(5), received_days=1),
            lot(4, TODAY + timedelta(5), received_days=1), lot(5, TODAY + timedelta(1))]
    assert [c.lot_id for c in sorted(lots, key=fefo_key)] == [5, 3, 4, 2, 1]
    assert pick(lots, Decimal("25"), TODAY) == [(5, Decimal("10")), (3, Decimal("10")), (4, Decimal("5"))]


def test_fefo_refuses_the_whole_request_when_short_and_says_what_expired():
    lots = [lot(1, TODAY - timedelta(1), "4"), lot(2, TODAY, "3")]
    assert is_expired(TODAY - timedelta(1), TODAY) and not is_expired(TODAY, TODAY)
    with pytest.raises(NotEnoughStock) as refused:
        pick(lots, Decimal("5"), TODAY)
    assert (refused.value.usable, refused.value.expired) == (Decimal("3"), Decimal("4"))


candidates = st.lists(st.builds(
    Candidate, lot_id=st.integers(1, 10_000), expiry_date=st.none() | st.dates(TODAY - timedelta(30),
                                                                                TODAY + timedelta(60)),
    received_at=st.datetimes(datetime(2026, 1, 1), datetime(2026, 12, 31), timezones=st.just(timezone.utc)),
    quantity=st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=3)),
    max_size=12, unique_by=lambda c: c.lot_id)


@settings(max_examples=300, deadline=None)
@given(candidates, quantities)
def test_fefo_picks_the_earliest_expiring_usable_lots_and_never_an_expired_one(lots, requested):
    usable = sorted((c for c in lots if c.quantity > 0 and not is_expired(c.expiry_date, TODAY)), key=fefo_key)
    try:
        picks = pick(lots, requested, TODAY)
    except NotEnoughStock:
        assert sum((c.quantity for c in usable), Decimal(0)) < requested
        return
    assert sum(quantity for _, quantity in picks) == requested
    # the picks are the FEFO order's prefix: every lot before the last pick is taken whole
    assert [lot_id for lot_id, _ in picks] == [c.lot_id for c in usable[:len(picks)]]
    by_id = {c.lot_id: c for c in lots}
    for lot_id, quantity in picks[:-1]:
        assert quantity == by_id[lot_id].quantity
    assert 0 < picks[-1][1] <= by_id[picks[-1][0]].quantity

"""shared.money: amounts are Decimal, fixed half-up to the fen (money) or the thousandth (quantity)."""
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.money import FEN, MILLI, money, quantity, to_decimal


@pytest.mark.parametrize(("amount", "fixed"), [
    ("2.345", "2.35"),    # half-up: banker's rounding would give 2.34
    ("2.335", "2.34"),
    ("2.3449", "2.34"),
    ("0.005", "0.01"),
    ("0.0049999", "0.00"),
    ("-2.345", "-2.35"),  # ties go away from zero on both sides
    ("12", "12.00"),
    ("1E+2", "100.00"),
])
def test_money_rounds_half_up_to_the_fen(amount, fixed):
    result = money(amount)
    assert result == Decimal(fixed)
    assert str(result) == fixed


def test_money_keeps_exactly_two_places_even_for_whole_yuan():
    assert money(7).as_tuple().exponent == -2
    assert money(Decimal("7")).as_tuple().exponent == -2


@pytest.mark.parametrize(("amount", "fixed"), [
    ("1.0005", "1.001"),
    ("1.00049", "1.000"),
    ("25", "25.000"),
    ("-0.0005", "-0.001"),
])
def test_quantity_rounds_half_up_to_the_thousandth(amount, fixed):
    assert str(quantity(amount)) == fixed


@pytest.mark.parametrize("function", [to_decimal, money, quantity])
@pytest.mark.parametrize("value", [0.1, 1.0, float("nan"), float("inf")])
def test_floats_are_refused_for_money_and_quantities(function, value):
    with pytest.raises(TypeError, match="floats are not accepted"):
        function(value)


@pytest.mark.parametrize("function", [to_decimal, money, quantity])
@pytest.mark.parametrize("value", ["abc", "", "1,5", "12 yuan", None, [1], "NaN", "-Infinity", "sNaN"])
def test_garbage_and_non_finite_values_are_refused_with_value_error(function, value):
    with pytest.raises(ValueError):
        function(value)


def test_to_decimal_keeps_every_place_because_rounding_happens_only_where_an_amount_is_fixed():
    assert to_decimal("0.3333333") == Decimal("0.3333333")
    assert to_decimal(Decimal("1.23456789")) == Decimal("1.23456789")
    assert to_decimal(5) == Decimal(5)


def test_the_unit_constants_are_a_fen_and_a_thousandth():
    assert FEN == Decimal("0.01")
    assert MILLI == Decimal("0.001")


decimals = st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), allow_nan=False, allow_infinity=False,
                       places=6)


@given(decimals)
def test_money_moves_an_amount_by_at_most_half_a_fen(amount):
    fixed = money(amount)
    assert abs(fixed - amount) <= Decimal("0.005")
    assert fixed.as_tuple().exponent == -2


@given(decimals)
def test_fixing_an_amount_twice_changes_nothing(amount):
    assert money(money(amount)) == money(amount)
    assert quantity(quantity(amount)) == quantity(amount)


@given(st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=2))
def test_an_amount_already_in_fen_is_kept_exactly(amount):
    assert money(amount) == amount
    assert money(str(amount)) == amount


@given(decimals)
def test_money_rounds_ties_away_from_zero_symmetrically(amount):
    assert money(-amount) == -money(amount)

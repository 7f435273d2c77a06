"""shared.fields: Money and Quantity fields are exact: Decimal in, strings out, extra places refused."""
import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError

from shared.fields import Money, Quantity


class LineSchema(Schema):
    price = Money()
    amount = Quantity()
    positive_price = Money(positive=True)
    positive_amount = Quantity(positive=True)


def load(field: str, value):
    return LineSchema().load({field: value})[field]


def errors(field: str, value) -> list[str]:
    with pytest.raises(ValidationError) as excinfo:
        LineSchema().load({field: value})
    return excinfo.value.messages[field]


@pytest.mark.parametrize(("value", "expected"), [
    ("12.50", "12.50"), ("12.5", "12.50"), ("12", "12.00"), (12, "12.00"), (0, "0.00"), ("  3.2 ", "3.20"),
])
def test_money_accepts_amounts_to_the_fen(value, expected):
    loaded = load("price", value)
    assert isinstance(loaded, Decimal)
    assert str(loaded) == expected


@pytest.mark.parametrize(("value", "expected"), [("25", "25.000"), ("0.125", "0.125"), (2, "2.000")])
def test_quantity_accepts_amounts_to_the_thousandth(value, expected):
    assert str(load("amount", value)) == expected


@pytest.mark.parametrize(("field", "value"), [
    ("price", "12.345"), ("price", "0.001"), ("price", "1e-3"), ("amount", "1.0001"), ("amount", "2.5e-4"),
])
def test_extra_decimal_places_are_refused_never_rounded_away(field, value):
    assert any("decimal places" in message for message in errors(field, value))


@pytest.mark.parametrize("field", ["price", "amount"])
@pytest.mark.parametrize("value", ["NaN", "nan", "-Infinity", "Infinity", "sNaN", float("nan"), float("inf")])
def test_nan_and_infinity_are_refused(field, value):
    assert errors(field, value)


@pytest.mark.parametrize("field", ["price", "amount"])
@pytest.mark.parametrize("value", [True, False])
def test_booleans_are_not_numbers(field, value):
    assert errors(field, value) == ["Not a valid number."]


@pytest.mark.parametrize("field", ["price", "amount"])
@pytest.mark.parametrize("value", ["", "abc", "12 元", "1,50", "0x10", [], {}, [1], {"value": 1}, "1e30"])
def test_garbage_is_refused_as_not_a_valid_number(field, value):
    assert errors(field, value)


@pytest.mark.parametrize(("field", "value"), [
    ("price", "-0.01"), ("amount", "-1"), ("price", "1000000000000.00"), ("amount", "1e12"),
    ("positive_price", "0"), ("positive_amount", "0.000"),
])
def test_out_of_range_amounts_are_refused(field, value):
    assert errors(field, value)


def test_positive_fields_accept_the_smallest_unit():
    assert load("positive_price", "0.01") == Decimal("0.01")
    assert load("positive_amount", "0.001") == Decimal("0.001")


def test_null_is_refused_unless_the_field_allows_it():
    assert errors("price", None)


@pytest.mark.parametrize(("json_number", "expected"), [
    ("1.1", "1.10"), ("0.1", "0.10"), ("19.99", "19.99"), ("1e2", "100.00"), ("100", "100.00"),
])
def test_a_json_number_is_read_as_the_decimal_the_client_wrote(json_number, expected):
    value = json.loads(json_number)
    assert str(load("price", value)) == expected


def test_a_json_number_that_is_not_what_the_client_meant_to_the_fen_is_refused():
    assert errors("price", 0.1 + 0.2) == ["At most 2 decimal places."]


def test_money_and_quantities_dump_as_strings_with_their_fixed_places():
    dumped = LineSchema().dump({"price": Decimal("12.5"), "amount": Decimal("3"), "positive_price": Decimal("0.01")})
    assert dumped == {"price": "12.50", "amount": "3.000", "positive_price": "0.01"}
    assert json.loads(json.dumps(dumped)) == dumped


def test_a_loaded_value_dumps_back_to_the_same_string():
    loaded = LineSchema().load({"price": "7.05", "amount": "0.125"})
    assert LineSchema().dump(loaded) == {"price": "7.05", "amount": "0.125"}


@given(st.decimals(min_value=0, max_value=Decimal("999999999999.99"), places=2))
def test_every_amount_in_range_round_trips_through_json_exactly(amount):
    dumped = json.loads(json.dumps(LineSchema().dump({"price": amount})))
    assert LineSchema().load(dumped)["price"] == amount


@given(st.floats(min_value=0, max_value=1e9, allow_nan=False))
def test_a_float_is_accepted_only_when_its_shortest_form_has_at_most_two_places(number):
    exact = Decimal(repr(number))
    try:
        loaded = load("price", number)
    except ValidationError:
        assert exact.as_tuple().exponent < -2
    else:
        assert loaded == exact

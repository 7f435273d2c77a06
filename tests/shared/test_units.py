"""shared.units: conversions to an item's base unit, standard and per-item packaging units."""
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from shared.units import STANDARD_UNITS, UNIT_ALIASES, UnitError, canonical, from_base, to_base

RICE_PACKAGING = {"bag": Decimal("25")}   # one bag of rice = 25 kg
OIL_PACKAGING = {"drum": "5"}             # one drum of cooking oil = 5 L


@pytest.mark.parametrize(("amount", "unit", "base", "expected"), [
    ("2", "jin", "kg", "1"),
    ("3", "kg", "jin", "6"),
    ("1", "t", "kg", "1000"),
    ("2.5", "t", "jin", "5000"),
    ("500", "g", "kg", "0.5"),
    ("1", "kg", "g", "1000"),
    ("1", "jin", "g", "500"),
    ("250", "g", "jin", "0.5"),
    ("1500", "mL", "L", "1.5"),
    ("2", "L", "mL", "2000"),
    ("12", "piece", "piece", "12"),
    ("0.001", "t", "g", "1000"),
])
def test_standard_units_convert_within_their_dimension(amount, unit, base, expected):
    assert to_base(amount, unit, base) == Decimal(expected)


@pytest.mark.parametrize(("unit", "base", "expected"), [
    ("斤", "kg", "0.5"),
    ("公斤", "kg", "1"),
    ("千克", "斤", "2"),
    ("克", "kg", "0.001"),
    ("吨", "公斤", "1000"),
    ("升", "mL", "1000"),
    ("毫升", "L", "0.001"),
    ("件", "piece", "1"),
    ("个", "件", "1"),
])
def test_chinese_unit_names_are_aliases_of_the_standard_units(unit, base, expected):
    assert to_base(1, unit, base) == Decimal(expected)


def test_every_alias_names_a_standard_unit():
    assert set(UNIT_ALIASES.values()) <= set(STANDARD_UNITS)
    assert canonical("斤") == "jin"
    assert canonical("kg") == "kg"


def test_a_bag_of_rice_holds_twenty_five_kilograms():
    assert to_base(2, "bag", "kg", RICE_PACKAGING) == Decimal("50")
    assert from_base(50, "bag", "kg", RICE_PACKAGING) == Decimal("2")
    assert from_base("12.5", "bag", "kg", RICE_PACKAGING) == Decimal("0.5")


def test_a_drum_of_oil_holds_five_litres():
    assert to_base(3, "drum", "L", OIL_PACKAGING) == Decimal("15")
    assert from_base("12.5", "drum", "L", OIL_PACKAGING) == Decimal("2.5")


def test_an_item_counted_in_its_base_unit_by_alias_needs_no_conversion():
    assert to_base("7.125", "公斤", "kg") == Decimal("7.125")
    assert to_base("7.125", "bag", "bag", RICE_PACKAGING) == Decimal("7.125")


@pytest.mark.parametrize(("unit", "base"), [
    ("kg", "L"), ("L", "kg"), ("piece", "kg"), ("斤", "升"), ("mL", "piece"), ("t", "个"),
])
def test_units_of_different_dimensions_cannot_be_converted(unit, base):
    with pytest.raises(UnitError, match="cannot convert"):
        to_base(1, unit, base)
    with pytest.raises(UnitError):
        from_base(1, unit, base)


def test_a_packaging_unit_of_another_item_is_unknown():
    with pytest.raises(UnitError, match="unknown unit 'bag'"):
        to_base(1, "bag", "kg")
    with pytest.raises(UnitError, match="unknown unit 'drum'"):
        to_base(1, "drum", "L", RICE_PACKAGING)
    with pytest.raises(UnitError):
        from_base(1, "bag", "kg")


def test_an_unknown_base_unit_is_refused():
    with pytest.raises(UnitError):
        to_base(1, "kg", "crate")


def test_unit_error_is_a_value_error_so_callers_can_treat_it_as_invalid_input():
    assert issubclass(UnitError, ValueError)


def test_floats_are_refused_in_amounts_and_in_packaging():
    with pytest.raises(TypeError):
        to_base(1.5, "kg", "g")
    with pytest.raises(TypeError):
        to_base(1, "bag", "kg", {"bag": 25.0})


amounts = st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=3)
mass = st.sampled_from(["kg", "g", "jin", "t", "斤", "公斤", "千克", "克", "吨"])
volume = st.sampled_from(["L", "mL", "升", "毫升"])
same_dimension = st.one_of(st.tuples(mass, mass), st.tuples(volume, volume),
                           st.tuples(st.sampled_from(["piece", "件", "个"]), st.sampled_from(["piece", "件", "个"])))
factors = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("10000"), places=3)


@given(amounts, same_dimension)
def test_to_base_then_from_base_gives_back_the_exact_amount(amount, units):
    unit, base = units
    assert from_base(to_base(amount, unit, base), unit, base) == amount


@given(amounts, factors)
def test_packaging_to_base_then_from_base_gives_back_the_exact_amount(amount, factor):
    packaging = {"bag": factor}
    for base in ("kg", "L", "piece"):
        assert from_base(to_base(amount, "bag", base, packaging), "bag", base, packaging) == amount


@given(amounts, amounts, same_dimension)
def test_conversion_is_additive(a, b, units):
    unit, base = units
    assert to_base(a + b, unit, base) == to_base(a, unit, base) + to_base(b, unit, base)


@given(amounts, st.integers(min_value=-1000, max_value=1000), same_dimension)
def test_conversion_scales_with_the_amount(amount, k, units):
    unit, base = units
    assert to_base(k * amount, unit, base) == k * to_base(amount, unit, base)


@given(amounts, amounts, factors)
def test_packaging_conversion_is_linear(a, b, factor):
    packaging = {"drum": factor}
    total = to_base(a + b, "drum", "L", packaging)
    assert total == to_base(a, "drum", "L", packaging) + to_base(b, "drum", "L", packaging)


@given(amounts, mass, mass)
def test_converting_there_and_back_through_another_unit_is_exact(amount, unit, base):
    assume(canonical(unit) != canonical(base))
    there = to_base(amount, unit, base)
    assert to_base(there, base, unit) == amount

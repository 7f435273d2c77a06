from decimal import ROUND_FLOOR, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.procurement.pricing import price_limit

cents = st.integers(min_value=1, max_value=10_000_000).map(lambda n: Decimal(n).scaleb(-2))
rates = st.integers(min_value=0, max_value=999).map(lambda n: Decimal(n).scaleb(-3))
factors = st.integers(min_value=1, max_value=1_000_000).map(lambda n: Decimal(n).scaleb(-3))


def exact(kind, reference, rate, factor):
    return {"ceiling": reference * factor, "min_discount": reference * factor * (1 - rate),
            "max_markup": reference * factor * (1 + rate)}[kind]


def test_documented_examples_compute_the_documented_limits():
    assert price_limit("min_discount", Decimal("2.00"), Decimal("0.30")) == Decimal("1.40")  # vegetables 30 %
    assert price_limit("min_discount", Decimal("30.00"), Decimal("0.15")) == Decimal("25.50")  # pork 15 %
    assert price_limit("max_markup", Decimal("5.00"), Decimal("0.09")) == Decimal("5.45")  # grain and oil 9 %
    assert price_limit("ceiling", Decimal("1200.00")) == Decimal("1200.00")  # coal per tonne
    assert price_limit("max_markup", Decimal("4.20"), Decimal("0.09"), factor=Decimal("25")) == Decimal("114.45")


def test_a_limit_between_two_fen_is_rounded_down_so_a_price_on_it_complies():
    # 3.33 × 0.7 = 2.331: 2.33 complies, 2.34 does not
    assert price_limit("min_discount", Decimal("3.33"), Decimal("0.30")) == Decimal("2.33")


@given(kind=st.sampled_from(["ceiling", "min_discount", "max_markup"]), reference=cents, rate=rates,
       factor=factors, price=cents)
def test_a_price_in_fen_is_within_the_limit_exactly_when_it_is_within_the_exact_rule(kind, reference, rate, factor,
                                                                                      price):
    limit = price_limit(kind, reference, rate, factor)
    value = exact(kind, reference, rate, factor)
    assert limit == value.quantize(Decimal("0.01"), rounding=ROUND_FLOOR)
    assert limit <= value < limit + Decimal("0.01")
    assert (price <= limit) == (price <= value)


@given(reference=cents, rate=rates)
def test_discount_limits_never_exceed_the_reference_and_markup_limits_never_fall_below_it(reference, rate):
    assert price_limit("min_discount", reference, rate) <= reference
    assert price_limit("ceiling", reference, rate) == reference
    assert price_limit("max_markup", reference, rate) >= reference


@pytest.mark.parametrize("kind, rate", [("min_discount", Decimal(1)), ("min_discount", Decimal("-0.1")),
                                        ("max_markup", Decimal("-0.01")), ("bargain", Decimal(0))])
def test_rules_outside_their_range_are_refused(kind, rate):
    with pytest.raises(ValueError):
        price_limit(kind, Decimal("1.00"), rate)

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.procurement.matching import LineToMatch, Tolerances, line_mismatches, match

fen = st.integers(min_value=1, max_value=10**8)
milli = st.integers(min_value=0, max_value=10**8)
tolerance_thousandths = st.integers(min_value=0, max_value=100)  # 0 % to 10 % in steps of 0.1 %


def line(ordered="4.20", received="250", invoiced_qty="250", invoiced_price="4.20"):
    return LineToMatch("PO-2026-000001 line 1", Decimal(ordered), Decimal(received), Decimal(invoiced_qty),
                       Decimal(invoiced_price))


def test_an_invoice_exactly_as_ordered_and_received_matches():
    assert match([line()]) == []


@pytest.mark.parametrize("price, matches", [("4.22", True), ("4.18", True), ("4.23", False), ("4.17", False)])
def test_the_default_price_tolerance_is_half_a_percent_either_way(price, matches):
    # 0.5 % of 4.20 is 0.021
    assert (match([line(invoiced_price=price)]) == []) is matches


def test_by_default_nothing_may_be_invoiced_beyond_what_was_accepted():
    assert match([line(invoiced_qty="250.001")]) != []
    assert match([line(invoiced_qty="200")]) == []
    assert match([line(invoiced_qty="251")], Tolerances(quantity=Decimal("1"))) == []


def test_each_mismatch_gives_a_reason_naming_the_line():
    reasons = match([line(invoiced_qty="300", invoiced_price="5.00")])
    assert len(reasons) == 2 and all(r.startswith("PO-2026-000001 line 1") for r in reasons)


@given(ordered=fen, invoiced=fen, tolerance=tolerance_thousandths)
def test_a_price_matches_exactly_when_it_is_within_the_tolerance(ordered, invoiced, tolerance):
    ordered_price, invoiced_price = Decimal(ordered).scaleb(-2), Decimal(invoiced).scaleb(-2)
    tolerances = Tolerances(price=Decimal(tolerance).scaleb(-3))
    reasons = line_mismatches(LineToMatch("l", ordered_price, Decimal(1), Decimal(1), invoiced_price), tolerances)
    # the same rule in exact rational arithmetic, in fen
    within = abs(Fraction(invoiced) - Fraction(ordered)) <= Fraction(ordered) * Fraction(tolerance, 1000)
    assert (reasons == []) is within


@given(received=milli, invoiced=milli, tolerance=milli)
def test_a_quantity_matches_exactly_when_it_is_at_most_received_plus_tolerance(received, invoiced, tolerance):
    tolerances = Tolerances(quantity=Decimal(tolerance).scaleb(-3))
    reasons = line_mismatches(LineToMatch("l", Decimal(1), Decimal(received).scaleb(-3), Decimal(invoiced).scaleb(-3),
                                          Decimal(1)), tolerances)
    assert (reasons == []) is (invoiced <= received + tolerance)


@given(lines=st.lists(st.tuples(fen, milli, milli, fen), max_size=10))
def test_an_invoice_matches_exactly_when_every_line_does(lines):
    built = [LineToMatch(f"l{i}", Decimal(o).scaleb(-2), Decimal(r).scaleb(-3), Decimal(q).scaleb(-3),
                         Decimal(p).scaleb(-2)) for i, (o, r, q, p) in enumerate(lines)]
    assert (match(built) == []) is all(line_mismatches(one) == [] for one in built)


def test_negative_tolerances_are_refused():
    with pytest.raises(ValueError):
        Tolerances(price=Decimal("-0.01"))

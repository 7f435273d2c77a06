"""compute_statement and combine on plain values, with property tests of their invariants."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.inventory.costing.meal_cost import (
    INGREDIENT_CATEGORIES,
    Figures,
    combine,
    compute_statement,
    ingredient_category,
)
from services.inventory.costing.models import EXPENSE_KINDS, INCOME_KINDS, MEALS
from services.inventory.costing.periods import period_bounds, utc_bounds

D = Decimal
FLOOR = D("85.00")
amounts = st.integers(min_value=0, max_value=10**9).map(lambda fen: D(fen).scaleb(-2))
figures = st.builds(
    Figures,
    diners=st.fixed_dictionaries({meal: st.integers(0, 5000) for meal in MEALS}),
    income=st.fixed_dictionaries({kind: amounts for kind in INCOME_KINDS}),
    ingredients=st.fixed_dictionaries({kind: amounts for kind in INGREDIENT_CATEGORIES}),
    coal=amounts,
    expenses=st.fixed_dictionaries({kind: amounts for kind in EXPENSE_KINDS}))


def test_catalogue_categories_fall_in_the_statements_ingredient_lines():
    assert [ingredient_category(c) for c in ("vegetables", "rice", "flour", "cooking_oil", "meat_eggs",
                                             "seasonings", "dairy", "store_goods", "coal")] == [
        "vegetables", "grain_oil", "grain_oil", "grain_oil", "meat_eggs", "seasonings", "other", "other", None]


def test_a_share_that_rounds_up_to_the_floor_still_warns():
    # 84.996 / 100.00 = 84.996 % → stated 85.00 %, but below the 85 % floor
    s = compute_statement(Figures(income={"student_fees": D("100.00")}, ingredients={"vegetables": D("84.996")}), FLOOR)
    assert (s.food_share, s.below_floor) == (D("85.00"), True)
    exact = compute_statement(Figures(income={"student_fees": D("100.00")}, ingredients={"other": D("85.00")}), FLOOR)
    assert (exact.food_share, exact.below_floor) == (D("85.00"), False)


def test_subsidies_are_income_but_not_meal_fees():
    s = compute_statement(Figures(income={"student_fees": D("100.00"), "subsidies": D("900.00")},
                                  ingredients={"grain_oil": D("80.00")}), FLOOR)
    assert (s.income_total, s.meal_fee_income, s.food_share, s.below_floor) == (
        D("1000.00"), D("100.00"), D("80.00"), True)


def test_cost_per_diner_meal_is_fixed_half_up_to_the_fen():
    s = compute_statement(Figures(diners={"lunch": 8}, ingredients={"vegetables": D("1.00")}), FLOOR)
    assert s.cost_per_diner_meal == D("0.13")  # 1.00 / 8 = 0.125 → 0.13


def test_unknown_lines_are_refused():
    with pytest.raises(ValueError):
        Figures(income={"donations": D("1.00")})


@given(st.lists(figures, min_size=1, max_size=4))
def test_the_school_total_is_the_sum_of_the_dining_halls(halls):
    parts = [compute_statement(hall, FLOOR) for hall in halls]
    school = compute_statement(combine(halls), FLOOR)
    for name in ("diner_meals", "income_total", "meal_fee_income", "ingredient_total", "fuel_total",
                 "spending_total", "balance", "gross_margin"):
        total = getattr(school, name)
        assert total == sum((getattr(part, name) for part in parts), start=type(total)(0))
    for meal in MEALS:
        assert school.figures.diners[meal] == sum(part.figures.diners[meal] for part in parts)


@given(figures)
def test_the_balance_is_income_less_every_spending_line_and_nothing_is_rounded(f):
    s = compute_statement(f, FLOOR)
    assert s.balance == (sum(f.income.values()) - sum(f.ingredients.values()) - f.coal
                         - sum(f.expenses.values()))
    assert s.balance.as_tuple().exponent == -2
    assert s.gross_margin == s.income_total - s.ingredient_total


@given(figures, st.integers(1, 10000).map(lambda basis: D(basis).scaleb(-2)))
def test_the_warning_is_exactly_ingredients_below_the_floor_share_of_meal_fees(f, floor):
    s = compute_statement(f, floor)
    fees = f.income["student_fees"] + f.income["staff_fees"]
    assert s.below_floor == (fees > 0 and s.ingredient_total / fees < floor / 100)
    assert bool(s.warnings) == s.below_floor


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)))
def test_a_day_lies_in_its_week_and_month_and_weeks_run_monday_to_sunday(day):
    start, end = period_bounds("week", day)
    assert start <= day <= end and start.weekday() == 0 and (end - start).days == 6
    first, last = period_bounds("month", day)
    assert first.day == 1 and first <= day <= last and last.month == day.month
    begin, finish = utc_bounds(day, day, "Asia/Shanghai")
    assert (finish - begin).total_seconds() == 86400 and begin.hour == 16


def test_a_term_needs_an_ordered_range_of_at_most_a_year():
    assert period_bounds("term", start=date(2026, 9, 1), end=date(2027, 1, 20)) == (date(2026, 9, 1),
                                                                                  date(2027, 1, 20))
    for start, end in ((date(2026, 9, 1), date(2026, 8, 1)), (date(2026, 1, 1), date(2027, 1, 2)), (None, None)):
        with pytest.raises(ValueError):
            period_bounds("term", start=start, end=end)

"""Property tests of the query layer on the database: the school is the sum of its halls, and a month the
sum of its days, for any entries, diners and issues."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.inventory.costing.accounts import period_accounts
from services.inventory.costing.entries import add_entry, record_meals_served
from services.inventory.costing.models import EXPENSE_KINDS, INCOME_KINDS, MEALS

from .conftest import at, issue, receive

OCTOBER = [date(2026, 10, 1) + timedelta(days=n) for n in range(31)]
ADDITIVE = ("diner_meals", "income_total", "meal_fee_income", "ingredient_total", "fuel_total", "spending_total",
            "balance", "gross_margin")
halls_ = st.sampled_from(["DH1", "DH2", "DH3"])
fen = st.integers(1, 10**7).map(lambda n: Decimal(n).scaleb(-2))
entries = st.lists(st.tuples(st.sampled_from(["income", "expense"]), halls_, st.sampled_from(OCTOBER),
                             st.integers(0, 3), fen), max_size=8)
diners = st.lists(st.tuples(halls_, st.sampled_from(OCTOBER[:10]), st.sampled_from(MEALS), st.integers(0, 900)),
                  max_size=6)
issues = st.lists(st.tuples(halls_, st.integers(0, 9), st.sampled_from(["RICE", "PORK", "COAL"]),
                            st.integers(1, 40)), max_size=4)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=entries, diners=diners, issues=issues)
def test_the_school_is_the_sum_of_its_halls_and_the_month_the_sum_of_its_days(session, school_id, finance, keeper,
                                                                              halls, items, clock, entries, diners,
                                                                              issues):
    nested = session.begin_nested()
    try:
        clock(at(2026, 9, 30))
        for code in ("DH1", "DH2", "DH3"):
            receive(session, keeper, halls[code], items, [("RICE", "500", "4.37"), ("PORK", "500", "26.13"),
                                                          ("COAL", "500", "1.11")])
        for code, day, item, quantity in sorted(issues, key=lambda i: i[1]):
            clock(at(2026, 10, 1 + day, 5))
            issue(session, keeper, halls[code], items, OCTOBER[day], [(item, str(quantity))])
        for code, day, meal, count in diners:
            record_meals_served(session, finance, halls[code].id, day, meal, count)
        for direction, code, day, kind, amount in entries:
            kinds = INCOME_KINDS if direction == "income" else EXPENSE_KINDS
            add_entry(session, finance, direction, halls[code].id, day, kinds[kind % len(kinds)], amount)

        month = period_accounts(session, school_id, OCTOBER[0], OCTOBER[-1], "Asia/Shanghai")
        for name in ADDITIVE:
            school = getattr(month.school, name)
            assert school == sum((getattr(h.statement, name) for h in month.halls), type(school)(0)), name
        days = [period_accounts(session, school_id, day, day, "Asia/Shanghai").school for day in OCTOBER[:10]]
        later = period_accounts(session, school_id, OCTOBER[10], OCTOBER[-1], "Asia/Shanghai").school
        for name in ADDITIVE:
            assert getattr(month.school, name) == sum((getattr(d, name) for d in days), getattr(later, name)), name
    finally:
        nested.rollback()

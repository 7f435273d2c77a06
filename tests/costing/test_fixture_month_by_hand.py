"""October 2026 of the fixture (conftest.october), computed by hand, against the query layer.

Issue values are the moving average fixed to the fen, half up (services/inventory/valuation.py):

DH1 received on 1 Oct: rice 100 kg × 4.20 = 420.00; cabbage 50 × 1.80 = 90.00; pork 20 × 26.50 = 530.00;
    salt 10 × 2.35 = 23.50; milk 10 L × 6.00 = 60.00; coal 500 × 1.10 = 550.00
DH1 issued in October (Shanghai dates):
    2 Oct   rice 30      420.00 × 30/100   = 126.00   (grain_oil)
            cabbage 12.5  90.00 × 12.5/50  =  22.50   (vegetables)
            milk 4        60.00 × 4/10     =  24.00   (dairy → other)
    15 Oct  pork 7.3     530.00 × 7.3/20   = 193.45   (meat_eggs)
            salt 1.7      23.50 × 1.7/10   =   3.995 → 4.00 (seasonings, half up)
    31 Oct 23:30  coal 200  550.00 × 200/500 = 220.00 (fuel, not an ingredient)
    1 Nov 00:10 (still 31 Oct in UTC): rice 10 — November, not counted
DH2 received: rice 50 × 4.30 = 215.00; cabbage 30 × 1.90 = 57.00
DH2 issued 20 Oct: rice 20 → 215.00 × 20/50 = 86.00; cabbage 30 (all of it) → 57.00
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from services.inventory.costing.accounts import period_accounts
from services.inventory.costing.entries import update_settings

OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))
D = Decimal


def accounts_of(session, school_id):
    accounts = period_accounts(session, school_id, *OCTOBER, "Asia/Shanghai")
    return {account.location.code: account.statement for account in accounts.halls}, accounts.school


def test_dining_hall_1_october_is_computed_to_the_fen(session, school_id, october):
    halls, _ = accounts_of(session, school_id)
    s = halls["DH1"]
    # diners: 2 Oct 40 + 60 + 50, 15 Oct lunch 55 (30 Sep and 1 Nov are outside)
    assert s.figures.diners == {"breakfast": 40, "lunch": 115, "dinner": 50}
    assert s.diner_meals == 205  # 40 + 115 + 50
    # income: student 300.00 + 80.00 (the 999.99 of 1 Nov is outside), staff 45.50, subsidy 100.00, other 12.30
    assert s.figures.income == {"student_fees": D("380.00"), "staff_fees": D("45.50"), "subsidies": D("100.00"),
                                "other": D("12.30")}
    assert s.income_total == D("537.80")  # 380.00 + 45.50 + 100.00 + 12.30
    assert s.meal_fee_income == D("425.50")  # 380.00 + 45.50
    assert s.figures.ingredients == {"vegetables": D("22.50"), "grain_oil": D("126.00"), "meat_eggs": D("193.45"),
                                     "seasonings": D("4.00"), "other": D("24.00")}
    assert s.ingredient_total == D("369.95")  # 22.50 + 126.00 + 193.45 + 4.00 + 24.00
    assert s.figures.coal == D("220.00")
    assert s.figures.expenses == {"utilities": D("80.00"), "wages": D("150.00"), "overheads": D("20.25")}
    assert s.fuel_total == D("300.00")  # coal 220.00 + utilities 80.00
    assert s.spending_total == D("840.20")  # 369.95 + 300.00 + 150.00 + 20.25 (the 500.00 of 30 Sep is outside)
    assert s.balance == D("-302.40")  # 537.80 − 840.20
    assert s.gross_margin == D("167.85")  # 537.80 − 369.95
    assert s.gross_margin_rate == D("31.21")  # 167.85 / 537.80 = 31.2104…%
    assert s.cost_per_diner_meal == D("4.10")  # 840.20 / 205 = 4.0985…
    assert s.ingredient_cost_per_diner_meal == D("1.80")  # 369.95 / 205 = 1.8046…
    assert s.food_share == D("86.94")  # 369.95 / 425.50 = 86.9447…%
    assert (s.food_share_floor, s.below_floor, s.warnings) == (D("85.00"), False, [])


def test_dining_hall_2_october_is_below_the_food_share_floor(session, school_id, october):
    halls, _ = accounts_of(session, school_id)
    s = halls["DH2"]
    assert s.figures.diners == {"breakfast": 0, "lunch": 30, "dinner": 20}
    assert s.diner_meals == 50
    assert (s.income_total, s.meal_fee_income) == (D("170.00"), D("170.00"))
    assert s.figures.ingredients == {"vegetables": D("57.00"), "grain_oil": D("86.00"), "meat_eggs": D("0.00"),
                                     "seasonings": D("0.00"), "other": D("0.00")}
    assert s.ingredient_total == D("143.00")  # 57.00 + 86.00
    assert (s.figures.coal, s.fuel_total) == (D("0.00"), D("0.00"))
    assert s.spending_total == D("203.00")  # 143.00 + wages 60.00
    assert s.balance == D("-33.00")  # 170.00 − 203.00
    assert s.gross_margin == D("27.00")  # 170.00 − 143.00
    assert s.gross_margin_rate == D("15.88")  # 27.00 / 170.00 = 15.882…%
    assert s.cost_per_diner_meal == D("4.06")  # 203.00 / 50
    assert s.ingredient_cost_per_diner_meal == D("2.86")  # 143.00 / 50
    assert s.food_share == D("84.12")  # 143.00 / 170.00 = 84.117…% < 85 %
    assert s.below_floor is True
    assert "84.12%" in s.warnings[0] and "85.00%" in s.warnings[0]


def test_a_hall_with_nothing_has_zeros_and_no_ratios(session, school_id, october):
    halls, _ = accounts_of(session, school_id)
    s = halls["DH3"]
    assert (s.diner_meals, s.income_total, s.spending_total, s.balance) == (0, D("0.00"), D("0.00"), D("0.00"))
    assert (s.gross_margin_rate, s.cost_per_diner_meal, s.food_share, s.below_floor) == (None, None, None, False)


def test_the_school_october_is_the_sum_of_its_halls_to_the_fen(session, school_id, october):
    _, s = accounts_of(session, school_id)
    assert s.figures.diners == {"breakfast": 40, "lunch": 145, "dinner": 70}  # lunch 115 + 30, dinner 50 + 20
    assert s.diner_meals == 255  # 205 + 50
    assert s.income_total == D("707.80")  # 537.80 + 170.00
    assert s.meal_fee_income == D("595.50")  # 425.50 + 170.00
    assert s.figures.ingredients == {"vegetables": D("79.50"), "grain_oil": D("212.00"), "meat_eggs": D("193.45"),
                                     "seasonings": D("4.00"), "other": D("24.00")}  # 22.50+57.00, 126.00+86.00
    assert s.ingredient_total == D("512.95")  # 369.95 + 143.00
    assert s.fuel_total == D("300.00")
    assert s.spending_total == D("1043.20")  # 840.20 + 203.00
    assert s.balance == D("-335.40")  # 707.80 − 1043.20 = −302.40 − 33.00
    assert s.gross_margin == D("194.85")  # 707.80 − 512.95
    assert s.gross_margin_rate == D("27.53")  # 194.85 / 707.80 = 27.5289…%
    assert s.cost_per_diner_meal == D("4.09")  # 1043.20 / 255 = 4.0909…
    assert s.ingredient_cost_per_diner_meal == D("2.01")  # 512.95 / 255 = 2.0115…
    assert s.food_share == D("86.14")  # 512.95 / 595.50 = 86.1376…% (not the mean of the halls' shares)
    assert s.below_floor is False


@pytest.mark.parametrize("floor, dh1_below", [("86.94", False), ("86.95", True), ("90.00", True)])
def test_the_food_share_floor_is_the_schools_setting(session, school_id, finance, october, floor, dh1_below):
    update_settings(session, finance, D(floor))
    halls, _ = accounts_of(session, school_id)
    # 369.95 / 425.50 = 86.9447…%: not below 86.94 %, below 86.95 %
    assert halls["DH1"].below_floor is dh1_below
    assert halls["DH1"].food_share_floor == D(floor)


def test_a_week_and_a_day_take_only_their_own_dates(session, school_id, october):
    accounts = period_accounts(session, school_id, date(2026, 10, 12), date(2026, 10, 18), "Asia/Shanghai")
    dh1 = accounts.halls[0].statement
    # the week of 15 Oct: pork 193.45 + salt 4.00; lunch 55
    assert (dh1.ingredient_total, dh1.diner_meals, dh1.income_total) == (D("197.45"), 55, D("0.00"))
    day = period_accounts(session, school_id, date(2026, 11, 1), date(2026, 11, 1), "Asia/Shanghai").halls[0]
    # 1 Nov 00:10 Shanghai: rice 10 of the 70 left worth 294.00 → 294.00 × 10/70 = 42.00
    assert (day.statement.figures.ingredients["grain_oil"], day.statement.diner_meals) == (D("42.00"), 70)

"""The meal-cost account of a dining hall (or the school) for a period: pure arithmetic over plain values.

Rounding (DESIGN.md §6: half-up to the fen only where an amount is fixed):

* Every input amount is already fixed to the fen (entries are Money, ledger values are
  Money), so sums, the balance and the gross margin are exact and never rounded.
* Cost per diner-meal is a quotient: it is fixed to the fen, half-up, here, because that is
  the amount the statement states.
* Ratios (gross-margin rate, food share) are stated as percentages to 0.01 %, half-up. The
  food-share floor is checked on the exact quotient (ingredients < floor × meal fees), not on
  the rounded percentage, so a share that only rounds up to the floor still warns.
* The school's figures are computed from the summed amounts of its dining halls, never by
  averaging the halls' ratios.

Meal-fee income is what diners pay for meals: student meal fees plus staff meal fees
(subsidies and other income are not fees). Without meal-fee income the food share is
undefined (None) and nothing is compared.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from shared.money import money

from .models import EXPENSE_KINDS, INCOME_KINDS, MEALS

# Ingredient categories of the statement and the catalogue categories that fall in each.
INGREDIENT_CATEGORIES = ("vegetables", "grain_oil", "meat_eggs", "seasonings", "other")
_CATALOGUE_TO_INGREDIENT = {"vegetables": "vegetables", "rice": "grain_oil", "flour": "grain_oil",
                            "cooking_oil": "grain_oil", "meat_eggs": "meat_eggs", "seasonings": "seasonings"}
# Coal issued to a kitchen is fuel, not an ingredient.
FUEL_CATEGORIES = frozenset({"coal"})
ZERO = Decimal("0.00")
PERCENT = Decimal("0.01")


def ingredient_category(catalogue_category: str) -> str | None:
    """The statement's ingredient category for a catalogue category; None for fuel."""
    if catalogue_category in FUEL_CATEGORIES:
        return None
    return _CATALOGUE_TO_INGREDIENT.get(catalogue_category, "other")


def _zeros(keys) -> dict[str, Decimal]:
    return {key: ZERO for key in keys}


@dataclass(frozen=True)
class Figures:
    """What one dining hall's period is made of: counts and amounts as recorded, nothing derived."""

    diners: Mapping[str, int] = field(default_factory=lambda: {meal: 0 for meal in MEALS})
    income: Mapping[str, Decimal] = field(default_factory=lambda: _zeros(INCOME_KINDS))
    ingredients: Mapping[str, Decimal] = field(default_factory=lambda: _zeros(INGREDIENT_CATEGORIES))
    coal: Decimal = ZERO
    expenses: Mapping[str, Decimal] = field(default_factory=lambda: _zeros(EXPENSE_KINDS))

    def __post_init__(self):
        # Fill missing keys so that every statement has every line, and refuse unknown ones.
        for name, keys, zero in (("diners", MEALS, 0), ("income", INCOME_KINDS, ZERO),
                                 ("ingredients", INGREDIENT_CATEGORIES, ZERO), ("expenses", EXPENSE_KINDS, ZERO)):
            given = dict(getattr(self, name))
            unknown = set(given) - set(keys)
            if unknown:
                raise ValueError(f"unknown {name}: {', '.join(sorted(unknown))}")
            object.__setattr__(self, name, {key: given.get(key, zero) for key in keys})


def combine(figures: Iterable[Figures]) -> Figures:
    """The figures of several dining halls added together (the school)."""
    diners = {meal: 0 for meal in MEALS}
    income, ingredients, expenses = _zeros(INCOME_KINDS), _zeros(INGREDIENT_CATEGORIES), _zeros(EXPENSE_KINDS)
    coal = ZERO
    for part in figures:
        for meal in MEALS:
            diners[meal] += part.diners[meal]
        for target, source in ((income, part.income), (ingredients, part.ingredients), (expenses, part.expenses)):
            for key in target:
                target[key] += source[key]
        coal += part.coal
    return Figures(diners, income, ingredients, coal, expenses)


def _percent(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    if denominator == 0:
        return None
    return (numerator * 100 / denominator).quantize(PERCENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Statement:
    figures: Figures
    diner_meals: int
    income_total: Decimal
    meal_fee_income: Decimal
    ingredient_total: Decimal
    fuel_total: Decimal
    spending_total: Decimal
    balance: Decimal
    gross_margin: Decimal
    gross_margin_rate: Decimal | None
    cost_per_diner_meal: Decimal | None
    ingredient_cost_per_diner_meal: Decimal | None
    food_share: Decimal | None
    food_share_floor: Decimal
    below_floor: bool

    @property
    def warnings(self) -> list[str]:
        if not self.below_floor:
            return []
        return [f"食材支出占伙食费收入 {self.food_share}%，低于 {self.food_share_floor}% 的下限 "
                f"(ingredient share {self.food_share}% is below the {self.food_share_floor}% floor)"]

    def as_dict(self) -> dict:
        """Every figure as JSON-ready strings (money and percentages) and integers (diners)."""
        text = lambda value: None if value is None else str(value)  # noqa: E731
        f = self.figures
        return {
            "diners": dict(f.diners), "diner_meals": self.diner_meals,
            "income": {k: str(v) for k, v in f.income.items()}, "income_total": str(self.income_total),
            "meal_fee_income": str(self.meal_fee_income),
            "ingredients": {k: str(v) for k, v in f.ingredients.items()},
            "ingredient_total": str(self.ingredient_total),
            "coal": str(f.coal), "utilities": str(f.expenses["utilities"]), "fuel_total": str(self.fuel_total),
            "wages": str(f.expenses["wages"]), "overheads": str(f.expenses["overheads"]),
            "spending_total": str(self.spending_total), "balance": str(self.balance),
            "gross_margin": str(self.gross_margin), "gross_margin_rate": text(self.gross_margin_rate),
            "cost_per_diner_meal": text(self.cost_per_diner_meal),
            "ingredient_cost_per_diner_meal": text(self.ingredient_cost_per_diner_meal),
            "food_share": text(self.food_share), "food_share_floor": str(self.food_share_floor),
            "below_floor": self.below_floor, "warnings": self.warnings,
        }


def compute_statement(figures: Figures, food_share_floor: Decimal) -> Statement:
    """Balance, gross margin, cost per diner-meal and the food share against its floor (a percentage)."""
    diner_meals = sum(figures.diners.values())
    income_total = sum(figures.income.values(), ZERO)
    meal_fee_income = figures.income["student_fees"] + figures.income["staff_fees"]
    ingredient_total = sum(figures.ingredients.values(), ZERO)
    fuel_total = figures.coal + figures.expenses["utilities"]
    spending_total = ingredient_total + fuel_total + figures.expenses["wages"] + figures.expenses["overheads"]
    gross_margin = income_total - ingredient_total
    below_floor = meal_fee_income > 0 and ingredient_total * 100 < food_share_floor * meal_fee_income
    return Statement(
        figures=figures, diner_meals=diner_meals, income_total=income_total, meal_fee_income=meal_fee_income,
        ingredient_total=ingredient_total, fuel_total=fuel_total, spending_total=spending_total,
        balance=income_total - spending_total, gross_margin=gross_margin,
        gross_margin_rate=_percent(gross_margin, income_total),
        cost_per_diner_meal=money(spending_total / diner_meals) if diner_meals else None,
        ingredient_cost_per_diner_meal=money(ingredient_total / diner_meals) if diner_meals else None,
        food_share=_percent(ingredient_total, meal_fee_income), food_share_floor=food_share_floor,
        below_floor=below_floor)

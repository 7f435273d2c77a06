"""The query layer: a period's figures per dining hall, read from the ledger and the entries.

Ingredients and coal are the value of the ledger's `issue` movements at each dining hall,
dated by when they were posted (`occurred_at`, in the school's time zone). An issue's value
is negative in the ledger (stock going out), so spending is its negation.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.errors import InvalidInput

from ..models import Item, Location, MealsServed, StockMovement
from .meal_cost import ZERO, Figures, Statement, combine, compute_statement, ingredient_category
from .models import DEFAULT_FOOD_SHARE_FLOOR, CostingSettings, ExpenseEntry, IncomeEntry
from .periods import utc_bounds


@dataclass(frozen=True)
class HallAccount:
    location: Location
    statement: Statement


@dataclass(frozen=True)
class Accounts:
    start: date
    end: date
    halls: list[HallAccount]
    school: Statement


def food_share_floor(session: Session, school_id: int) -> Decimal:
    floor = session.scalar(select(CostingSettings.food_share_floor).where(CostingSettings.school_id == school_id))
    return DEFAULT_FOOD_SHARE_FLOOR if floor is None else floor


def dining_halls(session: Session, school_id: int, location_id: int | None = None) -> list[Location]:
    query = select(Location).where(Location.school_id == school_id, Location.kind == "dining_hall")
    if location_id is not None:
        query = query.where(Location.id == location_id)
    halls = list(session.scalars(query.order_by(Location.code)))
    if location_id is not None and not halls:
        raise InvalidInput("location_id", "no dining hall {location_id} in this school", location_id=location_id)
    return halls


def get_dining_hall(session: Session, school_id: int, location_id: int, field: str = "location_id") -> Location:
    hall = session.scalars(select(Location).where(Location.id == location_id, Location.school_id == school_id,
                                                  Location.kind == "dining_hall")).first()
    if hall is None:
        raise InvalidInput(field, "no dining hall {location_id} in this school", location_id=location_id)
    return hall


def period_figures(session: Session, school_id: int, location_ids: list[int], start: date, end: date,
                   school_timezone: str) -> dict[int, Figures]:
    """{location id: Figures} for the dining halls `location_ids` over start..end (inclusive)."""
    diners = defaultdict(dict)
    for location_id, meal, count in session.execute(
            select(MealsServed.location_id, MealsServed.meal, func.sum(MealsServed.diners))
            .where(MealsServed.school_id == school_id, MealsServed.location_id.in_(location_ids),
                   MealsServed.meal_date.between(start, end))
            .group_by(MealsServed.location_id, MealsServed.meal)):
        diners[location_id][meal] = int(count)

    def entry_sums(model) -> dict[int, dict[str, Decimal]]:
        sums = defaultdict(dict)
        # sum() keeps its argument's type: the database adds fen, the Money type reads yuan
        total = func.sum(model.amount)
        for location_id, kind, amount in session.execute(
                select(model.location_id, model.kind, total)
                .where(model.school_id == school_id, model.location_id.in_(location_ids),
                       model.entry_date.between(start, end))
                .group_by(model.location_id, model.kind)):
            sums[location_id][kind] = amount
        return sums

    income, expenses = entry_sums(IncomeEntry), entry_sums(ExpenseEntry)
    ingredients, coal = defaultdict(lambda: defaultdict(lambda: ZERO)), defaultdict(lambda: ZERO)
    begin, finish = utc_bounds(start, end, school_timezone)
    for location_id, category, value in session.execute(
            select(StockMovement.location_id, Item.category,
                   func.sum(StockMovement.value))
            .join(Item, Item.id == StockMovement.item_id)
            .where(StockMovement.school_id == school_id, StockMovement.kind == "issue",
                   StockMovement.location_id.in_(location_ids),
                   StockMovement.occurred_at >= begin, StockMovement.occurred_at < finish)
            .group_by(StockMovement.location_id, Item.category)):
        spent = -value  # issues leave the store: their ledger value is negative
        line = ingredient_category(category)
        if line is None:
            coal[location_id] += spent
        else:
            ingredients[location_id][line] += spent
    return {location_id: Figures(diners[location_id], income[location_id], ingredients[location_id],
                                 coal[location_id], expenses[location_id])
            for location_id in location_ids}


def period_accounts(session: Session, school_id: int, start: date, end: date, school_timezone: str,
                    location_id: int | None = None) -> Accounts:
    """The accounts of every dining hall of the school (or one) and of the school as their sum."""
    halls = dining_halls(session, school_id, location_id)
    floor = food_share_floor(session, school_id)
    figures = period_figures(session, school_id, [hall.id for hall in halls], start, end, school_timezone)
    return Accounts(start, end, [HallAccount(hall, compute_statement(figures[hall.id], floor)) for hall in halls],
                    compute_statement(combine(figures.values()), floor))

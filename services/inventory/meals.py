"""Meals served and meal cost (伙食成本): value of stock issued ÷ meals served, per dining hall and period."""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.errors import InvalidInput

from .models import Issue, Location, MealsServed, StockMovement


def meal_costs(session: Session, school_id: int, date_from: date, date_to: date) -> list[dict]:
    """Per dining hall, for meal dates in [date_from, date_to]: cost of goods issued, meals served, cost per meal."""
    if date_to < date_from:
        raise InvalidInput("date_to", "the period ends before it starts")
    issued = dict(session.execute(
        select(Issue.location_id, -func.sum(StockMovement.value))
        .join(StockMovement, (StockMovement.source_type == "issue") & (StockMovement.source_id == Issue.id))
        .where(Issue.school_id == school_id, Issue.meal_date >= date_from, Issue.meal_date <= date_to)
        .group_by(Issue.location_id)).all())
    served = dict(session.execute(
        select(MealsServed.location_id, func.sum(MealsServed.diners))
        .where(MealsServed.school_id == school_id, MealsServed.meal_date >= date_from,
               MealsServed.meal_date <= date_to)
        .group_by(MealsServed.location_id)).all())
    rows = []
    for location in session.scalars(select(Location).where(Location.school_id == school_id,
                                                           Location.kind == "dining_hall").order_by(Location.id)):
        cost = Decimal(issued.get(location.id) or 0).quantize(Decimal("0.01"))
        meals = int(served.get(location.id) or 0)
        rows.append({"location_id": location.id, "location_code": location.code, "cost_of_goods_issued": cost,
                     "meals_served": meals,
                     "cost_per_meal": (cost / meals).quantize(Decimal("0.01"), ROUND_HALF_UP) if meals else None})
    return rows

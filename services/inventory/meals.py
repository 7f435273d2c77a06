"""Meals served and meal cost (伙食成本): value of stock issued ÷ meals served, per dining hall and period."""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.auth import Principal
from shared.db import utcnow
from shared.errors import InvalidInput

from .locations import get_location
from .models import Issue, Location, MealsServed, StockMovement


def record_meals_served(session: Session, principal: Principal, location_id: int, meal_date: date, meal: str,
                        diners: int) -> MealsServed:
    """Enter (or correct) the diners of one meal in one dining hall."""
    location = get_location(session, principal.school_id, location_id)
    if location.kind != "dining_hall":
        raise InvalidInput("location_id", f"{location.name} is not a dining hall")
    row = session.scalars(select(MealsServed).where(MealsServed.location_id == location.id,
                                                    MealsServed.meal_date == meal_date,
                                                    MealsServed.meal == meal)).first()
    if row is None:
        row = MealsServed(school_id=principal.school_id, location_id=location.id, meal_date=meal_date, meal=meal)
        session.add(row)
    row.diners, row.recorded_by, row.recorded_at = diners, principal.user_id, utcnow()
    session.flush()
    return row


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

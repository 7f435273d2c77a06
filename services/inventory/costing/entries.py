"""What finance and the canteens enter: diners served, income, entered spending, the school's settings.

A month's entries are locked from the first signature of its statement: the signers sign
figures that can no longer move under them.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.auth import Principal
from shared.db import utcnow
from shared.errors import Conflict, InvalidInput, NotFound

from ..locations import may_act_at
from ..models import MealsServed
from .accounts import get_dining_hall
from .models import (
    DEFAULT_FOOD_SHARE_FLOOR,
    EXPENSE_KINDS,
    INCOME_KINDS,
    MEALS,
    CostingSettings,
    ExpenseEntry,
    IncomeEntry,
    MonthlyStatement,
)
from .periods import month_start

ENTRY_MODELS = {"income": (IncomeEntry, INCOME_KINDS), "expense": (ExpenseEntry, EXPENSE_KINDS)}


def ensure_month_open(session: Session, school_id: int, day: date) -> None:
    status = session.scalar(select(MonthlyStatement.status).where(MonthlyStatement.school_id == school_id,
                                                                  MonthlyStatement.month == month_start(day)))
    if status in ("signing", "published"):
        raise Conflict("the statement of {day:%Y-%m} is {status}: its figures can no longer change",
                       day=day, status=status)


def record_meals_served(session: Session, principal: Principal, location_id: int, meal_date: date, meal: str,
                        diners: int) -> MealsServed:
    """Set the diners of one hall, day and meal (a second entry corrects the first)."""
    if meal not in MEALS:
        raise InvalidInput("meal", "must be one of {choices}", choices=", ".join(MEALS))
    hall = get_dining_hall(session, principal.school_id, location_id)
    may_act_at(session, principal, hall.id)
    ensure_month_open(session, principal.school_id, meal_date)
    query = select(MealsServed).where(MealsServed.location_id == hall.id, MealsServed.meal_date == meal_date,
                                      MealsServed.meal == meal)
    record = session.scalars(query).first()
    values = {"diners": diners, "recorded_by": principal.user_id, "recorded_at": utcnow()}
    if record is None:
        try:
            with session.begin_nested():  # entered twice at once: the second corrects the first
                record = MealsServed(school_id=principal.school_id, location_id=hall.id, meal_date=meal_date,
                                     meal=meal, **values)
                session.add(record)
            return record
        except IntegrityError:
            record = session.scalars(query.execution_options(populate_existing=True)).one()
    for name, value in values.items():
        setattr(record, name, value)
    session.flush()
    return record


def add_entry(session: Session, principal: Principal, direction: str, location_id: int, entry_date: date,
              kind: str, amount: Decimal, note: str | None = None):
    model, kinds = ENTRY_MODELS[direction]
    if kind not in kinds:
        raise InvalidInput("kind", "must be one of {choices}", choices=", ".join(kinds))
    if amount <= 0:
        raise InvalidInput("amount", "must be more than zero")
    hall = get_dining_hall(session, principal.school_id, location_id)
    ensure_month_open(session, principal.school_id, entry_date)
    entry = model(school_id=principal.school_id, location_id=hall.id, entry_date=entry_date, kind=kind,
                  amount=amount, note=note, created_by=principal.user_id)
    session.add(entry)
    session.flush()
    return entry


def get_entry(session: Session, principal: Principal, direction: str, entry_id: int):
    model, _ = ENTRY_MODELS[direction]
    entry = session.scalars(select(model).where(model.id == entry_id,
                                                model.school_id == principal.school_id)).first()
    if entry is None:
        raise NotFound("No {direction} entry {entry_id}", direction=direction, entry_id=entry_id)
    return entry


def delete_entry(session: Session, principal: Principal, direction: str, entry_id: int) -> None:
    """Withdraw a mistaken entry while its month is still open."""
    entry = get_entry(session, principal, direction, entry_id)
    ensure_month_open(session, principal.school_id, entry.entry_date)
    session.delete(entry)
    session.flush()


def get_settings(session: Session, school_id: int) -> CostingSettings:
    """The school's settings; an unsaved row with the defaults when none was stored."""
    settings = session.scalars(select(CostingSettings).where(CostingSettings.school_id == school_id)).first()
    if settings is None:
        settings = CostingSettings(school_id=school_id, food_share_floor=DEFAULT_FOOD_SHARE_FLOOR, updated_by="default")
    return settings


def update_settings(session: Session, principal: Principal, food_share_floor: Decimal) -> CostingSettings:
    if not Decimal(0) < food_share_floor <= Decimal(100):
        raise InvalidInput("food_share_floor", "must be a percentage above 0 and at most 100")
    settings = get_settings(session, principal.school_id)
    settings.food_share_floor, settings.updated_by, settings.updated_at = food_share_floor, principal.user_id, utcnow()
    session.add(settings)
    session.flush()
    return settings

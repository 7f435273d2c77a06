"""Expiry alerts (临期预警): once a day, every lot with stock expiring within its location's horizon.

The horizon is the location's `expiry_alert_days`, or DEFAULT_DAYS. An alert is recorded once per
lot, location and day: the unique constraint and a look-up of the day's alerts make a second run
of the job on the same day add nothing. Expired lots with stock are alerted too (negative days left).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.auth import Principal
from shared.config import Settings
from shared.db import Database
from shared.errors import InvalidInput

from .locations import get_location, may_act_at
from .models import ExpiryAlert, Location, Lot, StockBalance

DEFAULT_DAYS = 3
MAX_DAYS = 365


def horizon_days(location: Location) -> int:
    return DEFAULT_DAYS if location.expiry_alert_days is None else location.expiry_alert_days


def set_alert_days(session: Session, principal: Principal, location_id: int, days: int | None) -> Location:
    """Set a location's horizon; None restores the default."""
    location = get_location(session, principal.school_id, location_id)
    may_act_at(session, principal, location.id)
    if days is not None and not 0 <= days <= MAX_DAYS:
        raise InvalidInput("expiry_alert_days", "between 0 and {max_days} days", max_days=MAX_DAYS)
    location.expiry_alert_days = days
    session.flush()
    return location


def record_expiry_alerts(session: Session, today: date, school_id: int | None = None) -> int:
    """Record today's alerts (for one school or all); returns how many new alerts were recorded."""
    locations = select(Location)
    if school_id is not None:
        locations = locations.where(Location.school_id == school_id)
    recorded = 0
    for location in session.scalars(locations.order_by(Location.id)):
        horizon = today + timedelta(days=horizon_days(location))
        already = set(session.scalars(select(ExpiryAlert.lot_id).where(
            ExpiryAlert.location_id == location.id, ExpiryAlert.alert_date == today)))
        balances = session.scalars(
            select(StockBalance).join(Lot, Lot.id == StockBalance.lot_id)
            .where(StockBalance.location_id == location.id, StockBalance.quantity > 0,
                   Lot.expiry_date.is_not(None), Lot.expiry_date <= horizon)
            .order_by(Lot.expiry_date, Lot.id)).unique()
        for balance in balances:
            if balance.lot_id in already:
                continue
            already.add(balance.lot_id)
            session.add(ExpiryAlert(
                school_id=location.school_id, location_id=location.id, item_id=balance.item_id,
                lot_id=balance.lot_id, alert_date=today, expiry_date=balance.lot.expiry_date,
                days_left=(balance.lot.expiry_date - today).days, quantity=balance.quantity))
            recorded += 1
    session.flush()
    return recorded


def alerts_query(school_id: int, alert_date: date, location_id: int | None = None, hall_id: int | None = None):
    """`hall_id`: a canteen manager's own hall, the only location they are shown."""
    query = select(ExpiryAlert).where(ExpiryAlert.school_id == school_id, ExpiryAlert.alert_date == alert_date)
    for location in (location_id, hall_id):
        if location is not None:
            query = query.where(ExpiryAlert.location_id == location)
    return query.order_by(ExpiryAlert.location_id, ExpiryAlert.expiry_date, ExpiryAlert.lot_id)


def run_expiry_alerts(database: Database, today: date | None = None) -> int:
    """The daily job: today is the school's date, not UTC's."""
    if today is None:
        today = datetime.now(ZoneInfo(Settings.from_env().school_timezone)).date()
    with database.unit_of_work() as uow:
        recorded = record_expiry_alerts(uow.session, today)
        uow.commit()
    return recorded

"""The weekly public disclosure (每周公示): built once per school and week by a periodic job, then kept.

It is stored, so that a page view never computes or fans out, and so that what was
published for a week stays what it was. Built from inventory's own records (meal cost per
diner-meal and food share per dining hall, deliveries received, complaints and how they
were handled, the supervisors' rating averages, the 12-week trend of the meal cost) and from
the other services over HTTP: the week's menus from procurement and the bulk-commodity
suppliers' licence state from the supplier portal. When either cannot answer, nothing is
stored (SourceUnavailable): a disclosure without its menu must not be published and kept.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import requests
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from shared.auth import service_token
from shared.config import Settings
from shared.errors import DomainError
from shared.http import ServiceClient

from ..models import Location, Receipt, StockMovement
from .accounts import period_accounts
from .models import MEALS, Complaint, Rating, WeeklyDisclosure
from .periods import utc_bounds
from .supervision import week_start

log = logging.getLogger(__name__)
TREND_WEEKS = 12
AVERAGE = Decimal("0.01")
SOURCES = ("procurement", "supplier_portal")
# what a source client must offer: ServiceClient's get (tests put the services' Flask test clients behind it)
Clients = Callable[[int], Mapping[str, ServiceClient]]


class SourceUnavailable(DomainError):
    status, title = 503, "A service the disclosure reads is unavailable"


def service_clients(settings: Settings) -> Clients:
    """Per school, clients of procurement and the portal that ask as inventory (short-lived service tokens)."""
    def clients(school_id: int) -> dict[str, ServiceClient]:
        return {name: ServiceClient(settings.service_url(name), timeout=10.0,
                                    token=service_token("inventory", school_id, settings.secret_key))
                for name in SOURCES}

    return clients


def _ask(client: ServiceClient, service: str, path: str, params: dict | None = None):
    try:
        response = client.get(path, params=params or {})
    except requests.RequestException:
        raise SourceUnavailable("{service} did not answer {path}; the disclosure is built later",
                                service=service, path=path) from None
    if response.status_code != 200:
        raise SourceUnavailable("{service} answered {status_code} for {path}",
                                service=service, status_code=response.status_code, path=path)
    return response.json()


def week_menus(client: ServiceClient, monday: date, hall_names: Mapping[str, str]) -> list[dict]:
    """Procurement's menus of the week per dining hall: each meal's dishes with the quantity per serving."""
    menus, page = [], 1
    while True:
        body = _ask(client, "procurement", "/api/menus",
                    {"week_start": monday.isoformat(), "page": page, "per_page": 100})
        menus += body["items"]
        if not body["items"] or len(menus) >= body["total"]:
            break
        page += 1
    return [{"code": menu["demand_point"], "name": hall_names.get(menu["demand_point"], menu["demand_point"]),
             "meals": [{"date": meal["date"], "meal": meal["meal"], "diners": meal["diners"],
                        "dishes": [{"name": dish["name"],
                                    "ingredients": [{"item": ingredient["item_name"],
                                                     "per_serving": ingredient["per_serving"],
                                                     "unit": ingredient["base_unit"]}
                                                    for ingredient in dish["ingredients"]]}
                                   for dish in meal["dishes"]]}
                       for meal in sorted(menu["meals"], key=lambda meal: (meal["date"], MEALS.index(meal["meal"])))]}
            for menu in sorted(menus, key=lambda menu: menu["demand_point"])]


def bulk_suppliers(client: ServiceClient) -> list[dict]:
    """The portal's approved bulk-commodity suppliers with their licence state (public details only)."""
    return [{"name": row["name"], "categories": row["categories"], "licence_state": row["licence_state"],
             "licences": [{"kind": licence["kind"], "expires_on": licence["expires_on"], "state": licence["state"]}
                          for licence in row["licences"]]}
            for row in _ask(client, "supplier_portal", "/api/suppliers/bulk-commodity-licences")]


def _average(total: int, count: int) -> str | None:
    return str((Decimal(total) / count).quantize(AVERAGE, rounding=ROUND_HALF_UP)) if count else None


def _cost_lines(statement) -> dict:
    return {"diner_meals": statement.diner_meals,
            "ingredient_cost_per_diner_meal": statement.as_dict()["ingredient_cost_per_diner_meal"],
            "cost_per_diner_meal": statement.as_dict()["cost_per_diner_meal"],
            "ingredient_total": str(statement.ingredient_total),
            "food_share": statement.as_dict()["food_share"], "food_share_floor": str(statement.food_share_floor),
            "below_floor": statement.below_floor}


def disclosure_content(session: Session, school_id: int, monday: date, school_timezone: str,
                       built_at: datetime, clients: Clients) -> dict:
    sunday = monday + timedelta(days=6)
    zone = ZoneInfo(school_timezone)
    begin, finish = utc_bounds(monday, sunday, school_timezone)
    accounts = period_accounts(session, school_id, monday, sunday, school_timezone)
    names = {hall.location.id: hall.location.name for hall in accounts.halls}
    # asked first: when a service is down, nothing of the week is computed in vain
    sources = clients(school_id)
    menus = week_menus(sources["procurement"], monday, {hall.location.code: hall.location.name
                                                        for hall in accounts.halls})
    suppliers = bulk_suppliers(sources["supplier_portal"])

    trend = []
    for weeks_back in range(TREND_WEEKS - 1, -1, -1):
        start = monday - timedelta(weeks=weeks_back)
        school = period_accounts(session, school_id, start, start + timedelta(days=6), school_timezone).school
        trend.append({"week_start": start.isoformat(),
                      "ingredient_cost_per_diner_meal": school.as_dict()["ingredient_cost_per_diner_meal"],
                      "cost_per_diner_meal": school.as_dict()["cost_per_diner_meal"]})

    deliveries = []
    value = func.sum(StockMovement.value)
    for receipt, location_name, lines, total, received_at in session.execute(
            select(Receipt, Location.name, func.count(StockMovement.id), value, func.min(StockMovement.occurred_at))
            .join(Location, Location.id == Receipt.location_id)
            .join(StockMovement, (StockMovement.source_type == "receipt") & (StockMovement.source_id == Receipt.id))
            .where(Receipt.school_id == school_id, StockMovement.occurred_at >= begin,
                   StockMovement.occurred_at < finish)
            .group_by(Receipt.id, Location.name).order_by(Receipt.id)):
        received_at = received_at if received_at.tzinfo else received_at.replace(tzinfo=timezone.utc)
        deliveries.append({"received_on": received_at.astimezone(zone).date().isoformat(),
                           "location": location_name, "supplier_id": receipt.supplier_id,
                           "delivery_reference": receipt.delivery_reference, "lines": lines, "value": str(total)})

    complaints = list(session.scalars(
        select(Complaint).where(Complaint.school_id == school_id,
                                or_((Complaint.filed_at >= begin) & (Complaint.filed_at < finish),
                                    (Complaint.answered_at >= begin) & (Complaint.answered_at < finish)))
        .order_by(Complaint.filed_at, Complaint.id)))
    still_open = session.scalar(select(func.count(Complaint.id)).where(
        Complaint.school_id == school_id, Complaint.filed_at < finish,
        or_(Complaint.answered_at.is_(None), Complaint.answered_at >= finish)))

    ratings = list(session.scalars(select(Rating).where(Rating.school_id == school_id, Rating.week_start == monday)))
    by_hall = []
    for hall in accounts.halls:
        mine = [r for r in ratings if r.location_id == hall.location.id]
        by_hall.append({"name": hall.location.name, "count": len(mine),
                        "price_average": _average(sum(r.price_score for r in mine), len(mine)),
                        "quality_average": _average(sum(r.quality_score for r in mine), len(mine))})

    return {
        "school_id": school_id, "week_start": monday.isoformat(), "week_end": sunday.isoformat(),
        "built_at": built_at.isoformat(),
        "halls": [{"location_id": hall.location.id, "code": hall.location.code, "name": hall.location.name,
                   **_cost_lines(hall.statement)} for hall in accounts.halls],
        "school": _cost_lines(accounts.school),
        "menus": menus,
        "bulk_suppliers": suppliers,
        "trend": trend,
        "deliveries": deliveries,
        "complaints": {
            "filed": sum(1 for c in complaints if begin <= c.filed_at < finish),
            "answered": sum(1 for c in complaints if c.answered_at is not None and begin <= c.answered_at < finish),
            "open": still_open,
            "items": [{"filed_on": c.filed_at.astimezone(zone).date().isoformat(), "category": c.category,
                       "hall": names.get(c.location_id), "text": c.text,
                       "status": "answered" if c.answered_at is not None and c.answered_at < finish else "open",
                       "answer": c.answer if c.answered_at is not None and c.answered_at < finish else None}
                      for c in complaints]},
        "ratings": {"count": len(ratings),
                    "price_average": _average(sum(r.price_score for r in ratings), len(ratings)),
                    "quality_average": _average(sum(r.quality_score for r in ratings), len(ratings)),
                    "halls": by_hall},
    }


def build_disclosure(session: Session, school_id: int, day: date, school_timezone: str,
                     now: datetime, clients: Clients) -> WeeklyDisclosure:
    """The disclosure of the week containing `day`: built when missing, otherwise the one kept."""
    monday = week_start(day)
    existing = session.scalars(select(WeeklyDisclosure).where(WeeklyDisclosure.school_id == school_id,
                                                              WeeklyDisclosure.week_start == monday)).first()
    if existing is not None:
        return existing
    disclosure = WeeklyDisclosure(school_id=school_id, week_start=monday, built_at=now,
                                  content=disclosure_content(session, school_id, monday, school_timezone, now,
                                                             clients))
    session.add(disclosure)
    session.flush()
    return disclosure


def build_due_disclosures(session: Session, today: date, school_timezone: str, now: datetime,
                          clients: Clients) -> list:
    """Every school's disclosure of the last complete week (idempotent: a kept week is not rebuilt)."""
    last_week = week_start(today) - timedelta(days=7)
    built = []
    for school_id in list(session.scalars(select(Location.school_id).where(Location.kind == "dining_hall")
                                          .distinct())):
        exists = session.scalar(select(WeeklyDisclosure.id).where(WeeklyDisclosure.school_id == school_id,
                                                                  WeeklyDisclosure.week_start == last_week))
        if exists is None:
            built.append(build_disclosure(session, school_id, last_week, school_timezone, now, clients))
            log.info("weekly disclosure of school %s for the week of %s built", school_id, last_week)
    return built


def disclosures_of(session: Session, school_id: int) -> list[WeeklyDisclosure]:
    return list(session.scalars(select(WeeklyDisclosure).where(WeeklyDisclosure.school_id == school_id)
                                .order_by(WeeklyDisclosure.week_start.desc())))


def chart_points(trend: list[dict], width: int = 560, height: int = 180, pad: int = 30) -> dict:
    """SVG coordinates of the 12-week meal-cost line (weeks without diners are gaps)."""
    values = [Decimal(week["ingredient_cost_per_diner_meal"]) if week["ingredient_cost_per_diner_meal"] else None
              for week in trend]
    known = [v for v in values if v is not None]
    top = max(known, default=Decimal(1)) or Decimal(1)
    step = (width - 2 * pad) / max(len(trend) - 1, 1)
    points = []
    for index, value in enumerate(values):
        if value is None:
            continue
        x = pad + index * step
        y = height - pad - float(value / top) * (height - 2 * pad)
        points.append({"x": round(x, 1), "y": round(y, 1), "label": str(value), "week": trend[index]["week_start"]})
    return {"width": width, "height": height, "pad": pad, "top": str(top), "points": points,
            "polyline": " ".join(f"{p['x']},{p['y']}" for p in points)}

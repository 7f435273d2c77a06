"""Factories for procurement's documents: each creates through the domain functions and commits."""
from __future__ import annotations

from decimal import Decimal

import pytest

from services.procurement.catalogue import add_reference_price, create_item
from services.procurement.demand import ensure_demand_points
from shared.auth import Principal
from tests.conftest import bearer

RICE = {"code": "RICE-25", "name_zh": "东北大米 一级粳米", "name_en": "Northeast japonica rice, grade 1",
        "category": "rice", "specification": "一级粳米 25kg袋", "base_unit": "kg", "packaging": {"bag": "25"},
        "shelf_life_days": 365}
OIL = {"code": "OIL-SOY", "name_zh": "大豆油", "name_en": "Soybean oil", "category": "cooking_oil",
       "specification": "一级 5L桶 / 20L桶", "base_unit": "L", "packaging": {"drum5": "5", "drum20": "20"},
       "shelf_life_days": 540}
CABBAGE = {"code": "VEG-CABBAGE", "name_zh": "白菜", "name_en": "Chinese cabbage", "category": "vegetables",
           "base_unit": "kg", "shelf_life_days": 7}


@pytest.fixture
def principal(school):
    return Principal("1", frozenset({"admin"}), school_id=school.id)


@pytest.fixture
def make_item(databases, principal):
    counter = iter(range(1, 10_000))

    def make(template=RICE, reference: str | None = None, **overrides):
        data = {**template, **overrides}
        if "code" not in overrides:
            data["code"] = f"{template['code']}-{next(counter)}"
        with databases["procurement"].unit_of_work() as uow:
            item = create_item(uow.session, principal, data)
            if reference is not None:
                from datetime import date
                add_reference_price(uow.session, principal, item.id, Decimal(reference), date(2026, 1, 1), "tender")
            uow.commit()
        return item

    return make


@pytest.fixture
def demand_points(databases, school):
    with databases["procurement"].unit_of_work() as uow:
        points = {point.code: point for point in ensure_demand_points(uow.session, school.id)}
        uow.commit()
    return points


@pytest.fixture
def manager(staff, databases, demand_points):
    """manager(code, role="canteen_manager") -> (user, headers) of a manager assigned to that demand point."""
    from services.procurement.models import StaffUser

    def make(code: str, role: str = "canteen_manager"):
        user, _ = staff(role)
        with databases["procurement"].unit_of_work() as uow:
            uow.session.get(StaffUser, user.id).demand_point_id = demand_points[code].id
            uow.commit()
        # the token sign-in would give them: it names their demand point
        return user, bearer(Principal(str(user.id), frozenset({role}), school_id=user.school_id, demand_point=code))

    return make


def envelope(event_type: str, payload: dict, event_id: str | None = None) -> dict:
    import uuid

    from shared.events import CATALOGUE, PAYLOAD_SCHEMAS
    schema = PAYLOAD_SCHEMAS[event_type]()
    return {"id": event_id or str(uuid.uuid4()), "type": event_type, "version": 1,
            "occurred_at": "2026-03-01T00:00:00+00:00", "producer": CATALOGUE[event_type][0],
            "correlation_id": None, "payload": schema.dump(payload)}


@pytest.fixture
def deliver(databases):
    """deliver(event_type, payload) -> applies the event through procurement's consumer, as the worker does."""
    from services.procurement.tasks import consumer

    def run(event_type: str, payload: dict, event_id: str | None = None) -> bool:
        return consumer.apply(databases["procurement"], envelope(event_type, payload, event_id))

    return run


@pytest.fixture
def supplier(deliver):
    """An approved grain-and-oil and vegetable supplier (supplier id 501)."""
    from datetime import datetime, timezone
    deliver("supplier.approved", {"supplier_id": 501, "name": "山东鲁粮粮油有限公司",
                                  "categories": ["bulk_grain_oil", "vegetables"],
                                  "approved_at": datetime(2026, 1, 5, tzinfo=timezone.utc)})
    return 501

"""Factories for procurement's documents: each creates through the domain functions and commits."""
from __future__ import annotations

from decimal import Decimal

import pytest

from services.procurement.catalogue import add_reference_price, create_item
from services.procurement.demand import ensure_demand_points
from shared.auth import Principal

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
        user, headers = staff(role)
        with databases["procurement"].unit_of_work() as uow:
            uow.session.get(StaffUser, user.id).demand_point_id = demand_points[code].id
            uow.commit()
        return user, headers

    return make

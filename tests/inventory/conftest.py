"""Inventory fixtures: the school's locations and a few catalogue items in the item cache."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from services.inventory.items import upsert_items
from services.inventory.locations import ensure_standard_locations
from shared.auth import Principal

TODAY = date(2026, 11, 26)

RICE = {"id": 101, "code": "RICE-5", "name": "大米", "name_en": "rice", "category": "rice", "base_unit": "kg",
        "shelf_life_days": 365, "restricted": False}
MILK = {"id": 102, "code": "MILK-1", "name": "纯牛奶", "name_en": "milk", "category": "dairy", "base_unit": "L",
        "shelf_life_days": 7, "restricted": False}
COAL = {"id": 103, "code": "COAL", "name": "煤", "name_en": "coal", "category": "coal", "base_unit": "kg",
        "shelf_life_days": None, "restricted": False}
CHIPS = {"id": 104, "code": "CHIPS", "name": "薯片", "name_en": "crisps", "category": "snacks", "base_unit": "piece",
         "shelf_life_days": 180, "restricted": True}
ITEMS = (RICE, MILK, COAL, CHIPS)


@pytest.fixture
def inventory_db(databases):
    return databases["inventory"]


@pytest.fixture
def session(inventory_db):
    """A session inside the test's rolled-back transaction; domain functions flush, the test never commits."""
    with inventory_db.unit_of_work() as uow:
        yield uow.session


@pytest.fixture
def school_id(school):
    return school.id


@pytest.fixture
def keeper(school_id):
    return Principal("1001", frozenset({"storekeeper"}), school_id=school_id)


@pytest.fixture
def manager(school_id):
    return Principal("1002", frozenset({"canteen_manager"}), school_id=school_id, demand_point="DH1")


@pytest.fixture
def locations(session, school_id):
    """{code: Location} for DH1, DH2, DH3, CSR and STORE."""
    return {location.code: location for location in ensure_standard_locations(session, school_id)}


@pytest.fixture
def items(session, school_id):
    return {item.code: item for item in upsert_items(session, school_id, ITEMS)}


def receipt_line(item, quantity, unit_price, lot_number, production_date=None, expiry_date=None):
    return {"item_id": item["id"] if isinstance(item, dict) else item.id, "quantity": Decimal(quantity),
            "unit_price": Decimal(unit_price), "lot_number": lot_number,
            "production_date": production_date, "expiry_date": expiry_date}


def days(n: int) -> timedelta:
    return timedelta(days=n)


@pytest.fixture
def setup(inventory_db, school):
    """Committed (to the test's transaction) locations and items for API tests: {code: location id}."""
    with inventory_db.unit_of_work() as uow:
        location_ids = {loc.code: loc.id for loc in ensure_standard_locations(uow.session, school.id)}
        upsert_items(uow.session, school.id, ITEMS)
        uow.commit()
    return location_ids


@pytest.fixture
def keeper_headers(staff, setup):
    return staff("storekeeper")[1]

"""Meal-cost fixtures: the school's halls, a few catalogue items, a ledger clock, and the October month.

The October fixture is the one the hand-computed tests check: every amount posted here is
listed in `test_fixture_month_by_hand.py` with its arithmetic.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

import services.inventory.ledger as ledger
from services.inventory.costing.entries import add_entry, record_meals_served
from services.inventory.issues import issue_to_kitchen
from services.inventory.items import upsert_items
from services.inventory.locations import ensure_standard_locations
from services.inventory.receipts import post_receipt
from services.procurement.catalogue import create_item
from services.procurement.demand import ensure_demand_points
from services.procurement.menus import create_dish, create_menu
from services.supplier_portal.models import QualificationDocument, Supplier
from shared.auth import Principal
from tests.support import as_inventory_over

CATALOGUE = [
    {"id": 201, "code": "RICE", "name": "大米", "category": "rice", "base_unit": "kg", "shelf_life_days": 365},
    {"id": 202, "code": "CABBAGE", "name": "白菜", "category": "vegetables", "base_unit": "kg", "shelf_life_days": 30},
    {"id": 203, "code": "PORK", "name": "猪肉", "category": "meat_eggs", "base_unit": "kg", "shelf_life_days": 90},
    {"id": 204, "code": "SALT", "name": "食盐", "category": "seasonings", "base_unit": "kg", "shelf_life_days": 720},
    {"id": 205, "code": "MILK", "name": "纯牛奶", "category": "dairy", "base_unit": "L", "shelf_life_days": 20},
    {"id": 206, "code": "COAL", "name": "煤", "category": "coal", "base_unit": "kg", "shelf_life_days": None},
]
PRODUCED = date(2026, 9, 25)


def at(year, month, day, hour=0, minute=0) -> datetime:
    """A UTC instant (the ledger's clock); Shanghai is UTC+8."""
    return datetime(year, month, day, hour, minute, tzinfo=timezone.utc)


@pytest.fixture
def session(databases):
    """A session inside the test's rolled-back transaction; domain functions flush, the test never commits."""
    with databases["inventory"].unit_of_work() as uow:
        yield uow.session


@pytest.fixture
def school_id(school):
    return school.id


@pytest.fixture
def finance(school_id):
    return Principal("2001", frozenset({"finance"}), school_id=school_id)


@pytest.fixture
def keeper(school_id):
    return Principal("2002", frozenset({"storekeeper"}), school_id=school_id)


@pytest.fixture
def halls(session, school_id):
    """{code: Location} for DH1, DH2, DH3, CSR and STORE."""
    return {location.code: location for location in ensure_standard_locations(session, school_id)}


@pytest.fixture
def items(session, school_id):
    return {item.code: item for item in upsert_items(session, school_id, CATALOGUE)}


@pytest.fixture
def clock(monkeypatch):
    """clock(instant): every ledger movement posted next is stamped with that instant."""
    def set_clock(instant: datetime):
        monkeypatch.setattr(ledger, "utcnow", lambda: instant)
    return set_clock


def receive(session, keeper, hall, items, lines):
    """lines: (code, quantity, unit price)."""
    return post_receipt(session, keeper, hall.id, [
        {"item_id": items[code].id, "quantity": Decimal(quantity), "unit_price": Decimal(price),
         "lot_number": f"{code}-{hall.code}", "production_date": None if code == "COAL" else PRODUCED,
         "expiry_date": None} for code, quantity, price in lines], date(2026, 10, 1), supplier_id=31,
        delivery_reference=f"DN-{hall.code}")


def issue(session, keeper, hall, items, when: date, lines, meal="lunch"):
    """lines: (code, quantity)."""
    return issue_to_kitchen(session, keeper, hall.id, when, meal,
                            [{"item_id": items[code].id, "quantity": Decimal(quantity)} for code, quantity in lines],
                            when)


@pytest.fixture
def october(session, keeper, finance, halls, items, clock):
    """The fixture month (October 2026) of DH1 and DH2; DH3 has nothing. Returns the halls."""
    dh1, dh2 = halls["DH1"], halls["DH2"]
    clock(at(2026, 10, 1))
    receive(session, keeper, dh1, items, [("RICE", "100", "4.20"), ("CABBAGE", "50", "1.80"),
                                          ("PORK", "20", "26.50"), ("SALT", "10", "2.35"),
                                          ("MILK", "10", "6.00"), ("COAL", "500", "1.10")])
    receive(session, keeper, dh2, items, [("RICE", "50", "4.30"), ("CABBAGE", "30", "1.90")])
    clock(at(2026, 10, 2, 2))
    issue(session, keeper, dh1, items, date(2026, 10, 2), [("RICE", "30"), ("CABBAGE", "12.5"), ("MILK", "4")])
    clock(at(2026, 10, 15, 3))
    issue(session, keeper, dh1, items, date(2026, 10, 15), [("PORK", "7.3"), ("SALT", "1.7")])
    clock(at(2026, 10, 20, 4))
    issue(session, keeper, dh2, items, date(2026, 10, 20), [("RICE", "20"), ("CABBAGE", "30")])
    clock(at(2026, 10, 31, 15, 30))  # 23:30 on 31 October in Shanghai: October
    issue(session, keeper, dh1, items, date(2026, 10, 31), [("COAL", "200")], meal="dinner")
    clock(at(2026, 10, 31, 16, 10))  # 00:10 on 1 November in Shanghai: November
    issue(session, keeper, dh1, items, date(2026, 11, 1), [("RICE", "10")], meal="breakfast")

    for hall, day, meal, diners in [(dh1, date(2026, 10, 2), "breakfast", 40), (dh1, date(2026, 10, 2), "lunch", 60),
                                    (dh1, date(2026, 10, 2), "dinner", 50), (dh1, date(2026, 10, 15), "lunch", 55),
                                    (dh1, date(2026, 11, 1), "lunch", 70), (dh1, date(2026, 9, 30), "dinner", 33),
                                    (dh2, date(2026, 10, 20), "lunch", 30), (dh2, date(2026, 10, 20), "dinner", 20)]:
        record_meals_served(session, finance, hall.id, day, meal, diners)
    for hall, day, kind, amount in [(dh1, date(2026, 10, 1), "student_fees", "300.00"),
                                    (dh1, date(2026, 10, 31), "student_fees", "80.00"),
                                    (dh1, date(2026, 10, 31), "staff_fees", "45.50"),
                                    (dh1, date(2026, 10, 10), "subsidies", "100.00"),
                                    (dh1, date(2026, 10, 10), "other", "12.30"),
                                    (dh1, date(2026, 11, 1), "student_fees", "999.99"),
                                    (dh2, date(2026, 10, 5), "student_fees", "170.00")]:
        add_entry(session, finance, "income", hall.id, day, kind, Decimal(amount))
    for hall, day, kind, amount in [(dh1, date(2026, 10, 31), "utilities", "80.00"),
                                    (dh1, date(2026, 10, 31), "wages", "150.00"),
                                    (dh1, date(2026, 10, 31), "overheads", "20.25"),
                                    (dh1, date(2026, 9, 30), "wages", "500.00"),
                                    (dh2, date(2026, 10, 31), "wages", "60.00")]:
        add_entry(session, finance, "expense", hall.id, day, kind, Decimal(amount))
    return {"DH1": dh1, "DH2": dh2, "DH3": halls["DH3"]}


def seed_week_sources(procurement_db, portal_db, school_id: int, monday: date) -> None:
    """A week's menu in procurement and bulk suppliers on the portal, for the disclosure to read.

    Procurement: DH1's menu, Monday lunch (米饭 0.150 kg rice for 800) and Monday breakfast (馒头 0.100 kg
    flour for 600). Portal: approved 粮油公司 (valid licences), approved 煤炭公司 (business licence expiring in
    10 days), a pending 待审粮油 and an approved 蔬菜公司 (neither is listed).
    """
    buyer = Principal("1", frozenset({"procurement_officer"}), school_id=school_id)
    with procurement_db.unit_of_work() as uow:
        ensure_demand_points(uow.session, school_id)
        rice, flour = (create_item(uow.session, buyer, {"code": code, "name_zh": name, "name_en": code,
                                                        "category": category, "base_unit": "kg"})
                       for code, name, category in (("RICE", "大米", "rice"), ("FLOUR", "面粉", "flour")))
        steamed_rice = create_dish(uow.session, buyer, "米饭", [{"item_id": rice.id, "quantity": Decimal("0.150")}])
        bun = create_dish(uow.session, buyer, "馒头", [{"item_id": flour.id, "quantity": Decimal("0.100")}])
        create_menu(uow.session, buyer, "DH1", monday, [
            {"date": monday, "meal": "lunch", "diners": 800, "dish_ids": [steamed_rice.id]},
            {"date": monday, "meal": "breakfast", "diners": 600, "dish_ids": [bun.id]}])
        uow.commit()
    today = date.today()
    with portal_db.unit_of_work() as uow:
        for serial, (name, status, categories, licences) in enumerate((
                ("粮油公司", "approved", ["bulk_grain_oil"], {"business_licence": 400, "food_business_licence": 200}),
                ("煤炭公司", "approved", ["coal"], {"business_licence": 10}),
                ("待审粮油", "pending", ["bulk_grain_oil"], {"business_licence": 400}),
                ("蔬菜公司", "approved", ["vegetables"], {"business_licence": 400}))):
            supplier = Supplier(name=name, contact_email=f"sales{serial}@example.cn", categories=categories,
                                status=status, contact_phone="0531-88888888")
            uow.session.add(supplier)
            uow.session.flush()
            for kind, days in licences.items():
                uow.session.add(QualificationDocument(
                    supplier_id=supplier.id, kind=kind, number=f"JY{serial}{kind}", status="approved",
                    expires_on=today + timedelta(days=days), storage_key=f"documents/{supplier.id}/{kind}.pdf",
                    content_type="application/pdf", size_bytes=1, sha256="0" * 64, original_filename="l.pdf",
                    uploaded_by="1"))
        uow.commit()


@pytest.fixture
def week_sources(databases, procurement, portal, school_id):
    """The week of 28 Sep 2026 in the other services (seed_week_sources), and clients(school_id) reading them."""
    seed_week_sources(databases["procurement"], databases["supplier_portal"], school_id, date(2026, 9, 28))
    return as_inventory_over({"procurement": procurement, "supplier_portal": portal})

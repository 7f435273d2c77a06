"""The public weekly disclosure in a real headless Chromium, with screenshots kept as artifacts."""
from __future__ import annotations

import dataclasses
import os
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

import services.inventory.costing.supervision as supervision
import services.inventory.ledger as ledger
from services.inventory.costing.disclosure import build_disclosure, service_clients
from services.inventory.costing.entries import add_entry, record_meals_served
from services.inventory.costing.supervision import answer_complaint, file_complaint, rate_week
from services.inventory.issues import issue_to_kitchen
from services.inventory.items import upsert_items
from services.inventory.locations import ensure_standard_locations
from services.inventory.receipts import post_receipt
from services.procurement.models import School
from shared.auth import Principal
from tests.browser import chromium_page, live_services
from tests.conftest import SPECS
from tests.support import REPO, migrated_databases, settings_for

from .conftest import CATALOGUE, seed_week_sources

pytestmark = [pytest.mark.e2e]
SCHOOL = 1
FIRST_MONDAY = date(2026, 8, 3)
WEEKS = 10


@pytest.fixture
def artifacts(request):
    folder = Path(os.environ.get("TEST_ARTIFACTS", REPO / "test-artifacts")) / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def published(database_server, tmp_path, monkeypatch):
    """Ten weeks of a dining hall's issues and diners, and the last week's menu and the bulk suppliers in
    procurement and the portal, committed; the test builds the disclosure over HTTP."""
    settings = settings_for(tmp_path, migrated_databases(database_server, "browser_costing", SPECS))
    database = SPECS["inventory"].open_database(settings)
    keeper = Principal("1", frozenset({"storekeeper"}), school_id=SCHOOL)
    staff = Principal("2", frozenset({"canteen_manager", "finance"}), school_id=SCHOOL)
    parent = Principal("3", frozenset({"supervisor"}), school_id=SCHOOL)
    with database.unit_of_work() as uow:
        session = uow.session
        halls = {hall.code: hall for hall in ensure_standard_locations(session, SCHOOL)}
        items = {item.code: item for item in upsert_items(session, SCHOOL, CATALOGUE)}
        for week in range(WEEKS):
            monday = FIRST_MONDAY + timedelta(weeks=week)
            monkeypatch.setattr(ledger, "utcnow", lambda m=monday: datetime(m.year, m.month, m.day, 1,
                                                                              tzinfo=timezone.utc))
            post_receipt(session, keeper, halls["DH1"].id, [
                {"item_id": items["RICE"].id, "quantity": Decimal("60"), "unit_price": Decimal(40 + week) / 10,
                 "lot_number": f"R-{week}", "production_date": monday, "expiry_date": None},
                {"item_id": items["CABBAGE"].id, "quantity": Decimal("40"), "unit_price": Decimal("1.50"),
                 "lot_number": f"C-{week}", "production_date": monday, "expiry_date": None}], monday,
                supplier_id=31, delivery_reference=f"DN-{week}")
            issue_to_kitchen(session, keeper, halls["DH1"].id, monday, "lunch", [
                {"item_id": items["RICE"].id, "quantity": Decimal(40 + week * 2)},
                {"item_id": items["CABBAGE"].id, "quantity": Decimal("30")}], monday)
            record_meals_served(session, staff, halls["DH1"].id, monday, "lunch", 150 - week * 3)
            add_entry(session, staff, "income", halls["DH1"].id, monday, "student_fees", Decimal("260.00"))
        last_monday = FIRST_MONDAY + timedelta(weeks=WEEKS - 1)
        rate_week(session, parent, halls["DH1"].id, last_monday, "parent_representative", 4, 4, "不错", last_monday)
        monkeypatch.setattr(supervision, "utcnow", lambda: datetime.combine(last_monday, datetime.min.time(),
                                                                            timezone.utc) + timedelta(hours=3))
        complaint = file_complaint(session, parent, "portion", "菜量偏少", "parent_representative", halls["DH1"].id)
        answer_complaint(session, staff, complaint.id, "已增加份量")
        uow.commit()
    database.dispose()
    databases = {name: SPECS[name].open_database(settings) for name in ("procurement", "supplier_portal")}
    with databases["procurement"].unit_of_work() as uow:
        uow.session.add(School(id=SCHOOL, name="测试学校", timezone="Asia/Shanghai"))
        uow.commit()
    seed_week_sources(databases["procurement"], databases["supplier_portal"], SCHOOL, last_monday)
    for opened in databases.values():
        opened.dispose()
    return settings


def build_over_http(settings, urls):
    """What the weekly job does: read procurement and the portal over real HTTP, then store the disclosure."""
    database = SPECS["inventory"].open_database(settings)
    clients = service_clients(dataclasses.replace(settings, service_urls=urls))
    with database.unit_of_work() as uow:
        build_disclosure(uow.session, SCHOOL, FIRST_MONDAY + timedelta(weeks=WEEKS - 1), "Asia/Shanghai",
                         datetime.now(timezone.utc), clients)
        uow.commit()
    database.dispose()


def test_the_public_disclosure_page_shows_costs_chart_and_history_without_sign_in(published, artifacts):
    with live_services(published, ["inventory", "procurement", "supplier_portal"]) as urls, \
            chromium_page() as page:
        build_over_http(published, urls)
        page.goto(f"{urls['inventory']}/disclosure/{SCHOOL}")
        assert page.title().startswith("每周公示")
        assert page.locator("#costs").inner_text().count("第一食堂") == 1
        points = page.locator("svg.chart circle")
        assert points.count() == WEEKS
        assert page.locator("svg.chart polyline").is_visible()
        assert "菜量偏少" in page.locator("#complaints").inner_text()
        menu = page.locator("#menu-DH1").inner_text()
        assert "馒头" in menu and "面粉 0.100 kg" in menu and "米饭" in menu and "800" in menu
        suppliers = page.locator("#bulk-suppliers").inner_text()
        assert "粮油公司" in suppliers and "煤炭公司" in suppliers and "即将到期" in suppliers
        assert "蔬菜公司" not in suppliers and "待审粮油" not in suppliers
        page.screenshot(path=artifacts / "01-disclosure.png", full_page=True)
        page.emulate_media(media="print")
        assert not page.get_by_role("button", name="打印").is_visible()
        page.screenshot(path=artifacts / "02-print.png", full_page=True)

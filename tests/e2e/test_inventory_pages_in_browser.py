"""Inventory's pages in a real headless Chromium, signing in with procurement's accounts over HTTP: a canteen
manager receives a bulk delivery with its inspection, issues rice first-expiry-first-out and records diners,
the storekeeper checks stock and counts a stocktake, the store manager sells, finance signs the statement, sees the
chart and exports a period. Every page has a title and every field a label; screenshots are kept."""
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from services.inventory.costing.export_jobs import run_job
from services.inventory.costing.models import ExportJob
from services.inventory.items import upsert_items
from services.inventory.locations import ensure_standard_locations
from services.inventory.receipts import post_receipt
from services.inventory.tasks import consumer
from services.procurement.accounts import create_staff_user
from services.procurement.demand import ensure_demand_points
from services.procurement.models import School
from shared.auth import Principal
from tests.browser import chromium_page, live_services

pytestmark = [pytest.mark.e2e]
TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()
PASSWORD = "browser password"
RICE = {"id": 990_201, "code": "B-RICE", "name": "浏览器大米", "category": "rice", "base_unit": "kg",
        "shelf_life_days": 365}
CHIPS = {"id": 990_202, "code": "B-CHIPS", "name": "浏览器薯片", "category": "snacks", "base_unit": "piece",
         "shelf_life_days": 180, "restricted": True}
UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
    .filter(f => !(f.labels && f.labels.length) && !f.getAttribute('aria-label')).map(f => f.name)"""


def seed(suite) -> tuple[int, dict]:
    """Staff accounts, the school's locations, rice in two lots at the first dining hall, crisps in the store with
    a unified price, and an order of rice (a bulk commodity) for the first dining hall."""
    with suite.database("procurement").unit_of_work() as uow:
        school_id = uow.session.scalar(select(School.id).where(School.name == "端到端测试学校"))
        halls = {point.code: point.id for point in ensure_demand_points(uow.session, school_id)}
        for username, roles in (("b-manager", ["canteen_manager"]), ("b-keeper", ["storekeeper"]),
                                ("b-store", ["store_manager"]), ("b-finance", ["finance"])):
            user = create_staff_user(uow.session, school_id, username, username, PASSWORD, roles)
            if username == "b-manager":  # sign-in names the hall in the token; inventory keeps them to it
                user.demand_point_id = halls["DH1"]
        uow.commit()
    keeper = Principal("seed", frozenset({"storekeeper"}), school_id=school_id)
    with suite.database("inventory").unit_of_work() as uow:
        locations = {loc.code: loc.id for loc in ensure_standard_locations(uow.session, school_id)}
        upsert_items(uow.session, school_id, [RICE, CHIPS])
        for lot, days_left in (("B-LATE", 300), ("B-SOON", 2)):
            post_receipt(uow.session, keeper, locations["DH1"], [{
                "item_id": RICE["id"], "quantity": Decimal(20), "unit_price": Decimal("4.00"), "lot_number": lot,
                "production_date": TODAY - timedelta(days=5), "expiry_date": TODAY + timedelta(days=days_left)}],
                TODAY)
        post_receipt(uow.session, keeper, locations["STORE"], [{
            "item_id": CHIPS["id"], "quantity": Decimal(30), "unit_price": Decimal("2.00"), "lot_number": "B-C1",
            "production_date": TODAY - timedelta(days=5), "expiry_date": TODAY + timedelta(days=100)}], TODAY)
        uow.commit()
    for event_type, payload in (
            ("unified_prices.published", {"supplier_id": 61, "effective_from": TODAY.isoformat(), "prices": [
                {"item_id": CHIPS["id"], "item_code": CHIPS["code"], "unit_price": "3.50"}]}),
            ("po.sent", {"po_id": 990_201, "school_id": school_id, "number": "PO-2026-990201", "revision": 1,
                         "supplier_id": 31, "total": "400.00", "sent_at": datetime.now(timezone.utc).isoformat(),
                         "lines": [{"po_line_id": 1, "item_id": RICE["id"], "item_code": RICE["code"],
                                    "item_name": RICE["name"], "category": "rice", "unit": "kg",
                                    "quantity": "100.000", "unit_price": "4.00",
                                    "delivery_date": TODAY.isoformat(), "destination": "DH1"}]})):
        assert consumer.apply(suite.database("inventory"), {"id": str(uuid.uuid4()), "type": event_type,
                                                            "payload": payload})
    return school_id, locations


def sign_in_as(page, base, username, path):
    page.context.clear_cookies()
    page.goto(base + path)
    assert page.title().startswith("登录")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"**{path}")


def check_and_keep(page, path):
    """The page has a title, every field has a label; the screenshot is kept."""
    assert page.title().split(" · ")[0].strip()
    assert page.evaluate(UNLABELLED) == []
    page.screenshot(path=path, full_page=True)


def test_inventory_pages_for_manager_keeper_store_and_finance(suite, artifacts):
    _, locations = seed(suite)
    with live_services(suite.settings, ["procurement", "inventory"]) as urls, chromium_page() as page:
        base = urls["inventory"]
        dh1 = locations["DH1"]

        sign_in_as(page, base, "b-manager", f"/receiving?location_id={dh1}")
        check_and_keep(page, artifacts / "01-deliveries-due.png")
        page.get_by_role("link", name="PO-2026-990201").click()
        page.get_by_label(f"验收合格数量 ({RICE['name']})").fill("100")
        page.get_by_label(f"批号 ({RICE['name']})").fill("B-NEW")
        page.get_by_label(f"生产日期 ({RICE['name']})").fill((TODAY - timedelta(days=1)).isoformat())
        for document in ("营业执照及食品经营许可证", "产品合格证", "送货单"):
            page.get_by_label(document).check()
        page.get_by_label("验收人", exact=True).fill("王敏")
        check_and_keep(page, artifacts / "02-inspection-form.png")
        page.get_by_role("button", name="提交查验记录").click()
        page.wait_for_selector("text=须由两名验收人验收")  # rice is a bulk commodity
        assert page.get_by_label(f"批号 ({RICE['name']})").input_value() == "B-NEW"
        check_and_keep(page, artifacts / "03-one-inspector-refused.png")
        page.get_by_label("第二验收人（大宗物资须双人验收）").fill("刘洋")
        page.get_by_role("button", name="提交查验记录").click()
        page.wait_for_selector("text=查验已记录")
        check_and_keep(page, artifacts / "04-received.png")

        page.goto(base + f"/issues/new?location_id={dh1}")
        page.get_by_label(f"领用数量 ({RICE['name']})").fill("25")
        page.get_by_role("button", name="查看先到期先出的批次").click()
        preview = page.locator("tr.preview").inner_text()
        assert preview.index("B-SOON × 20.000") < preview.index("B-LATE × 5.000")
        check_and_keep(page, artifacts / "05-issue-fefo-preview.png")
        page.get_by_role("button", name="过账领用").click()
        page.wait_for_selector("text=已发往厨房：成本 ¥100.00")
        page.goto(base + f"/meals-served?location_id={dh1}")
        page.get_by_label("就餐人数").fill("400")
        page.get_by_role("button", name="记录就餐人数").click()
        page.wait_for_selector("text=已记录 400 人就餐")
        check_and_keep(page, artifacts / "06-meals-served.png")

        sign_in_as(page, base, "b-keeper", f"/stock?location_id={dh1}")
        shelf = page.locator("table").inner_text()
        assert "B-SOON" not in shelf and "B-LATE: 15.000" in shelf  # the issue took the earlier expiry whole
        check_and_keep(page, artifacts / "07-stock.png")
        page.goto(base + "/stocktakes")
        page.get_by_label("库位", exact=True).first.select_option(str(locations["STORE"]))
        page.get_by_role("button", name="生成盘点表").click()
        page.get_by_label(f"实盘数量 ({CHIPS['name']} B-C1)").fill("29")
        page.get_by_role("button", name="保存盘点数量").click()
        page.wait_for_selector("text=盘点数量已保存")
        check_and_keep(page, artifacts / "08-count-sheet.png")

        sign_in_as(page, base, "b-store", "/store")
        assert "¥3.50" in page.locator("table").first.inner_text()
        page.get_by_label(f"销售数量 ({CHIPS['name']})").fill("2")
        page.get_by_role("button", name="记录销售").click()
        page.wait_for_selector("text=已记录销售：¥7.00")
        check_and_keep(page, artifacts / "09-store.png")

        sign_in_as(page, base, "b-finance", "/costing/statements")
        month = (date(TODAY.year, TODAY.month, 1) - timedelta(days=1)).strftime("%Y-%m")
        page.get_by_label("月份").fill(month)
        page.get_by_role("button", name="编制", exact=True).click()
        page.get_by_label("签字人姓名（成本核算员）").fill("周芳")
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="签字", exact=True).click()
        page.wait_for_selector("text=已签字。")
        check_and_keep(page, artifacts / "10-statement-signed.png")
        page.goto(base + "/costing/chart")
        page.wait_for_selector(".chart svg circle", state="attached")  # drawn by app.js from the JSON
        assert "¥0.25" in page.locator("table").inner_text()  # ¥100.00 of rice over 400 diner-meals
        check_and_keep(page, artifacts / "11-meal-cost-chart.png")
        page.goto(base + "/costing/exports")
        page.get_by_label("报表").select_option("cost_detail")
        page.get_by_label("格式").select_option("xlsx")
        page.get_by_role("button", name="开始导出").click()
        page.wait_for_selector("#export-jobs >> text=排队中")
        check_and_keep(page, artifacts / "12-export-queued.png")
        with suite.database("inventory").unit_of_work() as uow:
            job_id = uow.session.scalar(select(func.max(ExportJob.id)))
        assert run_job(suite.database("inventory"), job_id, suite.settings.var_dir, "Asia/Shanghai") == "done"
        page.wait_for_selector("#export-jobs >> text=已完成")  # the list refreshed itself: no reload
        with page.expect_download() as download:
            page.get_by_role("button", name="下载").first.click()
        assert download.value.suggested_filename.endswith(".xlsx")
        check_and_keep(page, artifacts / "13-export-done.png")
        page.goto(base + "/costing/statements")
        page.get_by_role("link", name=month).click()
        page.set_viewport_size({"width": 390, "height": 800})  # a phone: wide tables scroll inside the page
        check_and_keep(page, artifacts / "14-statement-on-a-phone.png")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390

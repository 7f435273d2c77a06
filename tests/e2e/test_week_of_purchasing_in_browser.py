"""A week of purchasing across the three services in a real headless Chromium, with a real worker process
carrying the events: the canteen manager plans the week's menu and drafts its requisition, raises a purchase
order that the approver approves and the officer sends; the supplier acknowledges and delivers (through the
portal's API) in two deliveries; the manager receives both with the incoming inspection and issues rice to the kitchen
first-expiry-first-out; the supplier invoices; finance sees the invoice matched and, on inventory's exports page,
has the worker write the XLSX exports and downloads them.

Every page visited has a title and labelled fields, and its screenshot is kept under test-artifacts/."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import openpyxl
import pytest

from services.inventory.items import refresh_items
from shared.auth import service_token
from shared.pages import yuan
from tests.browser import chromium_page, live_services
from tests.e2e.test_inventory_pages_in_browser import check_and_keep
from tests.e2e.test_purchasing_cycle import (
    PASSWORD,
    eventually,
    ok,
    register_approved_supplier,
    school,  # noqa: F401 (the fixture: a school of its own, its locations and staff)
)
from tests.support import ServiceOverTestClient

pytestmark = [pytest.mark.e2e]
RICE_PRICE = Decimal("5.50")  # the tender reference price, and what the manager orders at
ORDERED_BAGS, BAG_KG = 80, Decimal("25")  # ¥11,000.00: above ¥10,000 an order needs an approver
ORDERED_KG = ORDERED_BAGS * BAG_KG
ISSUED_KG = Decimal("120")  # what the menu's Monday lunch uses: 800 diners × 0.150 kg
ORDERED_VALUE, ISSUED_VALUE = ORDERED_KG * RICE_PRICE, ISSUED_KG * RICE_PRICE
SHELF_LIFE_DAYS = 365
SOON_LOT, LATE_LOT = "R-WEEK-SOON", "R-WEEK-LATE"  # two deliveries of half the order each


class Walk:
    """One browser, signed in as one person at a time; every page it checks is kept as a screenshot."""

    def __init__(self, page, artifacts):
        self.page, self.artifacts, self.shots = page, artifacts, 0

    def sign_in(self, base, username, path):
        self.page.context.clear_cookies()
        self.page.goto(base + path)
        self.page.get_by_label("用户名").fill(username)
        self.page.get_by_label("密码").fill(PASSWORD)
        self.page.get_by_role("button", name="登录").click()
        self.page.wait_for_url(f"**{path}")
        self.check(f"signed-in{path}")

    def check(self, name):
        self.shots += 1
        slug = name.strip("/").split("?")[0].replace("/", "-") or "home"
        check_and_keep(self.page, self.artifacts / f"{self.shots:02d}-{slug}.png")


def test_a_week_of_purchasing_from_menu_to_invoice_and_export_in_the_browser(suite, worker, school, artifacts):  # noqa: F811
    procurement, inventory, portal = (suite.client(name) for name in ("procurement", "inventory", "supplier_portal"))
    staff, today, suffix = school.staff, school.today, school.suffix
    manager, buyer = f"manager1-{suffix}", f"buyer-{suffix}"
    dh1 = school.location_ids["DH1"]

    # --- what no page does: the catalogue, inventory's copy of it, the supplier, the week's menu ----------
    rice = ok(procurement.post("/api/items", headers=staff["buyer"], json={
        "code": f"WRICE-{suffix}", "name_zh": f"周大米{suffix}", "name_en": "Rice for the week",
        "category": "rice", "specification": "一级粳米 25kg袋", "base_unit": "kg", "packaging": {"bag": str(BAG_KG)},
        "shelf_life_days": SHELF_LIFE_DAYS}), 201)
    ok(procurement.post(f"/api/items/{rice['id']}/reference-prices", headers=staff["buyer"], json={
        "price": str(RICE_PRICE), "effective_from": today.replace(month=1, day=1).isoformat(), "source": "tender"}),
        201)
    with suite.database("inventory").unit_of_work() as uow:
        assert refresh_items(uow.session, school.id, ServiceOverTestClient(procurement, {
            "Authorization": f"Bearer {service_token('inventory', school.id, suite.settings.secret_key)}"})) == 1
        uow.commit()
    supplier, owner = register_approved_supplier(suite, school, staff["buyer"])
    manager_id = next(user["id"] for user in ok(procurement.get("/api/staff", headers=staff["admin"]))
                      if user["username"] == manager)
    ok(procurement.put(f"/api/staff/{manager_id}/demand-point", headers=staff["admin"], json={"demand_point": "DH1"}))
    dish = ok(procurement.post("/api/dishes", headers=staff["manager1"], json={
        "name": "米饭", "ingredients": [{"item_id": rice["id"], "quantity": "0.150"}]}), 201)
    monday = today - timedelta(days=today.weekday()) + timedelta(days=7)
    menu = ok(procurement.post("/api/menus", headers=staff["manager1"], json={
        "demand_point": "DH1", "week_start": monday.isoformat(), "meals": [
            {"date": monday.isoformat(), "meal": "lunch", "diners": 800, "dish_ids": [dish["id"]]}]}), 201)

    with live_services(suite.settings, ["procurement", "inventory"]) as urls, chromium_page() as page:
        walk = Walk(page, artifacts)
        buying, stores = urls["procurement"], urls["inventory"]

        # the canteen manager plans the week: 800 diners × 0.150 kg = 120 kg of rice, five 25 kg bags
        walk.sign_in(buying, manager, "/menus")
        page.locator(f'a[href="/menus/{menu["id"]}"]').click()
        assert page.get_by_text("5 × bag (125 kg)").count() == 1, page.locator("table").last.inner_text()
        walk.check("menu")
        page.get_by_role("button", name="生成申购单草稿").click()
        page.wait_for_selector("#requisition-state:has-text('草稿')")
        walk.check("requisition-draft")
        page.get_by_role("button", name="提交审批").click()
        page.wait_for_selector("#requisition-state:has-text('已提交')")
        walk.check("requisition-submitted")

        # ... and raises the week's order directly, at the reference price
        page.goto(buying + "/orders/new")
        walk.check("new-order")
        page.select_option("#f-supplier_id", str(supplier["id"]))
        page.select_option("#line-1-item_id", str(rice["id"]))
        page.fill("#line-1-quantity", str(ORDERED_BAGS))
        page.fill("#line-1-unit", "bag")
        page.fill("#line-1-unit_price", str(RICE_PRICE))
        page.select_option("#line-1-destination", "DH1")
        page.fill("#line-1-delivery_date", today.isoformat())
        page.get_by_role("button", name="保存订单草稿").nth(-1).click()
        page.wait_for_selector("#order-state:has-text('草稿')")
        order_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
        walk.check("order-draft")
        page.get_by_role("button", name="提交审批").click()
        page.wait_for_selector("#order-state:has-text('待审批')")
        walk.check("order-submitted")

        # the approver approves it on the approvals page
        walk.sign_in(buying, f"approver1-{suffix}", "/approvals")
        assert page.get_by_text(yuan(ORDERED_VALUE)).count() >= 1
        page.get_by_role("link", name="审批 ›").click()
        page.locator("#f-approve-reason").fill("限价内，同意")
        page.get_by_role("button", name="批准").click()
        page.wait_for_selector("text=没有待审批的订单")
        walk.check("approved")

        # the officer sends it
        walk.sign_in(buying, buyer, f"/orders/{order_id}")
        page.get_by_role("button", name="发送给供应商").click()
        page.wait_for_selector("#order-state:has-text('已发送')")
        walk.check("order-sent")

        # the supplier acknowledges and sends a delivery note with the lot
        def order_on_portal():
            return next((o for o in ok(portal.get("/api/orders", headers=owner))["items"] if o["po_id"] == order_id),
                        None)

        portal_order = eventually(order_on_portal, "po.sent on the portal")
        ok(portal.post(f"/api/orders/{portal_order['id']}/acknowledge", headers=owner,
                       json={"revision": portal_order["revision"]}))
        [po_line] = portal_order["lines"]
        notes = {}
        for lot, produced_days_ago in ((SOON_LOT, 335), (LATE_LOT, 10)):  # the sooner-expiring lot comes first
            produced = today - timedelta(days=produced_days_ago)
            notes[lot] = ok(portal.post(f"/api/orders/{portal_order['id']}/delivery-notes", headers=owner, json={
                "planned_at": (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat(),
                "lines": [{"po_line_id": po_line["po_line_id"], "quantity": str(ORDERED_KG / 2), "lot_number": lot,
                           "production_date": produced.isoformat(),
                           "expiry_date": (produced + timedelta(days=SHELF_LIFE_DAYS)).isoformat(),
                           "certificate_ref": f"合格证 {lot}"}]}), 201)

        def announced_in_inventory():
            page_of = ok(inventory.get("/api/expected-receipts", headers=staff["keeper"]))
            expected = next((e for e in page_of["items"] if e["po_id"] == order_id), None)
            arrived = {n["delivery_note_id"] for n in expected["delivery_notes"]} if expected else set()
            return arrived >= {note["id"] for note in notes.values()}

        eventually(announced_in_inventory, "po.sent and both delivery.dispatched in inventory")

        # the manager receives both deliveries on inventory's receiving page, two inspectors signing each; the
        # form comes filled from the latest note, and the earlier note's lot is typed in from its paper
        walk.sign_in(stores, manager, f"/receiving?location_id={dh1}")
        page.get_by_role("link", name=portal_order["number"]).click()
        for lot in (LATE_LOT, SOON_LOT):
            line = notes[lot]["lines"][0]
            if page.locator("#f-delivery_note_id").input_value() != str(notes[lot]["id"]):
                page.select_option("#f-delivery_note_id", str(notes[lot]["id"]))
                page.get_by_label(f"验收合格数量 ({rice['name_zh']})").fill(str(ORDERED_KG / 2))
                page.get_by_label(f"批号 ({rice['name_zh']})").fill(lot)
                page.get_by_label(f"生产日期 ({rice['name_zh']})").fill(line["production_date"])
                page.get_by_label(f"到期日期 ({rice['name_zh']})").fill(line["expiry_date"])
            assert page.get_by_label(f"批号 ({rice['name_zh']})").input_value() == lot
            for document in ("营业执照及食品经营许可证", "产品合格证", "送货单"):
                page.get_by_role("checkbox", name=document).check()
            page.get_by_label("验收人", exact=True).fill("王敏")
            page.get_by_label("第二验收人（大宗物资须双人验收）").fill("刘洋")
            walk.check(f"inspection-form-{lot}")
            page.get_by_role("button", name="提交查验记录").click()
            page.wait_for_selector(f"text=查验已记录：{ORDERED_KG / 2:.3f} 验收入库")
            walk.check(f"received-{lot}")

        # ... and issues 120 kg to the kitchen: FEFO takes the lot received last, as it expires first
        page.goto(stores + f"/issues/new?location_id={dh1}")
        page.get_by_label(f"领用数量 ({rice['name_zh']})").fill(str(ISSUED_KG))
        page.get_by_role("button", name="查看先到期先出的批次").click()
        preview = page.locator("tr.preview").inner_text()
        soon_expiry = notes[SOON_LOT]["lines"][0]["expiry_date"]
        assert f"{SOON_LOT} × 120.000 kg (到期 {soon_expiry})" in preview and LATE_LOT not in preview, preview
        walk.check("issue-fefo-preview")
        page.get_by_role("button", name="过账领用").click()
        page.wait_for_selector(f"text=已发往厨房：成本 {yuan(ISSUED_VALUE)}")
        walk.check("issued")

        # the supplier invoices what was accepted; procurement matches it against order and receipt
        def invoiceable():
            current = ok(portal.get(f"/api/orders/{portal_order['id']}", headers=owner))
            return Decimal(current["lines"][0]["to_invoice_quantity"]) == ORDERED_KG

        eventually(invoiceable, "goods.received on the portal")
        invoice = ok(portal.post(f"/api/orders/{portal_order['id']}/invoices", headers=owner, json={
            "invoice_number": f"3700W{suffix}", "issued_on": today.isoformat(),
            "lines": [{"po_line_id": po_line["po_line_id"], "quantity": str(ORDERED_KG)}]}), 201)

        def matched():
            page_of = ok(procurement.get(f"/api/invoices?order_id={order_id}", headers=staff["finance"]))
            return page_of["items"] and page_of["items"][0]["state"] == "matched"

        eventually(matched, "invoice.submitted matched by procurement")

        # finance sees it matched on the invoices page and downloads the exports as XLSX
        walk.sign_in(buying, f"finance-{suffix}", "/invoices")
        row = page.locator("tr", has=page.get_by_role("link", name=invoice["invoice_number"])).inner_text()
        assert "已匹配" in row and yuan(ORDERED_VALUE) in row, row
        walk.check("invoice-matched")
        # ... and on inventory's exports page starts the period's spend and cost detail as XLSX: the worker
        # writes each file while the page follows its progress, then finance downloads it
        walk.sign_in(stores, f"finance-{suffix}", "/costing/exports")
        spend = export_in_browser(walk, "spend", today, dh1)
        assert spend[0] == ["供应商编号", "物资类别", "收货金额", "退货金额", "净采购额"]
        assert [[cell if isinstance(cell, str | None) else Decimal(str(cell)) for cell in row] for row in spend[1:]] \
            == [[supplier["id"], "大米", ORDERED_VALUE, 0, ORDERED_VALUE],
                ["合计", None, ORDERED_VALUE, 0, ORDERED_VALUE]]
        detail = export_in_browser(walk, "cost_detail", today, dh1)
        header, [issued], total = detail[0], detail[1:-1], detail[-1]
        figures = dict(zip(header, issued, strict=True))
        assert (figures["物资名称"], figures["批次号"], figures["供应商编号"]) == (
            rice["name_zh"], SOON_LOT, supplier["id"])
        assert (Decimal(str(figures["数量"])), Decimal(str(figures["金额"]))) == (ISSUED_KG, ISSUED_VALUE)
        assert total[0] == "合计" and Decimal(str(total[-1])) == ISSUED_VALUE


def export_in_browser(walk, kind, day, location_id) -> list[list]:
    """Start an XLSX export of `day` on the exports page, wait for the worker to finish it, download it and
    read its first sheet as lists of cell values."""
    page = walk.page
    page.get_by_label("报表").select_option(kind)
    page.get_by_label("格式").select_option("xlsx")
    page.get_by_label("起始日期").fill(day.isoformat())
    page.get_by_label("截止日期").fill(day.isoformat())
    page.get_by_label("食堂").select_option(str(location_id))
    page.get_by_role("button", name="开始导出").click()
    page.wait_for_selector("text=导出已开始")
    newest = page.locator("#export-jobs tbody tr").first
    # the list refreshes itself while the worker writes the file
    page.wait_for_selector("#export-jobs tbody tr:first-child >> text=已完成", timeout=30_000)
    assert f"{day} – {day}" in newest.inner_text()
    walk.check(f"export-{kind}-done")
    with page.expect_download() as download:
        newest.get_by_role("button", name="下载").click()
    kept = walk.artifacts / download.value.suggested_filename  # the file is kept with the screenshots
    assert kept.suffix == ".xlsx"
    download.value.save_as(kept)
    sheet = openpyxl.load_workbook(kept, read_only=True).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]

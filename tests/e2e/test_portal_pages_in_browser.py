"""The supplier portal's pages in a real headless Chromium: a supplier signs in, acknowledges an order,
sends a delivery note and, once the school has inspected the goods, invoices them; screenshots are kept."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from services.supplier_portal.accounts import create_supplier_user
from services.supplier_portal.models import DeliveryNote, Invoice, PurchaseOrder, QualificationDocument, Supplier
from services.supplier_portal.tasks import consumer
from shared.db import utcnow
from tests.browser import chromium_page, live_services
from tests.supplier_portal.conftest import PDF, credit_code
from tests.supplier_portal.factories import goods_received, po_sent

pytestmark = [pytest.mark.e2e]
PO_ID = 990_001
EMAIL = "browser-supplier@example.cn"
PASSWORD = "browser password"


def seed_supplier_with_an_order(database) -> int:
    """An approved supplier with valid licences and its owner, and an order sent to it (po.sent)."""
    with database.unit_of_work() as uow:
        supplier = Supplier(name="浏览器测试蔬菜公司", contact_email=EMAIL,
                            categories=["bulk_grain_oil", "store_goods"], status="approved",
                            credit_code=credit_code(990_001), address="济南市历下区",
                            contact_name="王经理", contact_phone="0531-88888888", registered_at=utcnow())
        uow.session.add(supplier)
        uow.session.flush()
        create_supplier_user(uow.session, supplier.id, EMAIL, "王经理", PASSWORD, "owner")
        for kind in ("business_licence", "food_business_licence"):
            uow.session.add(QualificationDocument(
                supplier_id=supplier.id, kind=kind, number=f"{kind[:2].upper()}0001", status="approved",
                expires_on=date.today() + timedelta(days=365), storage_key=f"documents/{supplier.id}/{kind}.pdf",
                content_type="application/pdf", size_bytes=1, sha256="0" * 64, original_filename=f"{kind}.pdf",
                uploaded_by="seed"))
        uow.commit()
        supplier_id = supplier.id
    assert consumer.apply(database, po_sent(supplier_id, po_id=PO_ID, quantity="250.000")) is True
    return supplier_id


def unlabeled_fields(page) -> list[str]:
    return page.evaluate("""() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
        .filter(f => !(f.labels && f.labels.length) && !f.getAttribute('aria-label')).map(f => f.name)""")


def visit_the_other_pages(page, base, artifacts):
    """Every other page of the menu, with one action each where it has one."""
    page.get_by_role("link", name="送货单").first.click()
    page.wait_for_selector("text=DN-PO-2026-000123-01")
    page.get_by_role("link", name="DN-PO-2026-000123-01").click()
    assert "张三、李四" in page.inner_text("main") and "L20260301" in page.inner_text("main")
    page.screenshot(path=artifacts / "07-delivery-note.png", full_page=True)

    page.goto(base + "/invoices")
    page.get_by_role("link", name="FP-BROWSER-1").click()
    assert page.locator("#invoice-status").inner_text() == "已提交"
    page.screenshot(path=artifacts / "08-invoice.png", full_page=True)

    page.goto(base + "/documents")
    page.get_by_label("证照", exact=True).select_option("food_business_licence")
    page.get_by_label("证照编号").fill("JY-BROWSER-2")
    page.get_by_label("有效期至").fill((date.today() + timedelta(days=200)).isoformat())
    page.get_by_label("文件（PDF、PNG 或 JPEG，最大 5 MiB）").set_input_files(
        files=[{"name": "licence.txt", "mimeType": "text/plain", "buffer": b"not a licence"}])
    page.get_by_role("button", name="上传", exact=True).click()
    page.wait_for_selector("text=须为 PDF, PNG or JPEG 格式的文件")
    assert page.get_by_label("证照编号").input_value() == "JY-BROWSER-2"
    page.screenshot(path=artifacts / "09-upload-refused.png", full_page=True)
    page.get_by_label("文件（PDF、PNG 或 JPEG，最大 5 MiB）").set_input_files(
        files=[{"name": "licence.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.get_by_role("button", name="上传", exact=True).click()
    page.wait_for_selector("text=证照 JY-BROWSER-2 已上传")
    page.screenshot(path=artifacts / "10-documents.png", full_page=True)

    page.goto(base + "/users")
    page.get_by_label("姓名").fill("送货员小李")
    page.get_by_label("邮箱").fill("driver@example.cn")
    page.get_by_label("初始密码（至少 10 个字符）").fill("driver password")
    page.get_by_role("button", name="添加账号").click()
    page.wait_for_selector("text=driver@example.cn 现在可以作为员工登录")
    page.screenshot(path=artifacts / "11-users.png", full_page=True)

    for number, path in enumerate(("/quotes", "/notifications", "/scorecards", "/profile", "/six-unifications"), 12):
        page.goto(base + path)
        assert page.locator("h1").inner_text()
        assert unlabeled_fields(page) == [], path
        page.screenshot(path=artifacts / f"{number}-{path.strip('/')}.png", full_page=True)
    page.goto(base + "/notifications")
    assert "采购订单 PO-2026-000123（第 1 版）等待您确认。" in page.inner_text("main")


def test_a_supplier_acknowledges_delivers_and_invoices_an_order_in_the_browser(suite, artifacts):
    database = suite.database("supplier_portal")
    supplier_id = seed_supplier_with_an_order(database)
    with live_services(suite.settings, ["supplier_portal"]) as urls, chromium_page() as page:
        base = urls["supplier_portal"]
        page.goto(base + "/")
        assert page.title().startswith("登录")
        page.screenshot(path=artifacts / "01-sign-in.png", full_page=True)
        page.get_by_label("邮箱").fill(EMAIL)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_selector("text=待确认订单 (1)")
        page.screenshot(path=artifacts / "02-dashboard.png", full_page=True)

        page.get_by_role("link", name="PO-2026-000123").first.click()
        page.get_by_role("button", name="确认订单").click()
        page.wait_for_selector("text=订单 PO-2026-000123 已确认")
        assert page.locator("#order-status").inner_text() == "已确认"
        page.screenshot(path=artifacts / "03-acknowledged.png", full_page=True)

        page.get_by_label("计划送达时间").fill(f"{date.today().isoformat()}T08:30")
        page.locator("#deliver-9001-quantity").fill("200")
        page.locator("#deliver-9001-lot_number").fill("L20260301")
        page.locator("#deliver-9001-production_date").fill((date.today() - timedelta(days=2)).isoformat())
        page.locator("#deliver-9001-certificate_ref").fill("HG-2026-001")
        page.get_by_role("button", name="发送送货单").click()
        page.wait_for_selector("text=送货单 DN-PO-2026-000123-01 已发送给学校")
        page.screenshot(path=artifacts / "04-delivery-note.png", full_page=True)

        # The school inspects the goods (goods.received from inventory); the supplier then invoices them.
        with database.unit_of_work() as uow:
            note_id = uow.session.scalar(select(DeliveryNote.id).where(DeliveryNote.supplier_id == supplier_id))
        assert consumer.apply(database, goods_received(supplier_id, po_id=PO_ID, receipt_id=990_001,
                                                       delivery_note_id=note_id, accepted="200.000")) is True
        page.reload()
        page.get_by_label("发票号码").fill("FP-BROWSER-1")
        assert page.locator("#invoice-9001-quantity").input_value() == "200.000"
        page.get_by_role("button", name="提交发票").click()
        page.wait_for_selector("text=发票 FP-BROWSER-1（¥1,120.00）已提交")
        invoices = page.locator("section", has_text="发票号码").last.inner_text()
        assert "FP-BROWSER-1" in invoices and "已提交" in invoices
        page.screenshot(path=artifacts / "05-invoiced.png", full_page=True)

        assert unlabeled_fields(page) == []
        page.goto(base + "/")
        assert "发票" in page.inner_text("main") and "FP-BROWSER-1" in page.inner_text("main")
        page.screenshot(path=artifacts / "06-dashboard-after.png", full_page=True)

        visit_the_other_pages(page, base, artifacts)

    with database.unit_of_work() as uow:
        order = uow.session.scalar(select(PurchaseOrder).where(PurchaseOrder.po_id == PO_ID))
        invoice = uow.session.scalar(select(Invoice).where(Invoice.invoice_number == "FP-BROWSER-1"))
        assert order.status == "acknowledged" and invoice.total == 1120 and invoice.status == "submitted"

"""The supplier's pages beyond orders and RFQs, through the test client: each action, each refused
action with its reason and the values typed kept, and lists one page at a time."""
import io
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from services.supplier_portal.accounts import create_supplier_user
from services.supplier_portal.documents import MAX_DOCUMENT_BYTES
from services.supplier_portal.models import (
    ComplianceDeclaration,
    Notification,
    QualificationDocument,
    Scorecard,
    Supplier,
    SupplierUser,
)
from services.supplier_portal.notifications import notify
from tests.pages.test_portal_pages import csrf_of, sign_in
from tests.supplier_portal.conftest import (  # noqa: F401  (the portal's fixtures, shared with its API tests)
    PASSWORD,
    PDF,
    PNG,
    add_document,
    approved_supplier,
    make_supplier,
    portal,
    portal_db,
    store_root,
)
from tests.supplier_portal.factories import (
    acknowledged_order,
    deliver,
    goods_received,
    invoice_disputed,
    invoice_matched,
    payment_recorded,
    rfq_awarded,
    rfq_copy,
    rfq_issued,
)

NEXT_MONTH = (date.today() + timedelta(days=30)).isoformat()


@pytest.fixture
def supplier(approved_supplier):  # noqa: F811
    made, owner_user, owner = approved_supplier("页面供应商", categories=("vegetables", "store_goods"))
    return made, owner_user, owner


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_quotes_page_shows_each_quote_with_its_outcome_and_the_rfq_page_per_line(
        portal, portal_db, supplier):  # noqa: F811
    made, user, owner = supplier
    deliver(portal_db, rfq_issued([made.id]))
    rfq = rfq_copy(portal_db, made.id)
    quote = portal.post(f"/api/rfqs/{rfq.id}/quote", headers=owner, json={"valid_until": NEXT_MONTH, "lines": [
        {"rfq_line_id": 1, "unit_price": "5.60"}, {"rfq_line_id": 2, "unit_price": "12.80"}]}).json
    sign_in(portal, user)
    assert "尚未定标" in text(portal.get("/quotes"))
    deliver(portal_db, rfq_awarded([(made.id, quote["id"], [1])]))
    listed = text(portal.get("/quotes"))
    assert "部分中标 (1/2)" in listed and f"/rfqs/{rfq.id}" in listed
    assert "部分中标" in text(portal.get("/quotes?outcome=partly_awarded"))
    assert "尚无报价" in text(portal.get("/quotes?outcome=awarded"))
    page = text(portal.get(f"/rfqs/{rfq.id}"))
    assert '<strong id="quote-outcome">部分中标</strong>' in page
    assert page.count('<td class="outcome">中标</td>') == 1 and page.count('<td class="outcome">未中标</td>') == 1


def test_delivery_notes_show_the_inspection_and_invoices_what_the_school_made_of_them(
        portal, portal_db, supplier):  # noqa: F811
    made, user, owner = supplier
    order = acknowledged_order(portal, portal_db, made.id, owner)
    note = portal.post(f"/api/orders/{order.id}/delivery-notes", headers=owner, json={
        "planned_at": datetime.now(timezone.utc).isoformat(), "lines": [
            {"po_line_id": 9001, "quantity": "200.000", "lot_number": "L9", "production_date": "2026-02-20"}]}).json
    sign_in(portal, user)
    assert "尚未验收" in text(portal.get(f"/delivery-notes/{note['id']}"))
    deliver(portal_db, goods_received(made.id, delivery_note_id=note["id"], accepted="190.000", rejected="10.000",
                                      reason="包装破损"))
    listed = text(portal.get("/delivery-notes"))
    assert f"/delivery-notes/{note['id']}" in listed and "包装破损" in listed
    shown = text(portal.get(f"/delivery-notes/{note['id']}"))
    assert "大米" in shown and "190.000" in shown and "包装破损" in shown and "张三、李四" in shown
    disputed, paid = [portal.post(f"/api/orders/{order.id}/invoices", headers=owner, json={
        "invoice_number": number, "issued_on": date.today().isoformat(),
        "lines": [{"po_line_id": 9001, "quantity": quantity}]}).json for number, quantity in (("FP-7", "90.000"),
                                                                                             ("FP-8", "100.000"))]
    deliver(portal_db, invoice_disputed(disputed, reasons=("单价与订单不符", "缺少随货同行单")))
    shown = text(portal.get(f"/invoices/{disputed['id']}"))
    assert '<strong id="invoice-status">有异议</strong>' in shown
    assert "<li>单价与订单不符</li>" in shown and "<li>缺少随货同行单</li>" in shown
    deliver(portal_db, invoice_matched(paid))
    assert "匹配，金额 ¥560.00" in text(portal.get(f"/invoices/{paid['id']}"))
    deliver(portal_db, payment_recorded(paid, paid["total"]))
    shown = text(portal.get(f"/invoices/{paid['id']}"))
    assert '<strong id="invoice-status">已付款</strong>' in shown and "转账 0001" in shown
    listed = text(portal.get("/invoices"))
    assert f"/invoices/{disputed['id']}" in listed and f"/invoices/{paid['id']}" in listed


def test_notifications_are_shown_in_the_readers_language_one_page_at_a_time_and_marked_read(
        portal, portal_db, supplier):  # noqa: F811
    made, user, _ = supplier
    with portal_db.unit_of_work() as uow:
        for number in range(25):
            notify(uow.session, made.id, "order_cancelled", f"probe:{number}", number=f"PO-{number:03d}",
                   reason="计划取消")
        uow.commit()
    csrf = sign_in(portal, user)
    first = text(portal.get("/notifications"))
    assert first.count("已取消：计划取消") == 20 and "第 1 页，共 2 页" in first and "PO-024" in first
    second = text(portal.get("/notifications?page=2"))
    assert second.count("已取消：计划取消") == 5 and "PO-000" in second
    with portal_db.unit_of_work() as uow:
        oldest = uow.session.scalar(select(Notification).where(Notification.dedup_key == "probe:0"))
    read = portal.post(f"/notifications/{oldest.id}/read", data={"csrf_token": csrf, "page": "2"})
    assert read.status_code == 302 and read.headers["Location"].endswith("/notifications?page=2")
    with portal_db.unit_of_work() as uow:
        assert uow.session.get(Notification, oldest.id).read_at is not None
    portal.post("/language", data={"lang": "en", "next": "/", "csrf_token": csrf})
    assert "Order PO-024 was cancelled: 计划取消" in text(portal.get("/notifications"))


def test_licences_are_listed_with_their_expiry_and_uploaded_from_the_page(
        portal, portal_db, supplier, add_document):  # noqa: F811
    made, user, _ = supplier
    add_document(made.id, "food_business_licence", expires_on=date.today() + timedelta(days=10))
    add_document(made.id, "food_business_licence", status="pending", expires_on=date.today() - timedelta(days=1))
    csrf = sign_in(portal, user)
    listed = text(portal.get("/documents"))
    assert listed.count('<td class="validity">有效</td>') == 2
    assert listed.count('<td class="validity">即将到期</td>') == 1
    assert listed.count('<td class="validity">已过期</td>') == 1
    uploaded = portal.post("/documents", content_type="multipart/form-data", follow_redirects=True, data={
        "csrf_token": csrf, "kind": "food_business_licence", "number": "JY-2026-NEW", "expires_on": NEXT_MONTH,
        "file": (io.BytesIO(PNG), "licence.png")})
    assert uploaded.status_code == 200 and "证照 JY-2026-NEW 已上传" in text(uploaded)
    with portal_db.unit_of_work() as uow:
        assert uow.session.scalar(select(QualificationDocument.status).where(
            QualificationDocument.number == "JY-2026-NEW")) == "pending"


@pytest.mark.parametrize(("filename", "content", "status", "reason"), [
    ("licence.pdf", b"MZ\x90\x00 not a document", 422, "须为 PDF, PNG or JPEG 格式的文件"),
    ("licence.png", PDF, 422, "文件扩展名为 .png，但内容为 PDF"),
    ("../../etc/licence.pdf", PDF, 422, "文件名不得包含路径"),
    ("licence.pdf", PDF + b"\x00" * MAX_DOCUMENT_BYTES, 413, "文件不得超过 5 MiB"),
])
def test_a_refused_upload_says_why_and_keeps_what_was_typed(
        portal, portal_db, supplier, store_root, filename, content, status, reason):  # noqa: F811
    made, user, _ = supplier
    csrf = sign_in(portal, user)
    refused = portal.post("/documents", content_type="multipart/form-data", data={
        "csrf_token": csrf, "kind": "business_licence", "number": "YZ-TYPED", "expires_on": NEXT_MONTH,
        "file": (io.BytesIO(content), filename)})
    assert refused.status_code == status and reason in text(refused)
    assert 'value="YZ-TYPED"' in text(refused) and "上传证照" in text(refused)
    with portal_db.unit_of_work() as uow:
        assert uow.session.scalar(select(QualificationDocument.id).where(
            QualificationDocument.number == "YZ-TYPED")) is None
    assert not store_root.exists() or all(path.is_relative_to(store_root) for path in store_root.rglob("*"))


def test_the_owner_edits_the_company_contact_and_a_bad_phone_is_refused_on_the_field(
        portal, portal_db, supplier):  # noqa: F811
    made, user, _ = supplier
    csrf = sign_in(portal, user)
    page = text(portal.get("/profile"))
    assert made.credit_code in page and "蔬菜" in page and "济南市历下区" in page
    refused = portal.post("/profile", data={"csrf_token": csrf, "address": "青岛市市南区", "contact_name": "赵经理",
                                            "contact_phone": "not a phone"})
    assert refused.status_code == 422 and 'value="not a phone"' in text(refused)
    assert 'class="field invalid"' in text(refused) and 'value="青岛市市南区"' in text(refused)
    saved = portal.post("/profile", data={"csrf_token": csrf, "address": "青岛市市南区", "contact_name": "赵经理",
                                          "contact_phone": "0532-88888888"}, follow_redirects=True)
    assert "公司信息已保存" in text(saved)
    with portal_db.unit_of_work() as uow:
        assert uow.session.get(Supplier, made.id).contact_name == "赵经理"


def test_a_user_changes_its_own_password_and_a_wrong_current_one_is_refused_without_echoing_it(
        portal, portal_db, supplier):  # noqa: F811
    made, user, _ = supplier
    with portal_db.unit_of_work() as uow:
        staff = create_supplier_user(uow.session, made.id, f"clerk{made.id}@example.cn", "文员", PASSWORD, "staff")
        uow.commit()
    csrf = sign_in(portal, staff)
    assert 'action="/profile"' not in text(portal.get("/profile"))  # only the owner edits the company
    assert portal.post("/profile", data={"csrf_token": csrf, "address": "x", "contact_name": "x",
                                         "contact_phone": "0532-88888888"}).status_code == 403
    wrong = portal.post("/profile/password", data={"csrf_token": csrf, "current_password": "guessed wrongly",
                                                   "new_password": "a brand new password"})
    assert wrong.status_code == 422 and "不是您当前的密码" in text(wrong)
    assert "guessed wrongly" not in text(wrong) and "a brand new password" not in text(wrong)
    changed = portal.post("/profile/password", follow_redirects=True, data={
        "csrf_token": csrf, "current_password": PASSWORD, "new_password": "a brand new password"})
    assert "您的密码已修改" in text(changed)
    portal.post("/logout", data={"csrf_token": csrf_of(portal.get("/profile"))})
    signed_in = portal.post("/login", data={"username": staff.email, "password": "a brand new password",
                                            "csrf_token": csrf_of(portal.get("/login"))})
    assert signed_in.status_code == 302


def test_the_owner_adds_and_deactivates_staff_but_not_itself(portal, portal_db, supplier):  # noqa: F811
    made, user, _ = supplier
    csrf = sign_in(portal, user)
    short = portal.post("/users", data={"csrf_token": csrf, "email": "clerk@example.cn", "display_name": "文员",
                                        "password": "short"})
    assert short.status_code == 422 and 'value="clerk@example.cn"' in text(short) and 'value="short"' not in text(short)
    added = portal.post("/users", follow_redirects=True, data={
        "csrf_token": csrf, "email": "clerk@example.cn", "display_name": "文员", "password": PASSWORD})
    assert "clerk@example.cn 现在可以作为员工登录" in text(added)
    with portal_db.unit_of_work() as uow:
        clerk = uow.session.scalar(select(SupplierUser).where(SupplierUser.email == "clerk@example.cn"))
    assert clerk.supplier_id == made.id and clerk.role == "staff"
    deactivated = portal.post(f"/users/{clerk.id}/deactivate", data={"csrf_token": csrf}, follow_redirects=True)
    assert "clerk@example.cn 已停用" in text(deactivated)
    refused = portal.post(f"/users/{user.id}/deactivate", data={"csrf_token": csrf})
    assert refused.status_code == 403 and "负责人账号不能在门户中停用或启用" in text(refused)
    with portal_db.unit_of_work() as uow:
        assert uow.session.get(SupplierUser, clerk.id).active is False
        assert uow.session.get(SupplierUser, user.id).active is True
    portal.post("/logout", data={"csrf_token": csrf})
    with portal_db.unit_of_work() as uow:
        staff = create_supplier_user(uow.session, made.id, f"other{made.id}@example.cn", "员工", PASSWORD, "staff")
        uow.commit()
    sign_in(portal, staff)
    assert portal.get("/users").status_code == 403
    assert 'href="/users"' not in text(portal.get("/"))


def test_a_campus_store_supplier_declares_an_item_with_evidence(portal, portal_db, supplier):  # noqa: F811
    made, user, _ = supplier
    csrf = sign_in(portal, user)
    page = text(portal.get("/six-unifications"))
    assert page.count("未申报") == 6 and '<strong id="compliance-status">待审核</strong>' in page
    missing = portal.post("/six-unifications", content_type="multipart/form-data", data={
        "csrf_token": csrf, "item": "pricing", "statement": "统一价格表已公示"})
    assert missing.status_code == 422 and "file" in text(missing) and "统一价格表已公示" in text(missing)
    declared = portal.post("/six-unifications", content_type="multipart/form-data", follow_redirects=True, data={
        "csrf_token": csrf, "item": "pricing", "statement": "统一价格表已公示",
        "file": (io.BytesIO(PDF), "价格表.pdf")})
    assert "申报已提交" in text(declared) and "价格表.pdf" in text(declared) and text(declared).count("未申报") == 5
    with portal_db.unit_of_work() as uow:
        assert uow.session.scalar(select(ComplianceDeclaration.supplier_id)) == made.id


def test_the_six_unifications_page_tells_another_kind_of_supplier_it_does_not_apply(
        portal, approved_supplier):  # noqa: F811
    _, user, _ = approved_supplier("蔬菜公司")
    sign_in(portal, user)
    refused = portal.get("/six-unifications")
    assert refused.status_code == 409 and "六统一仅适用于校园超市（store_goods）供应商" in text(refused)


def test_the_scorecard_page_shows_each_period_and_the_suspension(portal, portal_db, supplier):  # noqa: F811
    made, user, _ = supplier
    with portal_db.unit_of_work() as uow:
        uow.session.add_all([Scorecard(
            school_id=1, supplier_id=made.id, period_start=date(2026, month, 1), period_end=date(2026, month, 28),
            deliveries=4, on_time_rate=Decimal("75.000"), acceptance_rate=Decimal("96.500"),
            price_compliance_rate=None, disputes=1, rating="unsatisfactory", comment=f"{month} 月迟到",
            rated_by="1", suspended_supplier=month == 2) for month in (1, 2)])
        uow.commit()
    sign_in(portal, user)
    page = text(portal.get("/scorecards"))
    assert "75.000 %" in page and "96.500 %" in page and "—" in page and "1 月迟到" in page
    assert page.count("连续两期不合格，已暂停") == 1

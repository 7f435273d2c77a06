"""The supplier portal's pages through the test client: sign-in, the dashboard, each order action and
the quote form, with refused actions explained, another supplier's records absent, and CSRF required."""
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from services.supplier_portal.models import DeliveryNote, Invoice, Outbox, PurchaseOrder, SupplierUser
from tests.supplier_portal.conftest import (  # noqa: F401  (the portal's fixtures, shared with its API tests)
    PASSWORD,
    add_document,
    approved_supplier,
    make_supplier,
    portal,
    portal_db,
    store_root,
)
from tests.supplier_portal.factories import deliver, goods_received, po_cancelled, po_sent, rfq_copy, rfq_issued


def csrf_of(response) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True)).group(1)


def sign_in(client, user) -> str:
    page = client.get("/login")
    response = client.post("/login", data={"username": user.email, "password": PASSWORD,
                                           "csrf_token": csrf_of(page)})
    assert response.status_code == 302, response.get_data(as_text=True)
    return csrf_of(client.get("/"))


def order_of(portal_db, po_id=501) -> PurchaseOrder:  # noqa: F811  (a helper taking the fixture)
    with portal_db.unit_of_work() as uow:
        return uow.session.scalar(select(PurchaseOrder).where(PurchaseOrder.po_id == po_id))


def events(portal_db, event_type):  # noqa: F811
    with portal_db.unit_of_work() as uow:
        return [row.payload for row in uow.session.scalars(select(Outbox).where(Outbox.type == event_type))]


@pytest.fixture
def supplier(approved_supplier):  # noqa: F811
    made, owner_user, _ = approved_supplier("页面供应商")
    return made, owner_user


def test_an_anonymous_visitor_is_sent_to_the_email_sign_in_in_chinese(portal):  # noqa: F811
    response = portal.get("/orders")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=/orders")
    body = portal.get("/login").get_data(as_text=True)
    assert "<title>登录" in body and ">邮箱<" in body


def test_a_wrong_password_is_refused_with_the_reason_in_chinese(portal, supplier):  # noqa: F811
    _, user = supplier
    page = portal.get("/login")
    response = portal.post("/login", data={"username": user.email, "password": "wrong password!",
                                           "csrf_token": csrf_of(page)})
    assert response.status_code == 401
    assert "邮箱或密码错误" in response.get_data(as_text=True)


def test_the_dashboard_shows_the_suppliers_order_to_acknowledge_and_open_rfq(
        portal, portal_db, supplier, approved_supplier):  # noqa: F811
    made, user = supplier
    other, _, _ = approved_supplier("别家")
    deliver(portal_db, po_sent(made.id))
    deliver(portal_db, po_sent(other.id, po_id=502))
    deliver(portal_db, rfq_issued([made.id]))
    sign_in(portal, user)
    body = portal.get("/").get_data(as_text=True)
    assert "待确认订单 (1)" in body and f"/orders/{order_of(portal_db).id}" in body
    assert f"/orders/{order_of(portal_db, 502).id}" not in body
    assert "三月大米、食用油" in body and "供应商工作台" in body


def test_a_supplier_acknowledges_an_order_from_its_page(portal, portal_db, supplier):  # noqa: F811
    made, user = supplier
    deliver(portal_db, po_sent(made.id))
    order = order_of(portal_db)
    csrf = sign_in(portal, user)
    page = portal.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "确认订单" in page and "大米" in page and "¥1,400.00" in page
    response = portal.post(f"/orders/{order.id}/acknowledge", data={"revision": "1", "csrf_token": csrf},
                           follow_redirects=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "订单 PO-2026-000123 已确认" in body
    assert '<strong id="order-status">已确认</strong>' in body and "新建送货单" in body
    assert [e["po_id"] for e in events(portal_db, "po.acknowledged")] == [501]


def test_acknowledging_a_cancelled_order_is_refused_with_the_reason(portal, portal_db, supplier):  # noqa: F811
    made, user = supplier
    deliver(portal_db, po_sent(made.id))
    deliver(portal_db, po_cancelled(made.id, reason="学校放假，取消订单"))
    order = order_of(portal_db)
    csrf = sign_in(portal, user)
    page = portal.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "学校已取消：" in page and "学校放假" in page and "确认订单" not in page
    response = portal.post(f"/orders/{order.id}/acknowledge", data={"revision": "1", "csrf_token": csrf})
    assert response.status_code == 409
    assert "采购订单当前状态为“已取消”，不能执行“确认”" in response.get_data(as_text=True)
    assert "操作冲突" in response.get_data(as_text=True)
    assert events(portal_db, "po.acknowledged") == []


def test_declining_needs_a_reason_and_then_records_it(portal, portal_db, supplier):  # noqa: F811
    made, user = supplier
    deliver(portal_db, po_sent(made.id))
    order = order_of(portal_db)
    csrf = sign_in(portal, user)
    refused = portal.post(f"/orders/{order.id}/decline", data={"revision": "1", "reason": " ", "csrf_token": csrf})
    assert refused.status_code == 422 and "reason" in refused.get_data(as_text=True)
    declined = portal.post(f"/orders/{order.id}/decline", data={
        "revision": "1", "reason": "库存不足", "csrf_token": csrf}, follow_redirects=True)
    body = declined.get_data(as_text=True)
    assert "订单 PO-2026-000123 已拒绝" in body and "拒绝原因：" in body and "库存不足" in body
    assert [e["reason"] for e in events(portal_db, "po.declined")] == ["库存不足"]


def test_a_delivery_note_then_an_invoice_are_submitted_from_the_order_page(portal, portal_db, supplier):  # noqa: F811
    made, user = supplier
    deliver(portal_db, po_sent(made.id))
    order = order_of(portal_db)
    csrf = sign_in(portal, user)
    portal.post(f"/orders/{order.id}/acknowledge", data={"revision": "1", "csrf_token": csrf})
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    sent = portal.post(f"/orders/{order.id}/delivery-notes", data={
        "csrf_token": csrf, "planned_at": f"{date.today().isoformat()}T08:30",
        "deliver-9001-quantity": "200", "deliver-9001-lot_number": "L20260301",
        "deliver-9001-production_date": yesterday, "deliver-9001-certificate_ref": "HG-001"}, follow_redirects=True)
    body = sent.get_data(as_text=True)
    assert sent.status_code == 200 and "送货单 DN-PO-2026-000123-01 已发送给学校" in body
    with portal_db.unit_of_work() as uow:
        note = uow.session.scalar(select(DeliveryNote))
        assert (note.lines[0].quantity, note.lines[0].lot_number) == (200, "L20260301")
        assert note.planned_at.utcoffset().total_seconds() == 0  # stored in UTC, typed in school time
    assert [e["number"] for e in events(portal_db, "delivery.dispatched")] == [note.number]
    assert "新建发票" not in body  # nothing accepted yet, so nothing to invoice
    deliver(portal_db, goods_received(made.id, delivery_note_id=note.id, accepted="190.000", rejected="10.000",
                                      reason="包装破损"))
    page = portal.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "包装破损" in page and "新建发票" in page and 'value="190.000"' in page
    invoiced = portal.post(f"/orders/{order.id}/invoices", data={
        "csrf_token": csrf, "invoice_number": "FP-0001", "issued_on": date.today().isoformat(),
        "invoice-9001-quantity": "190.000"}, follow_redirects=True)
    body = invoiced.get_data(as_text=True)
    assert invoiced.status_code == 200 and "发票 FP-0001（¥1,064.00）已提交" in body and "已提交" in body
    with portal_db.unit_of_work() as uow:
        assert uow.session.scalar(select(Invoice.total)) == 1064


def test_a_refused_delivery_note_and_invoice_say_why(portal, portal_db, supplier):  # noqa: F811
    made, user = supplier
    deliver(portal_db, po_sent(made.id))
    order = order_of(portal_db)
    csrf = sign_in(portal, user)
    early = portal.post(f"/orders/{order.id}/delivery-notes", data={
        "csrf_token": csrf, "planned_at": f"{date.today().isoformat()}T08:30", "deliver-9001-quantity": "1",
        "deliver-9001-lot_number": "L1", "deliver-9001-production_date": date.today().isoformat()})
    assert early.status_code == 409 and "送货单须对应已确认的订单" in early.get_data(as_text=True)
    portal.post(f"/orders/{order.id}/acknowledge", data={"revision": "1", "csrf_token": csrf})
    future = portal.post(f"/orders/{order.id}/delivery-notes", data={
        "csrf_token": csrf, "planned_at": "not a time", "deliver-9001-quantity": "1",
        "deliver-9001-lot_number": "L1", "deliver-9001-production_date": "2999-01-01"})
    assert future.status_code == 422 and "部分内容填写有误" in future.get_data(as_text=True)
    assert "planned_at" in future.get_data(as_text=True)
    too_much = portal.post(f"/orders/{order.id}/invoices", data={
        "csrf_token": csrf, "invoice_number": "FP-9", "issued_on": date.today().isoformat(),
        "invoice-9001-quantity": "5"})
    assert too_much.status_code == 409 and "超过已验收未开票的" in too_much.get_data(as_text=True)
    with portal_db.unit_of_work() as uow:
        assert uow.session.scalar(select(DeliveryNote.id)) is None and uow.session.scalar(select(Invoice.id)) is None


def test_a_supplier_quotes_from_the_rfq_page_after_saving_a_draft(portal, portal_db, supplier):  # noqa: F811
    made, user = supplier
    deliver(portal_db, rfq_issued([made.id]))
    rfq = rfq_copy(portal_db, made.id)
    csrf = sign_in(portal, user)
    assert "未报价" in portal.get(f"/rfqs/{rfq.id}").get_data(as_text=True)
    saved = portal.post(f"/rfqs/{rfq.id}/quote", data={"csrf_token": csrf, "action": "draft",
                                                        "quote-1-unit_price": "5.50"}, follow_redirects=True)
    assert "报价草稿已保存" in saved.get_data(as_text=True) and 'value="5.50"' in saved.get_data(as_text=True)
    submitted = portal.post(f"/rfqs/{rfq.id}/quote", data={
        "csrf_token": csrf, "action": "submit", "quote-1-unit_price": "5.50", "quote-2-unit_price": "62.00",
        "valid_until": (date.today() + timedelta(days=30)).isoformat()}, follow_redirects=True)
    body = submitted.get_data(as_text=True)
    assert "报价已提交给学校" in body and '<strong id="quote-status">已提交</strong>' in body
    assert [len(e["lines"]) for e in events(portal_db, "quote.submitted")] == [2]


def test_a_supplier_with_an_expired_licence_is_refused_a_quote_with_the_reason(
        portal, portal_db, make_supplier, add_document):  # noqa: F811
    made, user, _ = make_supplier(status="approved")
    add_document(made.id, "business_licence")
    add_document(made.id, "food_business_licence", expires_on=date.today() - timedelta(days=1))
    deliver(portal_db, rfq_issued([made.id]))
    rfq = rfq_copy(portal_db, made.id)
    csrf = sign_in(portal, user)
    refused = portal.post(f"/rfqs/{rfq.id}/quote", data={
        "csrf_token": csrf, "action": "submit", "quote-1-unit_price": "5.50",
        "valid_until": (date.today() + timedelta(days=30)).isoformat()})
    assert refused.status_code == 403 and "必需的证照已过期或缺失" in refused.get_data(as_text=True)
    assert events(portal_db, "quote.submitted") == []


def test_another_suppliers_order_and_rfq_pages_are_not_found(portal, portal_db, supplier, approved_supplier):  # noqa: F811
    _, user = supplier
    other, _, _ = approved_supplier("别家")
    deliver(portal_db, po_sent(other.id))
    deliver(portal_db, rfq_issued([other.id]))
    order, rfq = order_of(portal_db), rfq_copy(portal_db, other.id)
    csrf = sign_in(portal, user)
    assert portal.get(f"/orders/{order.id}").status_code == 404
    assert portal.get(f"/rfqs/{rfq.id}").status_code == 404
    refused = portal.post(f"/orders/{order.id}/acknowledge", data={"revision": "1", "csrf_token": csrf})
    assert refused.status_code == 404 and "别家" not in refused.get_data(as_text=True)
    assert order_of(portal_db).status == "sent"


def test_a_deactivated_users_signed_in_session_is_ended_at_once(portal, portal_db, supplier):  # noqa: F811
    made, user = supplier
    sign_in(portal, user)
    assert portal.get("/orders").status_code == 200
    with portal_db.unit_of_work() as uow:
        uow.session.execute(update(SupplierUser).where(SupplierUser.id == user.id).values(active=False))
        uow.commit()
    response = portal.get("/orders")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    page = portal.get("/login")
    again = portal.post("/login", data={"username": user.email, "password": PASSWORD, "csrf_token": csrf_of(page)})
    assert again.status_code == 401 and "已被贵公司负责人停用" in again.get_data(as_text=True)


def test_a_page_form_without_the_csrf_token_is_refused(portal, portal_db, supplier):  # noqa: F811
    made, user = supplier
    deliver(portal_db, po_sent(made.id))
    sign_in(portal, user)
    response = portal.post(f"/orders/{order_of(portal_db).id}/acknowledge", data={"revision": "1"})
    assert response.status_code == 403 and "表单已过期" in response.get_data(as_text=True)
    assert order_of(portal_db).status == "sent"


def test_the_menu_shows_the_supplier_its_pages_and_english_is_available(portal, supplier):  # noqa: F811
    _, user = supplier
    csrf = sign_in(portal, user)
    body = portal.get("/").get_data(as_text=True)
    assert 'href="/orders">订单<' in body and 'href="/rfqs">询价单<' in body
    assert "supplier-invitations" not in body
    portal.post("/language", data={"lang": "en", "next": "/", "csrf_token": csrf})
    assert "Orders to acknowledge" in portal.get("/").get_data(as_text=True)

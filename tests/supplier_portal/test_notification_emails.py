"""Notifications are emailed to the supplier's active users, in Chinese, once, over a real SMTP server."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from services.supplier_portal.accounts import create_supplier_user, principal_for
from services.supplier_portal.clock import school_today
from services.supplier_portal.mail import MAX_ATTEMPTS, FileMailer, SmtpMailer, mailer_for, send_pending_emails
from services.supplier_portal.models import Notification, SupplierUser
from services.supplier_portal.tasks import PERIODIC_JOBS, run_email_sweep
from tests.browser import free_port
from tests.conftest import bearer
from tests.mail_server import MailServer

from .conftest import PASSWORD
from .factories import deliver, po_cancelled, po_sent, rfq_awarded, rfq_copy, rfq_issued


@pytest.fixture
def supplier_with_staff(portal_db, approved_supplier):
    """A supplier with an owner, an active staff user and a deactivated one; another supplier beside it."""
    supplier, owner, _ = approved_supplier("鲁粮")
    approved_supplier("旁人")
    with portal_db.unit_of_work() as uow:
        staff = create_supplier_user(uow.session, supplier.id, f"clerk{supplier.id}@example.cn", "文员",
                                     PASSWORD, "staff")
        gone = create_supplier_user(uow.session, supplier.id, f"gone{supplier.id}@example.cn", "离职", PASSWORD,
                                    "staff")
        uow.session.get(SupplierUser, gone.id).active = False
        uow.commit()
    return supplier, [owner.email, staff.email]


def owner_of(portal_db, supplier_id) -> SupplierUser:
    with portal_db.unit_of_work() as uow:
        return uow.session.scalar(select(SupplierUser).where(SupplierUser.supplier_id == supplier_id,
                                                             SupplierUser.role == "owner"))


def pending(portal_db) -> list[Notification]:
    with portal_db.unit_of_work() as uow:
        return list(uow.session.scalars(select(Notification).where(Notification.emailed_at.is_(None))))


def test_an_order_is_emailed_once_in_chinese_to_every_active_user_of_its_supplier_only(
        portal_db, test_settings, supplier_with_staff):
    supplier, addresses = supplier_with_staff
    deliver(portal_db, po_sent(supplier.id))
    with MailServer() as server:
        mailer = SmtpMailer("127.0.0.1", server.port)
        first = send_pending_emails(portal_db, mailer, test_settings)
        again = send_pending_emails(portal_db, mailer, test_settings)
    assert len(first["sent"]) == 1 and again == {"sent": [], "failed": []}
    [(recipients, message)] = server.messages
    assert recipients == addresses
    assert message["Subject"] == "食堂采购：新采购订单"
    body = message.get_content()
    assert "采购订单 PO-2026-000123（第 1 版）等待您确认。" in body and supplier.name in body
    assert "/notifications" in body and "acknowledgement" not in body
    assert pending(portal_db) == []


def test_a_mail_server_that_refuses_leaves_the_mail_pending_and_the_next_run_sends_it_once(
        portal, portal_db, test_settings, supplier_with_staff):
    supplier, addresses = supplier_with_staff
    deliver(portal_db, po_sent(supplier.id))
    with MailServer(refuse=1) as server:
        mailer = SmtpMailer("127.0.0.1", server.port)
        refused = send_pending_emails(portal_db, mailer, test_settings)
        assert refused["sent"] == [] and len(refused["failed"]) == 1 and server.messages == []
        [waiting] = pending(portal_db)
        assert waiting.email_attempts == 1
        retried = send_pending_emails(portal_db, mailer, test_settings)
        send_pending_emails(portal_db, mailer, test_settings)
    assert retried["sent"] == [waiting.id] and len(server.messages) == 1


def test_a_mail_server_that_is_down_delays_the_mail_and_loses_none(portal_db, test_settings, supplier_with_staff):
    supplier, _ = supplier_with_staff
    deliver(portal_db, po_sent(supplier.id))
    port = free_port()
    down = send_pending_emails(portal_db, SmtpMailer("127.0.0.1", port), test_settings)
    assert down["sent"] == [] and len(down["failed"]) == 1
    with MailServer(port=port) as server:
        assert len(send_pending_emails(portal_db, SmtpMailer("127.0.0.1", port), test_settings)["sent"]) == 1
    assert len(server.messages) == 1


def test_each_kind_of_news_is_mailed_with_its_own_values(portal, portal_db, test_settings, supplier_with_staff):
    supplier, _ = supplier_with_staff
    owner = bearer(principal_for(owner_of(portal_db, supplier.id)))
    deliver(portal_db, rfq_issued([supplier.id]))
    rfq = rfq_copy(portal_db, supplier.id)
    quote = portal.post(f"/api/rfqs/{rfq.id}/quote", headers=owner, json={
        "valid_until": (date.today() + timedelta(days=30)).isoformat(),
        "lines": [{"rfq_line_id": 1, "unit_price": "5.60"}, {"rfq_line_id": 2, "unit_price": "12.80"}]}).json
    deliver(portal_db, rfq_awarded([(supplier.id, quote["id"], [2])]))
    deliver(portal_db, po_sent(supplier.id))
    deliver(portal_db, po_cancelled(supplier.id, reason="学校放假，计划取消"))
    with MailServer() as server:
        send_pending_emails(portal_db, SmtpMailer("127.0.0.1", server.port), test_settings)
    subjects = [message["Subject"] for _, message in server.messages]
    assert subjects == ["食堂采购：新询价单", "食堂采购：报价部分中标", "食堂采购：新采购订单", "食堂采购：订单已取消"]
    bodies = [message.get_content() for _, message in server.messages]
    assert "RFQ-2026-000301「三月大米、食用油」" in bodies[0]
    assert "部分中标：2 行中的 1 行" in bodies[1]
    assert "已取消：学校放假，计划取消" in bodies[3]


def test_without_an_smtp_host_mail_goes_to_files_under_var_and_nowhere_else(
        portal_db, test_settings, supplier_with_staff, tmp_path):
    supplier, addresses = supplier_with_staff
    settings = replace(test_settings, var_dir=tmp_path, smtp_host="")
    mailer = mailer_for(settings)
    assert isinstance(mailer, FileMailer) and mailer.folder == tmp_path / "mail"
    deliver(portal_db, po_sent(supplier.id))
    send_pending_emails(portal_db, mailer, settings)
    send_pending_emails(portal_db, mailer, settings)
    [written] = list((tmp_path / "mail").iterdir())
    message = message_from_bytes(written.read_bytes(), policy=policy.default)
    assert message["To"] == ", ".join(addresses) and "等待您确认" in message.get_content()


def test_with_an_smtp_host_mail_goes_to_that_server():
    from shared.config import Settings
    mailer = mailer_for(Settings(smtp_host="smtp.example.cn", smtp_port=2525))
    assert isinstance(mailer, SmtpMailer) and (mailer.host, mailer.port) == ("smtp.example.cn", 2525)


def test_the_mail_is_sent_by_a_periodic_task_every_ten_seconds():
    [job] = [job for job in PERIODIC_JOBS if job.name == "send_notification_emails"]
    assert (job.every_seconds, job.run) == (10, run_email_sweep)


def test_a_rejected_registration_and_an_expiring_licence_are_mailed_with_their_reasons(
        portal, portal_db, test_settings, make_supplier, add_document, reviewer):
    supplier, owner, _ = make_supplier("待审")
    rejected = portal.post(f"/api/suppliers/{supplier.id}/reject", headers=reviewer,
                           json={"reason": "营业执照照片不清晰"})
    assert rejected.status_code == 200, rejected.json
    approved, approved_owner, _ = make_supplier("已审", status="approved")
    # the daily check counts days on the school's calendar
    school_day = school_today(test_settings.school_timezone)
    add_document(approved.id, "business_licence", expires_on=school_day + timedelta(days=20))
    add_document(approved.id, "food_business_licence")
    [licence_check] = [job for job in PERIODIC_JOBS if job.name == "check_licences"]
    licence_check.run(portal_db)
    with MailServer() as server:
        send_pending_emails(portal_db, SmtpMailer("127.0.0.1", server.port), test_settings)
    mailed = {recipients[0]: message for recipients, message in server.messages}
    assert mailed[owner.email]["Subject"] == "食堂采购：注册未通过"
    assert "您的供应商注册未通过审核：营业执照照片不清晰" in mailed[owner.email].get_content()
    assert mailed[approved_owner.email]["Subject"] == "食堂采购：证照即将到期"
    assert "（还有 20 天）" in mailed[approved_owner.email].get_content()


def test_a_mail_refused_too_often_is_left_for_an_operator_instead_of_retried_for_ever(
        portal_db, test_settings, supplier_with_staff):
    supplier, _ = supplier_with_staff
    deliver(portal_db, po_sent(supplier.id))
    with portal_db.unit_of_work() as uow:
        uow.session.scalar(select(Notification)).email_attempts = MAX_ATTEMPTS - 1
        uow.commit()
    with MailServer(refuse=1) as server:
        mailer = SmtpMailer("127.0.0.1", server.port)
        assert len(send_pending_emails(portal_db, mailer, test_settings)["failed"]) == 1
        assert send_pending_emails(portal_db, mailer, test_settings) == {"sent": [], "failed": []}
    assert server.messages == []

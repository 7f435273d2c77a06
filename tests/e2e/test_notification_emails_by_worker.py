"""Notification emails are sent by the real worker's periodic task over SMTP, and a mail server that is
down when the worker first tries only delays the mail: it arrives once, and not again on later runs."""
import time
import uuid

import pytest
from sqlalchemy import select

from services.supplier_portal.accounts import create_supplier_user
from services.supplier_portal.models import Notification, Supplier
from services.supplier_portal.tasks import consumer
from shared.db import utcnow
from tests.browser import free_port
from tests.mail_server import MailServer
from tests.supplier_portal.factories import po_sent
from tests.support import WorkerProcess, wait_for

pytestmark = [pytest.mark.e2e]


def test_the_worker_mails_a_new_order_once_after_the_mail_server_comes_back(suite):
    database = suite.database("supplier_portal")
    email = f"mail-{uuid.uuid4().hex[:8]}@example.cn"
    with database.unit_of_work() as uow:
        supplier = Supplier(name="邮件测试粮油公司", contact_email=email, categories=["bulk_grain_oil"],
                            status="approved", registered_at=utcnow())
        uow.session.add(supplier)
        uow.session.flush()
        create_supplier_user(uow.session, supplier.id, email, "王经理", "mail test password", "owner")
        uow.commit()
        supplier_id = supplier.id
    po_id = 970_000 + supplier_id
    assert consumer.apply(database, po_sent(supplier_id, po_id=po_id)) is True

    def notification():
        with database.unit_of_work() as uow:
            return uow.session.scalar(select(Notification).where(Notification.supplier_id == supplier_id))

    port = free_port()  # nothing listens here until the mail server starts below
    env = {**suite.env, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "MAIL_FROM": "canteen@example.cn"}
    worker = WorkerProcess(env, suite.var / f"mail-{supplier_id}.log").start()
    try:
        wait_for(lambda: notification().email_attempts >= 1, message="a first attempt against the mail server")
        assert notification().emailed_at is None
        with MailServer(port=port) as server:
            wait_for(lambda: notification().emailed_at is not None, message="the mail sent once the server is up")
            time.sleep(12)  # one more sweep of the periodic task: it must not send again
        mine = [message for recipients, message in server.messages if recipients == [email]]
    finally:
        worker.stop()
    assert len(mine) == 1
    assert mine[0]["Subject"] == "食堂采购：新采购订单" and "等待您确认" in mine[0].get_content()

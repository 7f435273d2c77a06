"""Events cross services through the outbox, a real broker and real worker processes."""
import dataclasses
import uuid

import pytest
from sqlalchemy import func, select

from services.procurement import create_app as create_procurement
from services.procurement.models import Outbox
from services.supplier_portal.models import Inbox
from tests.support import wait_for

pytestmark = [pytest.mark.e2e]


def test_an_invited_supplier_appears_pending_on_the_portal(suite, worker):
    name = f"山东鲁粮-{uuid.uuid4().hex[:6]}"
    invitation = suite.invite(name)
    portal = suite.client("supplier_portal")

    def listed():
        response = portal.get("/api/suppliers?status=pending", headers=suite.buyer)
        return [s for s in response.json["items"] if s["name"] == name]

    [supplier] = wait_for(listed, message="the pending supplier on the portal")
    assert supplier["status"] == "pending"
    assert suite.suppliers_named(name)[0].invitation_id == invitation["id"]


def test_a_worker_killed_with_sigkill_then_restarted_applies_every_event_exactly_once(suite):
    prefix = f"SIGKILL-{uuid.uuid4().hex[:6]}-"
    total = 300
    for i in range(total):
        suite.invite(f"{prefix}{i:04d}")
    first = suite.worker("sigkill-first").start()
    try:
        wait_for(lambda: suite.count_named(prefix) >= 5, interval=0.02, message="the first events applied")
    finally:
        first.kill()
    applied_before_kill = suite.count_named(prefix)
    assert applied_before_kill < total, "the worker finished before it was killed: nothing was tested"

    second = suite.worker("sigkill-second").start()
    try:
        wait_for(lambda: suite.count_named(prefix) >= total, timeout=90, message="every event applied")
    finally:
        second.stop()
    invitation_ids = [s.invitation_id for s in suite.suppliers_named(prefix)]
    assert len(invitation_ids) == total
    assert len(set(invitation_ids)) == total


def test_events_committed_while_the_broker_is_down_are_delivered_when_it_is_back(suite):
    prefix = f"OUTAGE-{uuid.uuid4().hex[:6]}-"
    # The same procurement database, but its after-commit publish goes to a broker that is down.
    down = dataclasses.replace(suite.settings, broker_url="amqp://guest:guest@127.0.0.1:1//")
    app = create_procurement(down)
    for i in range(20):
        suite.invite(f"{prefix}{i:02d}", app=app)
    with app.extensions["database"].unit_of_work() as uow:
        pending = uow.session.scalar(select(func.count()).select_from(Outbox).where(
            Outbox.published_at.is_(None), Outbox.payload["company_name"].as_string().startswith(prefix)))
    assert pending == 20
    app.extensions["database"].dispose()

    # The broker is back: the worker's periodic sweep publishes what the outage left in the outbox.
    worker = suite.worker("outage").start()
    try:
        wait_for(lambda: suite.count_named(prefix) == 20, timeout=60, message="the delayed events")
    finally:
        worker.stop()


def test_the_same_event_delivered_twice_changes_nothing_the_second_time(suite, worker):
    name = f"TWICE-{uuid.uuid4().hex[:6]}"
    envelope = {"id": str(uuid.uuid4()), "type": "supplier.invited", "version": 1,
                "occurred_at": "2026-11-26T00:00:00+00:00", "producer": "procurement", "correlation_id": None,
                "payload": {"invitation_id": 999_001, "school_id": 1, "company_name": name,
                            "contact_email": "twice@example.cn", "categories": ["coal"]}}
    celery = suite.apps["procurement"].extensions["celery"]
    for _ in range(2):
        celery.send_task("supplier_portal.handle_event", args=[envelope], queue="supplier_portal")
    wait_for(lambda: suite.count_named(name) == 1, message="the event applied")
    celery.send_task("supplier_portal.handle_event", args=[envelope], queue="supplier_portal")
    with suite.database("supplier_portal").unit_of_work() as uow:
        wait_for(lambda: uow.session.get(Inbox, envelope["id"]) is not None, message="the inbox row")
    # a later event on the same queue proves the duplicates were consumed before we count
    marker = f"AFTER-{uuid.uuid4().hex[:6]}"
    suite.invite(marker)
    wait_for(lambda: suite.count_named(marker) == 1, message="a later event")
    assert suite.count_named(name) == 1

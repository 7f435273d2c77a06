"""Requests racing each other through separate gunicorn worker processes, committing for real.

procurement and the supplier portal run under gunicorn with four sync workers on the suite's
databases (PostgreSQL in CI's second pass, where row locks are the point; SQLite serialises
writers with BEGIN IMMEDIATE, and the outcome must be the same). Every race starts its requests
behind one barrier. Concurrent issues against one lot are tests/inventory/test_concurrent_issues.py.
"""
from __future__ import annotations

import threading
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bench.load import new_session
from bench.procs import Managed, free_port
from deploy.run_prod import BIN
from services.procurement.accounts import create_staff_user
from services.procurement.catalogue import create_item
from services.procurement.demand import ensure_demand_points
from services.procurement.models import ApprovedSupplier, PurchaseOrder, School
from services.supplier_portal.accounts import create_supplier_user, principal_for
from services.supplier_portal.models import Invoice, Supplier
from services.supplier_portal.tasks import consumer as portal_consumer
from shared.auth import Principal
from shared.db import utcnow
from tests.conftest import bearer
from tests.supplier_portal.factories import goods_received, po_sent

pytestmark = [pytest.mark.e2e]
RACERS = 8


@pytest.fixture(scope="module")
def servers(suite, tmp_path_factory):
    """{service: base URL} of procurement and the portal under gunicorn with four workers each."""
    logs = tmp_path_factory.mktemp("concurrency")
    started, urls = [], {}
    try:
        for service in ("procurement", "supplier_portal"):
            port = free_port()
            managed = Managed(service, [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "-w", "4", "-b",
                                        f"127.0.0.1:{port}", f"services.{service}:create_app()"],
                              suite.env, logs / f"{service}.log")
            started.append(managed.start())
            urls[service] = f"http://127.0.0.1:{port}"
            managed.wait_for_http(f"{urls[service]}/healthz")
        yield urls
    finally:
        for managed in started:
            managed.stop()


def race(calls) -> list:
    """Run every call at once (behind a barrier), each on its own connection; their responses in order."""
    barrier = threading.Barrier(len(calls))
    responses = [None] * len(calls)

    def run(index, call):
        session = new_session()
        barrier.wait()
        responses[index] = call(session)
        session.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses


@pytest.fixture(scope="module")
def school(suite):
    """A school with an approved vegetable supplier, one item, a canteen manager and eight approvers."""
    suffix = uuid.uuid4().hex[:6]
    with suite.database("procurement").unit_of_work() as uow:
        school = School(name=f"并发测试学校-{suffix}", timezone="Asia/Shanghai")
        uow.session.add(school)
        uow.session.flush()
        points = {point.code: point for point in ensure_demand_points(uow.session, school.id)}
        admin = Principal("seed", frozenset({"admin"}), school_id=school.id)
        item = create_item(uow.session, admin, {
            "code": f"VEG-{suffix}", "name_zh": "白菜", "name_en": "cabbage", "category": "vegetables",
            "base_unit": "kg", "shelf_life_days": 7})
        supplier_id = 900_000 + int(suffix, 16) % 90_000
        uow.session.add(ApprovedSupplier(supplier_id=supplier_id, name="并发蔬菜配送", categories=["vegetables"],
                                         status="approved", updated_at=utcnow()))
        manager = create_staff_user(uow.session, school.id, f"manager-{suffix}", "管理员", "race password 1",
                                    ["canteen_manager"])
        manager.demand_point_id = points["DH1"].id
        approvers = [create_staff_user(uow.session, school.id, f"approver{i}-{suffix}", f"审批人{i}",
                                       "race password 1", ["approver"]) for i in range(RACERS)]
        uow.commit()
    headers = lambda user: bearer(Principal(str(user.id), frozenset(user.roles), school_id=school.id))  # noqa: E731
    return {"id": school.id, "item_id": item.id, "supplier_id": supplier_id, "manager": headers(manager),
            "approvers": [headers(user) for user in approvers]}


def order_body(school, note: str) -> dict:
    # ¥12,000: above the first approval threshold, so exactly one approval is needed
    return {"supplier_id": school["supplier_id"], "note": note, "lines": [{
        "item_id": school["item_id"], "quantity": "1000", "unit_price": "12.00", "destination": "DH1",
        "delivery_date": (date.today() + timedelta(days=2)).isoformat()}]}


def test_concurrent_approvals_of_one_order_one_wins_and_the_rest_get_409(servers, school):
    url = servers["procurement"]
    session = new_session()
    order = session.post(f"{url}/api/purchase-orders", json=order_body(school, "approval race"),
                         headers=school["manager"]).json()
    submitted = session.post(f"{url}/api/purchase-orders/{order['id']}/submit", headers=school["manager"]).json()
    assert (submitted["state"], submitted["approvals_required"]) == ("pending_approval", 1)

    responses = race([lambda s, h=h: s.post(f"{url}/api/purchase-orders/{order['id']}/approve", json={}, headers=h)
                      for h in school["approvers"]])
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [409] * (RACERS - 1), [r.text for r in responses]
    final = session.get(f"{url}/api/purchase-orders/{order['id']}", headers=school["manager"]).json()
    assert final["state"] == "approved" and len(final["approvals"]) == 1


def test_concurrent_duplicate_posts_with_one_idempotency_key_create_exactly_one_order(suite, servers, school):
    url, note, key = servers["procurement"], f"idempotency race {uuid.uuid4().hex[:6]}", str(uuid.uuid4())
    headers = {**school["manager"], "Idempotency-Key": key}
    responses = race([lambda s: s.post(f"{url}/api/purchase-orders", json=order_body(school, note), headers=headers)
                      for _ in range(RACERS)])
    statuses = [response.status_code for response in responses]
    # the first creates; the others see its claim (409, retry) or, once it is done, its stored answer
    assert set(statuses) <= {201, 409} and 201 in statuses, [r.text for r in responses]
    assert len({response.json()["id"] for response in responses if response.status_code == 201}) == 1
    with suite.database("procurement").unit_of_work() as uow:
        orders = uow.session.scalar(select(func.count()).select_from(PurchaseOrder).where(PurchaseOrder.note == note))
    assert orders == 1
    replay = new_session().post(f"{url}/api/purchase-orders", json=order_body(school, note), headers=headers)
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"


def test_concurrent_invoices_for_one_order_never_claim_more_than_was_accepted(suite, servers):
    serial = uuid.uuid4().int % 10**8
    with suite.database("supplier_portal").unit_of_work() as uow:
        supplier = Supplier(name=f"并发发票供应商{serial}", contact_email=f"race{serial}@example.cn",
                            categories=["bulk_grain_oil"], status="approved", credit_code=f"RACE{serial:014d}",
                            address="济南市", contact_name="王经理", contact_phone="0531-88888888",
                            registered_at=utcnow())
        uow.session.add(supplier)
        uow.session.flush()
        owner = create_supplier_user(uow.session, supplier.id, f"race{serial}@example.cn", "老板",
                                     "race password 1", "owner")
        uow.commit()
    po_id = 800_000_000 + serial
    portal_db = suite.database("supplier_portal")
    # 250 kg ordered, 200 kg accepted at the door
    assert portal_consumer.apply(portal_db, po_sent(supplier.id, po_id=po_id))
    assert portal_consumer.apply(portal_db, goods_received(supplier.id, po_id=po_id, receipt_id=po_id))
    headers = bearer(principal_for(owner))
    url = servers["supplier_portal"]
    copy = next(row for row in new_session().get(f"{url}/api/orders", headers=headers).json()["items"]
                if row["po_id"] == po_id)

    def invoice(number):
        return lambda s: s.post(f"{url}/api/orders/{copy['id']}/invoices", headers=headers, json={
            "invoice_number": f"RACE-{serial}-{number}", "issued_on": date.today().isoformat(),
            "lines": [{"po_line_id": 9001, "quantity": "80"}]})

    responses = race([invoice(n) for n in range(RACERS)])
    statuses = sorted(response.status_code for response in responses)
    # 80 kg fits twice into the 200 kg accepted; every other invoice is refused
    assert statuses == [201, 201] + [409] * (RACERS - 2), [r.text for r in responses]
    with portal_db.unit_of_work() as uow:
        invoiced = uow.session.scalar(select(func.sum(Invoice.total)).where(Invoice.po_id == po_id))
    assert invoiced == Decimal("80") * 2 * Decimal("5.60")

from decimal import Decimal

import pytest
from sqlalchemy import select

from services.supplier_portal.models import Outbox, PurchaseOrder
from services.supplier_portal.tasks import consumer
from shared.events import NotYetKnown

from .factories import po_cancelled, po_sent


def deliver(portal_db, envelope):
    return consumer.apply(portal_db, envelope)


def order_of(portal_db, po_id=501):
    with portal_db.unit_of_work() as uow:
        return uow.session.scalar(select(PurchaseOrder).where(PurchaseOrder.po_id == po_id))


def outbox(portal_db, event_type):
    with portal_db.unit_of_work() as uow:
        return [row.payload for row in uow.session.scalars(select(Outbox).where(Outbox.type == event_type))]


def test_a_sent_order_appears_with_exact_quantities_and_prices_once_however_often_delivered(
        portal, portal_db, make_supplier):
    supplier, _, owner = make_supplier(status="approved")
    envelope = po_sent(supplier.id)
    assert deliver(portal_db, envelope) is True
    assert deliver(portal_db, envelope) is False
    [order] = portal.get("/api/orders", headers=owner).json["items"]
    assert (order["number"], order["status"], order["revision"], order["total"]) == (
        "PO-2026-000123", "sent", 1, "1400.00")
    assert order["lines"][0]["quantity"] == "250.000" and order["lines"][0]["unit_price"] == "5.60"


def test_acknowledging_emits_po_acknowledged_and_a_second_answer_is_409(portal, portal_db, make_supplier):
    supplier, _, owner = make_supplier(status="approved")
    deliver(portal_db, po_sent(supplier.id))
    order = order_of(portal_db)
    acknowledged = portal.post(f"/api/orders/{order.id}/acknowledge", headers=owner, json={"revision": 1})
    assert acknowledged.status_code == 200 and acknowledged.json["status"] == "acknowledged"
    [event] = outbox(portal_db, "po.acknowledged")
    assert (event["po_id"], event["revision"], event["supplier_id"]) == (501, 1, supplier.id)
    again = portal.post(f"/api/orders/{order.id}/acknowledge", headers=owner, json={"revision": 1})
    declined = portal.post(f"/api/orders/{order.id}/decline", headers=owner, json={"revision": 1, "reason": "x"})
    assert again.status_code == declined.status_code == 409
    assert again.mimetype == "application/problem+json" and "acknowledged" in again.json["detail"]


def test_declining_needs_a_reason_and_emits_po_declined(portal, portal_db, make_supplier):
    supplier, _, owner = make_supplier(status="approved")
    deliver(portal_db, po_sent(supplier.id))
    order = order_of(portal_db)
    assert portal.post(f"/api/orders/{order.id}/decline", headers=owner, json={"revision": 1}).status_code == 422
    declined = portal.post(f"/api/orders/{order.id}/decline", headers=owner,
                           json={"revision": 1, "reason": "本周大米缺货"})
    assert declined.json["status"] == "declined" and declined.json["decline_reason"] == "本周大米缺货"
    assert outbox(portal_db, "po.declined")[0]["reason"] == "本周大米缺货"


def test_a_new_revision_must_be_acknowledged_again_and_an_older_one_changes_nothing(
        portal, portal_db, make_supplier):
    supplier, _, owner = make_supplier(status="approved")
    deliver(portal_db, po_sent(supplier.id))
    order = order_of(portal_db)
    portal.post(f"/api/orders/{order.id}/acknowledge", headers=owner, json={"revision": 1})
    deliver(portal_db, po_sent(supplier.id, revision=2, quantity="300.000"))
    revised = portal.get(f"/api/orders/{order.id}", headers=owner).json
    assert (revised["status"], revised["revision"], revised["lines"][0]["quantity"]) == ("sent", 2, "300.000")
    stale = portal.post(f"/api/orders/{order.id}/acknowledge", headers=owner, json={"revision": 1})
    assert stale.status_code == 409 and "revision 2" in stale.json["detail"]
    deliver(portal_db, po_sent(supplier.id, revision=1, quantity="1.000"))  # late, out of order
    assert order_of(portal_db).revision == 2 and order_of(portal_db).lines[0].quantity == Decimal("300.000")
    assert portal.post(f"/api/orders/{order.id}/acknowledge", headers=owner,
                       json={"revision": 2}).json["status"] == "acknowledged"


def test_school_staff_cannot_answer_for_the_supplier(portal, portal_db, make_supplier, reviewer):
    supplier, _, _ = make_supplier(status="approved")
    deliver(portal_db, po_sent(supplier.id))
    order = order_of(portal_db)
    assert portal.post(f"/api/orders/{order.id}/acknowledge", headers=reviewer,
                       json={"revision": 1}).status_code == 403


def test_acknowledging_a_cancelled_order_is_409_and_the_cancellation_is_shown(portal, portal_db, make_supplier):
    supplier, _, owner = make_supplier(status="approved")
    deliver(portal_db, po_sent(supplier.id))
    order = order_of(portal_db)
    assert deliver(portal_db, po_cancelled(supplier.id, reason="学校放假，取消订单")) is True
    refused = portal.post(f"/api/orders/{order.id}/acknowledge", headers=owner, json={"revision": 1})
    assert refused.status_code == 409 and "cancelled" in refused.json["detail"]
    declined = portal.post(f"/api/orders/{order.id}/decline", headers=owner, json={"revision": 1, "reason": "x"})
    assert declined.status_code == 409
    shown = portal.get(f"/api/orders/{order.id}", headers=owner).json
    assert (shown["status"], shown["cancel_reason"]) == ("cancelled", "学校放假，取消订单")
    assert outbox(portal_db, "po.acknowledged") == outbox(portal_db, "po.declined") == []
    assert [o["id"] for o in portal.get("/api/orders?status=cancelled", headers=owner).json["items"]] == [order.id]


def test_an_acknowledged_order_can_be_cancelled_and_a_later_revision_does_not_revive_it(
        portal, portal_db, make_supplier):
    supplier, _, owner = make_supplier(status="approved")
    deliver(portal_db, po_sent(supplier.id))
    order = order_of(portal_db)
    portal.post(f"/api/orders/{order.id}/acknowledge", headers=owner, json={"revision": 1})
    deliver(portal_db, po_cancelled(supplier.id))
    assert deliver(portal_db, po_cancelled(supplier.id)) is True  # a second cancellation changes nothing
    deliver(portal_db, po_sent(supplier.id, revision=2))
    assert (order_of(portal_db).status, order_of(portal_db).revision) == ("cancelled", 1)


def test_a_cancellation_arriving_before_its_order_fails_so_that_the_worker_retries_it(portal_db, make_supplier):
    supplier, _, _ = make_supplier(status="approved")
    early = po_cancelled(supplier.id, po_id=999)
    with pytest.raises(NotYetKnown):
        deliver(portal_db, early)
    deliver(portal_db, po_sent(supplier.id, po_id=999))
    assert deliver(portal_db, early) is True  # the retry, once the order is there
    assert order_of(portal_db, po_id=999).status == "cancelled"

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from services.supplier_portal.accounts import principal_for
from services.supplier_portal.fulfilment import create_delivery_note, progress, receive_goods
from services.supplier_portal.models import PurchaseOrder
from services.supplier_portal.orders import acknowledge_order, receive_order
from shared.db import utcnow
from shared.errors import Conflict

from .factories import acknowledged_order, deliver, goods_received, loaded, po_closed, po_sent
from .test_orders import order_of, outbox

PLANNED = "2026-03-04T23:30:00+00:00"


def note(quantity="100.000", lot="L240301", **extra):
    return {"planned_at": PLANNED, "lines": [{"po_line_id": 9001, "quantity": quantity, "lot_number": lot,
                                              "production_date": "2026-02-20", "expiry_date": "2027-02-20",
                                              "certificate_ref": "QS-2026-0001", **extra}]}


def test_a_delivery_note_on_an_acknowledged_order_emits_delivery_dispatched_with_its_lots(
        portal, portal_db, make_supplier):
    supplier, _, owner = make_supplier(status="approved")
    order = acknowledged_order(portal, portal_db, supplier.id, owner)
    created = portal.post(f"/api/orders/{order.id}/delivery-notes", headers=owner, json=note())
    assert created.status_code == 201, created.json
    body = created.json
    assert (body["number"], body["status"], body["planned_at"]) == ("DN-PO-2026-000123-01", "dispatched", PLANNED)
    assert body["lines"][0] == {"po_line_id": 9001, "item_id": 11, "quantity": "100.000", "lot_number": "L240301",
                                     "production_date": "2026-02-20", "expiry_date": "2027-02-20",
                                     "certificate_ref": "QS-2026-0001"}
    [event] = outbox(portal_db, "delivery.dispatched")
    assert (event["delivery_note_id"], event["po_id"], event["supplier_id"], event["school_id"]) == (
        body["id"], 501, supplier.id, 1)
    assert event["lines"][0]["quantity"] == "100.000" and event["lines"][0]["lot_number"] == "L240301"
    line = portal.get(f"/api/orders/{order.id}", headers=owner).json["lines"][0]
    assert (line["in_transit_quantity"], line["to_deliver_quantity"]) == ("100.000", "150.000")


def test_a_note_may_not_exceed_what_is_still_to_deliver_across_notes(portal, portal_db, make_supplier):
    supplier, _, owner = make_supplier(status="approved")
    order = acknowledged_order(portal, portal_db, supplier.id, owner)
    url = f"/api/orders/{order.id}/delivery-notes"
    assert portal.post(url, headers=owner, json=note("200.000")).status_code == 201
    too_much = portal.post(url, headers=owner, json=note("50.001"))
    assert too_much.status_code == 409 and "50.000" in too_much.json["detail"]
    split = {"planned_at": PLANNED, "lines": [note("30.000")["lines"][0], note("20.001", lot="L2")["lines"][0]]}
    assert portal.post(url, headers=owner, json=split).status_code == 409
    assert portal.post(url, headers=owner, json=note("50.000")).json["number"] == "DN-PO-2026-000123-02"


def test_delivery_notes_need_an_acknowledged_order(portal, portal_db, make_supplier):
    supplier, _, owner = make_supplier(status="approved")
    deliver(portal_db, po_sent(supplier.id))
    refused = portal.post(f"/api/orders/{order_of(portal_db).id}/delivery-notes", headers=owner, json=note())
    assert refused.status_code == 409 and "acknowledged" in refused.json["detail"]
    assert outbox(portal_db, "delivery.dispatched") == []


def test_delivery_note_lines_are_validated(portal, portal_db, make_supplier):
    supplier, _, owner = make_supplier(status="approved")
    order = acknowledged_order(portal, portal_db, supplier.id, owner)
    url = f"/api/orders/{order.id}/delivery-notes"
    future = (date.today() + timedelta(days=2)).isoformat()
    bad = [
        note(po_line_id=1),
        note(quantity="0"),
        note(quantity="1.0001"),
        note(lot=""),
        note(production_date=future),
        note(expiry_date="2026-03-01"),  # expires before the planned delivery
        {"planned_at": "2026-03-04T23:30:00", "lines": note()["lines"]},  # no time zone
        {"planned_at": PLANNED, "lines": []},
        {"lines": note()["lines"]},
    ]
    for body in bad:
        response = portal.post(url, headers=owner, json=body)
        assert response.status_code == 422, (body, response.json)


def test_the_inspection_result_appears_on_the_note_and_the_order_and_rejected_goods_are_due_again(
        portal, portal_db, make_supplier):
    supplier, _, owner = make_supplier(status="approved")
    order = acknowledged_order(portal, portal_db, supplier.id, owner)
    created = portal.post(f"/api/orders/{order.id}/delivery-notes", headers=owner, json=note("100.000")).json
    receipt = goods_received(supplier.id, delivery_note_id=created["id"], accepted="90.000", rejected="10.000",
                             reason="霉变")
    assert deliver(portal_db, receipt) is True
    assert deliver(portal_db, receipt | {"id": "another-delivery-of-the-same-receipt"}) is True
    shown = portal.get(f"/api/delivery-notes/{created['id']}", headers=owner).json
    assert shown["status"] == "inspected"
    [inspection] = shown["receipts"]
    assert inspection["inspectors"] == ["张三", "李四"]
    inspected = inspection["lines"][0]
    assert (inspected["accepted_quantity"], inspected["rejected_quantity"], inspected["rejection_reason"]) == (
        "90.000", "10.000", "霉变")
    line = portal.get(f"/api/orders/{order.id}", headers=owner).json["lines"][0]
    assert (line["accepted_quantity"], line["rejected_quantity"], line["in_transit_quantity"],
            line["to_deliver_quantity"], line["to_invoice_quantity"]) == (
        "90.000", "10.000", "0.000", "160.000", "90.000")
    notices = portal.get("/api/notifications", headers=owner).json["items"]
    assert [n["kind"] for n in notices].count("delivery_rejected") == 1 and "霉变" in notices[0]["message"]
    assert portal.get("/api/delivery-notes?status=inspected", headers=owner).json["total"] == 1


def test_a_receipt_naming_a_note_of_another_order_is_kept_on_its_order_only(portal, portal_db, make_supplier):
    supplier, _, owner = make_supplier(status="approved")
    first = acknowledged_order(portal, portal_db, supplier.id, owner, po_id=501)
    acknowledged_order(portal, portal_db, supplier.id, owner, po_id=502)
    created = portal.post(f"/api/orders/{first.id}/delivery-notes", headers=owner, json=note()).json
    deliver(portal_db, goods_received(supplier.id, po_id=502, delivery_note_id=created["id"]))
    assert portal.get(f"/api/delivery-notes/{created['id']}", headers=owner).json["status"] == "dispatched"
    assert len(portal.get(f"/api/orders/{order_of(portal_db, 502).id}", headers=owner).json["receipts"]) == 1


def test_a_retried_delivery_note_with_the_same_idempotency_key_is_made_once(portal, portal_db, make_supplier):
    supplier, _, owner = make_supplier(status="approved")
    order = acknowledged_order(portal, portal_db, supplier.id, owner)
    headers = {**owner, "Idempotency-Key": "dn-1"}
    first = portal.post(f"/api/orders/{order.id}/delivery-notes", headers=headers, json=note())
    second = portal.post(f"/api/orders/{order.id}/delivery-notes", headers=headers, json=note())
    assert first.json == second.json and len(outbox(portal_db, "delivery.dispatched")) == 1
    other = portal.post(f"/api/orders/{order.id}/delivery-notes", headers=headers, json=note("1.000"))
    assert other.status_code == 422  # the same key for a different request


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.integers(1, 400), st.integers(0, 100)), max_size=8))
def test_whatever_is_dispatched_and_rejected_accepted_plus_on_its_way_never_exceeds_the_order(
        portal_db, make_supplier, steps):
    """Each step dispatches a note of `quantity` and has the school accept `percent` of it (rejecting the rest)."""
    supplier, owner_user, _ = make_supplier(status="approved")
    principal = principal_for(owner_user)
    ordered = Decimal(250)
    with portal_db.unit_of_work() as uow:  # never committed: each example leaves nothing behind
        session = uow.session
        receive_order(session, loaded(po_sent(supplier.id, po_id=50_000 + supplier.id, quantity="250.000")))
        order = session.scalar(select(PurchaseOrder).where(PurchaseOrder.po_id == 50_000 + supplier.id))
        acknowledge_order(session, principal, order.id, 1)
        accepted = Decimal(0)
        for index, (quantity, percent) in enumerate(steps):
            line = {"po_line_id": 9001, "quantity": Decimal(quantity), "lot_number": f"L{index}",
                    "production_date": date(2026, 2, 20)}
            try:
                made = create_delivery_note(session, principal, order.id, utcnow(), [line], date.today())
            except Conflict:
                assert accepted + quantity > ordered
                continue
            assert accepted + quantity <= ordered
            taken = (Decimal(quantity) * percent / 100).quantize(Decimal("0.001"))
            receive_goods(session, loaded(goods_received(
                supplier.id, po_id=order.po_id, receipt_id=50_000 * 10 + index, delivery_note_id=made.id,
                accepted=str(taken), rejected=str(Decimal(quantity) - taken))))
            accepted += taken
            figures = progress(session, order)[9001]
            assert figures.accepted == accepted and figures.in_transit == 0
            assert figures.accepted + figures.in_transit + figures.to_deliver == ordered


def test_a_closed_order_was_never_shown_closed_and_still_took_notes_and_invoices(portal, portal_db, make_supplier):
    supplier, _, owner = make_supplier(status="approved")
    order = acknowledged_order(portal, portal_db, supplier.id, owner)
    deliver(portal_db, goods_received(supplier.id, accepted="90.000"))
    closure = po_closed(supplier.id, reason="余量取消")
    assert deliver(portal_db, closure) is True and deliver(portal_db, closure) is False
    shown = portal.get(f"/api/orders/{order.id}", headers=owner).json
    assert (shown["status"], shown["close_reason"]) == ("closed", "余量取消") and shown["closed_at"]
    assert portal.get("/api/orders?status=closed", headers=owner).json["total"] == 1
    refused_note = portal.post(f"/api/orders/{order.id}/delivery-notes", headers=owner, json=note("10.000"))
    refused_invoice = portal.post(f"/api/orders/{order.id}/invoices", headers=owner, json={
        "invoice_number": "INV-C1", "issued_on": date.today().isoformat(),
        "lines": [{"po_line_id": 9001, "quantity": "90.000"}]})
    assert refused_note.status_code == refused_invoice.status_code == 409
    assert "closed" in refused_invoice.json["detail"]
    assert outbox(portal_db, "invoice.submitted") == [] and outbox(portal_db, "delivery.dispatched") == []
    assert [n["kind"] for n in portal.get("/api/notifications", headers=owner).json["items"]].count(
        "order_closed") == 1


def two_hall_order(portal, portal_db, supplier_id, owner):
    """An acknowledged order of 250 kg of rice for dining hall 1 (line 9001) and 150 kg for hall 2 (9002)."""
    sent = po_sent(supplier_id, quantity="250.000")
    first = sent["payload"]["lines"][0]
    sent["payload"]["lines"] = [{**first, "destination": "DH1"},
                                {**first, "po_line_id": 9002, "quantity": "150.000", "destination": "DH2"}]
    sent["payload"]["total"] = "2240.00"
    deliver(portal_db, sent)
    order = order_of(portal_db)
    assert portal.post(f"/api/orders/{order.id}/acknowledge", headers=owner, json={"revision": 1}).status_code == 200
    return order


def received_at_hall(supplier_id, note_id, po_line_id, receipt_id, accepted, rejected="0.000", reason=""):
    event = goods_received(supplier_id, receipt_id=receipt_id, delivery_note_id=note_id, accepted=accepted,
                           rejected=rejected, reason=reason)
    event["payload"]["lines"][0]["po_line_id"] = po_line_id
    event["payload"]["location_code"] = "DH1" if po_line_id == 9001 else "DH2"
    return event


def test_a_note_for_two_dining_halls_was_marked_inspected_on_the_first_halls_receipt(portal, portal_db,
                                                                                     make_supplier):
    supplier, _, owner = make_supplier(status="approved")
    order = two_hall_order(portal, portal_db, supplier.id, owner)
    both = note("250.000")
    both["lines"].append({**both["lines"][0], "po_line_id": 9002, "quantity": "150.000"})
    created = portal.post(f"/api/orders/{order.id}/delivery-notes", headers=owner, json=both).json

    deliver(portal_db, received_at_hall(supplier.id, created["id"], 9001, 801, "240.000", "10.000", "破袋"))
    shown = portal.get(f"/api/delivery-notes/{created['id']}", headers=owner).json
    assert shown["status"] == "partially_inspected"
    assert [(r["po_line_id"], r["inspected"], r["accepted_quantity"], r["rejected_quantity"])
            for r in shown["line_results"]] == [(9001, True, "240.000", "10.000"), (9002, False, None, None)]
    lines = {line["po_line_id"]: line for line in portal.get(f"/api/orders/{order.id}", headers=owner).json["lines"]}
    # the second hall's goods are still on their way, so they are not due again
    assert (lines[9002]["in_transit_quantity"], lines[9002]["to_deliver_quantity"]) == ("150.000", "0.000")
    assert (lines[9001]["in_transit_quantity"], lines[9001]["to_deliver_quantity"]) == ("0.000", "10.000")
    assert portal.get("/api/delivery-notes?status=partially_inspected", headers=owner).json["total"] == 1

    deliver(portal_db, received_at_hall(supplier.id, created["id"], 9002, 802, "150.000"))
    shown = portal.get(f"/api/delivery-notes/{created['id']}", headers=owner).json
    assert shown["status"] == "inspected"
    assert [(r["po_line_id"], r["inspected"], r["accepted_quantity"]) for r in shown["line_results"]] == [
        (9001, True, "240.000"), (9002, True, "150.000")]
    assert len(shown["receipts"]) == 2

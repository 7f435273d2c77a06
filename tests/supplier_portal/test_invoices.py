import threading
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from services.supplier_portal import SPEC
from services.supplier_portal.accounts import create_supplier_user, principal_for
from services.supplier_portal.fulfilment import receive_goods
from services.supplier_portal.invoicing import record_dispute, submit_invoice
from services.supplier_portal.models import Invoice, InvoiceLine, PurchaseOrder, Supplier
from services.supplier_portal.orders import acknowledge_order, receive_order
from shared.db import utcnow
from shared.errors import Conflict
from shared.migrations import upgrade

from .conftest import PASSWORD
from .factories import (
    acknowledged_order,
    deliver,
    goods_received,
    invoice_disputed,
    invoice_matched,
    loaded,
    payment_recorded,
    po_sent,
)
from .test_orders import outbox

TODAY = date.today().isoformat()


def invoice(quantity="90.000", number="INV-0001", **line):
    return {"invoice_number": number, "issued_on": TODAY,
            "lines": [{"po_line_id": 9001, "quantity": quantity, **line}]}


@pytest.fixture
def received(portal, portal_db, make_supplier):
    """An acknowledged order of 250 kg at 5.60 of which the school accepted 90 kg: (supplier, owner, order)."""
    supplier, _, owner = make_supplier(status="approved")
    order = acknowledged_order(portal, portal_db, supplier.id, owner)
    deliver(portal_db, goods_received(supplier.id, accepted="90.000", rejected="10.000", reason="破袋"))
    return supplier, owner, order


def test_an_invoice_of_accepted_goods_emits_invoice_submitted_at_the_order_price(portal, portal_db, received):
    supplier, owner, order = received
    created = portal.post(f"/api/orders/{order.id}/invoices", headers=owner, json=invoice("33.333"))
    assert created.status_code == 201, created.json
    body = created.json
    # 33.333 kg × 5.60 = 186.6648, fixed half-up to the fen.
    assert (body["status"], body["total"], body["lines"][0]["unit_price"], body["lines"][0]["amount"]) == (
        "submitted", "186.66", "5.60", "186.66")
    [event] = outbox(portal_db, "invoice.submitted")
    assert (event["invoice_id"], event["po_id"], event["supplier_id"], event["invoice_number"], event["total"]) == (
        body["id"], 501, supplier.id, "INV-0001", "186.66")
    assert event["lines"] == [{"po_line_id": 9001, "quantity": "33.333", "unit_price": "5.60"}]
    # the receipts it covers, so procurement can wait for any it has not yet applied
    assert event["receipt_ids"] == [801] and event["submitted_at"]
    line = portal.get(f"/api/orders/{order.id}", headers=owner).json["lines"][0]
    assert (line["invoiced_quantity"], line["to_invoice_quantity"]) == ("33.333", "56.667")


def test_invoiced_quantity_may_not_exceed_accepted_quantity_not_yet_invoiced(portal, portal_db, received):
    _, owner, order = received
    url = f"/api/orders/{order.id}/invoices"
    too_much = portal.post(url, headers=owner, json=invoice("90.001"))
    assert too_much.status_code == 409 and "90.000" in too_much.json["detail"]
    assert portal.post(url, headers=owner, json=invoice("60.000")).status_code == 201
    second = portal.post(url, headers=owner, json=invoice("30.001", number="INV-0002"))
    assert second.status_code == 409 and "30.000" in second.json["detail"]
    assert portal.post(url, headers=owner, json=invoice("30.000", number="INV-0002")).status_code == 201
    assert len(outbox(portal_db, "invoice.submitted")) == 2


def test_an_invoice_number_is_used_once_and_invoice_input_is_validated(portal, received):
    _, owner, order = received
    url = f"/api/orders/{order.id}/invoices"
    assert portal.post(url, headers=owner, json=invoice("1.000")).status_code == 201
    assert portal.post(url, headers=owner, json=invoice("1.000")).status_code == 409
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    for body in (invoice("1.000", number="INV 3"), invoice("0"), invoice("1.000", number="INV-7", po_line_id=1),
                 invoice("1.000", number="INV-8", unit_price="5.601"),
                 invoice("1.000", number="INV-4") | {"issued_on": tomorrow},
                 {"invoice_number": "INV-5", "issued_on": TODAY, "lines": []}):
        response = portal.post(url, headers=owner, json=body)
        assert response.status_code == 422, (body, response.json)


def test_matched_disputed_and_paid_are_shown_with_the_dispute_reasons(portal, portal_db, received):
    _, owner, order = received
    url = f"/api/orders/{order.id}/invoices"
    first = portal.post(url, headers=owner, json=invoice("50.000")).json
    second = portal.post(url, headers=owner, json=invoice("40.000", number="INV-0002", unit_price="6.00")).json
    deliver(portal_db, invoice_matched(first))
    deliver(portal_db, payment_recorded(first, "100.00", payment_id=1))
    partly = portal.get(f"/api/invoices/{first['id']}", headers=owner).json
    assert (partly["status"], partly["matched_amount"], partly["paid_amount"]) == ("partially_paid", "280.00", "100.00")
    deliver(portal_db, payment_recorded(first, "180.00", payment_id=2))
    deliver(portal_db, payment_recorded(first, "180.00", payment_id=2) | {"id": "redelivered"})
    paid = portal.get(f"/api/invoices/{first['id']}", headers=owner).json
    assert (paid["status"], paid["paid_amount"]) == ("paid", "280.00")
    assert [p["payment_id"] for p in paid["payments"]] == [1, 2]
    deliver(portal_db, invoice_disputed(second, reasons=["单价高于订单价 5.60"]))
    disputed = portal.get(f"/api/invoices/{second['id']}", headers=owner).json
    assert (disputed["status"], disputed["dispute_reasons"]) == ("disputed", ["单价高于订单价 5.60"])
    assert portal.get("/api/invoices?status=disputed", headers=owner).json["total"] == 1
    assert "单价高于订单价" in portal.get("/api/notifications", headers=owner).json["items"][0]["message"]
    # A disputed invoice frees what it claimed: a corrected invoice may claim it again.
    corrected = portal.post(url, headers=owner, json=invoice("40.000", number="INV-0003"))
    assert corrected.status_code == 201


def test_an_event_about_an_invoice_of_another_supplier_changes_nothing(portal, portal_db, received):
    _, owner, order = received
    created = portal.post(f"/api/orders/{order.id}/invoices", headers=owner, json=invoice("10.000")).json
    deliver(portal_db, invoice_matched(created | {"supplier_id": 424242}))
    assert portal.get(f"/api/invoices/{created['id']}", headers=owner).json["status"] == "submitted"


def test_a_retried_invoice_with_the_same_idempotency_key_is_submitted_once(portal, portal_db, received):
    _, owner, order = received
    headers = {**owner, "Idempotency-Key": "inv-0001"}
    first = portal.post(f"/api/orders/{order.id}/invoices", headers=headers, json=invoice("10.000"))
    second = portal.post(f"/api/orders/{order.id}/invoices", headers=headers, json=invoice("10.000"))
    assert first.status_code == second.status_code == 201 and first.json == second.json
    assert len(outbox(portal_db, "invoice.submitted")) == 1


def received_order(session, principal, supplier_id, po_id, accepted):
    """Inside `session`: an order of 5000 kg, acknowledged, of which `accepted` kg were accepted."""
    receive_order(session, loaded(po_sent(supplier_id, po_id=po_id, quantity="5000.000")))
    order = session.scalar(select(PurchaseOrder).where(PurchaseOrder.po_id == po_id))
    acknowledge_order(session, principal, order.id, 1)
    receive_goods(session, loaded(goods_received(supplier_id, po_id=po_id, receipt_id=po_id,
                                                 accepted=f"{accepted}.000")))
    return order


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(accepted=st.integers(0, 5000), claims=st.lists(st.tuples(st.integers(1, 3000), st.booleans()), max_size=8))
def test_whatever_the_invoices_and_disputes_the_live_invoices_never_exceed_the_accepted_quantity(
        portal_db, make_supplier, accepted, claims):
    supplier, owner_user, _ = make_supplier(status="approved")
    principal = principal_for(owner_user)
    with portal_db.unit_of_work() as uow:  # never committed: each example leaves nothing behind
        session = uow.session
        order = received_order(session, principal, supplier.id, 40_000 + supplier.id, accepted)
        live = 0
        for index, (quantity, disputed) in enumerate(claims):
            try:
                made = submit_invoice(session, principal, order.id, f"P-{index}", date.today(),
                                      [{"po_line_id": 9001, "quantity": Decimal(quantity)}], date.today(), utcnow())
            except Conflict:
                assert live + quantity > accepted
                continue
            assert live + quantity <= accepted
            live += quantity
            if disputed:
                record_dispute(session, {"invoice_id": made.id, "po_id": order.po_id, "supplier_id": supplier.id,
                                         "reasons": ["x"], "disputed_at": utcnow()})
                live -= quantity
        invoiced = session.scalar(select(func.sum(InvoiceLine.quantity)).join(Invoice)
                                  .where(Invoice.order_id == order.id, Invoice.status != "disputed"))
        assert (invoiced or 0) == live <= accepted


def test_two_invoices_sent_at_once_never_together_exceed_the_accepted_quantity(database_server, test_settings):
    """Real concurrent transactions on a database of their own (committed data, separate connections)."""
    url = database_server.create(f"portal_invoice_race_{uuid.uuid4().hex[:8]}")
    upgrade(SPEC.migrations_dir, url)
    database = SPEC.open_database(test_settings, url=url)
    try:
        with database.unit_of_work() as uow:
            supplier = Supplier(name="并发", contact_email="race@example.cn", categories=["vegetables"],
                                status="approved")
            uow.session.add(supplier)
            uow.session.flush()
            owner = create_supplier_user(uow.session, supplier.id, "race@example.cn", "老板", PASSWORD, "owner")
            principal = principal_for(owner)
            order = received_order(uow.session, principal, supplier.id, 77, 100)
            uow.commit()
        barrier, outcomes = threading.Barrier(2), []

        def claim(number):
            barrier.wait()
            try:
                with database.unit_of_work() as uow:
                    submit_invoice(uow.session, principal, order.id, number, date.today(),
                                   [{"po_line_id": 9001, "quantity": Decimal("60.000")}], date.today(), utcnow())
                    uow.commit()
                outcomes.append("submitted")
            except Conflict:
                outcomes.append("refused")

        threads = [threading.Thread(target=claim, args=(f"RACE-{n}",)) for n in (1, 2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert sorted(outcomes) == ["refused", "submitted"]
        with database.unit_of_work() as uow:
            assert uow.session.scalar(select(func.sum(InvoiceLine.quantity))) == Decimal("60.000")
    finally:
        database.dispose()

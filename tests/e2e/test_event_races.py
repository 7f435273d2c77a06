"""Events that overtake one another, with a real worker process retrying the early one."""
from __future__ import annotations

import time
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from services.procurement.demand import ensure_demand_points
from services.procurement.models import Inbox, Invoice
from services.procurement.tasks import consumer
from shared.auth import decode_token
from shared.events import CATALOGUE, PAYLOAD_SCHEMAS
from tests.support import wait_for

pytestmark = [pytest.mark.e2e]


def envelope(event_type: str, payload: dict) -> dict:
    return {"id": str(uuid.uuid4()), "type": event_type, "version": 1,
            "occurred_at": datetime.now(timezone.utc).isoformat(), "producer": CATALOGUE[event_type][0],
            "correlation_id": None, "payload": PAYLOAD_SCHEMAS[event_type]().dump(payload)}


def test_an_invoice_arriving_before_its_goods_received_was_disputed_for_good(suite, worker):
    procurement, buyer = suite.client("procurement"), suite.buyer
    database = suite.database("procurement")
    supplier_id = 700_000 + uuid.uuid4().int % 100_000
    school_id = decode_token(buyer["Authorization"].split()[1], suite.settings.secret_key).school_id
    with database.unit_of_work() as uow:
        ensure_demand_points(uow.session, school_id)
        uow.commit()
    consumer.apply(database, envelope("supplier.approved", {
        "supplier_id": supplier_id, "name": f"竞态粮油-{supplier_id}", "categories": ["bulk_grain_oil"],
        "approved_at": datetime.now(timezone.utc)}))
    item = procurement.post("/api/items", headers=buyer, json={
        "code": f"RACE-{supplier_id}", "name_zh": "大米", "name_en": "rice", "category": "rice", "base_unit": "kg"})
    assert item.status_code == 201, item.json
    order = procurement.post("/api/purchase-orders", headers=buyer, json={"supplier_id": supplier_id, "lines": [
        {"item_id": item.json["id"], "quantity": "100", "unit_price": "5.00", "destination": "DH1",
         "delivery_date": (date.today() + timedelta(days=2)).isoformat()}]}).json
    assert procurement.post(f"/api/purchase-orders/{order['id']}/submit", headers=buyer).json["state"] == "approved"
    assert procurement.post(f"/api/purchase-orders/{order['id']}/send", headers=buyer).json["state"] == "sent"
    line_id = order["lines"][0]["id"]

    # the portal heard of receipt 9 first and the supplier invoiced it at once: procurement gets the invoice first
    invoice = envelope("invoice.submitted", {
        "invoice_id": supplier_id, "po_id": order["id"], "supplier_id": supplier_id, "school_id": school_id,
        "invoice_number": f"INV-{supplier_id}", "issued_on": date.today(), "total": Decimal("500.00"),
        "submitted_at": datetime.now(timezone.utc), "receipt_ids": [supplier_id + 9],
        "lines": [{"po_line_id": line_id, "quantity": Decimal("100"), "unit_price": Decimal("5.00")}]})
    celery = suite.apps["procurement"].extensions["celery"]
    celery.send_task("procurement.handle_event", args=[invoice], queue="procurement")
    time.sleep(3)  # the worker has tried it (and been told to retry) by now
    with database.unit_of_work() as uow:
        assert uow.session.get(Inbox, invoice["id"]) is None
        assert uow.session.scalar(select(Invoice).where(Invoice.portal_invoice_id == supplier_id)) is None

    celery.send_task("procurement.handle_event", args=[envelope("goods.received", {
        "receipt_id": supplier_id + 9, "po_id": order["id"], "supplier_id": supplier_id, "school_id": school_id,
        "location_code": "DH1", "received_at": datetime.now(timezone.utc), "inspectors": ["刘洋", "王敏"],
        "lines": [{"po_line_id": line_id, "item_id": item.json["id"], "accepted_quantity": Decimal("100"),
                   "rejected_quantity": Decimal("0")}]})], queue="procurement")

    def recorded():
        with database.unit_of_work() as uow:
            found = uow.session.scalar(select(Invoice).where(Invoice.portal_invoice_id == supplier_id))
            return (found.state, found.reasons) if found else None

    state, reasons = wait_for(recorded, timeout=60, message="the retried invoice applied after its receipt")
    assert (state, reasons) == ("matched", [])

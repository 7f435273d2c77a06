"""Event envelopes as procurement and inventory send them, for the portal's handlers."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import select

from services.supplier_portal.models import PurchaseOrder, Rfq
from services.supplier_portal.tasks import consumer
from shared.events import PAYLOAD_SCHEMAS


def po_sent(supplier_id, po_id=501, revision=1, quantity="250.000", school_id=1):
    return {"id": str(uuid.uuid4()), "type": "po.sent", "version": 1, "producer": "procurement",
            "occurred_at": "2026-03-01T02:00:00+00:00", "correlation_id": None, "payload": {
                "po_id": po_id, "school_id": school_id, "number": "PO-2026-000123", "revision": revision,
                "supplier_id": supplier_id, 
                "total": str((Decimal(quantity) * Decimal("5.60")).quantize(Decimal("0.01"))),
                "sent_at": "2026-03-01T02:00:00+00:00", "lines": [{
                    "po_line_id": 9001, "item_id": 11, "item_code": "RICE-25", "item_name": "大米",
                    "specification": "25kg/袋", "category": "bulk_grain_oil", "unit": "kg", "quantity": quantity,
                    "unit_price": "5.60", "delivery_date": "2026-03-05", "destination": "CSR"}]}}


def envelope(event_type: str, producer: str, payload: dict) -> dict:
    return {"id": str(uuid.uuid4()), "type": event_type, "version": 1, "producer": producer,
            "occurred_at": datetime.now(timezone.utc).isoformat(), "correlation_id": None, "payload": payload}


def rfq_issued(supplier_ids, rfq_id=301, deadline: datetime | None = None, school_id=1) -> dict:
    deadline = deadline or datetime.now(timezone.utc) + timedelta(days=3)
    return envelope("rfq.issued", "procurement", {
        "rfq_id": rfq_id, "school_id": school_id, "number": f"RFQ-2026-{rfq_id:06d}", "title": "三月大米、食用油",
        "supplier_ids": list(supplier_ids), "quote_deadline": deadline.isoformat(), "lines": [
            {"rfq_line_id": 1, "item_id": 11, "item_code": "RICE-25", "item_name": "大米", "specification": "25kg/袋",
             "category": "bulk_grain_oil", "unit": "kg", "quantity": "500.000", "delivery_date": "2026-03-05"},
            {"rfq_line_id": 2, "item_id": 12, "item_code": "OIL-5", "item_name": "食用油", "specification": "5L/桶",
             "category": "bulk_grain_oil", "unit": "L", "quantity": "100.000", "delivery_date": "2026-03-05"}]})


def rfq_awarded(outcomes, rfq_id=301, school_id=1) -> dict:
    """outcomes: [(supplier_id, portal quote id or None, awarded rfq line ids)]."""
    return envelope("rfq.awarded", "procurement", {
        "rfq_id": rfq_id, "school_id": school_id, "awarded_at": datetime.now(timezone.utc).isoformat(),
        "outcomes": [{"supplier_id": supplier_id, "quote_id": quote_id, "awarded_rfq_line_ids": list(lines)}
                     for supplier_id, quote_id, lines in outcomes]})


def po_cancelled(supplier_id, po_id=501, revision=1, reason="计划取消") -> dict:
    return envelope("po.cancelled", "procurement", {
        "po_id": po_id, "school_id": 1, "revision": revision, "supplier_id": supplier_id, "reason": reason,
        "cancelled_at": datetime.now(timezone.utc).isoformat()})


def po_closed(supplier_id, po_id=501, revision=1, reason="订单已结清") -> dict:
    return envelope("po.closed", "procurement", {
        "po_id": po_id, "school_id": 1, "revision": revision, "supplier_id": supplier_id, "reason": reason,
        "closed_at": datetime.now(timezone.utc).isoformat()})


def goods_received(supplier_id, po_id=501, receipt_id=801, delivery_note_id=None, accepted="200.000",
                   rejected="0.000", reason="", received_at: datetime | None = None) -> dict:
    return envelope("goods.received", "inventory", {
        "receipt_id": receipt_id, "po_id": po_id, "supplier_id": supplier_id, "school_id": 1,
        "delivery_note_id": delivery_note_id, "location_code": "CSR",
        "received_at": (received_at or datetime.now(timezone.utc)).isoformat(), "inspectors": ["张三", "李四"],
        "lines": [{"po_line_id": 9001, "item_id": 11, "accepted_quantity": accepted, "rejected_quantity": rejected,
                   "rejection_reason": reason, "lot_number": "L240301", "production_date": "2026-02-20",
                   "expiry_date": "2027-02-20"}]})


def invoice_matched(invoice, amount=None) -> dict:
    return envelope("invoice.matched", "procurement", {
        "invoice_id": invoice["id"], "po_id": invoice["po_id"], "supplier_id": invoice["supplier_id"],
        "amount": amount or invoice["total"], "matched_at": datetime.now(timezone.utc).isoformat()})


def invoice_disputed(invoice, reasons=("单价与订单不符",), disputed_at: datetime | None = None) -> dict:
    return envelope("invoice.disputed", "procurement", {
        "invoice_id": invoice["id"], "po_id": invoice["po_id"], "supplier_id": invoice["supplier_id"],
        "reasons": list(reasons), "disputed_at": (disputed_at or datetime.now(timezone.utc)).isoformat()})


def payment_recorded(invoice, amount, payment_id=601) -> dict:
    return envelope("payment.recorded", "procurement", {
        "payment_id": payment_id, "invoice_id": invoice["id"], "po_id": invoice["po_id"],
        "supplier_id": invoice["supplier_id"], "amount": amount, "paid_on": "2026-03-20", "reference": "转账 0001"})


def deliver(portal_db, event: dict) -> bool:
    return consumer.apply(portal_db, event)


def rfq_copy(portal_db, supplier_id, rfq_id=301) -> Rfq:
    with portal_db.unit_of_work() as uow:
        return uow.session.scalar(select(Rfq).where(Rfq.rfq_id == rfq_id, Rfq.supplier_id == supplier_id))


def acknowledged_order(portal, portal_db, supplier_id, owner, po_id=501, quantity="250.000") -> PurchaseOrder:
    """An order sent to the supplier and acknowledged by it: ready for delivery notes."""
    deliver(portal_db, po_sent(supplier_id, po_id=po_id, quantity=quantity))
    with portal_db.unit_of_work() as uow:
        order = uow.session.scalar(select(PurchaseOrder).where(PurchaseOrder.po_id == po_id))
    response = portal.post(f"/api/orders/{order.id}/acknowledge", headers=owner, json={"revision": 1})
    assert response.status_code == 200, response.json
    return order


def loaded(event: dict) -> dict:
    """The payload as a handler receives it, loaded by its contract schema."""
    return PAYLOAD_SCHEMAS[event["type"]]().load(event["payload"])

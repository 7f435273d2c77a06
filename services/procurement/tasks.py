"""Procurement's event handlers and periodic jobs (wired into Celery by services.worker).

Each handler runs inside the consumer's unit of work with the event id recorded in the inbox,
so a redelivered event changes nothing. An event that no longer fits the document (an older
revision, another supplier's order) is logged and dropped rather than retried forever.
"""
import logging
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from shared.auth import Principal
from shared.errors import DomainError
from shared.events import Consumer

from . import invoicing, orders, quotations
from .demand import SYSTEM, create_requisition
from .models import ApprovedSupplier, Inbox, Item

log = logging.getLogger(__name__)
consumer = Consumer("procurement", Inbox)
PERIODIC_JOBS: list = []
SCHOOL_TIMEZONE = ZoneInfo("Asia/Shanghai")
# a reorder requisition asks for delivery this many days after the shortage was seen
REORDER_LEAD_DAYS = 2


@consumer.handles("supplier.approved")
def supplier_approved(session, payload):
    supplier = session.scalar(select(ApprovedSupplier).where(ApprovedSupplier.supplier_id == payload["supplier_id"]))
    if supplier is None:
        supplier = ApprovedSupplier(supplier_id=payload["supplier_id"])
        session.add(supplier)
    supplier.name, supplier.categories = payload["name"], sorted(payload["categories"])
    supplier.status, supplier.updated_at = "approved", payload["approved_at"]


@consumer.handles("supplier.suspended")
def supplier_suspended(session, payload):
    supplier = session.scalar(select(ApprovedSupplier).where(ApprovedSupplier.supplier_id == payload["supplier_id"]))
    if supplier is None:
        log.info("supplier %s suspended before we knew it as approved", payload["supplier_id"])
        return
    supplier.status, supplier.updated_at = "suspended", payload["suspended_at"]


def _apply_or_drop(session, event_type, payload, change):
    """Apply `change` in a savepoint; if the order refuses it, undo any part of it and log."""
    try:
        with session.begin_nested():
            if change() is None:
                log.warning("%s for order %s dropped: not this supplier's order or an older revision",
                            event_type, payload["po_id"])
    except DomainError as error:
        log.warning("%s for order %s dropped: %s", event_type, payload["po_id"], error.detail)


@consumer.handles("po.acknowledged")
def po_acknowledged(session, payload):
    _apply_or_drop(session, "po.acknowledged", payload, lambda: orders.supplier_answered(
        session, payload["po_id"], payload["supplier_id"], payload["revision"], "acknowledge"))


@consumer.handles("po.declined")
def po_declined(session, payload):
    _apply_or_drop(session, "po.declined", payload, lambda: orders.supplier_answered(
        session, payload["po_id"], payload["supplier_id"], payload["revision"], "decline", payload["reason"]))


@consumer.handles("goods.received")
def goods_received(session, payload):
    _apply_or_drop(session, "goods.received", payload, lambda: orders.goods_received(
        session, payload["po_id"], payload["supplier_id"], payload["lines"], payload["received_at"],
        payload["receipt_id"]))


@consumer.handles("delivery.dispatched")
def delivery_dispatched(session, payload):
    _apply_or_drop(session, "delivery.dispatched", payload,
                   lambda: orders.delivery_dispatched(session, payload))


@consumer.handles("quote.submitted")
def quote_submitted(session, payload):
    if quotations.record_quote(session, payload) is None:
        log.warning("quote %s for RFQ %s dropped: the RFQ is not open to this supplier, the deadline has passed, "
                    "or the lines do not fit it", payload["quote_id"], payload["rfq_id"])


@consumer.handles("invoice.submitted")
def invoice_submitted(session, payload):
    """Matched or disputed at once; the supplier hears which (invoice.matched / invoice.disputed)."""
    if invoicing.receive_invoice(session, payload) is None:
        log.warning("invoice %s dropped: seen before, or not for an order of this supplier and school",
                    payload["invoice_id"])


@consumer.handles("stock.below_reorder")
def stock_below_reorder(session, payload):
    """A draft requisition for the suggested quantity, for the manager to review and submit."""
    item = session.get(Item, payload["item_id"])
    if item is None or item.school_id != payload["school_id"]:
        log.warning("stock.below_reorder names item %s unknown to school %s", payload["item_id"], payload["school_id"])
        return
    needed_by = payload["detected_at"].astimezone(SCHOOL_TIMEZONE).date() + timedelta(days=REORDER_LEAD_DAYS)
    principal = Principal(SYSTEM, frozenset(), school_id=payload["school_id"])
    try:
        with session.begin_nested():
            create_requisition(session, principal, payload["location_code"], [
                {"item_id": item.id, "quantity": payload["suggested_quantity"], "unit": item.base_unit,
                 "needed_by": needed_by}], today=None, source="reorder",
                note=f"库存低于补货点: 现有 {payload['on_hand']} {item.base_unit}, 下限 {payload['minimum']}")
    except DomainError as error:
        log.warning("stock.below_reorder for item %s at %s dropped: %s", item.id, payload["location_code"],
                    error.detail)


"""Orders sent to a supplier (po.sent): acknowledge or decline; an amended revision asks again;
a cancellation (po.cancelled) ends the order whatever was answered; a closed order (po.closed)
takes no more delivery notes or invoices."""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.auth import Principal
from shared.db import utcnow
from shared.errors import Conflict, InvalidInput
from shared.events import NotYetKnown, emit
from shared.pagination import Page, paginate
from shared.statemachine import StateMachine

from .fulfilment import with_progress
from .isolation import get_visible, visible
from .models import Audit, PurchaseOrder, PurchaseOrderLine
from .notifications import notify_if_registered

log = logging.getLogger(__name__)
ORDER_STATUS = StateMachine("purchase order", {
    "acknowledge": {"sent": "acknowledged"},
    "decline": {"sent": "declined"},
    # A new revision from procurement must be acknowledged again, whatever was said to the last one.
    "revise": {"sent": "sent", "acknowledged": "sent", "declined": "sent"},
    "cancel": {"sent": "cancelled", "acknowledged": "cancelled", "declined": "cancelled"},
    # procurement closes an order once goods have arrived, which may be before the acknowledgement reached it
    "close": {"sent": "closed", "acknowledged": "closed"},
}, Audit)
LINE_FIELDS = ("po_line_id", "item_id", "item_code", "item_name", "specification", "category", "unit",
               "quantity", "unit_price", "delivery_date", "destination")


def receive_order(session: Session, payload: dict) -> PurchaseOrder | None:
    """Record a sent order or its newer revision; an older or repeated revision changes nothing."""
    order = session.scalar(select(PurchaseOrder).where(PurchaseOrder.po_id == payload["po_id"]))
    if order is not None and (payload["revision"] <= order.revision or order.status == "cancelled"):
        return None
    if order is None:
        order = PurchaseOrder(po_id=payload["po_id"], status="sent")
        session.add(order)
    else:
        ORDER_STATUS.apply(session, order, "revise", "procurement", f"revision {payload['revision']}")
        order.lines.clear()
        session.flush()
    order.school_id, order.supplier_id, order.number = payload["school_id"], payload["supplier_id"], payload["number"]
    order.revision, order.total, order.sent_at = payload["revision"], payload["total"], payload["sent_at"]
    order.responded_at, order.decline_reason = None, None
    order.lines = [PurchaseOrderLine(**{name: line.get(name, "") for name in LINE_FIELDS})
                   for line in payload["lines"]]
    session.flush()
    notify_if_registered(session, order.supplier_id, "order_received" if order.revision == 1 else "order_revised",
                         f"order:{order.po_id}:{order.revision}", number=order.number, revision=order.revision)
    return order


# How procurement may end an order (po.cancelled, po.closed): the event's time field, where the order keeps
# the reason, and the word the supplier is told.
ENDINGS = {"cancel": ("cancelled_at", "cancel_reason", "cancelled"), "close": ("closed_at", "close_reason", "closed")}


def end_order(session: Session, payload: dict, action: str) -> PurchaseOrder | None:
    """Procurement cancelled the order (nothing more is acknowledged, delivered or answered) or closed it
    (nothing more is delivered or invoiced); None when the order is past that already."""
    order = session.scalar(select(PurchaseOrder).where(PurchaseOrder.po_id == payload["po_id"]))
    if order is None:
        raise NotYetKnown(f"order {payload['po_id']} has not arrived yet")
    if not ORDER_STATUS.can(order, action):
        log.warning("po.%s for order %s ignored: it is %s", action, order.po_id, order.status)
        return None
    at, reason_attribute, word = ENDINGS[action]
    ORDER_STATUS.apply(session, order, action, "procurement", payload["reason"])
    setattr(order, at, payload[at])
    setattr(order, reason_attribute, payload["reason"])
    session.flush()
    notify_if_registered(session, order.supplier_id, f"order_{word}", f"order_{word}:{order.po_id}",
                         number=order.number, reason=payload["reason"])
    return order


def list_orders(session: Session, principal: Principal, page: int, per_page: int,
                status: str | None = None) -> Page:
    query = visible(select(PurchaseOrder), PurchaseOrder, principal)
    if status is not None:
        query = query.where(PurchaseOrder.status == status)
    return paginate(session, query.order_by(PurchaseOrder.sent_at.desc(), PurchaseOrder.id.desc()), page, per_page)


def get_order(session: Session, principal: Principal, order_id: int) -> PurchaseOrder:
    """The order with what has been delivered, accepted and invoiced on each line."""
    return with_progress(session, get_visible(session, PurchaseOrder, order_id, principal))


def acknowledge_order(session: Session, principal: Principal, order_id: int, revision: int) -> PurchaseOrder:
    order = _respondable(session, principal, order_id, revision)
    ORDER_STATUS.apply(session, order, "acknowledge", principal)
    order.responded_at = utcnow()
    emit(session, "po.acknowledged", {"po_id": order.po_id, "revision": order.revision,
                                      "supplier_id": order.supplier_id, "acknowledged_at": order.responded_at})
    session.flush()
    return order


def decline_order(session: Session, principal: Principal, order_id: int, revision: int, reason: str) -> PurchaseOrder:
    if not reason.strip():
        raise InvalidInput("reason", "say why the order is declined")
    order = _respondable(session, principal, order_id, revision)
    ORDER_STATUS.apply(session, order, "decline", principal, reason)
    order.responded_at, order.decline_reason = utcnow(), reason
    emit(session, "po.declined", {"po_id": order.po_id, "revision": order.revision, "supplier_id": order.supplier_id,
                                  "reason": reason, "declined_at": order.responded_at})
    session.flush()
    return order


def _respondable(session: Session, principal: Principal, order_id: int, revision: int) -> PurchaseOrder:
    order = get_visible(session, PurchaseOrder, order_id, principal, for_update=True)
    if revision != order.revision:
        # The supplier answers the revision it read; a newer one may have changed quantities or prices.
        raise Conflict("This order is now at revision {revision}; read it again before answering",
                       revision=order.revision)
    return order

"""Orders sent to a supplier (po.sent): acknowledge or decline; an amended revision asks again."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.auth import Principal
from shared.db import utcnow
from shared.errors import Conflict, InvalidInput
from shared.events import emit
from shared.statemachine import StateMachine

from .isolation import get_visible, visible
from .models import Audit, PurchaseOrder, PurchaseOrderLine

ORDER_STATUS = StateMachine("purchase order", {
    "acknowledge": {"sent": "acknowledged"},
    "decline": {"sent": "declined"},
    # A new revision from procurement must be acknowledged again, whatever was said to the last one.
    "revise": {"sent": "sent", "acknowledged": "sent", "declined": "sent"},
}, Audit)
LINE_FIELDS = ("po_line_id", "item_id", "item_code", "item_name", "specification", "category", "unit",
               "quantity", "unit_price", "delivery_date", "destination")


def receive_order(session: Session, payload: dict) -> PurchaseOrder | None:
    """Record a sent order or its newer revision; an older or repeated revision changes nothing."""
    order = session.scalar(select(PurchaseOrder).where(PurchaseOrder.po_id == payload["po_id"]))
    if order is not None and payload["revision"] <= order.revision:
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
    return order


def list_orders(session: Session, principal: Principal, status: str | None = None) -> list[PurchaseOrder]:
    query = visible(select(PurchaseOrder), PurchaseOrder, principal)
    if status is not None:
        query = query.where(PurchaseOrder.status == status)
    return list(session.scalars(query.order_by(PurchaseOrder.sent_at.desc(), PurchaseOrder.id.desc())))


def get_order(session: Session, principal: Principal, order_id: int) -> PurchaseOrder:
    return get_visible(session, PurchaseOrder, order_id, principal)


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
        raise Conflict(f"This order is now at revision {order.revision}; read it again before answering")
    return order

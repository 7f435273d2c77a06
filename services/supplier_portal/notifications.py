"""In-portal notifications to a supplier, each at most once per reason."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.auth import Principal
from shared.db import utcnow
from shared.pagination import Page, paginate

from .isolation import get_visible, visible
from .models import Notification, Supplier


def notify(session: Session, supplier_id: int, kind: str, message: str, dedup_key: str) -> Notification | None:
    """A notification, unless one with this `dedup_key` was already made for the supplier."""
    exists = session.scalar(select(func.count()).select_from(Notification).where(
        Notification.supplier_id == supplier_id, Notification.dedup_key == dedup_key))
    if exists:
        return None
    notification = Notification(supplier_id=supplier_id, kind=kind, message=message, dedup_key=dedup_key)
    session.add(notification)
    session.flush()
    return notification


def notify_if_registered(session: Session, supplier_id: int, kind: str, message: str,
                         dedup_key: str) -> Notification | None:
    """For event handlers: an event may name a supplier the portal does not hold (yet); it gets no message."""
    if session.get(Supplier, supplier_id) is None:
        return None
    return notify(session, supplier_id, kind, message, dedup_key)


def list_notifications(session: Session, principal: Principal, page: int, per_page: int,
                       unread: bool = False) -> Page:
    query = visible(select(Notification), Notification, principal)
    if unread:
        query = query.where(Notification.read_at.is_(None))
    return paginate(session, query.order_by(Notification.id.desc()), page, per_page)


def mark_read(session: Session, principal: Principal, notification_id: int) -> Notification:
    notification = get_visible(session, Notification, notification_id, principal)
    if notification.read_at is None:
        notification.read_at = utcnow()
        session.flush()
    return notification

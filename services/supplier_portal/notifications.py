"""In-portal notifications to a supplier, each at most once per reason, and emailed to its users.

A notification keeps its kind and the values of the kind's message, not a sentence: the page
says it in the reader's language and the email in Chinese, from the same catalogue.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.auth import Principal
from shared.db import utcnow
from shared.pagination import Page, paginate

from .isolation import get_visible, visible
from .models import Notification, Supplier


def _(message: str) -> str:
    """Marks a message for the zh-CN catalogue; it is translated when shown or mailed."""
    return message


MESSAGES = {
    "rfq_received": _("New request for quotation {number} 「{title}」: quote before {deadline}."),
    "quote_awarded": _("Your quote for {number} 「{title}」 was awarded: all {quoted} lines."),
    "quote_partly_awarded": _("Your quote for {number} 「{title}」 was awarded for {won} of {quoted} lines."),
    "quote_not_awarded": _("Your quote for {number} 「{title}」 was not awarded."),
    "order_received": _("Order {number} (revision {revision}) is waiting for your acknowledgement."),
    "order_revised": _("Order {number} was revised (revision {revision}): acknowledge it again."),
    "order_cancelled": _("Order {number} was cancelled: {reason}"),
    "order_closed": _("Order {number} was closed: {reason}"),
    "delivery_rejected": _("Order {number}: goods were rejected at inspection ({reasons})."),
    "invoice_matched": _("Invoice {number} was matched for {amount}."),
    "invoice_disputed": _("Invoice {number} is disputed: {reasons}"),
    "payment_recorded": _("A payment of {amount} was recorded against invoice {number}."),
    "licence_expiring": _("Your licence {number} expires on {expires_on} (in {days} days): upload its renewal."),
    "supplier_approved": _("Your supplier registration is approved: you may now quote and receive orders."),
    "supplier_rejected": _("Your supplier registration was rejected: {reason}"),
    "supplier_suspended": _("Your supplier account is suspended: {reason}"),
}
SUBJECT = _("Canteen procurement: {kind}")
KINDS = {
    "rfq_received": _("new request for quotation"), "quote_awarded": _("quote awarded"),
    "quote_partly_awarded": _("quote partly awarded"), "quote_not_awarded": _("quote not awarded"),
    "order_received": _("new order"), "order_revised": _("order revised"), "order_cancelled": _("order cancelled"),
    "order_closed": _("order closed"),
    "delivery_rejected": _("goods rejected"), "invoice_matched": _("invoice matched"),
    "invoice_disputed": _("invoice disputed"), "payment_recorded": _("payment recorded"),
    "licence_expiring": _("licence expiring"), "supplier_approved": _("registration approved"),
    "supplier_rejected": _("registration rejected"), "supplier_suspended": _("account suspended"),
}


def _plain(value):
    """A value as the message shows it, and as JSON keeps it."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC") if value.utcoffset() is not None else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"¥{value:,.2f}"
    return value


def wording(notification: Notification, translate=lambda message: message) -> str:
    """The notification's sentence through `translate` (a catalogue look-up); the stored English otherwise."""
    template = MESSAGES.get(notification.kind)
    if template is None:
        return notification.message
    return translate(template).format(**notification.values)


def notify(session: Session, supplier_id: int, kind: str, dedup_key: str, **values) -> Notification | None:
    """A notification, unless one with this `dedup_key` was already made for the supplier.

    Money values (Decimal) are shown in yuan.
    """
    exists = session.scalar(select(func.count()).select_from(Notification).where(
        Notification.supplier_id == supplier_id, Notification.dedup_key == dedup_key))
    if exists:
        return None
    plain = {name: _plain(value) for name, value in values.items()}
    notification = Notification(supplier_id=supplier_id, kind=kind, values=plain,
                                message=MESSAGES[kind].format(**plain), dedup_key=dedup_key, email_attempts=0)
    session.add(notification)
    session.flush()
    return notification


def notify_if_registered(session: Session, supplier_id: int, kind: str, dedup_key: str,
                         **values) -> Notification | None:
    """For event handlers: an event may name a supplier the portal does not hold (yet); it gets no message."""
    if session.get(Supplier, supplier_id) is None:
        return None
    return notify(session, supplier_id, kind, dedup_key, **values)


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

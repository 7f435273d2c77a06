"""Who may supply the school: review of a registration, and suspension when a licence lapses.

A supplier is approved only with a valid business licence and, when it supplies food, a
valid food business or food production licence on file: approved by staff and not past
its expiry date (DESIGN.md §5, 索证索票). An expired licence suspends it until a valid
one is approved.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.auth import Principal
from shared.db import utcnow
from shared.errors import Conflict, InvalidInput
from shared.events import emit
from shared.pagination import Page, paginate
from shared.statemachine import StateMachine

from .isolation import get_visible, visible
from .models import Audit, QualificationDocument, Supplier
from .notifications import notify

FOOD_LICENCES = ("food_business_licence", "food_production_licence")
NON_FOOD_CATEGORIES = frozenset({"coal"})
LICENCE_EXPIRED = "licence_expired"

# action -> {from status: to status}: the only changes a supplier's status may undergo.
SUPPLIER_STATUS = StateMachine("supplier", {
    "approve": {"pending": "approved"},
    "reject": {"pending": "rejected"},
    "resubmit": {"rejected": "pending"},
    "suspend": {"approved": "suspended"},
    "reinstate": {"suspended": "approved"},
}, Audit)


def required_licences(supplier: Supplier) -> list[tuple[str, ...]]:
    """Each entry is satisfied by any one of its kinds; food licences only for food suppliers."""
    required = [("business_licence",)]
    if set(supplier.categories or ()) - NON_FOOD_CATEGORIES:
        required.append(FOOD_LICENCES)
    return required


def missing_licences(session: Session, supplier: Supplier, today: date) -> list[tuple[str, ...]]:
    valid_kinds = set(session.scalars(
        select(QualificationDocument.kind).where(QualificationDocument.supplier_id == supplier.id,
                                                 QualificationDocument.status == "approved",
                                                 QualificationDocument.expires_on >= today)))
    return [kinds for kinds in required_licences(supplier) if not valid_kinds & set(kinds)]


def describe_missing(missing: list[tuple[str, ...]]) -> str:
    return "; ".join(" or ".join(kinds) for kinds in missing)


def transition(session: Session, supplier: Supplier, action: str, actor: str, reason: str | None = None,
               cause: str | None = None) -> None:
    """Apply `action` (409 when the status refuses it, an audit row otherwise) and announce the result."""
    SUPPLIER_STATUS.apply(session, supplier, action, actor, reason)
    supplier.status_reason, supplier.status_cause = reason, cause
    supplier.status_changed_at, supplier.status_changed_by = utcnow(), actor
    if supplier.status in ("approved", "rejected", "suspended"):
        notify(session, supplier.id, f"supplier_{supplier.status}",
               f"status:{supplier.status}:{supplier.status_changed_at.isoformat()}", reason=reason or "")
    if supplier.status == "approved":
        # Procurement may invite and award it again (also when a suspension is lifted).
        emit(session, "supplier.approved", {"supplier_id": supplier.id, "name": supplier.name,
                                            "categories": supplier.categories,
                                            "approved_at": supplier.status_changed_at})
    elif supplier.status == "suspended":
        emit(session, "supplier.suspended", {"supplier_id": supplier.id, "reason": reason,
                                             "suspended_at": supplier.status_changed_at})


def list_suppliers(session: Session, principal: Principal, page: int, per_page: int,
                   status: str | None = None) -> Page:
    query = visible(select(Supplier), Supplier, principal)
    if status is not None:
        query = query.where(Supplier.status == status)
    return paginate(session, query.order_by(Supplier.id), page, per_page)


def approve_supplier(session: Session, principal: Principal, supplier_id: int, today: date) -> Supplier:
    supplier = get_visible(session, Supplier, supplier_id, principal, for_update=True)
    if not SUPPLIER_STATUS.can(supplier, "approve"):
        transition(session, supplier, "approve", principal.user_id)  # raises the 409 with the reason
    if supplier.credit_code is None:
        raise Conflict("This supplier has not completed its registration")
    missing = missing_licences(session, supplier, today)
    if missing:
        raise Conflict("Approval needs a valid licence on file: {missing}", missing=describe_missing(missing))
    transition(session, supplier, "approve", principal.user_id)
    session.flush()
    return supplier


def reject_supplier(session: Session, principal: Principal, supplier_id: int, reason: str) -> Supplier:
    supplier = get_visible(session, Supplier, supplier_id, principal, for_update=True)
    if not reason.strip():
        raise InvalidInput("reason", "say why the registration is rejected")
    transition(session, supplier, "reject", principal.user_id, reason=reason)
    session.flush()
    return supplier


def resubmit_supplier(session: Session, principal: Principal, supplier_id: int) -> Supplier:
    """A rejected supplier's owner, having fixed what was wrong, asks for another review."""
    supplier = get_visible(session, Supplier, supplier_id, principal, for_update=True)
    transition(session, supplier, "resubmit", principal.user_id)
    session.flush()
    return supplier


def suspend_for_expired_licence(session: Session, supplier: Supplier, today: date) -> bool:
    """Suspend an approved supplier whose required licence is no longer valid; True when it was."""
    if supplier.status != "approved":
        return False
    missing = missing_licences(session, supplier, today)
    if not missing:
        return False
    transition(session, supplier, "suspend", "system", reason=f"No valid licence on file: {describe_missing(missing)}",
               cause=LICENCE_EXPIRED)
    session.flush()
    return True


def lift_licence_suspension(session: Session, supplier_id: int, actor: str, today: date) -> bool:
    """Reinstate a supplier suspended for an expired licence once every required licence is valid."""
    supplier = session.get(Supplier, supplier_id)
    if supplier.status != "suspended" or supplier.status_cause != LICENCE_EXPIRED:
        return False
    if missing_licences(session, supplier, today):
        return False
    transition(session, supplier, "reinstate", actor)
    session.flush()
    return True

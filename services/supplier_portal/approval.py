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

from .isolation import get_visible
from .models import QualificationDocument, Supplier

FOOD_LICENCES = ("food_business_licence", "food_production_licence")
NON_FOOD_CATEGORIES = frozenset({"coal"})
LICENCE_EXPIRED = "licence_expired"

# status -> {action: new status}: the only changes a supplier's status may undergo.
TRANSITIONS = {
    "pending": {"approve": "approved", "reject": "rejected"},
    "rejected": {"resubmit": "pending"},
    "approved": {"suspend": "suspended"},
    "suspended": {"reinstate": "approved"},
}


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


def _describe(missing: list[tuple[str, ...]]) -> str:
    return "; ".join(" or ".join(kinds) for kinds in missing)


def transition(supplier: Supplier, action: str, actor: str, reason: str | None = None,
               cause: str | None = None) -> None:
    allowed = TRANSITIONS.get(supplier.status, {})
    if action not in allowed:
        raise Conflict(f"A {supplier.status} supplier does not allow '{action}'")
    supplier.status = allowed[action]
    supplier.status_reason, supplier.status_cause = reason, cause
    supplier.status_changed_at, supplier.status_changed_by = utcnow(), actor


def approve_supplier(session: Session, principal: Principal, supplier_id: int, today: date) -> Supplier:
    supplier = get_visible(session, Supplier, supplier_id, principal, for_update=True)
    if supplier.status != "pending":
        transition(supplier, "approve", principal.user_id)  # raises the 409 with the reason
    if supplier.credit_code is None:
        raise Conflict("This supplier has not completed its registration")
    missing = missing_licences(session, supplier, today)
    if missing:
        raise Conflict(f"Approval needs a valid licence on file: {_describe(missing)}")
    transition(supplier, "approve", principal.user_id)
    session.flush()
    return supplier


def reject_supplier(session: Session, principal: Principal, supplier_id: int, reason: str) -> Supplier:
    supplier = get_visible(session, Supplier, supplier_id, principal, for_update=True)
    if not reason.strip():
        raise InvalidInput("reason", "say why the registration is rejected")
    transition(supplier, "reject", principal.user_id, reason=reason)
    session.flush()
    return supplier


def resubmit_supplier(session: Session, principal: Principal, supplier_id: int) -> Supplier:
    """A rejected supplier's owner, having fixed what was wrong, asks for another review."""
    supplier = get_visible(session, Supplier, supplier_id, principal, for_update=True)
    transition(supplier, "resubmit", principal.user_id)
    session.flush()
    return supplier


def suspend_for_expired_licence(session: Session, supplier: Supplier, today: date) -> bool:
    """Suspend an approved supplier whose required licence is no longer valid; True when it was."""
    if supplier.status != "approved":
        return False
    missing = missing_licences(session, supplier, today)
    if not missing:
        return False
    transition(supplier, "suspend", "system", reason=f"No valid licence on file: {_describe(missing)}",
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
    transition(supplier, "reinstate", actor)
    session.flush()
    return True

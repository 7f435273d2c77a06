"""How supplier organisations come to exist on the portal: self-registration, or a school's invitation."""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.auth import Principal
from shared.db import utcnow
from shared.errors import Conflict, NotFound

from .accounts import create_supplier_user
from .isolation import get_visible
from .models import Supplier, SupplierUser

CATEGORIES = ("bulk_grain_oil", "vegetables", "meat_eggs", "coal", "store_goods")


def create_invited_supplier(session: Session, invitation: dict) -> Supplier:
    """A school invited this company: it waits, pending, for its users to complete registration."""
    supplier = Supplier(name=invitation["company_name"], contact_email=invitation["contact_email"],
                        categories=invitation["categories"], status="pending",
                        invited_by_school_id=invitation["school_id"], invitation_id=invitation["invitation_id"])
    session.add(supplier)
    session.flush()
    return supplier


def register_supplier(session: Session, *, company: dict, owner: dict) -> tuple[Supplier, SupplierUser]:
    """A company registers itself: a pending supplier, and its owner user, for school staff to review."""
    _check_credit_code_free(session, company["credit_code"], None)
    supplier = Supplier(status="pending", registered_at=utcnow(), **company)
    session.add(supplier)
    session.flush()
    user = create_supplier_user(session, supplier.id, owner["email"], owner["display_name"], owner["password"], "owner")
    return supplier, user


def issue_invitation_code(session: Session, principal: Principal, supplier_id: int) -> str:
    """A new one-time code for an invited supplier still without users; only its hash is kept."""
    supplier = get_visible(session, Supplier, supplier_id, principal)
    if supplier.invitation_id is None:
        raise Conflict("This supplier registered itself; there is no invitation to complete")
    if supplier.registered_at is not None:
        raise Conflict("This supplier has already completed its registration")
    code = secrets.token_urlsafe(24)
    supplier.invitation_code_hash = _hash(code)
    session.flush()
    return code


def complete_invited_registration(session: Session, code: str, *, company: dict,
                                  owner: dict) -> tuple[Supplier, SupplierUser]:
    """The invited company fills in what the invitation did not say and creates its owner user."""
    supplier = session.scalar(select(Supplier).where(Supplier.invitation_code_hash == _hash(code)))
    if supplier is None or supplier.registered_at is not None:
        raise NotFound("This invitation code is unknown or has been used")
    _check_credit_code_free(session, company["credit_code"], supplier.id)
    for field, value in company.items():
        setattr(supplier, field, value)
    supplier.registered_at, supplier.invitation_code_hash = utcnow(), None
    user = create_supplier_user(session, supplier.id, owner["email"], owner["display_name"], owner["password"], "owner")
    return supplier, user


def _check_credit_code_free(session: Session, credit_code: str, supplier_id: int | None) -> None:
    query = select(func.count()).select_from(Supplier).where(Supplier.credit_code == credit_code)
    if supplier_id is not None:
        query = query.where(Supplier.id != supplier_id)
    if session.scalar(query):
        raise Conflict("A supplier with this unified social credit code is already registered")


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def update_contact(session: Session, principal: Principal, supplier_id: int, changes: dict) -> Supplier:
    """The owner keeps its address and contact up to date; name and credit code are its identity."""
    supplier = get_visible(session, Supplier, supplier_id, principal)
    for field, value in changes.items():
        setattr(supplier, field, value)
    session.flush()
    return supplier

"""How supplier organisations come to exist on the portal."""
from __future__ import annotations

from sqlalchemy.orm import Session

from .models import Supplier


def create_invited_supplier(session: Session, invitation: dict) -> Supplier:
    """A school invited this company: it waits, pending, for its users to complete registration."""
    supplier = Supplier(name=invitation["company_name"], contact_email=invitation["contact_email"],
                        categories=invitation["categories"], status="pending",
                        invited_by_school_id=invitation["school_id"], invitation_id=invitation["invitation_id"])
    session.add(supplier)
    session.flush()
    return supplier

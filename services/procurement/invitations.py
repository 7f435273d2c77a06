"""Inviting a supplier to register on the portal."""
from __future__ import annotations

from sqlalchemy.orm import Session

from shared.auth import Principal
from shared.events import emit

from .models import SupplierInvitation


def invite_supplier(session: Session, principal: Principal, company_name: str, contact_email: str,
                    categories: list[str]) -> SupplierInvitation:
    invitation = SupplierInvitation(school_id=principal.school_id, company_name=company_name,
                                    contact_email=contact_email, categories=categories,
                                    invited_by=int(principal.user_id))
    session.add(invitation)
    session.flush()
    emit(session, "supplier.invited", {
        "invitation_id": invitation.id, "school_id": invitation.school_id, "company_name": company_name,
        "contact_email": contact_email, "categories": categories,
    })
    return invitation

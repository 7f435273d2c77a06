from shared.auth import SERVICE_ROLE, require_roles
from shared.web import Blueprint, unit_of_work

from ..approval import approve_supplier, list_suppliers, reject_supplier, resubmit_supplier
from ..isolation import get_visible
from ..licence_expiry import bulk_supplier_licences
from ..models import Supplier
from ..registration import issue_invitation_code, update_contact
from ..schemas import (
    BulkSupplierSchema,
    InvitationCodeSchema,
    ProfileUpdateSchema,
    ReasonSchema,
    SupplierPageSchema,
    SupplierQuerySchema,
    SupplierSchema,
)
from .common import AUTH, REVIEWERS, SUPPLIER_USERS, current_principal, today

blp = Blueprint("suppliers", __name__, url_prefix="/api/suppliers", description="Supplier organisations")


@blp.get("")
@blp.doc(security=AUTH)
@require_roles(*REVIEWERS)
@blp.arguments(SupplierQuerySchema, location="query")
@blp.response(200, SupplierPageSchema)
def index(query):
    with unit_of_work() as uow:
        return list_suppliers(uow.session, current_principal(), **query)


@blp.get("/bulk-commodity-licences")
@blp.doc(security=AUTH, description="Approved suppliers of bulk commodities and their licence state")
@require_roles(*REVIEWERS, SERVICE_ROLE)  # inventory's weekly disclosure publishes them
@blp.response(200, BulkSupplierSchema(many=True))
def bulk_commodity_licences():
    with unit_of_work() as uow:
        return bulk_supplier_licences(uow.session, today())


@blp.get("/<int:supplier_id>")
@blp.doc(security=AUTH)
@require_roles(*REVIEWERS, *SUPPLIER_USERS)
@blp.response(200, SupplierSchema)
def show(supplier_id):
    with unit_of_work() as uow:
        return get_visible(uow.session, Supplier, supplier_id, current_principal())


@blp.patch("/<int:supplier_id>")
@blp.doc(security=AUTH)
@require_roles("supplier_owner")
@blp.arguments(ProfileUpdateSchema(partial=True))
@blp.response(200, SupplierSchema)
def update(changes, supplier_id):
    with unit_of_work() as uow:
        supplier = update_contact(uow.session, current_principal(), supplier_id, changes)
        uow.commit()
    return supplier


@blp.post("/<int:supplier_id>/approve")
@blp.doc(security=AUTH)
@require_roles(*REVIEWERS)
@blp.response(200, SupplierSchema)
def approve(supplier_id):
    """Approve a pending registration: needs a valid business licence and food licence on file."""
    with unit_of_work() as uow:
        supplier = approve_supplier(uow.session, current_principal(), supplier_id, today())
        uow.commit()
    return supplier


@blp.post("/<int:supplier_id>/reject")
@blp.doc(security=AUTH)
@require_roles(*REVIEWERS)
@blp.arguments(ReasonSchema)
@blp.response(200, SupplierSchema)
def reject(data, supplier_id):
    with unit_of_work() as uow:
        supplier = reject_supplier(uow.session, current_principal(), supplier_id, data["reason"])
        uow.commit()
    return supplier


@blp.post("/<int:supplier_id>/resubmit")
@blp.doc(security=AUTH)
@require_roles("supplier_owner")
@blp.response(200, SupplierSchema)
def resubmit(supplier_id):
    """A rejected supplier asks for another review."""
    with unit_of_work() as uow:
        supplier = resubmit_supplier(uow.session, current_principal(), supplier_id)
        uow.commit()
    return supplier


@blp.post("/<int:supplier_id>/invitation-code")
@blp.doc(security=AUTH)
@require_roles(*REVIEWERS)
@blp.response(201, InvitationCodeSchema)
def invitation_code(supplier_id):
    """A new one-time code with which an invited supplier completes its registration (shown once)."""
    with unit_of_work() as uow:
        code = issue_invitation_code(uow.session, current_principal(), supplier_id)
        uow.commit()
    return {"supplier_id": supplier_id, "invitation_code": code}

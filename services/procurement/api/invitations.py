from sqlalchemy import select

from shared.auth import current_principal, require_roles, scoped
from shared.idempotency import idempotent
from shared.web import Blueprint, unit_of_work

from ..invitations import invite_supplier
from ..models import SupplierInvitation
from ..schemas import InvitationSchema

blp = Blueprint("supplier_invitations", __name__, url_prefix="/api/supplier-invitations",
                description="Inviting suppliers to the portal")
BUYERS = ("procurement_officer", "admin")


@blp.post("")
@blp.doc(security=[{"bearerAuth": []}])
@require_roles(*BUYERS)
@idempotent
@blp.arguments(InvitationSchema)
@blp.response(201, InvitationSchema)
def create(data):
    with unit_of_work() as uow:
        invitation = invite_supplier(uow.session, current_principal(), **data)
        uow.commit()
    return invitation


@blp.get("")
@blp.doc(security=[{"bearerAuth": []}])
@require_roles(*BUYERS)
@blp.response(200, InvitationSchema(many=True))
def index():
    with unit_of_work() as uow:
        query = scoped(select(SupplierInvitation), SupplierInvitation, current_principal())
        return list(uow.session.scalars(query.order_by(SupplierInvitation.id)))

from shared.auth import STAFF_ROLES, current_principal, require_roles
from shared.idempotency import idempotent
from shared.web import Blueprint, unit_of_work

from .. import agreements, orders
from ..schemas import AgreementOrderSchema, AgreementQuery, AgreementSchema, OrderSchema
from .catalogue import school_today

blp = Blueprint("agreements", __name__, url_prefix="/api",
                description="Fixed-supplier (定点) agreements and orders placed under them")
SECURITY = [{"bearerAuth": []}]


@blp.get("/agreements")
@blp.doc(security=SECURITY)
@require_roles(*STAFF_ROLES)
@blp.arguments(AgreementQuery, location="query")
@blp.response(200, AgreementSchema(many=True))
def list_agreements(query):
    with unit_of_work() as uow:
        return agreements.list_agreements(uow.session, current_principal(), **query)


@blp.post("/agreements")
@blp.doc(security=SECURITY)
@require_roles(*orders.BUYERS)
@blp.arguments(AgreementSchema)
@blp.response(201, AgreementSchema)
def create_agreement(data):
    with unit_of_work() as uow:
        agreement = agreements.create_agreement(uow.session, current_principal(), **data)
        uow.commit()
        return agreement


@blp.get("/agreements/<int:agreement_id>")
@blp.doc(security=SECURITY)
@require_roles(*STAFF_ROLES)
@blp.response(200, AgreementSchema)
def show_agreement(agreement_id):
    with unit_of_work() as uow:
        return agreements.get_agreement(uow.session, current_principal(), agreement_id)


@blp.post("/agreements/<int:agreement_id>/purchase-orders")
@blp.doc(security=SECURITY)
@require_roles(*orders.CREATORS)
@idempotent
@blp.arguments(AgreementOrderSchema)
@blp.response(201, OrderSchema)
def order_from_agreement(data, agreement_id):
    with unit_of_work() as uow:
        order = agreements.order_from_agreement(uow.session, current_principal(), agreement_id, data["lines"],
                                                school_today(), data["note"])
        uow.commit()
    return order, 201, {"ETag": f'"{order.version}"'}

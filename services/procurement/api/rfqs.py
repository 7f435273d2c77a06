from shared.auth import STAFF_ROLES, current_principal, require_roles
from shared.idempotency import idempotent
from shared.pagination import page_schema
from shared.web import Blueprint, unit_of_work

from .. import quotations, workflow
from ..schemas import (
    AuditSchema,
    AwardSchema,
    ComparisonLineSchema,
    OrderSchema,
    ReasonSchema,
    RfqInSchema,
    RfqQuery,
    RfqSchema,
)
from .catalogue import school_today

blp = Blueprint("rfqs", __name__, url_prefix="/api", description="Requests for quotation, quotes and awards")
SECURITY = [{"bearerAuth": []}]
BUYERS = ("procurement_officer", "admin")


@blp.post("/purchase-plans/<int:plan_id>/rfqs")
@blp.doc(security=SECURITY)
@require_roles(*BUYERS)
@idempotent
@blp.arguments(RfqInSchema)
@blp.response(201, RfqSchema)
def issue_rfq(data, plan_id):
    with unit_of_work() as uow:
        rfq = quotations.issue_rfq(uow.session, current_principal(), plan_id, data["plan_line_ids"], data["title"],
                                   data["quote_deadline"], school_today())
        uow.commit()
    return rfq


@blp.get("/rfqs")
@blp.doc(security=SECURITY)
@require_roles(*STAFF_ROLES)
@blp.arguments(RfqQuery, location="query")
@blp.response(200, page_schema(RfqSchema))
def list_rfqs(query):
    with unit_of_work() as uow:
        return quotations.list_rfqs(uow.session, current_principal(), **query)


@blp.get("/rfqs/<int:rfq_id>")
@blp.doc(security=SECURITY)
@require_roles(*STAFF_ROLES)
@blp.response(200, RfqSchema)
def show_rfq(rfq_id):
    with unit_of_work() as uow:
        return quotations.get_rfq(uow.session, current_principal(), rfq_id)


@blp.get("/rfqs/<int:rfq_id>/comparison")
@blp.doc(security=SECURITY)
@require_roles(*STAFF_ROLES)
@blp.response(200, ComparisonLineSchema(many=True))
def compare_quotes(rfq_id):
    with unit_of_work() as uow:
        return quotations.comparison(quotations.get_rfq(uow.session, current_principal(), rfq_id))


@blp.get("/rfqs/<int:rfq_id>/history")
@blp.doc(security=SECURITY)
@require_roles(*STAFF_ROLES)
@blp.response(200, AuditSchema(many=True))
def rfq_history(rfq_id):
    with unit_of_work() as uow:
        rfq = quotations.get_rfq(uow.session, current_principal(), rfq_id)
        return workflow.history(uow.session, quotations.RFQ, rfq.id)


@blp.post("/rfqs/<int:rfq_id>/award")
@blp.doc(security=SECURITY)
@require_roles("approver", "procurement_officer")
@blp.arguments(AwardSchema)
@blp.response(200, RfqSchema)
def award(data, rfq_id):
    with unit_of_work() as uow:
        rfq = quotations.award(uow.session, current_principal(), rfq_id, data["awards"], school_today())
        uow.commit()
    return rfq


@blp.post("/rfqs/<int:rfq_id>/cancel")
@blp.doc(security=SECURITY)
@require_roles(*BUYERS)
@blp.arguments(ReasonSchema)
@blp.response(200, RfqSchema)
def cancel(data, rfq_id):
    with unit_of_work() as uow:
        rfq = quotations.cancel_rfq(uow.session, current_principal(), rfq_id, data["reason"])
        uow.commit()
    return rfq


@blp.post("/rfqs/<int:rfq_id>/purchase-orders")
@blp.doc(security=SECURITY)
@require_roles(*BUYERS)
@idempotent
@blp.response(201, OrderSchema(many=True))
def order_awarded(rfq_id):
    with unit_of_work() as uow:
        created = quotations.order_awarded(uow.session, current_principal(), rfq_id, school_today())
        uow.commit()
    return created

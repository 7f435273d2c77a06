from shared.auth import STAFF_ROLES, current_principal, require_roles
from shared.idempotency import idempotent
from shared.pagination import page_schema
from shared.web import Blueprint, unit_of_work

from .. import demand, workflow
from ..schemas import (
    AuditSchema,
    DemandPointSchema,
    ReasonSchema,
    RequisitionOutSchema,
    RequisitionQuery,
    RequisitionSchema,
)
from .catalogue import school_today

blp = Blueprint("requisitions", __name__, url_prefix="/api", description="Demand points and requisitions")
SECURITY = [{"bearerAuth": []}]


@blp.get("/demand-points")
@blp.doc(security=SECURITY)
@require_roles(*STAFF_ROLES)
@blp.response(200, DemandPointSchema(many=True))
def list_demand_points():
    with unit_of_work() as uow:
        return demand.list_demand_points(uow.session, current_principal())


@blp.get("/requisitions")
@blp.doc(security=SECURITY)
@require_roles(*STAFF_ROLES)
@blp.arguments(RequisitionQuery, location="query")
@blp.response(200, page_schema(RequisitionOutSchema))
def list_requisitions(query):
    with unit_of_work() as uow:
        return demand.list_requisitions(uow.session, current_principal(), **query)


@blp.post("/requisitions")
@blp.doc(security=SECURITY)
@require_roles(*demand.RAISERS)
@idempotent
@blp.arguments(RequisitionSchema)
@blp.response(201, RequisitionOutSchema)
def create_requisition(data):
    lines = [{"item_id": line["item_id"], "quantity": line["entered_quantity"], "unit": line.get("entered_unit"),
              "needed_by": line["needed_by"]} for line in data["lines"]]
    with unit_of_work() as uow:
        requisition = demand.create_requisition(uow.session, current_principal(), data["demand_point"], lines,
                                                school_today(), data["note"])
        uow.commit()
    return requisition


@blp.get("/requisitions/<int:requisition_id>")
@blp.doc(security=SECURITY)
@require_roles(*STAFF_ROLES)
@blp.response(200, RequisitionOutSchema)
def show_requisition(requisition_id):
    with unit_of_work() as uow:
        requisition = demand.get_requisition(uow.session, current_principal(), requisition_id)
    return requisition, 200, {"ETag": f'"{requisition.version}"'}


@blp.get("/requisitions/<int:requisition_id>/history")
@blp.doc(security=SECURITY)
@require_roles(*STAFF_ROLES)
@blp.response(200, AuditSchema(many=True))
def requisition_history(requisition_id):
    with unit_of_work() as uow:
        requisition = demand.get_requisition(uow.session, current_principal(), requisition_id)
        return workflow.history(uow.session, workflow.REQUISITION, requisition.id)


@blp.post("/requisitions/<int:requisition_id>/submit")
@blp.doc(security=SECURITY)
@require_roles(*demand.RAISERS)
@blp.response(200, RequisitionOutSchema)
def submit_requisition(requisition_id):
    with unit_of_work() as uow:
        requisition = demand.submit_requisition(uow.session, current_principal(), requisition_id)
        uow.commit()
    return requisition


@blp.post("/requisitions/<int:requisition_id>/approve")
@blp.doc(security=SECURITY)
@require_roles(*demand.DECIDERS)
@blp.arguments(ReasonSchema)
@blp.response(200, RequisitionOutSchema)
def approve_requisition(data, requisition_id):
    with unit_of_work() as uow:
        requisition = demand.decide_requisition(uow.session, current_principal(), requisition_id, "approve",
                                                data["reason"])
        uow.commit()
    return requisition


@blp.post("/requisitions/<int:requisition_id>/reject")
@blp.doc(security=SECURITY)
@require_roles(*demand.DECIDERS)
@blp.arguments(ReasonSchema)
@blp.response(200, RequisitionOutSchema)
def reject_requisition(data, requisition_id):
    with unit_of_work() as uow:
        requisition = demand.decide_requisition(uow.session, current_principal(), requisition_id, "reject",
                                                data["reason"])
        uow.commit()
    return requisition

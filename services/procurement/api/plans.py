from shared.auth import STAFF_ROLES, current_principal, require_roles
from shared.idempotency import idempotent
from shared.pagination import PageQuerySchema, page_schema
from shared.web import Blueprint, unit_of_work

from .. import consolidation
from ..schemas import PlanRequestSchema, PlanSchema

blp = Blueprint("purchase_plans", __name__, url_prefix="/api/purchase-plans",
                description="Consolidation of approved requisitions into purchase plans (集中采购)")
SECURITY = [{"bearerAuth": []}]
PLANNERS = ("procurement_officer", "admin")


@blp.post("")
@blp.doc(security=SECURITY)
@require_roles(*PLANNERS)
@idempotent
@blp.arguments(PlanRequestSchema)
@blp.response(201, PlanSchema)
def create_plan(data):
    with unit_of_work() as uow:
        plan = consolidation.consolidate(uow.session, current_principal(), data["window_start"], data["window_end"],
                                         data["window_days"])
        uow.commit()
        return consolidation.get_plan(uow.session, current_principal(), plan.id)


@blp.get("")
@blp.doc(security=SECURITY)
@require_roles(*STAFF_ROLES)
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, page_schema(PlanSchema))
def list_plans(query):
    with unit_of_work() as uow:
        return consolidation.list_plans(uow.session, current_principal(), **query)


@blp.get("/<int:plan_id>")
@blp.doc(security=SECURITY)
@require_roles(*STAFF_ROLES)
@blp.response(200, PlanSchema)
def show_plan(plan_id):
    with unit_of_work() as uow:
        return consolidation.get_plan(uow.session, current_principal(), plan_id)

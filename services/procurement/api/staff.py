from shared.auth import current_principal, require_roles
from shared.web import Blueprint, unit_of_work

from .. import accounts
from ..schemas import AssignDemandPointSchema, StaffSchema

blp = Blueprint("staff", __name__, url_prefix="/api/staff", description="Staff accounts and their demand points")
SECURITY = [{"bearerAuth": []}]


def _dump(session, user):
    return {"id": user.id, "username": user.username, "display_name": user.display_name, "roles": user.roles,
            "demand_point": accounts.demand_point_code(session, user)}


@blp.get("")
@blp.doc(security=SECURITY)
@require_roles("admin")
@blp.response(200, StaffSchema(many=True))
def list_staff():
    with unit_of_work() as uow:
        return [_dump(uow.session, user) for user in accounts.list_staff(uow.session, current_principal())]


@blp.put("/<int:user_id>/demand-point")
@blp.doc(security=SECURITY)
@require_roles("admin")
@blp.arguments(AssignDemandPointSchema)
@blp.response(200, StaffSchema)
def assign_demand_point(data, user_id):
    with unit_of_work() as uow:
        user = accounts.assign_demand_point(uow.session, current_principal(), user_id, data["demand_point"])
        uow.commit()
        return _dump(uow.session, user)

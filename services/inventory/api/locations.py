from flask_smorest import Blueprint
from sqlalchemy import select

from shared.auth import STAFF_ROLES, current_principal, require_roles, scoped
from shared.web import unit_of_work

from ..models import Location
from ..schemas import LocationSchema

blp = Blueprint("locations", __name__, url_prefix="/api/locations", description="Stock locations")


@blp.get("")
@blp.doc(security=[{"bearerAuth": []}])
@require_roles(*STAFF_ROLES)
@blp.response(200, LocationSchema(many=True))
def index():
    with unit_of_work() as uow:
        return list(uow.session.scalars(scoped(select(Location), Location, current_principal()).order_by(Location.id)))

from sqlalchemy import select

from shared.auth import STAFF_ROLES, current_principal, require_roles, scoped
from shared.web import Blueprint, unit_of_work

from ..expiry_alerts import set_alert_days
from ..models import Location
from ..schemas import ExpiryAlertDaysSchema, LocationSchema
from .common import SECURITY, WRITERS

blp = Blueprint("locations", __name__, url_prefix="/api/locations", description="Stock locations")


@blp.get("")
@blp.doc(security=[{"bearerAuth": []}])
@require_roles(*STAFF_ROLES)
@blp.response(200, LocationSchema(many=True))
def index():
    with unit_of_work() as uow:
        return list(uow.session.scalars(scoped(select(Location), Location, current_principal()).order_by(Location.id)))


@blp.put("/<int:location_id>/expiry-alert-days")
@blp.doc(security=SECURITY)
@require_roles(*WRITERS)
@blp.arguments(ExpiryAlertDaysSchema)
@blp.response(200, LocationSchema)
def put_expiry_alert_days(data, location_id):
    """How many days ahead the daily expiry alert looks at this location (null: the default, 3)."""
    with unit_of_work() as uow:
        location = set_alert_days(uow.session, current_principal(), location_id, data["expiry_alert_days"])
        uow.commit()
    return location

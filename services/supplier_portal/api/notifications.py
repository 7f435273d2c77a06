from shared.auth import require_roles
from shared.web import Blueprint, unit_of_work

from ..notifications import list_notifications, mark_read
from ..schemas import NotificationPageSchema, NotificationQuerySchema, NotificationSchema
from .common import AUTH, SUPPLIER_USERS, current_principal

blp = Blueprint("notifications", __name__, url_prefix="/api/notifications", description="In-portal notifications")


@blp.get("")
@blp.doc(security=AUTH)
@require_roles(*SUPPLIER_USERS)
@blp.arguments(NotificationQuerySchema, location="query")
@blp.response(200, NotificationPageSchema)
def index(query):
    with unit_of_work() as uow:
        return list_notifications(uow.session, current_principal(), **query)


@blp.post("/<int:notification_id>/read")
@blp.doc(security=AUTH)
@require_roles(*SUPPLIER_USERS)
@blp.response(200, NotificationSchema)
def read(notification_id):
    with unit_of_work() as uow:
        notification = mark_read(uow.session, current_principal(), notification_id)
        uow.commit()
    return notification

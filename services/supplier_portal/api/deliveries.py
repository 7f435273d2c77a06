from shared.auth import require_roles
from shared.idempotency import idempotent
from shared.web import Blueprint, unit_of_work

from ..fulfilment import create_delivery_note, get_delivery_note, list_delivery_notes
from ..schemas import DeliveryNotePageSchema, DeliveryNoteQuerySchema, DeliveryNoteSchema, NewDeliveryNoteSchema
from .common import AUTH, SUPPLIER_USERS, current_principal, today

blp = Blueprint("deliveries", __name__, url_prefix="/api", description="Delivery notes (送货单) and their inspection")


@blp.post("/orders/<int:order_id>/delivery-notes")
@blp.doc(security=AUTH)
@require_roles(*SUPPLIER_USERS)
@idempotent
@blp.arguments(NewDeliveryNoteSchema)
@blp.response(201, DeliveryNoteSchema)
def create(data, order_id):
    """Announce a delivery of an acknowledged order: lots, dates, certificates; at most what is still to deliver."""
    with unit_of_work() as uow:
        note = create_delivery_note(uow.session, current_principal(), order_id, data["planned_at"], data["lines"],
                                    today())
        uow.commit()
    return note


@blp.get("/delivery-notes")
@blp.doc(security=AUTH)
@require_roles(*SUPPLIER_USERS)
@blp.arguments(DeliveryNoteQuerySchema, location="query")
@blp.response(200, DeliveryNotePageSchema)
def index(query):
    with unit_of_work() as uow:
        return list_delivery_notes(uow.session, current_principal(), **query)


@blp.get("/delivery-notes/<int:note_id>")
@blp.doc(security=AUTH)
@require_roles(*SUPPLIER_USERS)
@blp.response(200, DeliveryNoteSchema)
def show(note_id):
    """The note with the school's inspection result once the goods were received."""
    with unit_of_work() as uow:
        return get_delivery_note(uow.session, current_principal(), note_id)

from shared.auth import require_roles
from shared.web import Blueprint, unit_of_work

from ..orders import acknowledge_order, decline_order, get_order, list_orders
from ..schemas import AcknowledgeSchema, DeclineSchema, OrderPageSchema, OrderQuerySchema, OrderSchema
from .common import AUTH, SUPPLIER_USERS, current_principal

blp = Blueprint("orders", __name__, url_prefix="/api/orders", description="Orders sent to the supplier")


@blp.get("")
@blp.doc(security=AUTH)
@require_roles(*SUPPLIER_USERS)
@blp.arguments(OrderQuerySchema, location="query")
@blp.response(200, OrderPageSchema)
def index(query):
    with unit_of_work() as uow:
        return list_orders(uow.session, current_principal(), **query)


@blp.get("/<int:order_id>")
@blp.doc(security=AUTH)
@require_roles(*SUPPLIER_USERS)
@blp.response(200, OrderSchema)
def show(order_id):
    """The order with, per line, what was accepted, rejected, is on its way and invoiced."""
    with unit_of_work() as uow:
        return get_order(uow.session, current_principal(), order_id)


@blp.post("/<int:order_id>/acknowledge")
@blp.doc(security=AUTH)
@require_roles(*SUPPLIER_USERS)
@blp.arguments(AcknowledgeSchema)
@blp.response(200, OrderSchema)
def acknowledge(data, order_id):
    """Accept the revision of the order the supplier read (409 if it is no longer open to an answer)."""
    with unit_of_work() as uow:
        order = acknowledge_order(uow.session, current_principal(), order_id, data["revision"])
        uow.commit()
    return order


@blp.post("/<int:order_id>/decline")
@blp.doc(security=AUTH)
@require_roles(*SUPPLIER_USERS)
@blp.arguments(DeclineSchema)
@blp.response(200, OrderSchema)
def decline(data, order_id):
    with unit_of_work() as uow:
        order = decline_order(uow.session, current_principal(), order_id, data["revision"], data["reason"])
        uow.commit()
    return order

from shared.auth import STAFF_ROLES, current_principal, require_roles
from shared.idempotency import idempotent
from shared.pagination import page_schema
from shared.web import Blueprint, unit_of_work

from .. import orders, workflow
from ..schemas import (
    AmendSchema,
    ApprovalRulesSchema,
    AuditSchema,
    DeliveryNoticeSchema,
    OrderFromPlanSchema,
    OrderInSchema,
    OrderQuery,
    OrderSchema,
    ReasonSchema,
)
from .catalogue import if_match_version, school_today

blp = Blueprint("purchase_orders", __name__, url_prefix="/api", description="Purchase orders and their approval")
SECURITY = [{"bearerAuth": []}]


def _etag(order):
    return order, 200, {"ETag": f'"{order.version}"'}


@blp.post("/purchase-orders")
@blp.doc(security=SECURITY)
@require_roles(*orders.CREATORS)
@idempotent
@blp.arguments(OrderInSchema)
@blp.response(201, OrderSchema)
def create_order(data):
    """With `"send": true`, a small direct purchase is also submitted, approved under the school's rules
    and sent (`po.sent`) in this one request: only for a procurement officer or an admin (403 otherwise),
    and only when no approver is needed (422 naming `send` otherwise)."""
    lines = [orders.LineInput(**line) for line in data["lines"]]
    create = orders.create_and_send_order if data["send"] else orders.create_order
    with unit_of_work() as uow:
        order = create(uow.session, current_principal(), data["supplier_id"], lines, school_today(), data["note"])
        uow.commit()
    return order, 201, {"ETag": f'"{order.version}"'}


@blp.post("/purchase-plans/<int:plan_id>/purchase-orders")
@blp.doc(security=SECURITY)
@require_roles(*orders.BUYERS)
@idempotent
@blp.arguments(OrderFromPlanSchema)
@blp.response(201, OrderSchema)
def create_order_from_plan(data, plan_id):
    prices = {price["plan_line_id"]: price["unit_price"] for price in data["prices"]}
    with unit_of_work() as uow:
        order = orders.create_order_from_plan(uow.session, current_principal(), plan_id, data["supplier_id"], prices,
                                              school_today(), data["note"])
        uow.commit()
    return order, 201, {"ETag": f'"{order.version}"'}


@blp.get("/purchase-orders")
@blp.doc(security=SECURITY)
@require_roles(*STAFF_ROLES)
@blp.arguments(OrderQuery, location="query")
@blp.response(200, page_schema(OrderSchema))
def list_orders(query):
    with unit_of_work() as uow:
        return orders.list_orders(uow.session, current_principal(), **query)


@blp.get("/purchase-orders/<int:order_id>")
@blp.doc(security=SECURITY)
@require_roles(*STAFF_ROLES)
@blp.response(200, OrderSchema)
def show_order(order_id):
    with unit_of_work() as uow:
        return _etag(orders.get_order(uow.session, current_principal(), order_id))


@blp.get("/purchase-orders/<int:order_id>/history")
@blp.doc(security=SECURITY)
@require_roles(*STAFF_ROLES)
@blp.response(200, AuditSchema(many=True))
def order_history(order_id):
    with unit_of_work() as uow:
        order = orders.get_order(uow.session, current_principal(), order_id)
        return workflow.history(uow.session, workflow.PURCHASE_ORDER, order.id)


@blp.get("/purchase-orders/<int:order_id>/deliveries")
@blp.doc(security=SECURITY)
@require_roles(*STAFF_ROLES)
@blp.response(200, DeliveryNoticeSchema(many=True))
def order_deliveries(order_id):
    with unit_of_work() as uow:
        return orders.deliveries_of(uow.session, current_principal(), order_id)


@blp.post("/purchase-orders/<int:order_id>/submit")
@blp.doc(security=SECURITY)
@require_roles(*orders.CREATORS)
@blp.response(200, OrderSchema)
def submit_order(order_id):
    expected = if_match_version()
    with unit_of_work() as uow:
        order = orders.submit_order(uow.session, current_principal(), order_id, expected)
        uow.commit()
    return _etag(order)


@blp.post("/purchase-orders/<int:order_id>/approve")
@blp.doc(security=SECURITY)
@require_roles("approver")
@blp.arguments(ReasonSchema)
@blp.response(200, OrderSchema)
def approve_order(data, order_id):
    expected = if_match_version()
    with unit_of_work() as uow:
        order = orders.approve_order(uow.session, current_principal(), order_id, data["reason"], expected)
        uow.commit()
    return _etag(order)


def _move(order_id, action, reason=None):
    expected = if_match_version()
    with unit_of_work() as uow:
        order = orders.transition(uow.session, current_principal(), order_id, action, reason, expected)
        uow.commit()
    return _etag(order)


@blp.post("/purchase-orders/<int:order_id>/reject")
@blp.doc(security=SECURITY)
@require_roles("approver")
@blp.arguments(ReasonSchema)
@blp.response(200, OrderSchema)
def reject_order(data, order_id):
    return _move(order_id, "reject", data["reason"])


@blp.post("/purchase-orders/<int:order_id>/cancel")
@blp.doc(security=SECURITY)
@require_roles(*orders.BUYERS)
@blp.arguments(ReasonSchema)
@blp.response(200, OrderSchema)
def cancel_order(data, order_id):
    return _move(order_id, "cancel", data["reason"])


@blp.post("/purchase-orders/<int:order_id>/send")
@blp.doc(security=SECURITY)
@require_roles(*orders.BUYERS)
@blp.response(200, OrderSchema)
def send_order(order_id):
    return _move(order_id, "send")


@blp.post("/purchase-orders/<int:order_id>/amend")
@blp.doc(security=SECURITY)
@require_roles(*orders.BUYERS)
@blp.arguments(AmendSchema)
@blp.response(200, OrderSchema)
def amend_order(data, order_id):
    expected = if_match_version()
    with unit_of_work() as uow:
        order = orders.amend_order(uow.session, current_principal(), order_id, data["lines"], data["reason"],
                                   school_today(), expected)
        uow.commit()
    return _etag(order)


@blp.post("/purchase-orders/<int:order_id>/close")
@blp.doc(security=SECURITY)
@require_roles("procurement_officer", "finance", "admin")
@blp.arguments(ReasonSchema)
@blp.response(200, OrderSchema)
def close_order(data, order_id):
    return _move(order_id, "close", data["reason"])


@blp.get("/approval-rules")
@blp.doc(security=SECURITY)
@require_roles(*STAFF_ROLES)
@blp.response(200, ApprovalRulesSchema)
def show_approval_rules():
    with unit_of_work() as uow:
        rules = orders.approval_rules(uow.session, current_principal().school_id)
    return {"rules": [{"above_amount": above, "approvers": approvers} for above, approvers in rules]}


@blp.put("/approval-rules")
@blp.doc(security=SECURITY)
@require_roles("admin")
@blp.arguments(ApprovalRulesSchema)
@blp.response(200, ApprovalRulesSchema)
def set_approval_rules(data):
    with unit_of_work() as uow:
        rules = orders.set_approval_rules(uow.session, current_principal(),
                                          [(rule["above_amount"], rule["approvers"]) for rule in data["rules"]])
        uow.commit()
    return {"rules": [{"above_amount": above, "approvers": approvers} for above, approvers in rules]}

"""Purchase orders: raised by managers and buyers, approved (with the price check in view) by approvers."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from shared.auth import STAFF_ROLES
from shared.i18n import gettext as _
from shared.pages import load_form, page_principal, page_roles, refused_renders
from shared.pagination import PageQuerySchema
from shared.web import unit_of_work

from .. import agreements, demand, orders, quotations, workflow
from ..api.catalogue import school_today
from ..catalogue import list_items
from ..pricing import check_for
from ..schemas import PO_STATES, AgreementOrderSchema, OrderInSchema, OrderQuery
from . import blp, form_reason, query_args

APPROVERS = ("approver",)
NEW_ORDER_LINES = 3  # rows offered on the new-order form; a row left without an item is not an order line


def _price_checks(session, order) -> dict[int, object]:
    """Per order line, the reference price, rule and limit in force today (None without a reference)."""
    return {line.id: check_for(session, line.item, school_today()) for line in order.lines}


@blp.get("/orders")
@page_roles(*STAFF_ROLES)
def order_list():
    with unit_of_work() as uow:
        return render_template("orders.html", states=PO_STATES,
                               may_raise=bool(page_principal().roles & set(orders.CREATORS)),
                               page=orders.list_orders(uow.session, page_principal(), **query_args(OrderQuery())))


@blp.get("/orders/new")
@page_roles(*orders.CREATORS)
def new_order():
    principal = page_principal()
    with unit_of_work() as uow:
        own = demand.own_demand_point(uow.session, principal)
        points = [point for point in demand.list_demand_points(uow.session, principal) if own in (None, point.id)]
        return render_template("order_new.html", suppliers=orders.approved_suppliers(uow.session), points=points,
                               agreements=agreements.list_agreements(uow.session, principal,
                                                                     in_force_on=school_today()),
                               items=list_items(uow.session, principal, active=True, per_page=500).items,
                               rows=range(1, NEW_ORDER_LINES + 1), today=school_today())


@blp.post("/orders")
@page_roles(*orders.CREATORS)
@refused_renders(".new_order")
def create_order():
    form = request.form
    lines = [{"item_id": form.get(f"line-{row}-item_id"), "quantity": form.get(f"line-{row}-quantity", "").strip(),
              "unit": form.get(f"line-{row}-unit") or None,
              "unit_price": form.get(f"line-{row}-unit_price", "").strip(),
              "destination": form.get(f"line-{row}-destination", ""),
              "delivery_date": form.get(f"line-{row}-delivery_date", "")}
             for row in range(1, NEW_ORDER_LINES + 1) if form.get(f"line-{row}-item_id")]
    data = load_form(OrderInSchema(), {"supplier_id": form.get("supplier_id", ""),
                                       "note": form.get("note", "").strip(), "lines": lines})
    with unit_of_work() as uow:
        order = orders.create_order(uow.session, page_principal(), data["supplier_id"],
                                    [orders.LineInput(**line) for line in data["lines"]], school_today(),
                                    data["note"])
        uow.commit()
        order_id, number = order.id, order.number
    flash(_("Order {number} was drafted; submit it for approval when it is right.", number=number), "ok")
    return redirect(url_for(".order", order_id=order_id))


@blp.post("/orders/agreement")
@page_roles(*orders.CREATORS)
@refused_renders(".new_order")
def order_from_agreement():
    form = request.form
    data = load_form(AgreementOrderSchema(), {"lines": [{
        "quantity": form.get("agreement-quantity", "").strip(), "unit": form.get("agreement-unit") or None,
        "destination": form.get("agreement-destination", ""),
        "delivery_date": form.get("agreement-delivery_date", "")}]})
    agreement_id = form.get("agreement_id", type=int) or 0  # none chosen: the agreement is not found
    with unit_of_work() as uow:
        order = agreements.order_from_agreement(uow.session, page_principal(), agreement_id, data["lines"],
                                                school_today(), data["note"])
        uow.commit()
        order_id, number = order.id, order.number
    flash(_("Order {number} was drafted; submit it for approval when it is right.", number=number), "ok")
    return redirect(url_for(".order", order_id=order_id))


@blp.get("/orders/<int:order_id>")
@page_roles(*STAFF_ROLES)
def order(order_id):
    principal = page_principal()
    with unit_of_work() as uow:
        shown = orders.get_order(uow.session, principal, order_id)
        plan_lines = [line.plan_line_id for line in shown.lines if line.plan_line_id]
        return render_template(
            "order.html", order=shown, checks=_price_checks(uow.session, shown),
            quotes=quotations.quotes_for_plan_lines(uow.session, principal, plan_lines) if plan_lines else {},
            history=workflow.history(uow.session, workflow.PURCHASE_ORDER, shown.id),
            deliveries=orders.deliveries_of(uow.session, principal, shown.id),
            user_id=principal.user_id, may_raise=bool(principal.roles & set(orders.CREATORS)),
            is_approver=bool(principal.roles & set(APPROVERS)), is_buyer=bool(principal.roles & set(orders.BUYERS)))


@blp.post("/orders/<int:order_id>/submit")
@page_roles(*orders.CREATORS)
@refused_renders(".order")
def submit_order(order_id):
    with unit_of_work() as uow:
        order = orders.submit_order(uow.session, page_principal(), order_id)
        uow.commit()
        state = order.state
    flash(_("The order was submitted and is now: {state}.", state=_(state)), "ok")
    return redirect(url_for(".order", order_id=order_id))


@blp.post("/orders/<int:order_id>/approve")
@page_roles(*APPROVERS)
@refused_renders(".order")
def approve_order(order_id):
    reason = form_reason()
    with unit_of_work() as uow:
        order = orders.approve_order(uow.session, page_principal(), order_id, reason)
        uow.commit()
        state = order.state
    flash(_("Your approval was recorded; the order is now: {state}.", state=_(state)), "ok")
    return redirect(url_for(".approvals") if state == "approved" else url_for(".order", order_id=order_id))


def _move(order_id, action):
    reason = form_reason()
    with unit_of_work() as uow:
        order = orders.transition(uow.session, page_principal(), order_id, action, reason)
        uow.commit()
        state = order.state
    flash(_("The order is now: {state}.", state=_(state)), "ok")
    return redirect(url_for(".order", order_id=order_id))


@blp.post("/orders/<int:order_id>/reject")
@page_roles(*APPROVERS)
@refused_renders(".order")
def reject_order(order_id):
    return _move(order_id, "reject")


@blp.post("/orders/<int:order_id>/<any(cancel, send):action>")
@page_roles(*orders.BUYERS)
@refused_renders(".order")
def buyer_moves_order(order_id, action):
    return _move(order_id, action)


@blp.get("/approvals")
@page_roles(*APPROVERS)
def approvals():
    principal = page_principal()
    with unit_of_work() as uow:
        page = orders.list_orders(uow.session, principal, state="pending_approval",
                                 **query_args(PageQuerySchema()))
        plan_lines = [line.plan_line_id for order in page.items for line in order.lines if line.plan_line_id]
        return render_template(
            "approvals.html", page=page, user_id=principal.user_id,
            checks={line_id: check for order in page.items for line_id, check in _price_checks(uow.session,
                                                                                                order).items()},
            quotes=quotations.quotes_for_plan_lines(uow.session, principal, plan_lines) if plan_lines else {},
            overrides=quotations.awaiting_override(uow.session, principal))

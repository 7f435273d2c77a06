"""The canteen manager's week: the menu and planned diners, the requisition they propose, and its review."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from shared.auth import STAFF_ROLES
from shared.i18n import gettext as _
from shared.pages import load_form, page_principal, page_roles, refused_renders
from shared.web import settings, unit_of_work

from .. import demand, menus, workflow
from ..api.catalogue import school_today
from ..models import Requisition
from ..schemas import REQUISITION_STATES, MenuQuery, RequisitionQuery, RevisedLineSchema
from . import blp, form_reason, per_line, query_args


@blp.get("/menus")
@page_roles(*STAFF_ROLES)
def menu_list():
    with unit_of_work() as uow:
        return render_template("menus.html", page=menus.list_menus(uow.session, page_principal(),
                                                                   **query_args(MenuQuery())))


@blp.get("/menus/<int:menu_id>")
@page_roles(*STAFF_ROLES)
def menu(menu_id):
    principal = page_principal()
    with unit_of_work() as uow:
        shown = menus.get_menu(uow.session, principal, menu_id)
        try:
            _, needs, first_use = menus.menu_needs(uow.session, principal, menu_id,
                                                   menus.on_hand_at(settings(), principal))
            unavailable = None
        except menus.InventoryUnavailable as refused:
            # the menu is still worth reading while inventory is away; only the proposal waits
            needs, first_use, unavailable = [], {}, refused.detail
        items = {ingredient.item_id: ingredient.item for meal in shown.meals for entry in meal.dishes
                 for ingredient in entry.dish.ingredients}
        requisition = uow.session.get(Requisition, shown.requisition_id) if shown.requisition_id else None
        return render_template("menu.html", week_menu=shown, needs=needs, first_use=first_use, items=items,
                               unavailable=unavailable, requisition=requisition,
                               may_plan=bool(principal.roles & set(menus.PLANNERS)))


@blp.post("/menus/<int:menu_id>/requisition")
@page_roles(*menus.PLANNERS)
@refused_renders(".menu")
def requisition_from_menu(menu_id):
    principal = page_principal()
    with unit_of_work() as uow:
        made = menus.requisition_from_menu(uow.session, principal, menu_id, school_today(),
                                           menus.on_hand_at(settings(), principal))
        uow.commit()
        requisition_id = made.id
    flash(_("Requisition {number} drafted from the menu: check its lines and submit it.", number=requisition_id),
          "ok")
    return redirect(url_for(".requisition", requisition_id=requisition_id))


@blp.get("/requisitions")
@page_roles(*STAFF_ROLES)
def requisition_list():
    principal = page_principal()
    with unit_of_work() as uow:
        # a manager's list is their own demand point's already: only school-wide roles filter by point
        school_wide = demand.own_demand_point(uow.session, principal) is None
        return render_template("requisitions.html", states=REQUISITION_STATES,
                               points=demand.list_demand_points(uow.session, principal) if school_wide else [],
                               page=demand.list_requisitions(uow.session, page_principal(),
                                                             **query_args(RequisitionQuery())))


@blp.get("/requisitions/<int:requisition_id>")
@page_roles(*STAFF_ROLES)
def requisition(requisition_id):
    principal = page_principal()
    with unit_of_work() as uow:
        shown = demand.get_requisition(uow.session, principal, requisition_id)
        return render_template(
            "requisition.html", requisition=shown, today=school_today(),
            history=workflow.history(uow.session, workflow.REQUISITION, shown.id),
            may_raise=bool(principal.roles & set(demand.RAISERS)),
            may_decide=bool(principal.roles & set(demand.DECIDERS)) and shown.created_by != principal.user_id)


@blp.post("/requisitions/<int:requisition_id>/lines")
@page_roles(*demand.RAISERS)
@refused_renders(".requisition")
def revise_requisition(requisition_id):
    principal = page_principal()
    with unit_of_work() as uow:
        line_ids = [line.id for line in demand.get_requisition(uow.session, principal, requisition_id).lines]
    changes = {line_id: load_form(RevisedLineSchema(), {"quantity": per_line("line", line_id, "quantity"),
                                                        "needed_by": per_line("line", line_id, "needed_by")})
               for line_id in line_ids}
    with unit_of_work() as uow:
        demand.revise_requisition(uow.session, principal, requisition_id, changes, school_today())
        uow.commit()
    flash(_("The requisition's lines were saved."), "ok")
    return redirect(url_for(".requisition", requisition_id=requisition_id))


@blp.post("/requisitions/<int:requisition_id>/submit")
@page_roles(*demand.RAISERS)
@refused_renders(".requisition")
def submit_requisition(requisition_id):
    with unit_of_work() as uow:
        demand.submit_requisition(uow.session, page_principal(), requisition_id)
        uow.commit()
    flash(_("The requisition was submitted for approval."), "ok")
    return redirect(url_for(".requisition", requisition_id=requisition_id))


@blp.post("/requisitions/<int:requisition_id>/<any(approve, reject):action>")
@page_roles(*demand.DECIDERS)
@refused_renders(".requisition")
def decide_requisition(requisition_id, action):
    reason = form_reason()
    with unit_of_work() as uow:
        demand.decide_requisition(uow.session, page_principal(), requisition_id, action, reason)
        uow.commit()
    flash(_("The requisition was approved.") if action == "approve" else _("The requisition was rejected."), "ok")
    return redirect(url_for(".requisition", requisition_id=requisition_id))

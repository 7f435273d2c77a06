"""The procurement officer's sourcing: consolidation into purchase plans, RFQs, quote comparison and awards."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from shared.auth import STAFF_ROLES
from shared.i18n import gettext as _
from shared.pages import load_form, local_moment, page_principal, page_roles, refused_renders
from shared.pagination import PageQuerySchema
from shared.web import unit_of_work

from .. import consolidation, quotations
from ..api.catalogue import school_today
from ..api.plans import PLANNERS
from ..api.rfqs import BUYERS
from ..schemas import RFQ_STATES, AwardSchema, PlanRequestSchema, RfqInSchema, RfqQuery
from . import blp, form_reason, per_line, query_args

AWARDERS = ("approver", "procurement_officer")


@blp.get("/plans")
@page_roles(*STAFF_ROLES)
def plan_list():
    with unit_of_work() as uow:
        return render_template("plans.html", today=school_today(),
                               may_consolidate=bool(page_principal().roles & set(PLANNERS)),
                               page=consolidation.list_plans(uow.session, page_principal(),
                                                             **query_args(PageQuerySchema())))


@blp.post("/plans")
@page_roles(*PLANNERS)
@refused_renders(".plan_list")
def consolidate():
    data = load_form(PlanRequestSchema(), {name: request.form.get(name, "").strip()
                                           for name in ("window_start", "window_end", "window_days")})
    with unit_of_work() as uow:
        plan = consolidation.consolidate(uow.session, page_principal(), data["window_start"], data["window_end"],
                                         data["window_days"])
        uow.commit()
        plan_id = plan.id
    flash(_("The approved requisitions were consolidated into purchase plan {number}.", number=plan_id), "ok")
    return redirect(url_for(".plan", plan_id=plan_id))


@blp.get("/plans/<int:plan_id>")
@page_roles(*STAFF_ROLES)
def plan(plan_id):
    with unit_of_work() as uow:
        return render_template("plan.html", plan=consolidation.get_plan(uow.session, page_principal(), plan_id),
                               may_issue=bool(page_principal().roles & set(BUYERS)))


@blp.post("/plans/<int:plan_id>/rfqs")
@page_roles(*BUYERS)
@refused_renders(".plan")
def issue_rfq(plan_id):
    data = load_form(RfqInSchema(), {"plan_line_ids": request.form.getlist("plan_line_ids"),
                                     "title": request.form.get("title", "").strip(),
                                     "quote_deadline": local_moment(request.form.get("quote_deadline", "").strip())})
    with unit_of_work() as uow:
        rfq = quotations.issue_rfq(uow.session, page_principal(), plan_id, data["plan_line_ids"], data["title"],
                                   data["quote_deadline"], school_today())
        uow.commit()
        rfq_id, number = rfq.id, rfq.number
    flash(_("{number} was issued to the approved suppliers.", number=number), "ok")
    return redirect(url_for(".rfq", rfq_id=rfq_id))


@blp.get("/rfqs")
@page_roles(*STAFF_ROLES)
def rfq_list():
    with unit_of_work() as uow:
        return render_template("rfqs.html", states=RFQ_STATES,
                               page=quotations.list_rfqs(uow.session, page_principal(), **query_args(RfqQuery())))


@blp.get("/rfqs/<int:rfq_id>")
@page_roles(*STAFF_ROLES)
def rfq(rfq_id):
    principal = page_principal()
    with unit_of_work() as uow:
        shown = quotations.get_rfq(uow.session, principal, rfq_id)
        return render_template("rfq.html", rfq=shown, comparison=quotations.comparison(shown),
                               may_award=bool(principal.roles & set(AWARDERS)),
                               is_approver="approver" in principal.roles,
                               may_order=bool(principal.roles & set(BUYERS)))


@blp.post("/rfqs/<int:rfq_id>/award")
@page_roles(*AWARDERS)
@refused_renders(".rfq")
def award(rfq_id):
    principal = page_principal()
    with unit_of_work() as uow:
        line_ids = [line.id for line in quotations.get_rfq(uow.session, principal, rfq_id).lines]
    data = load_form(AwardSchema(), {"awards": [
        {"rfq_line_id": line_id, "quote_line_id": per_line("award", line_id, "quote_line_id"),
         "reason": per_line("award", line_id, "reason") or None,
         "override_reason": per_line("award", line_id, "override_reason") or None} for line_id in line_ids]})
    with unit_of_work() as uow:
        quotations.award(uow.session, principal, rfq_id, data["awards"], school_today())
        uow.commit()
    flash(_("The request for quotation was awarded."), "ok")
    return redirect(url_for(".rfq", rfq_id=rfq_id))


@blp.post("/rfqs/<int:rfq_id>/orders")
@page_roles(*BUYERS)
@refused_renders(".rfq")
def order_awarded(rfq_id):
    with unit_of_work() as uow:
        created = quotations.order_awarded(uow.session, page_principal(), rfq_id, school_today())
        uow.commit()
        numbers = "、".join(order.number for order in created)
    flash(_("Draft orders {numbers} were raised from the award.", numbers=numbers), "ok")
    return redirect(url_for(".order_list"))


@blp.post("/rfqs/<int:rfq_id>/cancel")
@page_roles(*BUYERS)
@refused_renders(".rfq")
def cancel_rfq(rfq_id):
    reason = form_reason()
    with unit_of_work() as uow:
        quotations.cancel_rfq(uow.session, page_principal(), rfq_id, reason)
        uow.commit()
    flash(_("The request for quotation was cancelled."), "ok")
    return redirect(url_for(".rfq", rfq_id=rfq_id))

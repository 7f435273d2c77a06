"""Procurement's pages, one module per kind of work: the staff home and supplier invitations here;
menus and requisitions (canteen managers), orders and approvals, sourcing (plans, RFQs, awards) and
finance (invoices, payments, spend). Each page calls the API's domain functions inside one unit of
work with the signed-in principal, so a page allows and refuses exactly what the API does."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from marshmallow import Schema
from sqlalchemy import select

from shared.auth import STAFF_ROLES, issue_token
from shared.i18n import gettext as _
from shared.pages import load_form, page_principal, page_roles, refused_renders
from shared.pagination import paginate
from shared.web import settings, unit_of_work

from ..accounts import authenticate
from ..api.invitations import BUYERS
from ..invitations import invite_supplier
from ..models import SupplierInvitation
from ..schemas import InvitationSchema, ReasonSchema

blp = Blueprint("procurement_pages", __name__)
PER_PAGE = 20


def query_args(schema: Schema) -> dict:
    """A list page's filters and page number through the API's own query schema."""
    return load_form(schema, {**request.args.to_dict(), "per_page": PER_PAGE})


def form_reason() -> str | None:
    """The reason a form gives for a decision, through the API's ReasonSchema (blank is none)."""
    return load_form(ReasonSchema(), {"reason": request.form.get("reason", "").strip() or None})["reason"]


def per_line(prefix: str, line_id: int, name: str) -> str:
    return request.form.get(f"{prefix}-{line_id}-{name}", "").strip()


def sign_in(username: str, password: str) -> str:
    with unit_of_work() as uow:
        try:
            principal = authenticate(uow.session, username, password)
        finally:
            uow.commit()  # failed attempts count towards the lockout
    config = settings()
    return issue_token(principal, config.secret_key, config.token_ttl_seconds)


@blp.get("/")
@page_roles(*STAFF_ROLES)
def home():
    return render_template("home.html", roles=sorted(page_principal().roles))


@blp.get("/supplier-invitations")
@page_roles(*BUYERS)
def supplier_invitations():
    page_number = request.args.get("page", 1, type=int)
    with unit_of_work() as uow:
        statement = (select(SupplierInvitation).where(SupplierInvitation.school_id == page_principal().school_id)
                     .order_by(SupplierInvitation.id.desc()))
        page = paginate(uow.session, statement, max(page_number, 1), 20)
    return render_template("supplier_invitations.html", page=page)


@blp.post("/supplier-invitations")
@page_roles(*BUYERS)
@refused_renders(".supplier_invitations")
def invite():
    data = load_form(InvitationSchema(), {"company_name": request.form.get("company_name", "").strip(),
                                          "contact_email": request.form.get("contact_email", "").strip(),
                                          "categories": request.form.getlist("categories")})
    with unit_of_work() as uow:
        invite_supplier(uow.session, page_principal(), **data)
        uow.commit()
    flash(_("{name} was invited to register on the supplier portal.", name=data["company_name"]), "ok")
    return redirect(url_for(".supplier_invitations"))


from . import finance, orders, requisitions, sourcing  # noqa: E402,F401  (their routes join the blueprint)

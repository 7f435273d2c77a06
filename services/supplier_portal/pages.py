"""The supplier's pages: dashboard, orders (acknowledge, decline, deliver, invoice) and RFQs (quote).

Every page calls the same domain functions as the API, inside one unit of work, with the
signed-in principal, so the isolation helper scopes what a page shows exactly as it scopes
the API; a refused action raises the domain error the shared error page explains.
"""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for

from shared.auth import issue_token
from shared.errors import Unauthorized
from shared.i18n import gettext as _
from shared.pages import (
    TOKEN_KEY,
    is_page_request,
    load_form,
    local_moment,
    page_principal,
    page_roles,
    refused_renders,
)
from shared.web import settings, unit_of_work

from .accounts import authenticate, ensure_active_user
from .api.common import SUPPLIER_USERS, now, today
from .fulfilment import create_delivery_note, list_delivery_notes
from .invoicing import list_invoices, submit_invoice
from .orders import acknowledge_order, decline_order, get_order, list_orders
from .quotations import get_rfq, list_rfqs, save_draft, submit_quote
from .schemas import (
    DeclineSchema,
    DraftQuoteSchema,
    NewDeliveryNoteSchema,
    NewInvoiceSchema,
    SubmitQuoteSchema,
)

blp = Blueprint("portal_pages", __name__)
DASHBOARD_ROWS = 10
PER_PAGE = 20


def page_number() -> int:
    return max(request.args.get("page", 1, type=int), 1)


def sign_in(email: str, password: str) -> str:
    with unit_of_work() as uow:
        try:
            principal = authenticate(uow.session, email, password)
        finally:
            uow.commit()  # failed attempts count towards the lockout, as on the API
    config = settings()
    return issue_token(principal, config.secret_key, config.token_ttl_seconds)


@blp.before_app_request
def forget_stale_page_sessions():
    """The cookie's token is held to the API's rule: a deactivated user or changed role signs out at once."""
    if not is_page_request():
        return
    principal = page_principal()
    if principal is None or not principal.is_supplier:
        return
    with unit_of_work() as uow:
        try:
            ensure_active_user(uow.session, principal)
        except Unauthorized:
            session.pop(TOKEN_KEY, None)
            g.page_principal = None


def _per_line(prefix: str, line_id: int, name: str) -> str:
    return request.form.get(f"{prefix}-{line_id}-{name}", "").strip()


@blp.get("/")
@page_roles(*SUPPLIER_USERS)
def dashboard():
    principal = page_principal()
    with unit_of_work() as uow:
        return render_template(
            "dashboard.html",
            rfqs=list_rfqs(uow.session, principal, 1, DASHBOARD_ROWS, now=now(), open=True),
            to_acknowledge=list_orders(uow.session, principal, 1, DASHBOARD_ROWS, status="sent"),
            to_deliver=list_orders(uow.session, principal, 1, DASHBOARD_ROWS, status="acknowledged"),
            deliveries=list_delivery_notes(uow.session, principal, 1, DASHBOARD_ROWS, status="dispatched"),
            invoices=list_invoices(uow.session, principal, 1, DASHBOARD_ROWS))


@blp.get("/orders")
@page_roles(*SUPPLIER_USERS)
def orders():
    with unit_of_work() as uow:
        return render_template("orders.html", page=list_orders(uow.session, page_principal(), page_number(),
                                                                PER_PAGE))


@blp.get("/orders/<int:order_id>")
@page_roles(*SUPPLIER_USERS)
def order(order_id):
    principal = page_principal()
    with unit_of_work() as uow:
        shown = get_order(uow.session, principal, order_id)
        return render_template(
            "order.html", order=shown, today=today(),
            notes=list_delivery_notes(uow.session, principal, 1, 100, order_id=shown.id).items,
            invoices=list_invoices(uow.session, principal, 1, 100, order_id=shown.id).items)


@blp.post("/orders/<int:order_id>/acknowledge")
@page_roles(*SUPPLIER_USERS)
@refused_renders(".order")
def acknowledge(order_id):
    revision = request.form.get("revision", type=int) or 0
    with unit_of_work() as uow:
        answered = acknowledge_order(uow.session, page_principal(), order_id, revision)
        uow.commit()
        number = answered.number
    flash(_("Order {number} acknowledged.", number=number), "ok")
    return redirect(url_for(".order", order_id=order_id))


@blp.post("/orders/<int:order_id>/decline")
@page_roles(*SUPPLIER_USERS)
@refused_renders(".order")
def decline(order_id):
    data = load_form(DeclineSchema(), {"revision": request.form.get("revision", ""),
                                       "reason": request.form.get("reason", "").strip()})
    with unit_of_work() as uow:
        answered = decline_order(uow.session, page_principal(), order_id, data["revision"], data["reason"])
        uow.commit()
        number = answered.number
    flash(_("Order {number} declined.", number=number), "ok")
    return redirect(url_for(".order", order_id=order_id))


@blp.post("/orders/<int:order_id>/delivery-notes")
@page_roles(*SUPPLIER_USERS)
@refused_renders(".order")
def deliver(order_id):
    principal = page_principal()
    with unit_of_work() as uow:
        line_ids = [line.po_line_id for line in get_order(uow.session, principal, order_id).lines]
    lines = []
    for line_id in line_ids:
        quantity = _per_line("deliver", line_id, "quantity")
        if not quantity:
            continue  # a line left empty is not in this delivery
        lines.append({"po_line_id": line_id, "quantity": quantity,
                      "lot_number": _per_line("deliver", line_id, "lot_number"),
                      "production_date": _per_line("deliver", line_id, "production_date"),
                      "expiry_date": _per_line("deliver", line_id, "expiry_date") or None,
                      "certificate_ref": _per_line("deliver", line_id, "certificate_ref")})
    data = load_form(NewDeliveryNoteSchema(), {
        "planned_at": local_moment(request.form.get("planned_at", "").strip()), "lines": lines})
    with unit_of_work() as uow:
        note = create_delivery_note(uow.session, principal, order_id, data["planned_at"], data["lines"], today())
        uow.commit()
        number = note.number
    flash(_("Delivery note {number} sent to the school.", number=number), "ok")
    return redirect(url_for(".order", order_id=order_id))


@blp.post("/orders/<int:order_id>/invoices")
@page_roles(*SUPPLIER_USERS)
@refused_renders(".order")
def invoice(order_id):
    principal = page_principal()
    with unit_of_work() as uow:
        line_ids = [line.po_line_id for line in get_order(uow.session, principal, order_id).lines]
    lines = [{"po_line_id": line_id, "quantity": quantity}
             for line_id in line_ids if (quantity := _per_line("invoice", line_id, "quantity"))]
    data = load_form(NewInvoiceSchema(), {"invoice_number": request.form.get("invoice_number", "").strip(),
                                          "issued_on": request.form.get("issued_on", "").strip(), "lines": lines})
    with unit_of_work() as uow:
        submitted = submit_invoice(uow.session, principal, order_id, data["invoice_number"], data["issued_on"],
                                   data["lines"], today(), now())
        uow.commit()
        number, total = submitted.invoice_number, submitted.total
    flash(_("Invoice {number} for {total} submitted.", number=number, total=f"¥{total:,.2f}"), "ok")
    return redirect(url_for(".order", order_id=order_id))


@blp.get("/rfqs")
@page_roles(*SUPPLIER_USERS)
def rfqs():
    with unit_of_work() as uow:
        return render_template("rfqs.html", now=now(),
                               page=list_rfqs(uow.session, page_principal(), page_number(), PER_PAGE, now=now()))


@blp.get("/rfqs/<int:rfq_id>")
@page_roles(*SUPPLIER_USERS)
def rfq(rfq_id):
    with unit_of_work() as uow:
        shown = get_rfq(uow.session, page_principal(), rfq_id)
        quoted = {line.rfq_line_id: line for line in shown.quote.lines} if shown.quote else {}
        return render_template("rfq.html", rfq=shown, quote=shown.quote, quoted=quoted, now=now())


@blp.post("/rfqs/<int:rfq_id>/quote")
@page_roles(*SUPPLIER_USERS)
@refused_renders(".rfq")
def quote(rfq_id):
    principal = page_principal()
    draft = request.form.get("action") == "draft"
    with unit_of_work() as uow:
        line_ids = [line.rfq_line_id for line in get_rfq(uow.session, principal, rfq_id).lines]
    lines = []
    for line_id in line_ids:
        price, note = _per_line("quote", line_id, "unit_price"), _per_line("quote", line_id, "note")
        if price or draft:  # a submitted quote names the lines it prices; a draft keeps every line
            lines.append({"rfq_line_id": line_id, "unit_price": price or None, "note": note})
    valid_until = request.form.get("valid_until", "").strip()
    with unit_of_work() as uow:
        if draft:
            data = load_form(DraftQuoteSchema(), {"valid_until": valid_until or None, "lines": lines})
            save_draft(uow.session, principal, rfq_id, data["valid_until"], data["lines"], now(), today())
            message = _("Draft quote saved.")
        else:
            data = load_form(SubmitQuoteSchema(), {"valid_until": valid_until, "lines": lines})
            submit_quote(uow.session, principal, rfq_id, data["valid_until"], data["lines"], now(), today())
            message = _("Quote submitted to the school.")
        uow.commit()
    flash(message, "ok")
    return redirect(url_for(".rfq", rfq_id=rfq_id))


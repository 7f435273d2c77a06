"""The supplier's pages over its records: quotes with their outcomes, delivery notes with the inspection,
invoices with what the school made of them, scorecards and notifications.

The same domain functions as the API, scoped by the isolation helper to the signed-in supplier.
"""
from __future__ import annotations

from flask import redirect, render_template, request, url_for

from shared.i18n import gettext as _
from shared.pages import page_principal, page_roles
from shared.web import unit_of_work

from .api.common import SUPPLIER_USERS
from .fulfilment import get_delivery_note, list_delivery_notes
from .invoicing import get_invoice, list_invoices
from .notifications import list_notifications, mark_read, wording
from .orders import get_order
from .pages import PER_PAGE, blp, page_number
from .quotations import list_quotes
from .schemas import QUOTE_OUTCOMES
from .scorecards import list_scorecards


@blp.get("/quotes")
@page_roles(*SUPPLIER_USERS)
def quotes():
    outcome = request.args.get("outcome")
    with unit_of_work() as uow:
        page = list_quotes(uow.session, page_principal(), page_number(), PER_PAGE,
                           outcome=outcome if outcome in QUOTE_OUTCOMES else None)
        return render_template("quotes.html", page=page, outcomes=QUOTE_OUTCOMES, chosen=outcome)


@blp.get("/delivery-notes")
@page_roles(*SUPPLIER_USERS)
def delivery_notes():
    with unit_of_work() as uow:
        return render_template("delivery_notes.html",
                               page=list_delivery_notes(uow.session, page_principal(), page_number(), PER_PAGE))


@blp.get("/delivery-notes/<int:note_id>")
@page_roles(*SUPPLIER_USERS)
def delivery_note(note_id):
    principal = page_principal()
    with unit_of_work() as uow:
        note = get_delivery_note(uow.session, principal, note_id)
        order = get_order(uow.session, principal, note.order_id)
        return render_template("delivery_note.html", note=note, order=order,
                               items={line.po_line_id: line for line in order.lines})


@blp.get("/invoices")
@page_roles(*SUPPLIER_USERS)
def invoices():
    with unit_of_work() as uow:
        return render_template("invoices.html",
                               page=list_invoices(uow.session, page_principal(), page_number(), PER_PAGE))


@blp.get("/invoices/<int:invoice_id>")
@page_roles(*SUPPLIER_USERS)
def invoice_detail(invoice_id):
    principal = page_principal()
    with unit_of_work() as uow:
        shown = get_invoice(uow.session, principal, invoice_id)
        order = get_order(uow.session, principal, shown.order_id)
        return render_template("invoice.html", invoice=shown, order=order,
                               items={line.po_line_id: line for line in order.lines})


@blp.get("/scorecards")
@page_roles(*SUPPLIER_USERS)
def scorecards():
    with unit_of_work() as uow:
        return render_template("scorecards.html",
                               page=list_scorecards(uow.session, page_principal(), page_number(), PER_PAGE))


@blp.get("/notifications")
@page_roles(*SUPPLIER_USERS)
def notifications():
    with unit_of_work() as uow:
        page = list_notifications(uow.session, page_principal(), page_number(), PER_PAGE)
        return render_template("notifications.html", page=page, wording=lambda n: wording(n, _))


@blp.post("/notifications/<int:notification_id>/read")
@page_roles(*SUPPLIER_USERS)
def read_notification(notification_id):
    with unit_of_work() as uow:
        mark_read(uow.session, page_principal(), notification_id)
        uow.commit()
    return redirect(url_for(".notifications", page=request.form.get("page", 1, type=int)))

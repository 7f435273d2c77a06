"""Finance: invoices as three-way matching left them, payments against matched ones, and spend by month."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for

from shared.i18n import gettext as _
from shared.pages import load_form, page_principal, page_roles, refused_renders
from shared.web import settings, unit_of_work

from .. import invoicing, reports
from ..api.catalogue import school_today
from ..api.invoices import READERS
from ..schemas import INVOICE_STATES, InvoiceQuery, PaymentSchema, ReportQuery
from . import blp, form_reason, query_args

PAYERS = ("finance",)


@blp.get("/invoices")
@page_roles(*READERS)
def invoice_list():
    with unit_of_work() as uow:
        return render_template("invoices.html", states=INVOICE_STATES,
                               page=invoicing.list_invoices(uow.session, page_principal(),
                                                            **query_args(InvoiceQuery())))


@blp.get("/invoices/<int:invoice_id>")
@page_roles(*READERS)
def invoice(invoice_id):
    with unit_of_work() as uow:
        shown = invoicing.get_invoice(uow.session, page_principal(), invoice_id)
        lines = {line.id: line for line in shown.order.lines}
        return render_template("invoice.html", invoice=shown, order_lines=lines, today=school_today(),
                               may_pay="finance" in page_principal().roles)


@blp.post("/invoices/<int:invoice_id>/payments")
@page_roles(*PAYERS)
@refused_renders(".invoice")
def record_payment(invoice_id):
    data = load_form(PaymentSchema(), {name: request.form.get(name, "").strip()
                                       for name in ("amount", "paid_on", "reference")})
    with unit_of_work() as uow:
        payment = invoicing.record_payment(uow.session, page_principal(), invoice_id, **data)
        uow.commit()
        amount = payment.amount
    flash(_("A payment of ¥{amount} was recorded.", amount=f"{amount:,.2f}"), "ok")
    return redirect(url_for(".invoice", invoice_id=invoice_id))


@blp.post("/invoices/<int:invoice_id>/dispute")
@page_roles(*PAYERS)
@refused_renders(".invoice")
def dispute_invoice(invoice_id):
    reason = form_reason()
    with unit_of_work() as uow:
        invoicing.dispute_invoice(uow.session, page_principal(), invoice_id, reason)
        uow.commit()
    flash(_("The invoice is disputed; the supplier was told why."), "ok")
    return redirect(url_for(".invoice", invoice_id=invoice_id))


@blp.get("/spend")
@page_roles(*reports.READERS)
def spend():
    query = load_form(ReportQuery(), request.args.to_dict())
    with unit_of_work() as uow:
        months = reports.spend_by_category_month(uow.session, page_principal(),
                                                 ZoneInfo(settings().school_timezone), query["date_from"],
                                                 query["date_to"])
    categories = sorted({category for per_category in months.values() for category in per_category})
    chart = {"months": list(months), "series": [
        {"name": _(category), "values": [str(months[month].get(category, 0)) for month in months]}
        for category in categories]}
    return render_template("spend.html", months=months, categories=categories, chart=chart, query=query)

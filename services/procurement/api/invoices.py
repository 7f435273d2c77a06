from shared.auth import current_principal, require_roles
from shared.idempotency import idempotent
from shared.pagination import page_schema
from shared.web import Blueprint, unit_of_work

from .. import invoicing
from ..schemas import InvoiceQuery, InvoiceSchema, PaymentSchema, ReasonSchema, TolerancesSchema

blp = Blueprint("invoices", __name__, url_prefix="/api", description="Invoices, three-way matching and payments")
SECURITY = [{"bearerAuth": []}]
READERS = ("finance", "procurement_officer", "approver", "admin", "supervisor")


@blp.get("/invoices")
@blp.doc(security=SECURITY)
@require_roles(*READERS)
@blp.arguments(InvoiceQuery, location="query")
@blp.response(200, page_schema(InvoiceSchema))
def list_invoices(query):
    with unit_of_work() as uow:
        return invoicing.list_invoices(uow.session, current_principal(), **query)


@blp.get("/invoices/<int:invoice_id>")
@blp.doc(security=SECURITY)
@require_roles(*READERS)
@blp.response(200, InvoiceSchema)
def show_invoice(invoice_id):
    with unit_of_work() as uow:
        return invoicing.get_invoice(uow.session, current_principal(), invoice_id)


@blp.post("/invoices/<int:invoice_id>/payments")
@blp.doc(security=SECURITY)
@require_roles("finance")
@idempotent
@blp.arguments(PaymentSchema)
@blp.response(201, PaymentSchema)
def record_payment(data, invoice_id):
    with unit_of_work() as uow:
        payment = invoicing.record_payment(uow.session, current_principal(), invoice_id, **data)
        uow.commit()
    return payment


@blp.post("/invoices/<int:invoice_id>/dispute")
@blp.doc(security=SECURITY)
@require_roles("finance")
@blp.arguments(ReasonSchema)
@blp.response(200, InvoiceSchema)
def dispute_invoice(data, invoice_id):
    with unit_of_work() as uow:
        invoice = invoicing.dispute_invoice(uow.session, current_principal(), invoice_id, data["reason"])
        uow.commit()
        return invoice


@blp.get("/matching-tolerances")
@blp.doc(security=SECURITY)
@require_roles(*READERS)
@blp.response(200, TolerancesSchema)
def show_tolerances():
    with unit_of_work() as uow:
        return invoicing.tolerances_for(uow.session, current_principal().school_id)


@blp.put("/matching-tolerances")
@blp.doc(security=SECURITY)
@require_roles("admin")
@blp.arguments(TolerancesSchema)
@blp.response(200, TolerancesSchema)
def set_tolerances(data):
    with unit_of_work() as uow:
        tolerances = invoicing.set_tolerances(uow.session, current_principal(), data["price"], data["quantity"])
        uow.commit()
    return tolerances

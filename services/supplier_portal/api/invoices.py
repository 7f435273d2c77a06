from shared.auth import require_roles
from shared.idempotency import idempotent
from shared.web import Blueprint, unit_of_work

from ..invoicing import get_invoice, list_invoices, submit_invoice
from ..schemas import InvoicePageSchema, InvoiceQuerySchema, InvoiceSchema, NewInvoiceSchema
from .common import AUTH, SUPPLIER_USERS, current_principal, now, today

blp = Blueprint("invoices", __name__, url_prefix="/api", description="Invoices and payments")


@blp.post("/orders/<int:order_id>/invoices")
@blp.doc(security=AUTH)
@require_roles(*SUPPLIER_USERS)
@idempotent
@blp.arguments(NewInvoiceSchema)
@blp.response(201, InvoiceSchema)
def create(data, order_id):
    """Invoice accepted goods: per line at most the accepted quantity not yet invoiced."""
    with unit_of_work() as uow:
        invoice = submit_invoice(uow.session, current_principal(), order_id, data["invoice_number"],
                                 data["issued_on"], data["lines"], today(), now())
        uow.commit()
    return invoice


@blp.get("/invoices")
@blp.doc(security=AUTH)
@require_roles(*SUPPLIER_USERS)
@blp.arguments(InvoiceQuerySchema, location="query")
@blp.response(200, InvoicePageSchema)
def index(query):
    with unit_of_work() as uow:
        return list_invoices(uow.session, current_principal(), **query)


@blp.get("/invoices/<int:invoice_id>")
@blp.doc(security=AUTH)
@require_roles(*SUPPLIER_USERS)
@blp.response(200, InvoiceSchema)
def show(invoice_id):
    """The invoice with procurement's verdict: matched, disputed with its reasons, or paid."""
    with unit_of_work() as uow:
        return get_invoice(uow.session, current_principal(), invoice_id)

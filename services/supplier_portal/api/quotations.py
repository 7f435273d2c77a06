from shared.auth import require_roles
from shared.idempotency import idempotent
from shared.web import Blueprint, unit_of_work

from ..quotations import get_quote, get_rfq, list_quotes, list_rfqs, save_draft, submit_quote
from ..schemas import (
    DraftQuoteSchema,
    QuotePageSchema,
    QuoteQuerySchema,
    QuoteSchema,
    RfqPageSchema,
    RfqQuerySchema,
    RfqSchema,
    SubmitQuoteSchema,
)
from .common import AUTH, SUPPLIER_USERS, current_principal, now, today

blp = Blueprint("quotations", __name__, url_prefix="/api",
                description="Requests for quotation the supplier was invited to, and its quotes")


@blp.get("/rfqs")
@blp.doc(security=AUTH)
@require_roles(*SUPPLIER_USERS)
@blp.arguments(RfqQuerySchema, location="query")
@blp.response(200, RfqPageSchema)
def index(query):
    with unit_of_work() as uow:
        return list_rfqs(uow.session, current_principal(), now=now(), **query)


@blp.get("/rfqs/<int:rfq_id>")
@blp.doc(security=AUTH)
@require_roles(*SUPPLIER_USERS)
@blp.response(200, RfqSchema)
def show(rfq_id):
    with unit_of_work() as uow:
        return get_rfq(uow.session, current_principal(), rfq_id)


@blp.put("/rfqs/<int:rfq_id>/quote")
@blp.doc(security=AUTH)
@require_roles(*SUPPLIER_USERS)
@blp.arguments(DraftQuoteSchema)
@blp.response(200, QuoteSchema)
def save(data, rfq_id):
    """Save the draft quote (prices may still be open); it replaces the previous draft."""
    with unit_of_work() as uow:
        quote = save_draft(uow.session, current_principal(), rfq_id, data["valid_until"], data["lines"], now(),
                           today())
        uow.commit()
    return quote


@blp.post("/rfqs/<int:rfq_id>/quote")
@blp.doc(security=AUTH)
@require_roles(*SUPPLIER_USERS)
@idempotent
@blp.arguments(SubmitQuoteSchema)
@blp.response(201, QuoteSchema)
def submit(data, rfq_id):
    """Submit a price per line quoted and the date it holds until; before the deadline, once.

    Refused with the reason when the supplier is not approved or suspended (409) or a required
    licence has expired (403).
    """
    with unit_of_work() as uow:
        quote = submit_quote(uow.session, current_principal(), rfq_id, data["valid_until"], data["lines"], now(),
                             today())
        uow.commit()
    return quote


@blp.get("/quotes")
@blp.doc(security=AUTH)
@require_roles(*SUPPLIER_USERS)
@blp.arguments(QuoteQuerySchema, location="query")
@blp.response(200, QuotePageSchema)
def quotes(query):
    """The supplier's own quotes, drafts and submitted, newest first."""
    with unit_of_work() as uow:
        return list_quotes(uow.session, current_principal(), **query)


@blp.get("/quotes/<int:quote_id>")
@blp.doc(security=AUTH)
@require_roles(*SUPPLIER_USERS)
@blp.response(200, QuoteSchema)
def quote(quote_id):
    with unit_of_work() as uow:
        return get_quote(uow.session, current_principal(), quote_id)

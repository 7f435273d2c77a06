"""Receipts, issues to the kitchen, transfers and waste: each posts ledger movements in one transaction."""
from sqlalchemy import select

from shared.auth import current_principal, require_roles, scoped
from shared.errors import NotFound
from shared.idempotency import idempotent
from shared.web import Blueprint, unit_of_work

from ..issues import issue_to_kitchen
from ..locations import at_own_location, may_act_at
from ..models import Issue, Receipt, SupplierReturn, Transfer, WasteRecord
from ..receipts import post_receipt
from ..schemas import IssueSchema, ReceiptSchema, SupplierReturnSchema, TransferSchema, WasteSchema
from ..transfers import transfer_stock
from ..waste import record_waste, return_to_supplier
from .common import READERS, SECURITY, WRITERS, school_today

blp = Blueprint("movements", __name__, url_prefix="/api", description="Receipts, issues, transfers, waste")


def _get(model, document_id: int):
    with unit_of_work() as uow:
        principal = current_principal()
        # a transfer is seen at both of its ends
        places = (Transfer.from_location_id, Transfer.to_location_id) if model is Transfer else (model.location_id,)
        query = scoped(select(model), model, principal).where(model.id == document_id,
                                                              at_own_location(uow.session, principal, *places))
        document = uow.session.scalars(query).first()
        if document is None:
            raise NotFound("No {document} {document_id}",
                           document=model.__tablename__.rstrip("s").replace("_", " "), document_id=document_id)
        document.movements  # load them while the session is open  # noqa: B018
        return document


@blp.post("/receipts")
@blp.doc(security=SECURITY)
@require_roles(*WRITERS)
@idempotent
@blp.arguments(ReceiptSchema())  # an instance: webargs would build a class anew on every request
@blp.response(201, ReceiptSchema)
def create_receipt(data):
    with unit_of_work() as uow:
        may_act_at(uow.session, current_principal(), data["location_id"])
        receipt = post_receipt(uow.session, current_principal(), today=school_today(), **data)
        uow.commit()
    return receipt


@blp.get("/receipts/<int:document_id>")
@blp.doc(security=SECURITY)
@require_roles(*READERS)
@blp.response(200, ReceiptSchema)
def get_receipt(document_id):
    return _get(Receipt, document_id)


@blp.post("/issues")
@blp.doc(security=SECURITY)
@require_roles(*WRITERS)
@idempotent
@blp.arguments(IssueSchema)
@blp.response(201, IssueSchema)
def create_issue(data):
    with unit_of_work() as uow:
        issue = issue_to_kitchen(uow.session, current_principal(), today=school_today(), **data)
        uow.commit()
    return issue


@blp.get("/issues/<int:document_id>")
@blp.doc(security=SECURITY)
@require_roles(*READERS)
@blp.response(200, IssueSchema)
def get_issue(document_id):
    return _get(Issue, document_id)


@blp.post("/transfers")
@blp.doc(security=SECURITY)
@require_roles(*WRITERS)
@idempotent
@blp.arguments(TransferSchema)
@blp.response(201, TransferSchema)
def create_transfer(data):
    with unit_of_work() as uow:
        transfer = transfer_stock(uow.session, current_principal(), today=school_today(), **data)
        uow.commit()
    return transfer


@blp.get("/transfers/<int:document_id>")
@blp.doc(security=SECURITY)
@require_roles(*READERS)
@blp.response(200, TransferSchema)
def get_transfer(document_id):
    return _get(Transfer, document_id)


@blp.post("/waste")
@blp.doc(security=SECURITY)
@require_roles(*WRITERS)
@idempotent
@blp.arguments(WasteSchema)
@blp.response(201, WasteSchema)
def create_waste(data):
    with unit_of_work() as uow:
        record = record_waste(uow.session, current_principal(), **data)
        uow.commit()
    return record


@blp.get("/waste/<int:document_id>")
@blp.doc(security=SECURITY)
@require_roles(*READERS)
@blp.response(200, WasteSchema)
def get_waste(document_id):
    return _get(WasteRecord, document_id)


@blp.post("/supplier-returns")
@blp.doc(security=SECURITY)
@require_roles(*WRITERS)
@idempotent
@blp.arguments(SupplierReturnSchema)
@blp.response(201, SupplierReturnSchema)
def create_supplier_return(data):
    with unit_of_work() as uow:
        record = return_to_supplier(uow.session, current_principal(), **data)
        uow.commit()
    return record


@blp.get("/supplier-returns/<int:document_id>")
@blp.doc(security=SECURITY)
@require_roles(*READERS)
@blp.response(200, SupplierReturnSchema)
def get_supplier_return(document_id):
    return _get(SupplierReturn, document_id)

"""Expected receipts (from po.sent and delivery.dispatched) and their incoming inspection."""
from sqlalchemy import select

from shared.auth import current_principal, require_roles, scoped
from shared.idempotency import idempotent
from shared.pagination import PageQuerySchema, page_schema, paginate
from shared.web import Blueprint, unit_of_work

from ..inspection import for_own_hall, get_expected_receipt, inspect_delivery, with_delivery_notes
from ..models import ExpectedReceipt
from ..schemas import ExpectedReceiptSchema, InspectionSchema
from .common import READERS, SECURITY, school_today

blp = Blueprint("receiving", __name__, url_prefix="/api/expected-receipts",
                description="Expected receipts and incoming inspection (进货查验)")
# Canteen managers receive goods with an inspection (DESIGN.md §1), and so do storekeepers.
INSPECTORS = ("storekeeper", "canteen_manager", "store_manager", "admin")


@blp.get("")
@blp.doc(security=SECURITY)
@require_roles(*READERS)
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, page_schema(ExpectedReceiptSchema))
def index(query):
    with unit_of_work() as uow:
        principal = current_principal()
        statement = scoped(select(ExpectedReceipt), ExpectedReceipt, principal).where(
            for_own_hall(uow.session, principal)).order_by(ExpectedReceipt.id.desc())
        page = paginate(uow.session, statement, query["page"], query["per_page"])
        with_delivery_notes(uow.session, page.items)
        return page


@blp.get("/<int:expected_receipt_id>")
@blp.doc(security=SECURITY)
@require_roles(*READERS)
@blp.response(200, ExpectedReceiptSchema)
def get(expected_receipt_id):
    with unit_of_work() as uow:
        expected = get_expected_receipt(uow.session, current_principal(), expected_receipt_id)
        return with_delivery_notes(uow.session, [expected])[0]


@blp.post("/<int:expected_receipt_id>/inspections")
@blp.doc(security=SECURITY)
@require_roles(*INSPECTORS)
@idempotent
@blp.arguments(InspectionSchema)
@blp.response(201, InspectionSchema)
def inspect(data, expected_receipt_id):
    with unit_of_work() as uow:
        inspection = inspect_delivery(uow.session, current_principal(), expected_receipt_id, today=school_today(),
                                      **data)
        uow.commit()
    return inspection

from flask import current_app, request

from shared.auth import require_roles
from shared.idempotency import idempotent
from shared.web import Blueprint, unit_of_work

from ..documents import MAX_DOCUMENT_BYTES
from ..schemas import (
    AssessmentSchema,
    ComplianceSchema,
    DeclarationFormSchema,
    DeclarationSchema,
    DocumentFileSchema,
    NewUnifiedPriceListSchema,
    UnifiedPriceListPageSchema,
    UnifiedPriceListSchema,
    UnifiedPriceQuerySchema,
)
from ..six_unifications import assess, compliance, declare, evidence, get_price_list, list_price_lists, publish_prices
from .common import AS_UPLOADED, AUTH, REVIEWERS, SUPPLIER_USERS, current_principal, now, today
from .documents import MULTIPART_OVERHEAD

blp = Blueprint("six_unifications", __name__, url_prefix="/api",
                description="Six unifications (六统一) of campus-store suppliers and their unified prices")


def store():
    return current_app.extensions["document_store"]


@blp.before_request
def _allow_evidence_sized_bodies():
    if request.endpoint == "six_unifications.declare_item":
        request.max_content_length = MAX_DOCUMENT_BYTES + MULTIPART_OVERHEAD


@blp.get("/suppliers/<int:supplier_id>/six-unifications")
@blp.doc(security=AUTH)
@require_roles(*REVIEWERS, *SUPPLIER_USERS)
@blp.response(200, ComplianceSchema)
def status(supplier_id):
    """The checklist with each item's latest declaration and assessment, and the compliance status."""
    with unit_of_work() as uow:
        return compliance(uow.session, current_principal(), supplier_id)


@blp.post("/six-unifications/declarations")
@blp.doc(security=AUTH)
@require_roles(*SUPPLIER_USERS)
@idempotent
@blp.arguments(DeclarationFormSchema, location="form")
@blp.arguments(DocumentFileSchema, location="files")
@blp.response(201, DeclarationSchema)
def declare_item(form, files):
    """Declare one checklist item with evidence (PDF, PNG or JPEG, at most 5 MiB) for school staff to assess."""
    upload = files["file"]
    with unit_of_work() as uow:
        declaration = declare(uow.session, store(), current_principal(), form["item"], form["statement"],
                              upload.filename or "", upload.read(MAX_DOCUMENT_BYTES + 1))
        uow.commit()
    return declaration


@blp.get("/six-unifications/declarations/<int:declaration_id>/evidence")
@blp.doc(security=AUTH, responses=AS_UPLOADED)
@require_roles(*REVIEWERS, *SUPPLIER_USERS)
def download_evidence(declaration_id):
    with unit_of_work() as uow:
        declaration, data = evidence(uow.session, store(), current_principal(), declaration_id)
    extension = declaration.storage_key.rsplit(".", 1)[-1]
    return current_app.response_class(data, mimetype=declaration.content_type, headers={
        "Content-Disposition": f'attachment; filename="evidence-{declaration.id}.{extension}"',
        "X-Content-Type-Options": "nosniff"})


@blp.post("/six-unifications/declarations/<int:declaration_id>/assess")
@blp.doc(security=AUTH)
@require_roles(*REVIEWERS)
@blp.arguments(AssessmentSchema)
@blp.response(200, DeclarationSchema)
def assess_item(data, declaration_id):
    """School staff assess a declaration on a date: accepted, or rejected with the reason."""
    with unit_of_work() as uow:
        declaration = assess(uow.session, current_principal(), declaration_id, data["result"] == "accepted",
                             data["assessed_on"], data["note"], today())
        uow.commit()
    return declaration


@blp.post("/unified-prices")
@blp.doc(security=AUTH)
@require_roles(*SUPPLIER_USERS)
@idempotent
@blp.arguments(NewUnifiedPriceListSchema)
@blp.response(201, UnifiedPriceListSchema)
def publish(data):
    """Publish the unified selling prices (needs every checklist item accepted); sent to the campus store."""
    with unit_of_work() as uow:
        price_list = publish_prices(uow.session, current_principal(), data["effective_from"], data["prices"],
                                    today(), now())
        uow.commit()
    return price_list


@blp.get("/unified-prices")
@blp.doc(security=AUTH)
@require_roles(*REVIEWERS, *SUPPLIER_USERS)
@blp.arguments(UnifiedPriceQuerySchema, location="query")
@blp.response(200, UnifiedPriceListPageSchema)
def price_lists(query):
    with unit_of_work() as uow:
        return list_price_lists(uow.session, current_principal(), **query)


@blp.get("/unified-prices/<int:price_list_id>")
@blp.doc(security=AUTH)
@require_roles(*REVIEWERS, *SUPPLIER_USERS)
@blp.response(200, UnifiedPriceListSchema)
def price_list(price_list_id):
    with unit_of_work() as uow:
        return get_price_list(uow.session, current_principal(), price_list_id)

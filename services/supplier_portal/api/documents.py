from flask import current_app, request

from shared.auth import require_roles
from shared.web import Blueprint, unit_of_work

from ..documents import (
    MAX_DOCUMENT_BYTES,
    document_file,
    get_document,
    list_documents,
    review_document,
    upload_document,
)
from ..schemas import (
    DocumentFileSchema,
    DocumentFormSchema,
    DocumentPageSchema,
    DocumentQuerySchema,
    DocumentReviewSchema,
    DocumentSchema,
)
from .common import AS_UPLOADED, AUTH, REVIEWERS, SUPPLIER_USERS, current_principal, today

blp = Blueprint("documents", __name__, url_prefix="/api/documents",
                description="Qualification documents on file (索证索票)")
# Multipart framing around the file; anything beyond is refused before it is read.
MULTIPART_OVERHEAD = 64 * 1024


def store():
    return current_app.extensions["document_store"]


@blp.before_request
def _allow_document_sized_bodies():
    if request.endpoint == "documents.upload":
        request.max_content_length = MAX_DOCUMENT_BYTES + MULTIPART_OVERHEAD


@blp.post("")
@blp.doc(security=AUTH)
@require_roles(*SUPPLIER_USERS)
@blp.arguments(DocumentFormSchema, location="form")
@blp.arguments(DocumentFileSchema, location="files")
@blp.response(201, DocumentSchema)
def upload(form, files):
    """Upload a licence (PDF, PNG or JPEG, at most 5 MiB) for school staff to review."""
    upload = files["file"]
    with unit_of_work() as uow:
        document = upload_document(uow.session, store(), current_principal(), **form, filename=upload.filename or "",
                                   data=upload.read(MAX_DOCUMENT_BYTES + 1), today=today())
        uow.commit()
    return document


@blp.get("")
@blp.doc(security=AUTH)
@require_roles(*REVIEWERS, *SUPPLIER_USERS)
@blp.arguments(DocumentQuerySchema, location="query")
@blp.response(200, DocumentPageSchema)
def index(query):
    with unit_of_work() as uow:
        return list_documents(uow.session, current_principal(), **query)


@blp.get("/<int:document_id>")
@blp.doc(security=AUTH)
@require_roles(*REVIEWERS, *SUPPLIER_USERS)
@blp.response(200, DocumentSchema)
def show(document_id):
    with unit_of_work() as uow:
        return get_document(uow.session, current_principal(), document_id)


@blp.get("/<int:document_id>/file")
@blp.doc(security=AUTH, responses=AS_UPLOADED)
@require_roles(*REVIEWERS, *SUPPLIER_USERS)
def download(document_id):
    with unit_of_work() as uow:
        document, data = document_file(uow.session, store(), current_principal(), document_id)
    # Served as an attachment under a name of our making, never rendered inline by the browser.
    extension = document.storage_key.rsplit(".", 1)[-1]
    return current_app.response_class(data, mimetype=document.content_type, headers={
        "Content-Disposition": f'attachment; filename="document-{document.id}.{extension}"',
        "X-Content-Type-Options": "nosniff"})


@blp.post("/<int:document_id>/approve")
@blp.doc(security=AUTH)
@require_roles(*REVIEWERS)
@blp.arguments(DocumentReviewSchema)
@blp.response(200, DocumentSchema)
def approve(data, document_id):
    with unit_of_work() as uow:
        document = review_document(uow.session, current_principal(), document_id, True, data.get("note"), today())
        uow.commit()
    return document


@blp.post("/<int:document_id>/reject")
@blp.doc(security=AUTH)
@require_roles(*REVIEWERS)
@blp.arguments(DocumentReviewSchema)
@blp.response(200, DocumentSchema)
def reject(data, document_id):
    with unit_of_work() as uow:
        document = review_document(uow.session, current_principal(), document_id, False, data.get("note"), today())
        uow.commit()
    return document

"""Qualification documents on file (索证索票): upload with type and size checks, and staff review."""
from __future__ import annotations

import hashlib
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared import uploads
from shared.auth import Principal
from shared.db import utcnow
from shared.errors import Conflict, InvalidInput, NotFound
from shared.pagination import Page, paginate
from shared.statemachine import StateMachine
from shared.uploads import FileStore

from .approval import lift_licence_suspension
from .isolation import get_visible, visible
from .models import Audit, QualificationDocument

DOCUMENT_KINDS = ("business_licence", "food_business_licence", "food_production_licence")
DOCUMENT_STATUSES = ("pending", "approved", "rejected")
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024


DOCUMENT_REVIEW = StateMachine("qualification document", {
    "approve": {"pending": "approved"},
    "reject": {"pending": "rejected"},
}, Audit)


def check_upload(filename: str, data: bytes) -> tuple[str, str]:
    return uploads.check_upload(filename, data, MAX_DOCUMENT_BYTES)


def upload_document(session: Session, store: FileStore, principal: Principal, *, kind: str, number: str,
                    expires_on: date, filename: str, data: bytes, today: date) -> QualificationDocument:
    if kind not in DOCUMENT_KINDS:
        raise InvalidInput("kind", "must be one of {choices}", choices=", ".join(DOCUMENT_KINDS))
    if expires_on < today:
        raise InvalidInput("expires_on", "this document has already expired")
    extension, content_type = check_upload(filename, data)
    # The supplier is the caller's own, taken from its token: a supplier cannot file for another.
    key = store.put(principal.supplier_id, extension, data)
    document = QualificationDocument(
        supplier_id=principal.supplier_id, kind=kind, number=number, expires_on=expires_on, status="pending",
        storage_key=key, content_type=content_type, size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest(),
        original_filename=filename, uploaded_by=principal.user_id, uploaded_at=utcnow())
    session.add(document)
    session.flush()
    return document


def list_documents(session: Session, principal: Principal, page: int, per_page: int, supplier_id: int | None = None,
                   status: str | None = None) -> Page:
    query = visible(select(QualificationDocument), QualificationDocument, principal)
    if supplier_id is not None:
        query = query.where(QualificationDocument.supplier_id == supplier_id)
    if status is not None:
        query = query.where(QualificationDocument.status == status)
    return paginate(session, query.order_by(QualificationDocument.id), page, per_page)


def get_document(session: Session, principal: Principal, document_id: int) -> QualificationDocument:
    return get_visible(session, QualificationDocument, document_id, principal)


def document_file(session: Session, store: FileStore, principal: Principal,
                  document_id: int) -> tuple[QualificationDocument, bytes]:
    document = get_document(session, principal, document_id)
    try:
        return document, store.get(document.storage_key)
    except FileNotFoundError:
        raise NotFound("This document's file is missing from the document store") from None


def review_document(session: Session, principal: Principal, document_id: int, approve: bool,
                    note: str | None, today: date) -> QualificationDocument:
    """Staff accept or refuse a pending document; accepting may lift a licence suspension."""
    document = get_visible(session, QualificationDocument, document_id, principal, for_update=True)
    if approve and document.expires_on < today and DOCUMENT_REVIEW.can(document, "approve"):
        raise Conflict("This document has expired; it cannot be approved")
    if not approve and not (note or "").strip():
        raise InvalidInput("note", "say why the document is rejected")
    DOCUMENT_REVIEW.apply(session, document, "approve" if approve else "reject", principal, note)
    document.reviewed_by, document.reviewed_at, document.review_note = principal.user_id, utcnow(), note
    session.flush()
    if approve:
        lift_licence_suspension(session, document.supplier_id, principal.user_id, today)
    return document

"""Portal fixtures: a document store in a temporary folder, and suppliers with their owner signed in."""
from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from services.supplier_portal import create_app
from services.supplier_portal.accounts import create_supplier_user, principal_for
from services.supplier_portal.credit_code import check_character
from services.supplier_portal.models import QualificationDocument, Supplier
from shared.db import utcnow
from shared.uploads import LocalFileStore
from tests.conftest import bearer

PASSWORD = "correct horse battery staple"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
_serial = itertools.count(1)


def credit_code(serial: int) -> str:
    body = f"913701{serial:011d}"
    return body + check_character(body)


@pytest.fixture
def store_root(tmp_path):
    return tmp_path / "var"


@pytest.fixture
def portal(test_settings, databases, store_root):
    """The portal client with its document store in this test's own folder."""
    app = create_app(test_settings, databases["supplier_portal"], LocalFileStore(store_root))
    app.testing = True
    return app.test_client()


@pytest.fixture
def portal_db(databases):
    return databases["supplier_portal"]


@pytest.fixture
def make_supplier(portal_db):
    """make_supplier(...) -> (supplier, owner user, owner's Authorization header)."""

    def make(name: str = "供应商", status: str = "pending", categories=("vegetables",)):
        serial = next(_serial)
        with portal_db.unit_of_work() as uow:
            supplier = Supplier(name=f"{name}{serial}", contact_email=f"sales{serial}@example.cn",
                                categories=list(categories), status=status, credit_code=credit_code(serial),
                                address="济南市历下区", contact_name="王经理", contact_phone="0531-88888888",
                                registered_at=utcnow())
            uow.session.add(supplier)
            uow.session.flush()
            owner = create_supplier_user(uow.session, supplier.id, f"owner{serial}@example.cn", "老板",
                                         PASSWORD, "owner")
            uow.commit()
        return supplier, owner, bearer(principal_for(owner))

    return make


@pytest.fixture
def add_document(portal_db):
    """add_document(supplier_id, kind, status, expires_on) -> a document row without going through the API."""

    def add(supplier_id: int, kind: str, status: str = "approved", expires_on: date | None = None):
        with portal_db.unit_of_work() as uow:
            document = QualificationDocument(
                supplier_id=supplier_id, kind=kind, number=f"JY{next(_serial):012d}",
                expires_on=expires_on or date.today() + timedelta(days=365), status=status,
                storage_key=f"documents/{supplier_id}/{next(_serial):032x}.pdf", content_type="application/pdf",
                size_bytes=len(PDF), sha256="0" * 64, original_filename="licence.pdf", uploaded_by="1")
            uow.session.add(document)
            uow.commit()
        return document

    return add


@pytest.fixture
def reviewer(staff):
    return staff("procurement_officer")[1]


@pytest.fixture
def approved_supplier(make_supplier, add_document):
    """approved_supplier(name) -> (supplier, owner user, header): approved, with valid licences on file."""

    def make(name: str = "供应商", categories=("vegetables",)):
        supplier, owner_user, owner = make_supplier(name, status="approved", categories=categories)
        add_document(supplier.id, "business_licence")
        add_document(supplier.id, "food_business_licence")
        return supplier, owner_user, owner

    return make

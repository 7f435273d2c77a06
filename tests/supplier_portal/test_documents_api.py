from datetime import date, timedelta

import pytest

from services.supplier_portal.documents import MAX_DOCUMENT_BYTES

from .conftest import JPEG, PDF, PNG

NEXT_YEAR = (date.today() + timedelta(days=365)).isoformat()


def upload(portal, headers, data=PDF, filename="营业执照.pdf", **form):
    fields = {"kind": "business_licence", "number": "91370100MA3C000000", "expires_on": NEXT_YEAR, **form}
    return portal.post("/api/documents", headers=headers, content_type="multipart/form-data",
                       data={**fields, "file": (__import__("io").BytesIO(data), filename)})


def stored_files(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.mark.parametrize("data, filename, content_type", [
    (PDF, "licence.PDF", "application/pdf"), (PNG, "scan.png", "image/png"), (JPEG, "photo.jpeg", "image/jpeg")])
def test_a_licence_is_uploaded_and_stored_under_the_supplier_by_a_name_of_our_making(
        portal, make_supplier, store_root, data, filename, content_type):
    supplier, _, owner = make_supplier()
    response = upload(portal, owner, data, filename)
    assert response.status_code == 201, response.json
    assert response.json["status"] == "pending" and response.json["content_type"] == content_type
    assert response.json["original_filename"] == filename and response.json["supplier_id"] == supplier.id
    [stored] = stored_files(store_root)
    assert stored.startswith(f"documents/{supplier.id}/") and filename not in stored
    assert (store_root / stored).read_bytes() == data
    download = portal.get(f"/api/documents/{response.json['id']}/file", headers=owner)
    assert download.status_code == 200 and download.data == data and download.mimetype == content_type
    assert download.headers["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize("data, filename", [
    (b"MZ\x90\x00 an executable", "licence.pdf"),
    (b"<html><script>alert(1)</script>", "licence.pdf"),
    (PNG, "licence.pdf"),
    (PDF, "licence.exe"),
    (PDF, "licence"),
    (b"", "licence.pdf"),
])
def test_a_file_whose_content_is_not_what_its_name_says_or_not_allowed_is_refused(
        portal, make_supplier, store_root, data, filename):
    _, _, owner = make_supplier()
    response = upload(portal, owner, data, filename)
    assert response.status_code == 422 and "file" in response.json["errors"]
    assert stored_files(store_root) == []


@pytest.mark.parametrize("filename", [
    "../../../etc/cron.d/evil.pdf", "..\\..\\evil.pdf", "sub/dir.pdf", "/abs/path.pdf", ".hidden.pdf",
    "a..pdf", "nul\x00byte.pdf", "new\nline.pdf"])
def test_path_tricks_in_file_names_are_refused_and_nothing_is_written(portal, make_supplier, store_root, tmp_path,
                                                                       filename):
    _, _, owner = make_supplier()
    before = stored_files(tmp_path)
    response = upload(portal, owner, PDF, filename)
    assert response.status_code in (400, 422)
    assert stored_files(tmp_path) == before


def test_an_oversized_document_is_refused_with_413(portal, make_supplier, store_root):
    _, _, owner = make_supplier()
    just_over = upload(portal, owner, PDF + b"0" * (MAX_DOCUMENT_BYTES + 1 - len(PDF)))
    assert just_over.status_code == 413 and just_over.mimetype == "application/problem+json"
    far_over = upload(portal, owner, PDF + b"0" * (MAX_DOCUMENT_BYTES * 2))
    assert far_over.status_code == 413
    assert stored_files(store_root) == []
    assert upload(portal, owner, PDF + b"0" * (MAX_DOCUMENT_BYTES - len(PDF))).status_code == 201


def test_missing_fields_a_bad_kind_or_an_already_expired_date_are_422(portal, make_supplier, store_root):
    _, _, owner = make_supplier()
    assert upload(portal, owner, kind="driving_licence").status_code == 422
    expired = upload(portal, owner, expires_on=(date.today() - timedelta(days=2)).isoformat())
    assert expired.status_code == 422 and "expires_on" in expired.json["errors"]
    no_file = portal.post("/api/documents", headers=owner, content_type="multipart/form-data",
                          data={"kind": "business_licence", "number": "1", "expires_on": NEXT_YEAR})
    assert no_file.status_code == 422
    assert stored_files(store_root) == []


def test_school_staff_approve_or_reject_with_a_note_and_a_reviewed_document_is_not_reviewed_again(
        portal, make_supplier, reviewer):
    supplier, _, owner = make_supplier()
    first = upload(portal, owner).json
    second = upload(portal, owner, kind="food_business_licence").json
    assert portal.post(f"/api/documents/{first['id']}/approve", headers=owner, json={}).status_code == 403
    approved = portal.post(f"/api/documents/{first['id']}/approve", headers=reviewer, json={})
    assert approved.status_code == 200 and approved.json["status"] == "approved"
    assert portal.post(f"/api/documents/{first['id']}/reject", headers=reviewer,
                       json={"note": "late"}).status_code == 409
    assert portal.post(f"/api/documents/{second['id']}/reject", headers=reviewer, json={}).status_code == 422
    rejected = portal.post(f"/api/documents/{second['id']}/reject", headers=reviewer, json={"note": "盖章不清"})
    assert rejected.json["status"] == "rejected" and rejected.json["review_note"] == "盖章不清"
    listed = portal.get(f"/api/documents?supplier_id={supplier.id}&status=approved", headers=reviewer).json["items"]
    assert [d["id"] for d in listed] == [first["id"]]


def test_uploaded_then_approved_licences_let_staff_approve_the_supplier(portal, make_supplier, reviewer):
    supplier, _, owner = make_supplier()
    for kind in ("business_licence", "food_production_licence"):
        document = upload(portal, owner, kind=kind).json
        portal.post(f"/api/documents/{document['id']}/approve", headers=reviewer, json={})
    assert portal.post(f"/api/suppliers/{supplier.id}/approve", headers=reviewer).json["status"] == "approved"

"""A supervisor adds a photo to their complaint; staff who read complaints see it; it is never published."""
import io

import pytest

from services.inventory.costing.supervision import MAX_PHOTO_BYTES
from shared.auth import Principal
from tests.conftest import bearer

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def people(school_id):
    roles = {"judge": "supervisor", "parent": "supervisor", "manager": "canteen_manager", "keeper": "storekeeper"}
    made = {name: bearer(Principal(str(8100 + index), frozenset({role}), school_id=school_id))
            for index, (name, role) in enumerate(roles.items())}
    made["other_school"] = bearer(Principal("8199", frozenset({"canteen_manager"}), school_id=school_id + 1000))
    return made


@pytest.fixture
def complaint(inventory, people):
    filed = inventory.post("/api/costing/complaints", headers=people["judge"], json={
        "category": "food_quality", "text": "菜里有异物", "filer_kind": "meal_quality_judge"})
    assert filed.status_code == 201 and filed.json["has_photo"] is False
    return filed.json


def put_photo(inventory, headers, complaint_id, data, name):
    return inventory.put(f"/api/costing/complaints/{complaint_id}/photo", headers=headers,
                         content_type="multipart/form-data", data={"file": (io.BytesIO(data), name)})


def photo_files(inventory):
    root = inventory.application.extensions["complaint_photos"].root
    return sorted(path for path in root.rglob("*") if path.is_file())


def test_the_filer_adds_a_photo_and_staff_download_it_as_an_attachment(inventory, people, complaint):
    added = put_photo(inventory, people["judge"], complaint["id"], JPEG, "异物.jpg")
    assert added.status_code == 200 and added.json["has_photo"] is True
    shown = inventory.get(f"/api/costing/complaints/{complaint['id']}/photo", headers=people["manager"])
    assert shown.status_code == 200 and shown.data == JPEG and shown.mimetype == "image/jpeg"
    assert shown.headers["Content-Disposition"] == f'attachment; filename="complaint-{complaint["id"]}.jpg"'
    assert shown.headers["X-Content-Type-Options"] == "nosniff"
    again = put_photo(inventory, people["judge"], complaint["id"], PNG, "second.png")
    assert again.status_code == 409  # one photo per complaint


@pytest.mark.parametrize("data, name, status, field", [
    (PDF, "scan.pdf", 422, "file"),  # a document, not a photo
    (PNG, "photo.jpg", 422, "file"),  # the name says JPEG, the bytes say PNG
    (b"GIF89a" + b"\x00" * 32, "photo.gif", 422, "file"),
    (PNG, "../../etc/passwd.png", 422, "file"),
    (PNG, ".hidden.png", 422, "file"),
    (b"", "empty.png", 422, "file"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * MAX_PHOTO_BYTES, "huge.png", 413, None),
])
def test_a_photo_of_the_wrong_kind_size_or_name_is_refused_and_nothing_is_written(
        inventory, people, complaint, data, name, status, field):
    before = photo_files(inventory)
    refused = put_photo(inventory, people["judge"], complaint["id"], data, name)
    assert refused.status_code == status
    if field:
        assert field in refused.json["errors"]
    assert photo_files(inventory) == before
    assert inventory.get(f"/api/costing/complaints/{complaint['id']}/photo",
                         headers=people["manager"]).status_code == 404


def test_only_the_filer_adds_the_photo_and_only_complaint_readers_of_the_school_see_it(inventory, people, complaint):
    assert put_photo(inventory, people["parent"], complaint["id"], PNG, "p.png").status_code == 403
    assert put_photo(inventory, people["manager"], complaint["id"], PNG, "p.png").status_code == 403
    assert put_photo(inventory, people["other_school"], complaint["id"], PNG, "p.png").status_code == 403
    assert put_photo(inventory, people["judge"], 99999, PNG, "p.png").status_code == 404
    before = set(photo_files(inventory))
    assert put_photo(inventory, people["judge"], complaint["id"], PNG, "p.png").status_code == 200
    [stored] = set(photo_files(inventory)) - before
    assert stored.parent.parent.name == "complaint_photos" and stored.suffix == ".png" and stored.read_bytes() == PNG
    path = f"/api/costing/complaints/{complaint['id']}/photo"
    assert inventory.get(path, headers=people["keeper"]).status_code == 403
    assert inventory.get(path, headers=people["other_school"]).status_code == 404
    assert inventory.get(path).status_code == 401

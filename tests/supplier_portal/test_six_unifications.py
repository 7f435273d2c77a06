import io
import json
from datetime import date, timedelta

from services.supplier_portal.six_unifications import CHECKLIST_SETTING, DEFAULT_CHECKLIST

from .conftest import PDF, PNG
from .test_orders import outbox

TODAY = date.today().isoformat()


def declare(portal, owner, item, data=PNG, filename="门头照片.png", statement="门头统一使用“校园优选”标识"):
    return portal.post("/api/six-unifications/declarations", headers=owner, content_type="multipart/form-data",
                       data={"item": item, "statement": statement, "file": (io.BytesIO(data), filename)})


def assess(portal, reviewer, declaration_id, result="accepted", note=None, on=TODAY):
    return portal.post(f"/api/six-unifications/declarations/{declaration_id}/assess", headers=reviewer,
                       json={"result": result, "assessed_on": on, "note": note})


def make_compliant(portal, owner, reviewer):
    for code, _ in DEFAULT_CHECKLIST:
        declared = declare(portal, owner, code, data=PDF, filename=f"{code}.pdf")
        assert declared.status_code == 201, declared.json
        assert assess(portal, reviewer, declared.json["id"]).status_code == 200


PRICES = {"effective_from": TODAY, "prices": [{"item_id": 31, "item_code": "WATER-550", "unit_price": "1.50"},
                                             {"item_id": 32, "item_code": "BREAD-100", "unit_price": 3.2}]}


def test_the_default_checklist_starts_pending_with_six_items_not_declared(portal, make_supplier, reviewer):
    supplier, _, owner = make_supplier(status="approved", categories=("store_goods",))
    state = portal.get(f"/api/suppliers/{supplier.id}/six-unifications", headers=owner).json
    assert state["status"] == "pending" and len(state["items"]) == 6
    assert {item["status"] for item in state["items"]} == {"not_declared"}
    assert state["items"][0]["code"] == "name_and_signage" and "统一店名标识" in state["items"][0]["name"]
    assert portal.get(f"/api/suppliers/{supplier.id}/six-unifications", headers=reviewer).status_code == 200


def test_every_item_accepted_makes_the_supplier_compliant_and_a_rejection_non_compliant(
        portal, make_supplier, reviewer):
    supplier, _, owner = make_supplier(status="approved", categories=("store_goods",))
    make_compliant(portal, owner, reviewer)
    url = f"/api/suppliers/{supplier.id}/six-unifications"
    assert portal.get(url, headers=owner).json["status"] == "compliant"
    redeclared = declare(portal, owner, "pricing", statement="价格表已更新")
    refused = assess(portal, reviewer, redeclared.json["id"], "rejected", note="价格签与统一价不符")
    assert refused.json["status"] == "rejected" and refused.json["assessment_note"] == "价格签与统一价不符"
    state = portal.get(url, headers=owner).json
    assert state["status"] == "non_compliant"
    pricing = next(item for item in state["items"] if item["code"] == "pricing")
    assert (pricing["status"], pricing["declaration"]["assessed_on"]) == ("rejected", TODAY)


def test_assessments_need_staff_a_reason_to_reject_no_future_date_and_happen_once(
        portal, make_supplier, reviewer):
    _, _, owner = make_supplier(status="approved", categories=("store_goods",))
    declared = declare(portal, owner, "distribution").json
    assert assess(portal, owner, declared["id"]).status_code == 403
    assert assess(portal, reviewer, declared["id"], "rejected").status_code == 422
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    assert assess(portal, reviewer, declared["id"], on=tomorrow).status_code == 422
    assert assess(portal, reviewer, declared["id"]).status_code == 200
    assert assess(portal, reviewer, declared["id"]).status_code == 409


def test_evidence_is_checked_like_any_upload_and_served_back_as_an_attachment(
        portal, make_supplier, store_root):
    _, _, owner = make_supplier(status="approved", categories=("store_goods",))
    assert declare(portal, owner, "management", data=b"MZ\x90\x00", filename="a.png").status_code == 422
    assert declare(portal, owner, "management", filename="../../etc/passwd.png").status_code == 422
    assert declare(portal, owner, "management", filename="photo.pdf").status_code == 422  # PNG bytes
    assert declare(portal, owner, "unknown_item").status_code == 422
    made = declare(portal, owner, "management").json
    download = portal.get(f"/api/six-unifications/declarations/{made['id']}/evidence", headers=owner)
    assert download.data == PNG and download.headers["Content-Disposition"].startswith("attachment")
    assert all(path.resolve().is_relative_to(store_root.resolve()) for path in store_root.rglob("*"))


def test_only_campus_store_suppliers_take_part(portal, make_supplier):
    supplier, _, owner = make_supplier(status="approved", categories=("vegetables",))
    assert portal.get(f"/api/suppliers/{supplier.id}/six-unifications", headers=owner).status_code == 409
    assert declare(portal, owner, "pricing").status_code == 409


def test_the_checklist_is_configurable(portal, make_supplier, monkeypatch):
    monkeypatch.setenv(CHECKLIST_SETTING, json.dumps([["signage", "统一标识"], ["pricing", "统一价格"]]))
    supplier, _, owner = make_supplier(status="approved", categories=("store_goods",))
    state = portal.get(f"/api/suppliers/{supplier.id}/six-unifications", headers=owner).json
    assert [item["code"] for item in state["items"]] == ["signage", "pricing"]
    assert declare(portal, owner, "management").status_code == 422


def test_a_compliant_supplier_publishes_unified_prices_to_the_campus_store(
        portal, portal_db, make_supplier, reviewer):
    supplier, _, owner = make_supplier(status="approved", categories=("store_goods",))
    early = portal.post("/api/unified-prices", headers=owner, json=PRICES)
    assert early.status_code == 409 and "name_and_signage" in early.json["detail"]
    make_compliant(portal, owner, reviewer)
    published = portal.post("/api/unified-prices", headers={**owner, "Idempotency-Key": "prices-1"}, json=PRICES)
    assert published.status_code == 201, published.json
    again = portal.post("/api/unified-prices", headers={**owner, "Idempotency-Key": "prices-1"}, json=PRICES)
    assert again.json == published.json
    [event] = outbox(portal_db, "unified_prices.published")
    assert (event["supplier_id"], event["effective_from"]) == (supplier.id, TODAY)
    assert [(p["item_code"], p["unit_price"]) for p in event["prices"]] == [
        ("WATER-550", "1.50"), ("BREAD-100", "3.20")]
    assert portal.get("/api/unified-prices", headers=owner).json["total"] == 1
    twice = {**PRICES, "prices": PRICES["prices"] + [PRICES["prices"][0]]}
    assert portal.post("/api/unified-prices", headers=owner, json=twice).status_code == 422
    past = {**PRICES, "effective_from": "2020-01-01"}
    assert portal.post("/api/unified-prices", headers=owner, json=past).status_code == 422

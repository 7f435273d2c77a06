"""Fixed-supplier (定点) agreements: the contract price, without an RFQ, only in the period and supplier approved."""
from datetime import date, datetime, timedelta, timezone

import pytest

from .conftest import CABBAGE, RICE

TODAY = date.today()
SOON = (TODAY + timedelta(days=3)).isoformat()


@pytest.fixture
def buyer(staff):
    return staff("procurement_officer")


@pytest.fixture
def rice(make_item, demand_points):
    return make_item(RICE, reference="4.00")  # limit 4.36 per kg


def agreement_body(item, price="4.10", start=TODAY - timedelta(days=10), end=TODAY + timedelta(days=80),
                   supplier=501):
    return {"supplier_id": supplier, "item_id": item.id, "unit_price": price, "valid_from": start.isoformat(),
            "valid_to": end.isoformat(), "reference": "DD-2026-003"}


@pytest.fixture
def agreement(procurement, buyer, supplier, rice):
    response = procurement.post("/api/agreements", json=agreement_body(rice), headers=buyer[1])
    assert response.status_code == 201, response.json
    return response.json


def order_body(quantity="10", unit="bag", destination="DH1", delivery=SOON):
    return {"lines": [{"quantity": quantity, "unit": unit, "destination": destination, "delivery_date": delivery}]}


def test_an_order_under_an_agreement_takes_the_contract_price_without_an_rfq(procurement, buyer, agreement, rice):
    assert (agreement["unit_price"], agreement["item_name"]) == ("4.10", rice.name_zh)
    response = procurement.post(f"/api/agreements/{agreement['id']}/purchase-orders", json=order_body(),
                                headers=buyer[1])
    assert response.status_code == 201, response.json
    order = response.json
    assert (order["state"], order["supplier_id"], order["agreement_id"], order["total"]) == (
        "draft", 501, agreement["id"], "1025.00")  # 10 bags × 25 kg × ¥4.10
    [line] = order["lines"]
    assert line["unit_price"] == "4.10"
    assert order["number"].startswith(f"PO-{TODAY.year}-")
    # it then follows the ordinary approval path: below ¥10,000 it is approved on submission
    submitted = procurement.post(f"/api/purchase-orders/{order['id']}/submit", headers=buyer[1])
    assert submitted.status_code == 200 and submitted.json["state"] == "approved"


def test_an_agreement_not_yet_or_no_longer_in_force_gives_no_order(procurement, buyer, supplier, rice):
    for start, end in ((TODAY + timedelta(days=1), TODAY + timedelta(days=30)),
                       (TODAY - timedelta(days=60), TODAY - timedelta(days=1))):
        made = procurement.post("/api/agreements", json=agreement_body(rice, start=start, end=end), headers=buyer[1])
        assert made.status_code == 201, made.json
        response = procurement.post(f"/api/agreements/{made.json['id']}/purchase-orders", json=order_body(),
                                    headers=buyer[1])
        assert response.status_code == 409, response.json


def test_a_delivery_after_the_agreement_ends_is_refused(procurement, buyer, agreement):
    late = (TODAY + timedelta(days=81)).isoformat()
    response = procurement.post(f"/api/agreements/{agreement['id']}/purchase-orders", json=order_body(delivery=late),
                                headers=buyer[1])
    assert response.status_code == 422 and "lines.0.delivery_date" in response.json["errors"]


def test_a_suspended_supplier_gets_no_order_under_its_agreement(procurement, buyer, agreement, deliver):
    deliver("supplier.suspended", {"supplier_id": 501, "reason": "食品安全抽检不合格",
                                   "suspended_at": datetime.now(timezone.utc)})
    response = procurement.post(f"/api/agreements/{agreement['id']}/purchase-orders", json=order_body(),
                                headers=buyer[1])
    assert response.status_code == 409, response.json


def test_overlapping_agreements_for_the_same_item_and_supplier_are_a_conflict(procurement, buyer, agreement, rice):
    overlapping = agreement_body(rice, price="4.00", start=TODAY + timedelta(days=30), end=TODAY + timedelta(days=200))
    assert procurement.post("/api/agreements", json=overlapping, headers=buyer[1]).status_code == 409
    after = agreement_body(rice, price="4.00", start=TODAY + timedelta(days=81), end=TODAY + timedelta(days=200))
    assert procurement.post("/api/agreements", json=after, headers=buyer[1]).status_code == 201


@pytest.mark.parametrize("change, field", [
    ({"valid_to": (TODAY - timedelta(days=20)).isoformat()}, "valid_to"),
    ({"unit_price": "0"}, "unit_price"),
    ({"item_id": 999999}, "item_id"),
    ({"supplier_id": 777}, "supplier_id"),
])
def test_invalid_agreements_are_refused(procurement, buyer, supplier, rice, change, field):
    body = {**agreement_body(rice), **change}
    response = procurement.post("/api/agreements", json=body, headers=buyer[1])
    assert response.status_code == 422 and field in response.json["errors"], response.json


def test_an_agreement_with_a_supplier_not_approved_for_the_category_is_refused(procurement, buyer, supplier,
                                                                             make_item, demand_points):
    pork = make_item({"code": "PORK", "name_zh": "猪肉", "name_en": "Pork", "category": "meat_eggs",
                      "base_unit": "kg", "shelf_life_days": 3})
    response = procurement.post("/api/agreements", json=agreement_body(pork), headers=buyer[1])
    assert response.status_code == 422 and "meat_eggs" in response.json["errors"]["supplier_id"][0]


def test_agreements_are_listed_by_item_and_date_in_force(procurement, buyer, agreement, rice, make_item):
    cabbage = make_item(CABBAGE)
    procurement.post("/api/agreements", json=agreement_body(cabbage, price="1.20"), headers=buyer[1])
    listed = procurement.get(f"/api/agreements?item_id={rice.id}&in_force_on={TODAY.isoformat()}", headers=buyer[1])
    assert [a["id"] for a in listed.json] == [agreement["id"]]
    later = (TODAY + timedelta(days=365)).isoformat()
    assert procurement.get(f"/api/agreements?in_force_on={later}", headers=buyer[1]).json == []


def test_who_may_make_agreements_and_order_under_them(procurement, staff, manager, agreement, rice):
    _, finance = staff("finance")
    assert procurement.post("/api/agreements", json=agreement_body(rice), headers=finance).status_code == 403
    assert procurement.post(f"/api/agreements/{agreement['id']}/purchase-orders", json=order_body(),
                            headers=finance).status_code == 403
    assert procurement.get(f"/api/agreements/{agreement['id']}", headers=finance).status_code == 200
    # a canteen manager orders under the agreement, for their own hall only
    _, dh1 = manager("DH1")
    assert procurement.post(f"/api/agreements/{agreement['id']}/purchase-orders", json=order_body(),
                            headers=dh1).status_code == 201
    assert procurement.post(f"/api/agreements/{agreement['id']}/purchase-orders",
                            json=order_body(destination="DH2"), headers=dh1).status_code == 403


def test_another_schools_or_an_unknown_agreement_is_not_found(procurement, staff, agreement, databases):
    from services.procurement.models import School
    with databases["procurement"].unit_of_work() as uow:
        other = School(name="另一所学校")
        uow.session.add(other)
        uow.commit()
    _, headers = staff("procurement_officer", school_id=other.id)
    assert procurement.get(f"/api/agreements/{agreement['id']}", headers=headers).status_code == 404
    assert procurement.post(f"/api/agreements/{agreement['id']}/purchase-orders", json=order_body(),
                            headers=headers).status_code == 404
    assert procurement.get("/api/agreements/999999", headers=headers).status_code == 404

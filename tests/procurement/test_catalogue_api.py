from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.procurement.models import School
from shared.units import from_base, to_base

from .conftest import CABBAGE, OIL, RICE

SNACK = {"code": "STORE-CHIPS", "name_zh": "薯片", "name_en": "Potato chips", "category": "store_goods",
         "specification": "原味 70g袋", "base_unit": "piece", "packaging": {"carton": "24"}, "shelf_life_days": 270,
         "restricted_food": True}


def test_procurement_officer_creates_an_item_with_its_purchase_units(procurement, staff):
    _, headers = staff("procurement_officer")
    response = procurement.post("/api/items", json=RICE, headers=headers)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["name_zh"] == "东北大米 一级粳米"
    assert body["packaging"] == {"bag": "25.000"}
    assert body["bulk"] is True
    assert set(body["units"]) >= {"kg", "jin", "t", "bag"}
    assert response.headers["ETag"] == '"1"'


def test_restricted_food_flag_is_kept_for_store_goods_and_refused_elsewhere(procurement, staff):
    _, headers = staff("admin")
    assert procurement.post("/api/items", json=SNACK, headers=headers).json["restricted_food"] is True
    response = procurement.post("/api/items", json={**CABBAGE, "restricted_food": True}, headers=headers)
    assert response.status_code == 422
    assert "restricted_food" in response.json["errors"]


@pytest.mark.parametrize("change, field", [
    ({"base_unit": "bag"}, "base_unit"),
    ({"packaging": {"kg": "2"}}, "packaging"),
    ({"packaging": {"bag": "0"}}, "packaging"),
    ({"packaging": {"bag": "1.0001"}}, "packaging"),
    ({"category": "weapons"}, "category"),
    ({"code": "has space"}, "code"),
    ({"shelf_life_days": 0}, "shelf_life_days"),
    ({"packaging": {"bag": "NaN"}}, "packaging"),
])
def test_invalid_items_are_refused_with_the_field_named(procurement, staff, change, field):
    _, headers = staff("admin")
    response = procurement.post("/api/items", json={**RICE, **change}, headers=headers)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]


def test_a_duplicate_code_is_a_conflict(procurement, staff):
    _, headers = staff("admin")
    assert procurement.post("/api/items", json=RICE, headers=headers).status_code == 201
    assert procurement.post("/api/items", json=RICE, headers=headers).status_code == 409


@pytest.mark.parametrize("role", ["canteen_manager", "storekeeper", "approver", "finance", "supervisor"])
def test_only_admin_and_procurement_officer_edit_the_catalogue(procurement, staff, role):
    _, headers = staff(role)
    assert procurement.post("/api/items", json=RICE, headers=headers).status_code == 403
    assert procurement.get("/api/items", headers=headers).status_code == 200


def test_the_catalogue_needs_a_sign_in(procurement):
    assert procurement.get("/api/items").status_code == 401


def test_items_list_filters_by_category_text_and_flag_and_paginates(procurement, staff, make_item):
    _, headers = staff("canteen_manager")
    make_item(RICE)
    make_item(OIL)
    make_item(CABBAGE)
    make_item(SNACK)
    by_category = procurement.get("/api/items?category=vegetables", headers=headers).json
    assert [i["name_zh"] for i in by_category["items"]] == ["白菜"]
    assert procurement.get("/api/items?q=大豆", headers=headers).json["total"] == 1
    assert [i["name_zh"] for i in procurement.get("/api/items?restricted_food=true", headers=headers).json["items"]] \
        == ["薯片"]
    assert procurement.get("/api/items?bulk=true", headers=headers).json["total"] == 2
    first = procurement.get("/api/items?per_page=3&page=1", headers=headers).json
    second = procurement.get("/api/items?per_page=3&page=2", headers=headers).json
    assert first["total"] == second["total"] == 4
    assert len(first["items"]) == 3 and len(second["items"]) == 1
    assert procurement.get("/api/items?per_page=0", headers=headers).status_code == 422
    assert procurement.get("/api/items?category=guns", headers=headers).status_code == 422


def test_another_schools_item_is_not_found(procurement, staff, make_item, databases):
    item = make_item(RICE)
    with databases["procurement"].unit_of_work() as uow:
        other = School(name="别校")
        uow.session.add(other)
        uow.commit()
    _, theirs = staff("admin", school_id=other.id)
    assert procurement.get(f"/api/items/{item.id}", headers=theirs).status_code == 404
    assert procurement.patch(f"/api/items/{item.id}", json={"name_en": "x"}, headers=theirs).status_code == 404
    assert procurement.get("/api/items", headers=theirs).json["total"] == 0
    assert procurement.get("/api/items/999999", headers=theirs).status_code == 404


def test_an_update_with_a_stale_if_match_is_a_conflict(procurement, staff, make_item):
    _, headers = staff("admin")
    item = make_item(RICE)
    etag = procurement.get(f"/api/items/{item.id}", headers=headers).headers["ETag"]
    first = procurement.patch(f"/api/items/{item.id}", json={"specification": "一级粳米 新米"},
                              headers={**headers, "If-Match": etag})
    assert first.status_code == 200 and first.headers["ETag"] == '"2"'
    stale = procurement.patch(f"/api/items/{item.id}", json={"specification": "二级"},
                              headers={**headers, "If-Match": etag})
    assert stale.status_code == 409
    assert procurement.patch(f"/api/items/{item.id}", json={"name_en": "x"},
                             headers={**headers, "If-Match": "garbage"}).status_code == 422


def test_a_purchase_unit_may_be_added_but_never_changed_or_removed(procurement, staff, make_item):
    _, headers = staff("admin")
    item = make_item(RICE)
    added = procurement.patch(f"/api/items/{item.id}", json={"packaging": {"bag": "25", "bag10": "10"}},
                              headers=headers)
    assert added.status_code == 200 and added.json["packaging"] == {"bag": "25.000", "bag10": "10.000"}
    assert procurement.patch(f"/api/items/{item.id}", json={"packaging": {"bag": "20", "bag10": "10"}},
                             headers=headers).status_code == 409
    assert procurement.patch(f"/api/items/{item.id}", json={"packaging": {}}, headers=headers).status_code == 409
    assert procurement.patch(f"/api/items/{item.id}", json={"base_unit": "jin"}, headers=headers).status_code == 409
    assert procurement.patch(f"/api/items/{item.id}", json={}, headers=headers).status_code == 422


def test_reference_prices_are_listed_newest_first_and_set_the_price_limit(procurement, staff, make_item):
    _, headers = staff("procurement_officer")
    item = make_item(RICE)
    for price, day, source in [("4.00", "2026-01-01", "tender"), ("4.20", "2026-03-01", "price_bureau")]:
        response = procurement.post(f"/api/items/{item.id}/reference-prices",
                                    json={"price": price, "effective_from": day, "source": source}, headers=headers)
        assert response.status_code == 201, response.json
    assert [r["price"] for r in procurement.get(f"/api/items/{item.id}/reference-prices", headers=headers).json] \
        == ["4.20", "4.00"]
    # rice: at most 9 % above reference
    in_february = procurement.get(f"/api/items/{item.id}/price-limit?on=2026-02-15", headers=headers).json
    assert (in_february["reference"], in_february["limit"], in_february["kind"]) == ("4.00", "4.36", "max_markup")
    per_bag = procurement.get(f"/api/items/{item.id}/price-limit?on=2026-03-02&unit=bag", headers=headers).json
    assert per_bag["limit"] == "114.45"  # 4.20 × 25 × 1.09 = 114.45
    assert procurement.get(f"/api/items/{item.id}/price-limit?on=2025-12-31", headers=headers).status_code == 404
    assert procurement.get(f"/api/items/{item.id}/price-limit?on=2026-03-02&unit=L",
                           headers=headers).status_code == 422


def test_a_reference_price_from_the_same_source_and_day_twice_is_a_conflict(procurement, staff, make_item):
    _, headers = staff("procurement_officer")
    item = make_item(CABBAGE)
    body = {"price": "1.50", "effective_from": "2026-01-01", "source": "wholesale_market"}
    assert procurement.post(f"/api/items/{item.id}/reference-prices", json=body, headers=headers).status_code == 201
    assert procurement.post(f"/api/items/{item.id}/reference-prices", json=body, headers=headers).status_code == 409
    for bad in ({**body, "price": "-1"}, {**body, "source": "rumour"}, {**body, "price": "1.234"},
                {**body, "effective_from": "yesterday"}):
        assert procurement.post(f"/api/items/{item.id}/reference-prices", json=bad,
                                headers=headers).status_code == 422


def test_a_category_rule_and_an_item_rule_override_the_defaults(procurement, staff, make_item):
    _, headers = staff("admin")
    eggs = make_item({"code": "EGG", "name_zh": "鸡蛋", "name_en": "Eggs", "category": "meat_eggs",
                      "base_unit": "kg", "shelf_life_days": 30}, reference="10.00")
    pork = make_item({"code": "PORK", "name_zh": "猪肉", "name_en": "Pork", "category": "meat_eggs",
                      "base_unit": "kg", "shelf_life_days": 3}, reference="30.00")
    limit = lambda item: procurement.get(f"/api/items/{item.id}/price-limit?on=2026-02-01",  # noqa: E731
                                         headers=headers).json["limit"]
    assert limit(pork) == "25.50" and limit(eggs) == "8.50"  # default: 15 % below reference
    response = procurement.put("/api/price-rules", json={"category": "meat_eggs", "item_id": eggs.id,
                                                         "kind": "min_discount", "rate": "0.05"}, headers=headers)
    assert response.status_code == 200, response.json
    assert limit(eggs) == "9.50" and limit(pork) == "25.50"
    procurement.put("/api/price-rules", json={"category": "meat_eggs", "kind": "min_discount", "rate": "0.10"},
                    headers=headers)
    assert limit(pork) == "27.00" and limit(eggs) == "9.50"
    for bad in ({"category": "meat_eggs", "kind": "min_discount", "rate": "1"},
                {"category": "rice", "item_id": eggs.id, "kind": "ceiling"},
                {"category": "rice", "kind": "cheap"}):
        assert procurement.put("/api/price-rules", json=bad, headers=headers).status_code == 422


packaging_factors = st.integers(min_value=1, max_value=10_000_000).map(lambda n: Decimal(n).scaleb(-3))
amounts = st.integers(min_value=1, max_value=10_000_000).map(lambda n: Decimal(n).scaleb(-3))


@given(amount=amounts, factor=packaging_factors)
def test_a_packaging_unit_converts_to_the_base_unit_and_back_exactly(amount, factor):
    packaging = {"bag": str(factor)}
    in_base = to_base(amount, "bag", "kg", packaging)
    assert in_base == amount * factor
    assert from_base(in_base, "bag", "kg", packaging) == amount


@given(amount=amounts, unit=st.sampled_from(["kg", "g", "jin", "t"]))
def test_a_standard_unit_converts_to_the_base_unit_and_back_exactly(amount, unit):
    assert from_base(to_base(amount, unit, "kg"), unit, "kg") == amount


def test_inventory_read_the_catalogue_with_a_storekeeper_token_that_opened_other_endpoints(procurement, staff,
                                                                                          school):
    """Inventory's item-cache refresh is the one procurement endpoint for its service token."""
    from shared.auth import service_token
    from tests.support import TEST_SECRET
    _, buyer = staff("procurement_officer")
    procurement.post("/api/items", json=dict(RICE), headers=buyer)
    service = {"Authorization": f"Bearer {service_token('inventory', school.id, TEST_SECRET)}"}
    listed = procurement.get("/api/items", headers=service)
    assert listed.status_code == 200 and listed.json["total"] == 1
    assert procurement.post("/api/items", json={**RICE, "code": "X"}, headers=service).status_code == 403
    for path in ("/api/purchase-orders", "/api/requisitions", "/api/invoices", "/api/staff"):
        assert procurement.get(path, headers=service).status_code == 403, path

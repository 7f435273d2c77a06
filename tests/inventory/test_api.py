"""The inventory API: every movement kind, the refusals, the reports and the role checks."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from services.inventory.locations import ensure_standard_locations
from services.inventory.models import StockMovement
from services.procurement.models import School
from shared.auth import service_token
from tests.support import TEST_SECRET

from .conftest import CHIPS, COAL, MILK, RICE

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()


def post_receipt(client, headers, location_id, *lines, **extra):
    return client.post("/api/receipts", json={"location_id": location_id, "supplier_id": 7,
                                              "delivery_reference": "DN-2026-001", "lines": list(lines), **extra},
                       headers=headers)


def line(item, quantity, unit_price, lot_number, production_date=None, expiry_date=None):
    data = {"item_id": item["id"], "quantity": quantity, "unit_price": unit_price, "lot_number": lot_number}
    if production_date:
        data["production_date"] = production_date.isoformat()
    if expiry_date:
        data["expiry_date"] = expiry_date.isoformat()
    return data


def movement_count(inventory_db):
    with inventory_db.unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(StockMovement))


def test_a_storekeeper_receives_goods_and_sees_them_on_hand_with_lot_and_expiry(inventory, keeper_headers, setup):
    response = post_receipt(inventory, keeper_headers, setup["CSR"],
                            line(RICE, "500.000", "4.20", "R-1", TODAY - timedelta(10)),
                            line(COAL, "1000", "1.15", "C-1"))
    assert response.status_code == 201, response.json
    assert [(m["kind"], m["quantity"], m["value"], m["lot_number"]) for m in response.json["movements"]] == [
        ("receipt", "500.000", "2100.00", "R-1"), ("receipt", "1000.000", "1150.00", "C-1")]
    assert inventory.get(f"/api/receipts/{response.json['id']}", headers=keeper_headers).json == response.json
    stock = inventory.get(f"/api/stock?location_id={setup['CSR']}", headers=keeper_headers).json
    rice = next(row for row in stock if row["item_id"] == RICE["id"])
    assert (rice["quantity"], rice["value"], rice["valuation_rate"]) == ("500.000", "2100.00", "4.200000")
    assert rice["lots"] == [{"lot_id": response.json["movements"][0]["lot_id"], "lot_number": "R-1",
                             "production_date": (TODAY - timedelta(10)).isoformat(),
                             "expiry_date": (TODAY + timedelta(355)).isoformat(), "supplier_id": 7,
                             "quantity": "500.000", "expired": False}]


@pytest.mark.parametrize("body, field", [
    ({"lines": []}, "lines"),
    ({"lines": [{"item_id": RICE["id"], "quantity": "1.0001", "unit_price": "1", "lot_number": "x"}]}, "lines"),
    ({"lines": [{"item_id": RICE["id"], "quantity": "-1", "unit_price": "1", "lot_number": "x"}]}, "lines"),
    ({"lines": [{"item_id": RICE["id"], "quantity": "NaN", "unit_price": "1", "lot_number": "x"}]}, "lines"),
    ({"lines": [{"item_id": RICE["id"], "quantity": "1", "unit_price": "1.001", "lot_number": "x"}]}, "lines"),
    ({"location_id": "DH1"}, "location_id"),
])
def test_malformed_receipts_answer_422_naming_the_field(inventory, keeper_headers, setup, body, field):
    payload = {"location_id": setup["DH1"], "lines": [line(RICE, "1", "1", "x", TODAY)], **body}
    response = inventory.post("/api/receipts", json=payload, headers=keeper_headers)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.json["errors"]


def test_expired_goods_are_refused_at_receipt(inventory, keeper_headers, setup, inventory_db):
    response = post_receipt(inventory, keeper_headers, setup["DH1"],
                            line(MILK, "10", "6.00", "M-1", TODAY - timedelta(9)))
    assert response.status_code == 422
    assert "expired goods are refused" in response.json["errors"]["lines.0.expiry_date"][0]
    assert movement_count(inventory_db) == 0


def test_an_issue_to_the_kitchen_is_picked_first_expiry_first_out(inventory, keeper_headers, setup):
    post_receipt(inventory, keeper_headers, setup["DH1"], line(MILK, "10", "6.00", "LATE", TODAY, TODAY + timedelta(6)),
                 line(MILK, "5", "6.00", "EARLY", TODAY, TODAY + timedelta(2)))
    response = inventory.post("/api/issues", json={
        "location_id": setup["DH1"], "meal_date": TODAY.isoformat(), "meal": "breakfast",
        "lines": [{"item_id": MILK["id"], "quantity": "7"}]}, headers=keeper_headers)
    assert response.status_code == 201, response.json
    assert [(m["lot_number"], m["quantity"], m["value"]) for m in response.json["movements"]] == [
        ("EARLY", "-5.000", "-30.00"), ("LATE", "-2.000", "-12.00")]
    assert (response.json["meal"], response.json["meal_date"]) == ("breakfast", TODAY.isoformat())


def test_an_issue_for_more_than_is_on_hand_is_refused_with_409_and_nothing_posted(inventory, keeper_headers, setup,
                                                                                  inventory_db):
    post_receipt(inventory, keeper_headers, setup["DH1"], line(MILK, "10", "6.00", "M-1", TODAY),
                 line(RICE, "10", "4.00", "R-1", TODAY))
    before = movement_count(inventory_db)
    response = inventory.post("/api/issues", json={
        "location_id": setup["DH1"], "meal_date": TODAY.isoformat(), "meal": "lunch",
        "lines": [{"item_id": RICE["id"], "quantity": "5"}, {"item_id": MILK["id"], "quantity": "10.5"}]},
        headers=keeper_headers)
    assert response.status_code == 409
    assert "10.500 requested but only 10.000 usable" in response.json["errors"]["lines.1.quantity"][0]
    assert movement_count(inventory_db) == before


def test_an_expired_lot_is_not_issued_for_a_later_meal(inventory, keeper_headers, setup):
    post_receipt(inventory, keeper_headers, setup["DH2"], line(MILK, "10", "6.00", "M-1", TODAY, TODAY))
    response = inventory.post("/api/issues", json={
        "location_id": setup["DH2"], "meal_date": (TODAY + timedelta(1)).isoformat(), "meal": "breakfast",
        "lines": [{"item_id": MILK["id"], "quantity": "1"}]}, headers=keeper_headers)
    assert response.status_code == 409
    assert "10.000 more are expired" in response.json["errors"]["lines.0.quantity"][0]


@pytest.mark.parametrize("location, field", [("CSR", "location_id"), (None, "location_id")])
def test_an_issue_to_an_unknown_location_or_not_a_dining_hall_is_refused(inventory, keeper_headers, setup, location,
                                                                         field):
    response = inventory.post("/api/issues", json={
        "location_id": setup[location] if location else 987654, "meal_date": TODAY.isoformat(), "meal": "lunch",
        "lines": [{"item_id": MILK["id"], "quantity": "1"}]}, headers=keeper_headers)
    assert response.status_code == 422
    assert field in response.json["errors"]


def test_an_issue_needs_a_known_meal(inventory, keeper_headers, setup):
    response = inventory.post("/api/issues", json={
        "location_id": setup["DH1"], "meal_date": TODAY.isoformat(), "meal": "supper",
        "lines": [{"item_id": MILK["id"], "quantity": "1"}]}, headers=keeper_headers)
    assert response.status_code == 422 and "meal" in response.json["errors"]


def test_a_transfer_posts_two_movements_and_moves_the_value(inventory, keeper_headers, setup):
    post_receipt(inventory, keeper_headers, setup["CSR"], line(RICE, "100", "4.20", "R-1", TODAY))
    response = inventory.post("/api/transfers", json={
        "from_location_id": setup["CSR"], "to_location_id": setup["DH3"],
        "lines": [{"item_id": RICE["id"], "quantity": "25"}]}, headers=keeper_headers)
    assert response.status_code == 201, response.json
    assert [(m["kind"], m["location_id"], m["quantity"], m["value"]) for m in response.json["movements"]] == [
        ("transfer_out", setup["CSR"], "-25.000", "-105.00"), ("transfer_in", setup["DH3"], "25.000", "105.00")]
    report = inventory.get("/api/valuation", headers=keeper_headers).json
    assert report["total_value"] == "420.00"
    assert {row["location_id"]: row["value"] for row in report["locations"]} == {setup["CSR"]: "315.00",
                                                                                 setup["DH3"]: "105.00"}


def test_waste_needs_a_reason_and_writes_off_the_lot(inventory, keeper_headers, setup):
    receipt = post_receipt(inventory, keeper_headers, setup["STORE"], line(CHIPS, "20", "2.50", "CH-1", TODAY)).json
    lot_id = receipt["movements"][0]["lot_id"]
    body = {"location_id": setup["STORE"], "lines": [{"item_id": CHIPS["id"], "lot_id": lot_id, "quantity": "3"}]}
    assert inventory.post("/api/waste", json=body, headers=keeper_headers).status_code == 422
    response = inventory.post("/api/waste", json={**body, "reason": "包装破损"}, headers=keeper_headers)
    assert response.status_code == 201
    assert [(m["kind"], m["quantity"], m["value"]) for m in response.json["movements"]] == [
        ("waste", "-3.000", "-7.50")]
    too_much = inventory.post("/api/waste", json={**body, "reason": "过期", "lines": [
        {"item_id": CHIPS["id"], "lot_id": lot_id, "quantity": "17.001"}]}, headers=keeper_headers)
    assert too_much.status_code == 409 and "lines.0.quantity" in too_much.json["errors"]


def test_a_stocktake_is_counted_by_the_keeper_and_approved_by_a_manager(inventory, staff, keeper_headers, setup):
    _, manager = staff("canteen_manager", demand_point="DH1")
    post_receipt(inventory, keeper_headers, setup["DH1"], line(RICE, "100", "4.00", "R-1", TODAY))
    sheet = inventory.post("/api/stocktakes", json={"location_id": setup["DH1"]}, headers=keeper_headers)
    assert sheet.status_code == 201, sheet.json
    [sheet_line] = sheet.json["lines"]
    assert (sheet_line["expected_quantity"], sheet_line["counted_quantity"]) == ("100.000", None)
    counted = inventory.put(f"/api/stocktakes/{sheet.json['id']}/counts", json={"lines": [
        {"line_id": sheet_line["id"], "counted_quantity": "97.5"}]}, headers=keeper_headers)
    assert counted.status_code == 200 and counted.json["lines"][0]["variance"] == "-2.500"
    assert inventory.post(f"/api/stocktakes/{sheet.json['id']}/approve", headers=keeper_headers).status_code == 403
    approved = inventory.post(f"/api/stocktakes/{sheet.json['id']}/approve", headers=manager)
    assert approved.status_code == 200, approved.json
    assert approved.json["status"] == "approved"
    assert [(m["kind"], m["quantity"], m["value"]) for m in approved.json["movements"]] == [
        ("adjustment", "-2.500", "-10.00")]
    again = inventory.post(f"/api/stocktakes/{sheet.json['id']}/approve", headers=manager)
    assert again.status_code == 409


def test_the_ledger_lists_movements_with_filters_and_pages(inventory, keeper_headers, setup):
    post_receipt(inventory, keeper_headers, setup["CSR"], line(RICE, "10", "4", "R-1", TODAY),
                 line(MILK, "10", "6", "M-1", TODAY), line(COAL, "10", "1", "C-1"))
    inventory.post("/api/transfers", json={"from_location_id": setup["CSR"], "to_location_id": setup["DH1"],
                                           "lines": [{"item_id": RICE["id"], "quantity": "2"}]},
                   headers=keeper_headers)
    page = inventory.get("/api/ledger?per_page=2&page=2", headers=keeper_headers).json
    assert (page["total"], page["page"], page["per_page"], len(page["items"])) == (5, 2, 2, 2)
    rice = inventory.get(f"/api/ledger?item_id={RICE['id']}&location_id={setup['CSR']}&sort=-id",
                         headers=keeper_headers).json
    assert [m["kind"] for m in rice["items"]] == ["transfer_out", "receipt"]
    assert inventory.get("/api/ledger?kind=transfer_in", headers=keeper_headers).json["total"] == 1
    assert inventory.get("/api/ledger?kind=teleport", headers=keeper_headers).status_code == 422
    assert inventory.get("/api/ledger?per_page=0", headers=keeper_headers).status_code == 422


def test_the_valuation_report_flags_restricted_store_goods(inventory, keeper_headers, setup):
    post_receipt(inventory, keeper_headers, setup["STORE"], line(CHIPS, "10", "2.50", "CH-1", TODAY))
    [row] = inventory.get(f"/api/valuation?location_id={setup['STORE']}", headers=keeper_headers).json["lines"]
    assert (row["item_code"], row["restricted"], row["value"]) == ("CHIPS", True, "25.00")


def test_a_supervisor_reads_but_may_not_post(inventory, staff, setup):
    _, supervisor = staff("supervisor")
    assert inventory.get("/api/stock", headers=supervisor).status_code == 200
    assert inventory.get("/api/ledger", headers=supervisor).status_code == 200
    assert inventory.get("/api/valuation", headers=supervisor).status_code == 200
    response = post_receipt(inventory, supervisor, setup["CSR"], line(RICE, "1", "1", "R-1", TODAY))
    assert response.status_code == 403
    for path in ("/api/issues", "/api/transfers", "/api/waste", "/api/stocktakes"):
        assert inventory.post(path, json={}, headers=supervisor).status_code == 403


@pytest.mark.parametrize("role", ["procurement_officer", "approver"])
def test_staff_outside_inventory_may_not_post_movements(inventory, staff, setup, role):
    _, headers = staff(role)
    assert post_receipt(inventory, headers, setup["CSR"], line(RICE, "1", "1", "R-1", TODAY)).status_code == 403


def test_procurement_read_stock_with_a_storekeeper_token_that_opened_every_storekeeper_endpoint(inventory, setup,
                                                                                                school):
    """Procurement's on-hand question (menu-driven demand) is the one inventory endpoint for its service token."""
    service = {"Authorization": f"Bearer {service_token('procurement', school.id, TEST_SECRET)}"}
    assert inventory.get("/api/stock", headers=service).status_code == 200
    assert post_receipt(inventory, service, setup["CSR"], line(RICE, "1", "1", "R-1", TODAY)).status_code == 403
    for path in ("/api/valuation", "/api/ledger", "/api/expected-receipts", "/api/reorder-rules"):
        assert inventory.get(path, headers=service).status_code == 403, path


def test_without_a_token_the_answer_is_401(inventory, setup):
    assert inventory.get("/api/stock").status_code == 401


def test_another_schools_documents_and_locations_are_unknown(inventory, staff, keeper_headers, setup, databases,
                                                           inventory_db):
    with databases["procurement"].unit_of_work() as uow:
        other = School(name="另一所学校")
        uow.session.add(other)
        uow.commit()
    with inventory_db.unit_of_work() as uow:
        theirs = {loc.code: loc.id for loc in ensure_standard_locations(uow.session, other.id)}
        uow.commit()
    _, their_keeper = staff("storekeeper", school_id=other.id)
    receipt = post_receipt(inventory, keeper_headers, setup["CSR"], line(RICE, "1", "4", "R-1", TODAY)).json
    assert inventory.get(f"/api/receipts/{receipt['id']}", headers=their_keeper).status_code == 404
    assert inventory.get("/api/stock", headers=their_keeper).json == []
    assert inventory.get("/api/ledger", headers=their_keeper).json["total"] == 0
    # our keeper cannot receive into their store room
    assert post_receipt(inventory, keeper_headers, theirs["CSR"], line(RICE, "1", "4", "R-2", TODAY)).status_code == 422


def test_a_retried_receipt_with_the_same_idempotency_key_is_posted_once(inventory, keeper_headers, setup,
                                                                        inventory_db):
    headers = {**keeper_headers, "Idempotency-Key": "receipt-0001"}
    body = {"location_id": setup["CSR"], "lines": [line(RICE, "10", "4", "R-1", TODAY)]}
    first = inventory.post("/api/receipts", json=body, headers=headers)
    second = inventory.post("/api/receipts", json=body, headers=headers)
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json == first.json and second.headers["Idempotent-Replayed"] == "true"
    assert movement_count(inventory_db) == 1


def test_the_item_cache_is_listed(inventory, keeper_headers, setup):
    assert [item["code"] for item in inventory.get("/api/items", headers=keeper_headers).json] == [
        "CHIPS", "COAL", "MILK-1", "RICE-5"]


def test_lots_expiring_soon_are_listed_per_location_earliest_first(inventory, keeper_headers, setup):
    post_receipt(inventory, keeper_headers, setup["DH1"],
                 line(MILK, "4", "6", "M-SOON", TODAY, TODAY + timedelta(2)),
                 line(MILK, "5", "6", "M-TODAY", TODAY, TODAY),
                 line(MILK, "6", "6", "M-LATER", TODAY, TODAY + timedelta(6)),
                 line(COAL, "100", "1", "C-1"))
    rows = inventory.get("/api/expiring-lots?within_days=3", headers=keeper_headers).json
    assert [(r["lot_number"], r["days_left"], r["expired"], r["quantity"]) for r in rows] == [
        ("M-TODAY", 0, False, "5.000"), ("M-SOON", 2, False, "4.000")]
    assert len(inventory.get("/api/expiring-lots?within_days=7", headers=keeper_headers).json) == 3
    assert inventory.get(f"/api/expiring-lots?location_id={setup['DH2']}", headers=keeper_headers).json == []
    assert inventory.get("/api/expiring-lots?within_days=-1", headers=keeper_headers).status_code == 422


@pytest.mark.parametrize("quantity, unit_price", [("10000000.001", "1"), ("1", "100000.01"), ("1e30", "1")])
def test_quantities_and_prices_beyond_the_ledgers_range_answer_422_not_500(inventory, keeper_headers, setup,
                                                                            quantity, unit_price):
    response = post_receipt(inventory, keeper_headers, setup["CSR"], line(RICE, quantity, unit_price, "R-1", TODAY))
    assert response.status_code == 422
    assert "lines" in response.json["errors"]


def test_the_largest_accepted_receipt_posts(inventory, keeper_headers, setup):
    response = post_receipt(inventory, keeper_headers, setup["CSR"], line(COAL, "10000000", "100000", "C-1"))
    assert response.status_code == 201
    assert response.json["movements"][0]["value"] == "1000000000000.00"


def test_goods_go_back_to_the_supplier_they_came_from_at_cost(inventory, keeper_headers, setup):
    receipt = post_receipt(inventory, keeper_headers, setup["CSR"], line(RICE, "100", "4.20", "R-1", TODAY)).json
    lot_id = receipt["movements"][0]["lot_id"]
    body = {"location_id": setup["CSR"], "supplier_id": 7, "reason": "质量不合格",
            "lines": [{"item_id": RICE["id"], "lot_id": lot_id, "quantity": "10"}]}
    response = inventory.post("/api/supplier-returns", json=body, headers=keeper_headers)
    assert response.status_code == 201, response.json
    assert [(m["kind"], m["quantity"], m["value"]) for m in response.json["movements"]] == [
        ("return_to_supplier", "-10.000", "-42.00")]
    assert inventory.get(f"/api/supplier-returns/{response.json['id']}", headers=keeper_headers).json == response.json
    wrong = inventory.post("/api/supplier-returns", json={**body, "supplier_id": 8}, headers=keeper_headers)
    assert wrong.status_code == 422 and "lines.0.lot_id" in wrong.json["errors"]
    too_much = inventory.post("/api/supplier-returns", json={**body, "lines": [
        {"item_id": RICE["id"], "lot_id": lot_id, "quantity": "90.001"}]}, headers=keeper_headers)
    assert too_much.status_code == 409

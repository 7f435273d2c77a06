"""A canteen manager works in their own dining hall only: another hall's stock is not theirs to change
(403) and its records are not theirs to see (404, left out of lists). School-wide roles see every hall."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from .conftest import MILK, RICE
from .test_api import line, post_receipt
from .test_receiving import order  # noqa: F401  (an order for the central store room and DH1)

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()


@pytest.fixture
def halls(inventory, staff, setup, keeper_headers):
    """Rice received into DH1 and DH2 by the storekeeper; the headers of DH1's and DH2's managers."""
    lots = {}
    for code in ("DH1", "DH2"):
        received = post_receipt(inventory, keeper_headers, setup[code], line(RICE, "100", "4.00", f"R-{code}", TODAY))
        assert received.status_code == 201, received.json
        lots[code] = received.json["movements"][0]["lot_id"]
    return {"DH1": staff("canteen_manager", demand_point="DH1")[1],
            "DH2": staff("canteen_manager", demand_point="DH2")[1], "lots": lots, "ids": setup}


def writes(ids, lots, code):
    """(method, path, body) of every change a manager could ask for at hall `code`."""
    hall, rice = ids[code], RICE["id"]
    lot_line = {"item_id": rice, "lot_id": lots[code], "quantity": "1"}
    return [
        ("post", "/api/receipts", {"location_id": hall, "lines": [line(MILK, "5", "6.00", "M-1", TODAY)]}),
        ("post", "/api/issues", {"location_id": hall, "meal_date": TODAY.isoformat(), "meal": "lunch",
                                 "lines": [{"item_id": rice, "quantity": "1"}]}),
        ("post", "/api/waste", {"location_id": hall, "reason": "包装破损", "lines": [lot_line]}),
        ("post", "/api/supplier-returns", {"location_id": hall, "supplier_id": 7, "reason": "质量不合格",
                                           "lines": [lot_line]}),
        ("post", "/api/transfers", {"from_location_id": hall, "to_location_id": ids["DH3"], "lines": [lot_line]}),
        ("post", "/api/stocktakes", {"location_id": hall}),
        ("put", "/api/reorder-rules", {"item_id": rice, "location_id": hall, "minimum": "10", "maximum": "50",
                                       "multiple": "5"}),
        ("put", f"/api/locations/{hall}/expiry-alert-days", {"expiry_alert_days": 5}),
        ("put", "/api/costing/meals-served", {"location_id": hall, "meal_date": TODAY.isoformat(), "meal": "lunch",
                                              "diners": 300}),
    ]


def test_a_manager_changes_nothing_at_another_hall_and_everything_at_their_own(inventory, halls):
    for method, path, body in writes(halls["ids"], halls["lots"], "DH2"):
        refused = getattr(inventory, method)(path, json=body, headers=halls["DH1"])
        assert refused.status_code == 403, (path, refused.json)
        assert refused.json["detail"] == "You may act only for your own dining hall"
    for method, path, body in writes(halls["ids"], halls["lots"], "DH1"):
        done = getattr(inventory, method)(path, json=body, headers=halls["DH1"])
        assert done.status_code in (200, 201), (path, done.json)


def test_a_transfer_needs_the_managers_hall_at_one_end(inventory, halls):
    ids, rice = halls["ids"], RICE["id"]
    lines = [{"item_id": rice, "quantity": "1"}]
    between_others = inventory.post("/api/transfers", json={"from_location_id": ids["DH2"],
                                                            "to_location_id": ids["CSR"], "lines": lines},
                                    headers=halls["DH1"])
    assert between_others.status_code == 403
    to_csr = inventory.post("/api/transfers", json={"from_location_id": ids["DH1"],
                                                           "to_location_id": ids["CSR"], "lines": lines},
                                   headers=halls["DH1"])
    assert to_csr.status_code == 201, to_csr.json


def test_another_halls_stocktake_is_not_found_for_counting_approving_or_cancelling(inventory, halls,
                                                                                   keeper_headers):
    sheet = inventory.post("/api/stocktakes", json={"location_id": halls["ids"]["DH2"]}, headers=keeper_headers).json
    counts = {"lines": [{"line_id": sheet["lines"][0]["id"], "counted_quantity": "99"}]}
    assert inventory.put(f"/api/stocktakes/{sheet['id']}/counts", json=counts, headers=halls["DH1"]).status_code == 404
    assert inventory.post(f"/api/stocktakes/{sheet['id']}/cancel", json={}, headers=halls["DH1"]).status_code == 404
    assert inventory.put(f"/api/stocktakes/{sheet['id']}/counts", json=counts, headers=halls["DH2"]).status_code == 200
    assert inventory.post(f"/api/stocktakes/{sheet['id']}/approve", headers=halls["DH1"]).status_code == 404
    assert inventory.post(f"/api/stocktakes/{sheet['id']}/approve", headers=halls["DH2"]).status_code == 200


def test_a_manager_without_a_hall_is_refused_and_school_wide_roles_act_anywhere(inventory, staff, halls):
    _, unassigned = staff("canteen_manager")
    refused = inventory.post("/api/stocktakes", json={"location_id": halls["ids"]["DH1"]}, headers=unassigned)
    assert refused.status_code == 403
    assert refused.json["detail"] == "Your account is not assigned to a dining hall; ask an administrator"
    _, unknown_hall = staff("canteen_manager", demand_point="DH9")
    assert inventory.post("/api/stocktakes", json={"location_id": halls["ids"]["DH1"]},
                          headers=unknown_hall).status_code == 403
    _, store_manager = staff("store_manager", demand_point="STORE")
    assert inventory.post("/api/stocktakes", json={"location_id": halls["ids"]["DH2"]},
                          headers=store_manager).status_code == 201


def test_a_manager_reads_only_their_own_halls_records(inventory, halls, keeper_headers):
    ids, lots, rice = halls["ids"], halls["lots"], RICE["id"]
    lot_line = {"item_id": rice, "lot_id": lots["DH2"], "quantity": "1"}
    made = {
        "issues": {"location_id": ids["DH2"], "meal_date": TODAY.isoformat(), "meal": "lunch",
                   "lines": [{"item_id": rice, "quantity": "1"}]},
        "waste": {"location_id": ids["DH2"], "reason": "包装破损", "lines": [lot_line]},
        "supplier-returns": {"location_id": ids["DH2"], "supplier_id": 7, "reason": "质量不合格", "lines": [lot_line]},
        "transfers": {"from_location_id": ids["DH2"], "to_location_id": ids["CSR"], "lines": [lot_line]},
        "stocktakes": {"location_id": ids["DH2"]},
    }
    paths = [f"/api/{kind}/{inventory.post(f'/api/{kind}', json=body, headers=keeper_headers).json['id']}"
             for kind, body in made.items()]
    receipts = inventory.get(f"/api/ledger?location_id={ids['DH2']}&kind=receipt", headers=keeper_headers).json
    paths.append(f"/api/receipts/{receipts['items'][0]['source_id']}")
    for path in paths:
        assert inventory.get(path, headers=halls["DH1"]).status_code == 404, path
        assert inventory.get(path, headers=halls["DH2"]).status_code == 200, path
        assert inventory.get(path, headers=keeper_headers).status_code == 200, path


def test_a_transfer_is_seen_at_both_its_ends(inventory, halls, keeper_headers):
    ids = halls["ids"]
    moved = inventory.post("/api/transfers", json={"from_location_id": ids["DH1"], "to_location_id": ids["DH2"],
                                                   "lines": [{"item_id": RICE["id"], "quantity": "1"}]},
                           headers=keeper_headers).json
    for code in ("DH1", "DH2"):
        assert inventory.get(f"/api/transfers/{moved['id']}", headers=halls[code]).status_code == 200


def test_lists_and_reports_leave_another_hall_out(inventory, halls, keeper_headers, staff):
    ids, manager, admin = halls["ids"], halls["DH1"], staff("admin")[1]
    for code in ("DH1", "DH2"):
        rule = {"item_id": RICE["id"], "location_id": ids[code], "minimum": "10", "maximum": "50", "multiple": "5"}
        assert inventory.put("/api/reorder-rules", json=rule, headers=keeper_headers).status_code == 200
        meals = {"location_id": ids[code], "meal_date": TODAY.isoformat(), "meal": "lunch", "diners": 100}
        assert inventory.put("/api/costing/meals-served", json=meals, headers=halls[code]).status_code == 200
        income = {"location_id": ids[code], "entry_date": TODAY.isoformat(), "kind": "subsidies", "amount": "20.00"}
        assert inventory.post("/api/costing/income", json=income, headers=admin).status_code == 201

    def locations(path, key="location_id", headers=manager):
        answer = inventory.get(path, headers=headers)
        assert answer.status_code == 200, (path, answer.json)
        rows = answer.json["items"] if "items" in answer.json else answer.json
        return {row[key] for row in (rows["lines"] if "lines" in rows else rows)}

    period = f"start={TODAY.isoformat()}&end={TODAY.isoformat()}"
    lists = ["/api/stock", "/api/valuation", "/api/ledger", "/api/expiring-lots?within_days=365",
             "/api/reorder-rules", f"/api/costing/meals-served?{period}", f"/api/costing/income?{period}"]
    for path in lists:
        assert locations(path) == {ids["DH1"]}, path
        assert locations(path, headers=admin) >= {ids["DH1"], ids["DH2"]}, path
        asked = f"{path}{'&' if '?' in path else '?'}location_id={ids['DH2']}"
        if path not in ("/api/reorder-rules",):
            assert locations(asked) == set(), asked
    valuation = inventory.get("/api/valuation", headers=manager).json
    assert valuation["total_value"] == "400.00" and valuation["locations"] == [
        {"location_id": ids["DH1"], "value": "400.00"}]
    term = f"period=term&{period}"
    halls_accounts = inventory.get(f"/api/costing/accounts?{term}", headers=manager).json["halls"]
    assert [hall["code"] for hall in halls_accounts] == ["DH1"]
    assert inventory.get(f"/api/costing/accounts?{term}&location_id={ids['DH2']}",
                         headers=manager).status_code == 404



def test_a_manager_sees_only_the_deliveries_with_lines_for_their_hall(inventory, halls, order):  # noqa: F811
    for code, seen in (("DH1", True), ("DH2", False)):
        listed = inventory.get("/api/expected-receipts", headers=halls[code]).json["items"]
        assert [expected["id"] for expected in listed] == ([order["id"]] if seen else [])
        one = inventory.get(f"/api/expected-receipts/{order['id']}", headers=halls[code])
        assert one.status_code == (200 if seen else 404)

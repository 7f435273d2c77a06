"""The monthly statement through the API: prepared by finance, signed in order, frozen, published."""
from __future__ import annotations

from datetime import date

import pytest

from shared.auth import Principal
from tests.conftest import bearer

SLOTS = ["cost_accountant", "meal_committee_head", "general_affairs_head", "deputy_principal", "principal"]
NAMES = ["李会计", "王主任", "赵主任", "钱副校长", "孙校长"]


@pytest.fixture
def users(school_id):
    """Tokens of a finance user, two approvers, two admins (five different signers), a supervisor, a manager."""
    roles = {"finance": "finance", "approver1": "approver", "approver2": "approver", "admin1": "admin",
             "admin2": "admin", "supervisor": "supervisor", "manager": "canteen_manager"}
    return {name: bearer(Principal(str(3000 + index), frozenset({role}), school_id=school_id,
                                   demand_point="DH1" if role == "canteen_manager" else None))
            for index, (name, role) in enumerate(roles.items())}


SIGNERS = ["finance", "approver1", "approver2", "admin1", "admin2"]


def prepare(inventory, users, month="2026-10-01"):
    response = inventory.post("/api/costing/statements", json={"month": month}, headers=users["finance"])
    assert response.status_code == 201, response.json
    return response.json


def sign(inventory, users, statement_id, index, signer=None):
    return inventory.post(f"/api/costing/statements/{statement_id}/signatures",
                          json={"slot": SLOTS[index], "signer_name": NAMES[index]},
                          headers=users[signer or SIGNERS[index]])


def sign_all(inventory, users, statement_id):
    for index in range(5):
        response = sign(inventory, users, statement_id, index)
        assert response.status_code == 200, response.json
    return response.json


def test_finance_prepares_the_statement_with_every_figure(inventory, users, october):
    body = prepare(inventory, users, "2026-10-17")
    assert (body["month"], body["status"], body["next_slot"], body["due_date"]) == (
        "2026-10-01", "draft", "cost_accountant", "2026-11-15")
    content = body["content"]
    dh1 = next(hall for hall in content["halls"] if hall["code"] == "DH1")
    assert (dh1["name"], dh1["balance"], dh1["cost_per_diner_meal"], dh1["food_share"]) == (
        "第一食堂", "-302.40", "4.10", "86.94")
    assert (dh1["opening_surplus"], dh1["closing_surplus"]) == ("0.00", "-302.40")
    school = content["school"]
    assert (school["spending_total"], school["balance"], school["diner_meals"]) == ("1043.20", "-335.40", 255)
    dh2 = next(hall for hall in content["halls"] if hall["code"] == "DH2")
    assert dh2["below_floor"] is True and dh2["warnings"]
    assert inventory.post("/api/costing/statements", json={"month": "2026-10-31"},
                          headers=users["finance"]).status_code == 409


def test_slots_are_signed_in_order_by_the_right_roles(inventory, users, october):
    statement = prepare(inventory, users)
    assert sign(inventory, users, statement["id"], 1).status_code == 409  # the accountant signs first
    assert sign(inventory, users, statement["id"], 0, signer="approver1").status_code == 403
    assert sign(inventory, users, statement["id"], 0, signer="supervisor").status_code == 403
    first = sign(inventory, users, statement["id"], 0)
    assert first.status_code == 200 and first.json["status"] == "signing"
    assert first.json["next_slot"] == "meal_committee_head"
    assert sign(inventory, users, statement["id"], 0).status_code == 409  # signed already
    assert sign(inventory, users, statement["id"], 2).status_code == 409  # skips a slot
    assert sign(inventory, users, statement["id"], 1, signer="finance").status_code == 403
    assert sign(inventory, users, statement["id"], 1).status_code == 200
    assert sign(inventory, users, statement["id"], 2, signer="approver1").status_code == 409  # one slot each


def test_a_fully_signed_statement_is_frozen_and_published(inventory, users, october):
    statement = prepare(inventory, users)
    body = sign_all(inventory, users, statement["id"])
    assert body["status"] == "published" and body["published_at"] and body["next_slot"] is None
    assert [s["slot"] for s in body["signatures"]] == SLOTS
    assert [s["signer_name"] for s in body["signatures"]] == NAMES
    assert sign(inventory, users, statement["id"], 4).status_code == 409

    # the floor changes afterwards: live accounts follow it, the published statement does not
    assert inventory.put("/api/costing/settings", json={"food_share_floor": "90.00"},
                         headers=users["finance"]).status_code == 200
    frozen = inventory.get(f"/api/costing/statements/{statement['id']}", headers=users["supervisor"]).json
    assert frozen["content"] == body["content"]
    assert frozen["content"]["school"]["food_share_floor"] == "85.00"
    live = inventory.get("/api/costing/accounts?period=month&date=2026-10-05", headers=users["supervisor"]).json
    assert live["school"]["food_share_floor"] == "90.00" and live["school"]["below_floor"] is True


@pytest.mark.parametrize("path, payload", [
    ("/api/costing/income", {"location_id": "DH1", "entry_date": "2026-10-20", "kind": "other", "amount": "1.00"}),
    ("/api/costing/expenses", {"location_id": "DH1", "entry_date": "2026-10-20", "kind": "wages", "amount": "1.00"}),
    ("/api/costing/meals-served", {"location_id": "DH1", "meal_date": "2026-10-20", "meal": "lunch", "diners": 9}),
])
def test_a_month_under_signature_cannot_change(inventory, users, october, path, payload):
    payload = {**payload, "location_id": october["DH1"].id}
    method = inventory.put if path.endswith("meals-served") else inventory.post
    assert method(path, json=payload, headers=users["finance"]).status_code in (200, 201)  # open: accepted
    statement = prepare(inventory, users)
    assert sign(inventory, users, statement["id"], 0).status_code == 200
    assert method(path, json=payload, headers=users["finance"]).status_code == 409
    november = {**payload, **{key: "2026-11-03" for key in ("entry_date", "meal_date") if key in payload}}
    assert method(path, json=november, headers=users["finance"]).status_code in (200, 201)


def test_an_entry_can_be_withdrawn_only_while_its_month_is_open(inventory, users, october):
    created = inventory.post("/api/costing/income", json={
        "location_id": october["DH2"].id, "entry_date": "2026-10-09", "kind": "subsidies", "amount": "20.00"},
        headers=users["finance"])
    assert created.status_code == 201
    entry_id = created.json["id"]
    statement = sign_all(inventory, users, prepare(inventory, users)["id"])
    assert statement["content"]["school"]["income"]["subsidies"] == "120.00"  # 100.00 + 20.00
    assert inventory.delete(f"/api/costing/income/{entry_id}", headers=users["finance"]).status_code == 409
    other = inventory.post("/api/costing/income", json={
        "location_id": october["DH2"].id, "entry_date": "2026-11-09", "kind": "other", "amount": "5.00"},
        headers=users["finance"]).json
    assert inventory.delete(f"/api/costing/income/{other['id']}", headers=users["finance"]).status_code == 204


def test_the_surplus_is_carried_forward_from_the_previous_statement(inventory, users, october):
    sign_all(inventory, users, prepare(inventory, users)["id"])
    november = prepare(inventory, users, "2026-11-02")["content"]
    dh1 = next(hall for hall in november["halls"] if hall["code"] == "DH1")
    # November at DH1: income 999.99, rice 42.00 issued on 1 Nov → balance 957.99; opened at October's −302.40
    assert (dh1["opening_surplus"], dh1["balance"], dh1["closing_surplus"]) == ("-302.40", "957.99", "655.59")
    assert november["school"]["opening_surplus"] == "-335.40"
    assert november["school"]["closing_surplus"] == "622.59"  # −335.40 + 957.99


def test_a_month_that_is_not_over_cannot_be_signed(inventory, users, october):
    statement = prepare(inventory, users, date.today().isoformat())
    response = sign(inventory, users, statement["id"], 0)
    assert response.status_code == 409 and "not over" in response.json["detail"]


def test_roles_and_tenants(inventory, users, october):
    statement = prepare(inventory, users)
    assert inventory.post("/api/costing/statements", json={"month": "2026-09-01"},
                          headers=users["supervisor"]).status_code == 403
    assert inventory.post("/api/costing/income", json={
        "location_id": october["DH1"].id, "entry_date": "2026-10-09", "kind": "other", "amount": "1.00"},
        headers=users["manager"]).status_code == 403
    assert inventory.put("/api/costing/meals-served", json={
        "location_id": october["DH1"].id, "meal_date": "2026-10-09", "meal": "lunch", "diners": 3},
        headers=users["manager"]).status_code == 200
    assert inventory.get(f"/api/costing/statements/{statement['id']}", headers=users["supervisor"]).status_code == 200
    assert inventory.get(f"/api/costing/statements/{statement['id']}").status_code == 401
    stranger = bearer(Principal("9999", frozenset({"finance"}), school_id=october["DH1"].school_id + 1))
    assert inventory.get(f"/api/costing/statements/{statement['id']}", headers=stranger).status_code == 404
    assert inventory.post("/api/costing/income", json={
        "location_id": october["DH1"].id, "entry_date": "2026-10-09", "kind": "other", "amount": "1.00"},
        headers=stranger).status_code == 422
    listing = inventory.get("/api/costing/statements", headers=users["supervisor"]).json
    assert listing["total"] == 1 and listing["items"][0]["id"] == statement["id"]


@pytest.mark.parametrize("query", [
    "period=week", "period=term&start=2026-10-05", "period=term&start=2026-10-05&end=2026-10-01",
    "period=year&date=2026-10-01", "period=day&date=tomorrow", "location_id=0&date=2026-10-01",
    "location_id=999999&date=2026-10-01", "location_id=x&date=2026-10-01"])
def test_bad_periods_are_422(inventory, users, october, query):
    response = inventory.get(f"/api/costing/accounts?{query}", headers=users["finance"])
    assert response.status_code == 422, response.json


@pytest.mark.parametrize("payload", [
    {"kind": "donations", "amount": "1.00"}, {"kind": "other", "amount": "0.00"}, {"kind": "other", "amount": "1.001"},
    {"kind": "other", "amount": 1.5e300}, {"kind": "other", "amount": "NaN"}, {"kind": "other", "amount": True},
    {"kind": "other", "amount": "1.00", "entry_date": "2026-13-01"},
    {"kind": "other", "amount": "1.00", "location_id": -1}, {"kind": "other", "amount": "1.00", "location_id": "1"},
])
def test_bad_entries_are_422(inventory, users, october, payload):
    body = {"location_id": october["DH1"].id, "entry_date": "2026-10-09", **payload}
    response = inventory.post("/api/costing/income", json=body, headers=users["finance"])
    assert response.status_code == 422, response.json


def test_a_terms_accounts_cover_its_dates(inventory, users, october):
    body = inventory.get(f"/api/costing/accounts?period=term&start=2026-09-01&end=2026-11-30&location_id="
                         f"{october['DH1'].id}", headers=users["supervisor"]).json
    [dh1] = body["halls"]
    # September wages 500.00 and the November income 999.99 now count too
    assert (body["start"], body["end"], dh1["wages"], dh1["income"]["student_fees"]) == (
        "2026-09-01", "2026-11-30", "650.00", "1379.99")
    assert body["school"]["wages"] == "650.00"


def test_the_first_statement_of_the_books_opens_with_the_given_surplus(inventory, users, october):
    dh1, dh2 = october["DH1"].id, october["DH2"].id
    body = inventory.post("/api/costing/statements", headers=users["finance"], json={
        "month": "2026-10-01", "opening_surplus": [{"location_id": dh1, "amount": "1200.50"},
                                                   {"location_id": dh2, "amount": "-20.00"}]}).json
    halls = {hall["code"]: hall for hall in body["content"]["halls"]}
    assert (halls["DH1"]["opening_surplus"], halls["DH1"]["closing_surplus"]) == ("1200.50", "898.10")  # −302.40
    assert (halls["DH2"]["opening_surplus"], halls["DH2"]["closing_surplus"]) == ("-20.00", "-53.00")  # −33.00
    assert halls["DH3"]["opening_surplus"] == "0.00"
    # 1200.50 − 20.00 = 1180.50 brought in; 1180.50 − 335.40 = 845.10
    assert (body["content"]["school"]["opening_surplus"], body["content"]["school"]["closing_surplus"]) == (
        "1180.50", "845.10")
    november = inventory.post("/api/costing/statements", headers=users["finance"], json={
        "month": "2026-11-01", "opening_surplus": [{"location_id": dh1, "amount": "1.00"}]})
    assert november.status_code == 409  # October's statement carries its surplus forward


@pytest.mark.parametrize("opening", [
    [{"location_id": 999999, "amount": "1.00"}], [{"amount": "1.00"}], [{"location_id": "DH1", "amount": "1"}],
    [{"location_id": 0, "amount": "1.001"}],
])
def test_an_opening_surplus_names_a_dining_hall_and_an_amount_to_the_fen(inventory, users, october, opening):
    response = inventory.post("/api/costing/statements", headers=users["finance"],
                              json={"month": "2026-10-01", "opening_surplus": opening})
    assert response.status_code == 422, response.json


def test_an_opening_surplus_gives_each_hall_once(inventory, users, october):
    dh1 = october["DH1"].id
    response = inventory.post("/api/costing/statements", headers=users["finance"], json={
        "month": "2026-10-01", "opening_surplus": [{"location_id": dh1, "amount": "1.00"},
                                                   {"location_id": dh1, "amount": "2.00"}]})
    assert response.status_code == 422 and "opening_surplus.1.location_id" in response.json["errors"]


@pytest.mark.parametrize("method, path, payload", [
    ("get", "/api/costing/accounts?period=term&start=0001-01-01&end=0001-12-31", None),
    ("get", "/api/costing/accounts?period=month&date=9999-12-31", None),
    ("get", "/api/costing/cost-detail.csv?start=9999-12-01&end=9999-12-31", None),
    ("post", "/api/costing/statements", {"month": "9999-12-01"}),
    ("post", "/api/costing/statements", {"month": "0001-01-01"}),
    ("put", "/api/costing/meals-served", {"location_id": "DH1", "meal_date": "0001-01-01", "meal": "lunch",
                                          "diners": 1}),
    ("post", "/api/costing/income", {"location_id": "DH1", "entry_date": "9999-12-31", "kind": "other",
                                     "amount": "1.00"}),
    ("put", "/api/costing/ratings", {"location_id": "DH1", "week_of": "0001-01-01",
                                     "rater_kind": "parent_representative", "price_score": 3, "quality_score": 3}),
    ("post", "/api/costing/disclosures", {"week_of": "0001-01-03"}),
])
def test_dates_outside_the_books_are_422_not_500(inventory, users, october, method, path, payload):
    headers = users["supervisor"] if path.endswith("ratings") else users["finance"]
    if payload is not None and "location_id" in payload:
        payload = {**payload, "location_id": october["DH1"].id}
    response = getattr(inventory, method)(path, json=payload, headers=headers)
    assert response.status_code == 422, response.json
    assert set(response.json.get("errors", {})) <= {"start", "end", "date", "month", "meal_date", "entry_date",
                                                    "week_of"}, response.json

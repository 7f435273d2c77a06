from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from services.procurement.models import PlanLineSource, School

from .conftest import CABBAGE, OIL, RICE

MONDAY = date.today() + timedelta(days=7 - date.today().weekday())  # next Monday


def day(offset):
    return (MONDAY + timedelta(days=offset)).isoformat()


@pytest.fixture
def approve(procurement, staff):
    _, approver = staff("approver")

    def run(headers, point, lines):
        body = {"demand_point": point, "lines": lines}
        created = procurement.post("/api/requisitions", json=body, headers=headers)
        assert created.status_code == 201, created.json
        procurement.post(f"/api/requisitions/{created.json['id']}/submit", headers=headers)
        approved = procurement.post(f"/api/requisitions/{created.json['id']}/approve", json={}, headers=approver)
        assert approved.status_code == 200
        return approved.json

    return run


@pytest.fixture
def buyer(staff):
    return staff("procurement_officer")[1]


def test_approved_lines_from_all_demand_points_merge_by_item_and_week(procurement, manager, approve, make_item, buyer,
                                                                      demand_points):
    rice, oil, cabbage = make_item(RICE), make_item(OIL), make_item(CABBAGE)
    _, dh1 = manager("DH1")
    _, dh2 = manager("DH2")
    first = approve(dh1, "DH1", [{"item_id": rice.id, "quantity": "4", "unit": "bag", "needed_by": day(1)},
                                 {"item_id": cabbage.id, "quantity": "60", "unit": "jin", "needed_by": day(2)},
                                 {"item_id": rice.id, "quantity": "2", "unit": "bag", "needed_by": day(8)}])
    second = approve(dh2, "DH2", [{"item_id": rice.id, "quantity": "50", "unit": "kg", "needed_by": day(0)},
                                  {"item_id": oil.id, "quantity": "3", "unit": "drum20", "needed_by": day(3)}])
    response = procurement.post("/api/purchase-plans", json={"window_start": day(0), "window_end": day(13)},
                                headers=buyer)
    assert response.status_code == 201, response.json
    lines = {(line["item_id"], line["window_start"]): line for line in response.json["lines"]}
    assert len(lines) == 4
    rice_week1 = lines[(rice.id, day(0))]
    assert (rice_week1["quantity"], rice_week1["delivery_date"]) == ("150.000", day(0))
    assert {(s["demand_point"], s["quantity"]) for s in rice_week1["sources"]} == {("DH1", "100.000"),
                                                                                   ("DH2", "50.000")}
    assert lines[(rice.id, day(7))]["quantity"] == "50.000"
    assert lines[(cabbage.id, day(0))]["quantity"] == "30.000"
    assert lines[(oil.id, day(0))]["quantity"] == "60.000"
    requisitions = procurement.get("/api/requisitions?state=consolidated", headers=buyer).json
    assert {r["id"] for r in requisitions["items"]} == {first["id"], second["id"]}


def test_a_consolidated_line_is_never_consolidated_again(procurement, manager, approve, make_item, buyer, databases):
    rice = make_item(RICE)
    _, dh1 = manager("DH1")
    approve(dh1, "DH1", [{"item_id": rice.id, "quantity": "4", "unit": "bag", "needed_by": day(1)}])
    window = {"window_start": day(0), "window_end": day(6)}
    assert procurement.post("/api/purchase-plans", json=window, headers=buyer).status_code == 201
    again = procurement.post("/api/purchase-plans", json=window, headers=buyer)
    assert again.status_code == 409
    with databases["procurement"].unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(PlanLineSource)) == 1


def test_lines_a_concurrent_consolidation_took_first_are_a_conflict_and_nothing_is_written(
        procurement, manager, approve, make_item, buyer, databases, monkeypatch):
    from services.procurement import consolidation
    rice = make_item(RICE)
    _, dh1 = manager("DH1")
    approve(dh1, "DH1", [{"item_id": rice.id, "quantity": "4", "unit": "bag", "needed_by": day(1)}])
    seen = []
    read = consolidation.pending_lines

    def as_first_read(*args):
        # the second consolidation read the lines before the first one committed
        seen.append(seen[0] if seen else read(*args))
        return seen[-1]

    monkeypatch.setattr(consolidation, "pending_lines", as_first_read)
    window = {"window_start": day(0), "window_end": day(6)}
    assert procurement.post("/api/purchase-plans", json=window, headers=buyer).status_code == 201
    late = procurement.post("/api/purchase-plans", json=window, headers=buyer)
    assert late.status_code == 409 and "meanwhile" in late.json["detail"], late.json
    assert procurement.get("/api/purchase-plans", headers=buyer).json["total"] == 1
    with databases["procurement"].unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(PlanLineSource)) == 1


def test_lines_outside_the_period_wait_and_their_requisition_stays_approved(procurement, manager, approve, make_item,
                                                                          buyer):
    rice = make_item(RICE)
    _, dh1 = manager("DH1")
    requisition = approve(dh1, "DH1", [{"item_id": rice.id, "quantity": "1", "unit": "bag", "needed_by": day(1)},
                                       {"item_id": rice.id, "quantity": "3", "unit": "bag", "needed_by": day(20)}])
    plan = procurement.post("/api/purchase-plans", json={"window_start": day(0), "window_end": day(6)},
                            headers=buyer).json
    assert [line["quantity"] for line in plan["lines"]] == ["25.000"]
    assert procurement.get(f"/api/requisitions/{requisition['id']}", headers=buyer).json["state"] == "approved"
    later = procurement.post("/api/purchase-plans", json={"window_start": day(14), "window_end": day(27)},
                             headers=buyer).json
    assert [line["quantity"] for line in later["lines"]] == ["75.000"]
    assert procurement.get(f"/api/requisitions/{requisition['id']}", headers=buyer).json["state"] == "consolidated"


def test_only_approved_requisitions_are_consolidated(procurement, manager, make_item, buyer, demand_points):
    rice = make_item(RICE)
    _, dh1 = manager("DH1")
    draft = procurement.post("/api/requisitions", json={"demand_point": "DH1", "lines": [
        {"item_id": rice.id, "quantity": "1", "unit": "bag", "needed_by": day(1)}]}, headers=dh1).json
    procurement.post(f"/api/requisitions/{draft['id']}/submit", headers=dh1)
    assert procurement.post("/api/purchase-plans", json={"window_start": day(0), "window_end": day(6)},
                            headers=buyer).status_code == 409


@pytest.mark.parametrize("body", [{"window_start": day(6), "window_end": day(0)},
                                  {"window_start": day(0), "window_end": day(200)},
                                  {"window_start": day(0), "window_end": day(6), "window_days": 0},
                                  {"window_start": "soon", "window_end": day(6)}])
def test_invalid_periods_are_refused(procurement, buyer, body):
    assert procurement.post("/api/purchase-plans", json=body, headers=buyer).status_code == 422


@pytest.mark.parametrize("role", ["canteen_manager", "approver", "storekeeper", "finance", "supervisor"])
def test_only_buyers_consolidate(procurement, staff, role):
    _, headers = staff(role)
    assert procurement.post("/api/purchase-plans", json={"window_start": day(0), "window_end": day(6)},
                            headers=headers).status_code == 403


def test_another_schools_plan_is_not_found(procurement, manager, approve, make_item, buyer, staff, databases):
    rice = make_item(RICE)
    _, dh1 = manager("DH1")
    approve(dh1, "DH1", [{"item_id": rice.id, "quantity": "1", "unit": "bag", "needed_by": day(1)}])
    plan = procurement.post("/api/purchase-plans", json={"window_start": day(0), "window_end": day(6)},
                            headers=buyer).json
    assert procurement.get(f"/api/purchase-plans/{plan['id']}", headers=buyer).status_code == 200
    assert procurement.get("/api/purchase-plans", headers=buyer).json["total"] == 1
    with databases["procurement"].unit_of_work() as uow:
        other = School(name="别校")
        uow.session.add(other)
        uow.commit()
    _, theirs = staff("procurement_officer", school_id=other.id)
    assert procurement.get(f"/api/purchase-plans/{plan['id']}", headers=theirs).status_code == 404
    assert procurement.get("/api/purchase-plans", headers=theirs).json["total"] == 0


def test_an_order_from_a_plan_keeps_the_demand_point_split_and_is_not_ordered_twice(procurement, manager, approve,
                                                                                    make_item, buyer, supplier,
                                                                                    databases):
    rice = make_item(RICE)
    _, dh1 = manager("DH1")
    _, dh3 = manager("DH3")
    approve(dh1, "DH1", [{"item_id": rice.id, "quantity": "4", "unit": "bag", "needed_by": day(2)}])
    approve(dh3, "DH3", [{"item_id": rice.id, "quantity": "2", "unit": "bag", "needed_by": day(3)}])
    plan = procurement.post("/api/purchase-plans", json={"window_start": day(0), "window_end": day(6)},
                            headers=buyer).json
    [plan_line] = plan["lines"]
    body = {"supplier_id": supplier, "prices": [{"plan_line_id": plan_line["id"], "unit_price": "4.10"}]}
    response = procurement.post(f"/api/purchase-plans/{plan['id']}/purchase-orders", json=body, headers=buyer)
    assert response.status_code == 201, response.json
    order = response.json
    assert order["plan_id"] == plan["id"]
    assert [(line["destination"], line["base_quantity"], line["delivery_date"]) for line in order["lines"]] == [
        ("DH1", "100.000", day(2)), ("DH3", "50.000", day(2))]
    assert order["total"] == "615.00"
    again = procurement.post(f"/api/purchase-plans/{plan['id']}/purchase-orders", json=body, headers=buyer)
    assert again.status_code == 409
    procurement.post(f"/api/purchase-orders/{order['id']}/cancel", json={"reason": "换供应商"}, headers=buyer)
    assert procurement.post(f"/api/purchase-plans/{plan['id']}/purchase-orders", json=body,
                            headers=buyer).status_code == 201


def test_an_order_from_a_plan_refuses_lines_of_another_plan(procurement, manager, approve, make_item, buyer, supplier):
    rice = make_item(RICE)
    _, dh1 = manager("DH1")
    approve(dh1, "DH1", [{"item_id": rice.id, "quantity": "4", "unit": "bag", "needed_by": day(2)}])
    plan = procurement.post("/api/purchase-plans", json={"window_start": day(0), "window_end": day(6)},
                            headers=buyer).json
    body = {"supplier_id": supplier, "prices": [{"plan_line_id": 999999, "unit_price": "4.10"}]}
    assert procurement.post(f"/api/purchase-plans/{plan['id']}/purchase-orders", json=body,
                            headers=buyer).status_code == 422
    assert procurement.post("/api/purchase-plans/999999/purchase-orders", json=body, headers=buyer).status_code == 404
    twice = {"supplier_id": supplier, "prices": [{"plan_line_id": plan["lines"][0]["id"], "unit_price": "4.10"}] * 2}
    assert procurement.post(f"/api/purchase-plans/{plan['id']}/purchase-orders", json=twice,
                            headers=buyer).status_code == 422

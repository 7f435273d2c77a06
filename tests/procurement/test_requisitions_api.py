from datetime import date, timedelta

import pytest
from sqlalchemy import select

from services.procurement.models import Audit, School

from .conftest import CABBAGE, OIL, RICE

SOON = (date.today() + timedelta(days=5)).isoformat()


@pytest.fixture
def rice(make_item, demand_points):
    return make_item(RICE)


def requisition_body(item, point="DH1", quantity="4", unit="bag", needed_by=SOON):
    return {"demand_point": point, "note": "下周用米",
            "lines": [{"item_id": item.id, "quantity": quantity, "unit": unit, "needed_by": needed_by}]}


@pytest.fixture
def raised(procurement, manager, rice):
    """A draft requisition of DH1 raised by its canteen manager: (body, manager headers)."""
    _, headers = manager("DH1")
    response = procurement.post("/api/requisitions", json=requisition_body(rice), headers=headers)
    assert response.status_code == 201, response.json
    return response.json, headers


def test_a_canteen_manager_raises_a_requisition_in_bags_kept_in_kilograms(raised):
    body, _ = raised
    assert body["state"] == "draft" and body["demand_point"] == "DH1"
    [line] = body["lines"]
    assert (line["quantity"], line["unit"], line["base_quantity"], line["base_unit"]) == (
        "4.000", "bag", "100.000", "kg")


@pytest.mark.parametrize("quantity, unit, base", [("3", "jin", "1.500"), ("0.5", "t", "500.000"), ("250", "g", "0.250"),
                                                  ("12.5", None, "12.500")])
def test_quantities_in_any_unit_of_the_item_are_converted_to_its_base_unit(procurement, manager, rice, quantity, unit,
                                                                           base):
    _, headers = manager("DH2")
    body = requisition_body(rice, "DH2", quantity, unit)
    response = procurement.post("/api/requisitions", json=body, headers=headers)
    assert response.status_code == 201, response.json
    assert response.json["lines"][0]["base_quantity"] == base


@pytest.mark.parametrize("change, field", [
    ({"unit": "L"}, "lines.0.unit"),
    ({"unit": "drum"}, "lines.0.unit"),
    ({"quantity": "0"}, "lines"),
    ({"quantity": "-2"}, "lines"),
    ({"quantity": "1.2345"}, "lines"),
    ({"unit": "g", "quantity": "0.5"}, "lines.0.quantity"),
    ({"needed_by": "2020-01-01"}, "lines.0.needed_by"),
    ({"item_id": 999999}, "lines.0.item_id"),
])
def test_invalid_lines_are_refused_with_the_field_named(procurement, manager, rice, change, field):
    _, headers = manager("DH1")
    body = requisition_body(rice)
    body["lines"][0].update(change)
    response = procurement.post("/api/requisitions", json=body, headers=headers)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"], response.json


def test_a_requisition_needs_lines_and_a_known_demand_point(procurement, manager, rice):
    _, headers = manager("DH1")
    assert procurement.post("/api/requisitions", json={**requisition_body(rice), "lines": []},
                            headers=headers).status_code == 422
    assert procurement.post("/api/requisitions", json=requisition_body(rice, point="DH9"),
                            headers=headers).status_code == 422


def test_a_canteen_manager_raises_only_for_their_own_dining_hall(procurement, manager, staff, rice):
    _, headers = manager("DH1")
    assert procurement.post("/api/requisitions", json=requisition_body(rice, "DH2"), headers=headers).status_code == 403
    _, unassigned = staff("canteen_manager")
    assert procurement.post("/api/requisitions", json=requisition_body(rice), headers=unassigned).status_code == 403
    _, buyer = staff("procurement_officer")
    assert procurement.post("/api/requisitions", json=requisition_body(rice, "CSR"), headers=buyer).status_code == 201


@pytest.mark.parametrize("role", ["storekeeper", "approver", "finance", "supervisor"])
def test_roles_that_do_not_raise_demand_may_not_create_requisitions(procurement, staff, rice, role):
    _, headers = staff(role)
    assert procurement.post("/api/requisitions", json=requisition_body(rice), headers=headers).status_code == 403


def test_submit_then_approve_moves_the_requisition_and_audits_each_step(procurement, raised, staff, databases):
    body, headers = raised
    approver_user, approver = staff("approver")
    submitted = procurement.post(f"/api/requisitions/{body['id']}/submit", headers=headers)
    assert submitted.status_code == 200 and submitted.json["state"] == "submitted"
    approved = procurement.post(f"/api/requisitions/{body['id']}/approve", json={}, headers=approver)
    assert approved.status_code == 200 and approved.json["state"] == "approved"
    assert approved.json["decided_by"] == str(approver_user.id)
    history = procurement.get(f"/api/requisitions/{body['id']}/history", headers=headers).json
    assert [(h["action"], h["from_state"], h["to_state"]) for h in history] == [
        ("submit", "draft", "submitted"), ("approve", "submitted", "approved")]
    assert history[1]["actor"] == str(approver_user.id)


def test_a_rejection_needs_a_reason_and_is_final(procurement, raised, staff):
    body, headers = raised
    _, approver = staff("procurement_officer")
    procurement.post(f"/api/requisitions/{body['id']}/submit", headers=headers)
    assert procurement.post(f"/api/requisitions/{body['id']}/reject", json={}, headers=approver).status_code == 422
    rejected = procurement.post(f"/api/requisitions/{body['id']}/reject", json={"reason": "库存充足"}, headers=approver)
    assert rejected.status_code == 200
    assert (rejected.json["state"], rejected.json["decision_reason"]) == ("rejected", "库存充足")
    for action in ("submit", "approve", "reject"):
        response = procurement.post(f"/api/requisitions/{body['id']}/{action}", json={"reason": "x"},
                                    headers=approver if action != "submit" else headers)
        assert response.status_code == 409, (action, response.json)


def test_refused_transitions_are_conflicts(procurement, raised, staff):
    body, headers = raised
    _, approver = staff("approver")
    assert procurement.post(f"/api/requisitions/{body['id']}/approve", json={}, headers=approver).status_code == 409
    assert procurement.post(f"/api/requisitions/{body['id']}/reject", json={"reason": "x"},
                            headers=approver).status_code == 409
    procurement.post(f"/api/requisitions/{body['id']}/submit", headers=headers)
    assert procurement.post(f"/api/requisitions/{body['id']}/submit", headers=headers).status_code == 409
    procurement.post(f"/api/requisitions/{body['id']}/approve", json={}, headers=approver)
    assert procurement.post(f"/api/requisitions/{body['id']}/approve", json={}, headers=approver).status_code == 409


def test_whoever_raised_a_requisition_does_not_approve_it(procurement, staff, rice):
    _, buyer = staff("procurement_officer")
    body = procurement.post("/api/requisitions", json=requisition_body(rice, "CSR"), headers=buyer).json
    procurement.post(f"/api/requisitions/{body['id']}/submit", headers=buyer)
    assert procurement.post(f"/api/requisitions/{body['id']}/approve", json={}, headers=buyer).status_code == 409


def test_a_canteen_manager_may_not_decide_requisitions(procurement, raised):
    body, headers = raised
    procurement.post(f"/api/requisitions/{body['id']}/submit", headers=headers)
    assert procurement.post(f"/api/requisitions/{body['id']}/approve", json={}, headers=headers).status_code == 403


def test_another_dining_halls_or_schools_requisition_is_not_found(procurement, raised, manager, staff, databases):
    body, _ = raised
    _, other_hall = manager("DH2")
    assert procurement.get(f"/api/requisitions/{body['id']}", headers=other_hall).status_code == 404
    assert procurement.post(f"/api/requisitions/{body['id']}/submit", headers=other_hall).status_code == 404
    assert procurement.get("/api/requisitions", headers=other_hall).json["total"] == 0
    with databases["procurement"].unit_of_work() as uow:
        other = School(name="别校")
        uow.session.add(other)
        uow.commit()
    _, theirs = staff("approver", school_id=other.id)
    assert procurement.get(f"/api/requisitions/{body['id']}", headers=theirs).status_code == 404
    assert procurement.post(f"/api/requisitions/{body['id']}/approve", json={}, headers=theirs).status_code == 404
    assert procurement.get("/api/requisitions/424242", headers=theirs).status_code == 404


def test_requisitions_list_filters_by_state_and_demand_point(procurement, raised, staff, make_item):
    body, headers = raised
    _, buyer = staff("procurement_officer")
    oil = make_item(OIL)
    procurement.post("/api/requisitions", json=requisition_body(oil, "CSR", "2", "drum20"), headers=buyer)
    procurement.post(f"/api/requisitions/{body['id']}/submit", headers=headers)
    assert procurement.get("/api/requisitions", headers=buyer).json["total"] == 2
    submitted = procurement.get("/api/requisitions?state=submitted", headers=buyer).json
    assert [r["id"] for r in submitted["items"]] == [body["id"]]
    assert procurement.get("/api/requisitions?demand_point=CSR", headers=buyer).json["items"][0]["lines"][0][
        "base_quantity"] == "40.000"
    assert procurement.get("/api/requisitions?state=lost", headers=buyer).status_code == 422


def test_a_retried_creation_with_the_same_idempotency_key_creates_one_requisition(procurement, manager, make_item,
                                                                                  databases):
    _, headers = manager("DH3")
    cabbage = make_item(CABBAGE)
    body = requisition_body(cabbage, "DH3", "50", "kg")
    keyed = {**headers, "Idempotency-Key": "req-0001"}
    first = procurement.post("/api/requisitions", json=body, headers=keyed)
    second = procurement.post("/api/requisitions", json=body, headers=keyed)
    assert first.status_code == second.status_code == 201
    assert first.json["id"] == second.json["id"]
    assert procurement.get("/api/requisitions", headers=headers).json["total"] == 1


def test_demand_points_are_the_same_codes_as_inventorys_locations(procurement, staff, demand_points):
    _, headers = staff("supervisor")
    assert [p["code"] for p in procurement.get("/api/demand-points", headers=headers).json] == [
        "DH1", "DH2", "DH3", "CSR", "STORE"]


def test_every_requisition_transition_writes_exactly_one_audit_row(procurement, raised, staff, databases):
    body, headers = raised
    _, approver = staff("approver")
    procurement.post(f"/api/requisitions/{body['id']}/submit", headers=headers)
    procurement.post(f"/api/requisitions/{body['id']}/submit", headers=headers)  # refused: no audit row
    with databases["procurement"].unit_of_work() as uow:
        rows = uow.session.scalars(select(Audit).where(Audit.document_id == body["id"],
                                                       Audit.document_type == "requisition")).all()
    assert len(rows) == 1

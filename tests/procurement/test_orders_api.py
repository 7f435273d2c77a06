import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from services.procurement.models import Outbox, School
from services.procurement.orders import DEFAULT_APPROVAL_RULES, approvals_required

from .conftest import CABBAGE, RICE

SOON = (date.today() + timedelta(days=3)).isoformat()


@pytest.fixture
def buyer(staff):
    return staff("procurement_officer")


@pytest.fixture
def approvers(staff):
    return [staff("approver")[1] for _ in range(3)]


@pytest.fixture
def rice(make_item, demand_points):
    return make_item(RICE, reference="4.00")  # limit 4.36 per kg (grain: at most 9 % above)


def order_body(item, quantity="10", unit="bag", price="4.20", supplier=501, destination="DH1"):
    return {"supplier_id": supplier, "note": "三月大米",
            "lines": [{"item_id": item.id, "quantity": quantity, "unit": unit, "unit_price": price,
                       "destination": destination, "delivery_date": SOON}]}


@pytest.fixture
def create(procurement, buyer, supplier):
    def run(body, headers=None):
        response = procurement.post("/api/purchase-orders", json=body, headers=headers or buyer[1])
        assert response.status_code == 201, response.json
        return response.json

    return run


def act(procurement, order, action, headers, **body):
    return procurement.post(f"/api/purchase-orders/{order['id']}/{action}", json=body, headers=headers)


def test_a_direct_order_is_numbered_priced_and_totalled(create, rice):
    order = create(order_body(rice))
    assert re.fullmatch(rf"PO-{date.today().year}-\d{{6}}", order["number"])
    [line] = order["lines"]
    assert (line["base_quantity"], line["unit_price"], line["amount"]) == ("250.000", "4.20", "1050.00")
    assert (line["price_limit"], line["above_price_limit"]) == ("4.36", False)
    assert (order["state"], order["total"], order["supplier_name"]) == ("draft", "1050.00", "山东鲁粮粮油有限公司")


def test_order_numbers_count_up_per_school_and_year(create, rice, procurement, staff, databases, deliver):
    first, second = create(order_body(rice)), create(order_body(rice))
    assert int(second["number"][-6:]) == int(first["number"][-6:]) + 1
    with databases["procurement"].unit_of_work() as uow:
        other = School(name="别校")
        uow.session.add(other)
        uow.commit()
    from services.procurement.catalogue import create_item
    from services.procurement.demand import ensure_demand_points
    from shared.auth import Principal
    with databases["procurement"].unit_of_work() as uow:
        ensure_demand_points(uow.session, other.id)
        theirs_item = create_item(uow.session, Principal("1", frozenset({"admin"}), school_id=other.id), dict(RICE))
        uow.commit()
    _, theirs = staff("procurement_officer", school_id=other.id)
    response = procurement.post("/api/purchase-orders", json=order_body(theirs_item), headers=theirs)
    assert response.status_code == 201, response.json
    assert response.json["number"].endswith("000001")


def test_a_small_order_is_approved_on_submission_without_an_approver(create, rice, procurement, buyer):
    order = create(order_body(rice))
    response = act(procurement, order, "submit", buyer[1])
    assert response.status_code == 200
    assert (response.json["state"], response.json["approvals_required"]) == ("approved", 0)
    history = procurement.get(f"/api/purchase-orders/{order['id']}/history", headers=buyer[1]).json
    assert [(h["action"], h["to_state"], h["actor"]) for h in history] == [
        ("submit", "pending_approval", str(buyer[0].id)), ("approve", "approved", "system")]


def test_an_order_above_ten_thousand_needs_one_approver(create, rice, procurement, buyer, approvers):
    order = create(order_body(rice, quantity="100"))  # 2500 kg × 4.20 = 10,500
    submitted = act(procurement, order, "submit", buyer[1]).json
    assert (submitted["state"], submitted["approvals_required"]) == ("pending_approval", 1)
    approved = act(procurement, order, "approve", approvers[0])
    assert approved.status_code == 200 and approved.json["state"] == "approved"


def test_an_order_above_fifty_thousand_needs_two_distinct_approvers(create, rice, procurement, buyer, approvers):
    order = create(order_body(rice, quantity="500"))  # 12,500 kg × 4.20 = 52,500
    assert act(procurement, order, "submit", buyer[1]).json["approvals_required"] == 2
    first = act(procurement, order, "approve", approvers[0])
    assert first.status_code == 200 and first.json["state"] == "pending_approval"
    assert act(procurement, order, "approve", approvers[0]).status_code == 409  # the same approver twice
    second = act(procurement, order, "approve", approvers[1])
    assert second.json["state"] == "approved" and len(second.json["approvals"]) == 2
    assert act(procurement, order, "approve", approvers[2]).status_code == 409


def test_approval_thresholds_are_configurable_by_the_admin(create, rice, procurement, buyer, staff, approvers):
    _, admin = staff("admin")
    rules = {"rules": [{"above_amount": "500.00", "approvers": 1}, {"above_amount": "1000.00", "approvers": 3}]}
    assert procurement.put("/api/approval-rules", json=rules, headers=admin).status_code == 200
    assert procurement.put("/api/approval-rules", json=rules, headers=buyer[1]).status_code == 403
    bad = {"rules": [{"above_amount": "500.00", "approvers": 2}, {"above_amount": "1000.00", "approvers": 1}]}
    assert procurement.put("/api/approval-rules", json=bad, headers=admin).status_code == 422
    order = create(order_body(rice))  # 1,050
    assert act(procurement, order, "submit", buyer[1]).json["approvals_required"] == 3
    assert procurement.get("/api/approval-rules", headers=buyer[1]).json == rules


def test_whoever_raised_an_order_may_not_approve_it(create, rice, procurement, staff):
    user, both = staff("procurement_officer", "approver")
    order = create(order_body(rice, quantity="100"), headers=both)
    act(procurement, order, "submit", both)
    assert act(procurement, order, "approve", both).status_code == 409


def test_a_price_above_the_limit_is_flagged_and_needs_an_approvers_written_override(create, rice, procurement, buyer,
                                                                                    approvers):
    order = create(order_body(rice, price="4.37"))
    assert order["lines"][0]["above_price_limit"] is True
    submitted = act(procurement, order, "submit", buyer[1]).json
    assert (submitted["state"], submitted["approvals_required"]) == ("pending_approval", 1)
    refused = act(procurement, order, "approve", approvers[0])
    assert refused.status_code == 422 and "reason" in refused.json["errors"]
    approved = act(procurement, order, "approve", approvers[0], reason="新米上市, 市场价上涨, 已比价三家")
    assert approved.json["state"] == "approved"
    assert approved.json["price_override_reason"] == "新米上市, 市场价上涨, 已比价三家"


def test_sending_an_approved_order_emits_po_sent_per_the_contract(create, rice, procurement, buyer, databases):
    order = create(order_body(rice))
    act(procurement, order, "submit", buyer[1])
    sent = act(procurement, order, "send", buyer[1])
    assert sent.status_code == 200 and sent.json["state"] == "sent"
    with databases["procurement"].unit_of_work() as uow:
        [event] = uow.session.scalars(select(Outbox).where(Outbox.type == "po.sent")).all()
    payload = event.payload
    assert (payload["po_id"], payload["number"], payload["supplier_id"], payload["total"]) == (
        order["id"], order["number"], 501, "1050.00")
    [line] = payload["lines"]
    assert (line["quantity"], line["unit"], line["unit_price"], line["destination"]) == ("250.000", "kg", "4.20", "DH1")
    assert line["item_name"] == "东北大米 一级粳米"


def test_a_small_order_can_be_created_approved_and_sent_in_one_request(procurement, buyer, supplier, rice,
                                                                       databases):
    response = procurement.post("/api/purchase-orders", json={**order_body(rice), "send": True}, headers=buyer[1])
    assert response.status_code == 201, response.json
    order = response.json
    assert (order["state"], order["approvals_required"], order["total"]) == ("sent", 0, "1050.00")
    assert response.headers["ETag"] == procurement.get(f"/api/purchase-orders/{order['id']}",
                                                       headers=buyer[1]).headers["ETag"]
    history = procurement.get(f"/api/purchase-orders/{order['id']}/history", headers=buyer[1]).json
    assert [(h["action"], h["to_state"], h["actor"]) for h in history] == [
        ("submit", "pending_approval", str(buyer[0].id)), ("approve", "approved", "system"),
        ("send", "sent", str(buyer[0].id))]
    with databases["procurement"].unit_of_work() as uow:
        [event] = uow.session.scalars(select(Outbox).where(Outbox.type == "po.sent")).all()
    assert (event.payload["po_id"], event.payload["number"], event.payload["total"]) == (
        order["id"], order["number"], "1050.00")


@pytest.mark.parametrize("body", [
    {"quantity": "100"},  # 2500 kg × 4.20 = 10,500: an approver must see it
    {"price": "4.37"},  # above the price rule's limit: an approver's override
])
def test_an_order_that_needs_an_approver_is_not_sent_in_one_request(procurement, buyer, supplier, rice, databases,
                                                                    body):
    response = procurement.post("/api/purchase-orders", json={**order_body(rice, **body), "send": True},
                                headers=buyer[1])
    assert response.status_code == 422 and "send" in response.json["errors"], response.json
    assert procurement.get("/api/purchase-orders", headers=buyer[1]).json["total"] == 0
    with databases["procurement"].unit_of_work() as uow:
        assert uow.session.scalars(select(Outbox).where(Outbox.type == "po.sent")).all() == []


def test_only_a_buyer_sends_an_order_in_the_request_that_creates_it(procurement, manager, supplier, rice):
    _, dh1 = manager("DH1")
    refused = procurement.post("/api/purchase-orders", json={**order_body(rice, quantity="1"), "send": True},
                               headers=dh1)
    assert refused.status_code == 403
    assert procurement.get("/api/purchase-orders", headers=dh1).json["total"] == 0
    drafted = procurement.post("/api/purchase-orders", json=order_body(rice, quantity="1"), headers=dh1)
    assert drafted.status_code == 201 and drafted.json["state"] == "draft"


def test_the_full_life_of_an_order_through_supplier_and_inventory_events(create, rice, procurement, buyer, deliver,
                                                                         staff):
    order = create(order_body(rice))
    act(procurement, order, "submit", buyer[1])
    act(procurement, order, "send", buyer[1])
    now = datetime.now(timezone.utc)
    deliver("po.acknowledged", {"po_id": order["id"], "revision": 1, "supplier_id": 501, "acknowledged_at": now})
    assert procurement.get(f"/api/purchase-orders/{order['id']}", headers=buyer[1]).json["state"] == "acknowledged"
    line_id = order["lines"][0]["id"]
    receipt = {"receipt_id": 1, "po_id": order["id"], "supplier_id": 501, "school_id": 1, "location_code": "DH1",
               "received_at": now, "inspectors": ["刘洋", "王敏"],
               "lines": [{"po_line_id": line_id, "item_id": rice.id, "accepted_quantity": Decimal("150"),
                          "rejected_quantity": Decimal("25"), "rejection_reason": "受潮"}]}
    deliver("goods.received", receipt)
    shown = procurement.get(f"/api/purchase-orders/{order['id']}", headers=buyer[1]).json
    assert shown["state"] == "partially_received"
    assert (shown["lines"][0]["received_quantity"], shown["lines"][0]["rejected_quantity"]) == ("150.000", "25.000")
    deliver("goods.received", {**receipt, "receipt_id": 2, "lines": [
        {"po_line_id": line_id, "item_id": rice.id, "accepted_quantity": Decimal("100"),
         "rejected_quantity": Decimal("0")}]})
    assert procurement.get(f"/api/purchase-orders/{order['id']}", headers=buyer[1]).json["state"] == "received"
    _, finance = staff("finance")
    closed = act(procurement, order, "close", finance, reason="已结清")
    assert closed.json["state"] == "closed"
    history = procurement.get(f"/api/purchase-orders/{order['id']}/history", headers=buyer[1]).json
    assert [h["to_state"] for h in history] == ["pending_approval", "approved", "sent", "acknowledged",
                                                "partially_received", "received", "closed"]


def test_a_redelivered_receipt_is_counted_once(create, rice, procurement, buyer, deliver):
    order = create(order_body(rice))
    act(procurement, order, "submit", buyer[1])
    act(procurement, order, "send", buyer[1])
    receipt = {"receipt_id": 7, "po_id": order["id"], "supplier_id": 501, "school_id": 1, "location_code": "DH1",
               "received_at": datetime.now(timezone.utc), "inspectors": ["刘洋"],
               "lines": [{"po_line_id": order["lines"][0]["id"], "item_id": rice.id,
                          "accepted_quantity": Decimal("100"), "rejected_quantity": Decimal("0")}]}
    assert deliver("goods.received", receipt, event_id="11111111-1111-1111-1111-111111111111") is True
    assert deliver("goods.received", receipt, event_id="11111111-1111-1111-1111-111111111111") is False
    shown = procurement.get(f"/api/purchase-orders/{order['id']}", headers=buyer[1]).json
    assert shown["lines"][0]["received_quantity"] == "100.000"


def test_a_declined_order_and_answers_for_another_supplier_or_revision(create, rice, procurement, buyer, deliver):
    order = create(order_body(rice))
    act(procurement, order, "submit", buyer[1])
    act(procurement, order, "send", buyer[1])
    now = datetime.now(timezone.utc)
    deliver("po.acknowledged", {"po_id": order["id"], "revision": 1, "supplier_id": 999, "acknowledged_at": now})
    deliver("po.acknowledged", {"po_id": order["id"], "revision": 2, "supplier_id": 501, "acknowledged_at": now})
    assert procurement.get(f"/api/purchase-orders/{order['id']}", headers=buyer[1]).json["state"] == "sent"
    deliver("po.declined", {"po_id": order["id"], "revision": 1, "supplier_id": 501, "reason": "缺货",
                            "declined_at": now})
    assert procurement.get(f"/api/purchase-orders/{order['id']}", headers=buyer[1]).json["state"] == "declined"
    # a late acknowledgement of a declined order changes nothing
    deliver("po.acknowledged", {"po_id": order["id"], "revision": 1, "supplier_id": 501, "acknowledged_at": now})
    assert procurement.get(f"/api/purchase-orders/{order['id']}", headers=buyer[1]).json["state"] == "declined"


REFUSED = {
    "draft": ["approve", "send", "close"],
    "pending_approval": ["submit", "send", "close"],
    "approved": ["submit", "approve", "reject", "close"],
    "sent": ["submit", "approve", "reject", "send", "close"],
    "cancelled": ["submit", "approve", "send", "cancel", "close"],
}


@pytest.mark.parametrize("state", REFUSED)
def test_every_refused_order_transition_is_a_conflict(create, rice, procurement, buyer, approvers, staff, state):
    _, finance = staff("finance")
    order = create(order_body(rice, quantity="100"))
    steps = {"draft": [], "pending_approval": ["submit"], "approved": ["submit", "approve"],
             "sent": ["submit", "approve", "send"], "cancelled": ["cancel"]}[state]
    for step in steps:
        headers = approvers[0] if step == "approve" else buyer[1]
        assert act(procurement, order, step, headers, reason="测试").status_code == 200
    for action in REFUSED[state]:
        headers = {"approve": approvers[1], "reject": approvers[1], "close": finance}.get(action, buyer[1])
        response = act(procurement, order, action, headers, reason="测试")
        assert response.status_code == 409, (state, action, response.json)
    assert procurement.get(f"/api/purchase-orders/{order['id']}", headers=buyer[1]).json["state"] == state


def test_rejecting_and_cancelling_need_a_reason(create, rice, procurement, buyer, approvers):
    order = create(order_body(rice, quantity="100"))
    act(procurement, order, "submit", buyer[1])
    assert act(procurement, order, "reject", approvers[0]).status_code == 422
    rejected = act(procurement, order, "reject", approvers[0], reason="价格偏高, 重新询价")
    assert rejected.json["state"] == "cancelled"
    other = create(order_body(rice))
    assert act(procurement, other, "cancel", buyer[1]).status_code == 422
    assert act(procurement, other, "cancel", buyer[1], reason="重复下单").json["state"] == "cancelled"


@pytest.mark.parametrize("action, role", [("approve", "procurement_officer"), ("reject", "canteen_manager"),
                                          ("send", "approver"), ("send", "canteen_manager"), ("cancel", "finance"),
                                          ("close", "storekeeper"), ("submit", "supervisor")])
def test_order_actions_check_the_role(create, rice, procurement, staff, action, role):
    order = create(order_body(rice))
    _, headers = staff(role)
    assert act(procurement, order, action, headers, reason="x").status_code == 403


@pytest.mark.parametrize("role", ["approver", "finance", "storekeeper", "supervisor"])
def test_roles_that_do_not_buy_may_not_create_orders(procurement, staff, rice, supplier, role):
    _, headers = staff(role)
    assert procurement.post("/api/purchase-orders", json=order_body(rice), headers=headers).status_code == 403


def test_a_stale_if_match_on_a_transition_is_a_conflict(create, rice, procurement, buyer):
    order = create(order_body(rice))
    etag = procurement.get(f"/api/purchase-orders/{order['id']}", headers=buyer[1]).headers["ETag"]
    assert act(procurement, order, "submit", {**buyer[1], "If-Match": etag}).status_code == 200
    assert act(procurement, order, "send", {**buyer[1], "If-Match": etag}).status_code == 409


@pytest.mark.parametrize("change, status, field", [
    ({"supplier": 777}, 422, "supplier_id"),
    ({"price": "4.201"}, 422, "lines"),
    ({"price": "0"}, 422, "lines"),
    ({"unit": "drum20"}, 422, "lines.0.unit"),
    ({"destination": "DH9"}, 422, "lines"),
])
def test_invalid_orders_are_refused(procurement, buyer, supplier, rice, change, status, field):
    response = procurement.post("/api/purchase-orders", json=order_body(rice, **change), headers=buyer[1])
    assert response.status_code == status, response.json
    assert field in response.json["errors"]


def test_a_supplier_not_approved_for_the_category_or_suspended_gets_no_order(procurement, buyer, supplier, make_item,
                                                                            demand_points,
                                                                            deliver):
    pork = make_item({"code": "PORK", "name_zh": "猪肉", "name_en": "Pork", "category": "meat_eggs",
                      "base_unit": "kg", "shelf_life_days": 3})
    response = procurement.post("/api/purchase-orders", json=order_body(pork, unit="kg", price="25.00"),
                                headers=buyer[1])
    assert response.status_code == 422 and "meat_eggs" in response.json["errors"]["supplier_id"][0]
    deliver("supplier.suspended", {"supplier_id": 501, "reason": "营业执照过期",
                                   "suspended_at": datetime.now(timezone.utc)})
    cabbage = make_item(CABBAGE)
    assert procurement.post("/api/purchase-orders", json=order_body(cabbage, unit="kg", price="1.00"),
                            headers=buyer[1]).status_code == 409


def test_a_canteen_manager_orders_only_for_their_hall_and_sees_only_its_orders(procurement, manager, supplier, rice,
                                                                             buyer):
    _, dh1 = manager("DH1")
    own = procurement.post("/api/purchase-orders", json=order_body(rice, quantity="1"), headers=dh1)
    assert own.status_code == 201
    assert procurement.post("/api/purchase-orders", json=order_body(rice, destination="DH2"),
                            headers=dh1).status_code == 403
    csr = procurement.post("/api/purchase-orders", json=order_body(rice, destination="CSR"), headers=buyer[1]).json
    assert [o["id"] for o in procurement.get("/api/purchase-orders", headers=dh1).json["items"]] == [own.json["id"]]
    assert procurement.get(f"/api/purchase-orders/{csr['id']}", headers=dh1).status_code == 404


def test_another_schools_order_is_not_found(create, rice, procurement, staff, databases):
    order = create(order_body(rice))
    with databases["procurement"].unit_of_work() as uow:
        other = School(name="别校")
        uow.session.add(other)
        uow.commit()
    _, theirs = staff("approver", "procurement_officer", school_id=other.id)
    assert procurement.get(f"/api/purchase-orders/{order['id']}", headers=theirs).status_code == 404
    assert act(procurement, order, "submit", theirs).status_code == 404
    assert procurement.get("/api/purchase-orders", headers=theirs).json["total"] == 0


def test_a_retried_order_creation_with_the_same_idempotency_key_creates_one_order(procurement, buyer, supplier, rice):
    headers = {**buyer[1], "Idempotency-Key": "po-2026-03-rice"}
    first = procurement.post("/api/purchase-orders", json=order_body(rice), headers=headers)
    second = procurement.post("/api/purchase-orders", json=order_body(rice), headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json["number"] == second.json["number"]
    assert procurement.get("/api/purchase-orders", headers=buyer[1]).json["total"] == 1


def test_orders_list_filters_by_state_and_supplier(create, rice, procurement, buyer):
    first = create(order_body(rice))
    create(order_body(rice))
    act(procurement, first, "submit", buyer[1])
    assert [o["id"] for o in procurement.get("/api/purchase-orders?state=approved", headers=buyer[1]).json["items"]] \
        == [first["id"]]
    assert procurement.get("/api/purchase-orders?supplier_id=501", headers=buyer[1]).json["total"] == 2
    assert procurement.get("/api/purchase-orders?state=lost", headers=buyer[1]).status_code == 422


amounts = st.integers(min_value=0, max_value=10**9).map(lambda n: Decimal(n).scaleb(-2))


@given(total=amounts)
def test_default_rules_need_no_one_up_to_ten_thousand_one_up_to_fifty_thousand_then_two(total):
    expected = 0 if total <= 10000 else 1 if total <= 50000 else 2
    assert approvals_required(total, DEFAULT_APPROVAL_RULES) == expected


@given(a=amounts, b=amounts)
def test_a_larger_order_never_needs_fewer_approvals(a, b):
    low, high = sorted((a, b))
    assert approvals_required(low, DEFAULT_APPROVAL_RULES) <= approvals_required(high, DEFAULT_APPROVAL_RULES)


def test_amending_a_sent_order_makes_a_new_revision_to_approve_send_and_acknowledge_again(create, rice, procurement,
                                                                                        buyer, approvers, deliver,
                                                                                        databases):
    order = create(order_body(rice))
    act(procurement, order, "submit", buyer[1])
    act(procurement, order, "send", buyer[1])
    now = datetime.now(timezone.utc)
    deliver("po.acknowledged", {"po_id": order["id"], "revision": 1, "supplier_id": 501, "acknowledged_at": now})
    line_id = order["lines"][0]["id"]
    amended = act(procurement, order, "amend", buyer[1], reason="三食堂加餐, 增加数量",
                  lines=[{"line_id": line_id, "quantity": "100"}])  # 2500 kg × 4.20 = 10,500: one approver
    assert amended.status_code == 200, amended.json
    body = amended.json
    assert (body["state"], body["revision"], body["total"], body["approvals_required"]) == (
        "pending_approval", 2, "10500.00", 1)
    assert body["approvals"] == []
    act(procurement, order, "approve", approvers[0])
    act(procurement, order, "send", buyer[1])
    with databases["procurement"].unit_of_work() as uow:
        sent = [row.payload for row in uow.session.scalars(select(Outbox).where(Outbox.type == "po.sent")
                                                           .order_by(Outbox.occurred_at))]
    assert [(p["revision"], p["total"]) for p in sent] == [(1, "1050.00"), (2, "10500.00")]
    # an acknowledgement of the old revision no longer counts
    deliver("po.acknowledged", {"po_id": order["id"], "revision": 1, "supplier_id": 501, "acknowledged_at": now})
    assert procurement.get(f"/api/purchase-orders/{order['id']}", headers=buyer[1]).json["state"] == "sent"
    deliver("po.acknowledged", {"po_id": order["id"], "revision": 2, "supplier_id": 501, "acknowledged_at": now})
    assert procurement.get(f"/api/purchase-orders/{order['id']}", headers=buyer[1]).json["state"] == "acknowledged"


def test_an_amendment_needs_a_reason_and_a_sent_order(create, rice, procurement, buyer, approvers):
    order = create(order_body(rice))
    change = [{"line_id": order["lines"][0]["id"], "unit_price": "4.10"}]
    assert act(procurement, order, "amend", buyer[1], reason="x", lines=change).status_code == 409  # still a draft
    act(procurement, order, "submit", buyer[1])
    act(procurement, order, "send", buyer[1])
    assert act(procurement, order, "amend", buyer[1], lines=change).status_code == 422
    assert act(procurement, order, "amend", buyer[1], reason="x",
               lines=[{"line_id": 999999, "unit_price": "4.10"}]).status_code == 422
    cheaper = act(procurement, order, "amend", buyer[1], reason="供应商降价", lines=change).json
    assert (cheaper["state"], cheaper["total"]) == ("approved", "1025.00")  # small: no approver needed


def test_cancelling_a_sent_order_tells_the_supplier_and_inventory(create, rice, procurement, buyer, databases):
    draft = create(order_body(rice))
    act(procurement, draft, "cancel", buyer[1], reason="重复下单")
    order = create(order_body(rice))
    act(procurement, order, "submit", buyer[1])
    act(procurement, order, "send", buyer[1])
    cancelled = act(procurement, order, "cancel", buyer[1], reason="学校停课, 取消订单")
    assert cancelled.status_code == 200 and cancelled.json["state"] == "cancelled"
    with databases["procurement"].unit_of_work() as uow:
        [event] = uow.session.scalars(select(Outbox).where(Outbox.type == "po.cancelled")).all()
    assert (event.payload["po_id"], event.payload["revision"], event.payload["reason"]) == (
        order["id"], 1, "学校停课, 取消订单")


def test_a_dispatched_delivery_note_is_kept_with_its_order_once(create, rice, procurement, buyer, deliver, school):
    order = create(order_body(rice))
    act(procurement, order, "submit", buyer[1])
    act(procurement, order, "send", buyer[1])
    note = {"delivery_note_id": 31, "po_id": order["id"], "supplier_id": 501, "school_id": school.id,
            "number": "SH-20260302-01", "planned_at": datetime.now(timezone.utc),
            "lines": [{"po_line_id": order["lines"][0]["id"], "item_id": rice.id, "quantity": Decimal("250"),
                       "lot_number": "LOT-0301", "production_date": date.today() - timedelta(days=10),
                       "certificate_ref": "检验报告 2026-0301"}]}
    assert deliver("delivery.dispatched", note) is True
    deliver("delivery.dispatched", note)  # the same note again under a new event id: kept once
    deliver("delivery.dispatched", {**note, "delivery_note_id": 32, "supplier_id": 999})  # not this supplier's
    # a line that is not on the order: the whole note is dropped
    deliver("delivery.dispatched", {**note, "delivery_note_id": 33,
                                    "lines": [{**note["lines"][0], "po_line_id": 999999}]})
    deliveries = procurement.get(f"/api/purchase-orders/{order['id']}/deliveries", headers=buyer[1]).json
    assert [(d["number"], d["lines"][0]["lot_number"], d["lines"][0]["quantity"]) for d in deliveries] == [
        ("SH-20260302-01", "LOT-0301", "250.000")]

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from services.procurement.models import Outbox, School
from services.procurement.quotations import Offer, award_problems, lowest_compliant

from .conftest import OIL, RICE

MONDAY = date.today() + timedelta(days=7 - date.today().weekday())
NOW = datetime.now(timezone.utc)
DEADLINE = (NOW + timedelta(days=2)).isoformat()


def day(offset):
    return (MONDAY + timedelta(days=offset)).isoformat()


@pytest.fixture
def suppliers(deliver):
    for supplier_id, name, categories in [(501, "山东鲁粮粮油有限公司", ["bulk_grain_oil", "vegetables"]),
                                          (502, "北大荒米业", ["bulk_grain_oil"]),
                                          (503, "城南肉联厂", ["meat_eggs"])]:
        deliver("supplier.approved", {"supplier_id": supplier_id, "name": name, "categories": categories,
                                      "approved_at": NOW})


@pytest.fixture
def buyer(staff):
    return staff("procurement_officer")[1]


@pytest.fixture
def approver(staff):
    return staff("approver")[1]


@pytest.fixture
def plan(procurement, manager, staff, make_item, buyer, demand_points):
    """A plan with one rice line (DH1 100 kg + DH2 50 kg, reference 4.00, limit 4.36) and one oil line."""
    rice, oil = make_item(RICE, reference="4.00"), make_item(OIL, reference="10.00")
    _, approver_headers = staff("approver")
    for point, lines in [("DH1", [{"item_id": rice.id, "quantity": "4", "unit": "bag", "needed_by": day(2)},
                                  {"item_id": oil.id, "quantity": "2", "unit": "drum20", "needed_by": day(2)}]),
                         ("DH2", [{"item_id": rice.id, "quantity": "50", "unit": "kg", "needed_by": day(3)}])]:
        _, headers = manager(point)
        created = procurement.post("/api/requisitions", json={"demand_point": point, "lines": lines}, headers=headers)
        procurement.post(f"/api/requisitions/{created.json['id']}/submit", headers=headers)
        procurement.post(f"/api/requisitions/{created.json['id']}/approve", json={}, headers=approver_headers)
    body = procurement.post("/api/purchase-plans", json={"window_start": day(0), "window_end": day(6)},
                            headers=buyer).json
    body["rice_line"] = next(line for line in body["lines"] if line["item_id"] == rice.id)
    body["oil_line"] = next(line for line in body["lines"] if line["item_id"] == oil.id)
    return body


@pytest.fixture
def rfq(procurement, plan, suppliers, buyer):
    response = procurement.post(f"/api/purchase-plans/{plan['id']}/rfqs", json={
        "plan_line_ids": [plan["rice_line"]["id"]], "title": "三月第一周大米", "quote_deadline": DEADLINE},
        headers=buyer)
    assert response.status_code == 201, response.json
    return response.json


def quote(deliver, rfq, supplier_id, price, quote_id, submitted_at=None):
    return deliver("quote.submitted", {
        "quote_id": quote_id, "rfq_id": rfq["id"], "supplier_id": supplier_id, "submitted_at": submitted_at or NOW,
        "valid_until": date.today() + timedelta(days=10),
        "lines": [{"rfq_line_id": rfq["lines"][0]["id"], "item_id": rfq["lines"][0]["item_id"],
                   "unit_price": Decimal(price)}]})


def compared(procurement, rfq, headers):
    [line] = procurement.get(f"/api/rfqs/{rfq['id']}/comparison", headers=headers).json
    return line["quotes"]


def test_an_rfq_goes_only_to_suppliers_approved_for_its_category_and_emits_rfq_issued(rfq, databases):
    assert rfq["supplier_ids"] == [501, 502] and rfq["supplier_category"] == "bulk_grain_oil"
    assert rfq["number"].startswith("RFQ-") and rfq["state"] == "issued"
    with databases["procurement"].unit_of_work() as uow:
        [event] = uow.session.scalars(select(Outbox).where(Outbox.type == "rfq.issued")).all()
    assert event.payload["supplier_ids"] == [501, 502]
    assert event.payload["lines"][0]["quantity"] == "150.000" and event.payload["lines"][0]["unit"] == "kg"


def test_a_suspended_supplier_is_not_invited(procurement, plan, suppliers, deliver, buyer):
    deliver("supplier.suspended", {"supplier_id": 502, "reason": "营业执照过期", "suspended_at": NOW})
    body = procurement.post(f"/api/purchase-plans/{plan['id']}/rfqs", json={
        "plan_line_ids": [plan["rice_line"]["id"]], "title": "大米", "quote_deadline": DEADLINE}, headers=buyer).json
    assert body["supplier_ids"] == [501]


def test_an_rfq_mixing_supplier_kinds_or_repeating_a_live_line_is_refused(procurement, plan, suppliers, buyer, rfq,
                                                                          make_item):
    again = procurement.post(f"/api/purchase-plans/{plan['id']}/rfqs", json={
        "plan_line_ids": [plan["rice_line"]["id"]], "title": "x", "quote_deadline": DEADLINE}, headers=buyer)
    assert again.status_code == 409
    past = procurement.post(f"/api/purchase-plans/{plan['id']}/rfqs", json={
        "plan_line_ids": [plan["oil_line"]["id"]], "title": "x", "quote_deadline": "2020-01-01T00:00:00+00:00"},
        headers=buyer)
    assert past.status_code == 422
    unknown = procurement.post(f"/api/purchase-plans/{plan['id']}/rfqs", json={
        "plan_line_ids": [999999], "title": "x", "quote_deadline": DEADLINE}, headers=buyer)
    assert unknown.status_code == 422


def test_quotes_are_compared_cheapest_first_with_the_price_rule_flag(procurement, rfq, deliver, buyer):
    assert quote(deliver, rfq, 501, "4.30", 1) is True
    quote(deliver, rfq, 502, "4.25", 2)
    quote(deliver, rfq, 503, "3.00", 3)  # not invited: dropped
    quotes = compared(procurement, rfq, buyer)
    assert [(q["supplier_id"], q["unit_price"], q["lowest_compliant"]) for q in quotes] == [
        (502, "4.25", True), (501, "4.30", False)]
    assert quotes[0]["amount"] == "637.50" and quotes[0]["price_limit"] == "4.36"


def test_a_later_quote_from_the_same_supplier_replaces_the_earlier(procurement, rfq, deliver, buyer):
    quote(deliver, rfq, 501, "4.30", 1)
    quote(deliver, rfq, 501, "4.10", 2, submitted_at=NOW + timedelta(minutes=5))
    assert [q["unit_price"] for q in compared(procurement, rfq, buyer)] == ["4.10"]


def test_a_quote_after_the_deadline_is_dropped(procurement, rfq, deliver, buyer):
    quote(deliver, rfq, 501, "4.30", 1, submitted_at=NOW + timedelta(days=3))
    assert compared(procurement, rfq, buyer) == []


def award(procurement, rfq, quote_line_id, headers, **extra):
    return procurement.post(f"/api/rfqs/{rfq['id']}/award", json={"awards": [
        {"rfq_line_id": rfq["lines"][0]["id"], "quote_line_id": quote_line_id, **extra}]}, headers=headers)


def test_the_lowest_compliant_quote_is_awarded_without_a_reason(procurement, rfq, deliver, buyer):
    quote(deliver, rfq, 501, "4.30", 1)
    quote(deliver, rfq, 502, "4.25", 2)
    lowest = compared(procurement, rfq, buyer)[0]
    response = award(procurement, rfq, lowest["quote_line_id"], buyer)
    assert response.status_code == 200, response.json
    assert response.json["state"] == "awarded"
    assert award(procurement, rfq, lowest["quote_line_id"], buyer).status_code == 409


def test_the_award_tells_each_invited_supplier_only_its_own_outcome_without_prices_or_names(
        procurement, rfq, deliver, buyer, databases):
    quote(deliver, rfq, 501, "4.30", 1)
    quote(deliver, rfq, 502, "4.25", 2)
    lowest = compared(procurement, rfq, buyer)[0]
    assert award(procurement, rfq, lowest["quote_line_id"], buyer).status_code == 200
    with databases["procurement"].unit_of_work() as uow:
        [event] = uow.session.scalars(select(Outbox).where(Outbox.type == "rfq.awarded")).all()
    assert event.payload["rfq_id"] == rfq["id"]
    assert event.payload["outcomes"] == [
        {"supplier_id": 501, "quote_id": 1, "awarded_rfq_line_ids": []},
        {"supplier_id": 502, "quote_id": 2, "awarded_rfq_line_ids": [rfq["lines"][0]["id"]]}]
    assert "4.25" not in str(event.payload) and "北大荒" not in str(event.payload)


def test_an_invited_supplier_that_did_not_quote_is_told_the_rfq_was_awarded(procurement, rfq, deliver, buyer,
                                                                             databases):
    quote(deliver, rfq, 502, "4.25", 2)
    [only] = compared(procurement, rfq, buyer)
    assert award(procurement, rfq, only["quote_line_id"], buyer).status_code == 200
    with databases["procurement"].unit_of_work() as uow:
        [event] = uow.session.scalars(select(Outbox).where(Outbox.type == "rfq.awarded")).all()
    assert event.payload["outcomes"][0] == {"supplier_id": 501, "quote_id": None, "awarded_rfq_line_ids": []}


def test_another_quote_is_awarded_only_with_a_written_reason(procurement, rfq, deliver, buyer):
    quote(deliver, rfq, 501, "4.30", 1)
    quote(deliver, rfq, 502, "4.25", 2)
    dearer = compared(procurement, rfq, buyer)[1]
    refused = award(procurement, rfq, dearer["quote_line_id"], buyer)
    assert refused.status_code == 422 and "awards.0.reason" in refused.json["errors"]
    accepted = award(procurement, rfq, dearer["quote_line_id"], buyer, reason="上次供货质量更好, 考核优秀")
    assert accepted.status_code == 200
    assert accepted.json["lines"][0]["award_reason"] == "上次供货质量更好, 考核优秀"


def test_a_quote_above_the_limit_needs_an_approvers_override(procurement, rfq, deliver, buyer, approver):
    quote(deliver, rfq, 501, "4.50", 1)  # above 4.36
    [only] = compared(procurement, rfq, buyer)
    assert only["above_price_limit"] is True and only["lowest_compliant"] is False
    assert award(procurement, rfq, only["quote_line_id"], buyer, reason="唯一报价").status_code == 403
    no_override = award(procurement, rfq, only["quote_line_id"], approver, reason="唯一报价")
    assert no_override.status_code == 422 and "awards.0.override_reason" in no_override.json["errors"]
    done = award(procurement, rfq, only["quote_line_id"], approver, reason="唯一报价",
                 override_reason="春节前备货, 市场价上涨")
    assert done.status_code == 200 and done.json["lines"][0]["override_reason"] == "春节前备货, 市场价上涨"


def test_orders_from_an_award_carry_the_awarded_price_split_and_override(procurement, rfq, deliver, buyer, approver):
    quote(deliver, rfq, 501, "4.50", 1)
    [only] = compared(procurement, rfq, buyer)
    award(procurement, rfq, only["quote_line_id"], approver, reason="唯一报价", override_reason="市场价上涨")
    response = procurement.post(f"/api/rfqs/{rfq['id']}/purchase-orders", headers=buyer)
    assert response.status_code == 201, response.json
    [order] = response.json
    assert order["supplier_id"] == 501 and order["price_override_reason"] == "东北大米 一级粳米: 市场价上涨"
    assert [(line["destination"], line["base_quantity"], line["unit_price"]) for line in order["lines"]] == [
        ("DH1", "100.000", "4.50"), ("DH2", "50.000", "4.50")]
    assert procurement.post(f"/api/rfqs/{rfq['id']}/purchase-orders", headers=buyer).status_code == 409
    # the approver's override at the award covers the order, which is small enough to need no approver
    submitted = procurement.post(f"/api/purchase-orders/{order['id']}/submit", headers=buyer).json
    assert (submitted["state"], submitted["approvals_required"]) == ("approved", 0)


def test_every_line_is_awarded_exactly_once(procurement, rfq, deliver, buyer):
    quote(deliver, rfq, 501, "4.30", 1)
    [only] = compared(procurement, rfq, buyer)
    assert procurement.post(f"/api/rfqs/{rfq['id']}/award", json={"awards": []}, headers=buyer).status_code == 422
    assert award(procurement, rfq, 999999, buyer).status_code == 422
    twice = {"awards": [{"rfq_line_id": rfq["lines"][0]["id"], "quote_line_id": only["quote_line_id"]}] * 2}
    assert procurement.post(f"/api/rfqs/{rfq['id']}/award", json=twice, headers=buyer).status_code == 422


def test_a_cancelled_rfq_takes_no_quotes_and_no_award(procurement, rfq, deliver, buyer):
    assert procurement.post(f"/api/rfqs/{rfq['id']}/cancel", json={}, headers=buyer).status_code == 422
    assert procurement.post(f"/api/rfqs/{rfq['id']}/cancel", json={"reason": "计划取消"},
                            headers=buyer).json["state"] == "cancelled"
    quote(deliver, rfq, 501, "4.30", 1)
    assert compared(procurement, rfq, buyer) == []
    assert award(procurement, rfq, 1, buyer).status_code == 409
    assert procurement.post(f"/api/rfqs/{rfq['id']}/purchase-orders", headers=buyer).status_code == 409
    history = procurement.get(f"/api/rfqs/{rfq['id']}/history", headers=buyer).json
    assert [(h["action"], h["to_state"]) for h in history] == [("cancel", "cancelled")]


@pytest.mark.parametrize("role", ["canteen_manager", "finance", "storekeeper", "supervisor"])
def test_only_buyers_issue_and_award(procurement, plan, rfq, staff, role):
    _, headers = staff(role)
    assert procurement.post(f"/api/purchase-plans/{plan['id']}/rfqs", json={
        "plan_line_ids": [plan["oil_line"]["id"]], "title": "x", "quote_deadline": DEADLINE},
        headers=headers).status_code == 403
    assert award(procurement, rfq, 1, headers).status_code == 403


def test_another_schools_rfq_is_not_found(procurement, rfq, staff, databases):
    with databases["procurement"].unit_of_work() as uow:
        other = School(name="别校")
        uow.session.add(other)
        uow.commit()
    _, theirs = staff("procurement_officer", "approver", school_id=other.id)
    assert procurement.get(f"/api/rfqs/{rfq['id']}", headers=theirs).status_code == 404
    assert procurement.get(f"/api/rfqs/{rfq['id']}/comparison", headers=theirs).status_code == 404
    assert award(procurement, rfq, 1, theirs).status_code == 404
    assert procurement.get("/api/rfqs", headers=theirs).json["total"] == 0


offers = st.lists(st.builds(lambda i, p, a, s: Offer(i, Decimal(p).scaleb(-2), a, NOW + timedelta(seconds=s)),
                            st.integers(1, 10**6), st.integers(1, 10**5), st.booleans(), st.integers(0, 1000)),
                  min_size=1, max_size=8, unique_by=lambda o: o.quote_line_id)


@given(offers=offers, data=st.data())
def test_an_award_needs_a_reason_exactly_when_it_is_not_the_lowest_compliant_quote(offers, data):
    chosen = data.draw(st.sampled_from(offers))
    compliant = [o for o in offers if not o.above_limit]
    is_lowest = bool(compliant) and chosen in compliant and chosen.unit_price == min(o.unit_price for o in compliant) \
        and chosen == lowest_compliant(offers)
    problems = award_problems(chosen, offers, None, "override", True)
    assert ("reason" in problems) is (not is_lowest)
    assert award_problems(chosen, offers, "written reason", "override", True) == {}
    assert ("override_reason" in award_problems(chosen, offers, "r", None, True)) is chosen.above_limit

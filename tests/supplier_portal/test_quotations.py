from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from services.supplier_portal.fulfilment import NotYetKnown
from services.supplier_portal.models import Supplier

from .factories import deliver, rfq_awarded, rfq_copy, rfq_issued
from .test_orders import outbox

TOMORROW = (date.today() + timedelta(days=1)).isoformat()
NEXT_MONTH = (date.today() + timedelta(days=30)).isoformat()


def priced(rice="5.60", oil="12.80"):
    return {"valid_until": NEXT_MONTH, "lines": [{"rfq_line_id": 1, "unit_price": rice},
                                                 {"rfq_line_id": 2, "unit_price": oil, "note": "金龙鱼"}]}


def test_each_invited_supplier_gets_its_own_copy_and_never_sees_who_else_was_invited(
        portal, portal_db, approved_supplier):
    a, _, a_owner = approved_supplier("甲")
    b, _, b_owner = approved_supplier("乙")
    assert deliver(portal_db, rfq_issued([a.id, b.id])) is True
    assert deliver(portal_db, rfq_issued([a.id, b.id])) is True  # re-issued under a new event id
    [listed] = portal.get("/api/rfqs", headers=a_owner).json["items"]
    copy_a, copy_b = rfq_copy(portal_db, a.id), rfq_copy(portal_db, b.id)
    assert listed["id"] == copy_a.id != copy_b.id
    shown = portal.get(f"/api/rfqs/{copy_a.id}", headers=a_owner)
    assert shown.json["number"] == "RFQ-2026-000301" and shown.json["lines"][0]["quantity"] == "500.000"
    assert "supplier_ids" not in shown.json and str(b.id) not in str(shown.json.get("supplier_id", ""))
    assert portal.get(f"/api/rfqs/{copy_b.id}", headers=a_owner).status_code == 404
    assert portal.get("/api/notifications", headers=a_owner).json["items"][0]["kind"] == "rfq_received"


def test_a_draft_is_saved_without_prices_then_submitted_as_quote_submitted_with_exact_prices(
        portal, portal_db, approved_supplier):
    supplier, _, owner = approved_supplier()
    deliver(portal_db, rfq_issued([supplier.id]))
    rfq = rfq_copy(portal_db, supplier.id)
    draft = portal.put(f"/api/rfqs/{rfq.id}/quote", headers=owner,
                       json={"lines": [{"rfq_line_id": 1, "unit_price": None, "note": "待定"}]})
    assert draft.status_code == 200 and draft.json["status"] == "draft"
    assert draft.json["lines"] == [
        {"rfq_line_id": 1, "item_id": 11, "unit_price": None, "note": "待定", "awarded": None}]
    redrafted = portal.put(f"/api/rfqs/{rfq.id}/quote", headers=owner, json={
        "valid_until": TOMORROW, "lines": [{"rfq_line_id": 2, "unit_price": "12.80"}]})
    assert redrafted.json["id"] == draft.json["id"] and [line["rfq_line_id"] for line in redrafted.json["lines"]] == [2]
    assert outbox(portal_db, "quote.submitted") == []
    submitted = portal.post(f"/api/rfqs/{rfq.id}/quote", headers=owner, json=priced(rice=5.6))
    assert submitted.status_code == 201, submitted.json
    assert (submitted.json["id"], submitted.json["status"]) == (draft.json["id"], "submitted")
    [event] = outbox(portal_db, "quote.submitted")
    assert (event["quote_id"], event["rfq_id"], event["supplier_id"], event["valid_until"]) == (
        draft.json["id"], 301, supplier.id, NEXT_MONTH)
    assert [(line["rfq_line_id"], line["item_id"], line["unit_price"]) for line in event["lines"]] == [
        (1, 11, "5.60"), (2, 12, "12.80")]
    past = portal.get("/api/quotes?status=submitted", headers=owner).json
    assert past["total"] == 1 and past["items"][0]["rfq_number"] == "RFQ-2026-000301"
    assert portal.get(f"/api/rfqs/{rfq.id}", headers=owner).json["quote"]["status"] == "submitted"


def test_a_submitted_quote_is_neither_submitted_again_nor_redrafted(portal, portal_db, approved_supplier):
    supplier, _, owner = approved_supplier()
    deliver(portal_db, rfq_issued([supplier.id]))
    rfq = rfq_copy(portal_db, supplier.id)
    assert portal.post(f"/api/rfqs/{rfq.id}/quote", headers=owner, json=priced()).status_code == 201
    again = portal.post(f"/api/rfqs/{rfq.id}/quote", headers=owner, json=priced(rice="5.50"))
    redraft = portal.put(f"/api/rfqs/{rfq.id}/quote", headers=owner, json={"lines": []})
    assert again.status_code == redraft.status_code == 409
    assert "already submitted" in again.json["detail"]
    assert len(outbox(portal_db, "quote.submitted")) == 1


def test_after_the_deadline_no_quote_is_submitted_or_drafted(portal, portal_db, approved_supplier):
    supplier, _, owner = approved_supplier()
    deliver(portal_db, rfq_issued([supplier.id], deadline=datetime.now(timezone.utc) - timedelta(minutes=1)))
    rfq = rfq_copy(portal_db, supplier.id)
    late = portal.post(f"/api/rfqs/{rfq.id}/quote", headers=owner, json=priced())
    assert late.status_code == 409 and "deadline" in late.json["detail"]
    assert portal.put(f"/api/rfqs/{rfq.id}/quote", headers=owner, json={"lines": []}).status_code == 409
    assert portal.get("/api/rfqs?open=true", headers=owner).json["total"] == 0
    assert portal.get("/api/rfqs?open=false", headers=owner).json["total"] == 1


def test_a_suspended_supplier_is_refused_with_the_reason_of_its_suspension(portal, portal_db, approved_supplier):
    supplier, _, owner = approved_supplier()
    deliver(portal_db, rfq_issued([supplier.id]))
    with portal_db.unit_of_work() as uow:
        row = uow.session.get(Supplier, supplier.id)
        row.status, row.status_reason = "suspended", "连续两期考核不合格"
        uow.commit()
    refused = portal.post(f"/api/rfqs/{rfq_copy(portal_db, supplier.id).id}/quote", headers=owner, json=priced())
    assert refused.status_code == 409 and "suspended" in refused.json["detail"]
    assert "连续两期考核不合格" in refused.json["detail"]
    assert outbox(portal_db, "quote.submitted") == []


def test_a_supplier_whose_food_licence_expired_is_refused_with_the_licence_named(
        portal, portal_db, make_supplier, add_document):
    supplier, _, owner = make_supplier(status="approved")
    add_document(supplier.id, "business_licence")
    add_document(supplier.id, "food_business_licence", expires_on=date.today() - timedelta(days=1))
    deliver(portal_db, rfq_issued([supplier.id]))
    refused = portal.post(f"/api/rfqs/{rfq_copy(portal_db, supplier.id).id}/quote", headers=owner, json=priced())
    assert refused.status_code == 403 and "food_business_licence" in refused.json["detail"]


def test_a_supplier_still_pending_approval_may_not_quote(portal, portal_db, make_supplier):
    supplier, _, owner = make_supplier(status="pending")
    deliver(portal_db, rfq_issued([supplier.id]))
    refused = portal.post(f"/api/rfqs/{rfq_copy(portal_db, supplier.id).id}/quote", headers=owner, json=priced())
    assert refused.status_code == 409 and "pending" in refused.json["detail"]


def test_quote_lines_must_name_the_rfqs_lines_once_with_exact_positive_prices(portal, portal_db, approved_supplier):
    supplier, _, owner = approved_supplier()
    deliver(portal_db, rfq_issued([supplier.id]))
    url = f"/api/rfqs/{rfq_copy(portal_db, supplier.id).id}/quote"
    bad = [
        {"valid_until": NEXT_MONTH, "lines": [{"rfq_line_id": 99, "unit_price": "1.00"}]},
        {"valid_until": NEXT_MONTH, "lines": [{"rfq_line_id": 1, "unit_price": "1.00"},
                                              {"rfq_line_id": 1, "unit_price": "2.00"}]},
        {"valid_until": NEXT_MONTH, "lines": [{"rfq_line_id": 1, "unit_price": "1.005"}]},
        {"valid_until": NEXT_MONTH, "lines": [{"rfq_line_id": 1, "unit_price": "-1"}]},
        {"valid_until": NEXT_MONTH, "lines": [{"rfq_line_id": 1, "unit_price": "NaN"}]},
        {"valid_until": NEXT_MONTH, "lines": [{"rfq_line_id": 1}]},
        {"valid_until": NEXT_MONTH, "lines": []},
        {"valid_until": "2000-01-01", "lines": [{"rfq_line_id": 1, "unit_price": "1.00"}]},
        {"lines": [{"rfq_line_id": 1, "unit_price": "1.00"}]},
        {"valid_until": NEXT_MONTH, "lines": "x"},
        [],
    ]
    for body in bad:
        response = portal.post(url, headers=owner, json=body)
        assert response.status_code == 422, (body, response.json)
    assert outbox(portal_db, "quote.submitted") == []


def test_a_retried_submission_with_the_same_idempotency_key_replays_the_first_answer(
        portal, portal_db, approved_supplier):
    supplier, _, owner = approved_supplier()
    deliver(portal_db, rfq_issued([supplier.id]))
    url = f"/api/rfqs/{rfq_copy(portal_db, supplier.id).id}/quote"
    headers = {**owner, "Idempotency-Key": "quote-301-a"}
    first = portal.post(url, headers=headers, json=priced())
    second = portal.post(url, headers=headers, json=priced())
    assert first.status_code == second.status_code == 201 and first.json == second.json
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert len(outbox(portal_db, "quote.submitted")) == 1
    assert Decimal(first.json["lines"][0]["unit_price"]) == Decimal("5.60")


def test_the_award_tells_each_supplier_which_of_its_own_lines_won_and_nothing_of_the_others(
        portal, portal_db, approved_supplier):
    a, _, a_owner = approved_supplier("甲")
    b, _, b_owner = approved_supplier("乙")
    c, _, c_owner = approved_supplier("丙")
    deliver(portal_db, rfq_issued([a.id, b.id, c.id]))
    quote_a = portal.post(f"/api/rfqs/{rfq_copy(portal_db, a.id).id}/quote", headers=a_owner, json=priced()).json
    quote_b = portal.post(f"/api/rfqs/{rfq_copy(portal_db, b.id).id}/quote", headers=b_owner,
                          json=priced(rice="5.50", oil="13.00")).json
    awarded = rfq_awarded([(a.id, quote_a["id"], [2]), (b.id, quote_b["id"], [1]), (c.id, None, [])])
    assert deliver(portal_db, awarded) is True
    assert deliver(portal_db, awarded) is False  # redelivered: nothing happens twice
    shown_a = portal.get(f"/api/quotes/{quote_a['id']}", headers=a_owner).json
    assert shown_a["outcome"] == "partly_awarded" and shown_a["outcome_at"]
    assert [(line["rfq_line_id"], line["awarded"]) for line in shown_a["lines"]] == [(1, False), (2, True)]
    assert "5.50" not in str(shown_a) and "乙" not in str(shown_a)
    assert portal.get("/api/quotes?outcome=partly_awarded", headers=a_owner).json["total"] == 1
    assert portal.get("/api/quotes?outcome=partly_awarded", headers=b_owner).json["total"] == 1
    rfq_c = portal.get(f"/api/rfqs/{rfq_copy(portal_db, c.id).id}", headers=c_owner).json
    assert rfq_c["awarded_at"] and rfq_c["quote"] is None
    kinds = [n["kind"] for n in portal.get("/api/notifications", headers=a_owner).json["items"]]
    assert kinds[0] == "quote_partly_awarded" and kinds.count("quote_partly_awarded") == 1
    assert "quote_not_awarded" not in str(portal.get("/api/notifications", headers=c_owner).json)


def test_an_award_naming_a_quote_the_supplier_never_submitted_leaves_its_quote_untold(
        portal, portal_db, approved_supplier):
    supplier, _, owner = approved_supplier()
    deliver(portal_db, rfq_issued([supplier.id]))
    rfq = rfq_copy(portal_db, supplier.id)
    draft = portal.put(f"/api/rfqs/{rfq.id}/quote", headers=owner, json={"lines": []}).json
    deliver(portal_db, rfq_awarded([(supplier.id, draft["id"], [1, 2])]))
    assert portal.get(f"/api/quotes/{draft['id']}", headers=owner).json["outcome"] is None
    assert portal.get(f"/api/rfqs/{rfq.id}", headers=owner).json["awarded_at"]
    late = portal.post(f"/api/rfqs/{rfq.id}/quote", headers=owner, json=priced())
    assert late.status_code == 409 and "was awarded" in late.json["detail"]
    assert portal.put(f"/api/rfqs/{rfq.id}/quote", headers=owner, json={"lines": []}).status_code == 409


def test_an_award_arriving_before_its_rfq_is_retried_rather_than_lost(portal_db, approved_supplier):
    supplier, _, _ = approved_supplier()
    with pytest.raises(NotYetKnown):
        deliver(portal_db, rfq_awarded([(supplier.id, None, [])], rfq_id=999))

from datetime import date, datetime, timedelta, timezone

from services.supplier_portal.models import Supplier
from shared.auth import Principal
from tests.conftest import bearer

from .factories import acknowledged_order, deliver, goods_received, invoice_disputed
from .test_orders import outbox

MARCH = {"period_start": "2026-03-01", "period_end": "2026-03-31"}
APRIL = {"period_start": "2026-04-01", "period_end": "2026-04-30"}
MAY = {"period_start": "2026-05-01", "period_end": "2026-05-31"}


def rate(portal, reviewer, supplier_id, period, rating="satisfactory", comment=""):
    return portal.post(f"/api/suppliers/{supplier_id}/scorecards", headers=reviewer,
                       json={**period, "rating": rating, "comment": comment})


def test_a_scorecard_measures_on_time_delivery_acceptance_price_compliance_and_disputes(
        portal, portal_db, make_supplier):
    reviewer = bearer(Principal("1", frozenset({"procurement_officer"}), school_id=1))  # the orders' school
    supplier, _, owner = make_supplier(status="approved")
    first = acknowledged_order(portal, portal_db, supplier.id, owner, po_id=501)
    second = acknowledged_order(portal, portal_db, supplier.id, owner, po_id=502)
    # Lines are due 2026-03-05: 10:00 in Shanghai that day is on time, the 7th is late.
    deliver(portal_db, goods_received(supplier.id, po_id=501, receipt_id=1, accepted="90.000", rejected="10.000",
                                      received_at=datetime(2026, 3, 5, 2, 0, tzinfo=timezone.utc)))
    deliver(portal_db, goods_received(supplier.id, po_id=502, receipt_id=2, accepted="100.000",
                                      received_at=datetime(2026, 3, 7, 2, 0, tzinfo=timezone.utc)))
    # Received on 1 April in Shanghai, though still 31 March in UTC: not March's.
    deliver(portal_db, goods_received(supplier.id, po_id=502, receipt_id=3, accepted="1.000",
                                      received_at=datetime(2026, 3, 31, 16, 30, tzinfo=timezone.utc)))
    at_price = portal.post(f"/api/orders/{first.id}/invoices", headers=owner, json={
        "invoice_number": "A-1", "issued_on": "2026-03-20", "lines": [{"po_line_id": 9001, "quantity": "90.000"}]})
    above = portal.post(f"/api/orders/{second.id}/invoices", headers=owner, json={
        "invoice_number": "A-2", "issued_on": "2026-03-21",
        "lines": [{"po_line_id": 9001, "quantity": "100.000", "unit_price": "6.00"}]})
    deliver(portal_db, invoice_disputed(above.json, disputed_at=datetime(2026, 3, 25, tzinfo=timezone.utc)))
    assert at_price.status_code == above.status_code == 201
    card = rate(portal, reviewer, supplier.id, MARCH)
    assert card.status_code == 201, card.json
    assert {key: card.json[key] for key in ("deliveries", "on_time_rate", "acceptance_rate", "price_compliance_rate",
                                             "disputes", "rating", "suspended_supplier")} == {
        "deliveries": 2, "on_time_rate": "50.000", "acceptance_rate": "95.000", "price_compliance_rate": "50.000",
        "disputes": 1, "rating": "satisfactory", "suspended_supplier": False}
    assert [c["id"] for c in portal.get("/api/scorecards", headers=owner).json["items"]] == [card.json["id"]]


def test_a_period_with_nothing_to_measure_has_no_rates(portal, make_supplier, reviewer):
    supplier, _, _ = make_supplier(status="approved")
    card = rate(portal, reviewer, supplier.id, MARCH).json
    assert (card["deliveries"], card["on_time_rate"], card["acceptance_rate"], card["disputes"]) == (0, None, None, 0)


def test_two_consecutive_unsatisfactory_ratings_suspend_the_supplier_and_keep_the_history(
        portal, portal_db, make_supplier, reviewer):
    supplier, _, owner = make_supplier(status="approved")
    assert rate(portal, reviewer, supplier.id, MARCH, "unsatisfactory", "送货多次迟到").status_code == 201
    assert rate(portal, reviewer, supplier.id, APRIL, "satisfactory").status_code == 201
    first = rate(portal, reviewer, supplier.id, MAY, "unsatisfactory", "验收不合格率高")
    assert first.json["suspended_supplier"] is False
    assert outbox(portal_db, "supplier.suspended") == []
    june = {"period_start": "2026-06-01", "period_end": "2026-06-30"}
    second = rate(portal, reviewer, supplier.id, june, "unsatisfactory", "仍未整改")
    assert second.status_code == 201 and second.json["suspended_supplier"] is True
    with portal_db.unit_of_work() as uow:
        suspended = uow.session.get(Supplier, supplier.id)
    assert (suspended.status, suspended.status_cause) == ("suspended", "evaluation")
    assert "two consecutive" in suspended.status_reason
    [event] = outbox(portal_db, "supplier.suspended")
    assert event["supplier_id"] == supplier.id
    assert portal.get("/api/scorecards", headers=owner).json["total"] == 4


def test_ratings_are_for_staff_for_ended_periods_that_follow_the_last_one(portal, make_supplier, reviewer):
    supplier, _, owner = make_supplier(status="approved")
    assert rate(portal, owner, supplier.id, MARCH).status_code == 403
    assert rate(portal, reviewer, supplier.id, MARCH, "unsatisfactory").status_code == 422  # no reason given
    future = {"period_start": date.today().isoformat(), "period_end": (date.today() + timedelta(days=1)).isoformat()}
    assert rate(portal, reviewer, supplier.id, future).status_code == 422
    backwards = {"period_start": "2026-03-31", "period_end": "2026-03-01"}
    assert rate(portal, reviewer, supplier.id, backwards).status_code == 422
    assert rate(portal, reviewer, supplier.id, MARCH).status_code == 201
    overlapping = {"period_start": "2026-03-15", "period_end": "2026-04-15"}
    assert rate(portal, reviewer, supplier.id, overlapping).status_code == 409


def test_staff_see_their_own_schools_scorecards_only(portal, make_supplier, reviewer):
    supplier, _, _ = make_supplier(status="approved")
    card = rate(portal, reviewer, supplier.id, MARCH).json
    other_school = bearer(Principal("77", frozenset({"procurement_officer"}), school_id=card["school_id"] + 1))
    assert portal.get("/api/scorecards", headers=other_school).json["items"] == []
    assert portal.get(f"/api/scorecards/{card['id']}", headers=other_school).status_code == 404
    assert portal.get(f"/api/scorecards/{card['id']}", headers=reviewer).status_code == 200

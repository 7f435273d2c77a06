"""The licence rules, applied directly to the domain: approval, expiry warnings, suspension and its lifting."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from services.supplier_portal.approval import approve_supplier, required_licences
from services.supplier_portal.documents import review_document
from services.supplier_portal.licence_expiry import WARN_DAYS, check_licences
from services.supplier_portal.models import Audit, Notification, Outbox, Supplier
from services.supplier_portal.tasks import PERIODIC_JOBS, run_licence_check
from shared.auth import Principal
from shared.errors import Conflict

TODAY = date(2026, 3, 1)
STAFF = Principal("9", frozenset({"procurement_officer"}), school_id=1)


def events(session, event_type):
    return [row.payload for row in session.scalars(select(Outbox).where(Outbox.type == event_type))]


def test_food_suppliers_need_a_food_licence_and_coal_suppliers_do_not(make_supplier):
    food, _, _ = make_supplier(categories=("vegetables", "coal"))
    coal, _, _ = make_supplier(categories=("coal",))
    assert required_licences(food) == [("business_licence",), ("food_business_licence", "food_production_licence")]
    assert required_licences(coal) == [("business_licence",)]


def test_approval_needs_both_licences_approved_and_unexpired(make_supplier, add_document, portal_db):
    supplier, _, _ = make_supplier()
    add_document(supplier.id, "business_licence", expires_on=TODAY + timedelta(days=100))
    add_document(supplier.id, "food_business_licence", expires_on=TODAY - timedelta(days=1))
    add_document(supplier.id, "food_production_licence", status="pending", expires_on=TODAY + timedelta(days=100))
    with portal_db.unit_of_work() as uow:
        with pytest.raises(Conflict, match="food_business_licence or food_production_licence"):
            approve_supplier(uow.session, STAFF, supplier.id, TODAY)
    add_document(supplier.id, "food_production_licence", expires_on=TODAY)  # valid through its last day
    with portal_db.unit_of_work() as uow:
        approved = approve_supplier(uow.session, STAFF, supplier.id, TODAY)
        assert approved.status == "approved"
        [event] = events(uow.session, "supplier.approved")
        assert event["supplier_id"] == supplier.id and event["categories"] == ["vegetables"]
        [audit] = uow.session.scalars(select(Audit)).all()
        assert (audit.document_type, audit.from_state, audit.to_state, audit.actor) == (
            "supplier", "pending", "approved", "9")


def test_a_licence_is_warned_of_once_within_thirty_days_of_expiry(make_supplier, add_document, portal_db):
    supplier, _, _ = make_supplier(status="approved")
    add_document(supplier.id, "business_licence", expires_on=TODAY + timedelta(days=WARN_DAYS))
    document = add_document(supplier.id, "food_business_licence", expires_on=TODAY + timedelta(days=WARN_DAYS + 1))
    with portal_db.unit_of_work() as uow:
        first = check_licences(uow.session, TODAY)
        second = check_licences(uow.session, TODAY + timedelta(days=1))
        notes = uow.session.scalars(select(Notification).where(Notification.supplier_id == supplier.id)).all()
    assert len(first["warned_documents"]) == 1 and first["suspended_suppliers"] == []
    assert second["warned_documents"] == [document.id]  # the food licence enters the window a day later
    assert sorted(n.kind for n in notes) == ["licence_expiring", "licence_expiring"]
    assert "expires on 2026-03-31 (in 30 days)" in notes[0].message


def test_no_warning_when_a_renewal_already_covers_past_the_window(make_supplier, add_document, portal_db):
    supplier, _, _ = make_supplier(categories=("coal",), status="approved")
    add_document(supplier.id, "business_licence", expires_on=TODAY + timedelta(days=5))
    add_document(supplier.id, "business_licence", expires_on=TODAY + timedelta(days=400))
    with portal_db.unit_of_work() as uow:
        assert check_licences(uow.session, TODAY) == {"warned_documents": [], "suspended_suppliers": []}


def test_an_expired_licence_suspends_and_a_valid_approved_one_lifts_it(make_supplier, add_document, portal_db):
    supplier, _, _ = make_supplier(status="approved")
    add_document(supplier.id, "business_licence", expires_on=TODAY + timedelta(days=200))
    add_document(supplier.id, "food_business_licence", expires_on=TODAY - timedelta(days=1))
    renewal = add_document(supplier.id, "food_business_licence", status="pending",
                           expires_on=TODAY + timedelta(days=365))
    with portal_db.unit_of_work() as uow:
        assert check_licences(uow.session, TODAY)["suspended_suppliers"] == [supplier.id]
        assert check_licences(uow.session, TODAY)["suspended_suppliers"] == []  # once, not daily
        suspended = uow.session.get(Supplier, supplier.id)
        assert suspended.status == "suspended" and "food_business_licence" in suspended.status_reason
        [event] = events(uow.session, "supplier.suspended")
        assert event["supplier_id"] == supplier.id
        review_document(uow.session, STAFF, renewal.id, True, None, TODAY)
        assert uow.session.get(Supplier, supplier.id).status == "approved"
        assert len(events(uow.session, "supplier.approved")) == 1


def test_a_suspension_for_another_cause_is_not_lifted_by_a_licence(make_supplier, add_document, portal_db):
    supplier, _, _ = make_supplier(status="approved")
    with portal_db.unit_of_work() as uow:
        row = uow.session.get(Supplier, supplier.id)
        row.status, row.status_cause = "suspended", "unsatisfactory_reviews"
        uow.commit()
    document = add_document(supplier.id, "business_licence", status="pending")
    add_document(supplier.id, "food_business_licence")
    with portal_db.unit_of_work() as uow:
        review_document(uow.session, STAFF, document.id, True, None, TODAY)
        assert uow.session.get(Supplier, supplier.id).status == "suspended"


def test_a_pending_supplier_is_never_suspended(make_supplier, portal_db):
    supplier, _, _ = make_supplier(status="pending")
    with portal_db.unit_of_work() as uow:
        assert check_licences(uow.session, TODAY)["suspended_suppliers"] == []
        assert uow.session.get(Supplier, supplier.id).status == "pending"


def test_the_licence_check_is_a_daily_periodic_job_that_commits(make_supplier, add_document, portal_db):
    [job] = [job for job in PERIODIC_JOBS if job.name == "check_licences"]
    assert (job.name, job.every_seconds, job.run) == ("check_licences", 86400, run_licence_check)
    supplier, _, _ = make_supplier(categories=("coal",), status="approved")
    add_document(supplier.id, "business_licence", expires_on=date.today() - timedelta(days=3))
    assert supplier.id in job.run(portal_db)["suspended_suppliers"]
    with portal_db.unit_of_work() as uow:
        assert uow.session.get(Supplier, supplier.id).status == "suspended"

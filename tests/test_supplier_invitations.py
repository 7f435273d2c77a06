from sqlalchemy import select

from services.procurement.models import Outbox, School, SupplierInvitation

INVITATION = {"company_name": "山东鲁粮粮油有限公司", "contact_email": "sales@luliang.example.cn",
              "categories": ["bulk_grain_oil"]}


def test_buyer_invites_supplier_and_the_event_is_in_the_outbox_of_the_same_transaction(procurement, staff, databases):
    _, headers = staff("procurement_officer")
    response = procurement.post("/api/supplier-invitations", json=INVITATION, headers=headers)
    assert response.status_code == 201, response.json
    assert response.json["company_name"] == INVITATION["company_name"]
    with databases["procurement"].unit_of_work() as uow:
        [event] = uow.session.scalars(select(Outbox)).all()
        invitation = uow.session.get(SupplierInvitation, response.json["id"])
    assert event.type == "supplier.invited"
    assert event.published_at is None
    assert event.payload == {"invitation_id": invitation.id, "school_id": invitation.school_id, **INVITATION}
    assert event.correlation_id == response.headers["X-Correlation-ID"]


def test_a_rejected_invitation_leaves_no_event(procurement, staff, databases):
    _, headers = staff("procurement_officer")
    response = procurement.post("/api/supplier-invitations", json={**INVITATION, "categories": ["weapons"]},
                                headers=headers)
    assert response.status_code == 422
    with databases["procurement"].unit_of_work() as uow:
        assert uow.session.scalars(select(Outbox)).all() == []


def test_invitations_list_shows_only_the_callers_school(procurement, staff, databases):
    with databases["procurement"].unit_of_work() as uow:
        other_school = School(name="另一所学校")
        uow.session.add(other_school)
        uow.commit()
    _, ours = staff("procurement_officer")
    _, theirs = staff("procurement_officer", school_id=other_school.id)
    procurement.post("/api/supplier-invitations", json=INVITATION, headers=ours)
    procurement.post("/api/supplier-invitations", json={**INVITATION, "company_name": "别校供应商"}, headers=theirs)
    assert [i["company_name"] for i in procurement.get("/api/supplier-invitations", headers=ours).json] == [
        INVITATION["company_name"]]
    assert [i["company_name"] for i in procurement.get("/api/supplier-invitations", headers=theirs).json] == [
        "别校供应商"]


def test_a_canteen_manager_may_not_invite_suppliers(procurement, staff):
    _, headers = staff("canteen_manager")
    response = procurement.post("/api/supplier-invitations", json=INVITATION, headers=headers)
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"


def test_a_retried_invitation_with_the_same_idempotency_key_invites_once(procurement, staff, databases):
    _, headers = staff("procurement_officer")
    headers = {**headers, "Idempotency-Key": "invite-luliang-1"}
    first = procurement.post("/api/supplier-invitations", json=INVITATION, headers=headers)
    again = procurement.post("/api/supplier-invitations", json=INVITATION, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    with databases["procurement"].unit_of_work() as uow:
        assert len(uow.session.scalars(select(Outbox)).all()) == 1

from datetime import timedelta

from sqlalchemy import select

from services.supplier_portal.models import Supplier, SupplierUser
from services.supplier_portal.registration import create_invited_supplier
from shared.auth import decode_token
from shared.db import utcnow
from tests.support import TEST_SECRET

from .conftest import PASSWORD, credit_code

COMPANY = {"name": "济南绿源蔬菜配送有限公司", "address": "济南市历城区工业北路1号", "contact_name": "李经理",
           "contact_phone": "0531-86668888", "contact_email": "sales@lvyuan.example.cn",
           "categories": ["vegetables", "meat_eggs"]}
OWNER = {"email": "Boss@LvYuan.example.cn", "display_name": "李总", "password": PASSWORD}


def register(portal, code, **changes):
    return portal.post("/api/auth/register", json={**COMPANY, "credit_code": code, "owner": OWNER, **changes})


def login(portal, email, password=PASSWORD):
    return portal.post("/api/auth/login", json={"email": email, "password": password})


def test_a_company_registers_itself_pending_and_its_owner_signs_in_with_a_supplier_token(portal):
    response = register(portal, credit_code(900001))
    assert response.status_code == 201, response.json
    assert response.json["status"] == "pending" and response.json["credit_code"] == credit_code(900001)
    token = login(portal, "boss@lvyuan.example.cn")
    assert token.status_code == 200, token.json
    principal = decode_token(token.json["access_token"], TEST_SECRET)
    assert principal.supplier_id == response.json["id"] and principal.roles == {"supplier_owner"}
    me = portal.get("/api/auth/me", headers={"Authorization": f"Bearer {token.json['access_token']}"})
    assert me.json["supplier"]["name"] == COMPANY["name"] and me.json["user"]["role"] == "owner"


def test_an_invalid_credit_code_category_or_short_password_is_refused_with_field_errors(portal):
    response = register(portal, "91350100M000100Y44", categories=["weapons"],
                        owner={**OWNER, "password": "short"})
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"credit_code", "categories", "owner"}
    assert "check character" in response.json["errors"]["credit_code"][0]


def test_a_credit_code_or_email_already_registered_answers_409(portal):
    assert register(portal, credit_code(900002)).status_code == 201
    assert register(portal, credit_code(900002), owner={**OWNER, "email": "x@y.cn"}).status_code == 409
    assert register(portal, credit_code(900003)).status_code == 409  # the owner's email is taken


def test_an_invited_supplier_completes_registration_with_a_one_time_code(portal, portal_db, reviewer):
    with portal_db.unit_of_work() as uow:
        invited = create_invited_supplier(uow.session, {"invitation_id": 4, "school_id": 1, "company_name": "鲁粮",
                                                        "contact_email": "a@luliang.cn", "categories": ["coal"]})
        uow.commit()
    issued = portal.post(f"/api/suppliers/{invited.id}/invitation-code", headers=reviewer)
    assert issued.status_code == 201
    body = {**COMPANY, "credit_code": credit_code(900004), "owner": OWNER,
            "invitation_code": issued.json["invitation_code"]}
    del body["name"]
    completed = portal.post("/api/auth/register-invited", json=body)
    assert completed.status_code == 201, completed.json
    assert completed.json["id"] == invited.id and completed.json["name"] == "鲁粮"
    assert completed.json["credit_code"] == credit_code(900004)
    assert login(portal, OWNER["email"]).status_code == 200
    again = portal.post("/api/auth/register-invited", json={**body, "owner": {**OWNER, "email": "b@c.cn"}})
    assert again.status_code == 404
    assert portal.post(f"/api/suppliers/{invited.id}/invitation-code", headers=reviewer).status_code == 409
    with portal_db.unit_of_work() as uow:
        assert uow.session.get(Supplier, invited.id).invitation_code_hash is None


def test_a_self_registered_supplier_has_no_invitation_code_and_suppliers_cannot_issue_one(portal, make_supplier,
                                                                                        reviewer):
    supplier, _, owner = make_supplier()
    assert portal.post(f"/api/suppliers/{supplier.id}/invitation-code", headers=reviewer).status_code == 409
    assert portal.post(f"/api/suppliers/{supplier.id}/invitation-code", headers=owner).status_code == 403


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(portal, make_supplier, portal_db):
    _, user, _ = make_supplier()
    for _ in range(5):
        assert login(portal, user.email, "wrong password!").status_code == 401
    locked = login(portal, user.email)
    assert locked.status_code == 429 and locked.mimetype == "application/problem+json"
    with portal_db.unit_of_work() as uow:
        uow.session.get(SupplierUser, user.id).locked_until = utcnow() - timedelta(seconds=1)
        uow.commit()
    assert login(portal, user.email).status_code == 200


def test_an_unknown_email_and_a_wrong_password_get_the_same_answer(portal, make_supplier):
    _, user, _ = make_supplier()
    unknown, wrong = login(portal, "nobody@example.cn"), login(portal, user.email, "not the password")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json["detail"] == wrong.json["detail"]


def test_password_change_needs_the_current_password_and_then_the_old_one_stops_working(portal, make_supplier):
    _, user, owner = make_supplier()
    wrong = portal.post("/api/auth/password", headers=owner,
                        json={"current_password": "nope-nope-nope", "new_password": "a new long passphrase"})
    assert wrong.status_code == 422 and "current_password" in wrong.json["errors"]
    short = portal.post("/api/auth/password", headers=owner, json={"current_password": PASSWORD, "new_password": "x"})
    assert short.status_code == 422
    changed = portal.post("/api/auth/password", headers=owner,
                          json={"current_password": PASSWORD, "new_password": "a new long passphrase"})
    assert changed.status_code == 204
    assert login(portal, user.email).status_code == 401
    assert login(portal, user.email, "a new long passphrase").status_code == 200


def test_the_owner_adds_staff_who_sign_in_as_supplier_staff_and_cannot_manage_users(portal, make_supplier):
    supplier, owner_user, owner = make_supplier()
    created = portal.post("/api/users", headers=owner,
                          json={"email": "clerk@example.cn", "display_name": "文员", "password": PASSWORD})
    assert created.status_code == 201 and created.json["role"] == "staff"
    assert created.json["supplier_id"] == supplier.id
    token = login(portal, "clerk@example.cn").json["access_token"]
    staff = {"Authorization": f"Bearer {token}"}
    assert decode_token(token, TEST_SECRET).roles == {"supplier_staff"}
    assert portal.get("/api/users", headers=staff).status_code == 403
    users = portal.get("/api/users", headers=owner).json["items"]
    assert [u["email"] for u in users] == [owner_user.email, "clerk@example.cn"]
    taken = portal.post("/api/users", headers=owner,
                        json={"email": "CLERK@example.cn", "display_name": "重复", "password": PASSWORD})
    assert taken.status_code == 409


def test_a_deactivated_staff_user_can_neither_sign_in_nor_use_a_token_it_still_holds(portal, make_supplier):
    _, _, owner = make_supplier()
    created = portal.post("/api/users", headers=owner,
                          json={"email": "temp@example.cn", "display_name": "临时", "password": PASSWORD}).json
    staff = {"Authorization": f"Bearer {login(portal, 'temp@example.cn').json['access_token']}"}
    assert portal.post(f"/api/users/{created['id']}/deactivate", headers=owner).json["active"] is False
    assert login(portal, "temp@example.cn").status_code == 401
    assert portal.get("/api/auth/me", headers=staff).status_code == 401
    assert portal.post(f"/api/users/{created['id']}/reactivate", headers=owner).json["active"] is True
    assert login(portal, "temp@example.cn").status_code == 200


def test_the_owner_account_cannot_be_deactivated(portal, make_supplier):
    _, user, owner = make_supplier()
    assert portal.post(f"/api/users/{user.id}/deactivate", headers=owner).status_code == 403


def test_review_rejects_with_a_reason_and_the_owner_resubmits(portal, make_supplier, reviewer, portal_db):
    supplier, _, owner = make_supplier()
    assert portal.post(f"/api/suppliers/{supplier.id}/reject", headers=reviewer, json={}).status_code == 422
    rejected = portal.post(f"/api/suppliers/{supplier.id}/reject", headers=reviewer, json={"reason": "证照不清晰"})
    assert rejected.json["status"] == "rejected" and rejected.json["status_reason"] == "证照不清晰"
    assert portal.post(f"/api/suppliers/{supplier.id}/reject", headers=reviewer,
                       json={"reason": "again"}).status_code == 409
    assert portal.post(f"/api/suppliers/{supplier.id}/resubmit", headers=owner).json["status"] == "pending"


def test_approval_without_licences_is_refused_with_what_is_missing(portal, make_supplier, reviewer, add_document):
    supplier, _, owner = make_supplier()
    refused = portal.post(f"/api/suppliers/{supplier.id}/approve", headers=reviewer)
    assert refused.status_code == 409 and "business_licence" in refused.json["detail"]
    assert portal.post(f"/api/suppliers/{supplier.id}/approve", headers=owner).status_code == 403
    add_document(supplier.id, "business_licence")
    add_document(supplier.id, "food_production_licence")
    approved = portal.post(f"/api/suppliers/{supplier.id}/approve", headers=reviewer)
    assert approved.status_code == 200 and approved.json["status"] == "approved"
    assert portal.post(f"/api/suppliers/{supplier.id}/approve", headers=reviewer).status_code == 409


def test_the_owner_updates_contact_details_but_not_the_company_identity(portal, make_supplier):
    supplier, _, owner = make_supplier()
    updated = portal.patch(f"/api/suppliers/{supplier.id}", headers=owner, json={"contact_phone": "13800138000"})
    assert updated.status_code == 200 and updated.json["contact_phone"] == "13800138000"
    refused = portal.patch(f"/api/suppliers/{supplier.id}", headers=owner, json={"credit_code": credit_code(5)})
    assert refused.status_code == 422


def test_staff_list_suppliers_by_status(portal, make_supplier, reviewer):
    pending, _, _ = make_supplier()
    approved, _, _ = make_supplier(status="approved")
    listed = portal.get("/api/suppliers?status=approved", headers=reviewer).json["items"]
    assert approved.id in [s["id"] for s in listed] and pending.id not in [s["id"] for s in listed]
    assert portal.get("/api/suppliers?status=bogus", headers=reviewer).status_code == 422


def test_the_supplier_list_is_paginated_with_its_total_and_keeps_its_status_filter(portal, make_supplier, reviewer):
    made = [make_supplier(status="approved")[0].id for _ in range(3)]
    make_supplier()  # pending: filtered out
    first = portal.get("/api/suppliers?status=approved&per_page=2", headers=reviewer).json
    second = portal.get("/api/suppliers?status=approved&per_page=2&page=2", headers=reviewer).json
    assert (first["page"], first["per_page"], first["total"], second["page"], second["total"]) == (1, 2, 3, 2, 3)
    assert [s["id"] for s in first["items"] + second["items"]] == made
    assert portal.get("/api/suppliers?per_page=0", headers=reviewer).status_code == 422
    assert portal.get("/api/suppliers?per_page=201", headers=reviewer).status_code == 422


def test_a_registration_retried_with_the_same_idempotency_key_creates_one_supplier(portal, portal_db):
    body = {**COMPANY, "credit_code": credit_code(900077), "owner": OWNER}
    headers = {"Idempotency-Key": "register-lvyuan-1"}
    first = portal.post("/api/auth/register", json=body, headers=headers)
    second = portal.post("/api/auth/register", json=body, headers=headers)
    assert first.status_code == second.status_code == 201 and first.json == second.json
    assert second.headers.get("Idempotent-Replayed") == "true"
    other = portal.post("/api/auth/register", json={**body, "name": "另一家公司"}, headers=headers)
    assert other.status_code == 422 and "Idempotency-Key" in other.json["errors"]
    with portal_db.unit_of_work() as uow:
        assert len(list(uow.session.scalars(select(Supplier).where(Supplier.credit_code == credit_code(900077))))) == 1
    # Without the key a repeat is just a second registration, refused for its credit code.
    assert portal.post("/api/auth/register", json=body).status_code == 409

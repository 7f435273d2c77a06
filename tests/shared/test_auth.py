"""shared.auth: signed tokens, role checks, tenant scoping and password hashing."""
import base64
import json
from datetime import timedelta
from types import SimpleNamespace

import jwt
import pytest
from sqlalchemy import Integer, String, create_engine, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from shared import auth
from shared.auth import (
    SERVICE_ROLE,
    STAFF_ROLES,
    SUPPLIER_ROLES,
    Principal,
    decode_token,
    hash_password,
    issue_token,
    scoped,
    service_token,
    verify_password,
)
from shared.db import declarative_base, utcnow
from shared.errors import NotFound, Unauthorized
from tests.shared.miniapp import bearer, make_app
from tests.support import TEST_SECRET

BUYER = Principal("7", frozenset({"procurement_officer", "approver"}), school_id=3)
SUPPLIER = Principal("s-42", frozenset({"supplier_owner"}), supplier_id=42)


def claims(**overrides):
    now = utcnow()
    base = {"sub": "7", "roles": ["procurement_officer"], "school_id": 3, "iat": now, "exp": now + timedelta(minutes=5)}
    base.update(overrides)
    return {key: value for key, value in base.items() if value is not ...}


def signed(**overrides) -> str:
    return jwt.encode(claims(**overrides), TEST_SECRET, algorithm="HS256")


def test_a_staff_token_round_trips_to_the_same_principal():
    assert decode_token(issue_token(BUYER, TEST_SECRET, 60), TEST_SECRET) == BUYER


def test_a_supplier_token_round_trips_and_carries_the_supplier_not_a_school():
    token = issue_token(SUPPLIER, TEST_SECRET, 60)
    assert decode_token(token, TEST_SECRET) == SUPPLIER
    payload = jwt.decode(token, TEST_SECRET, algorithms=["HS256"])
    assert payload["supplier_id"] == 42 and "school_id" not in payload


def test_a_managers_token_carries_their_demand_point_and_a_token_without_one_still_decodes():
    manager = Principal("8", frozenset({"canteen_manager"}), school_id=3, demand_point="DH2")
    token = issue_token(manager, TEST_SECRET, 60)
    assert jwt.decode(token, TEST_SECRET, algorithms=["HS256"])["demand_point"] == "DH2"
    assert decode_token(token, TEST_SECRET) == manager
    assert "demand_point" not in jwt.decode(issue_token(BUYER, TEST_SECRET, 60), TEST_SECRET, algorithms=["HS256"])
    assert decode_token(signed(roles=["canteen_manager"]), TEST_SECRET).demand_point is None
    assert decode_token(signed(roles=["canteen_manager"], demand_point=7), TEST_SECRET).demand_point is None


def test_a_token_expires_after_its_time_to_live():
    with pytest.raises(Unauthorized):
        decode_token(issue_token(BUYER, TEST_SECRET, -1), TEST_SECRET)


def test_a_token_verified_once_is_not_verified_again_but_is_still_refused_once_it_expires(monkeypatch):
    token = issue_token(BUYER, TEST_SECRET, 60)
    assert decode_token(token, TEST_SECRET) == BUYER
    hits = auth._verified.cache_info().hits
    assert decode_token(token, TEST_SECRET) == BUYER
    assert auth._verified.cache_info().hits == hits + 1
    expires_at = jwt.decode(token, TEST_SECRET, algorithms=["HS256"])["exp"]
    monkeypatch.setattr(auth, "time", SimpleNamespace(time=lambda: expires_at))
    with pytest.raises(Unauthorized):
        decode_token(token, TEST_SECRET)
    with pytest.raises(Unauthorized):  # the same text under another secret is verified on its own
        decode_token(issue_token(BUYER, TEST_SECRET, 60), "another-secret-" + "y" * 40)


def test_a_token_signed_with_another_secret_is_refused():
    with pytest.raises(Unauthorized):
        decode_token(issue_token(BUYER, "another-secret-" + "y" * 40, 60), TEST_SECRET)


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_token_whose_claims_were_changed_after_signing_is_refused():
    token = issue_token(BUYER, TEST_SECRET, 60)
    header, _, signature = token.split(".")
    forged = jwt.decode(token, TEST_SECRET, algorithms=["HS256"])
    forged["roles"] = ["admin"]
    with pytest.raises(Unauthorized):
        decode_token(".".join([header, _b64(forged), signature]), TEST_SECRET)


def test_an_unsigned_token_is_refused():
    unsigned = jwt.encode(claims(), key=None, algorithm="none")
    with pytest.raises(Unauthorized):
        decode_token(unsigned, TEST_SECRET)


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "Bearer x"])
def test_garbage_is_not_a_token(garbage):
    with pytest.raises(Unauthorized):
        decode_token(garbage, TEST_SECRET)


@pytest.mark.parametrize("missing", ["sub", "exp", "roles"])
def test_a_token_missing_a_required_claim_is_refused(missing):
    with pytest.raises(Unauthorized):
        decode_token(signed(**{missing: ...}), TEST_SECRET)


def test_a_token_naming_both_a_school_and_a_supplier_is_refused():
    with pytest.raises(Unauthorized, match="neither one school nor one supplier"):
        decode_token(signed(school_id=3, supplier_id=42, roles=["supplier_owner"]), TEST_SECRET)


def test_a_token_naming_neither_a_school_nor_a_supplier_is_refused():
    with pytest.raises(Unauthorized):
        decode_token(signed(school_id=...), TEST_SECRET)
    with pytest.raises(Unauthorized):
        decode_token(issue_token(Principal("7", frozenset({"admin"})), TEST_SECRET, 60), TEST_SECRET)


@pytest.mark.parametrize("role", sorted(STAFF_ROLES))
def test_a_supplier_token_with_a_staff_role_is_refused(role):
    with pytest.raises(Unauthorized, match="roles do not match"):
        decode_token(signed(school_id=..., supplier_id=42, roles=["supplier_owner", role]), TEST_SECRET)


@pytest.mark.parametrize("role", sorted(SUPPLIER_ROLES) + ["superuser"])
def test_a_staff_token_with_a_supplier_or_unknown_role_is_refused(role):
    with pytest.raises(Unauthorized, match="roles do not match"):
        decode_token(signed(roles=["canteen_manager", role]), TEST_SECRET)


def test_a_service_token_carries_the_service_role_alone_for_one_school():
    principal = decode_token(service_token("procurement", 3, TEST_SECRET), TEST_SECRET)
    assert (principal.user_id, principal.roles, principal.school_id) == ("service:procurement", {SERVICE_ROLE}, 3)
    assert SERVICE_ROLE not in STAFF_ROLES  # so no staff role list lets a service in by accident


@pytest.mark.parametrize("claims", [{"roles": [SERVICE_ROLE, "storekeeper"]},
                                    {"roles": [SERVICE_ROLE], "school_id": None, "supplier_id": 42}])
def test_the_service_role_mixed_with_a_person_s_role_or_for_a_supplier_is_refused(claims):
    with pytest.raises(Unauthorized, match="roles do not match"):
        decode_token(signed(**claims), TEST_SECRET)


def test_unauthorized_is_a_401():
    assert Unauthorized("x").status == 401


@pytest.fixture
def client(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'auth.db'}")
    yield app.test_client()
    app.extensions["database"].dispose()


def test_a_protected_view_answers_401_problem_json_without_a_token(client):
    response = client.get("/whoami")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.get_json()["status"] == 401


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Token abc", "Bearer not-a-jwt"])
def test_a_protected_view_answers_401_to_a_malformed_authorization(client, header):
    assert client.get("/whoami", headers={"Authorization": header}).status_code == 401


def test_a_protected_view_answers_401_to_an_expired_token(client):
    assert client.get("/whoami", headers=bearer("7", ttl=-1)).status_code == 401


def test_a_protected_view_answers_403_to_the_wrong_role(client):
    response = client.get("/whoami", headers=bearer("7", "canteen_manager"))
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert "procurement_officer" in response.get_json()["detail"]


def test_a_protected_view_answers_403_to_a_supplier(client):
    assert client.get("/whoami", headers=bearer("s-1", "supplier_owner", supplier_id=5)).status_code == 403


@pytest.mark.parametrize("role", ["procurement_officer", "admin"])
def test_a_protected_view_serves_any_of_its_roles(client, role):
    response = client.get("/whoami", headers=bearer("7", role, "finance", school_id=3))
    assert response.status_code == 200
    assert response.get_json() == {"user_id": "7", "roles": sorted({role, "finance"}), "school_id": 3,
                                   "supplier_id": None}


Base = declarative_base()


class Requisition(Base):
    __tablename__ = "requisitions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    school_id: Mapped[int] = mapped_column(Integer)
    supplier_id: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(20))


class SupplierOnly(Base):
    __tablename__ = "supplier_only"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    supplier_id: Mapped[int] = mapped_column(Integer)


class SchoolSetting(Base):
    __tablename__ = "school_settings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    school_id: Mapped[int] = mapped_column(Integer)


@pytest.fixture(scope="module")
def session():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all([Requisition(school_id=3, supplier_id=42, note="ours-42"),
                         Requisition(school_id=3, supplier_id=43, note="ours-43"),
                         Requisition(school_id=4, supplier_id=42, note="theirs-42"),
                         SchoolSetting(school_id=3)])
        session.commit()
        yield session
    engine.dispose()


def notes(session, principal):
    return sorted(session.scalars(scoped(select(Requisition.note), Requisition, principal)))


def test_scoped_shows_staff_only_their_schools_rows(session):
    assert notes(session, BUYER) == ["ours-42", "ours-43"]
    assert notes(session, Principal("9", frozenset({"finance"}), school_id=4)) == ["theirs-42"]


def test_scoped_shows_a_supplier_only_its_own_rows_across_schools(session):
    assert notes(session, SUPPLIER) == ["ours-42", "theirs-42"]


def test_scoped_keeps_the_query_s_own_conditions(session):
    query = select(Requisition.note).where(Requisition.note.like("ours%"))
    assert sorted(session.scalars(scoped(query, Requisition, SUPPLIER))) == ["ours-42"]


def test_scoped_answers_not_found_when_a_supplier_asks_for_a_model_without_a_supplier(session):
    with pytest.raises(NotFound):
        scoped(select(SchoolSetting), SchoolSetting, SUPPLIER)


def test_scoped_raised_attribute_error_for_staff_on_a_model_without_a_school(session):
    with pytest.raises(NotFound):
        scoped(select(SupplierOnly), SupplierOnly, BUYER)


def _every_model():
    from services.inventory.models import Base as InventoryBase
    from services.procurement.models import Base as ProcurementBase
    from services.supplier_portal.models import Base as PortalBase
    return [mapper.class_ for base in (ProcurementBase, InventoryBase, PortalBase)
            for mapper in base.registry.mappers]


@pytest.mark.parametrize("principal", [BUYER, SUPPLIER], ids=["staff", "supplier"])
def test_scoped_answers_every_model_of_every_service_with_a_query_or_not_found(principal):
    for model in _every_model():
        try:
            statement = scoped(select(model), model, principal)
        except NotFound:
            column = "supplier_id" if principal.is_supplier else "school_id"
            assert not hasattr(model, column), model
        else:
            assert str(statement.compile()).count("WHERE") == 1, model


PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def stored_hash():
    return hash_password(PASSWORD)  # argon2 is slow on purpose: hash once for the module


def test_a_password_verifies_against_its_argon2_hash(stored_hash):
    assert stored_hash.startswith("$argon2id$")
    assert PASSWORD not in stored_hash
    assert verify_password(stored_hash, PASSWORD)


def test_a_wrong_password_does_not_verify(stored_hash):
    for attempt in ("correct horse battery stapl", "Correct horse battery staple", "", "正确的马", PASSWORD + " "):
        assert not verify_password(stored_hash, attempt), attempt


def test_the_same_password_hashes_differently_each_time(stored_hash):
    assert hash_password(PASSWORD) != stored_hash


@pytest.mark.parametrize("stored", ["", "not-a-hash", "$argon2id$v=19$m=65536,t=3,p=4$garbage"])
def test_a_corrupt_stored_hash_never_verifies_and_never_raises(stored):
    assert verify_password(stored, "anything") is False

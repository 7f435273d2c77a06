from shared.auth import issue_token, require_roles
from shared.idempotency import public_idempotent
from shared.web import Blueprint, settings, unit_of_work

from ..accounts import authenticate, change_password, current_user, supplier_of
from ..registration import complete_invited_registration, register_supplier
from ..schemas import (
    InvitedRegistrationSchema,
    LoginSchema,
    MeSchema,
    PasswordChangeSchema,
    SelfRegistrationSchema,
    SupplierSchema,
    TokenSchema,
)
from .common import AUTH, SUPPLIER_USERS, current_principal

blp = Blueprint("auth", __name__, url_prefix="/api/auth", description="Supplier registration and sign-in")
COMPANY_FIELDS = ("name", "credit_code", "address", "contact_name", "contact_phone", "contact_email", "categories")


def _token(principal):
    config = settings()
    return {"access_token": issue_token(principal, config.secret_key, config.token_ttl_seconds),
            "token_type": "Bearer", "expires_in": config.token_ttl_seconds,
            "supplier_id": principal.supplier_id, "roles": sorted(principal.roles)}


@blp.post("/register")
@public_idempotent
@blp.arguments(SelfRegistrationSchema)
@blp.response(201, SupplierSchema)
def register(data):
    """A company registers itself and its owner user; it stays pending until school staff approve it."""
    owner = data.pop("owner")
    with unit_of_work() as uow:
        supplier, _ = register_supplier(uow.session, company=data, owner=owner)
        uow.commit()
    return supplier


@blp.post("/register-invited")
@public_idempotent
@blp.arguments(InvitedRegistrationSchema)
@blp.response(201, SupplierSchema)
def register_invited(data):
    """An invited company completes its registration with the one-time code the school gave it."""
    owner, code = data.pop("owner"), data.pop("invitation_code")
    with unit_of_work() as uow:
        supplier, _ = complete_invited_registration(uow.session, code, company=data, owner=owner)
        uow.commit()
    return supplier


@blp.post("/login")
@blp.arguments(LoginSchema)
@blp.response(200, TokenSchema)
def login(credentials):
    with unit_of_work() as uow:
        try:
            principal = authenticate(uow.session, credentials["email"], credentials["password"])
        finally:
            uow.commit()  # failed attempts are counted even when sign-in is refused
    return _token(principal)


@blp.get("/me")
@blp.doc(security=AUTH)
@require_roles(*SUPPLIER_USERS)
@blp.response(200, MeSchema)
def me():
    principal = current_principal()
    with unit_of_work() as uow:
        return {"user": current_user(uow.session, principal), "supplier": supplier_of(uow.session, principal)}


@blp.post("/password")
@blp.doc(security=AUTH)
@require_roles(*SUPPLIER_USERS)
@blp.arguments(PasswordChangeSchema)
@blp.response(204)
def password(data):
    with unit_of_work() as uow:
        change_password(uow.session, current_principal(), data["current_password"], data["new_password"])
        uow.commit()

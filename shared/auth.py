"""Signed short-lived tokens, password hashing, role checks and tenant scoping.

Staff tokens carry the school, supplier tokens the supplier: every query a caller can
reach goes through `scoped()`, so a new endpoint cannot forget the tenant.
"""
from __future__ import annotations

import functools
import os
import time
from dataclasses import dataclass
from datetime import timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, g, request
from sqlalchemy import Select

from .db import utcnow
from .errors import Forbidden, NotFound, Unauthorized

STAFF_ROLES = frozenset({
    "canteen_manager", "storekeeper", "store_manager", "procurement_officer",
    "approver", "finance", "admin", "supervisor",
})
SUPPLIER_ROLES = frozenset({"supplier_owner", "supplier_staff"})
# One service of the suite asking another on behalf of one school. No account holds it, and an endpoint
# accepts it only by naming it: a staff role list (STAFF_ROLES, a service's writers) never includes it.
SERVICE_ROLE = "service"
ALGORITHM = "HS256"

# Cost from the environment (defaults: argon2-cffi's RFC 9106 profile, 64 MiB, 3 passes); the test
# suite lowers it, and a production configuration refuses a memory cost below OWASP's 19 MiB.
ARGON2_MEMORY_KIB = int(os.environ.get("ARGON2_MEMORY_KIB", 65536))
ARGON2_TIME_COST = int(os.environ.get("ARGON2_TIME_COST", 3))
_hasher = PasswordHasher(time_cost=ARGON2_TIME_COST, memory_cost=ARGON2_MEMORY_KIB)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class Principal:
    user_id: str
    roles: frozenset[str]
    school_id: int | None = None
    supplier_id: int | None = None
    # The code of the one place a manager answers for (a dining hall: DH1..DH3), named alike in procurement's
    # demand points and inventory's locations. Set at sign-in: a service that trusts it rather than its own
    # records (inventory) sees a reassignment only when the manager next signs in (token_ttl_seconds).
    demand_point: str | None = None

    @property
    def is_supplier(self) -> bool:
        return self.supplier_id is not None


def issue_token(principal: Principal, secret: str, ttl_seconds: int) -> str:
    now = utcnow()
    claims = {
        "sub": principal.user_id,
        "roles": sorted(principal.roles),
        "iat": now,
        "exp": now + timedelta(seconds=ttl_seconds),
    }
    if principal.supplier_id is not None:
        claims["supplier_id"] = principal.supplier_id
    else:
        claims["school_id"] = principal.school_id
    if principal.demand_point is not None:
        claims["demand_point"] = principal.demand_point
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_token(token: str, secret: str) -> Principal:
    principal, expires_at = _verified(token, secret)
    # A verified token can only age: its expiry is the one check whose answer changes after the first.
    if expires_at <= time.time():
        raise Unauthorized("The token is missing, invalid or expired")
    return principal


# Verifying costs more than the rest of a small request's auth (PyJWT checks the base64 text character
# by character): a client sends the same token with every request until it expires.
@functools.lru_cache(maxsize=4096)
def _verified(token: str, secret: str) -> tuple[Principal, float]:
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "exp", "roles"]})
    except jwt.PyJWTError as exc:
        raise Unauthorized("The token is missing, invalid or expired") from exc
    roles = frozenset(claims["roles"]) if isinstance(claims["roles"], list) else frozenset()
    supplier_id, school_id = claims.get("supplier_id"), claims.get("school_id")
    # A token is either a supplier's or a school's, never both and never neither.
    if (supplier_id is None) == (school_id is None):
        raise Unauthorized("The token names neither one school nor one supplier")
    if supplier_id is not None and not roles <= SUPPLIER_ROLES or school_id is not None and not (
            roles <= STAFF_ROLES or roles == {SERVICE_ROLE}):
        raise Unauthorized("The token's roles do not match its kind")
    # a token issued before the claim existed has none: its holder answers for no demand point until signing in again
    demand_point = claims.get("demand_point") if isinstance(claims.get("demand_point"), str) else None
    return Principal(str(claims["sub"]), roles, school_id=school_id, supplier_id=supplier_id,
                     demand_point=demand_point), claims["exp"]


def service_token(service: str, school_id: int, secret: str, ttl_seconds: int = 300) -> str:
    """What `service` sends another service to ask about one school (SERVICE_ROLE alone, short-lived)."""
    return issue_token(Principal(f"service:{service}", frozenset({SERVICE_ROLE}), school_id=school_id), secret,
                       ttl_seconds)


def current_principal() -> Principal:
    if "principal" not in g:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("Sign in: send 'Authorization: Bearer <token>'")
        g.principal = decode_token(token.strip(), current_app.extensions["settings"].secret_key)
    return g.principal


def require_roles(*roles: str):
    """Allow the view only to callers holding one of `roles`."""
    allowed = frozenset(roles)

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if not current_principal().roles & allowed:
                raise Forbidden("This needs one of the roles: {allowed}", allowed=", ".join(sorted(allowed)))
            return view(*args, **kwargs)

        return wrapper

    return decorator


def scoped(query: Select, model, principal: Principal) -> Select:
    """Restrict `query` on `model` to the caller's supplier or school.

    A model that does not carry the caller's kind of tenant holds nothing the caller owns, so
    the answer is "no such record", never every tenant's rows (and never a 500). Portal-wide
    rows that staff may read (supplier organisations) are let through by the portal's
    `isolation.visible`, which decides that on purpose.
    """
    column = "supplier_id" if principal.is_supplier else "school_id"
    if not hasattr(model, column):
        raise NotFound("No such record")
    return query.where(getattr(model, column) == getattr(principal, column))

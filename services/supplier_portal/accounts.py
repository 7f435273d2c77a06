"""Supplier users: email sign-in with throttling of repeated failures, passwords, the owner's staff."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.auth import Principal, hash_password, verify_password
from shared.db import utcnow
from shared.errors import Conflict, Forbidden, InvalidInput, TooManyRequests, Unauthorized
from shared.pagination import Page, paginate

from .isolation import get_visible, visible
from .models import Supplier, SupplierUser

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=5)
MIN_PASSWORD_LENGTH = 10
USER_ROLES = {"owner": "supplier_owner", "staff": "supplier_staff"}
# Verifying against a real hash when the user is unknown keeps the answer time the same.
_UNKNOWN_USER_HASH = hash_password("unknown-user")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_supplier_user(session: Session, supplier_id: int, email: str, display_name: str,
                         password: str, role: str) -> SupplierUser:
    if role not in USER_ROLES:
        raise InvalidInput("role", "must be one of {choices}", choices=", ".join(USER_ROLES))
    _check_password(password, "password")
    email = normalise_email(email)
    if session.scalar(select(func.count()).select_from(SupplierUser).where(SupplierUser.email == email)):
        raise Conflict("A portal user with this email already exists")
    user = SupplierUser(supplier_id=supplier_id, email=email, display_name=display_name, role=role,
                        password_hash=hash_password(password), active=True, failed_logins=0)
    session.add(user)
    session.flush()
    return user


def principal_for(user: SupplierUser) -> Principal:
    return Principal(str(user.id), frozenset({USER_ROLES[user.role]}), supplier_id=user.supplier_id)


def authenticate(session: Session, email: str, password: str) -> Principal:
    """The principal for these credentials; five failures in a row lock the account for five minutes."""
    user = session.scalar(select(SupplierUser).where(SupplierUser.email == normalise_email(email)))
    now = utcnow()
    if user is not None and user.locked_until is not None and user.locked_until > now:
        raise TooManyRequests("Too many failed sign-ins; try again in a few minutes")
    if user is None:
        verify_password(_UNKNOWN_USER_HASH, password)
        raise Unauthorized("Wrong email or password")
    if not verify_password(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until, user.failed_logins = now + LOCKOUT, 0
        raise Unauthorized("Wrong email or password")
    # Checked after the password so that a wrong guess cannot learn the account is disabled.
    if not user.active:
        raise Unauthorized("This portal user has been deactivated by its supplier's owner")
    user.failed_logins, user.locked_until = 0, None
    return principal_for(user)


def current_user(session: Session, principal: Principal) -> SupplierUser:
    """The signed-in supplier user; a token outliving its user's deactivation is refused."""
    user = get_visible(session, SupplierUser, int(principal.user_id), principal)
    if not user.active:
        raise Unauthorized("This portal user has been deactivated")
    return user


def change_password(session: Session, principal: Principal, current_password: str, new_password: str) -> None:
    user = current_user(session, principal)
    if not verify_password(user.password_hash, current_password):
        raise InvalidInput("current_password", "is not your current password")
    _check_password(new_password, "new_password")
    if new_password == current_password:
        raise InvalidInput("new_password", "must differ from the current password")
    user.password_hash, user.password_changed_at = hash_password(new_password), utcnow()
    session.flush()


def list_users(session: Session, principal: Principal, page: int, per_page: int) -> Page:
    return paginate(session, visible(select(SupplierUser), SupplierUser, principal).order_by(SupplierUser.id),
                    page, per_page)


def ensure_active_user(session: Session, principal: Principal) -> None:
    """A supplier token is honoured only while its user exists, is active and still holds the token's role.

    Tokens live for their whole lifetime; this check is what makes deactivation take effect at once.
    """
    try:
        user = session.get(SupplierUser, int(principal.user_id))
    except ValueError:
        user = None
    if user is None or user.supplier_id != principal.supplier_id:
        raise Unauthorized("This token's portal user does not exist; sign in again")
    if not user.active:
        raise Unauthorized("This portal user has been deactivated by its supplier's owner")
    if principal.roles != {USER_ROLES[user.role]}:
        raise Unauthorized("This portal user's role has changed; sign in again")


def add_staff_user(session: Session, principal: Principal, email: str, display_name: str,
                   password: str) -> SupplierUser:
    """The owner adds a staff user to its own supplier (the only supplier it can name)."""
    owner = current_user(session, principal)
    return create_supplier_user(session, owner.supplier_id, email, display_name, password, "staff")


def set_user_active(session: Session, principal: Principal, user_id: int, active: bool) -> SupplierUser:
    user = get_visible(session, SupplierUser, user_id, principal)
    if user.role == "owner":
        raise Forbidden("The owner account cannot be deactivated or reactivated from the portal")
    user.active = active
    if active:
        user.failed_logins, user.locked_until = 0, None
    session.flush()
    return user


def _check_password(password: str, field: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(field, "must be at least {min_password_length} characters",
                           min_password_length=MIN_PASSWORD_LENGTH)
    if len(password) > 200:
        raise InvalidInput(field, "must be at most 200 characters")


def supplier_of(session: Session, principal: Principal) -> Supplier:
    return get_visible(session, Supplier, principal.supplier_id, principal)

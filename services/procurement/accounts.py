"""Staff accounts: sign-in with throttling of repeated failures."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.auth import Principal, hash_password, verify_password
from shared.db import utcnow
from shared.errors import NotFound, TooManyRequests, Unauthorized

from .demand import demand_point_by_code
from .models import DemandPoint, StaffUser

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=5)
# Verifying against a real hash when the user is unknown keeps the answer time the same.
_UNKNOWN_USER_HASH = hash_password("unknown-user")


def create_staff_user(session: Session, school_id: int, username: str, display_name: str,
                      password: str, roles: list[str]) -> StaffUser:
    user = StaffUser(school_id=school_id, username=username, display_name=display_name,
                     password_hash=hash_password(password), roles=sorted(roles), failed_logins=0)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> Principal:
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    now = utcnow()
    if user is not None and user.locked_until is not None and user.locked_until > now:
        raise TooManyRequests("Too many failed sign-ins; try again in a few minutes")
    if user is None:
        verify_password(_UNKNOWN_USER_HASH, password)
        raise Unauthorized("Wrong username or password")
    if not verify_password(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until, user.failed_logins = now + LOCKOUT, 0
        raise Unauthorized("Wrong username or password")
    user.failed_logins, user.locked_until = 0, None
    return Principal(str(user.id), frozenset(user.roles), school_id=user.school_id,
                     demand_point=demand_point_code(session, user))


def list_staff(session: Session, principal: Principal) -> list[StaffUser]:
    return list(session.scalars(select(StaffUser).where(StaffUser.school_id == principal.school_id)
                                .order_by(StaffUser.id)))


def demand_point_code(session: Session, user: StaffUser) -> str | None:
    return session.get(DemandPoint, user.demand_point_id).code if user.demand_point_id else None


def assign_demand_point(session: Session, principal: Principal, user_id: int, demand_point_code: str | None):
    """Make a canteen or store manager answer for one demand point (None: for none)."""
    user = session.get(StaffUser, user_id)
    if user is None or user.school_id != principal.school_id:
        raise NotFound("No such staff account")
    if demand_point_code is None:
        user.demand_point_id = None
    else:
        user.demand_point_id = demand_point_by_code(session, principal.school_id, demand_point_code).id
    session.flush()
    return user

"""The stock locations of a school, and the one dining hall a canteen manager works in."""
from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select, true
from sqlalchemy.orm import Session

from shared.auth import Principal
from shared.errors import Forbidden, InvalidInput

from .models import Location

STANDARD_LOCATIONS = [
    ("DH1", "第一食堂", "dining_hall"),
    ("DH2", "第二食堂", "dining_hall"),
    ("DH3", "第三食堂", "dining_hall"),
    ("CSR", "中心库房", "central_store_room"),
    ("STORE", "校园超市", "campus_store"),
]


def ensure_standard_locations(session: Session, school_id: int) -> list[Location]:
    """Give a school its three dining halls, central store room and campus store (idempotent)."""
    existing = {loc.code: loc for loc in session.scalars(select(Location).where(Location.school_id == school_id))}
    for code, name, kind in STANDARD_LOCATIONS:
        if code not in existing:
            existing[code] = Location(school_id=school_id, code=code, name=name, kind=kind)
            session.add(existing[code])
    session.flush()
    return [existing[code] for code, _, _ in STANDARD_LOCATIONS]


def get_location(session: Session, school_id: int, location_id: int, field: str = "location_id") -> Location:
    """The school's location, or 422 naming the field: another school's location is as unknown as none."""
    location = session.scalars(select(Location).where(Location.id == location_id,
                                                      Location.school_id == school_id)).first()
    if location is None:
        raise unknown_location(location_id, field)
    return location


def unknown_location(location_id: int, field: str = "location_id") -> InvalidInput:
    return InvalidInput(field, "no location {location_id} in this school", location_id=location_id)


# DESIGN.md §1: each dining hall has its canteen manager; every other role that works in inventory
# (storekeeper, store manager, finance, admin, supervisor, another service) works for the whole school.
HALL_ROLES = frozenset({"canteen_manager"})


def own_location(session: Session, principal: Principal) -> Location | None:
    """The one dining hall the caller works in; None for a caller who works for the whole school.

    The hall is the token's demand-point claim (procurement's demand points and these locations share
    their codes). Inventory trusts the claim and never reads procurement's staff accounts, so a manager
    moved to another hall keeps the old one until the token expires (Settings.token_ttl_seconds);
    procurement itself checks its own records on every request."""
    if not principal.roles or principal.roles - HALL_ROLES:
        return None
    location = None
    if principal.demand_point is not None:
        location = session.scalars(select(Location).where(Location.school_id == principal.school_id,
                                                          Location.code == principal.demand_point)).first()
    if location is None:
        raise Forbidden("Your account is not assigned to a dining hall; ask an administrator")
    return location


def may_act_at(session: Session, principal: Principal, *location_ids: int) -> None:
    """Refuse (403) a change unless one of `location_ids` is the caller's own hall (any, for school-wide roles)."""
    own = own_location(session, principal)
    if own is not None and own.id not in location_ids:
        raise Forbidden("You may act only for your own dining hall")


def own_location_id(session: Session, principal: Principal) -> int | None:
    own = own_location(session, principal)
    return None if own is None else own.id


def at_own_location(session: Session, principal: Principal, *columns) -> ColumnElement[bool]:
    """A condition keeping the rows whose location (any of `columns`) is the caller's own hall; every
    row for school-wide roles. Another hall's rows are then as unknown as none."""
    own = own_location_id(session, principal)
    if own is None:
        return true()
    return or_(*(column == own for column in columns))

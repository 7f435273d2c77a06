"""The stock locations of a school."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.errors import InvalidInput

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

"""The one place where what a caller may see is decided.

Every query a route runs on a caller's behalf goes through `visible` (or `get_visible`).
A supplier user sees only its own supplier's rows (`shared.auth.scoped`); school staff see
school-owned rows of their own school, and the portal-wide rows of supplier organisations
(a supplier serves many schools, so its organisation, users and licences belong to none).
Another tenant's record is answered as absent, never as forbidden.
"""
from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from shared.auth import Principal, scoped
from shared.errors import NotFound


def visible(query: Select, model, principal: Principal) -> Select:
    if principal.is_supplier or hasattr(model, "school_id"):
        return scoped(query, model, principal)
    return query


def get_visible(session: Session, model, record_id: int, principal: Principal, *, for_update: bool = False):
    query = visible(select(model).where(model.id == record_id), model, principal)
    if for_update and session.get_bind().dialect.name != "sqlite":
        query = query.with_for_update()
    record = session.scalar(query)
    if record is None:
        raise NotFound("No such {record}", record=model.__tablename__.removesuffix("s").replace("_", " "))
    return record

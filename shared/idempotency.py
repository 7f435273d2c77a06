"""`Idempotency-Key` for POSTs that create a document: a retried request gets the first answer.

The key is claimed in its own committed transaction before the view runs, so concurrent
duplicates cannot both create: the second sees the claim and gets 409 until the first is
done, then the stored answer (with its Location and ETag). Only a successful answer is
kept; after an error the client may retry with the same key. A claim left unfinished by a
process that died mid-request is taken over once it is older than CLAIM_TIMEOUT.
"""
from __future__ import annotations

import functools
import hashlib
from datetime import datetime, timedelta

from flask import Response, current_app, make_response, request
from sqlalchemy import JSON, Integer, String, Text, UniqueConstraint, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from .auth import current_principal
from .db import UTCDateTime, utcnow
from .errors import Conflict, InvalidInput

HEADER = "Idempotency-Key"
# Far beyond gunicorn's worker timeout (30 s): a claim this old belongs to a worker that was killed.
CLAIM_TIMEOUT = timedelta(minutes=2)
# What a replay must repeat besides the body: where the document is and which version it is at.
REPLAYED_HEADERS = ("Location", "ETag")


class IdempotencyKeyMixin:
    """Each service that accepts the header maps it once (`class IdempotencyKey(IdempotencyKeyMixin, Base)`)."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("owner", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    response_type: Mapped[str | None] = mapped_column(String(100))
    response_headers: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def _signed_in_owner() -> str:
    principal = current_principal()
    return f"{'supplier' if principal.is_supplier else 'staff'}:{principal.user_id}"


def idempotent(view):
    """Place it above `@blp.arguments`/`@blp.response`, below the route and role decorators."""
    return _keyed_by(view, _signed_in_owner)


def public_idempotent(view):
    """For creating POSTs open to anonymous callers (registration): they all share the owner
    "public", and a replay needs the same key and the very same body, so it returns nothing the
    caller did not send."""
    return _keyed_by(view, lambda: "public")


def _keyed_by(view, owner_of):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        if not 1 <= len(key) <= 200 or not key.isprintable():
            raise InvalidInput(HEADER, "must be 1 to 200 printable characters")
        owner = owner_of()
        fingerprint = hashlib.sha256(request.method.encode() + request.full_path.encode() + b"\0"
                                     + request.get_data()).hexdigest()
        database = current_app.extensions["database"]
        model = database.session_info["idempotency_model"]
        replay = _claim(database, model, owner, key, fingerprint)
        if replay is not None:
            return replay
        try:
            response = make_response(view(*args, **kwargs))
        except BaseException:
            _release(database, model, owner, key)
            raise
        if 200 <= response.status_code < 300:
            with database.unit_of_work() as uow:
                claim = uow.session.scalar(select(model).where(model.owner == owner, model.key == key))
                claim.status_code = response.status_code
                claim.response_body = response.get_data(as_text=True)
                claim.response_type = response.mimetype
                claim.response_headers = {name: response.headers[name] for name in REPLAYED_HEADERS
                                          if name in response.headers}
                uow.commit()
        else:
            _release(database, model, owner, key)
        return response

    return wrapper


def _claim(database, model, owner: str, key: str, fingerprint: str) -> Response | None:
    with database.unit_of_work() as uow:
        existing = uow.session.scalar(select(model).where(model.owner == owner, model.key == key))
        if existing is None:
            uow.session.add(model(owner=owner, key=key, fingerprint=fingerprint, created_at=utcnow()))
            try:
                uow.commit()
                return None
            except IntegrityError:
                raise Conflict("A request with this Idempotency-Key is being processed; retry shortly") from None
        if existing.fingerprint != fingerprint:
            raise InvalidInput(HEADER, "was already used for a different request")
        if existing.status_code is None:
            if existing.created_at > utcnow() - CLAIM_TIMEOUT or not _take_over(uow.session, model, existing):
                raise Conflict("A request with this Idempotency-Key is being processed; retry shortly")
            uow.commit()
            return None
        response = make_response(existing.response_body, existing.status_code)
        response.mimetype = existing.response_type
        response.headers.update(existing.response_headers or {})
        response.headers["Idempotent-Replayed"] = "true"
        return response


def _take_over(session, model, stale) -> bool:
    """Claim an abandoned key for this request; of several requests taking it over at once, one wins."""
    taken = session.execute(update(model).where(
        model.id == stale.id, model.status_code.is_(None), model.created_at == stale.created_at,
    ).values(created_at=utcnow()).execution_options(synchronize_session=False))
    return taken.rowcount == 1


def _release(database, model, owner: str, key: str) -> None:
    with database.unit_of_work() as uow:
        uow.session.execute(delete(model).where(model.owner == owner, model.key == key))
        uow.commit()

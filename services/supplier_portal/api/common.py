"""What every portal blueprint shares: who reviews suppliers, the signed-in caller, the school's clock."""
import functools
import hashlib

from flask import current_app, make_response, request
from sqlalchemy import select

from shared.auth import current_principal
from shared.db import utcnow
from shared.errors import InvalidInput
from shared.idempotency import HEADER, _claim, _release
from shared.web import settings

from ..clock import school_today

REVIEWERS = ("procurement_officer", "approver", "admin")
SUPPLIER_USERS = ("supplier_owner", "supplier_staff")
AUTH = [{"bearerAuth": []}]


def today():
    return school_today(settings().school_timezone)


def now():
    return utcnow()


def public_idempotent(view):
    """`Idempotency-Key` for the public creating POSTs (registration), which have no signed-in owner.

    shared.idempotency.idempotent keys its claims by the caller's principal and so needs a token;
    here every anonymous caller shares the owner "public". A replay needs the same key and the
    very same body, so it returns nothing the caller did not send. Move into shared as an
    `owner` option of `idempotent`.
    """

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        if not 1 <= len(key) <= 200 or not key.isprintable():
            raise InvalidInput(HEADER, "must be 1 to 200 printable characters")
        fingerprint = hashlib.sha256(request.method.encode() + request.full_path.encode() + b"\0"
                                     + request.get_data()).hexdigest()
        database = current_app.extensions["database"]
        model = database.session_info["idempotency_model"]
        replay = _claim(database, model, "public", key, fingerprint)
        if replay is not None:
            return replay
        try:
            response = make_response(view(*args, **kwargs))
        except BaseException:
            _release(database, model, "public", key)
            raise
        if 200 <= response.status_code < 300:
            with database.unit_of_work() as uow:
                claim = uow.session.scalar(select(model).where(model.owner == "public", model.key == key))
                claim.status_code = response.status_code
                claim.response_body = response.get_data(as_text=True)
                claim.response_type = response.mimetype
                uow.commit()
        else:
            _release(database, model, "public", key)
        return response

    return wrapper


__all__ = ["AUTH", "REVIEWERS", "SUPPLIER_USERS", "current_principal", "now", "public_idempotent", "today"]

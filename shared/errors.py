"""Domain errors and their answer as application/problem+json (RFC 9457)."""
from __future__ import annotations

import logging

from flask import Response, json
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from .logging import correlation_id

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"


class DomainError(Exception):
    """A business rule refused the request. Domain code raises these; it knows nothing of HTTP."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str, errors: dict[str, list[str]] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


class InvalidInput(DomainError):
    status, title = 422, "Invalid input"

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}", {field: [message]})


class NotFound(DomainError):
    status, title = 404, "Not found"


class Conflict(DomainError):
    """The document's state does not allow the change (or a concurrent change won)."""

    status, title = 409, "Conflict"


class Unauthorized(DomainError):
    status, title = 401, "Unauthorized"


class Forbidden(DomainError):
    status, title = 403, "Forbidden"


class TooManyRequests(DomainError):
    status, title = 429, "Too many requests"


def problem(status: int, title: str, detail: str | None = None, errors: dict | None = None,
            headers: dict | None = None) -> Response:
    body = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    body["correlation_id"] = correlation_id.get()
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_JSON)
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _field_errors(messages) -> dict:
    """webargs nests messages by location ({"json": {...}}); clients want {field: [messages]}."""
    if not isinstance(messages, dict):
        return {"_schema": messages if isinstance(messages, list) else [str(messages)]}
    merged: dict = {}
    for location, errors in messages.items():
        if isinstance(errors, dict):
            merged.update(errors)
        else:
            merged[location] = errors
    return merged


def handle_http_exception(error: HTTPException) -> Response:
    data = getattr(error, "data", None) or {}
    errors = data.get("errors") or (_field_errors(data["messages"]) if "messages" in data else None)
    detail = data.get("message") or (error.description if error.code != 422 else "The request has invalid fields")
    # Keep the headers the exception carries: Allow on a 405 (RFC 9110 requires it), Retry-After, ...
    headers = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
    headers.update(data.get("headers") or {})
    return problem(error.code or 500, error.name, detail, errors, headers)


def handle_domain_error(error: DomainError) -> Response:
    return problem(error.status, error.title, error.detail, error.errors)


def handle_unexpected(error: Exception) -> Response:
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        # The database dropped the connection mid-request (a restart, a failover, pg_terminate_backend):
        # the transaction did not commit and the pool replaces the connection, so a retry succeeds.
        log.warning("database connection lost during the request", exc_info=True)
        return problem(503, "Service unavailable", "The database connection was lost; retry the request",
                       headers={"Retry-After": "1"})
    log.exception("unhandled error")
    return problem(500, "Internal server error", "The error was logged with this correlation id")

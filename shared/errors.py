"""Domain errors and their answer as application/problem+json (RFC 9457)."""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import NamedTuple

from flask import Response, json
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from .logging import correlation_id

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"


def fill(template: str, **values) -> str:
    return template.format(**values) if values else template


class Message(NamedTuple):
    """An English message template and the values it is filled with ("{supplier} is suspended", supplier=...).

    A value may itself be a Message (a rule's refusal passed on), translated along with its template.
    """

    template: str
    values: dict

    def __str__(self) -> str:
        return fill(self.template, **self.values)


class DomainError(Exception):
    """A business rule refused the request. Domain code raises these; it knows nothing of HTTP.

    `detail` is a literal English template filled from `values`, and a field's messages in
    `errors` are Messages (or plain text, such as a schema's, which is shown as it is): the API
    answers them in English, pages in the reader's language (`translated`).
    """

    status = 400
    title = "Bad request"
    field: str | None = None  # set when the refusal is of one field: the detail is then "field: message"

    def __init__(self, detail: str | Message, errors: dict[str, list[Message | str]] | None = None, **values):
        self.message = detail if isinstance(detail, Message) else Message(detail, values)
        self.field_messages = errors
        super().__init__(self.detail)

    def translated(self, translate: Callable[..., str]) -> tuple[str, dict[str, list[str]] | None]:
        """The detail and the field messages, each template passed through `translate(template, **values)`."""
        errors = None if self.field_messages is None else {
            field: [translate(m.template, **m.values) if isinstance(m, Message) else m for m in messages]
            for field, messages in self.field_messages.items()}
        detail = translate(self.message.template, **self.message.values)
        return (f"{self.field}: {detail}" if self.field else detail), errors

    @classmethod
    def at(cls, field: str, message: str | Message, **values) -> DomainError:
        """A refusal of one field (a 409 of a line's quantity, ...), in the shape of InvalidInput's."""
        message = message if isinstance(message, Message) else Message(message, values)
        error = cls(message, {field: [message]})
        error.field, error.args = field, (f"{field}: {message}",)
        return error

    @property
    def detail(self) -> str:
        return self.translated(fill)[0]

    @property
    def errors(self) -> dict[str, list[str]] | None:
        return self.translated(fill)[1]


class InvalidInput(DomainError):
    """One field refused ("lines.0.item_id", "no such item"); the detail is "field: message"."""

    status, title = 422, "Invalid input"

    def __init__(self, field: str, message: str | Message, **values):
        self.field = field
        message = message if isinstance(message, Message) else Message(message, values)
        super().__init__(message, {field: [message]})

    @classmethod
    def several(cls, problems: dict[str, list[Message]]) -> InvalidInput:
        """Every refused field at once; the detail names the first."""
        field, [first, *_] = next(iter(problems.items()))
        error = cls(field, first)
        error.field_messages = problems
        return error

    def within(self, prefix: str) -> InvalidInput:
        """The same refusal of the field inside `prefix` ("lines.0" and "unit": "lines.0.unit")."""
        return InvalidInput(f"{prefix}.{self.field}", self.message)


class RuleBroken(ValueError):
    """A rule below the domain (units, price rules) refused a value; domain code passes its `message` on."""

    def __init__(self, template: str, **values):
        self.message = Message(template, values)
        super().__init__(str(self.message))


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

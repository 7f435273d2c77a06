"""Server-rendered pages with one look for every service.

Pages sign in with a session cookie holding the same signed token the API takes as a
bearer token; the API never reads the cookie, so it needs no CSRF defence, while every
page form carries a CSRF token. The cookie is shared by the services of one host (cookies
ignore ports), so signing in once serves every service's pages.
"""
from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, current_app, g, make_response, redirect, render_template, request, session, url_for
from jinja2 import ChoiceLoader, FileSystemLoader
from marshmallow import Schema, ValidationError

from .auth import Principal, decode_token
from .errors import DomainError, Forbidden, Unauthorized
from .i18n import LANGUAGES, current_language, gettext, gettext_refusal
from .money import quantity

SHARED = Path(__file__).parent
TOKEN_KEY = "token"
CSRF_KEY = "csrf"
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class NavEntry:
    """A menu entry: `path` on `service`, shown to callers holding one of `roles`."""

    service: str
    path: str
    label: str
    roles: frozenset[str]


def is_page_request() -> bool:
    return not request.path.startswith(("/api/", "/healthz", "/readyz", "/assets/"))


def page_principal() -> Principal | None:
    if "page_principal" not in g:
        token = session.get(TOKEN_KEY)
        try:
            g.page_principal = decode_token(token, current_app.extensions["settings"].secret_key) if token else None
        except Unauthorized:
            session.pop(TOKEN_KEY, None)
            g.page_principal = None
    return g.page_principal


def page_roles(*roles: str):
    """A page for callers holding one of `roles`; others are sent to sign in, or refused."""
    allowed = frozenset(roles)

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            principal = page_principal()
            if principal is None:
                return redirect(url_for("pages.login", next=request.full_path.rstrip("?")))
            if not principal.roles & allowed:
                raise Forbidden("You may not open this page.")
            return view(*args, **kwargs)

        wrapper.page_roles = allowed  # who may see it, for the test that renders every page
        return wrapper

    return decorator


def csrf_token() -> str:
    if CSRF_KEY not in session:
        session[CSRF_KEY] = secrets.token_urlsafe(32)
    return session[CSRF_KEY]


def _check_csrf():
    if request.method in UNSAFE_METHODS and is_page_request():
        sent = request.form.get("csrf_token", "")
        expected = session.get(CSRF_KEY, "")
        if not expected or not hmac.compare_digest(sent, expected):
            raise Forbidden("The form has expired; reload the page and try again.")


def yuan(amount) -> str:
    if amount is None or amount == "":
        return ""
    return f"¥{Decimal(amount):,.2f}"


class FormInvalid(DomainError):
    status, title = 422, "Invalid input"


def load_form(schema: Schema, data: dict) -> dict:
    """A form's values through the API's own schema; what it refuses is shown field by field."""
    try:
        return schema.load(data)
    except ValidationError as invalid:
        raise FormInvalid("Some fields are not filled in correctly:", _flatten(invalid.messages)) from None


def _flatten(messages, prefix: str = "") -> dict[str, list[str]]:
    if isinstance(messages, list):
        return {prefix or "form": [str(message) for message in messages]}
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return flat


@dataclass(frozen=True)
class Refusal:
    """A domain error as a page shows it: in the reader's language."""

    status: int
    title: str
    detail: str
    errors: dict[str, list[str]] | None

    @classmethod
    def of(cls, error: DomainError) -> Refusal:
        detail, errors = error.translated(gettext_refusal)
        return cls(error.status, error.title, detail, errors)


def refused_renders(page_endpoint: str):
    """A refused form posts back to the page it came from, not to an error page.

    Any domain error the POST view raises (its unit of work has rolled back by then)
    re-renders the GET view `page_endpoint` with the error above the content and the
    values the user typed in the fields, answered with the error's status.
    """
    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            try:
                return view(*args, **kwargs)
            except DomainError as refused:
                endpoint = (request.blueprint + page_endpoint) if page_endpoint.startswith(".") else page_endpoint
                page = current_app.view_functions[endpoint]
                wanted = {argument for rule in current_app.url_map.iter_rules(endpoint) for argument in rule.arguments}
                g.refused, g.refused_form = Refusal.of(refused), request.form
                response = make_response(page(**{k: v for k, v in kwargs.items() if k in wanted}))
                response.status_code = refused.status
                return response
        return wrapper
    return decorator


def date_or_none(text: str) -> date | None:
    """A date typed in a field or a URL (YYYY-MM-DD); None when it is not one."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def page_number() -> int:
    """The list page asked for by `?page=` (1 when absent or nonsense)."""
    return max(request.args.get("page", 1, type=int), 1)


def form_value(name: str, default=""):
    """What the user typed in `name` when their form was refused, else `default`."""
    typed = g.get("refused_form")
    return typed[name] if typed is not None and name in typed else default


def field_errors() -> dict[str, list[str]]:
    refused = g.get("refused")
    return (refused.errors or {}) if refused is not None else {}


def local_moment(value: str) -> str:
    """A datetime-local field is the school's wall-clock time; a schema's AwareDateTime wants its offset."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value  # the schema says what is wrong with it
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(current_app.extensions["settings"].school_timezone))
    return moment.isoformat()


def render_error_page(status: int, title: str, detail: str, errors: dict | None = None):
    return render_template("error.html", title=title, status=status, detail=detail, errors=errors), status


def render_refusal_page(error: DomainError):
    refusal = Refusal.of(error)
    return render_error_page(refusal.status, refusal.title, refusal.detail, refusal.errors)


def _safe_next(target: str | None) -> str:
    # Only a path on this host: never an open redirect.
    if not target or urlsplit(target).netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def init_pages(app: Flask, sign_in: Callable[[str, str], str], home: str = "/"):
    """Give `app` the shared look, sign-in and languages. `sign_in(username, password)` returns a token."""
    from .navigation import SUITE_NAV  # the menu names pages of every service

    settings = app.extensions["settings"]
    app.config.update(SESSION_COOKIE_NAME="cps_session", SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=settings.is_production)
    app.jinja_loader = ChoiceLoader([FileSystemLoader(str(Path(app.root_path) / "templates")),
                                     FileSystemLoader(str(SHARED / "templates"))])
    zone = ZoneInfo(settings.school_timezone)
    app.jinja_env.filters["yuan"] = yuan
    app.jinja_env.filters["quantity"] = lambda value: "" if value in (None, "") else str(quantity(value))
    app.jinja_env.filters["local"] = lambda moment: (
        moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if isinstance(moment, datetime) else moment)
    app.jinja_env.globals.update(
        _=gettext, csrf_token=csrf_token, languages=LANGUAGES, current_language=current_language,
        principal=page_principal, service_name=app.name, form_value=form_value, field_errors=field_errors,
        refused=lambda: g.get("refused"),
        page_url=lambda number: url_for(request.endpoint, **{**(request.view_args or {}),
                                                              **request.args.to_dict(), "page": number}),
        menu=lambda: [(settings.service_url(e.service) + e.path if e.service != app.name else e.path, e.label)
                      for e in SUITE_NAV if page_principal() and page_principal().roles & e.roles],
    )
    app.before_request(_check_csrf)

    assets = Blueprint("shared_assets", __name__, static_folder=str(SHARED / "static"),
                       static_url_path="/assets/shared")
    pages = Blueprint("pages", __name__)

    @pages.route("/login", methods=["GET", "POST"])
    def login():
        error = None
        if request.method == "POST":
            username, password = request.form.get("username", ""), request.form.get("password", "")
            try:
                session[TOKEN_KEY] = sign_in(username.strip(), password)
                session[CSRF_KEY] = secrets.token_urlsafe(32)  # a new session gets a new CSRF token
                return redirect(_safe_next(request.args.get("next")) if request.args.get("next") else home)
            except DomainError as refused:
                error = Refusal.of(refused).detail
        return render_template("login.html", error=error, username=request.form.get("username", "")), (
            401 if error else 200)

    @pages.post("/logout")
    def logout():
        session.clear()
        return redirect(url_for("pages.login"))

    @pages.post("/language")
    def language():
        chosen = request.form.get("lang")
        if chosen in LANGUAGES:
            session["lang"] = chosen
        return redirect(_safe_next(request.form.get("next")))

    app.register_blueprint(assets)
    app.register_blueprint(pages)

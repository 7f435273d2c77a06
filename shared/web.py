"""The Flask app every service is built on: API docs, problem+json errors, health, correlation ids."""
from __future__ import annotations

from http import HTTPStatus

import flask_smorest
import marshmallow as ma
from flask import Flask, current_app, g, request
from flask.sessions import SecureCookieSessionInterface
from flask_smorest import Api
from flask_smorest.spec.plugins import integerconverter2paramschema
from flask_smorest.utils import prepare_response
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from .celery_app import create_celery
from .config import Settings
from .db import Database, UnitOfWork
from .errors import (
    PROBLEM_JSON,
    Conflict,
    DomainError,
    handle_domain_error,
    handle_http_exception,
    handle_unexpected,
)
from .fields import MAX_ROW_ID, decimal_strings
from .input_guard import refuse_unsafe_input
from .logging import CORRELATION_HEADER, configure_logging, correlation_id, new_correlation_id
from .migrations import upgrade
from .pages import is_page_request, render_error_page, render_refusal_page
from .service import ServiceSpec


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint with each arguments schema built once: given a class, webargs builds
    a new schema on every request."""

    def arguments(self, schema, **kwargs):
        return super().arguments(schema() if isinstance(schema, type) else schema, **kwargs)


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, except that a request without a session cookie (every API
    call) gets its empty session at once: Flask builds the signing serializer (itsdangerous, key
    derivation) on every request first, which cost an API request more than some of its SQL."""

    def open_session(self, app, request):
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


class ProblemSchema(ma.Schema):
    """The body of every error answer (shared.errors.problem), as the OpenAPI documents describe it."""

    type = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String()
    errors = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Raw())
    correlation_id = ma.fields.String(allow_none=True, required=True)


class ProblemApi(Api):
    """flask-smorest's Api answering errors as application/problem+json, and documenting them so."""

    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error):
        return handle_http_exception(error)

    def _register_responses(self):
        # flask-smorest documents its error responses as application/json with its own error schema;
        # ours are problem documents, so clients generated from the document must read them as such.
        for status in HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["schema"] = ProblemSchema
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Any other error, as a problem document", "schema": ProblemSchema}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)


class RowIdConverter(IntegerConverter):
    """`<int:...>` in a route names a row: an id past the database's integer range matches no route
    (404), rather than reaching the driver, which refuses it with an error (500)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ROW_ID)
        super().__init__(map, *args, **kwargs)


def file_response(description: str, *content_types: str, json_schema=None) -> dict:
    """`@blp.doc(responses=file_response(...))`: a 200 that is a file (an export, a download), so the
    document names its content types instead of leaving clients to guess. It replaces what
    `@blp.response` documents: a route that may also answer JSON passes its `json_schema`."""
    content = dict.fromkeys(content_types, {"schema": {"type": "string", "format": "binary"}})
    if json_schema is not None:
        content["application/json"] = {"schema": json_schema}
    return {"200": {"description": description, "content": content}}


def unit_of_work() -> UnitOfWork:
    """The request's unit of work; a GET's is read-only (on SQLite it then takes no write lock)."""
    return current_app.extensions["database"].unit_of_work(read_only=request.method in ("GET", "HEAD"))


def settings() -> Settings:
    return current_app.extensions["settings"]


def create_service_app(spec: ServiceSpec, config: Settings | None, database: Database | None,
                       blueprints, title: str, commands=()) -> Flask:
    config = config or Settings.from_env()
    config.check()
    configure_logging(spec.name)
    app = Flask(spec.name, root_path=str(spec.package_dir))
    app.url_map.converters["int"] = RowIdConverter
    app.session_interface = CookieSessionInterface()
    app.config.update(
        SECRET_KEY=config.secret_key,
        MAX_CONTENT_LENGTH=config.max_content_length,
        API_TITLE=title,
        API_VERSION="1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/",
        JSON_SORT_KEYS=False,
    )
    celery_app = create_celery(config)
    app.json.ensure_ascii = False
    app.extensions["settings"] = config
    app.extensions["celery"] = celery_app
    app.extensions["database"] = database or spec.open_database(config, celery_app)
    app.extensions["service"] = spec

    api = ProblemApi(app, spec_kwargs={"components": {"securitySchemes": {
        "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}}})
    api.ma_plugin.converter.add_attribute_function(decimal_strings)
    api.register_converter(RowIdConverter, integerconverter2paramschema)
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
    def domain_error(error: DomainError):
        if "pages" in app.blueprints and is_page_request():
            return render_refusal_page(error)
        return handle_domain_error(error)

    def http_error(error: HTTPException):
        if "pages" in app.blueprints and is_page_request():
            return render_error_page(error.code or 500, error.name, error.description or error.name)
        return handle_http_exception(error)

    app.register_error_handler(DomainError, domain_error)
    # A versioned row changed under us (version_id_col): a concurrent change won.
    app.register_error_handler(StaleDataError, lambda _e: domain_error(
        Conflict("The document was changed by someone else; reload and try again")))
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, handle_unexpected)

    @app.before_request
    def _correlate():
        incoming = request.headers.get(CORRELATION_HEADER, "")
        usable = incoming and incoming.isprintable()
        g.correlation_token = correlation_id.set(incoming[:64] if usable else new_correlation_id())

    app.before_request(refuse_unsafe_input)

    @app.after_request
    def _echo_correlation(response):
        response.headers[CORRELATION_HEADER] = correlation_id.get() or ""
        return response

    @app.teardown_request
    def _forget_correlation(_exc):
        token = g.pop("correlation_token", None)
        if token is not None:
            correlation_id.reset(token)

    for command in commands:
        app.cli.add_command(command)

    @app.cli.command("db-upgrade")
    def db_upgrade():
        """Bring this service's database to the newest migration."""
        upgrade(spec.migrations_dir, app.extensions["database"].url)

    @app.get("/healthz")
    def healthz():
        return {"status": "ok", "service": spec.name}

    @app.get("/readyz")
    def readyz():
        checks = {"database": "ok", "broker": "ok"}
        try:
            # A bare DBAPI round trip: it opens no transaction, so it never waits for a writer's lock.
            raw = app.extensions["database"].engine.raw_connection()
            try:
                raw.cursor().execute("SELECT 1")
            finally:
                raw.close()
        except Exception as exc:  # readiness reports, it does not raise
            checks["database"] = f"unavailable: {type(exc).__name__}"
        try:
            with celery_app.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
        except Exception as exc:
            checks["broker"] = f"unavailable: {type(exc).__name__}"
        ready = all(value == "ok" for value in checks.values())
        return {"status": "ready" if ready else "not ready", "checks": checks}, 200 if ready else 503

    return app

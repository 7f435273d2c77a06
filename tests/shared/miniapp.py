"""A minimal Flask app wired like a service (settings, database, error handlers) for shared mechanisms."""
from __future__ import annotations

import time

from flask import Flask, jsonify, request
from sqlalchemy import Integer, String, func, select
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.exceptions import HTTPException

from shared.auth import Principal, current_principal, issue_token, require_roles
from shared.config import Settings
from shared.db import Database, declarative_base
from shared.errors import Conflict, DomainError, handle_domain_error, handle_http_exception
from shared.idempotency import IdempotencyKeyMixin, idempotent
from tests.support import TEST_SECRET

Base = declarative_base()


class IdempotencyKey(IdempotencyKeyMixin, Base):
    pass


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    created_by: Mapped[str] = mapped_column(String(80))


def make_app(database_url: str) -> Flask:
    database = Database("procurement", database_url,
                        session_info={"idempotency_model": IdempotencyKey, "outbox_model": None})
    Base.metadata.create_all(database.engine)
    app = Flask(__name__)
    app.testing = True
    app.extensions["settings"] = Settings(env="test", secret_key=TEST_SECRET)
    app.extensions["database"] = database
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    # what the next calls of the view do: {"fail": None | "return-409" | "raise-conflict" | "raise-bug", "delay": s}
    app.config["BEHAVIOUR"] = {"fail": None, "delay": 0.0}
    app.config["CALLS"] = 0

    @app.post("/documents")
    @require_roles("procurement_officer")
    @idempotent
    def create_document():
        app.config["CALLS"] += 1
        behaviour = app.config["BEHAVIOUR"]
        time.sleep(behaviour["delay"])
        if behaviour["fail"] == "return-409":
            return jsonify(title="Conflict", status=409), 409
        if behaviour["fail"] == "raise-conflict":
            raise Conflict("the document changed meanwhile")
        if behaviour["fail"] == "raise-bug":
            raise RuntimeError("a bug in the view")
        with database.unit_of_work() as uow:
            document = Document(title=request.get_json()["title"], created_by=current_principal().user_id)
            uow.session.add(document)
            uow.commit()
        return jsonify(id=document.id, title=document.title), 201, {"Location": f"/documents/{document.id}",
                                                                    "ETag": '"1"'}

    @app.get("/whoami")
    @require_roles("procurement_officer", "admin")
    def whoami():
        principal = current_principal()
        return {"user_id": principal.user_id, "roles": sorted(principal.roles), "school_id": principal.school_id,
                "supplier_id": principal.supplier_id}

    return app


def document_count(app: Flask) -> int:
    with app.extensions["database"].unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(Document))


def claim_count(app: Flask) -> int:
    with app.extensions["database"].unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(IdempotencyKey))


def bearer(user_id: str = "7", *roles: str, school_id: int | None = 1, supplier_id: int | None = None,
           ttl: int = 600, secret: str = TEST_SECRET) -> dict[str, str]:
    principal = Principal(user_id, frozenset(roles or {"procurement_officer"}),
                          school_id=None if supplier_id else school_id, supplier_id=supplier_id)
    return {"Authorization": f"Bearer {issue_token(principal, secret, ttl)}"}

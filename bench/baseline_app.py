"""The HTTP baseline: bare Flask + SQLAlchemy on one SQLite table.

No auth, no schemas, no outbox, no correlation ids: POST /rows inserts one row and
commits; GET /rows?limit=N selects N rows. The table has the shape of procurement's
supplier_invitations (school_id, company_name, contact_email, categories, created_at) so
both sides write and read rows of the same size. SQLite in WAL with synchronous=NORMAL,
as the suite runs it.

    gunicorn -c deploy/gunicorn.conf.py -b 127.0.0.1:PORT 'bench.baseline_app:create_app()'

The database is $BASELINE_DATABASE, or $VAR_DIR/baseline_http.db; call `init_db(path)`
once before starting several workers (the benchmark does).
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

from flask import Flask, jsonify, request
from sqlalchemy import JSON, DateTime, Integer, String, create_engine, event, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

SCHOOL_ID = 1
MAX_LIMIT = 200


class Base(DeclarativeBase):
    pass


class Row(Base):
    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(Integer, index=True)
    company_name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(200))
    categories: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def database_path() -> Path:
    explicit = os.environ.get("BASELINE_DATABASE")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("VAR_DIR", "var")) / "baseline_http.db"


def _pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(path: Path):
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 30})
    event.listen(engine, "connect", _pragmas)
    return engine


def init_db(path: Path) -> None:
    engine = make_engine(path)
    try:
        Base.metadata.create_all(engine)
    except OperationalError as exc:  # another worker created it first
        if "already exists" not in str(exc):
            raise
    finally:
        engine.dispose()


def _dump(row: Row) -> dict:
    return {
        "id": row.id,
        "company_name": row.company_name,
        "contact_email": row.contact_email,
        "categories": row.categories,
        "created_at": row.created_at.isoformat(),
    }


def create_app() -> Flask:
    path = database_path()
    init_db(path)
    engine = make_engine(path)
    sessions = sessionmaker(engine, expire_on_commit=False)
    app = Flask(__name__)

    @app.post("/rows")
    def insert():
        data = request.get_json(force=True)
        with sessions() as session:
            row = Row(
                school_id=SCHOOL_ID,
                company_name=str(data["company_name"]),
                contact_email=str(data["contact_email"]),
                categories=list(data["categories"]),
                created_at=datetime.now(timezone.utc),
            )
            session.add(row)
            session.commit()
        return jsonify(_dump(row)), 201

    @app.get("/rows")
    def index():
        limit = max(1, min(int(request.args.get("limit", 50)), MAX_LIMIT))
        query = select(Row).where(Row.school_id == SCHOOL_ID).order_by(Row.id).limit(limit)
        with sessions() as session:
            rows = list(session.scalars(query))
        return jsonify([_dump(row) for row in rows])

    @app.get("/healthz")
    def healthz():
        return {"status": "ok", "service": "baseline"}

    return app

"""Database plumbing: declarative base, exact column types, engines, and the unit of work."""
from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

from sqlalchemy import BigInteger, DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from .money import to_decimal

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def declarative_base() -> type[DeclarativeBase]:
    """A fresh base per service: each service owns its own metadata and database."""

    class Base(DeclarativeBase):
        metadata = MetaData(naming_convention=NAMING_CONVENTION)

    return Base


class ScaledDecimal(TypeDecorator):
    """A Decimal stored as an integer count of 10**-places units.

    SQLite keeps NUMERIC as a float, so SUM() over it drifts; integers are exact on
    SQLite and PostgreSQL alike, and so are the sums the database computes.
    """

    impl = BigInteger
    cache_ok = True
    places = 0

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        scaled = to_decimal(value).scaleb(self.places)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than {self.places} decimal places")
        return int(scaled)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        # an integer's scaleb already has exactly `places` decimals ("5.00"); a quantize would only
        # cost time, which shows on a million-row export
        return Decimal(int(value)).scaleb(-self.places)

    @property
    def python_type(self):
        return Decimal


class Money(ScaledDecimal):
    """Yuan with two places, stored in fen."""

    places = 2
    cache_ok = True  # SQLAlchemy reads it from each class's own namespace


class Quantity(ScaledDecimal):
    """A quantity in the item's base unit with three places, stored in thousandths."""

    places = 3
    cache_ok = True


class UTCDateTime(TypeDecorator):
    """An aware datetime stored in UTC; SQLite would otherwise hand it back naive."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware datetime")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _sqlite_pragmas(dbapi_connection, _record):
    # Let SQLAlchemy, not pysqlite, issue BEGIN: pysqlite's own handling breaks SAVEPOINTs.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        # IMMEDIATE takes the write lock up front: a transaction that reads then writes would
        # otherwise fail at once with SQLITE_BUSY_SNAPSHOT when another process wrote in between
        # (the busy timeout does not apply to that case), and check-then-write rules such as
        # "stock never negative" would race.
        # Read-only units of work (GET requests) begin DEFERRED, so readers never queue behind writers.
        event.listen(engine, "begin", lambda connection: connection.exec_driver_sql(
            "BEGIN" if connection.get_execution_options().get("read_only") else "BEGIN IMMEDIATE"))
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


class Database:
    """One service's database: its engine and the sessions made on it.

    `session_info` travels on every session (the service name and its outbox model),
    so that shared mechanisms such as `shared.events.emit` need no extra arguments.
    """

    def __init__(self, service: str, url: str, session_info: dict | None = None,
                 after_commit: Callable[[list[str]], None] | None = None):
        self.service = service
        self.url = url
        self.engine = make_engine(url)
        self.session_info = {"service": service, **(session_info or {})}
        self.after_commit = after_commit
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, info=self.session_info)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def session(self) -> Session:
        return self._sessions()

    def bound_to(self, connection: Connection) -> "Database":
        """This database with every session joining `connection`'s open transaction (tests)."""
        bound = copy.copy(self)
        bound._sessions = sessionmaker(bind=connection, expire_on_commit=False, info=self.session_info,
                                       join_transaction_mode="create_savepoint")
        return bound

    def unit_of_work(self, read_only: bool = False) -> "UnitOfWork":
        return UnitOfWork(self, read_only)

    def dispose(self) -> None:
        self.engine.dispose()


class UnitOfWork:
    """One transaction: rolled back unless `commit()` is called; side effects run after commit."""

    def __init__(self, database: Database, read_only: bool = False):
        self.database = database
        self.read_only = read_only
        self.session: Session | None = None

    def __enter__(self) -> "UnitOfWork":
        self.session = self.database.session()
        if self.read_only and self.database.is_sqlite:
            self.session.connection(execution_options={"read_only": True})
        return self

    def commit(self) -> None:
        session = self.session
        pending_events = list(session.info.get("pending_events", ()))
        session.commit()
        session.info["pending_events"] = []
        if pending_events and self.database.after_commit:
            try:
                self.database.after_commit(pending_events)
            except Exception:
                # The change is committed and its events are safe in the outbox: the periodic
                # sweep publishes them. A failed publish must not turn success into an error.
                log.warning("after-commit publish failed; the sweep will retry", exc_info=True)

    def __exit__(self, *exc) -> None:
        # close() rolls back whatever was not committed but, unlike rollback(), leaves the
        # loaded objects readable, so a view can dump what it read after the unit of work.
        self.session.info["pending_events"] = []
        self.session.close()

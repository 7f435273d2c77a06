"""The events baseline: one bare Celery task on the suite's own Celery settings and broker.

The app comes from `shared.celery_app.create_celery(Settings.from_env())`, so it has the
same broker (the embedded `fsqueue://` under $VAR_DIR/broker unless BROKER_URL says
otherwise), acks_late, prefetch 1 and JSON serializer as the suite's worker; only the
queue is its own. The task inserts one row into $VAR_DIR/baseline_tasks.db (sqlite3,
WAL, synchronous=NORMAL): no inbox, no schema validation, no ORM.

    celery -A bench.baseline_tasks worker -Q bench_baseline -c 2
"""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from celery.signals import worker_init

from shared.celery_app import create_celery
from shared.config import Settings
from shared.logging import configure_logging

QUEUE = "bench_baseline"
TASK = "bench_baseline.insert_row"
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, event_id TEXT NOT NULL, "
    "company_name TEXT NOT NULL, payload_bytes INTEGER NOT NULL, received_at TEXT NOT NULL)"
)

settings = Settings.from_env()
app = create_celery(settings)
app.conf.task_routes = [{TASK: {"queue": QUEUE}}]


def database_path() -> Path:
    return settings.var_dir / "baseline_tasks.db"


def connect(path: Path | None = None) -> sqlite3.Connection:
    connection = sqlite3.connect(path or database_path(), timeout=30, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA busy_timeout=30000")
    connection.execute(SCHEMA)
    return connection


_connection: tuple[int, sqlite3.Connection] | None = None


def _process_connection() -> sqlite3.Connection:
    """One connection per pool process, opened after the fork."""
    global _connection
    if _connection is None or _connection[0] != os.getpid():
        _connection = (os.getpid(), connect())
    return _connection[1]


@app.task(name=TASK, ignore_result=True)
def insert_row(envelope: dict) -> None:
    connection = _process_connection()
    connection.execute("BEGIN")
    try:
        connection.execute(
            "INSERT INTO events (event_id, company_name, payload_bytes, received_at) VALUES (?, ?, ?, ?)",
            (
                envelope["id"],
                envelope["payload"]["company_name"],
                len(str(envelope)),
                datetime.now(timezone.utc).isoformat(),
            ),
        )
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


@worker_init.connect
def _log_like_the_suite(**_):
    # services.worker logs JSON lines; the baseline worker logs the same way.
    configure_logging("bench_baseline")

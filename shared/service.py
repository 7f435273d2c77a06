"""What the suite's plumbing needs to know of one service, in one object."""
from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from celery import Celery

from .config import Settings
from .db import Database
from .events import Consumer, Publisher, Relay


@dataclass
class PeriodicJob:
    name: str
    every_seconds: float
    run: Callable[[Database], object]
    # Exceptions after which the worker runs the job again later (Celery retry with backoff) instead of failing.
    retry_on: tuple[type[Exception], ...] = ()


@dataclass
class ServiceSpec:
    name: str
    base: type
    outbox_model: type
    inbox_model: type
    consumer: Consumer
    package_dir: Path
    periodic: list[PeriodicJob] = field(default_factory=list)
    # Optional per-service tables of shared mechanisms (shared.idempotency, shared.statemachine).
    idempotency_model: type | None = None
    # Tasks the service sends itself (long jobs a request starts): `<service>.<name>`, run(database, *args).
    tasks: dict[str, Callable[..., object]] = field(default_factory=dict)

    @property
    def migrations_dir(self) -> Path:
        return self.package_dir / "migrations"

    def open_database(self, settings: Settings, celery_app: Celery | None = None, url: str | None = None) -> Database:
        database = Database(self.name, url or settings.database_url(self.name),
                            session_info={"outbox_model": self.outbox_model,
                                          "idempotency_model": self.idempotency_model})
        if celery_app is not None and settings.publish_after_commit:
            database.after_commit = Publisher(self.relay(database, celery_app))
        return database

    def relay(self, database: Database, celery_app: Celery) -> Relay:
        return Relay(database, self.outbox_model, celery_sender(celery_app))


def celery_sender(celery_app: Celery):
    """A context manager yielding send(task_name, envelope, queue) on one pooled producer."""

    @contextmanager
    def open_sender():
        with celery_app.producer_or_acquire() as producer:
            # Fail fast, without kombu's default back-off: an unreachable broker leaves the
            # event in the outbox for the periodic sweep, and the request is not held up.
            producer.connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=3)

            def send(task_name: str, envelope: dict, queue: str) -> None:
                # argsrepr (what monitors show) given, so Celery does not build a saferepr of every payload
                celery_app.send_task(task_name, args=[envelope], queue=queue, producer=producer, retry=False,
                                     argsrepr=f"[{envelope['type']} {envelope['id']}]")

            yield send

    return open_sender

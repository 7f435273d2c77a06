"""The Celery app of the suite: `celery -A services.worker worker -Q <queues>` and `celery -A services.worker beat`.

Each service gets `<service>.handle_event` (its idempotent event consumer) and
`<service>.relay_outbox` (the sweep that publishes whatever the after-commit relay
could not), plus its periodic jobs and the tasks it sends itself (`spec.tasks`), all routed
to the service's own queue.
"""
from __future__ import annotations

import logging
from functools import cache

from celery.signals import worker_process_shutdown
from marshmallow import ValidationError

from shared.celery_app import create_celery
from shared.config import Settings
from shared.db import Database
from shared.events import handler_task_name, stop_publishers
from shared.logging import configure_logging, correlation_id

from .inventory import SPEC as INVENTORY
from .procurement import SPEC as PROCUREMENT
from .supplier_portal import SPEC as SUPPLIER_PORTAL

log = logging.getLogger(__name__)
SPECS = {spec.name: spec for spec in (PROCUREMENT, INVENTORY, SUPPLIER_PORTAL)}

settings = Settings.from_env()
configure_logging("worker")
app = create_celery(settings)


@cache
def database(service: str) -> Database:
    return SPECS[service].open_database(settings, app)


def _register(spec):
    @app.task(name=handler_task_name(spec.name), bind=True, max_retries=None)
    def handle_event(task, envelope):
        correlation_id.set(envelope.get("correlation_id"))
        try:
            spec.consumer.apply(database(spec.name), envelope)
        except ValidationError:
            # A payload that breaks its contract will not get better by retrying.
            log.error("event %s (%s) rejected: its payload breaks the contract",
                      envelope.get("id"), envelope.get("type"))
            raise
        except Exception as exc:  # a handler that failed is retried; the inbox keeps it idempotent
            raise task.retry(exc=exc, countdown=min(60, 2 ** min(task.request.retries, 6))) from exc

    @app.task(name=f"{spec.name}.relay_outbox")
    def relay_outbox():
        return spec.relay(database(spec.name), app).publish()

    app.conf.beat_schedule[f"{spec.name}.relay_outbox"] = {
        "task": f"{spec.name}.relay_outbox", "schedule": settings.relay_interval_seconds}
    for task_name, run in spec.tasks.items():
        def run_task(*args, run=run):
            return run(database(spec.name), *args)

        app.task(name=f"{spec.name}.{task_name}")(run_task)
    for job in spec.periodic:
        name = f"{spec.name}.{job.name}"

        # A named function: Celery builds each task's signature with exec, which a lambda breaks.
        def run_job(job=job):
            return job.run(database(spec.name))

        app.task(name=name, autoretry_for=job.retry_on, retry_backoff=30, retry_backoff_max=15 * 60,
                 max_retries=8)(run_job)
        app.conf.beat_schedule[name] = {"task": name, "schedule": job.every_seconds}


# A pool process may end without running atexit: send what its publishers hold first.
worker_process_shutdown.connect(stop_publishers, weak=False)

app.conf.beat_schedule = {}
for _spec in SPECS.values():
    _register(_spec)

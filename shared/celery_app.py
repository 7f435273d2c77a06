"""The Celery app factory: one queue per service, routed by task name."""
from __future__ import annotations

from celery import Celery
from celery.signals import before_task_publish, task_postrun, task_prerun

from . import broker
from .config import SERVICES, Settings
from .logging import CORRELATION_HEADER, correlation_id


def create_celery(settings: Settings) -> Celery:
    app = Celery("canteen")
    url = settings.effective_broker_url
    options: dict = {}
    if url.startswith("fsqueue"):
        options = broker.transport_options(settings.broker_folder)
    elif url.startswith(("amqp", "pyamqp")):
        # The broker confirms every publish, so the relay marks an event sent only once it is safe.
        options = {"confirm_publish": True}
    elif url.startswith("redis"):
        options = {"visibility_timeout": 300}
    app.conf.update(
        broker_url=url,
        broker_transport_options=options,
        broker_connection_timeout=3,
        broker_connection_retry_on_startup=True,
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=SERVICES[0],
        task_routes=[{f"{service}.*": {"queue": service}} for service in SERVICES],
        task_create_missing_queues=True,
        worker_hijack_root_logger=False,
        enable_utc=True,
        timezone=settings.school_timezone,
    )
    return app


@before_task_publish.connect
def _carry_correlation_id(headers=None, **_):
    if headers is not None and correlation_id.get():
        headers[CORRELATION_HEADER] = correlation_id.get()


@task_prerun.connect
def _adopt_correlation_id(task=None, **_):
    request = getattr(task, "request", None)
    value = getattr(request, CORRELATION_HEADER, None) if request else None
    if value is None and request is not None:
        value = (request.headers or {}).get(CORRELATION_HEADER) if isinstance(request.headers, dict) else None
    correlation_id.set(value)


@task_postrun.connect
def _drop_correlation_id(**_):
    correlation_id.set(None)

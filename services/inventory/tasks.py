"""Inventory's event handlers and periodic jobs (wired into Celery by services.worker)."""
from shared.events import Consumer

from .inspection import cancel_order, expect_delivery, expect_order
from .models import Inbox
from .store import record_unified_prices

consumer = Consumer("inventory", Inbox)
# Every movement checks its reorder rule at once. The periodic sweep (`reorder.run_sweep`, also
# `flask --app services.inventory reorder-sweep`) waits for services/worker.py to register
# periodic jobs under a named function: Celery cannot build a task from its current lambda.
PERIODIC_JOBS: list = []


@consumer.handles("po.sent")
def on_po_sent(session, payload):
    expect_order(session, payload)


@consumer.handles("delivery.dispatched")
def on_delivery_dispatched(session, payload):
    expect_delivery(session, payload)


@consumer.handles("po.cancelled")
def on_po_cancelled(session, payload):
    cancel_order(session, payload)


@consumer.handles("unified_prices.published")
def on_unified_prices_published(session, payload):
    record_unified_prices(session, payload)

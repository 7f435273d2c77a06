"""Inventory's event handlers and periodic jobs (wired into Celery by services.worker)."""
from shared.events import Consumer
from shared.service import PeriodicJob

from .costing.tasks import JOBS as COSTING_JOBS
from .costing.tasks import TASKS as COSTING_TASKS
from .expiry_alerts import run_expiry_alerts
from .inspection import cancel_order, close_order, expect_delivery, expect_order
from .items import run_item_refresh
from .models import Inbox
from .reorder import run_sweep
from .store import record_unified_prices

consumer = Consumer("inventory", Inbox)
# Every movement checks its reorder rule at once; the sweep catches rules set while stock was already low.
PERIODIC_JOBS: list = [PeriodicJob("reorder_sweep", 15 * 60, run_sweep),
                       PeriodicJob("expiry_alerts", 24 * 60 * 60, run_expiry_alerts),
                       PeriodicJob("refresh_items", 60 * 60, run_item_refresh),
                       *COSTING_JOBS]
TASKS = {**COSTING_TASKS}


@consumer.handles("po.sent")
def on_po_sent(session, payload):
    expect_order(session, payload)


@consumer.handles("delivery.dispatched")
def on_delivery_dispatched(session, payload):
    expect_delivery(session, payload)


@consumer.handles("po.cancelled")
def on_po_cancelled(session, payload):
    cancel_order(session, payload)


@consumer.handles("po.closed")
def on_po_closed(session, payload):
    close_order(session, payload)


@consumer.handles("unified_prices.published")
def on_unified_prices_published(session, payload):
    record_unified_prices(session, payload)

"""Supplier portal's event handlers and periodic jobs (wired into Celery by services.worker)."""
from shared.events import Consumer

from .models import Inbox
from .registration import create_invited_supplier

consumer = Consumer("supplier_portal", Inbox)
PERIODIC_JOBS: list = []


@consumer.handles("supplier.invited")
def on_supplier_invited(session, payload):
    create_invited_supplier(session, payload)

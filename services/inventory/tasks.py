"""Inventory's event handlers and periodic jobs (wired into Celery by services.worker)."""
from shared.events import Consumer

from .costing.tasks import JOBS as COSTING_JOBS
from .models import Inbox

consumer = Consumer("inventory", Inbox)
PERIODIC_JOBS: list = []
PERIODIC_JOBS += COSTING_JOBS

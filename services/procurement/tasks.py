"""Procurement's event handlers and periodic jobs (wired into Celery by services.worker)."""
from shared.events import Consumer

from .models import Inbox

consumer = Consumer("procurement", Inbox)
PERIODIC_JOBS: list = []

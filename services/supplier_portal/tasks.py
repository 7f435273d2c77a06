"""Supplier portal's event handlers and periodic jobs (wired into Celery by services.worker)."""
from shared.config import Settings
from shared.db import Database
from shared.events import Consumer
from shared.service import PeriodicJob

from .clock import school_today
from .licence_expiry import check_licences
from .models import Inbox
from .orders import receive_order
from .registration import create_invited_supplier

consumer = Consumer("supplier_portal", Inbox)


def run_licence_check(database: Database) -> dict:
    with database.unit_of_work() as uow:
        result = check_licences(uow.session, school_today(Settings.from_env().school_timezone))
        uow.commit()
    return result


PERIODIC_JOBS: list = [PeriodicJob("check_licences", 24 * 60 * 60, run_licence_check)]


@consumer.handles("supplier.invited")
def on_supplier_invited(session, payload):
    create_invited_supplier(session, payload)


@consumer.handles("po.sent")
def on_po_sent(session, payload):
    receive_order(session, payload)

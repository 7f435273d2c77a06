"""Supplier portal's event handlers and periodic jobs (wired into Celery by services.worker)."""
from shared.config import Settings
from shared.db import Database
from shared.events import Consumer
from shared.service import PeriodicJob

from .clock import school_today
from .fulfilment import receive_goods
from .invoicing import record_dispute, record_match, record_payment
from .licence_expiry import check_licences
from .mail import mailer_for, send_pending_emails
from .models import Inbox
from .orders import end_order, receive_order
from .quotations import receive_rfq, record_award
from .registration import create_invited_supplier

consumer = Consumer("supplier_portal", Inbox)


def run_licence_check(database: Database) -> dict:
    with database.unit_of_work() as uow:
        result = check_licences(uow.session, school_today(Settings.from_env().school_timezone))
        uow.commit()
    return result


def run_email_sweep(database: Database) -> dict:
    settings = Settings.from_env()
    return send_pending_emails(database, mailer_for(settings), settings)


PERIODIC_JOBS: list = [PeriodicJob("check_licences", 24 * 60 * 60, run_licence_check),
                       PeriodicJob("send_notification_emails", 10, run_email_sweep)]


@consumer.handles("supplier.invited")
def on_supplier_invited(session, payload):
    create_invited_supplier(session, payload)


@consumer.handles("po.sent")
def on_po_sent(session, payload):
    receive_order(session, payload)


@consumer.handles("po.cancelled")
def on_po_cancelled(session, payload):
    end_order(session, payload, "cancel")


@consumer.handles("po.closed")
def on_po_closed(session, payload):
    end_order(session, payload, "close")


@consumer.handles("rfq.issued")
def on_rfq_issued(session, payload):
    receive_rfq(session, payload)


@consumer.handles("rfq.awarded")
def on_rfq_awarded(session, payload):
    record_award(session, payload)


@consumer.handles("goods.received")
def on_goods_received(session, payload):
    receive_goods(session, payload)


@consumer.handles("invoice.matched")
def on_invoice_matched(session, payload):
    record_match(session, payload)


@consumer.handles("invoice.disputed")
def on_invoice_disputed(session, payload):
    record_dispute(session, payload)


@consumer.handles("payment.recorded")
def on_payment_recorded(session, payload):
    record_payment(session, payload)

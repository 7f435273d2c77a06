"""Email to a supplier's users when the portal notifies it: in Chinese, by a periodic Celery task, never twice.

The notification row is the mail's outbox: it is written in the same transaction as whatever
caused it, so a broker outage only delays the mail. The sending task locks one pending
notification, hands its message to the mail server and marks it emailed in that one
transaction; a mail server that refuses or is down leaves it pending for the next run.
Without SMTP_HOST (development, tests) messages are written as .eml files under VAR_DIR/mail,
so nothing leaves the machine.
"""
from __future__ import annotations

import logging
import os
import smtplib
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.config import Settings
from shared.db import Database, utcnow
from shared.i18n import SHARED_TRANSLATIONS, load_catalogue

from .models import Notification, Supplier, SupplierUser
from .notifications import KINDS, SUBJECT, wording

log = logging.getLogger(__name__)
TRANSLATIONS = (SHARED_TRANSLATIONS, Path(__file__).parent / "translations")
MAIL_LANGUAGE = "zh-CN"
# After this many refusals a message is left for an operator (logged), not retried for ever.
MAX_ATTEMPTS = 20
SMTP_TIMEOUT_SECONDS = 10


def _(message: str) -> str:
    """Marks a message for the zh-CN catalogue; the mail is written in Chinese."""
    return message


GREETING = _("Dear {name},")
SEE_PORTAL = _("See it in the supplier portal: {url}")
AUTOMATIC = _("This message was sent automatically; please do not reply.")


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Hand the message over, or raise (OSError, smtplib.SMTPException) when it was not taken."""


class SmtpMailer:
    def __init__(self, host: str, port: int):
        self.host, self.port = host, port

    def send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            smtp.send_message(message)


class FileMailer:
    """The development sink: one .eml file per message, written whole (a rename) so no reader sees half."""

    def __init__(self, folder: Path):
        self.folder = folder

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = message["Message-ID"].strip("<>").replace("@", "_at_").replace("/", "_")
        partial = self.folder / f".{name}.partial"
        partial.write_bytes(bytes(message))
        os.replace(partial, self.folder / f"{name}.eml")


def mailer_for(settings: Settings) -> Mailer:
    if settings.smtp_host:
        return SmtpMailer(settings.smtp_host, settings.smtp_port)
    return FileMailer(settings.var_dir / "mail")


def compose(notification: Notification, supplier: Supplier, recipients: list[str], settings: Settings) -> EmailMessage:
    catalogue = load_catalogue(TRANSLATIONS, MAIL_LANGUAGE)

    def translate(text: str) -> str:
        return catalogue.get(text, text)

    message = EmailMessage()
    message["Subject"] = translate(SUBJECT).format(kind=translate(KINDS[notification.kind]))
    message["From"] = settings.mail_from
    message["To"] = ", ".join(formataddr(("", address)) for address in recipients)
    # One id per notification: a mail server or reader can recognise a copy it has seen.
    message["Message-ID"] = make_msgid(f"notification-{notification.id}", settings.mail_from.rpartition("@")[2])
    message["Content-Language"] = MAIL_LANGUAGE
    url = settings.service_url("supplier_portal") + "/notifications"
    message.set_content("\n\n".join([translate(GREETING).format(name=supplier.name),
                                     wording(notification, translate),
                                     translate(SEE_PORTAL).format(url=url), translate(AUTOMATIC)]) + "\n")
    return message


def recipients_of(session: Session, supplier_id: int) -> list[str]:
    return list(session.scalars(select(SupplierUser.email).where(SupplierUser.supplier_id == supplier_id,
                                                                 SupplierUser.active.is_(True))
                                .order_by(SupplierUser.id)))


def send_pending_emails(database: Database, mailer: Mailer, settings: Settings, limit: int = 100) -> dict:
    """Email every pending notification once; what the mail server refuses stays pending for the next run."""
    with database.unit_of_work(read_only=True) as uow:
        pending = list(uow.session.scalars(
            select(Notification.id).where(Notification.emailed_at.is_(None),
                                          Notification.email_attempts < MAX_ATTEMPTS)
            .order_by(Notification.id).limit(limit)))
    sent, failed = [], []
    for notification_id in pending:
        outcome = _send_one(database, mailer, settings, notification_id)
        if outcome is True:
            sent.append(notification_id)
        elif outcome is False:
            failed.append(notification_id)
    return {"sent": sent, "failed": failed}


def _send_one(database: Database, mailer: Mailer, settings: Settings, notification_id: int) -> bool | None:
    """True when mailed, False when the mail server did not take it, None when another run has it."""
    with database.unit_of_work() as uow:
        query = select(Notification).where(Notification.id == notification_id, Notification.emailed_at.is_(None))
        if not database.is_sqlite:  # SQLite's BEGIN IMMEDIATE already keeps a second run out
            query = query.with_for_update(skip_locked=True)
        notification = uow.session.scalar(query)
        if notification is None:
            return None
        recipients = recipients_of(uow.session, notification.supplier_id)
        if recipients:
            message = compose(notification, uow.session.get(Supplier, notification.supplier_id), recipients,
                              settings)
            try:
                mailer.send(message)
            except (OSError, smtplib.SMTPException):
                log.warning("notification %s not emailed (attempt %d); it stays pending", notification_id,
                            notification.email_attempts + 1, exc_info=True)
                notification.email_attempts += 1
                if notification.email_attempts >= MAX_ATTEMPTS:
                    log.error("notification %s was refused %d times; it is no longer retried", notification_id,
                              MAX_ATTEMPTS)
                uow.commit()
                return False
        notification.emailed_at = utcnow()
        uow.commit()
    return True

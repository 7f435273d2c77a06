"""A real SMTP server on a free local port (aiosmtpd), keeping what it accepts."""
from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from tests.browser import free_port


class Inbox:
    """An aiosmtpd handler: refuses the first `refuse` messages with 451 (try later), then keeps each one."""

    def __init__(self, refuse: int = 0):
        self.refuse = refuse
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        if self.refuse > 0:
            self.refuse -= 1
            return "451 4.3.0 Try again later"
        self.messages.append((list(envelope.rcpt_tos),
                              message_from_bytes(envelope.original_content, policy=policy.default)))
        return "250 OK"


class MailServer:
    def __init__(self, refuse: int = 0, port: int | None = None):
        self.inbox = Inbox(refuse)
        self.port = port or free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> "MailServer":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    @property
    def messages(self) -> list[tuple[list[str], EmailMessage]]:
        return self.inbox.messages

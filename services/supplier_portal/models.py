from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, synonym

from shared.db import UTCDateTime, declarative_base, utcnow
from shared.events import InboxMixin, OutboxMixin

Base = declarative_base()


class Outbox(OutboxMixin, Base):
    pass


class Inbox(InboxMixin, Base):
    pass


class Supplier(Base):
    """A supplier organisation; it serves many schools, so it carries no school_id."""

    __tablename__ = "suppliers"

    id: Mapped[int] = mapped_column(primary_key=True)
    # A supplier user's scope is its own organisation.
    supplier_id = synonym("id")
    name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(200))
    categories: Mapped[list] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), index=True)
    invited_by_school_id: Mapped[int | None] = mapped_column(Integer)
    invitation_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

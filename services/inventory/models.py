from __future__ import annotations

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import declarative_base
from shared.events import InboxMixin, OutboxMixin

Base = declarative_base()

LOCATION_KINDS = ("dining_hall", "central_store_room", "campus_store")


class Outbox(OutboxMixin, Base):
    pass


class Inbox(InboxMixin, Base):
    pass


class Location(Base):
    """Where stock is kept: a dining hall, the central store room or the campus store."""

    __tablename__ = "locations"
    __table_args__ = (UniqueConstraint("school_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(32))

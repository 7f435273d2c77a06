"""Meal-cost accounting tables, on inventory's own `Base` (DESIGN.md §5, 伙食成本核算与公示).

Meals served are inventory's table (`models.MealsServed`), written and read through this package
(`entries.record_meals_served`, /api/costing/meals-served).
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.db import Money, ScaledDecimal, UTCDateTime, utcnow

from ..models import Base

MEALS = ("breakfast", "lunch", "dinner")
INCOME_KINDS = ("student_fees", "staff_fees", "subsidies", "other")
# Entered spending; ingredients and coal come from the ledger's issues.
EXPENSE_KINDS = ("utilities", "wages", "overheads")
STATEMENT_STATES = ("draft", "signing", "published")
# The sign-off order of DESIGN.md §5; a slot is signed only after every slot before it.
SIGNATURE_SLOTS = ("cost_accountant", "meal_committee_head", "general_affairs_head",
                   "deputy_principal", "principal")
DEFAULT_FOOD_SHARE_FLOOR = Decimal("85.00")


class Percent(ScaledDecimal):
    """A percentage with two places (85.00), stored as an integer: exact on SQLite too."""

    places = 2
    cache_ok = True


class CostingSettings(Base):
    """A school's meal-cost settings; a school without a row uses the defaults."""

    __tablename__ = "costing_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(unique=True)
    # ingredient spending as a percentage of meal-fee income must not fall below this
    food_share_floor: Mapped[Decimal] = mapped_column(Percent(), default=DEFAULT_FOOD_SHARE_FLOOR)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class _Entry:
    """An amount finance enters for one dining hall on one business date."""

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column()
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    entry_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(32))
    amount: Mapped[Decimal] = mapped_column(Money())
    note: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class IncomeEntry(_Entry, Base):
    __tablename__ = "costing_income_entries"
    __table_args__ = (Index("ix_costing_income_entries_school_date", "school_id", "entry_date"),
                      CheckConstraint("amount > 0", name="amount_positive"))


class ExpenseEntry(_Entry, Base):
    __tablename__ = "costing_expense_entries"
    __table_args__ = (Index("ix_costing_expense_entries_school_date", "school_id", "entry_date"),
                      CheckConstraint("amount > 0", name="amount_positive"))


class MonthlyStatement(Base):
    """The monthly meal-cost statement of a school: every dining hall and the school total.

    Figures are computed live while it is a draft; from the first signature the month's
    entries are locked, and once the fifth slot is signed the figures are stored in
    `snapshot` and never change again.
    """

    __tablename__ = "costing_monthly_statements"
    __table_args__ = (UniqueConstraint("school_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column()
    # the first day of the month
    month: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    snapshot: Mapped[dict | None] = mapped_column(JSON)
    # {location id: surplus brought in} for the first statement of the books (no previous statement)
    opening_balances: Mapped[dict | None] = mapped_column(JSON)
    prepared_by: Mapped[str] = mapped_column(String(64))
    prepared_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # set by the reminder job when not published by the 15th of the next month
    overdue_since: Mapped[date | None] = mapped_column(Date)

    signatures: Mapped[list[StatementSignature]] = relationship(
        back_populates="statement", order_by="StatementSignature.position", lazy="selectin")


class StatementSignature(Base):
    __tablename__ = "costing_statement_signatures"
    __table_args__ = (UniqueConstraint("statement_id", "slot"), UniqueConstraint("statement_id", "position"),
                      UniqueConstraint("statement_id", "signer"))

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("costing_monthly_statements.id"))
    slot: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer)
    signer: Mapped[str] = mapped_column(String(64))
    signer_name: Mapped[str] = mapped_column(String(100))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    statement: Mapped[MonthlyStatement] = relationship(back_populates="signatures")


# Supervision (DESIGN.md §1: the five roles 五员 and parents' representatives 家长代表).
SUPERVISOR_KINDS = ("parent_representative", "nutrition_instructor", "meal_cost_supervisor", "hygiene_supervisor",
                    "canteen_operator", "meal_quality_judge")
COMPLAINT_CATEGORIES = ("food_quality", "food_safety", "price", "portion", "hygiene", "service", "other")


class Rating(Base):
    """A supervisor's weekly rating of one dining hall's price and quality, 1 (poor) to 5 (good)."""

    __tablename__ = "costing_ratings"
    __table_args__ = (UniqueConstraint("location_id", "week_start", "rater"),
                      Index("ix_costing_ratings_school_week", "school_id", "week_start"),
                      CheckConstraint("price_score BETWEEN 1 AND 5", name="price_score_range"),
                      CheckConstraint("quality_score BETWEEN 1 AND 5", name="quality_score_range"))

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column()
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    # the Monday of the rated week
    week_start: Mapped[date] = mapped_column(Date)
    rater: Mapped[str] = mapped_column(String(64))
    rater_kind: Mapped[str] = mapped_column(String(32))
    price_score: Mapped[int] = mapped_column(Integer)
    quality_score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(String(1000))
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Complaint(Base):
    """A complaint by a supervisor or parents' representative, answered by the canteen's staff."""

    __tablename__ = "costing_complaints"
    __table_args__ = (Index("ix_costing_complaints_school_filed", "school_id", "filed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column()
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    category: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(String(2000))
    filed_by: Mapped[str] = mapped_column(String(64))
    filer_kind: Mapped[str] = mapped_column(String(32))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="open")
    answer: Mapped[str | None] = mapped_column(String(2000))
    answered_by: Mapped[str | None] = mapped_column(String(64))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    photo_key: Mapped[str | None] = mapped_column(String(200))
    photo_type: Mapped[str | None] = mapped_column(String(32))

    @property
    def has_photo(self) -> bool:
        return self.photo_key is not None


class WeeklyDisclosure(Base):
    """The weekly public disclosure (每周公示) of one school, built once after the week and kept."""

    __tablename__ = "costing_weekly_disclosures"
    __table_args__ = (UniqueConstraint("school_id", "week_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column()
    week_start: Mapped[date] = mapped_column(Date)
    content: Mapped[dict] = mapped_column(JSON)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


EXPORT_KINDS = ("cost_detail", "spend")
EXPORT_FORMATS = ("csv", "xlsx")
EXPORT_STATES = ("queued", "running", "done", "failed")


class ExportJob(Base):
    """A finance export of a long period, written to a file by a worker task (export_jobs.py)."""

    __tablename__ = "costing_export_jobs"
    __table_args__ = (Index("ix_costing_export_jobs_school_created", "school_id", "created_at"),
                      CheckConstraint("state IN ('queued', 'running', 'done', 'failed')", name="export_job_state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column()
    kind: Mapped[str] = mapped_column(String(32))
    format: Mapped[str] = mapped_column(String(8))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    state: Mapped[str] = mapped_column(String(16), default="queued")
    rows_expected: Mapped[int | None] = mapped_column(Integer)
    rows_written: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # under the settings' VAR_DIR; set once the file is complete
    file_path: Mapped[str | None] = mapped_column(String(255))
    file_size: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
    requested_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # the last progress a worker committed: a running job that stops beating was left by a dead worker
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

"""Consolidation (集中采购): approved requisition lines of every demand point merged by item and
delivery window into a purchase plan. Each plan line keeps its split per demand point and the
requisition lines it came from; a requisition line goes into at most one plan line, ever.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from operator import itemgetter
from typing import NamedTuple

from sqlalchemy import BigInteger, Table, bindparam, insert, select, type_coerce
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from shared.auth import Principal
from shared.errors import Conflict, InvalidInput, NotFound
from shared.pagination import Page, paginate

from . import workflow
from .models import PlanLine, PlanLineSource, PurchasePlan, Requisition, RequisitionLine

MAX_WINDOW_DAYS = 31
MAX_PLAN_SPAN_DAYS = 92


class DemandLine(NamedTuple):
    line_id: int
    item_id: int
    demand_point_id: int
    # merge only adds quantities up, so they may be Decimals or, as consolidate reads them, the stored
    # integer thousandths (Quantity), which add up exactly and are written back without conversion
    quantity: Decimal | int
    needed_by: date


# A demand line as read for a plan: a plain tuple in DemandLine's order. Ten thousand of them stay alive
# through a consolidation; a plain tuple of numbers and dates is one the garbage collector stops
# tracking, a NamedTuple is tracked to the end and their number brings on full collections of the heap.
DemandRow = tuple[int, int, int, Decimal | int, date]


@dataclass
class MergedLine:
    item_id: int
    window_start: date
    delivery_date: date
    quantity: Decimal | int = 0  # the sum of the sources' quantities, in their type
    sources: list[DemandRow] = field(default_factory=list)

    def split(self) -> dict[int, Decimal | int]:
        """Quantity per demand point."""
        totals: dict[int, Decimal | int] = defaultdict(int)
        for _, _, demand_point_id, quantity, _ in self.sources:
            totals[demand_point_id] += quantity
        return dict(totals)


def window_of(needed_by: date, start: date, window_days: int) -> date:
    """The first day of the delivery window `needed_by` falls in; windows start at `start`."""
    return start + timedelta(days=(needed_by - start).days // window_days * window_days)


def merge(lines: Iterable[DemandRow], start: date, window_days: int) -> list[MergedLine]:
    """Merge demand lines by item and delivery window; delivery is due by the earliest need."""
    if window_days < 1:
        raise ValueError("a delivery window is at least one day")
    # by item, then date, then id: one stable sort per key, since a key tuple per line would be ten
    # thousand more objects for the garbage collector. The lines of one item and window then come one
    # after another, the earliest first.
    ordered = sorted(lines, key=itemgetter(0))
    ordered.sort(key=itemgetter(4))
    ordered.sort(key=itemgetter(1))
    ids = [line[0] for line in ordered]
    if len(set(ids)) < len(ids):
        twice = next(line_id for line_id, count in Counter(ids).items() if count > 1)
        raise ValueError(f"requisition line {twice} given twice")
    merged: list[MergedLine] = []
    windows: dict[date, date] = {}  # a plan's lines fall on a few dozen days: each window is worked out once
    target: MergedLine | None = None
    for line in ordered:
        _, item_id, _, quantity, needed_by = line
        window = windows.get(needed_by)
        if window is None:
            if needed_by < start:
                raise ValueError(f"requisition line {line[0]} is needed before the plan starts")
            window = windows[needed_by] = window_of(needed_by, start, window_days)
        if target is None or item_id != target.item_id or window != target.window_start:
            target = MergedLine(item_id, window, needed_by)
            merged.append(target)
        target.quantity += quantity
        target.sources.append(line)
    return merged


def pending_lines(session: Session, school_id: int, start: date, end: date) -> list[DemandRow]:
    """Lines of approved requisitions needed within [start, end] and in no plan yet, as plain tuples,
    their quantities as stored (integer thousandths, see DemandLine)."""
    query = (select(RequisitionLine.id, RequisitionLine.item_id, Requisition.demand_point_id,
                    type_coerce(RequisitionLine.quantity, BigInteger), RequisitionLine.needed_by)
             .join(Requisition, Requisition.id == RequisitionLine.requisition_id)
             .outerjoin(PlanLineSource, PlanLineSource.requisition_line_id == RequisitionLine.id)
             .where(Requisition.school_id == school_id, Requisition.state == "approved",
                    RequisitionLine.needed_by >= start, RequisitionLine.needed_by <= end,
                    PlanLineSource.id.is_(None))
             .order_by(RequisitionLine.id))
    if session.get_bind().dialect.name != "sqlite":
        # two buyers consolidating at once: the second waits, then finds the lines taken
        query = query.with_for_update(of=RequisitionLine)
    # on the session's connection, not through the ORM, which would process each of ten thousand rows
    return list(map(tuple, session.connection().execute(query)))


def consolidate(session: Session, principal: Principal, start: date, end: date, window_days: int = 7) -> PurchasePlan:
    if end < start:
        raise InvalidInput("window_end", "is before window_start")
    if (end - start).days > MAX_PLAN_SPAN_DAYS:
        raise InvalidInput("window_end", "a plan covers at most {max_plan_span_days} days",
                           max_plan_span_days=MAX_PLAN_SPAN_DAYS)
    if not 1 <= window_days <= MAX_WINDOW_DAYS:
        raise InvalidInput("window_days", "from 1 to {max_window_days}", max_window_days=MAX_WINDOW_DAYS)
    demand = pending_lines(session, principal.school_id, start, end)
    if not demand:
        raise Conflict("No approved requisition line needed in that period is waiting for consolidation")
    plan = PurchasePlan(school_id=principal.school_id, window_start=start, window_end=end, window_days=window_days,
                        created_by=principal.user_id)
    session.add(plan)
    session.flush()
    merged_lines = merge(demand, start, window_days)
    # plain inserts, one statement each, not ORM objects for every row of a big plan; the ids come back
    # keyed by item and window (asking for them in parameter order would make SQLite insert row by row)
    plan_line_ids = {(item_id, window): plan_line_id for plan_line_id, item_id, window in session.execute(
        insert(PlanLine.__table__).values(quantity=bindparam("stored_quantity", type_=BigInteger))
        .returning(PlanLine.id, PlanLine.item_id, PlanLine.window_start),
        [{"school_id": plan.school_id, "plan_id": plan.id, "item_id": merged.item_id,
          "window_start": merged.window_start, "delivery_date": merged.delivery_date,
          "stored_quantity": merged.quantity}
         for merged in merged_lines])}
    sources: list[tuple] = []
    for merged in merged_lines:
        plan_line_id = plan_line_ids[merged.item_id, merged.window_start]
        sources += [(plan_line_id, line_id, demand_point_id, quantity)
                    for line_id, _, demand_point_id, quantity, _ in merged.sources]
    try:
        _insert_many(session, PlanLineSource.__table__,
                     ["plan_line_id", "requisition_line_id", "demand_point_id", "quantity"], sources)
    except IntegrityError:
        # the unique requisition_line_id: another consolidation took these lines first
        raise Conflict("Some of these requisition lines were consolidated meanwhile; try again") from None
    workflow.apply_where(session, workflow.REQUISITION, Requisition, _fully_consolidated(plan.id),
                         "consolidate", principal.user_id, f"purchase plan {plan.id}")
    return plan


def _insert_many(session: Session, table: Table, columns: list[str], rows: list[tuple]) -> None:
    """Insert rows of values the driver takes as they are (ids, stored quantities), `columns` in the
    table's order, by the driver's own executemany. Core would build and convert a dictionary of
    parameters per row, which doubles the time of ten thousand rows and leaves as many objects for the
    garbage collector."""
    connection = session.connection()
    # for_executemany: no RETURNING of the new id, which the dialect would add for a single row
    statement = insert(table).compile(dialect=connection.dialect, column_keys=columns, for_executemany=True)
    if statement.positional:  # SQLite's question marks, in the table's order
        connection.exec_driver_sql(statement.string, rows)
    else:  # PostgreSQL's psycopg takes parameters by name
        connection.exec_driver_sql(statement.string, [dict(zip(columns, row, strict=True)) for row in rows])


def _fully_consolidated(plan_id: int):
    """The requisitions the plan drew from that now have every line in a plan, as a criterion (by
    subqueries, not a list of ids, which could outgrow a statement's parameters)."""
    drawn = (select(RequisitionLine.requisition_id)
             .join(PlanLineSource, PlanLineSource.requisition_line_id == RequisitionLine.id)
             .join(PlanLine, PlanLine.id == PlanLineSource.plan_line_id)
             .where(PlanLine.plan_id == plan_id))
    left = (select(RequisitionLine.requisition_id)
            .outerjoin(PlanLineSource, PlanLineSource.requisition_line_id == RequisitionLine.id)
            .where(RequisitionLine.requisition_id.in_(drawn), PlanLineSource.id.is_(None)))
    return Requisition.id.in_(drawn) & Requisition.id.not_in(left)


LOAD_PLAN = (selectinload(PurchasePlan.lines).selectinload(PlanLine.sources).selectinload(PlanLineSource.demand_point),
             selectinload(PurchasePlan.lines).selectinload(PlanLine.item))


def get_plan(session: Session, principal: Principal, plan_id: int) -> PurchasePlan:
    plan = session.scalar(select(PurchasePlan).where(PurchasePlan.id == plan_id,
                                                     PurchasePlan.school_id == principal.school_id)
                          .options(*LOAD_PLAN).execution_options(populate_existing=True))
    if plan is None:
        raise NotFound("No such purchase plan")
    return plan


def list_plans(session: Session, principal: Principal, page: int = 1, per_page: int = 50) -> Page:
    query = (select(PurchasePlan).where(PurchasePlan.school_id == principal.school_id)
             .options(*LOAD_PLAN).order_by(PurchasePlan.id.desc()))
    return paginate(session, query, page, per_page)

"""Posting to the append-only stock ledger, with the balance rows kept in the same transaction.

Concurrency (stock never negative, moving average never computed from a stale state):

* Every movement of an item at a location first locks that item × location's valuation row
  with SELECT ... FOR UPDATE, then the lot balance rows it touches, also FOR UPDATE. On
  PostgreSQL (READ COMMITTED) a plain SELECT would let two issues read the same on-hand
  quantity and both post, taking stock below zero; FOR UPDATE makes the second wait until the
  first commits and then re-reads the committed row, so its check sees the first issue's
  effect. The moving average is a read-modify-write of (quantity, value) and needs the same
  serialization, which is why the item × location row is the lock, not only the lot rows.
* Locks are taken in one global order, (item id, location id), before anything is posted, so
  two documents touching the same items in a different order (or a transfer A→B against one
  B→A) cannot deadlock.
* Inbound movements make missing rows and lock existing ones in one statement, an
  INSERT ... ON CONFLICT DO UPDATE ... RETURNING: on PostgreSQL the DO UPDATE takes the same row
  lock as FOR UPDATE and returns the latest committed row, so two first receipts into an empty
  location neither collide on the unique constraint nor read a stale balance. A lot balance is
  incremented inside that statement. Outbound movements lock with SELECT ... FOR UPDATE.
* SQLite ignores FOR UPDATE; there `shared.db` begins every transaction with BEGIN IMMEDIATE,
  which takes the database's write lock up front and serializes writers the same way.
* CHECK constraints (quantity >= 0) on the balance rows are the last line of defence.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from shared.db import utcnow
from shared.errors import Conflict

from .fefo import Candidate
from .models import StockBalance, StockMovement, StockValuation
from .reorder import check_after_movement
from .valuation import Position, take_in, take_out

INBOUND_KINDS = frozenset({"receipt", "transfer_in", "adjustment"})
OUTBOUND_KINDS = frozenset({"issue", "transfer_out", "adjustment", "waste", "store_sale", "return_to_supplier"})


@dataclass(frozen=True)
class Source:
    """The document a movement belongs to, who posted it and when."""

    type: str
    id: int
    actor: str
    occurred_at: datetime


def source_for(document, source_type: str, actor: str) -> Source:
    return Source(source_type, document.id, actor, utcnow())


def _insert_ignoring_conflict(session: Session, model, values: dict, index_elements: list[str]) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(model).values(**values).on_conflict_do_nothing(index_elements=index_elements))


@cache
def _upsert_statement(dialect: str, model, index_elements: tuple, update: Callable):
    statement = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(model)
    statement = statement.on_conflict_do_update(index_elements=list(index_elements), set_=update(statement.excluded))
    return statement.returning(model)


def upsert_returning(session: Session, model, rows: list[dict], index_elements: tuple, update: Callable) -> list:
    """Insert `rows`, or on conflict update the existing ones with `update(excluded)`, and return the
    ORM objects as they now are: one statement, which also row-locks the existing rows on PostgreSQL.

    The statement is built once per model and dialect (`update` is a module-level function), and
    the rows go as parameters, not inlined with .values(rows), which would leave it without a cache
    key: building and compiling an ORM upsert costs more than running it."""
    statement = _upsert_statement(session.get_bind().dialect.name, model, index_elements, update)
    return list(session.scalars(statement, rows, execution_options={"populate_existing": True}))


def _keep_position(_excluded) -> dict:
    # a no-op update: it takes the row lock and makes RETURNING yield the row as it is
    return {"updated_at": StockValuation.__table__.c.updated_at}


def _add_to_lot_balance(excluded) -> dict:
    return {"quantity": StockBalance.__table__.c.quantity + excluded.quantity, "updated_at": excluded.updated_at}


def lock_positions(session: Session, school_id: int, pairs: Iterable[tuple[int, int]],
                   create: bool) -> dict[tuple[int, int], StockValuation]:
    """Lock the valuation rows of (item id, location id) pairs, in the global lock order.

    With `create`, missing rows are made as they are locked (inbound movements); without, a pair
    with no row is simply absent from the result (nothing is on hand there).
    """
    ordered = sorted(set(pairs))
    if create and ordered:
        now = utcnow()
        rows = upsert_returning(session, StockValuation, [
            {"school_id": school_id, "item_id": item_id, "location_id": location_id, "quantity": Decimal(0),
             "value": Decimal(0), "last_rate": Decimal(0), "updated_at": now} for item_id, location_id in ordered],
            ("item_id", "location_id"), _keep_position)
        return {(row.item_id, row.location_id): row for row in rows}
    locked = {}
    for item_id, location_id in ordered:
        row = session.scalars(
            select(StockValuation)
            .where(StockValuation.item_id == item_id, StockValuation.location_id == location_id)
            .with_for_update().execution_options(populate_existing=True)).first()
        if row is not None:
            locked[(item_id, location_id)] = row
    return locked


def lock_lot_balances(session: Session, item_id: int, location_id: int) -> list[StockBalance]:
    """The lot balances of an item at a location with stock on hand, locked (FOR UPDATE OF the balances only)."""
    return list(session.scalars(
        select(StockBalance)
        .where(StockBalance.item_id == item_id, StockBalance.location_id == location_id, StockBalance.quantity > 0)
        .order_by(StockBalance.id)
        .with_for_update(of=StockBalance).execution_options(populate_existing=True)).unique())


def lock_lot_balance(session: Session, school_id: int, item_id: int, location_id: int, lot_id: int,
                     create: bool) -> StockBalance | None:
    if create:
        _insert_ignoring_conflict(session, StockBalance, {
            "school_id": school_id, "item_id": item_id, "location_id": location_id, "lot_id": lot_id,
            "quantity": Decimal(0), "updated_at": utcnow(),
        }, ["item_id", "location_id", "lot_id"])
    return session.scalars(
        select(StockBalance)
        .where(StockBalance.item_id == item_id, StockBalance.location_id == location_id,
               StockBalance.lot_id == lot_id)
        .with_for_update(of=StockBalance).execution_options(populate_existing=True)).unique().first()


def candidates(balances: list[StockBalance]) -> list[Candidate]:
    return [Candidate(b.lot_id, b.lot.expiry_date, b.lot.received_at, b.quantity) for b in balances]


def _record(session: Session, valuation: StockValuation, balance: StockBalance, position: Position, kind: str,
            quantity: Decimal, value: Decimal, source: Source) -> StockMovement:
    valuation.quantity, valuation.value, valuation.last_rate = position.quantity, position.value, position.rate
    valuation.updated_at = balance.updated_at = source.occurred_at
    movement = StockMovement(
        school_id=valuation.school_id, item_id=valuation.item_id, location_id=valuation.location_id,
        # the lot as the session has it, so that a response needs no second read of the movement
        lot_id=balance.lot_id, lot=balance.lot, kind=kind, quantity=quantity, value=value, lot_balance=balance.quantity,
        balance_quantity=position.quantity, balance_value=position.value, valuation_rate=position.rate,
        actor=source.actor, occurred_at=source.occurred_at, source_type=source.type, source_id=source.id)
    session.add(movement)
    check_after_movement(session, valuation, source.occurred_at)
    return movement


def _position(valuation: StockValuation) -> Position:
    return Position(valuation.quantity, valuation.value, valuation.last_rate)


def post_inbound(session: Session, valuation: StockValuation, lot_id: int, kind: str, quantity: Decimal,
                 value: Decimal, source: Source) -> StockMovement:
    """Bring `quantity` of a lot in at `value`; `valuation` must be locked by `lock_positions`."""
    if kind not in INBOUND_KINDS or quantity <= 0 or value < 0:
        raise ValueError(f"not an inbound movement: {kind} {quantity} worth {value}")
    [balance] = upsert_returning(session, StockBalance, [{
        "school_id": valuation.school_id, "item_id": valuation.item_id, "location_id": valuation.location_id,
        "lot_id": lot_id, "quantity": quantity, "updated_at": source.occurred_at}],
        ("item_id", "location_id", "lot_id"), _add_to_lot_balance)
    return _record(session, valuation, balance, take_in(_position(valuation), quantity, value), kind,
                   quantity, value, source)


def post_outbound(session: Session, valuation: StockValuation, balance: StockBalance, kind: str,
                  quantity: Decimal, source: Source) -> StockMovement:
    """Take `quantity` out of a locked lot balance at the moving-average rate."""
    if kind not in OUTBOUND_KINDS or quantity <= 0:
        raise ValueError(f"not an outbound movement: {kind} {quantity}")
    if quantity > balance.quantity:
        # callers check first and name the field; this guards the invariant itself
        raise Conflict(f"only {balance.quantity} of lot {balance.lot_id} on hand; {quantity} requested")
    position, value = take_out(_position(valuation), quantity)
    balance.quantity -= quantity
    return _record(session, valuation, balance, position, kind, -quantity, -value, source)

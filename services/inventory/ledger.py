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

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from shared.db import utcnow
from shared.errors import Conflict

from .fefo import Candidate
from .models import Lot, StockBalance, StockMovement, StockValuation
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
def _upsert_statement(dialect: str, target, index_elements: tuple, update: Callable, returning: tuple):
    statement = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(target)
    statement = statement.on_conflict_do_update(index_elements=list(index_elements), set_=update(statement.excluded))
    return statement.returning(*returning)


def upsert_returning(session: Session, model, rows: list[dict], index_elements: tuple, update: Callable) -> list:
    """Insert `rows`, or on conflict update the existing ones with `update(excluded)`, and return the
    ORM objects as they now are: one statement, which also row-locks the existing rows on PostgreSQL.

    The statement is built once per model and dialect (`update` is a module-level function), and
    the rows go as parameters, not inlined with .values(rows), which would leave it without a cache
    key: building and compiling an ORM upsert costs more than running it. It is a Core statement
    whose rows become the session's objects here: the ORM's bulk-insert path around an upsert cost
    several times the statement itself."""
    table = model.__table__
    statement = _upsert_statement(session.get_bind().dialect.name, table, index_elements, update, tuple(table.c))
    return [as_loaded(session, model, dict(row)) for row in session.execute(statement, rows).mappings()]


def as_loaded(session: Session, model, values: dict):
    """A row the statement returned, as the session's object: the one the session holds, refreshed
    (what populate_existing does), or a new persistent one, which the session will not insert."""
    loaded = session.identity_map.get(identity_key(model, values["id"]))
    if loaded is None:
        loaded = model(**values)
        make_transient_to_detached(loaded)
        session.add(loaded)
    else:
        for name, value in values.items():
            set_committed_value(loaded, name, value)
    return loaded


def _keep_position(_excluded) -> dict:
    # a no-op update: it takes the row lock and makes RETURNING yield the row as it is
    return {"updated_at": StockValuation.__table__.c.updated_at}


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


@cache
def _insert_returning_id(model):
    return model.__table__.insert().returning(model.__table__.c.id)


def append(session: Session, model, row: dict, **related):
    """Insert one row with a Core statement and return it as the session's persistent object, with
    `related` objects set. A document or a movement is written once and never changed in its
    request, so the unit of work (object states, flush planning, autoflush) would only add to the
    cost; as a persistent object it is never inserted again, and guarded like any loaded one."""
    document = as_loaded(session, model, {"id": session.execute(_insert_returning_id(model), row).scalar_one(), **row})
    for name, value in related.items():
        set_committed_value(document, name, value)
    return document


_POSITIONS, _LOT_BALANCES = StockValuation.__table__, StockBalance.__table__
# the positions are updated by id, without the unit of work, for the same reason
_STORE_POSITION = (_POSITIONS.update().where(_POSITIONS.c.id == bindparam("position_id"))
                   .values(quantity=bindparam("quantity"), value=bindparam("value"),
                           last_rate=bindparam("last_rate"), updated_at=bindparam("updated_at")))


def _record(session: Session, valuation: StockValuation, lot: Lot, lot_balance: Decimal, position: Position,
            kind: str, quantity: Decimal, value: Decimal, source: Source) -> StockMovement:
    session.execute(_STORE_POSITION, {"position_id": valuation.id, "quantity": position.quantity,
                                      "value": position.value, "last_rate": position.rate,
                                      "updated_at": source.occurred_at})
    # The locked object follows the row, so later movements of this document start from it. Being
    # set as committed, it is not reverted by a rolled-back savepoint: lock_positions re-reads it.
    for name, current in (("quantity", position.quantity), ("value", position.value),
                          ("last_rate", position.rate), ("updated_at", source.occurred_at)):
        set_committed_value(valuation, name, current)
    row = {"school_id": valuation.school_id, "item_id": valuation.item_id, "location_id": valuation.location_id,
           "lot_id": lot.id, "kind": kind, "quantity": quantity, "value": value, "lot_balance": lot_balance,
           "balance_quantity": position.quantity, "balance_value": position.value, "valuation_rate": position.rate,
           "actor": source.actor, "occurred_at": source.occurred_at, "source_type": source.type,
           "source_id": source.id}
    movement = append(session, StockMovement, row, lot=lot)
    check_after_movement(session, valuation, source.occurred_at)
    return movement


def _position(valuation: StockValuation) -> Position:
    return Position(valuation.quantity, valuation.value, valuation.last_rate)


def _add_to_lot_balance(excluded) -> dict:
    return {"quantity": _LOT_BALANCES.c.quantity + excluded.quantity, "updated_at": excluded.updated_at}


def post_inbound(session: Session, valuation: StockValuation, lot: Lot, kind: str, quantity: Decimal,
                 value: Decimal, source: Source) -> StockMovement:
    """Bring `quantity` of a lot in at `value`; `valuation` must be locked by `lock_positions`."""
    if kind not in INBOUND_KINDS or quantity <= 0 or value < 0:
        raise ValueError(f"not an inbound movement: {kind} {quantity} worth {value}")
    statement = _upsert_statement(session.get_bind().dialect.name, _LOT_BALANCES, ("item_id", "location_id", "lot_id"),
                                  _add_to_lot_balance, (_LOT_BALANCES.c.id, _LOT_BALANCES.c.quantity))
    balance_id, lot_balance = session.execute(statement, {
        "school_id": valuation.school_id, "item_id": valuation.item_id, "location_id": valuation.location_id,
        "lot_id": lot.id, "quantity": quantity, "updated_at": source.occurred_at}).one()
    loaded = session.identity_map.get(identity_key(StockBalance, balance_id))
    if loaded is not None:  # a balance the caller locked and holds (a stocktake's) must not go stale
        set_committed_value(loaded, "quantity", lot_balance)
        set_committed_value(loaded, "updated_at", source.occurred_at)
    return _record(session, valuation, lot, lot_balance, take_in(_position(valuation), quantity, value), kind,
                   quantity, value, source)


def post_outbound(session: Session, valuation: StockValuation, balance: StockBalance, kind: str,
                  quantity: Decimal, source: Source) -> StockMovement:
    """Take `quantity` out of a locked lot balance at the moving-average rate."""
    if kind not in OUTBOUND_KINDS or quantity <= 0:
        raise ValueError(f"not an outbound movement: {kind} {quantity}")
    if quantity > balance.quantity:
        # callers check first and name the field; this guards the invariant itself
        raise Conflict("only {on_hand} of lot {lot} on hand; {requested} requested",
                       on_hand=balance.quantity, lot=balance.lot_id, requested=quantity)
    position, value = take_out(_position(valuation), quantity)
    balance.quantity -= quantity
    balance.updated_at = source.occurred_at
    return _record(session, valuation, balance.lot, balance.quantity, position, kind, -quantity, -value, source)

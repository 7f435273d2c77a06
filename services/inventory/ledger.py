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
  incremented inside that statement, and so is a direct receipt's position (`take_in_position`,
  the moving average in SQL): lines whose items come in lock order each lock and move their
  position in one statement, other receipts lock all positions first. Outbound movements lock
  with SELECT ... FOR UPDATE.
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
from types import SimpleNamespace

from sqlalchemy import BigInteger, bindparam, case, select, type_coerce
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

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


class Record(SimpleNamespace):
    """A row as written, with the related rows a response reads from it. A document or a movement
    is written once and never changed in its request, so an ORM object (identity map, attribute
    events, the unit of work's bookkeeping at flush and commit) would only add to its cost; a record
    is in no session, so nothing can flush a change to it (the ledger's triggers refuse one anyway)."""


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


def upsert_rows(connection: Connection, table, rows: list[dict], index_elements: tuple, update: Callable,
                returning: tuple | None = None) -> list:
    """Insert `rows`, or on conflict update the existing ones with `update(excluded)`, and return the
    rows as they now are (their `returning` columns, all by default): one statement, which also
    row-locks the existing rows on PostgreSQL.

    The statement is built once per table and dialect (`update` is a module-level function), and
    the rows go as parameters, not inlined with .values(rows), which would leave it without a cache
    key: building and compiling an upsert costs more than running it. It runs on the connection, as
    Core: the ORM's bulk-insert path around an upsert cost several times the statement itself."""
    statement = _upsert_statement(connection.dialect.name, table, index_elements, update,
                                  returning or tuple(table.c))
    return connection.execute(statement, rows).all()


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


_POSITIONS, _LOT_BALANCES = StockValuation.__table__, StockBalance.__table__


def _keep_position(_excluded) -> dict:
    # a no-op update: it takes the row lock and makes RETURNING yield the row as it is
    return {"updated_at": _POSITIONS.c.updated_at}


def lock_position_rows(connection: Connection, school_id: int, pairs: Iterable[tuple[int, int]]) -> list:
    """Lock the valuation rows of (item id, location id) pairs in the global lock order, making
    missing ones (inbound movements); the rows, as locked."""
    now = utcnow()
    return upsert_rows(connection, _POSITIONS, [
        {"school_id": school_id, "item_id": item_id, "location_id": location_id, "quantity": Decimal(0),
         "value": Decimal(0), "last_rate": Decimal(0), "updated_at": now}
        for item_id, location_id in sorted(set(pairs))], ("item_id", "location_id"), _keep_position)


def lock_positions(session: Session, school_id: int, pairs: Iterable[tuple[int, int]],
                   create: bool) -> dict[tuple[int, int], StockValuation]:
    """Lock the valuation rows of (item id, location id) pairs, in the global lock order.

    With `create`, missing rows are made as they are locked (inbound movements); without, a pair
    with no row is simply absent from the result (nothing is on hand there).
    """
    ordered = sorted(set(pairs))
    if create and ordered:
        return {(row.item_id, row.location_id): as_loaded(session, StockValuation, row._asdict())
                for row in lock_position_rows(session.connection(), school_id, ordered)}
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
def _insert_returning_id(table):
    return table.insert().returning(table.c.id)


def append(connection: Connection, model, row: dict, **related) -> Record:
    """Insert one row with a Core statement and return it as a record, with `related` rows set."""
    return Record(id=connection.execute(_insert_returning_id(model.__table__), row).scalar_one(), **row, **related)


# the positions are updated by id, without the unit of work, for the same reason as `append`
_STORE_POSITION = (_POSITIONS.update().where(_POSITIONS.c.id == bindparam("position_id"))
                   .values(quantity=bindparam("quantity"), value=bindparam("value"),
                           last_rate=bindparam("last_rate"), updated_at=bindparam("updated_at")))


def _record(connection: Connection, valuation, lot, lot_balance: Decimal, position: Position, kind: str,
            quantity: Decimal, value: Decimal, source: Source) -> Record:
    """Store the position after a movement and append the movement; `valuation` is the locked position."""
    connection.execute(_STORE_POSITION, {"position_id": valuation.id, "quantity": position.quantity,
                                         "value": position.value, "last_rate": position.rate,
                                         "updated_at": source.occurred_at})
    return _append_movement(connection, valuation, lot, lot_balance, position.quantity, position.value, position.rate,
                            kind, quantity, value, source)


def _append_movement(connection: Connection, valuation, lot, lot_balance: Decimal, balance_quantity: Decimal,
                     balance_value: Decimal, rate: Decimal, kind: str, quantity: Decimal, value: Decimal,
                     source: Source) -> Record:
    row = {"school_id": valuation.school_id, "item_id": valuation.item_id, "location_id": valuation.location_id,
           "lot_id": lot.id, "kind": kind, "quantity": quantity, "value": value, "lot_balance": lot_balance,
           "balance_quantity": balance_quantity, "balance_value": balance_value, "valuation_rate": rate,
           "actor": source.actor, "occurred_at": source.occurred_at, "source_type": source.type,
           "source_id": source.id}
    return append(connection, StockMovement, row, lot=lot)


def _follow(session: Session, valuation: StockValuation, movement: Record) -> None:
    # The locked object follows the row, so later movements of this document start from it. Being
    # set as committed, it is not reverted by a rolled-back savepoint: lock_positions re-reads it.
    for name, after in (("quantity", "balance_quantity"), ("value", "balance_value"), ("last_rate", "valuation_rate"),
                        ("updated_at", "occurred_at")):
        set_committed_value(valuation, name, getattr(movement, after))
    check_after_movement(session, valuation, movement.occurred_at)


def _position(valuation: StockValuation) -> Position:
    return Position(valuation.quantity, valuation.value, valuation.last_rate)


def _add_to_lot_balance(excluded) -> dict:
    return {"quantity": _LOT_BALANCES.c.quantity + excluded.quantity, "updated_at": excluded.updated_at}


def _check_inbound(kind: str, quantity: Decimal, value: Decimal) -> None:
    if kind not in INBOUND_KINDS or quantity <= 0 or value < 0:
        raise ValueError(f"not an inbound movement: {kind} {quantity} worth {value}")


def _add_to_lot(connection: Connection, valuation, lot, quantity: Decimal, source: Source) -> tuple[int, Decimal]:
    """The lot balance's id and its quantity after `quantity` came in: made where missing, incremented in SQL."""
    statement = _upsert_statement(connection.dialect.name, _LOT_BALANCES, ("item_id", "location_id", "lot_id"),
                                  _add_to_lot_balance, (_LOT_BALANCES.c.id, _LOT_BALANCES.c.quantity))
    return connection.execute(statement, {
        "school_id": valuation.school_id, "item_id": valuation.item_id, "location_id": valuation.location_id,
        "lot_id": lot.id, "quantity": quantity, "updated_at": source.occurred_at}).one()


# valuation.take_in in SQL, on the stored integers (fen, thousandths of a unit, millionths of a
# yuan): quantity and value add up, and the rate, 10^7 × value ÷ quantity rounded half up, is
# (2·10^7·value + quantity) div (2·quantity), neither being negative. That is exact while
# 2·10^7·value fits in 64 bits, a position worth up to ¥4.6 billion; past it the statement keeps
# the old rate and says so (`rate_exact`), and Python's rate is stored.
_RATE_EXACT_UP_TO = (2**63 - 1) // (2 * 10**7)


def _fen(column):
    return type_coerce(column, BigInteger)  # the stored integer, so that literals are not scaled as amounts


def _taken_in(excluded) -> dict:
    quantity, value = _fen(_POSITIONS.c.quantity + excluded.quantity), _fen(_POSITIONS.c.value + excluded.value)
    return {"quantity": quantity, "value": value, "updated_at": excluded.updated_at,
            "last_rate": case((value <= _RATE_EXACT_UP_TO, (value * 20_000_000 + quantity) // (quantity * 2)),
                              else_=_POSITIONS.c.last_rate)}


_TAKEN_IN = (_POSITIONS.c.id, _POSITIONS.c.school_id, _POSITIONS.c.item_id, _POSITIONS.c.location_id,
             _POSITIONS.c.quantity, _POSITIONS.c.value, _POSITIONS.c.last_rate,
             (_fen(_POSITIONS.c.value) <= _RATE_EXACT_UP_TO).label("rate_exact"))


def take_in_position(connection: Connection, school_id: int, item_id: int, location_id: int, kind: str,
                     quantity: Decimal, value: Decimal, now: datetime) -> Record:
    """Lock the item × location position, making it if missing, and take `quantity` worth `value` in,
    in one statement; the position after it (id, quantity, value, last_rate). The caller takes
    positions in the global lock order, or has locked them all first (lock_position_rows)."""
    _check_inbound(kind, quantity, value)
    fresh = take_in(Position(), quantity, value)
    row = connection.execute(_upsert_statement(connection.dialect.name, _POSITIONS, ("item_id", "location_id"),
                                               _taken_in, _TAKEN_IN), {
        "school_id": school_id, "item_id": item_id, "location_id": location_id, "quantity": fresh.quantity,
        "value": fresh.value, "last_rate": fresh.rate, "updated_at": now}).one()
    position = Record(**row._mapping)
    if not position.rate_exact:
        position.last_rate = Position(position.quantity, position.value).rate
        connection.execute(_STORE_POSITION, {"position_id": position.id, "quantity": position.quantity,
                                             "value": position.value, "last_rate": position.last_rate,
                                             "updated_at": now})
    return position


def receive_taken_in(connection: Connection, position: Record, lot, kind: str, quantity: Decimal, value: Decimal,
                     source: Source) -> Record:
    """The rest of an inbound movement whose position `take_in_position` moved: its lot balance and
    its ledger row, with `position` as the balance after it."""
    _, lot_balance = _add_to_lot(connection, position, lot, quantity, source)
    return _append_movement(connection, position, lot, lot_balance, position.quantity, position.value,
                            position.last_rate, kind, quantity, value, source)


def post_inbound(session: Session, valuation: StockValuation, lot, kind: str, quantity: Decimal,
                 value: Decimal, source: Source) -> Record:
    """Bring `quantity` of a lot in at `value`; `valuation` must be locked by `lock_positions`."""
    _check_inbound(kind, quantity, value)
    connection = session.connection()
    balance_id, lot_balance = _add_to_lot(connection, valuation, lot, quantity, source)
    movement = _record(connection, valuation, lot, lot_balance, take_in(_position(valuation), quantity, value), kind,
                       quantity, value, source)
    loaded = session.identity_map.get(identity_key(StockBalance, balance_id))
    if loaded is not None:  # a balance the caller locked and holds (a stocktake's) must not go stale
        set_committed_value(loaded, "quantity", movement.lot_balance)
        set_committed_value(loaded, "updated_at", source.occurred_at)
    _follow(session, valuation, movement)
    return movement


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
    movement = _record(session.connection(), valuation, balance.lot, balance.quantity, position, kind, -quantity,
                       -value, source)
    _follow(session, valuation, movement)
    return movement

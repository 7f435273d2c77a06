"""The books of the three services agree: `python -m deploy.reconcile [--wait SECONDS]`.

An operator's audit, run after a load test, an outage or a restore. It reads every service's
database directly (no service reads another's tables; this check stands outside them all) and
reports, one line each:

* events: every outbox row is published, and each consumer of its type (shared.events.CATALOGUE)
  has its id in its inbox; an inbox row that no producer's outbox holds was never produced;
* stock: for every item × location × lot the ledger's movements sum to the balance row, and for
  every item × location to the valuation row's quantity and value;
* orders: for every purchase order line, what procurement counts as received and rejected equals
  the incoming inspections in inventory and the goods receipts on the portal; what procurement
  holds as invoiced equals the portal's invoices; and invoices not disputed claim no more than
  was accepted.

Events still on their way look like gaps, so `--wait` checks again until the books agree or the
time is up. The exit status is 0 when they agree, 1 otherwise.
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.inventory import SPEC as INVENTORY
from services.inventory import models as inventory
from services.procurement import SPEC as PROCUREMENT
from services.procurement import models as procurement
from services.supplier_portal import SPEC as SUPPLIER_PORTAL
from services.supplier_portal import models as portal
from shared.config import SERVICES, Settings
from shared.db import Database
from shared.events import CATALOGUE

ZERO = Decimal(0)
SPECS = {spec.name: spec for spec in (PROCUREMENT, INVENTORY, SUPPLIER_PORTAL)}


def event_problems(sessions: dict[str, Session]) -> list[str]:
    problems = []
    inboxes = {service: dict(sessions[service].execute(select(SPECS[service].inbox_model.event_id,
                                                              SPECS[service].inbox_model.type)).all())
               for service in SERVICES}
    produced: set[str] = set()
    for producer in SERVICES:
        outbox = SPECS[producer].outbox_model
        for event_id, event_type, published_at in sessions[producer].execute(
                select(outbox.id, outbox.type, outbox.published_at)):
            produced.add(event_id)
            if published_at is None:
                problems.append(f"event {event_id} ({event_type}) from {producer} is not published")
            for consumer in CATALOGUE[event_type][1]:
                if event_id not in inboxes[consumer]:
                    problems.append(f"event {event_id} ({event_type}) from {producer} is not applied by {consumer}")
    for consumer, inbox in inboxes.items():
        for event_id, event_type in inbox.items():
            if event_id not in produced:
                problems.append(f"{consumer} applied event {event_id} ({event_type}) that no outbox holds")
    return problems


def _sums(session: Session, key_columns: tuple, value_columns: tuple) -> dict[tuple, tuple]:
    query = select(*key_columns, *(func.sum(column) for column in value_columns)).group_by(*key_columns)
    width = len(key_columns)
    return {tuple(row[:width]): tuple(row[width:]) for row in session.execute(query)}


def _compare(problems: list[str], what: str, left_name: str, left: dict, right_name: str, right: dict) -> None:
    """Report every key whose figures differ (a missing key counts as zeros)."""
    for key in sorted(set(left) | set(right)):
        width = len(left.get(key) or right.get(key))
        a, b = left.get(key, (ZERO,) * width), right.get(key, (ZERO,) * width)
        if tuple(x or ZERO for x in a) != tuple(y or ZERO for y in b):
            problems.append(f"{what} {key}: {left_name} {_figures(a)} ≠ {right_name} {_figures(b)}")


def _figures(values: Iterable) -> str:
    return "/".join(str(ZERO if value is None else value) for value in values)


def stock_problems(session: Session) -> list[str]:
    problems: list[str] = []
    movement = inventory.StockMovement
    lot_key = (movement.item_id, movement.location_id, movement.lot_id)
    balance = inventory.StockBalance
    _compare(problems, "stock of item × location × lot", "ledger", _sums(session, lot_key, (movement.quantity,)),
             "balance", {(row.item_id, row.location_id, row.lot_id): (row.quantity,)
                         for row in session.execute(select(balance.item_id, balance.location_id, balance.lot_id,
                                                           balance.quantity))})
    valuation = inventory.StockValuation
    _compare(problems, "stock of item × location", "ledger",
             _sums(session, (movement.item_id, movement.location_id), (movement.quantity, movement.value)),
             "valuation", {(row.item_id, row.location_id): (row.quantity, row.value)
                           for row in session.execute(select(valuation.item_id, valuation.location_id,
                                                             valuation.quantity, valuation.value))})
    return problems


def order_problems(sessions: dict[str, Session]) -> list[str]:
    problems: list[str] = []
    line = procurement.PurchaseOrderLine
    received = {(row.id,): (row.received_quantity, row.rejected_quantity)
                for row in sessions["procurement"].execute(select(line.id, line.received_quantity,
                                                                  line.rejected_quantity))}
    inspected_line = inventory.InspectionLine
    inspected = _sums(sessions["inventory"], (inspected_line.po_line_id,),
                      (inspected_line.accepted_quantity, inspected_line.rejected_quantity))
    receipt_line = portal.GoodsReceiptLine
    shown = _sums(sessions["supplier_portal"], (receipt_line.po_line_id,),
                  (receipt_line.accepted_quantity, receipt_line.rejected_quantity))
    # Lines never received are absent from the inspections: only received lines are compared.
    received = {key: figures for key, figures in received.items() if any(figures) or key in inspected}
    _compare(problems, "accepted/rejected of PO line", "procurement", received, "inventory inspections", inspected)
    _compare(problems, "accepted/rejected of PO line", "inventory inspections", inspected, "portal receipts", shown)

    invoice_line = procurement.InvoiceLine
    matched = _sums(sessions["procurement"], (invoice_line.po_line_id,), (invoice_line.quantity,))
    portal_line = portal.InvoiceLine
    invoiced = _sums(sessions["supplier_portal"], (portal_line.po_line_id,), (portal_line.quantity,))
    _compare(problems, "invoiced quantity of PO line", "procurement", matched, "portal", invoiced)
    claimed = defaultdict(lambda: ZERO)
    for po_line_id, quantity in sessions["supplier_portal"].execute(
            select(portal_line.po_line_id, portal_line.quantity).join(portal.Invoice)
            .where(portal.Invoice.status != "disputed")):
        claimed[po_line_id] += quantity
    for po_line_id, quantity in sorted(claimed.items()):
        accepted = inspected.get((po_line_id,), (ZERO, ZERO))[0] or ZERO
        if quantity > accepted:
            problems.append(f"PO line {po_line_id} is invoiced {quantity} but only {accepted} was accepted")
    return problems


def problems_in(databases: dict[str, Database]) -> list[str]:
    """Every disagreement between the services' books, read in one read-only unit of work each."""
    units = {service: databases[service].unit_of_work(read_only=True) for service in SERVICES}
    try:
        sessions = {service: unit.__enter__().session for service, unit in units.items()}
        return event_problems(sessions) + stock_problems(sessions["inventory"]) + order_problems(sessions)
    finally:
        for unit in units.values():
            if unit.session is not None:
                unit.__exit__(None, None, None)


def reconcile(databases: dict[str, Database], wait: float = 0.0, interval: float = 1.0) -> list[str]:
    """The disagreements left once the books agree or `wait` seconds have passed."""
    deadline = time.monotonic() + wait
    while True:
        problems = problems_in(databases)
        if not problems or time.monotonic() >= deadline:
            return problems
        time.sleep(interval)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wait", type=float, default=0.0,
                        help="seconds to keep checking while events are still on their way (default 0)")
    arguments = parser.parse_args(argv)
    settings = Settings.from_env()
    databases = {service: Database(service, settings.database_url(service)) for service in SERVICES}
    try:
        problems = reconcile(databases, wait=arguments.wait)
    finally:
        for database in databases.values():
            database.dispose()
    for problem in problems[:200]:
        print(problem)
    if len(problems) > 200:
        print(f"... and {len(problems) - 200} more")
    print(f"reconciliation: {'OK' if not problems else f'{len(problems)} problems'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

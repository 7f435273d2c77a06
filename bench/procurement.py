"""Procurement bench: create-and-send purchase orders, and consolidation of 10,000 requisition lines.

Everything runs in this process through procurement's real Flask app and its test client (auth,
schemas, the unit of work), on a temporary SQLite file (WAL) migrated with shared.migrations.upgrade,
like bench/inventory.py.

* Orders: what a procurement officer does for a small purchase, through the API: `POST
  /api/purchase-orders` (one line, under the approval threshold), `POST .../submit` (no approver
  needed: approved at once) and `POST .../send` (`po.sent` into the outbox), three requests per
  order, each with the ETag of the previous answer as If-Match. Against the bare insert of
  bench.baseline_app (`POST /rows`), taking turns in slices; the ratio is orders/s ÷ inserts/s
  (goal ≥ 0.5), and requests/s ÷ inserts/s is shown beside it. A third side sends the same order
  in one request (`"send": true`: created, approved under the rules and sent), also ÷ inserts/s.
  The relay is not running: the outbox rows stay pending (the after-commit publish is off the
  request thread, bench/runner.py measures it).
* Consolidation: 10,000 approved requisition lines (500 requisitions of 20 lines, 5 demand points,
  60 items, needs spread over four weeks) merged into one plan by `consolidation.consolidate` in a
  unit of work (flushed, then rolled back so the same rows serve every round), against the same
  writes in raw SQL on one connection, also rolled back: the plan, its lines by `INSERT ... SELECT
  ... GROUP BY` item and weekly window, the 10,000 sources by `INSERT ... SELECT`, the audit rows and
  the `UPDATE` of the 500 requisitions (BASELINE_SQL). The two take turns; medians; goal ≤ 2×.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import statistics
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from flask import Flask, request
from sqlalchemy import create_engine, select, text

from bench.turns import rates_in_turns
from services.procurement import SPEC, create_app
from services.procurement.accounts import create_staff_user
from services.procurement.cli import seed_catalogue
from services.procurement.consolidation import consolidate
from services.procurement.demand import ensure_demand_points
from services.procurement.models import ApprovedSupplier, Item, School
from services.procurement.pricing import check_for
from shared.auth import Principal, issue_token
from shared.config import Settings
from shared.migrations import upgrade

SECRET = "bench-procurement-secret-0123456789abcdef"
SUPPLIER_ID = 7
REQUISITIONS, LINES_PER_REQUISITION, ITEMS = 500, 20, 60
WINDOW_DAYS, SPAN_DAYS = 7, 28

# The same work as consolidate() in raw SQL on one connection (SQLite), the equivalent of the suite's
# side rather than a read: the plan, its lines grouped by item and weekly window, one source row per
# requisition line, the audit rows and the state of the requisitions that have no line left outside a
# plan. The bench rolls it back like the suite's side.
WINDOW_START_SQL = "date(:start, printf('+%d days', CAST(julianday(rl.needed_by) - julianday(:start) AS INTEGER)" \
                   " / :window * :window))"
PENDING_SQL = """
FROM requisition_lines rl
JOIN requisitions r ON r.id = rl.requisition_id
{join}
WHERE r.school_id = :school AND r.state = 'approved' AND rl.needed_by >= :start AND rl.needed_by <= :end
  AND NOT EXISTS (SELECT 1 FROM plan_line_sources s WHERE s.requisition_line_id = rl.id)"""
CLOSED_SQL = """
FROM requisitions r
WHERE r.id IN (SELECT rl.requisition_id FROM plan_line_sources s JOIN plan_lines pl ON pl.id = s.plan_line_id
               JOIN requisition_lines rl ON rl.id = s.requisition_line_id WHERE pl.plan_id = :plan)
  AND NOT EXISTS (SELECT 1 FROM requisition_lines rl WHERE rl.requisition_id = r.id
                  AND NOT EXISTS (SELECT 1 FROM plan_line_sources s WHERE s.requisition_line_id = rl.id))"""
BASELINE_SQL = [
    "INSERT INTO plan_lines (school_id, plan_id, item_id, window_start, delivery_date, quantity)"
    f" SELECT :school, :plan, rl.item_id, {WINDOW_START_SQL}, MIN(rl.needed_by), SUM(rl.quantity)"
    + PENDING_SQL.format(join="") + f" GROUP BY rl.item_id, {WINDOW_START_SQL}",
    "INSERT INTO plan_line_sources (plan_line_id, requisition_line_id, demand_point_id, quantity)"
    " SELECT pl.id, rl.id, r.demand_point_id, rl.quantity"
    + PENDING_SQL.format(join="JOIN plan_lines pl ON pl.plan_id = :plan AND pl.item_id = rl.item_id"
                              f" AND pl.window_start = {WINDOW_START_SQL}"),
    "INSERT INTO audit_trail (document_type, document_id, action, from_state, to_state, actor, reason, at)"
    " SELECT 'requisition', r.id, 'consolidate', r.state, 'consolidated', 'bench', 'purchase plan ' || :plan,"
    " '2026-11-26 00:00:00.000000'" + CLOSED_SQL,
    f"UPDATE requisitions SET state = 'consolidated', version = version + 1 WHERE id IN (SELECT r.id {CLOSED_SQL})",
]


def build(path: Path, start: date):
    """A migrated procurement database: the demo catalogue, an approved supplier, an officer, and
    10,000 approved requisition lines."""
    url = f"sqlite:///{path}"
    upgrade(SPEC.migrations_dir, url)
    database = SPEC.open_database(Settings(), url=url)
    with database.unit_of_work() as uow:
        session = uow.session
        school = School(name="基准测试学校", timezone="Asia/Shanghai")
        session.add(school)
        session.flush()
        points = ensure_demand_points(session, school.id)
        officer = create_staff_user(session, school.id, "bench-officer", "采购员", "bench password",
                                    ["procurement_officer"])
        seed_catalogue(session, Principal("seed", frozenset({"admin"}), school_id=school.id), date(start.year, 1, 1))
        approve_supplier(session)
        uow.commit()
        school_id, officer_id = school.id, officer.id
        point_ids = [point.id for point in points]
    with database.unit_of_work() as uow:
        items = list(uow.session.scalars(text("SELECT id FROM items ORDER BY id")))[:ITEMS]
    with database.engine.begin() as connection:
        raw = connection.connection.driver_connection
        raw.executemany(
            "INSERT INTO requisitions (id, school_id, demand_point_id, state, source, note, created_by, created_at,"
            " version) VALUES (?, ?, ?, 'approved', 'manual', '', 'bench', '2026-11-01 00:00:00.000000', 1)",
            [(r, school_id, point_ids[r % len(point_ids)]) for r in range(1, REQUISITIONS + 1)])
        raw.executemany(
            "INSERT INTO requisition_lines (school_id, requisition_id, item_id, entered_quantity, entered_unit,"
            " quantity, needed_by) VALUES (?, ?, ?, ?, 'kg', ?, ?)",
            [(school_id, r, items[(r * 7 + n) % len(items)], 12500, 12500,
              (start + timedelta(days=(r + n) % SPAN_DAYS)).isoformat())
             for r in range(1, REQUISITIONS + 1) for n in range(LINES_PER_REQUISITION)])
    with database.engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
    return database, school_id, officer_id


def raw_sql_order_app(path: Path, through_sqlalchemy: bool = False):
    """A bare Flask endpoint doing what a one-request order does in SQL, by hand: the same reads and
    writes as the suite's statements (same SQL shapes and stored values) on one connection, with no
    schemas, auth, ORM, price arithmetic or audit rules: the floor under `"send": true`. On sqlite3
    itself, or `through_sqlalchemy` (the same SQL strings through SQLAlchemy's execution layer,
    `exec_driver_sql`, without its expression language or ORM)."""
    if through_sqlalchemy:
        connection = create_engine(f"sqlite:///{path}").connect().execution_options(isolation_level="AUTOCOMMIT")
        run, run_many = connection.exec_driver_sql, connection.exec_driver_sql
    else:
        connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        run, run_many = connection.execute, connection.executemany
    run("PRAGMA journal_mode=WAL")
    run("PRAGMA synchronous=NORMAL")
    app = Flask("raw_sql_order")

    @app.post("/orders")
    def order():
        data = request.get_json(force=True)
        line = data["lines"][0]
        today = date.today().isoformat()
        now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
        run("BEGIN IMMEDIATE")
        item = run("SELECT id, code, name_zh, specification, category, base_unit FROM items"
                   " WHERE id IN (?) AND school_id = ?", (line["item_id"], 1)).fetchone()
        point = run("SELECT id, code FROM demand_points WHERE school_id = ? AND code IN (?)",
                    (1, line["destination"])).fetchone()
        run("SELECT price FROM reference_prices WHERE item_id IN (?) AND effective_from <= ?"
            " ORDER BY item_id, effective_from DESC, price, id", (item[0], today)).fetchall()
        run("SELECT kind, rate FROM price_rules WHERE school_id = ? AND category IN (?)"
            " AND (item_id IN (?) OR item_id IS NULL)", (1, item[4], item[0])).fetchall()
        supplier = run("SELECT name FROM approved_suppliers WHERE supplier_id = ?", (data["supplier_id"],)).fetchone()
        last = run("UPDATE document_counters SET last = last + ? WHERE school_id = ? AND kind = ? AND year = ?"
                   " RETURNING last", (1, 1, "PO", date.today().year)).fetchone()[0]
        run("SELECT above_amount, approvers FROM approval_rules WHERE school_id = ? ORDER BY above_amount",
            (1,)).fetchall()
        quantity, price = Decimal(line["quantity"]), Decimal(line["unit_price"])
        fen, milli = int(quantity * price * 100), int(quantity * 1000)
        number = f"PO-{date.today().year}-{last:06d}"
        order_id = run("INSERT INTO purchase_orders (school_id, number, supplier_id, supplier_name, plan_id,"
                       " agreement_id, state, total, approvals_required, revision, note, price_override_reason,"
                       " created_by, created_at, sent_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                       " ?, ?, ?)", (1, number, data["supplier_id"], supplier[0], None, None, "sent", fen, 0, 1, "",
                                     None, "bench", now, now, 4)).lastrowid
        line_id = run("INSERT INTO purchase_order_lines (school_id, order_id, line_no, item_id, quantity, unit,"
                      " base_quantity, unit_price, amount, demand_point_id, delivery_date, plan_line_id, price_limit,"
                      " above_price_limit, received_quantity, rejected_quantity) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?,"
                      " ?, ?, ?, ?, ?, ?, ?)", (1, order_id, 1, item[0], milli, line["unit"], milli,
                                                 int(price * 100), fen, point[0], line["delivery_date"], None,
                                                 int(price * 100), 0, 0, 0)).lastrowid
        run_many(
            "INSERT INTO audit_trail (document_type, document_id, action, from_state, to_state, actor, reason, at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [("purchase_order", order_id, action, before, after, "bench", None, now)
             for action, before, after in (("submit", "draft", "pending_approval"),
                                           ("approve", "pending_approval", "approved"), ("send", "approved", "sent"))])
        payload = {"po_id": order_id, "school_id": 1, "number": number, "revision": 1,
                   "supplier_id": data["supplier_id"], "total": str(quantity * price), "sent_at": now,
                   "lines": [{"po_line_id": line_id, "item_id": item[0], "item_code": item[1], "item_name": item[2],
                              "specification": item[3], "category": item[4], "unit": item[5],
                              "quantity": line["quantity"], "unit_price": line["unit_price"],
                              "delivery_date": line["delivery_date"], "destination": point[1]}]}
        run("INSERT INTO outbox (id, type, version, occurred_at, producer, correlation_id, payload, attempts)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (str(uuid.uuid4()), "po.sent", 1, now, "procurement", None,
                                                  json.dumps(payload), 0))
        run("COMMIT")
        return {"id": order_id, "number": number, "state": "sent", "total": str(quantity * price)}, 201

    return app


def approve_supplier(session) -> None:
    """The supplier every bench order goes to, as the portal's supplier.approved event leaves it."""
    session.add(ApprovedSupplier(supplier_id=SUPPLIER_ID, name="基准蔬菜公司", status="approved",
                                 categories=["bulk_grain_oil", "vegetables", "meat_eggs", "coal", "store_goods"]))


def priced_vegetables(session, school_id: int) -> list[tuple[int, str, str]]:
    """(item id, base unit, price) of each vegetable at its price rule's limit: ordered without an override."""
    items = []
    for item in session.scalars(select(Item).where(Item.school_id == school_id,
                                                   Item.category == "vegetables").order_by(Item.id)):
        check = check_for(session, item, date.today())
        items.append((item.id, item.base_unit, str(check.limit if check else "1.00")))
    return items


def order_body(items: list[tuple[int, str, str]], sequence: int) -> dict:
    """A one-line order of 20 base units for dining hall 1, delivered in three days."""
    item_id, unit, price = items[sequence % len(items)]
    return {"supplier_id": SUPPLIER_ID, "lines": [{
        "item_id": item_id, "quantity": "20", "unit": unit, "unit_price": price, "destination": "DH1",
        "delivery_date": (date.today() + timedelta(days=3)).isoformat()}]}


def order_throughput(database, school_id: int, officer_id: int, baseline_dir: Path, seconds: float,
                     rounds: int) -> dict:
    """Orders created, submitted and sent per second, and bare inserts per second, in alternating slices."""
    os.environ["BASELINE_DATABASE"] = str(baseline_dir / "baseline.db")
    from bench.baseline_app import create_app as create_baseline

    app = create_app(Settings(secret_key=SECRET), database)
    app.testing = True
    suite = app.test_client()
    token = issue_token(Principal(str(officer_id), frozenset({"procurement_officer"}), school_id=school_id),
                        SECRET, 3600)
    headers = {"Authorization": f"Bearer {token}"}
    with database.unit_of_work() as uow:
        items = priced_vegetables(uow.session, school_id)
    baseline = create_baseline().test_client()
    counter = iter(range(10**9))

    def body():
        return order_body(items, next(counter))

    def order():
        created = suite.post("/api/purchase-orders", headers=headers, json=body())
        assert created.status_code == 201, created.get_data(as_text=True)
        path = f"/api/purchase-orders/{created.json['id']}"
        submitted = suite.post(f"{path}/submit", headers={**headers, "If-Match": created.headers["ETag"]})
        assert submitted.status_code == 200 and submitted.json["state"] == "approved", submitted.json
        sent = suite.post(f"{path}/send", headers={**headers, "If-Match": submitted.headers["ETag"]})
        assert sent.status_code == 200 and sent.json["state"] == "sent", sent.json

    def order_at_once():
        sent = suite.post("/api/purchase-orders", headers=headers, json={**body(), "send": True})
        assert sent.status_code == 201 and sent.json["state"] == "sent", sent.get_data(as_text=True)

    def insert():
        response = baseline.post("/rows", json={"company_name": "某某蔬菜公司", "contact_email": "a@b.cn",
                                                "categories": ["vegetables"]})
        assert response.status_code == 201

    by_hand = {side: raw_sql_order_app(Path(database.engine.url.database), side == "sqlalchemy_sql").test_client()
               for side in ("raw_sql", "sqlalchemy_sql")}

    def by_hand_order(side: str):
        def call():
            response = by_hand[side].post("/orders", json=body())
            assert response.status_code == 201, response.get_data(as_text=True)
        return call

    sides = {"orders": order, "one_request": order_at_once, "inserts": insert,
             "raw_sql": by_hand_order("raw_sql"), "sqlalchemy_sql": by_hand_order("sqlalchemy_sql")}
    for call in sides.values():
        for _ in range(10):
            call()  # warm-up
    rates, counts = rates_in_turns(sides, seconds, rounds)
    return {"orders_per_s": rates["orders"], "one_request_per_s": rates["one_request"],
            "inserts_per_s": rates["inserts"], "requests": counts,
            "ratio": rates["orders"] / rates["inserts"], "request_ratio": 3 * rates["orders"] / rates["inserts"],
            "one_request_ratio": rates["one_request"] / rates["inserts"], "raw_sql_per_s": rates["raw_sql"],
            "raw_sql_ratio": rates["raw_sql"] / rates["inserts"],
            "one_request_to_raw_sql": rates["one_request"] / rates["raw_sql"],
            "sqlalchemy_sql_per_s": rates["sqlalchemy_sql"],
            "sqlalchemy_sql_ratio": rates["sqlalchemy_sql"] / rates["inserts"]}


def consolidation_timing(database, school_id: int, start: date, repeats: int) -> dict:
    """Median seconds of consolidate() and of the same writes in raw SQL, both rolled back, taking turns."""
    end = start + timedelta(days=SPAN_DAYS - 1)
    officer = Principal("bench", frozenset({"procurement_officer"}), school_id=school_id)
    samples: dict = {"consolidate": [], "sql": []}
    plan_lines = 0
    for attempt in range(repeats + 1):  # the first round warms caches
        with database.unit_of_work() as uow:
            started = time.perf_counter()
            plan = consolidate(uow.session, officer, start, end, WINDOW_DAYS)
            uow.session.flush()
            elapsed = time.perf_counter() - started
            plan_lines = len(plan.lines)
            sources = sum(len(line.sources) for line in plan.lines)
        assert sources == REQUISITIONS * LINES_PER_REQUISITION, sources
        if attempt:
            samples["consolidate"].append(elapsed)
        with database.engine.connect() as connection, connection.begin() as transaction:
            started = time.perf_counter()
            params = {"start": start.isoformat(), "end": end.isoformat(), "window": WINDOW_DAYS, "school": school_id}
            params["plan"] = connection.exec_driver_sql(
                "INSERT INTO purchase_plans (school_id, window_start, window_end, window_days, created_by, created_at)"
                " VALUES (:school, :start, :end, :window, 'bench', '2026-11-26 00:00:00.000000') RETURNING id",
                params).scalar_one()
            written = [connection.exec_driver_sql(statement, params).rowcount for statement in BASELINE_SQL]
            elapsed = time.perf_counter() - started
            transaction.rollback()
        assert written[1] == REQUISITIONS * LINES_PER_REQUISITION, written
        assert written[0] == plan_lines and written[2] == written[3] == REQUISITIONS, (written, plan_lines)
        if attempt:
            samples["sql"].append(elapsed)
    medians = {side: statistics.median(values) for side, values in samples.items()}
    return {"lines": REQUISITIONS * LINES_PER_REQUISITION, "plan_lines": plan_lines,
            "consolidate_s": medians["consolidate"], "sql_s": medians["sql"],
            "ratio": medians["consolidate"] / medians["sql"]}


def run(quick: bool = False, parts: tuple[str, ...] = ("po", "consolidation")) -> dict:
    seconds, repeats = (2.0, 3) if quick else (6.0, 7)
    start = date.today() + timedelta(days=7)
    work = Path(tempfile.mkdtemp(prefix="canteen-bench-procurement-"))
    results: dict = {}
    try:
        database, school_id, officer_id = build(work / "procurement.db", start)
        if "consolidation" in parts:
            results["consolidation"] = consolidation_timing(database, school_id, start, repeats)
        if "po" in parts:
            results["orders"] = order_throughput(database, school_id, officer_id, work, seconds, 3)
        database.engine.dispose()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return results


def render(results: dict) -> str:
    lines = []
    if "orders" in results:
        orders = results["orders"]
        lines += ["Purchase orders in-process: create + submit + send (3 requests) vs bench.baseline_app POST /rows",
                  f"orders/s {orders['orders_per_s']:.1f} ({orders['requests']['orders']} sent), "
                  f"bare inserts/s {orders['inserts_per_s']:.1f} ({orders['requests']['inserts']}), "
                  f"ratio {orders['ratio']:.2f}x (requests/s ÷ inserts/s {orders['request_ratio']:.2f}x)",
                  "The same order in one request: POST /api/purchase-orders with \"send\": true",
                  f"orders/s {orders['one_request_per_s']:.1f} ({orders['requests']['one_request']} sent), "
                  f"ratio {orders['one_request_ratio']:.2f}x",
                  "The same reads and writes by hand: raw SQL on sqlite3 behind a bare Flask endpoint",
                  f"orders/s {orders['raw_sql_per_s']:.1f} ({orders['requests']['raw_sql']} sent), "
                  f"ratio to the bare insert {orders['raw_sql_ratio']:.2f}x; "
                  f"the suite's one request ÷ raw SQL {orders['one_request_to_raw_sql']:.2f}x",
                  "The same SQL strings through SQLAlchemy's execution layer (exec_driver_sql), bare Flask",
                  f"orders/s {orders['sqlalchemy_sql_per_s']:.1f} ({orders['requests']['sqlalchemy_sql']} sent), "
                  f"ratio to the bare insert {orders['sqlalchemy_sql_ratio']:.2f}x"]
    if "consolidation" in results:
        c = results["consolidation"]
        lines += [f"Consolidation of {c['lines']:,} approved requisition lines into "
                  f"{c['plan_lines']} plan lines vs the same writes in raw SQL (INSERT ... SELECT), medians",
                  f"consolidate {c['consolidate_s'] * 1000:.0f} ms, raw SQL {c['sql_s'] * 1000:.1f} ms, "
                  f"ratio {c['ratio']:.2f}x"]
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(run()))

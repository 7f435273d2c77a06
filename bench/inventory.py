"""Inventory bench: on-hand and valuation reads against the ledger's size, and goods-receipt throughput.

Everything runs in this process, through inventory's real Flask app and its test client (auth,
schemas, the unit of work), on temporary SQLite files migrated with shared.migrations.upgrade.

* Reads: the same 100 items × 5 locations × 2 lots (1,000 balance rows) with 10k and with 1M
  ledger rows. The ledger is written with one `INSERT ... SELECT` over a recursive sequence (its
  running balances by window functions), and the balance rows are the ledger's sums, so the two
  databases differ only in the ledger's length. `GET /api/stock`, `GET /api/valuation` and a
  one-item `GET /api/stock?location_id=&item_id=` are timed (median of N calls, the two sizes
  taking turns call by call); the goal is
  1M ≤ 1.2 × 10k, which holds only if the reads never touch the ledger.
* Writes: `POST /api/receipts` (one line, a new lot each time) against the bare insert of
  bench.baseline_app (`POST /rows`: one row, one commit), both in-process on SQLite in WAL,
  taking turns in slices; the ratio is receipts/s ÷ inserts/s (goal ≥ 0.5).
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import event

from bench.turns import rates_in_turns
from services.inventory import SPEC, create_app
from services.inventory.items import upsert_items
from services.inventory.locations import ensure_standard_locations
from shared.auth import Principal, issue_token
from shared.config import Settings
from shared.migrations import upgrade

SCHOOL_ID = 1
ITEMS = 100
LOTS_PER_ITEM = 2
SECRET = "bench-inventory-secret-0123456789abcdef"
# the fixed point in time every generated row carries (SQLAlchemy's SQLite DateTime text)
OCCURRED_AT = "2026-11-01 00:00:00.000000"
READS = {
    "on hand, whole school: GET /api/stock": "/api/stock",
    "valuation report: GET /api/valuation": "/api/valuation",
    "on hand, one item at one location": "/api/stock?location_id=1&item_id=1",
}

LEDGER_SQL = """
INSERT INTO stock_movements (school_id, item_id, location_id, lot_id, kind, quantity, value, lot_balance,
                             balance_quantity, balance_value, valuation_rate, actor, occurred_at, source_type,
                             source_id)
WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n + 1 < :rows),
     g AS (SELECT n, (n % :items) + 1 AS item_id, ((n / :items) % :locations) + 1 AS location_id,
                  (n / (:items * :locations)) % :lots AS lot_index FROM seq)
SELECT :school, item_id, location_id, (item_id - 1) * :lots + lot_index + 1, 'receipt', 1000, 100,
       1000 * ROW_NUMBER() OVER (PARTITION BY item_id, location_id, lot_index ORDER BY n),
       1000 * ROW_NUMBER() OVER (PARTITION BY item_id, location_id ORDER BY n),
       100 * ROW_NUMBER() OVER (PARTITION BY item_id, location_id ORDER BY n),
       1000000, 'bench', :at, 'receipt', n + 1
FROM g ORDER BY n
"""


def item_record(index: int) -> dict:
    return {"id": index, "code": f"ITEM-{index:04d}", "name": f"物品{index}", "category": "vegetables",
            "base_unit": "kg", "shelf_life_days": 365}


def build(path: Path, ledger_rows: int) -> tuple:
    """A migrated inventory database with `ledger_rows` receipts (1 kg at ¥1 each) and their balances."""
    url = f"sqlite:///{path}"
    upgrade(SPEC.migrations_dir, url)
    database = SPEC.open_database(Settings(), url=url)
    with database.unit_of_work() as uow:
        locations = ensure_standard_locations(uow.session, SCHOOL_ID)
        assert [location.id for location in locations] == [1, 2, 3, 4, 5]
        upsert_items(uow.session, SCHOOL_ID, [item_record(index) for index in range(1, ITEMS + 1)])
        uow.commit()
    started = time.perf_counter()
    with database.engine.begin() as connection:
        raw = connection.connection.driver_connection
        raw.executemany(
            "INSERT INTO lots (id, school_id, item_id, lot_number, production_date, expiry_date, supplier_id,"
            " received_at) VALUES (?, ?, ?, ?, ?, ?, 7, ?)",
            [((item - 1) * LOTS_PER_ITEM + lot + 1, SCHOOL_ID, item, f"L{item}-{lot}", "2026-10-01",
              f"2027-0{lot + 1}-01", OCCURRED_AT) for item in range(1, ITEMS + 1) for lot in range(LOTS_PER_ITEM)])
        raw.execute(LEDGER_SQL, {"rows": ledger_rows, "items": ITEMS, "locations": 5, "lots": LOTS_PER_ITEM,
                                 "school": SCHOOL_ID, "at": OCCURRED_AT})
        # the balance rows are the ledger's sums, as the posting code keeps them
        raw.execute("INSERT INTO stock_valuations (school_id, item_id, location_id, quantity, value, last_rate,"
                    " updated_at) SELECT school_id, item_id, location_id, SUM(quantity), SUM(value), 1000000, ?"
                    " FROM stock_movements GROUP BY school_id, item_id, location_id", (OCCURRED_AT,))
        raw.execute("INSERT INTO stock_balances (school_id, item_id, location_id, lot_id, quantity, updated_at)"
                    " SELECT school_id, item_id, location_id, lot_id, SUM(quantity), ? FROM stock_movements"
                    " GROUP BY school_id, item_id, location_id, lot_id", (OCCURRED_AT,))
    with database.engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
        count = connection.exec_driver_sql("SELECT COUNT(*) FROM stock_movements").scalar()
    assert count == ledger_rows, count
    return database, time.perf_counter() - started


def client_for(database):
    app = create_app(Settings(secret_key=SECRET), database)
    app.testing = True
    token = issue_token(Principal("1", frozenset({"storekeeper"}), school_id=SCHOOL_ID), SECRET, 3600)
    return app.test_client(), {"Authorization": f"Bearer {token}"}


def time_reads(databases: dict, repeats: int) -> dict:
    """Median ms per read and ledger size; the sizes take turns call by call, so a busy moment of
    the machine lands on both alike."""
    clients = {size: client_for(database) for size, database in databases.items()}
    timings: dict = {size: {} for size in databases}
    for name, path in READS.items():
        samples: dict = {size: [] for size in databases}
        for attempt in range(repeats + 3):  # the first 3 rounds warm caches and connections
            for size, (client, headers) in clients.items():
                started = time.perf_counter()
                response = client.get(path, headers=headers)
                elapsed = time.perf_counter() - started
                assert response.status_code == 200, response.get_data(as_text=True)
                if attempt >= 3:
                    samples[size].append(elapsed)
        for size in databases:
            timings[size][name] = {"median_ms": statistics.median(samples[size]) * 1000,
                                   "rows": len(_rows(response.json))}
    return timings


def _rows(body) -> list:
    return body["lines"] if isinstance(body, dict) else body


def receipt_throughput(database, baseline_dir: Path, seconds: float, rounds: int) -> dict:
    """Receipts/s and bare inserts/s, measured in alternating slices; returns both and the ratio."""
    os.environ["BASELINE_DATABASE"] = str(baseline_dir / "baseline.db")
    from bench.baseline_app import create_app as create_baseline

    suite, headers = client_for(database)
    baseline = create_baseline().test_client()
    counter = iter(range(1, 10**9))
    today = date.today().isoformat()

    def receipt():
        number = next(counter)
        response = suite.post("/api/receipts", headers=headers, json={
            "location_id": 4, "supplier_id": 7, "delivery_reference": f"DN-{number}",
            "lines": [{"item_id": number % ITEMS + 1, "quantity": "12.500", "unit_price": "4.20",
                       "lot_number": f"B-{number}", "production_date": today}]})
        assert response.status_code == 201, response.get_data(as_text=True)

    def insert():
        response = baseline.post("/rows", json={"company_name": "某某蔬菜公司", "contact_email": "a@b.cn",
                                                "categories": ["vegetables"]})
        assert response.status_code == 201

    for call in (receipt, insert):
        for _ in range(20):
            call()  # warm-up
    statements = []

    def count(_connection, _cursor, statement, *_):
        statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", count)
    for _ in range(10):
        receipt()
    event.remove(database.engine, "before_cursor_execute", count)
    cpu: dict = {}
    rates, counts = rates_in_turns({"receipts": receipt, "inserts": insert}, seconds, rounds, cpu)
    return {"receipts_per_s": rates["receipts"], "inserts_per_s": rates["inserts"], "requests": counts,
            "ratio": rates["receipts"] / rates["inserts"], "statements_per_receipt": len(statements) / 10,
            "cpu_ms": {side: seconds * 1000 for side, seconds in cpu.items()}}


def run(quick: bool = False, reads: bool = True) -> dict:
    """The reads at both ledger sizes and the goods receipts; `reads=False`: the receipts alone (10k ledger)."""
    sizes = (10_000, 1_000_000) if reads else (10_000,)
    repeats, seconds = (10, 2.0) if quick else (25, 6.0)
    work = Path(tempfile.mkdtemp(prefix="canteen-bench-inventory-"))
    results: dict = {"build_seconds": {}}
    try:
        databases = {}
        for size in sizes:
            databases[size], results["build_seconds"][size] = build(work / f"inventory-{size}.db", size)
        if reads:
            results["reads"] = time_reads(databases, repeats)
            small, large = sizes
            results["ratios"] = {name: results["reads"][large][name]["median_ms"]
                                 / results["reads"][small][name]["median_ms"] for name in READS}
        results["receipts"] = receipt_throughput(databases[sizes[0]], work, seconds, 3)
        for database in databases.values():
            database.engine.dispose()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return results


def render(results: dict) -> str:
    small, large = 10_000, 1_000_000
    lines = []
    if "reads" in results:
        lines += ["Inventory reads: 1,000 balance rows, median of in-process GETs (test client), "
                  "ledger of 10k and 1M rows",
                  f"{'read':<42} {'rows':>5} {'10k ms':>8} {'1M ms':>8} {'1M/10k':>7}",
                  "-" * 74]
        for name in READS:
            a, b = results["reads"][small][name], results["reads"][large][name]
            lines.append(f"{name:<42} {a['rows']:>5} {a['median_ms']:>8.2f} {b['median_ms']:>8.2f} "
                         f"{results['ratios'][name]:>6.2f}x")
        build = results["build_seconds"]
        lines += [f"(ledger written in {build[small]:.1f} s for 10k rows, {build[large]:.1f} s for 1M rows)", ""]
    receipts = results["receipts"]
    cpu = receipts["cpu_ms"]
    lines += ["Goods receipt in-process: POST /api/receipts (one line) vs bench.baseline_app POST /rows",
              f"receipts/s {receipts['receipts_per_s']:.1f} ({receipts['requests']['receipts']} posted), "
              f"bare inserts/s {receipts['inserts_per_s']:.1f} ({receipts['requests']['inserts']}), "
              f"ratio {receipts['ratio']:.2f}x; {receipts['statements_per_receipt']:.0f} SQL statements per receipt "
              "before COMMIT (SQLAlchemy before_cursor_execute)",
              f"CPU ms per request (process time): receipt {cpu['receipts']:.3f}, bare insert {cpu['inserts']:.3f}, "
              f"ratio {cpu['inserts'] / cpu['receipts']:.2f}x"]
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(run()))

"""Export bench: a year of ledger issues (1M rows) exported as CSV and XLSX, against a bare baseline.

* The ledger is generated with one `INSERT ... SELECT` over a row sequence (a recursive CTE on
  SQLite, generate_series on PostgreSQL): issue movements to the three dining halls, one every
  31 s through 2026 (1M rows span 359 days), over 24 items and an issue document per hall and day.
* suite: the export job's own code (`costing.export_jobs.run_job`, what the worker task runs)
  writes the cost detail of the year, CSV and then XLSX, each in a fresh subprocess.
* baseline: in a fresh subprocess, the same rows by one raw SQL query (the same joins and
  filter, plain sqlite3 / psycopg cursor) written with `csv.writer`, the amounts converted from
  fen to yuan and nothing else.
* Each side's figure is its wall time and the peak RSS (`ru_maxrss` from `wait4`) of the process
  doing it; the ratio is suite ÷ baseline (goal ≤ 2×) and the memory goal is < 200 MB.

`python -m bench --only export` runs it; `python -m bench.exports export ...` is the subprocess
entry, also used by tests/e2e/test_year_export_memory.py.
"""
from __future__ import annotations

import argparse
import csv
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

# Only the standard library at the top: the baseline's process must not carry the suite's imports
# (its peak memory is one of the figures), so the suite's modules are imported where they are used.

REPO = Path(__file__).resolve().parent.parent
ZONE = "Asia/Shanghai"
YEAR = (date(2026, 1, 1), date(2026, 12, 31))
FIRST = datetime(2026, 1, 1, tzinfo=timezone.utc)
SECONDS_APART = 31
DAYS = 366
CATEGORIES = ("rice", "flour", "cooking_oil", "vegetables", "meat_eggs", "seasonings", "coal", "dairy")
ITEMS = 24
# every movement: 2.500 base units out at ¥4.200000 → ¥10.50, so the total is rows × 10.50
QUANTITY_THOUSANDTHS, RATE_MILLIONTHS, VALUE_FEN = 2500, 4_200_000, 1050

MOVEMENTS_SQL = """
INSERT INTO stock_movements (school_id, item_id, location_id, lot_id, kind, quantity, value, lot_balance,
                             balance_quantity, balance_value, valuation_rate, actor, occurred_at, source_type,
                             source_id)
{sequence}
SELECT :school, :first_item + n % :items, CASE n % 3 WHEN 0 THEN :hall0 WHEN 1 THEN :hall1 ELSE :hall2 END,
       :first_lot + n % :items, 'issue', -:quantity, -:value, 0, 0, 0, :rate, 'bench', {occurred_at}, 'issue',
       :first_issue + (n * :apart / 86400) * 3 + n % 3
FROM seq
"""
SEQUENCE = {
    "sqlite": "WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n + 1 < :rows)",
    "postgresql": "WITH seq(n) AS (SELECT generate_series(0, :rows - 1))",
}
# the text SQLAlchemy's SQLite DateTime writes (microseconds: %f gives milliseconds, then 000)
OCCURRED_AT = {
    "sqlite": "strftime('%Y-%m-%d %H:%M:%f', '2026-01-01', '+' || (n * :apart) || ' seconds') || '000'",
    "postgresql": "timestamptz '2026-01-01 00:00:00+00' + n * :apart * interval '1 second'",
}


def fill_ledger(database, school_id: int, rows: int, first_item: int) -> dict:
    """`rows` issue movements of `school_id` through 2026 (bulk SQL, not the posting code); returns its facts."""
    from sqlalchemy import text

    from services.inventory.items import upsert_items
    from services.inventory.locations import ensure_standard_locations
    from services.inventory.models import Issue, Lot
    with database.unit_of_work() as uow:
        halls = [location for location in ensure_standard_locations(uow.session, school_id)
                 if location.kind == "dining_hall"]
        upsert_items(uow.session, school_id, [
            {"id": first_item + index, "code": f"GEN-{first_item + index}", "name": f"生成物资{index}",
             "category": CATEGORIES[index % len(CATEGORIES)], "base_unit": "kg", "shelf_life_days": 365}
            for index in range(ITEMS)])
        lots = [Lot(school_id=school_id, item_id=first_item + index, lot_number=f"GEN-L{index}", supplier_id=31,
                    delivery_reference=f"DN-GEN-{index}", received_at=FIRST) for index in range(ITEMS)]
        issues = [Issue(school_id=school_id, location_id=halls[day_hall % 3].id,
                        meal_date=date.fromordinal(YEAR[0].toordinal() + day_hall // 3),
                        meal=("breakfast", "lunch", "dinner")[day_hall % 3], created_by="bench")
                  for day_hall in range(DAYS * 3)]
        uow.session.add_all(lots)
        uow.session.flush()
        uow.session.add_all(issues)
        uow.session.flush()
        for objects in (lots, issues):  # the SQL below derives ids by offset
            assert [row.id for row in objects] == list(range(objects[0].id, objects[0].id + len(objects)))
        dialect = database.engine.dialect.name
        started = time.perf_counter()
        uow.session.execute(text(MOVEMENTS_SQL.format(sequence=SEQUENCE[dialect], occurred_at=OCCURRED_AT[dialect])),
                            {"rows": rows, "school": school_id, "first_item": first_item, "items": ITEMS,
                             "hall0": halls[0].id, "hall1": halls[1].id, "hall2": halls[2].id,
                             "first_lot": lots[0].id, "quantity": QUANTITY_THOUSANDTHS, "value": VALUE_FEN,
                             "rate": RATE_MILLIONTHS, "apart": SECONDS_APART, "first_issue": issues[0].id})
        uow.commit()
    seconds = time.perf_counter() - started
    if dialect == "sqlite":
        with database.engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
    return {"rows": rows, "seconds": seconds, "school_id": school_id}


def ledger_sum(database, school_id: int) -> str:
    """The year's issue value, summed by the database (fen), as yuan."""
    from sqlalchemy import func, select

    from services.inventory.models import StockMovement
    with database.unit_of_work(read_only=True) as uow:
        # the database adds fen (the Money column's storage); the column's type reads the sum as yuan
        total = uow.session.scalar(select(func.sum(StockMovement.value))
                                   .where(StockMovement.school_id == school_id, StockMovement.kind == "issue"))
    return str(-total) if total is not None else "0.00"


def export(url: str, job_id: int | None, school_id: int, fmt: str, var_dir: Path) -> dict:
    """The suite's side: create (or take) an export job of the year and run it as the worker does."""
    from services.inventory import SPEC
    from services.inventory.costing.export_jobs import run_job
    from services.inventory.costing.models import ExportJob
    from shared.config import Settings
    database = SPEC.open_database(Settings(), url=url)
    if job_id is None:
        with database.unit_of_work() as uow:
            job = ExportJob(school_id=school_id, kind="cost_detail", format=fmt, start=YEAR[0], end=YEAR[1],
                            state="queued", rows_written=0, attempts=0, requested_by="bench")
            uow.session.add(job)
            uow.commit()
            job_id = job.id
    state = run_job(database, job_id, var_dir, ZONE)
    with database.unit_of_work(read_only=True) as uow:
        job = uow.session.get(ExportJob, job_id)
        return {"job_id": job_id, "state": state, "rows_written": job.rows_written, "error": job.error,
                "rows_expected": job.rows_expected, "file": str(var_dir / job.file_path) if job.file_path else None}


BASELINE_SQL = """
SELECT m.occurred_at, l.name, i.category, i.code, i.name, i.base_unit, t.lot_number, t.supplier_id,
       t.delivery_reference, m.source_id, s.meal_date, s.meal, m.quantity, m.valuation_rate, m.value
FROM stock_movements m JOIN locations l ON l.id = m.location_id JOIN items i ON i.id = m.item_id
JOIN lots t ON t.id = m.lot_id LEFT JOIN issues s ON s.id = m.source_id AND m.source_type = 'issue'
WHERE m.school_id = {p} AND m.kind = 'issue' AND m.occurred_at >= {p} AND m.occurred_at < {p}
  AND l.kind = 'dining_hall'
ORDER BY m.occurred_at, m.id
"""


def baseline(url: str, school_id: int, out: Path) -> dict:
    """The bare side: one raw SQL query of the same rows, written by csv.writer (fen and thousandths
    turned into decimal text, nothing else)."""
    begin, finish = "2025-12-31 16:00:00.000000", "2026-12-31 16:00:00.000000"  # the year in Shanghai, in UTC
    if url.startswith("sqlite"):
        import sqlite3

        connection = sqlite3.connect(url.removeprefix("sqlite:///"))
        cursor = connection.execute(BASELINE_SQL.format(p="?"), (school_id, begin, finish))
    else:
        import psycopg

        connection = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
        cursor = connection.cursor(name="baseline")  # server-side, like yield_per
        cursor.execute(BASELINE_SQL.format(p="%s"), (school_id, begin + "+00", finish + "+00"))
    rows = 0
    with out.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(["日期", "食堂", "类别", "编码", "名称", "单位", "批次", "供应商", "送货单", "单据", "用餐日期",
                         "餐次", "数量", "单价", "金额"])
        while batch := cursor.fetchmany(2000):
            for row in batch:
                writer.writerow((*row[:12], Decimal(row[12]).scaleb(-3), Decimal(row[13]).scaleb(-6),
                                 Decimal(-row[14]).scaleb(-2)))
            rows += len(batch)
    connection.close()
    return {"rows": rows}


def _own_usage() -> dict:
    """This process's CPU seconds and peak RSS.

    The peak is VmHWM of /proc/self/status, the high-water mark of this process's own memory
    since its exec. ru_maxrss would not do: Linux carries the forking parent's peak across exec
    into it, so a child of a large process (pytest, the bench) would report the parent's size.
    """
    usage = resource.getrusage(resource.RUSAGE_SELF)
    status = Path("/proc/self/status").read_text()
    peak_kib = int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1])
    return {"cpu_seconds": usage.ru_utime + usage.ru_stime, "peak_rss_mb": peak_kib / 1024}


def measured(argv: list[str]) -> tuple[dict, float, float]:
    """Run `python -m bench.exports ...` in a fresh process: its JSON answer (with its own CPU seconds
    and peak RSS), wall seconds, peak RSS in MB."""
    started = time.perf_counter()
    completed = subprocess.run([sys.executable, "-m", "bench.exports", *argv], cwd=REPO, capture_output=True,
                               check=False)
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"bench.exports {' '.join(argv)} failed: {completed.stderr[-3000:]!r}")
    answer = json.loads(completed.stdout)
    return answer, elapsed, answer["peak_rss_mb"]


def run(quick: bool = False) -> dict:
    from services.inventory import SPEC
    from shared.config import Settings
    from shared.migrations import upgrade

    rows = 200_000 if quick else 1_000_000
    work = Path(tempfile.mkdtemp(prefix="canteen-bench-exports-"))
    try:
        url = f"sqlite:///{work / 'inventory.db'}"
        upgrade(SPEC.migrations_dir, url)
        database = SPEC.open_database(Settings(), url=url)
        built = fill_ledger(database, 1, rows, 1)
        expected = ledger_sum(database, 1)
        database.dispose()
        results = {"rows": rows, "build_seconds": built["seconds"], "sum": expected, "sides": {}}
        # baseline first and last, so that a machine getting busier or quieter shows as a spread
        for name, argv in (("baseline", ["baseline", url, str(work / "baseline.csv")]),
                           ("csv", ["export", url, "csv", str(work)]),
                           ("xlsx", ["export", url, "xlsx", str(work)]),
                           ("baseline_again", ["baseline", url, str(work / "baseline.csv")])):
            answer, seconds, rss = measured(argv)
            if name in ("csv", "xlsx"):
                assert answer["state"] == "done" and answer["rows_written"] == rows + 1, answer
            results["sides"][name] = {"seconds": seconds, "cpu_seconds": answer["cpu_seconds"], "peak_rss_mb": rss}
        sides = results["sides"]
        # the machine is shared: CPU seconds are the steadier figure, wall seconds what a user waits
        for measure in ("seconds", "cpu_seconds"):
            base = min(sides["baseline"][measure], sides["baseline_again"][measure])
            results[f"ratios_{measure}"] = {fmt: sides[fmt][measure] / base for fmt in ("csv", "xlsx")}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return results


def render(results: dict) -> str:
    sides = results["sides"]
    lines = [f"Exports: cost detail of a year, {results['rows']:,} ledger issues (SQLite; ledger generated in "
             f"{results['build_seconds']:.1f} s); each side in its own process",
             f"{'side':<34} {'wall s':>8} {'CPU s':>8} {'peak RSS MB':>12} {'wall ratio':>11} {'CPU ratio':>10}",
             "-" * 88]
    names = {"baseline": "baseline: raw SQL + csv.writer", "csv": "suite: export job, CSV",
             "xlsx": "suite: export job, XLSX", "baseline_again": "baseline again"}
    for key, label in names.items():
        wall, cpu = results["ratios_seconds"].get(key), results["ratios_cpu_seconds"].get(key)
        lines.append(f"{label:<34} {sides[key]['seconds']:>8.1f} {sides[key]['cpu_seconds']:>8.1f} "
                     f"{sides[key]['peak_rss_mb']:>12.1f} {f'{wall:.2f}x' if wall else '':>11} "
                     f"{f'{cpu:.2f}x' if cpu else '':>10}")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.exports")
    commands = parser.add_subparsers(dest="command", required=True)
    job = commands.add_parser("export", help="run an export job of the year's cost detail; prints the job as JSON")
    job.add_argument("url")
    job.add_argument("format", choices=("csv", "xlsx"))
    job.add_argument("var_dir", type=Path)
    job.add_argument("--school", type=int, default=1)
    job.add_argument("--job", type=int)
    bare = commands.add_parser("baseline", help="the same rows by raw SQL and csv.writer")
    bare.add_argument("url")
    bare.add_argument("out", type=Path)
    bare.add_argument("--school", type=int, default=1)
    args = parser.parse_args(argv)
    if args.command == "export":
        answer = export(args.url, args.job, args.school, args.format, args.var_dir)
    else:
        answer = baseline(args.url, args.school, args.out)
    print(json.dumps({**answer, **_own_usage()}))


if __name__ == "__main__":
    main()

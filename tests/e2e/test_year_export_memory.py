"""A year-scale export (a million generated ledger movements) runs in bounded memory and adds up.

The rows are written by bulk SQL (bench.exports.fill_ledger), not through the API; the export
job runs in a fresh process with the code the worker task runs, and the peak RSS of that
process is read from the kernel when it ends.
"""
import csv
from decimal import Decimal

import pytest

from bench.exports import fill_ledger, ledger_sum, measured
from services.inventory import SPEC
from services.inventory.costing.exports import COST_DETAIL_COLUMNS
from shared.config import Settings
from shared.migrations import upgrade

pytestmark = [pytest.mark.e2e]
ROWS = 1_000_000
PEAK_RSS_MB = 200


def test_a_year_of_a_million_movements_exports_in_bounded_memory_and_adds_up(database_server, tmp_path):
    url = database_server.create("year_export_inventory")
    upgrade(SPEC.migrations_dir, url)
    database = SPEC.open_database(Settings(), url=url)
    try:
        fill_ledger(database, 1, ROWS, 1)
        expected = ledger_sum(database, 1)
    finally:
        database.dispose()
    assert Decimal(expected) == Decimal("10.50") * ROWS  # 2.500 kg at ¥4.20 each time

    job, seconds, peak_mb = measured(["export", url, "csv", str(tmp_path)])
    assert job["state"] == "done", job
    assert job["rows_written"] == job["rows_expected"] == ROWS + 1  # and the total row
    assert peak_mb < PEAK_RSS_MB, f"peak RSS {peak_mb:.0f} MB exporting {ROWS:,} rows in {seconds:.0f} s"

    with open(job["file"], encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        assert next(reader) == [column.title for column in COST_DETAIL_COLUMNS]
        count, amounts, halls, last = 0, Decimal(0), set(), None
        for row in reader:
            if row[0] == "合计":
                last = row
                continue
            count += 1
            amounts += Decimal(row[16])
            halls.add(row[2])
    assert count == ROWS and halls == {"第一食堂", "第二食堂", "第三食堂"}
    assert last[-1] == expected and amounts == Decimal(expected)

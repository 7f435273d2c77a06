"""An export job runs in a real worker: queued → running (with progress) → done, and the XLSX opens."""
import io
import time
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from bench.exports import fill_ledger, ledger_sum
from shared.auth import Principal
from tests.conftest import bearer

pytestmark = [pytest.mark.e2e]
SCHOOL = 4242
ROWS = 30_000


def test_a_year_export_goes_queued_running_done_in_the_worker_and_opens_with_openpyxl(suite):
    database = suite.database("inventory")
    fill_ledger(database, SCHOOL, ROWS, 940_001)
    expected = ledger_sum(database, SCHOOL)
    finance = bearer(Principal("e2e-finance", frozenset({"finance"}), school_id=SCHOOL))
    inventory = suite.client("inventory")
    worker = suite.worker("export-jobs").start()
    try:
        response = inventory.post("/api/costing/export-jobs", headers=finance, json={
            "kind": "cost_detail", "format": "xlsx", "start": "2026-01-01", "end": "2026-12-31"})
        assert response.status_code == 202, response.json
        seen = [(response.json["state"], response.json["rows_written"])]
        deadline = time.monotonic() + 120
        while seen[-1][0] not in ("done", "failed") and time.monotonic() < deadline:
            time.sleep(0.05)
            job = inventory.get(f"/api/costing/export-jobs/{response.json['id']}", headers=finance).json
            if (job["state"], job["rows_written"]) != seen[-1]:
                seen.append((job["state"], job["rows_written"]))
    finally:
        worker.stop()
    states = [state for state, _ in seen]
    assert states[0] == "queued" and states[-1] == "done", seen
    assert "running" in states, seen
    assert [written for _, written in seen] == sorted(written for _, written in seen)  # progress only grows
    assert job["rows_written"] == job["rows_expected"] == ROWS + 1 and job["progress"] == 100

    download = inventory.get(job["file_url"], headers=finance)
    assert download.status_code == 200
    sheet = load_workbook(io.BytesIO(download.data), read_only=True).active
    rows = sheet.iter_rows(values_only=True)
    header = next(rows)
    assert header[:3] == ("日期", "时间", "食堂") and header[-1] == "金额"
    body = list(rows)
    assert len(body) == ROWS + 1 and body[-1][0] == "合计"
    assert Decimal(str(body[-1][16])) == Decimal(expected) == Decimal("10.50") * ROWS
    assert {row[2] for row in body[:-1]} == {"第一食堂", "第二食堂", "第三食堂"}

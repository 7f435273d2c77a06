"""Export jobs: a long period's export written to a file by the worker task, with its progress, then downloaded.

The task's function runs in-process here (the e2e test runs it in a real worker).
"""
from __future__ import annotations

import csv
import dataclasses
import io
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

import services.inventory.costing.export_jobs as export_jobs
from services.inventory.costing.exports import COST_DETAIL_COLUMNS
from services.inventory.costing.models import ExportJob
from shared.auth import Principal
from shared.db import utcnow
from tests.conftest import bearer

D = Decimal
ZONE = "Asia/Shanghai"
OCTOBER = {"start": "2026-10-01", "end": "2026-10-31"}


@pytest.fixture
def finance_token(school_id):
    return bearer(Principal("5001", frozenset({"finance"}), school_id=school_id))


@pytest.fixture
def post_job(inventory, finance_token):
    def post(**body):
        response = inventory.post("/api/costing/export-jobs", json={**OCTOBER, **body}, headers=finance_token)
        assert response.status_code == 202, response.json
        return response.json
    return post


@pytest.fixture
def run(databases, test_settings):
    def run_job(job_id, **kwargs):
        return export_jobs.run_job(databases["inventory"], job_id, test_settings.var_dir, ZONE, **kwargs)
    return run_job


def test_a_job_is_queued_then_written_and_its_xlsx_has_the_cost_detail(inventory, finance_token, october, post_job,
                                                                       run):
    job = post_job(kind="cost_detail", format="xlsx")
    assert (job["state"], job["rows_written"], job["progress"], job["file_url"]) == ("queued", 0, 0, None)
    path = f"/api/costing/export-jobs/{job['id']}"
    assert inventory.get(f"{path}/file", headers=finance_token).status_code == 409

    assert run(job["id"]) == "done"
    done = inventory.get(path, headers=finance_token).json
    # 8 issues of October and the total row
    assert (done["state"], done["rows_expected"], done["rows_written"], done["progress"]) == ("done", 9, 9, 100)
    assert done["file_url"] == f"{path}/file" and done["file_size"] > 0
    response = inventory.get(done["file_url"], headers=finance_token)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="cost-detail-20261001-20261031.xlsx"'
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows())
    assert [cell.value for cell in rows[0]] == [column.title for column in COST_DETAIL_COLUMNS]
    assert [row[5].value for row in rows[1:4]] == ["大米", "白菜", "纯牛奶"]
    assert rows[-1][0].value == "合计" and D(str(rows[-1][16].value)) == D("732.95")
    assert sum(D(str(row[16].value)) for row in rows[1:-1]) == D("732.95")
    assert rows[1][16].number_format == '"¥"#,##0.00' and rows[1][14].number_format == "#,##0.000"
    assert run(job["id"]) is None  # a second delivery of the task finds it done


def test_a_job_of_one_hall_as_csv_and_spend(inventory, finance_token, october, post_job, run):
    job = post_job(kind="cost_detail", format="csv", location_id=october["DH2"].id)
    run(job["id"])
    body = inventory.get(f"/api/costing/export-jobs/{job['id']}/file", headers=finance_token).data
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert [row[5] for row in rows[1:-1]] == ["大米", "白菜"] and rows[-1][-1] == "143.00"
    spend = post_job(kind="spend", format="csv")
    run(spend["id"])
    rows = list(csv.reader(io.StringIO(inventory.get(f"/api/costing/export-jobs/{spend['id']}/file",
                                                     headers=finance_token).data.decode("utf-8-sig"))))
    assert rows[0] == ["供应商编号", "物资类别", "收货金额", "退货金额", "净采购额"]
    assert rows[-1] == ["合计", "", "1945.50", "0.00", "1945.50"]


def test_progress_is_committed_once_per_batch(october, post_job, run, monkeypatch):
    recorded = []
    record = export_jobs._record

    def spy(database, job_id, **values):
        recorded.append(values.get("rows_written"))
        record(database, job_id, **values)

    monkeypatch.setattr(export_jobs, "_record", spy)
    run(post_job(kind="cost_detail", format="csv")["id"], batch_rows=4)
    # the expected count, a batch of 4, another of 4, then done with all 9
    assert recorded == [None, 4, 8, 9]


def test_a_failing_export_is_marked_failed_and_leaves_no_file(inventory, finance_token, october, post_job, run,
                                                             monkeypatch, test_settings):
    def broken(*_args, **_kwargs):
        yield ["2026-10-01"]
        raise ValueError("the ledger could not be read")

    monkeypatch.setitem(export_jobs.REPORTS, "cost_detail",
                        export_jobs.REPORTS["cost_detail"].__class__("cost-detail", COST_DETAIL_COLUMNS, broken,
                                                                     export_jobs.REPORTS["cost_detail"].query))
    folder = test_settings.var_dir / export_jobs.EXPORT_FOLDER
    before = set(folder.glob("*")) if folder.exists() else set()
    job = post_job(kind="cost_detail", format="xlsx")
    assert run(job["id"]) == "failed"
    failed = inventory.get(f"/api/costing/export-jobs/{job['id']}", headers=finance_token).json
    assert (failed["state"], failed["error"]) == ("failed", "the ledger could not be read")
    assert inventory.get(f"/api/costing/export-jobs/{job['id']}/file", headers=finance_token).status_code == 409
    assert set(folder.glob("*")) == before  # neither the partial file nor a finished one


def test_the_sweep_runs_unsent_and_abandoned_jobs_and_deletes_old_ones(databases, october, post_job, run,
                                                                       test_settings):
    database = databases["inventory"]
    unsent, abandoned, old, fresh = (post_job(kind="spend", format="csv")["id"] for _ in range(4))
    run(old)
    now = utcnow()
    with database.unit_of_work() as uow:
        uow.session.execute(update(ExportJob).where(ExportJob.id == unsent)
                            .values(created_at=now - timedelta(minutes=5)))
        uow.session.execute(update(ExportJob).where(ExportJob.id == abandoned)
                            .values(state="running", attempts=1, created_at=now - timedelta(minutes=5),
                                    heartbeat_at=now - timedelta(minutes=10)))
        uow.session.execute(update(ExportJob).where(ExportJob.id == old).values(created_at=now - timedelta(days=8)))
        old_file = test_settings.var_dir / uow.session.get(ExportJob, old).file_path
        uow.commit()
    assert old_file.is_file()
    result = export_jobs.sweep(database, test_settings.var_dir, ZONE, now)
    assert result["ran"] == {unsent: "done", abandoned: "done"} and result["deleted"] == [old]
    assert not old_file.exists()
    with database.unit_of_work() as uow:
        assert uow.session.get(ExportJob, old) is None
        assert uow.session.get(ExportJob, fresh).state == "queued"  # its task is still on its way
        assert uow.session.get(ExportJob, abandoned).attempts == 2


def test_a_job_whose_worker_keeps_dying_fails_after_its_attempts(databases, october, post_job, run):
    job_id = post_job(kind="spend", format="csv")["id"]
    with databases["inventory"].unit_of_work() as uow:
        uow.session.execute(update(ExportJob).where(ExportJob.id == job_id).values(attempts=export_jobs.MAX_ATTEMPTS))
        uow.commit()
    assert run(job_id) == "failed"
    with databases["inventory"].unit_of_work() as uow:
        assert uow.session.get(ExportJob, job_id).error.startswith("gave up after 3 attempts")


@pytest.mark.parametrize("body, field", [
    ({"kind": "ledger", "format": "csv"}, "kind"), ({"kind": "spend", "format": "pdf"}, "format"),
    ({"kind": "spend", "format": "csv", "start": "2025-01-01", "end": "2026-10-31"}, "end"),
    ({"kind": "spend", "format": "csv", "end": "2026-09-01"}, "end"),
    ({"kind": "spend", "format": "csv", "location_id": "1"}, "location_id"),
])
def test_bad_job_requests_are_refused_naming_the_field(inventory, finance_token, body, field):
    response = inventory.post("/api/costing/export-jobs", json={**OCTOBER, **body}, headers=finance_token)
    assert response.status_code == 422
    assert field in str(response.json["errors"])


def test_a_job_for_an_unknown_hall_is_refused(inventory, finance_token, october):
    response = inventory.post("/api/costing/export-jobs", headers=finance_token,
                              json={**OCTOBER, "kind": "spend", "format": "csv", "location_id": 999999})
    assert response.status_code == 422


def test_jobs_are_for_finance_and_admins_of_their_own_school(inventory, school_id, post_job, run, october):
    job = post_job(kind="spend", format="csv")
    run(job["id"])
    path = f"/api/costing/export-jobs/{job['id']}"
    for role in ("supervisor", "canteen_manager", "approver", "storekeeper"):
        headers = bearer(Principal("7", frozenset({role}), school_id=school_id))
        assert inventory.get(path, headers=headers).status_code == 403
        assert inventory.post("/api/costing/export-jobs", headers=headers,
                              json={**OCTOBER, "kind": "spend", "format": "csv"}).status_code == 403
    admin = bearer(Principal("8", frozenset({"admin"}), school_id=school_id))
    assert inventory.get(f"{path}/file", headers=admin).status_code == 200
    listed = inventory.get("/api/costing/export-jobs?state=done", headers=admin).json
    assert [item["id"] for item in listed["items"]] == [job["id"]]
    other = bearer(Principal("9", frozenset({"finance"}), school_id=school_id + 1000))
    assert inventory.get(path, headers=other).status_code == 404
    assert inventory.get(f"{path}/file", headers=other).status_code == 404
    assert inventory.get("/api/costing/export-jobs", headers=other).json["total"] == 0
    assert inventory.get(path).status_code == 401
    assert inventory.get("/api/costing/export-jobs/999999", headers=admin).status_code == 404


def test_a_job_posted_while_the_broker_is_down_is_queued_for_the_sweep(test_settings, databases, finance_token,
                                                                       october):
    from services.inventory import create_app

    down = dataclasses.replace(test_settings, broker_url="amqp://guest:guest@127.0.0.1:1//",
                               publish_after_commit=True)
    app = create_app(down, databases["inventory"])
    app.testing = True
    started = time.monotonic()
    response = app.test_client().post("/api/costing/export-jobs", headers=finance_token,
                                      json={**OCTOBER, "kind": "spend", "format": "csv"})
    assert response.status_code == 202 and response.json["state"] == "queued"
    assert time.monotonic() - started < 10  # one try at the broker, no back-off

"""Export jobs: finance exports of long periods (a year of the ledger), written to a file by a worker.

A request creates the job (queued) and the worker task `inventory.run_export_job` runs it:
it claims the job (running), counts the rows it will write, streams them from the ledger
(`yield_per`) through shared.tabular into `<VAR_DIR>/exports/<file>.part`, commits the
progress once per batch of rows in its own unit of work (which is also the job's heartbeat),
and renames the file into place when it is complete (done). Any error marks the job failed
with the reason and removes the partial file.

A job is restarted from its first row, never resumed mid-file: an XLSX is a zip that cannot
be appended to. A job whose worker died (no heartbeat for STALE_AFTER) is claimed again, by
the redelivered task or by the periodic sweep, up to MAX_ATTEMPTS times. The sweep also runs
jobs whose task never reached the broker, and deletes jobs (and files) older than RETENTION.
"""
from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from shared import tabular
from shared.auth import Principal
from shared.db import Database, utcnow
from shared.errors import Conflict, NotFound

from .accounts import get_dining_hall
from .exports import REPORTS
from .models import ExportJob

log = logging.getLogger(__name__)

BATCH_ROWS = 10_000
STALE_AFTER = timedelta(minutes=2)
# a queued job whose task has not started by then was probably never sent (broker down)
UNSENT_AFTER = timedelta(minutes=1)
MAX_ATTEMPTS = 3
RETENTION = timedelta(days=7)
EXPORT_FOLDER = "exports"


def create_job(session: Session, principal: Principal, kind: str, fmt: str, start: date, end: date,
               location_id: int | None) -> ExportJob:
    if location_id is not None:
        get_dining_hall(session, principal.school_id, location_id)
    job = ExportJob(school_id=principal.school_id, kind=kind, format=fmt, start=start, end=end,
                    location_id=location_id, state="queued", rows_written=0, attempts=0,
                    requested_by=principal.user_id)
    session.add(job)
    session.flush()
    return job


def get_job(session: Session, principal: Principal, job_id: int) -> ExportJob:
    job = session.get(ExportJob, job_id)
    if job is None or job.school_id != principal.school_id:
        raise NotFound("No such export job")
    return job


def list_jobs(principal: Principal):
    return (select(ExportJob).where(ExportJob.school_id == principal.school_id)
            .order_by(ExportJob.created_at.desc(), ExportJob.id.desc()))


def job_file(job: ExportJob, var_dir: Path) -> tuple[Path, str]:
    """The finished file of a job and the name to download it as; 409 while it is not done."""
    if job.state != "done" or not job.file_path:
        raise Conflict("export job {job} is {state}: its file is there once it is done", job=job.id, state=job.state)
    path = var_dir / job.file_path
    if not path.is_file():
        raise Conflict("export job {job}'s file is gone", job=job.id)
    return path, f"{REPORTS[job.kind].filename}-{job.start:%Y%m%d}-{job.end:%Y%m%d}"


def _claim(database: Database, job_id: int) -> ExportJob | None:
    """Take the job for this worker: queued, or running with a dead worker. None when not ours to run."""
    now = utcnow()
    with database.unit_of_work() as uow:
        claimed = uow.session.execute(
            update(ExportJob)
            .where(ExportJob.id == job_id,
                   or_(ExportJob.state == "queued",
                       and_(ExportJob.state == "running", ExportJob.heartbeat_at < now - STALE_AFTER)))
            .values(state="running", started_at=now, heartbeat_at=now, rows_written=0,
                    attempts=ExportJob.attempts + 1)).rowcount
        job = uow.session.get(ExportJob, job_id) if claimed else None
        uow.commit()
    return job


def _record(database: Database, job_id: int, **values) -> None:
    with database.unit_of_work() as uow:
        changed = uow.session.execute(update(ExportJob).where(ExportJob.id == job_id, ExportJob.state == "running")
                                      .values(heartbeat_at=utcnow(), **values)).rowcount
        uow.commit()
    if not changed:
        raise RuntimeError(f"export job {job_id} is no longer running (deleted, or claimed again)")


class _Progress:
    """Counts the rows going into the file and commits the count once per batch."""

    def __init__(self, record: Callable[[int], None], every: int):
        self.record, self.every, self.written = record, every, 0

    def count(self, rows: Iterable) -> Iterator:
        for row in rows:
            yield row
            self.written += 1
            if self.written % self.every == 0:
                self.record(self.written)


def run_job(database: Database, job_id: int, var_dir: Path, school_timezone: str, batch_rows: int = BATCH_ROWS
            ) -> str | None:
    """Run one export job to its end; returns its final state, or None when it was not this run's to take."""
    job = _claim(database, job_id)
    if job is None:
        return None
    if job.attempts > MAX_ATTEMPTS:
        _record(database, job_id, state="failed", finished_at=utcnow(),
                error=f"gave up after {MAX_ATTEMPTS} attempts: the worker running it stopped each time")
        return "failed"
    report = REPORTS[job.kind]
    folder = var_dir / EXPORT_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{job.id}-{uuid.uuid4().hex}.{job.format}"
    partial = folder / f"{name}.part"
    try:
        with database.unit_of_work(read_only=True) as uow:
            expected = report.count(uow.session, job.school_id, job.start, job.end, school_timezone, job.location_id)
        _record(database, job_id, rows_expected=expected)
        # The rows come from a read-only unit of work held open for the whole file; the progress
        # goes through its own short ones.
        with database.unit_of_work(read_only=True) as uow, partial.open("wb") as target:
            rows = report.rows(uow.session, job.school_id, job.start, job.end, school_timezone, job.location_id)
            progress = _Progress(lambda written: _record(database, job_id, rows_written=written), batch_rows)
            tabular.write(target, job.format, report.filename, report.columns, progress.count(rows))
        os.replace(partial, folder / name)
        _record(database, job_id, state="done", finished_at=utcnow(), rows_written=progress.written,
                file_path=f"{EXPORT_FOLDER}/{name}", file_size=(folder / name).stat().st_size)
        return "done"
    except Exception as exc:
        log.exception("export job %s failed", job_id)
        partial.unlink(missing_ok=True)
        with database.unit_of_work() as uow:
            uow.session.execute(update(ExportJob).where(ExportJob.id == job_id, ExportJob.state == "running")
                                .values(state="failed", finished_at=utcnow(), error=str(exc)[:500]))
            uow.commit()
        return "failed"


def sweep(database: Database, var_dir: Path, school_timezone: str, now: datetime | None = None) -> dict:
    """Run the jobs no task is running (never sent, or left by a dead worker); delete expired jobs and files."""
    now = now or utcnow()
    with database.unit_of_work(read_only=True) as uow:
        waiting = list(uow.session.scalars(
            select(ExportJob.id).where(or_(and_(ExportJob.state == "queued", ExportJob.created_at < now - UNSENT_AFTER),
                                           and_(ExportJob.state == "running",
                                                ExportJob.heartbeat_at < now - STALE_AFTER)))
            .order_by(ExportJob.id)))
    ran = {job_id: run_job(database, job_id, var_dir, school_timezone) for job_id in waiting}
    with database.unit_of_work() as uow:
        expired = uow.session.execute(
            select(ExportJob.id, ExportJob.file_path)
            .where(ExportJob.created_at < now - RETENTION, ExportJob.state != "running")).all()
        for _job_id, file_path in expired:
            if file_path:
                (var_dir / file_path).unlink(missing_ok=True)
        if expired:
            uow.session.execute(delete(ExportJob).where(ExportJob.id.in_([job_id for job_id, _ in expired])))
        uow.commit()
    return {"ran": ran, "deleted": [job_id for job_id, _ in expired]}

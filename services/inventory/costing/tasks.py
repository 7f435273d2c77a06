"""Meal-cost periodic jobs (appended to inventory's PERIODIC_JOBS)."""
from datetime import datetime
from zoneinfo import ZoneInfo

from shared.config import Settings
from shared.db import Database
from shared.service import PeriodicJob

from .disclosure import Clients, SourceUnavailable, build_due_disclosures, service_clients
from .export_jobs import run_job, sweep
from .statements import flag_overdue_statements


def _today() -> tuple[str, datetime]:
    zone = Settings.from_env().school_timezone
    return zone, datetime.now(ZoneInfo(zone))


def run_overdue_statement_check(database: Database) -> dict:
    today = _today()[1].date()
    with database.unit_of_work() as uow:
        flagged = flag_overdue_statements(uow.session, today)
        uow.commit()
    return {"flagged": [statement.id for statement in flagged]}


def run_weekly_disclosure(database: Database, clients: Clients | None = None) -> dict:
    zone, now = _today()
    with database.unit_of_work() as uow:
        built = build_due_disclosures(uow.session, now.date(), zone, now,
                                      clients or service_clients(Settings.from_env()))
        uow.commit()
    return {"built": [(disclosure.school_id, disclosure.week_start.isoformat()) for disclosure in built]}


def run_export_job(database: Database, job_id: int) -> str | None:
    settings = Settings.from_env()
    return run_job(database, job_id, settings.var_dir, settings.school_timezone)


def run_export_sweep(database: Database) -> dict:
    settings = Settings.from_env()
    return sweep(database, settings.var_dir, settings.school_timezone)


# All are idempotent, so running them more often than their period only makes them prompt.
JOBS = [PeriodicJob("flag_overdue_statements", 6 * 60 * 60, run_overdue_statement_check),
        # a service that cannot answer is asked again within minutes, not at the next hourly run
        PeriodicJob("build_weekly_disclosures", 60 * 60, run_weekly_disclosure, retry_on=(SourceUnavailable,)),
        PeriodicJob("sweep_export_jobs", 5 * 60, run_export_sweep)]
# Tasks sent by the API: `inventory.<name>` with the arguments after the database.
TASKS = {"run_export_job": run_export_job}

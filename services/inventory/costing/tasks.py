"""Meal-cost periodic jobs (appended to inventory's PERIODIC_JOBS)."""
from datetime import datetime
from zoneinfo import ZoneInfo

from shared.config import Settings
from shared.db import Database
from shared.service import PeriodicJob

from .statements import flag_overdue_statements


def run_overdue_statement_check(database: Database) -> dict:
    today = datetime.now(ZoneInfo(Settings.from_env().school_timezone)).date()
    with database.unit_of_work() as uow:
        flagged = flag_overdue_statements(uow.session, today)
        uow.commit()
    return {"flagged": [statement.id for statement in flagged]}


JOBS = [PeriodicJob("flag_overdue_statements", 6 * 60 * 60, run_overdue_statement_check)]

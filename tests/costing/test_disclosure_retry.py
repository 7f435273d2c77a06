"""The weekly job retries later (Celery retry) when procurement or the portal cannot answer; nothing is kept."""
from __future__ import annotations

from sqlalchemy import select

import services.inventory.costing.tasks as costing_tasks
import services.worker as worker
from services.inventory.costing.disclosure import SourceUnavailable
from services.inventory.costing.models import WeeklyDisclosure
from tests.support import RefusingClient

TASK = "inventory.build_weekly_disclosures"


def test_the_worker_retries_the_job_with_backoff_when_a_service_is_unavailable():
    task = worker.app.tasks[TASK]
    assert task.autoretry_for == (SourceUnavailable,)
    assert task.max_retries == 8 and task.retry_backoff == 30
    # other periodic jobs keep failing as before: nothing is retried by accident
    assert worker.app.tasks["inventory.flag_overdue_statements"].autoretry_for == ()


def test_a_refused_first_run_is_retried_and_the_retry_publishes_the_whole_disclosure(
        databases, halls, school_id, week_sources, monkeypatch):
    attempts = []

    def clients_for(settings):
        def clients(asked_for):
            attempts.append(asked_for)
            answer = week_sources(asked_for)
            return {**answer, "procurement": RefusingClient()} if len(attempts) == 1 else answer
        return clients

    monkeypatch.setattr(worker, "database", lambda service: databases[service])
    monkeypatch.setattr(costing_tasks, "service_clients", clients_for)
    result = worker.app.tasks[TASK].apply()
    assert result.successful(), result.traceback
    assert attempts == [school_id, school_id]
    [(built_school, week_start)] = result.get()["built"]
    with databases["inventory"].unit_of_work() as uow:
        [kept] = uow.session.scalars(select(WeeklyDisclosure)).all()
    assert built_school == school_id and (kept.school_id, kept.week_start.isoformat()) == (school_id, week_start)
    # the week asked for is the last complete one, which has no menu here; the suppliers are there
    assert kept.content["menus"] == []
    assert [supplier["name"] for supplier in kept.content["bulk_suppliers"]] == ["煤炭公司", "粮油公司"]

"""Real races on committed data (two connections, two threads): the loser gets a 409, never an integrity error."""
from __future__ import annotations

import threading
import uuid
from datetime import date

import pytest

from services.inventory.costing.statements import prepare_statement, sign_statement
from services.inventory.locations import ensure_standard_locations
from shared.auth import Principal
from shared.errors import Conflict
from tests.conftest import SPECS
from tests.support import migrated_databases, settings_for

SCHOOL = 1
FINANCE = [Principal(str(9000 + n), frozenset({"finance"}), school_id=SCHOOL) for n in range(2)]


@pytest.fixture
def database(database_server, tmp_path):
    settings = settings_for(tmp_path, migrated_databases(database_server, f"race{uuid.uuid4().hex[:6]}", SPECS))
    database = SPECS["inventory"].open_database(settings)
    with database.unit_of_work() as uow:
        ensure_standard_locations(uow.session, SCHOOL)
        uow.commit()
    yield database
    database.dispose()


def race(database, action) -> list:
    """Run action(session, n) for n = 0, 1 at the same moment, each in its own unit of work."""
    barrier, outcomes = threading.Barrier(2), [None, None]

    def run(n):
        try:
            with database.unit_of_work() as uow:
                barrier.wait()
                action(uow.session, n)
                uow.commit()
            outcomes[n] = "ok"
        except Conflict:
            outcomes[n] = "conflict"
        except Exception as exc:  # the outcome the test refuses
            outcomes[n] = repr(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(outcomes)


def test_two_accountants_signing_at_once_sign_once(database):
    with database.unit_of_work() as uow:
        statement_id = prepare_statement(uow.session, FINANCE[0], date(2026, 10, 1)).id
        uow.commit()
    outcomes = race(database, lambda session, n: sign_statement(
        session, FINANCE[n], statement_id, "cost_accountant", f"会计{n}", date(2026, 11, 3), "Asia/Shanghai"))
    assert outcomes == ["conflict", "ok"]


def test_two_statements_of_one_month_prepared_at_once_make_one(database):
    outcomes = race(database, lambda session, n: prepare_statement(session, FINANCE[n], date(2026, 10, 1)))
    assert outcomes == ["conflict", "ok"]

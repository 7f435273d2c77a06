"""Fixtures: databases migrated once per test session, each test inside a rolled-back transaction."""
from __future__ import annotations

import os

# Production-strength argon2 costs ~0.1 s a hash; the suite hashes thousands of passwords.
os.environ.setdefault("ARGON2_MEMORY_KIB", "1024")
os.environ.setdefault("ARGON2_TIME_COST", "1")

import pytest
from hypothesis import settings as hypothesis_settings

from services.inventory import SPEC as INVENTORY
from services.inventory import create_app as create_inventory
from services.procurement import SPEC as PROCUREMENT
from services.procurement import create_app as create_procurement
from services.procurement.accounts import create_staff_user
from services.procurement.models import School
from services.supplier_portal import SPEC as SUPPLIER_PORTAL
from services.supplier_portal import create_app as create_supplier_portal
from shared.auth import Principal, issue_token
from tests.support import TEST_SECRET, DatabaseServer, migrated_databases, settings_for

# Timing deadlines make property tests flaky on a loaded 2-core machine; CI also fixes the examples.
hypothesis_settings.register_profile("default", deadline=None)
hypothesis_settings.register_profile("ci", deadline=None, derandomize=True)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "default")

SPECS = {spec.name: spec for spec in (PROCUREMENT, INVENTORY, SUPPLIER_PORTAL)}
APP_FACTORIES = {"procurement": create_procurement, "inventory": create_inventory,
                 "supplier_portal": create_supplier_portal}


@pytest.fixture(scope="session")
def database_server(tmp_path_factory):
    server = DatabaseServer(tmp_path_factory.mktemp("databases"))
    yield server
    server.drop_all()


@pytest.fixture(scope="session")
def test_settings(database_server, tmp_path_factory):
    urls = migrated_databases(database_server, "api", SPECS)
    return settings_for(tmp_path_factory.mktemp("var"), urls)


@pytest.fixture(scope="session")
def session_databases(test_settings):
    databases = {name: spec.open_database(test_settings) for name, spec in SPECS.items()}
    yield databases
    for database in databases.values():
        database.dispose()


@pytest.fixture
def databases(session_databases):
    """Each service's database joined to an outer transaction that is rolled back after the test."""
    bound, opened = {}, []
    for name, database in session_databases.items():
        connection = database.engine.connect()
        transaction = connection.begin()
        opened.append((connection, transaction))
        bound[name] = database.bound_to(connection)
    yield bound
    for connection, transaction in opened:
        transaction.rollback()
        connection.close()


def _client(service, test_settings, databases):
    app = APP_FACTORIES[service](test_settings, databases[service])
    app.testing = True
    return app.test_client()


@pytest.fixture
def procurement(test_settings, databases):
    return _client("procurement", test_settings, databases)


@pytest.fixture
def inventory(test_settings, databases):
    return _client("inventory", test_settings, databases)


@pytest.fixture
def portal(test_settings, databases):
    return _client("supplier_portal", test_settings, databases)


@pytest.fixture
def school(databases):
    with databases["procurement"].unit_of_work() as uow:
        school = School(name="测试学校", timezone="Asia/Shanghai")
        uow.session.add(school)
        uow.commit()
    return school


@pytest.fixture
def staff(databases, school):
    """staff(role, ...) -> (user, Authorization header) for a real staff account of the test school."""
    counter = iter(range(1, 10_000))

    def make(*roles: str, school_id: int | None = None, demand_point: str | None = None):
        """`demand_point`: the hall the token names (inventory reads only the token, not the account)."""
        with databases["procurement"].unit_of_work() as uow:
            user = create_staff_user(uow.session, school_id or school.id, f"user{next(counter)}-{'-'.join(roles)}",
                                     "测试用户", "correct horse battery staple", list(roles))
            uow.commit()
        principal = Principal(str(user.id), frozenset(roles), school_id=user.school_id, demand_point=demand_point)
        return user, bearer(principal)

    return make


def bearer(principal: Principal, ttl: int = 600) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(principal, TEST_SECRET, ttl)}"}

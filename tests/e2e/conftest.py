"""The suite with real commits, a real broker and real worker processes."""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from services.procurement.accounts import create_staff_user
from services.procurement.models import School
from services.supplier_portal.models import Supplier
from shared.auth import Principal
from shared.config import Settings
from tests.conftest import APP_FACTORIES, SPECS, bearer
from tests.support import REPO, WorkerProcess, environment_for, migrated_databases, settings_for


@dataclass
class Suite:
    settings: Settings
    env: dict
    var: Path
    apps: dict
    buyer: dict

    def client(self, service):
        return self.apps[service].test_client()

    def database(self, service):
        return self.apps[service].extensions["database"]

    def worker(self, name: str) -> WorkerProcess:
        return WorkerProcess(self.env, self.var / f"{name}.log")

    def invite(self, company_name: str, app=None):
        client = (app or self.apps["procurement"]).test_client()
        response = client.post("/api/supplier-invitations", headers=self.buyer, json={
            "company_name": company_name, "contact_email": "sales@example.cn", "categories": ["vegetables"]})
        assert response.status_code == 201, response.json
        return response.json

    def suppliers_named(self, prefix: str) -> list[Supplier]:
        with self.database("supplier_portal").unit_of_work() as uow:
            return list(uow.session.scalars(select(Supplier).where(Supplier.name.startswith(prefix))))

    def dispose(self) -> None:
        for app in self.apps.values():
            app.extensions["database"].dispose()

    def count_named(self, prefix: str) -> int:
        with self.database("supplier_portal").unit_of_work() as uow:
            return uow.session.scalar(
                select(func.count()).select_from(Supplier).where(Supplier.name.startswith(prefix)))


def build_suite(database_server, var: Path, prefix: str, broker_url: str) -> Suite:
    """Freshly migrated databases for the three services, a school and its buyer."""
    urls = migrated_databases(database_server, prefix, SPECS)
    settings = settings_for(var, urls, broker_url=broker_url, publish_after_commit=True)
    apps = {name: factory(settings) for name, factory in APP_FACTORIES.items()}
    with apps["procurement"].extensions["database"].unit_of_work() as uow:
        school = School(name="端到端测试学校")
        uow.session.add(school)
        uow.session.flush()
        user = create_staff_user(uow.session, school.id, "e2e-buyer", "采购员", "e2e password", ["procurement_officer"])
        uow.commit()
    buyer = bearer(Principal(str(user.id), frozenset(user.roles), school_id=school.id))
    env = environment_for(settings, RELAY_INTERVAL_SECONDS="0.5")
    return Suite(settings, env, var, apps, buyer)


@pytest.fixture(scope="session")
def suite(database_server, tmp_path_factory):
    suite = build_suite(database_server, tmp_path_factory.mktemp("e2e"), "e2e", os.environ.get("TEST_BROKER_URL", ""))
    yield suite
    suite.dispose()


@pytest.fixture
def artifacts(request):
    """Screenshots and other evidence a run keeps: test-artifacts/<test name>/."""
    folder = Path(os.environ.get("TEST_ARTIFACTS", REPO / "test-artifacts")) / request.node.name
    shutil.rmtree(folder, ignore_errors=True)  # a previous run's screenshots would mix with this run's
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def worker(suite, request):
    process = suite.worker(request.node.name).start()
    yield process
    process.stop()

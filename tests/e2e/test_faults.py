"""Faults during purchasing cycles, with real processes; after recovery the books reconcile.

The three services run under gunicorn and a real worker (with beat) consumes every queue, on
databases of this module's own, so that `deploy.reconcile` checks exactly what these cycles did.
The cycles are bench/mix.py's: a manager's order approved and sent, acknowledged and delivered by
the supplier, inspected by the storekeeper, invoiced, and partly issued to the kitchen.

The broker is reached through a TCP proxy of the test's own (RabbitMQ, in CI's second pass) so an
outage never touches the machine's broker; the embedded broker's outage is its folder replaced by a file.
"""
from __future__ import annotations

import os
import shutil
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from sqlalchemy import create_engine, select, text, update
from sqlalchemy.engine import make_url

from bench.mix import Recorder, School, purchasing_cycle
from bench.procs import Managed, free_port
from deploy.reconcile import problems_in, reconcile
from deploy.run_prod import BIN, create_vhost, delete_vhost
from services.inventory.locations import ensure_standard_locations
from services.procurement.accounts import create_staff_user
from services.procurement.cli import DEMO_PASSWORD, DEMO_STAFF
from services.procurement.demand import ensure_demand_points
from services.procurement.models import PurchaseOrderLine, StaffUser
from shared.config import SERVICES
from shared.http import ServiceClient
from tests.e2e.conftest import Suite, build_suite
from tests.support import TcpProxy, WorkerProcess, wait_for

pytestmark = [pytest.mark.e2e]
OUTAGE_SECONDS = 30


@dataclass
class Stack:
    suite: Suite
    services: dict[str, Managed]
    urls: dict[str, str]
    worker: WorkerProcess
    proxy: TcpProxy | None
    school: School

    def restart_worker(self, name: str) -> None:
        self.worker = self.suite.worker(name).start()

    def cycle_in_background(self, manager: str = "manager1"):
        """Run one purchasing cycle in a thread; returns a function that joins it and re-raises its error."""
        errors: list[BaseException] = []

        def run():
            try:
                purchasing_cycle(self.school, manager)
            except BaseException as exc:  # handed to the test below
                errors.append(exc)

        thread = threading.Thread(target=run)
        thread.start()

        def join(timeout: float = 150):
            thread.join(timeout)
            assert not thread.is_alive(), "the purchasing cycle did not finish"
            if errors:
                raise errors[0]

        return join

    def reconciled(self) -> list[str]:
        return reconcile({service: self.suite.database(service) for service in SERVICES}, wait=60)


def through_proxy(broker_url: str, vhost: str) -> tuple[str, TcpProxy | None]:
    """RabbitMQ through a proxy of our own, on a vhost of our own (no other test's messages reach our worker)."""
    if not broker_url.startswith(("amqp", "pyamqp")):
        return broker_url, None
    parts = urlsplit(broker_url)
    create_vhost(vhost, parts.username or "guest")
    proxy = TcpProxy((parts.hostname, parts.port or 5672)).start()
    credentials = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    return urlunsplit(parts._replace(netloc=f"{credentials}127.0.0.1:{proxy.port}", path=f"/{vhost}")), proxy


def seed_demo_staff(suite: Suite) -> None:
    """The demo staff (bench.mix signs in as them) in the suite's school, its demand points and locations."""
    with suite.database("procurement").unit_of_work() as uow:
        school_id = uow.session.scalar(select(StaffUser.school_id).limit(1))
        points = {point.code: point for point in ensure_demand_points(uow.session, school_id)}
        for name, display, roles, point in DEMO_STAFF:
            user = create_staff_user(uow.session, school_id, name, display, DEMO_PASSWORD, roles)
            user.demand_point_id = points[point].id if point else None
        uow.commit()
    with suite.database("inventory").unit_of_work() as uow:
        ensure_standard_locations(uow.session, school_id)
        uow.commit()


def start_service(suite: Suite, service: str, port: int, env: dict) -> Managed:
    managed = Managed(service, [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "-b", f"127.0.0.1:{port}",
                                f"services.{service}:create_app()"], env, suite.var / f"{service}.log").start()
    managed.wait_for_http(f"http://127.0.0.1:{port}/readyz")
    return managed


@pytest.fixture(scope="module")
def stack(database_server, tmp_path_factory):
    vhost = f"faults-{uuid.uuid4().hex[:8]}"
    broker_url, proxy = through_proxy(os.environ.get("TEST_BROKER_URL", ""), vhost)
    suite = build_suite(database_server, tmp_path_factory.mktemp("faults"), "faults", broker_url)
    seed_demo_staff(suite)
    ports = {service: free_port() for service in SERVICES}
    urls = {service: f"http://127.0.0.1:{port}" for service, port in ports.items()}
    env = {**suite.env, **{f"{service.upper()}_URL": url for service, url in urls.items()}}
    suite.env = env
    services, worker = {}, None
    try:
        for service in SERVICES:
            services[service] = start_service(suite, service, ports[service], env)
        worker = suite.worker("faults-worker").start()
        school = School(urls.__getitem__, suite.apps["procurement"].extensions["celery"], Recorder())
        stack = Stack(suite, services, urls, worker, proxy, school)
        yield stack
        worker = stack.worker
    finally:
        if worker is not None:
            worker.stop()
        for managed in services.values():
            managed.stop()
        if proxy is not None:
            proxy.cut()
            delete_vhost(vhost)
        suite.dispose()


@contextmanager
def broker_outage(stack: Stack):
    """The broker unreachable for the block: the proxy cut, or the embedded broker's folder made a file.

    A folder merely moved away is made again by the next channel (shared.broker), so a plain file
    takes its place: nothing can be put, read or made there until it is back.
    """
    folder = stack.suite.settings.broker_folder
    away = folder.with_name("broker-away")
    if stack.proxy is not None:
        stack.proxy.cut()
    else:
        os.rename(folder, away)
        while True:
            try:
                folder.write_bytes(b"")
                break
            except IsADirectoryError:  # a channel made it again in between: keep what it holds
                shutil.copytree(folder, away, dirs_exist_ok=True)
                shutil.rmtree(folder)
    try:
        yield
    finally:
        if stack.proxy is not None:
            stack.proxy.restore()
        else:
            folder.unlink()
            os.rename(away, folder)


def test_a_cycle_before_any_fault_reconciles_and_a_tampered_order_does_not(stack):
    stack.cycle_in_background()()
    assert stack.reconciled() == []
    with stack.suite.database("procurement").unit_of_work() as uow:
        line_id, received = uow.session.execute(select(PurchaseOrderLine.id, PurchaseOrderLine.received_quantity)
                                                .where(PurchaseOrderLine.received_quantity > 0).limit(1)).one()
        uow.session.execute(update(PurchaseOrderLine).where(PurchaseOrderLine.id == line_id)
                            .values(received_quantity=received + Decimal(1)))
        uow.commit()
    try:
        databases = {service: stack.suite.database(service) for service in SERVICES}
        assert [problem for problem in problems_in(databases) if f"({line_id},)" in problem] == [
            f"accepted/rejected of PO line ({line_id},): procurement {received + 1}/0.000 ≠ inventory "
            f"inspections {received}/0.000"]
    finally:
        with stack.suite.database("procurement").unit_of_work() as uow:
            uow.session.execute(update(PurchaseOrderLine).where(PurchaseOrderLine.id == line_id)
                                .values(received_quantity=received))
            uow.commit()


def test_a_cycle_completes_through_a_30_second_broker_outage(stack):
    with broker_outage(stack):
        started = time.monotonic()
        # the order is raised, approved and sent while the broker is down: each request succeeds
        # and its events wait in the outbox; the cycle then waits for them on the portal
        join = stack.cycle_in_background("manager2")
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - started)))
    join()
    assert stack.reconciled() == []


def test_a_worker_killed_with_sigkill_mid_cycle_loses_and_repeats_nothing(stack):
    log = stack.worker.log_path
    seen = log.read_bytes().count(b"received")
    join = stack.cycle_in_background("manager3")
    wait_for(lambda: log.read_bytes().count(b"received") > seen + 2, timeout=60, interval=0.05,
             message="the worker taking this cycle's events")
    stack.worker.kill()
    time.sleep(2)  # events published meanwhile wait in the broker
    stack.restart_worker(f"faults-worker-{uuid.uuid4().hex[:4]}")
    join()
    assert stack.reconciled() == []


def test_a_service_restarted_while_another_calls_it_gets_answers_or_a_clear_connection_error(stack):
    """Services call each other through shared.http.ServiceClient: timeouts always, connection retries."""
    service, url = "inventory", stack.urls["inventory"]
    keeper = stack.school.staff["keeper"].session.headers["Authorization"].split()[1]
    client = ServiceClient(url, timeout=5, token=keeper)
    outcomes: list[tuple[str, object, float]] = []
    stop = threading.Event()

    def call_while_restarting():
        while not stop.is_set():
            for method in ("GET", "POST"):
                began = time.monotonic()
                try:
                    response = client.request(method, "/api/locations", json={} if method == "POST" else None)
                    outcomes.append((method, response.status_code, time.monotonic() - began))
                except requests.RequestException as exc:
                    outcomes.append((method, exc, time.monotonic() - began))
            time.sleep(0.05)

    caller = threading.Thread(target=call_while_restarting)
    caller.start()
    try:
        time.sleep(0.5)
        port = int(url.rsplit(":", 1)[1])
        stack.services[service].stop()
        # Down for longer than the client's connection retries (0 + 0.4 + 0.8 s), so that some calls
        # must meet it down: a shorter outage is absorbed by the retries, and the test proves nothing.
        time.sleep(3)
        stack.services[service] = start_service(stack.suite, service, port, stack.suite.env)
        time.sleep(1)
    finally:
        stop.set()
        caller.join(30)
    statuses = {(method, outcome) for method, outcome, _ in outcomes if isinstance(outcome, int)}
    failures = [(method, outcome, seconds) for method, outcome, seconds in outcomes if not isinstance(outcome, int)]
    # reads answer 200; writes answer as the API says (this route takes no POST); no 5xx ever
    assert statuses <= {("GET", 200), ("POST", 405)}, statuses
    assert failures, f"the caller never met the service down: {outcomes}"
    # what met the service down is a connection error, within the client's timeouts; a refused
    # connection (nothing sent, so safe for writes too) fails only after the retries' 0 + 0.4 + 0.8 s
    assert all(isinstance(error, requests.ConnectionError) and seconds < 15 for _, error, seconds in failures), \
        failures
    assert all(seconds >= 1.0 for _, error, seconds in failures if "Connection refused" in str(error)), failures
    assert [(method, outcome) for method, outcome, _ in outcomes[-2:]] == [("GET", 200), ("POST", 405)]
    stack.cycle_in_background()()
    assert stack.reconciled() == []


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_SERVER"), reason="pg_terminate_backend is PostgreSQL's")
def test_database_connections_terminated_mid_cycle_are_replaced_and_the_cycle_completes(stack):
    databases = [make_url(stack.suite.settings.database_url(service)).database for service in SERVICES]
    admin = create_engine(make_url(os.environ["TEST_DATABASE_SERVER"]).set(database="postgres"),
                          isolation_level="AUTOCOMMIT")
    join = stack.cycle_in_background("manager2")
    terminated = 0
    try:
        for _ in range(5):
            time.sleep(1)
            with admin.connect() as connection:
                terminated += connection.execute(text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = ANY(:names) AND pid <> pg_backend_pid()"), {"names": databases}).scalar()
    finally:
        admin.dispose()
    join()
    assert terminated > 0
    assert stack.reconciled() == []

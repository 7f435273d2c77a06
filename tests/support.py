"""Test plumbing: per-run databases on SQLite or a real server, and real worker processes."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from shared.config import SERVICES, Settings
from shared.migrations import upgrade

REPO = Path(__file__).resolve().parent.parent
TEST_SECRET = "test-secret-" + "x" * 40
RUN_ID = os.environ.get("TEST_RUN_ID") or uuid.uuid4().hex[:8]
WORKER_ID = os.environ.get("PYTEST_XDIST_WORKER", "main")


class DatabaseServer:
    """Creates fresh databases: SQLite files by default, or on TEST_DATABASE_SERVER (PostgreSQL)."""

    def __init__(self, folder: Path):
        self.server = os.environ.get("TEST_DATABASE_SERVER")
        self.folder = folder
        self.created: list[str] = []

    def create(self, name: str) -> str:
        if not self.server:
            return f"sqlite:///{self.folder / (name + '.db')}"
        database = f"cps_{RUN_ID}_{WORKER_ID}_{name}".lower()
        self._admin(f'CREATE DATABASE "{database}"')
        self.created.append(database)
        return str(make_url(self.server).set(database=database).render_as_string(hide_password=False))

    def drop_all(self) -> None:
        for database in self.created:
            self._admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    def _admin(self, statement: str) -> None:
        engine = create_engine(make_url(self.server).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(statement))
        engine.dispose()


def migrated_databases(server: DatabaseServer, prefix: str, specs) -> dict[str, str]:
    urls = {}
    for service in SERVICES:
        urls[service] = server.create(f"{prefix}_{service}")
        upgrade(specs[service].migrations_dir, urls[service])
    return urls


def settings_for(var_dir: Path, urls: dict[str, str], broker_url: str = "",
                 publish_after_commit: bool = False) -> Settings:
    return Settings(env="test", secret_key=TEST_SECRET, var_dir=var_dir, database_urls=urls,
                    broker_url=broker_url, publish_after_commit=publish_after_commit)


def environment_for(settings: Settings, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.endswith("_DATABASE_URL")}
    env.update(APP_ENV="test", SECRET_KEY=settings.secret_key, VAR_DIR=str(settings.var_dir),
               BROKER_URL=settings.effective_broker_url, PYTHONPATH=str(REPO), **extra)
    for service, url in settings.database_urls.items():
        env[f"{service.upper()}_DATABASE_URL"] = url
    return env


class WorkerProcess:
    """A real `celery worker` (with embedded beat) consuming every service's queue."""

    def __init__(self, env: dict[str, str], log_path: Path):
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> "WorkerProcess":
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "services.worker", "worker", "-B",
             "-Q", ",".join(SERVICES), "-c", "2", "--loglevel", "INFO",
             "-s", str(self.log_path.with_suffix(".beat")), "-n", f"test-{uuid.uuid4().hex[:6]}@%h"],
            cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if b" ready." in self.log_path.read_bytes():
                return self
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited: {self.log_path.read_text()[-3000:]}")
            time.sleep(0.1)
        raise TimeoutError(f"worker not ready: {self.log_path.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL the whole process group: the worker, its pool children and beat."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """Ask for a warm shutdown; the embedded broker's polling loop can take seconds to notice,
        and anything still held is redelivered anyway, so do not wait long before killing."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                pass
            self.kill()


def wait_for(predicate, timeout: float = 30, interval: float = 0.1, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


class TcpProxy:
    """A TCP proxy on a free 127.0.0.1 port to `target` (host, port) that a test can cut and restore.

    Cutting closes the listening socket and every connection through it, so clients see the
    peer vanish and then connections refused, as when the server itself is down, while the real
    server (shared with other developers) keeps running.
    """

    def __init__(self, target: tuple[str, int]):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.target = target
        self.listener = None
        self.connections: list = []
        self.lock = threading.Lock()

    def start(self) -> "TcpProxy":
        self.listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()
        return self

    def _accept(self, listener) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.connections += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source, sink) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.close()
                except OSError:
                    pass

    def cut(self) -> None:
        self.listener.close()
        with self.lock:
            connections, self.connections = self.connections, []
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
                connection.close()
            except OSError:
                pass

    def restore(self) -> None:
        self.start()


class ServiceOverTestClient:
    """A service's Flask test client behind the interface services call each other through (ServiceClient.get)."""

    def __init__(self, client, headers):
        self.client, self.headers = client, headers
        self.requests: list[tuple[str, dict]] = []

    def get(self, path, params=None):
        self.requests.append((path, dict(params or {})))
        response = self.client.get(path, query_string=params or {}, headers=self.headers)
        return SimpleNamespace(status_code=response.status_code, json=lambda: response.get_json())


class RefusingClient:
    """A service that cannot be reached, behind the ServiceClient interface."""

    def get(self, path, params=None):
        import requests

        raise requests.ConnectionError(f"connection to {path} refused")


def as_inventory_over(test_clients: dict):
    """clients(school_id) -> {service: ServiceOverTestClient} asking with inventory's service token, as
    services.inventory.costing.disclosure.service_clients does over HTTP; `clients.made` keeps what it made."""
    from shared.auth import service_token

    made = []

    def clients(school_id: int) -> dict[str, ServiceOverTestClient]:
        headers = {"Authorization": f"Bearer {service_token('inventory', school_id, TEST_SECRET)}"}
        made.append({name: ServiceOverTestClient(client, headers) for name, client in test_clients.items()})
        return made[-1]

    clients.made = made
    return clients

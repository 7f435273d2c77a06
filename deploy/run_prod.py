"""`make run-prod`: the suite in its production configuration on this machine.

PostgreSQL and RabbitMQ on 127.0.0.1: one database per service and a RabbitMQ vhost of the
deployment's own are created when missing, migrated and seeded with the demo school. Then it
starts the three services under gunicorn (deploy/gunicorn.conf.py), a Celery worker per queue,
beat and Flower, all with APP_ENV=production and a SECRET_KEY taken from the environment or
generated for this run (never a default). Ctrl-C (or SIGTERM) stops every process it started.

    python -m deploy.run_prod [--name canteen_prod] [--base-port 5001] [--flower-port 5555]

`Deployment` is also what the load test (bench/mix.py) starts and stops.
"""
from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.procs import Managed, Processes, free_port, run_checked
from shared.config import DEFAULT_PORTS, REPO_ROOT, SERVICES

DATABASE_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BROKER_SERVER = "amqp://guest:guest@127.0.0.1:5672"
BIN = Path(sys.executable).parent


def create_vhost(vhost: str, user: str) -> None:
    """A RabbitMQ virtual host of one's own (when missing), open to `user`: queues no one else shares."""
    existing = subprocess.run(["rabbitmqctl", "-q", "list_vhosts"], check=True, capture_output=True, text=True)
    if vhost not in existing.stdout.split():
        subprocess.run(["rabbitmqctl", "-q", "add_vhost", vhost], check=True, capture_output=True)
    subprocess.run(["rabbitmqctl", "-q", "set_permissions", "-p", vhost, user, ".*", ".*", ".*"],
                   check=True, capture_output=True)


def delete_vhost(vhost: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], capture_output=True)


@dataclass
class Deployment:
    """One production-configured suite: its databases, vhost, ports, secret and processes."""

    name: str = "canteen_prod"
    database_server: str = DATABASE_SERVER
    broker_server: str = BROKER_SERVER
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    flower_port: int = 5555
    secret_key: str = field(default_factory=lambda: os.environ.get("SECRET_KEY") or secrets.token_urlsafe(48))
    gunicorn_workers: int = 2
    worker_concurrency: int = 2
    var_dir: Path | None = None
    processes: Processes = field(default_factory=Processes)

    def __post_init__(self):
        self.var_dir = Path(self.var_dir or REPO_ROOT / "var" / self.name)
        self.var_dir.mkdir(parents=True, exist_ok=True)

    @classmethod
    def on_free_ports(cls, **kwargs) -> "Deployment":
        return cls(ports={service: free_port() for service in SERVICES}, flower_port=free_port(), **kwargs)

    def database_url(self, service: str) -> str:
        return make_url(self.database_server).set(database=f"{self.name}_{service}").render_as_string(
            hide_password=False)

    @property
    def vhost(self) -> str:
        return self.name

    @property
    def broker_url(self) -> str:
        return f"{self.broker_server}/{self.vhost}"

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def environment(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items()
               if not key.endswith(("_DATABASE_URL", "_URL")) and key not in ("APP_ENV", "ARGON2_MEMORY_KIB")}
        env.update(APP_ENV="production", SECRET_KEY=self.secret_key, BROKER_URL=self.broker_url,
                   VAR_DIR=str(self.var_dir), PATH=f"{BIN}:{env.get('PATH', '')}",
                   GUNICORN_WORKERS=str(self.gunicorn_workers), PYTHONPATH=str(REPO_ROOT))
        for service in SERVICES:
            env[f"{service.upper()}_DATABASE_URL"] = self.database_url(service)
            env[f"{service.upper()}_URL"] = self.url(service)
        return env

    # ------------------------------------------------------------------ preparing

    def _admin(self, statement: str, **parameters):
        engine = create_engine(self.database_server, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                result = connection.execute(text(statement), parameters)
                return result.first() if result.returns_rows else None
        finally:
            engine.dispose()

    def create_databases(self) -> None:
        for service in SERVICES:
            database = f"{self.name}_{service}"
            if self._admin("SELECT 1 FROM pg_database WHERE datname = :name", name=database) is None:
                self._admin(f'CREATE DATABASE "{database}"')

    def prepare(self) -> None:
        """Databases and vhost when missing, then migrations and the demo school (both idempotent)."""
        self.create_databases()
        create_vhost(self.vhost, urlsplit(self.broker_server).username or "guest")
        env, log = self.environment(), self.var_dir / "prepare.log"
        for service in SERVICES:
            run_checked(f"{service} db-upgrade", [str(BIN / "flask"), "--app", f"services.{service}", "db-upgrade"],
                        env, log)
        for service in ("procurement", "inventory"):
            run_checked(f"{service} seed-demo", [str(BIN / "flask"), "--app", f"services.{service}", "seed-demo"],
                        env, log)

    def drop(self) -> None:
        """Remove the databases, the vhost and var/<name> (a throw-away deployment of a test or the load test)."""
        shutil.rmtree(self.var_dir, ignore_errors=True)
        for service in SERVICES:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}_{service}" WITH (FORCE)')
        delete_vhost(self.vhost)

    # ------------------------------------------------------------------ running

    def _start(self, name: str, argv: list[str]) -> Managed:
        return self.processes.start(Managed(name, argv, self.environment(), self.var_dir / f"{name}.log"))

    def start_service(self, service: str) -> Managed:
        managed = self._start(service, [str(BIN / "gunicorn"), "-c", str(REPO_ROOT / "deploy" / "gunicorn.conf.py"),
                                        "-b", f"127.0.0.1:{self.ports[service]}", f"services.{service}:create_app()"])
        managed.wait_for_http(f"{self.url(service)}/readyz")
        return managed

    def start_worker(self, queue: str) -> Managed:
        managed = self._start(f"worker-{queue}", [
            str(BIN / "celery"), "-A", "services.worker", "worker", "-Q", queue, "-n", f"{queue}@{self.name}",
            "-c", str(self.worker_concurrency), "--loglevel", "INFO"])
        managed.wait_for_log(b" ready.")
        return managed

    def start(self, flower: bool = True) -> None:
        for service in SERVICES:
            self.start_service(service)
        for queue in SERVICES:
            self.start_worker(queue)
        self._start("beat", [str(BIN / "celery"), "-A", "services.worker", "beat", "--loglevel", "INFO",
                             "-s", str(self.var_dir / "celerybeat-schedule")]).wait_for_log(b"beat: Starting")
        if flower:
            self._start("flower", [str(BIN / "celery"), "-A", "services.worker", "flower",
                                   f"--port={self.flower_port}", "--address=127.0.0.1"]).wait_for_http(
                f"http://127.0.0.1:{self.flower_port}/healthcheck")

    def find(self, name: str) -> Managed:
        return next(managed for managed in self.processes.started if managed.name == name)

    def stop(self) -> None:
        self.processes.stop_all()

    def watch(self) -> str | None:
        """The name of the first process that died, checked once."""
        for managed in self.processes.started:
            if managed.process.poll() is not None:
                return managed.name
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default=os.environ.get("DEPLOYMENT_NAME", "canteen_prod"),
                        help="prefix of the databases, the vhost and var/<name> (default canteen_prod)")
    parser.add_argument("--base-port", type=int, default=5001, help="procurement's port; the others follow")
    parser.add_argument("--flower-port", type=int, default=5555)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per service")
    arguments = parser.parse_args(argv)
    deployment = Deployment(name=arguments.name, flower_port=arguments.flower_port, gunicorn_workers=arguments.workers,
                            ports={service: arguments.base_port + i for i, service in enumerate(SERVICES)})
    stopping = []

    def stop_on_signal(signum, _frame):
        stopping.append(signum)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop_on_signal)
    try:
        deployment.prepare()
        deployment.start()
        for service in SERVICES:
            print(f"{service:<16} {deployment.url(service)}/api/docs")
        print(f"{'flower':<16} http://127.0.0.1:{deployment.flower_port}/")
        print(f"logs in {deployment.var_dir}; Ctrl-C stops everything", flush=True)
        while (dead := deployment.watch()) is None:
            time.sleep(1)
        print(f"{dead} exited; stopping the rest", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        deployment.stop()


if __name__ == "__main__":
    sys.exit(main())

"""The benchmark run: prepare a fresh VAR_DIR, measure HTTP and events, print the tables."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
import traceback
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

from . import report
from .load import LoadResult, closed_loop, fixed_count, new_session
from .procs import REPO, VENV_BIN, Managed, Processes, free_port, machine_busy_seconds, run_checked

SERVICES = ("procurement", "inventory", "supplier_portal")
BUYER = ("buyer", "demo-password")
CATEGORIES = ["vegetables"]
WARM_EVENTS = 4
POLL_SECONDS = 0.02


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="short run: 3 s per HTTP load, 60 events (unless given explicitly)"
    )
    parser.add_argument("--only", choices=("all", "http", "events", "inventory", "receipt", "po", "consolidation",
                                           "export"),
                        default="all",
                        help="inventory: only the in-process inventory bench (bench/inventory.py, about 60 s); "
                             "receipt: its goods-receipt part alone; po, consolidation: bench/procurement.py; "
                             "export: bench/exports.py (a few minutes; the XLSX side is most of it)")
    parser.add_argument(
        "--duration", type=float, help="seconds measured per HTTP load, over all its slices (default 10, quick 3)"
    )
    parser.add_argument(
        "--warmup", type=float, help="seconds of unmeasured load before each measured slice (default 0.5)"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="the sides of each HTTP comparison take turns in this many slices (default 3)",
    )
    parser.add_argument("--clients", type=int, default=8, help="concurrent closed-loop clients (default 8)")
    parser.add_argument(
        "--max-requests",
        type=int,
        default=100_000,
        help="cap on requests per HTTP load, warm-up included (default 100000)",
    )
    parser.add_argument(
        "--read-rows",
        type=int,
        default=50,
        help="rows each read returns: the suite's list holds exactly this many (default 50)",
    )
    parser.add_argument("--events", type=int, help="events sent per side (default 300, quick 60)")
    parser.add_argument(
        "--events-timeout", type=float, default=60.0, help="seconds to wait for all events to be applied (default 60)"
    )
    parser.add_argument("--http-workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--worker-concurrency", type=int, default=2, help="celery worker -c (default 2)")
    parser.add_argument(
        "--skip-variant", action="store_true", help="skip the extra suite write with PUBLISH_AFTER_COMMIT=0"
    )
    parser.add_argument("--json", type=Path, help="also write the figures as JSON to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary VAR_DIR (logs, databases)")
    args = parser.parse_args(argv)
    defaults = {"duration": (10.0, 3.0), "warmup": (0.5, 0.5), "events": (300, 60)}
    for name, (normal, quick) in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else normal)
    if args.warmup < 0:
        parser.error("--warmup must not be negative")
    for name in (
        "duration",
        "rounds",
        "clients",
        "events",
        "read_rows",
        "max_requests",
        "http_workers",
        "worker_concurrency",
    ):
        if getattr(args, name) <= 0:
            parser.error(f"--{name.replace('_', '-')} must be positive")
    return args


def environment(var: Path, args) -> dict[str, str]:
    """The inherited environment, less anything that would point away from the fresh VAR_DIR."""
    dropped = {
        "BROKER_URL",
        "APP_ENV",
        "SECRET_KEY",
        "VAR_DIR",
        "PUBLISH_AFTER_COMMIT",
        "RELAY_INTERVAL_SECONDS",
        "GUNICORN_WORKERS",
        "GUNICORN_TIMEOUT",
        "BASELINE_DATABASE",
    }
    dropped |= {f"{s.upper()}_DATABASE_URL" for s in SERVICES} | {f"{s.upper()}_URL" for s in SERVICES}
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    env.update(
        VAR_DIR=str(var),
        SECRET_KEY=secrets.token_urlsafe(48),
        APP_ENV="development",
        PUBLISH_AFTER_COMMIT="1",
        RELAY_INTERVAL_SECONDS="5",
        GUNICORN_WORKERS=str(args.http_workers),
        PYTHONPATH=str(REPO),
        PYTHONDONTWRITEBYTECODE="1",
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
    )
    return env


def machine() -> dict:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "python": sys.version.split()[0],
        "loadavg_at_start": Path("/proc/loadavg").read_text().split()[:3],
    }


class Incomplete(TimeoutError):
    """Not every event arrived in time: `applied` did, by `moment`."""

    def __init__(self, message: str, applied: int, moment: float):
        super().__init__(message)
        self.applied = applied
        self.moment = moment


class Bench:
    def __init__(self, args, var: Path, env: dict, procs: Processes):
        self.args = args
        self.var = var
        self.env = env
        self.procs = procs
        self.logs = var / "logs"
        self.logs.mkdir()
        self.results: dict = {
            "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "machine": machine(),
        }
        self.procurement: Managed | None = None
        self.procurement_url = ""
        self.auth: dict[str, str] = {}

    # ---- preparation -------------------------------------------------------------------------
    def prepare(self) -> None:
        started = time.monotonic()
        with ThreadPoolExecutor(len(SERVICES)) as pool:
            futures = [
                pool.submit(
                    run_checked,
                    f"{s} db-upgrade",
                    [str(VENV_BIN / "flask"), "--app", f"services.{s}", "db-upgrade"],
                    self.env,
                    self.logs / f"migrate-{s}.log",
                )
                for s in SERVICES
            ]
            for future in futures:
                future.result()
        run_checked(
            "procurement seed-demo",
            [str(VENV_BIN / "flask"), "--app", "services.procurement", "seed-demo"],
            self.env,
            self.logs / "seed-procurement.log",
        )
        print(f"bench: migrated and seeded in {time.monotonic() - started:.1f}s (VAR_DIR {self.var})", flush=True)

    def gunicorn(self, name: str, target: str, **env_overrides: str) -> tuple[Managed, str]:
        port = free_port()
        managed = self.procs.start(
            Managed(
                name,
                [
                    str(VENV_BIN / "gunicorn"),
                    "-c",
                    str(REPO / "deploy" / "gunicorn.conf.py"),
                    "-b",
                    f"127.0.0.1:{port}",
                    target,
                ],
                {**self.env, **env_overrides},
                self.logs / f"{name}.log",
            )
        )
        url = f"http://127.0.0.1:{port}"
        managed.wait_for_http(f"{url}/healthz")
        return managed, url

    @staticmethod
    def login(url: str) -> dict[str, str]:
        session = new_session()
        try:
            response = session.post(
                f"{url}/api/auth/login", timeout=30, json={"username": BUYER[0], "password": BUYER[1]}
            )
        finally:
            session.close()
        if response.status_code != 200:
            raise RuntimeError(f"login failed: {response.status_code} {response.text[:300]}")
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def start_procurement(self) -> None:
        if self.procurement is not None:
            return
        self.procurement, self.procurement_url = self.gunicorn("procurement", "services.procurement:create_app()")
        self.auth = self.login(self.procurement_url)

    def start_inventory(self) -> tuple[Managed, str, dict[str, str], int, int]:
        """Inventory under gunicorn, its locations made and 100 items in its cache (as the hourly refresh
        from procurement would leave them); a storekeeper's token, the central store room's id and how many
        items there are (ids 1..n)."""
        from services.inventory import SPEC as INVENTORY
        from services.inventory.items import upsert_items
        from services.inventory.locations import ensure_standard_locations
        from shared.auth import Principal, issue_token
        from shared.config import Settings

        from .inventory import ITEMS, item_record

        settings = Settings.from_env(self.env)
        database = INVENTORY.open_database(settings)
        with database.unit_of_work() as uow:
            store_room = next(location.id for location in ensure_standard_locations(uow.session, 1)
                              if location.code == "CSR")
            upsert_items(uow.session, 1, [item_record(index) for index in range(1, ITEMS + 1)])
            uow.commit()
        database.dispose()
        managed, url = self.gunicorn("inventory", "services.inventory:create_app()")
        token = issue_token(Principal("1", frozenset({"storekeeper"}), school_id=1), settings.secret_key, 3600)
        return managed, url, {"Authorization": f"Bearer {token}"}, store_room, ITEMS

    def priced_items(self) -> list[tuple[int, str, str]]:
        """The bench supplier approved in procurement (as the portal's event would leave it), and the
        vegetables it is sent orders for, each at its price rule's limit."""
        from services.procurement import SPEC as PROCUREMENT
        from shared.config import Settings

        from .procurement import approve_supplier, priced_vegetables

        database = PROCUREMENT.open_database(Settings.from_env(self.env))
        with database.unit_of_work() as uow:
            approve_supplier(uow.session)
            uow.commit()
            priced = priced_vegetables(uow.session, 1)
        database.dispose()
        return priced

    # ---- HTTP --------------------------------------------------------------------------------
    def invite(self, session, client: int, sequence: int, tag: str = "w", url: str = "", auth: dict | None = None):
        return session.post(
            f"{url or self.procurement_url}/api/supplier-invitations",
            headers=auth or self.auth,
            timeout=10,
            json={
                "company_name": f"Bench supplier {tag}{client}-{sequence}",
                "contact_email": f"sales-{tag}{client}-{sequence}@bench.example.cn",
                "categories": CATEGORIES,
            },
        )

    def http(self) -> None:
        args = self.args
        self.start_procurement()
        from .baseline_app import init_db

        init_db(self.var / "baseline_http.db")
        baseline, baseline_url = self.gunicorn("baseline_http", "bench.baseline_app:create_app()")
        suite_list = f"{self.procurement_url}/api/supplier-invitations"
        baseline_list = f"{baseline_url}/rows?limit={args.read_rows}"

        # Both lists hold exactly --read-rows rows while they are read (the suite's list is unpaginated).
        session = new_session()
        try:
            present = len(session.get(suite_list, headers=self.auth, timeout=10).json())
            for i in range(args.read_rows - present):
                response = self.invite(session, 0, i, tag="fill")
                if response.status_code != 201:
                    raise RuntimeError(f"fill failed: {response.status_code} {response.text[:300]}")
            for i in range(args.read_rows):
                session.post(
                    f"{baseline_url}/rows",
                    timeout=10,
                    json={
                        "company_name": f"Bench supplier fill0-{i}",
                        "contact_email": f"sales-fill0-{i}@bench.example.cn",
                        "categories": CATEGORIES,
                    },
                ).raise_for_status()
            suite_rows = len(session.get(suite_list, headers=self.auth, timeout=10).json())
            baseline_rows = len(session.get(baseline_list, timeout=10).json())
        finally:
            session.close()
        if suite_rows != args.read_rows or baseline_rows != args.read_rows:
            raise RuntimeError(
                f"read lists hold {suite_rows} (suite) and {baseline_rows} (baseline) rows, not {args.read_rows}"
            )

        def suite_read(session, _client, _sequence):
            return session.get(suite_list, headers=self.auth, timeout=10)

        def baseline_read(session, _client, _sequence):
            return session.get(baseline_list, timeout=10)

        def baseline_write(session, client, sequence):
            return session.post(
                f"{baseline_url}/rows",
                timeout=10,
                json={
                    "company_name": f"Bench supplier w{client}-{sequence}",
                    "contact_email": f"sales-w{client}-{sequence}@bench.example.cn",
                    "categories": CATEGORIES,
                },
            )

        reads = [
            ("suite", f"GET /api/supplier-invitations ({args.read_rows} rows)", suite_read, 200, self.procurement),
            ("baseline", f"GET /rows?limit={args.read_rows}", baseline_read, 200, baseline),
        ]
        writes = [
            ("suite", "POST /api/supplier-invitations", self.invite, 201, self.procurement),
            ("baseline", "POST /rows", baseline_write, 201, baseline),
        ]
        # A goods receipt (one line, a new lot) over HTTP, against the same bare insert.
        inventory, inventory_url, storekeeper, store_room, items = self.start_inventory()
        today = datetime.now(timezone.utc).date().isoformat()

        def receive(session, client, sequence):
            return session.post(f"{inventory_url}/api/receipts", headers=storekeeper, timeout=10, json={
                "location_id": store_room, "supplier_id": 7, "delivery_reference": f"DN-{client}-{sequence}",
                "lines": [{"item_id": sequence % items + 1, "quantity": "12.500", "unit_price": "4.20",
                           "lot_number": f"B-{client}-{sequence}", "production_date": today}]})

        writes.append(("receipt", "POST /api/receipts (inventory, one line)", receive, 201, inventory))
        # A purchase order created, approved under the rules and sent in one request, against the same bare insert.
        from .procurement import order_body

        priced = self.priced_items()

        def send_order(session, _client, sequence):
            return session.post(f"{self.procurement_url}/api/purchase-orders", headers=self.auth, timeout=10,
                                json={**order_body(priced, sequence), "send": True})

        writes.append(("order", 'POST /api/purchase-orders (one line, "send": true)', send_order, 201,
                       self.procurement))
        if not args.skip_variant:
            # The same write with the after-commit relay off (the sweep alone would publish): how much of
            # the write's cost, and which of its errors, belong to publishing inside the request.
            quiet, quiet_url = self.gunicorn(
                "procurement_no_publish", "services.procurement:create_app()", PUBLISH_AFTER_COMMIT="0"
            )
            quiet_auth = self.login(quiet_url)
            writes.append(
                (
                    "suite_no_publish",
                    "POST /api/supplier-invitations, PUBLISH_AFTER_COMMIT=0",
                    lambda s, c, n: self.invite(s, c, n, tag="q", url=quiet_url, auth=quiet_auth),
                    201,
                    quiet,
                )
            )

        # Reads first: the writes grow the suite's list. The sides take turns in --rounds slices, so that
        # whatever else runs on the machine meanwhile falls on all of them alike.
        http: dict = {}
        slice_seconds = args.duration / args.rounds
        for kind, loads in (("read", reads), ("write", writes)):
            merged: dict[str, LoadResult] = {}
            for round_number in range(1, args.rounds + 1):
                for side, label, call, status, server in loads:
                    print(f"bench: HTTP {kind} round {round_number}/{args.rounds} {side}: {label}", flush=True)
                    result = closed_loop(
                        label,
                        call,
                        status,
                        args.clients,
                        slice_seconds,
                        args.warmup,
                        args.max_requests // args.rounds,
                        server_cpu=server.cpu_seconds,
                    )
                    merged[side] = merged[side].merge(result) if side in merged else result
            http[kind] = {side: result.summary() for side, result in merged.items()}
        self.procs.stop(baseline)
        self.procs.stop(inventory)
        if not args.skip_variant:
            self.procs.stop(quiet)
        self.results["http"] = http

    # ---- events ------------------------------------------------------------------------------
    def purge_broker_queue(self) -> int:
        """Drop the messages the HTTP writes published while no worker ran (nobody consumes them)."""
        purged = 0
        queue = self.var / "broker" / "queue"
        if queue.is_dir():
            for path in queue.iterdir():
                if path.name.endswith(".msg"):
                    path.unlink(missing_ok=True)
                    purged += 1
        return purged

    def worker(self, name: str, app: str, queues: str) -> Managed:
        managed = self.procs.start(
            Managed(
                name,
                [
                    str(VENV_BIN / "celery"),
                    "-A",
                    app,
                    "worker",
                    "-Q",
                    queues,
                    "-c",
                    str(self.args.worker_concurrency),
                    "--loglevel",
                    "INFO",
                    "-n",
                    f"{name}-{uuid.uuid4().hex[:6]}@%h",
                ],
                self.env,
                self.logs / f"{name}.log",
            )
        )
        managed.wait_for_log(b" ready.", timeout=60)
        return managed

    def wait_for_count(self, database: Path, query: str, target: int, timeout: float, worker: Managed) -> float:
        """Poll the SQLite file until `query` counts `target`; return the moment it does.

        On timeout, raises Incomplete carrying the last count and the moment it gave up."""
        deadline = time.monotonic() + timeout
        count = None
        connection = None
        try:
            while time.monotonic() < deadline:
                if connection is None and database.exists():
                    connection = sqlite3.connect(database, timeout=5, isolation_level=None)
                if connection is not None:
                    try:
                        count = connection.execute(query).fetchone()[0]
                    except sqlite3.OperationalError:  # not created yet, or busy
                        pass
                    if count is not None and count >= target:
                        return time.perf_counter()
                worker.check_alive()
                time.sleep(POLL_SECONDS)
        finally:
            if connection is not None:
                connection.close()
        raise Incomplete(
            f"{query!r} on {database.name} counted {count}, not {target}, after {timeout}s "
            f"(worker log {worker.log_path})",
            count or 0,
            time.perf_counter(),
        )

    @staticmethod
    def count(database: Path, query: str) -> int:
        connection = sqlite3.connect(database, timeout=30, isolation_level=None)
        try:
            return connection.execute(query).fetchone()[0]
        finally:
            connection.close()

    def events(self) -> None:
        args = self.args
        self.start_procurement()
        purged = self.purge_broker_queue()
        if purged:
            print(f"bench: dropped {purged} queued messages left by the HTTP writes", flush=True)
        events: dict = {}

        # The suite: procurement API -> outbox -> after-commit publish -> worker -> supplier_portal DB.
        # A POST that answers 500 may still have committed its invitation and sent its event (see
        # README): the target is what procurement committed, counted in its database.
        print(f"bench: events suite: {args.events} invitations through the API ...", flush=True)
        procurement_db, portal_db = self.var / "procurement.db", self.var / "supplier_portal.db"
        invited = "SELECT count(*) FROM supplier_invitations WHERE company_name LIKE 'Bench supplier {}%'"
        arrived = "SELECT count(*) FROM suppliers WHERE name LIKE 'Bench supplier {}%'"
        worker = self.worker("worker_suite", "services.worker", ",".join(SERVICES))
        try:
            # One client: no concurrent writers, so the warm-up itself cannot fail.
            fixed_count(lambda s, c, n: self.invite(s, c, n, tag="warm"), 201, 1, WARM_EVENTS, 30)
            warm = self.count(procurement_db, invited.format("warm"))
            self.wait_for_count(portal_db, arrived.format("warm"), warm, 60, worker)
            cpu_worker, cpu_api = worker.cpu_seconds(), self.procurement.cpu_seconds()
            cpu_self, busy = time.process_time(), machine_busy_seconds()
            started = time.perf_counter()
            failures, samples = fixed_count(
                lambda s, c, n: self.invite(s, c, n, tag="event"), 201, args.clients, args.events, args.events_timeout
            )
            sent = time.perf_counter()
            committed = self.count(procurement_db, invited.format("event"))
            done, applied = self.wait_or_partial(portal_db, arrived.format("event"), committed, worker)
            worker_cpu, api_cpu = worker.cpu_seconds() - cpu_worker, self.procurement.cpu_seconds() - cpu_api
            other = machine_busy_seconds() - busy - worker_cpu - api_cpu - (time.process_time() - cpu_self)
            events["suite"] = self._event_figures(committed, applied, started, sent, done, worker_cpu, api_cpu, other)
            log = worker.log_path.read_text(errors="replace")
            events["suite"].update(
                http_errors=failures,
                error_samples=samples,
                handler_retries=sum(1 for line in log.splitlines() if "retry: Retry in" in line),
            )
        finally:
            self.procs.stop(worker)

        # The baseline: a bare task on the same broker, sent straight from this process.
        print(f"bench: events baseline: {args.events} bare tasks ...", flush=True)
        from . import baseline_tasks

        baseline_tasks.connect(self.var / "baseline_tasks.db").close()
        tasks_db = self.var / "baseline_tasks.db"
        worker = self.worker("worker_baseline", "bench.baseline_tasks", baseline_tasks.QUEUE)
        try:

            def send(count: int) -> None:
                for i in range(count):
                    baseline_tasks.app.send_task(
                        baseline_tasks.TASK, args=[_envelope(i)], queue=baseline_tasks.QUEUE, retry=False
                    )

            rows = "SELECT count(*) FROM events"
            send(WARM_EVENTS)
            self.wait_for_count(tasks_db, rows, WARM_EVENTS, 60, worker)
            cpu_worker = worker.cpu_seconds()
            cpu_self, busy = time.process_time(), machine_busy_seconds()
            started = time.perf_counter()
            send(args.events)
            sent = time.perf_counter()
            done, applied = self.wait_or_partial(tasks_db, rows, WARM_EVENTS + args.events, worker)
            worker_cpu = worker.cpu_seconds() - cpu_worker
            other = machine_busy_seconds() - busy - worker_cpu - (time.process_time() - cpu_self)
            events["baseline"] = self._event_figures(
                args.events, applied - WARM_EVENTS, started, sent, done, worker_cpu, None, other
            )
            events["baseline"].update(
                http_errors=None,
                error_samples=[],
                handler_retries=sum(
                    1 for line in worker.log_path.read_text(errors="replace").splitlines() if "retry: Retry in" in line
                ),
            )
        finally:
            self.procs.stop(worker)
        self.results["events"] = events

    def wait_or_partial(self, database: Path, query: str, target: int, worker: Managed) -> tuple[float, int]:
        """(moment, count): all `target` rows, or as many as arrived within --events-timeout."""
        try:
            return self.wait_for_count(database, query, target, self.args.events_timeout, worker), target
        except Incomplete as exc:
            print(f"bench: incomplete: {exc}", flush=True)
            return exc.moment, exc.applied

    @staticmethod
    def _event_figures(n, applied, started, sent, done, worker_cpu, producer_cpu, other_cpu) -> dict:
        return {
            "other_cpu_percent": round(100 * max(0.0, other_cpu) / (done - started), 1),
            "events": n,
            "applied": applied,
            "complete": applied >= n,
            "send_seconds": round(sent - started, 3),
            "total_seconds": round(done - started, 3),
            "events_per_second": round(applied / (done - started), 1),
            "worker_cpu_ms_per_event": round(worker_cpu * 1000 / n, 2),
            "producer_cpu_ms_per_event": round(producer_cpu * 1000 / n, 2) if producer_cpu is not None else None,
        }


def _envelope(i: int) -> dict:
    """A message the size and shape of a supplier.invited envelope."""
    return {
        "id": str(uuid.uuid4()),
        "type": "supplier.invited",
        "version": 1,
        "occurred_at": datetime.now(timezone.utc).isoformat(),
        "producer": "procurement",
        "correlation_id": uuid.uuid4().hex,
        "payload": {
            "invitation_id": i,
            "school_id": 1,
            "company_name": f"Bench supplier task-{i}",
            "contact_email": f"sales-task-{i}@bench.example.cn",
            "categories": CATEGORIES,
        },
    }


def _raise_interrupt(_signum, _frame):
    raise KeyboardInterrupt


def main(argv=None) -> int:
    args = parse_args(argv)
    previous_term = signal.signal(signal.SIGTERM, _raise_interrupt)  # a `kill` cleans up like Ctrl-C
    var = Path(tempfile.mkdtemp(prefix="canteen-bench-"))
    procs = Processes()
    code = 0
    started = time.monotonic()
    try:
        env = environment(var, args)
        # This process uses the same environment (bench.baseline_tasks reads it when imported).
        for key in set(os.environ) - set(env):
            del os.environ[key]
        os.environ.update(env)
        bench = Bench(args, var, env, procs)
        if args.only in ("all", "http", "events"):  # the in-process benches need no servers or workers
            bench.prepare()
        if args.only in ("all", "http"):
            bench.http()
        if args.only in ("all", "events"):
            bench.events()
        if args.only in ("all", "inventory", "receipt"):
            from . import inventory

            bench.results["inventory"] = inventory.run(quick=args.quick, reads=args.only != "receipt")
        if args.only in ("all", "po", "consolidation"):
            from . import procurement

            parts = ("po", "consolidation") if args.only == "all" else (args.only,)
            bench.results["procurement"] = procurement.run(quick=args.quick, parts=parts)
        if args.only in ("all", "export"):
            from . import exports

            bench.results["exports"] = exports.run(quick=args.quick)
        bench.results["elapsed_seconds"] = round(time.monotonic() - started, 1)
        bench.results.setdefault("machine", {})["loadavg_at_end"] = Path("/proc/loadavg").read_text().split()[:3]
        print()
        if args.only in ("all", "http", "events"):
            print(report.render(bench.results))
        if "inventory" in bench.results:
            print()
            print(inventory.render(bench.results["inventory"]))
        if "procurement" in bench.results:
            print()
            print(procurement.render(bench.results["procurement"]))
        if "exports" in bench.results:
            print()
            print(exports.render(bench.results["exports"]))
        if args.json:
            args.json.write_text(json.dumps(bench.results, indent=2, ensure_ascii=False) + "\n")
    except KeyboardInterrupt:
        print("\nbench: interrupted; stopping what it started", file=sys.stderr)
        code = 130
    except Exception as exc:
        traceback.print_exc()
        print(f"bench: failed: {exc}", file=sys.stderr)
        print(f"bench: logs are kept in {var / 'logs'}", file=sys.stderr)
        args.keep = True
        code = 1
    finally:
        previous_int = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not skip the cleanup
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        try:
            procs.stop_all()
        finally:
            signal.signal(signal.SIGINT, previous_int)
            signal.signal(signal.SIGTERM, previous_term)
        if args.keep:
            print(f"bench: kept {var}", file=sys.stderr)
        else:
            shutil.rmtree(var, ignore_errors=True)
    return code

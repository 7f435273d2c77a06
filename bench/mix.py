"""`make load`: the purchasing mix for a fixed time against a run-prod deployment, then reconciliation.

    python -m bench.mix [--duration 60] [--cycles 3] [--managers 2] [--keep]

A throw-away deployment (deploy/run_prod.py: gunicorn, a worker per queue, beat; PostgreSQL and
RabbitMQ on 127.0.0.1, production configuration) is prepared and started on free ports. Setup,
before the clock: the demo staff sign in, a supplier registers, files its licences and is approved,
and the buyer adds two vegetables to the catalogue, which inventory's item refresh then caches.

For `--duration` seconds, the clients then work as the school does:

* `--managers` canteen managers each raise requisitions for their dining hall, submit them, and
  the approver approves them;
* `--cycles` purchasing cycles run side by side, each over and over: a canteen manager raises a
  purchase order, the approver approves it, the buyer sends it; the supplier sees it on the
  portal, acknowledges it and sends a delivery note; the storekeeper sees the expected receipt
  with the note, inspects and receives it; the supplier sees the receipt and invoices what was
  accepted; the storekeeper issues part of the stock to the kitchen. Waiting for another service
  is polling its list, as a user reloading the page would.

No cycle starts after the time is up; the ones under way finish. Then `deploy.reconcile` must find
every event applied exactly once, the ledger equal to the balances and the orders' receipts and
invoices equal across the services. It prints requests, throughput, p50/p99 latency and errors per
endpoint, and exits 1 on any error or disagreement.
"""
from __future__ import annotations

import argparse
import io
import itertools
import json
import sys
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import requests
from celery import Celery

from deploy.reconcile import reconcile
from deploy.run_prod import Deployment
from services.supplier_portal.credit_code import check_character
from shared.celery_app import create_celery
from shared.config import SERVICES, Settings
from shared.db import Database

from .load import new_session, percentile

DEMO_PASSWORD = "demo-password"
PASSWORD = "load test password"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
HALLS = {"manager1": "DH1", "manager2": "DH2", "manager3": "DH3"}
POLL_SECONDS, WAIT_SECONDS, RETRIES_AFTER_503 = 0.25, 90, 3
ORDER_QUANTITY, PRICE, ISSUED = Decimal("1200"), Decimal("9.50"), Decimal("100")  # one approval: ¥11,400


class LoadError(RuntimeError):
    """A request answered other than expected, or a wait for another service timed out."""


class Recorder:
    """Latency and errors per endpoint, from every client thread."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)
        self.retried: dict[str, int] = defaultdict(int)

    def record(self, label: str, seconds: float, error: str | None) -> None:
        with self.lock:
            if error is None:
                self.latencies[label].append(seconds)
            else:
                self.errors[label].append(error)

    def rows(self, elapsed: float) -> list[dict]:
        rows = []
        for label in sorted(set(self.latencies) | set(self.errors)):
            latencies = sorted(self.latencies[label])
            rows.append({"endpoint": label, "ok": len(latencies), "errors": len(self.errors[label]),
                         "retried_after_503": self.retried[label],
                         "rps": round(len(latencies) / elapsed, 2),
                         "p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
                         "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
                         "error_samples": self.errors[label][:2]})
        return rows


class Client:
    """One user's session against the deployment, recording every request under its endpoint's label."""

    def __init__(self, url_of: Callable[[str], str], recorder: Recorder, token: str | None = None):
        self.url_of, self.recorder = url_of, recorder
        self.session = new_session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, service: str, path: str, label: str, expected: int = 200, **kwargs):
        started = time.perf_counter()
        try:
            response = self.session.request(method, self.url_of(service) + path, timeout=30, **kwargs)
            for _ in range(RETRIES_AFTER_503):
                # the service lost its database connection mid-request: nothing was committed, retry
                if response.status_code != 503 or "Retry-After" not in response.headers:
                    break
                time.sleep(float(response.headers["Retry-After"]))
                self.recorder.retried[f"{method} {service} {label}"] += 1
                response = self.session.request(method, self.url_of(service) + path, timeout=30, **kwargs)
        except requests.RequestException as exc:
            self.recorder.record(f"{method} {service} {label}", time.perf_counter() - started, repr(exc)[:200])
            raise LoadError(f"{method} {path}: {exc!r}") from exc
        error = None if response.status_code == expected else f"HTTP {response.status_code}: {response.text[:200]}"
        self.recorder.record(f"{method} {service} {label}", time.perf_counter() - started, error)
        if error:
            raise LoadError(f"{method} {path}: {error}")
        return response.json()

    def wait(self, read, what: str):
        """Poll `read()` until it returns something, as a user reloading a list would."""
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            found = read()
            if found:
                return found
            time.sleep(POLL_SECONDS)
        raise LoadError(f"timed out after {WAIT_SECONDS}s waiting for {what}")


def sign_in(url_of: Callable[[str], str], recorder: Recorder, username: str, password: str = DEMO_PASSWORD) -> Client:
    token = Client(url_of, recorder).call("POST", "procurement", "/api/auth/login", "/api/auth/login",
                                              json={"username": username, "password": password})["access_token"]
    return Client(url_of, recorder, token)


def credit_code() -> str:
    body = f"913701{uuid.uuid4().int % 10**11:011d}"
    return body + check_character(body)


class School:
    """The demo school's staff (`seed-demo`), one supplier and two items, set up before the clock starts."""

    def __init__(self, url_of: Callable[[str], str], celery: Celery, recorder: Recorder):
        self.url_of, self.celery, self.recorder = url_of, celery, recorder
        self.staff = {name: sign_in(url_of, recorder, name)
                      for name in ("buyer", "approver", "keeper", *HALLS)}
        self.supplier_id, self.owner = self._approved_supplier()
        self.item_ids = self._items()
        self.locations = {row["code"]: row["id"]
                          for row in self.staff["keeper"].call("GET", "inventory", "/api/locations", "/api/locations")}
        self.counter = itertools.count(1)
        self.today = date.today()

    def _approved_supplier(self) -> tuple[int, Client]:
        suffix = uuid.uuid4().hex[:6]
        email = f"load-{suffix}@supplier.example.cn"
        anonymous, buyer = Client(self.url_of, self.recorder), self.staff["buyer"]
        supplier = anonymous.call("POST", "supplier_portal", "/api/auth/register", "/api/auth/register", 201, json={
            "name": f"负载测试蔬菜配送有限公司-{suffix}", "credit_code": credit_code(), "address": "济南市历下区",
            "contact_name": "王经理", "contact_phone": "0531-88888888", "contact_email": email,
            "categories": ["vegetables"], "owner": {"email": email, "display_name": "王总", "password": PASSWORD}})
        token = anonymous.call("POST", "supplier_portal", "/api/auth/login", "/api/auth/login",
                               json={"email": email, "password": PASSWORD})["access_token"]
        owner = Client(self.url_of, self.recorder, token)
        expires = (date.today() + timedelta(days=365)).isoformat()
        for kind, number in (("business_licence", "91370100MA3C000001"), ("food_business_licence", "JY1370102")):
            document = owner.call("POST", "supplier_portal", "/api/documents", "/api/documents", 201,
                                  data={"kind": kind, "number": number, "expires_on": expires},
                                  files={"file": (f"{kind}.pdf", io.BytesIO(PDF), "application/pdf")})
            buyer.call("POST", "supplier_portal", f"/api/documents/{document['id']}/approve",
                       "/api/documents/{id}/approve", json={})
        buyer.call("POST", "supplier_portal", f"/api/suppliers/{supplier['id']}/approve", "/api/suppliers/{id}/approve")
        return supplier["id"], owner

    def _items(self) -> list[int]:
        buyer, suffix = self.staff["buyer"], uuid.uuid4().hex[:6]
        ids = [buyer.call("POST", "procurement", "/api/items", "/api/items", 201, json={
            "code": f"LOAD-{name}-{suffix}", "name_zh": name_zh, "name_en": name, "category": "vegetables",
            "base_unit": "kg", "shelf_life_days": 10})["id"] for name, name_zh in (("cabbage", "白菜"),
                                                                                  ("potato", "土豆"))]
        # inventory caches the catalogue hourly; ask its worker for a refresh now rather than wait
        self.celery.send_task("inventory.refresh_items", queue="inventory")
        keeper = self.staff["keeper"]
        keeper.wait(lambda: set(ids) <= {row["id"] for row in keeper.call("GET", "inventory", "/api/items",
                                                                          "/api/items")}, "items in inventory")
        return ids


def raise_requisitions(school: School, manager: str, until: float) -> int:
    client, approver = school.staff[manager], school.staff["approver"]
    done = 0
    while time.monotonic() < until:
        needed_by = (school.today + timedelta(days=3)).isoformat()
        requisition = client.call("POST", "procurement", "/api/requisitions", "/api/requisitions", 201, json={
            "demand_point": HALLS[manager], "note": "负载测试", "lines": [
                {"item_id": item_id, "needed_by": needed_by, "quantity": "40"} for item_id in school.item_ids]})
        client.call("POST", "procurement", f"/api/requisitions/{requisition['id']}/submit",
                    "/api/requisitions/{id}/submit")
        approver.call("POST", "procurement", f"/api/requisitions/{requisition['id']}/approve",
                      "/api/requisitions/{id}/approve", json={"reason": None})
        done += 1
    return done


def purchasing_cycle(school: School, manager: str) -> None:
    staff, owner = school.staff, school.owner
    hall = HALLS[manager]
    delivery = (school.today + timedelta(days=2)).isoformat()
    order = staff[manager].call("POST", "procurement", "/api/purchase-orders", "/api/purchase-orders", 201, json={
        "supplier_id": school.supplier_id, "note": "负载测试", "lines": [
            {"item_id": item_id, "quantity": str(ORDER_QUANTITY / 2), "unit_price": str(PRICE),
             "destination": hall, "delivery_date": delivery} for item_id in school.item_ids]},
        headers={"Idempotency-Key": str(uuid.uuid4())})
    order_path = f"/api/purchase-orders/{order['id']}"
    staff[manager].call("POST", "procurement", f"{order_path}/submit", "/api/purchase-orders/{id}/submit")
    staff["approver"].call("POST", "procurement", f"{order_path}/approve", "/api/purchase-orders/{id}/approve",
                           json={})
    staff["buyer"].call("POST", "procurement", f"{order_path}/send", "/api/purchase-orders/{id}/send")

    def on_portal():
        page = owner.call("GET", "supplier_portal", "/api/orders?status=sent", "/api/orders")
        return next((row for row in page["items"] if row["po_id"] == order["id"]), None)

    copy = owner.wait(on_portal, f"order {order['number']} on the portal")
    copy_path = f"/api/orders/{copy['id']}"
    owner.call("POST", "supplier_portal", f"{copy_path}/acknowledge", "/api/orders/{id}/acknowledge",
               json={"revision": copy["revision"]})
    lot = f"L{uuid.uuid4().hex[:8]}"
    note = owner.call("POST", "supplier_portal", f"{copy_path}/delivery-notes", "/api/orders/{id}/delivery-notes",
                      201, json={
                          "planned_at": (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat(),
                          "lines": [{"po_line_id": line["id"], "quantity": line["base_quantity"], "lot_number": lot,
                                     "production_date": (school.today - timedelta(days=1)).isoformat(),
                                     "expiry_date": (school.today + timedelta(days=9)).isoformat(),
                                     "certificate_ref": f"合格证 {lot}"} for line in order["lines"]]})

    keeper = staff["keeper"]

    def expected_with_note():
        page = keeper.call("GET", "inventory", "/api/expected-receipts", "/api/expected-receipts")
        expected = next((row for row in page["items"] if row["po_id"] == order["id"]), None)
        if expected is None:
            return None
        return next((n for n in expected["delivery_notes"] if n["delivery_note_id"] == note["id"]), None) and expected

    expected = keeper.wait(expected_with_note, f"the delivery note of {order['number']} in inventory")
    [announced] = [n for n in expected["delivery_notes"] if n["delivery_note_id"] == note["id"]]
    keeper.call("POST", "inventory", f"/api/expected-receipts/{expected['id']}/inspections",
                "/api/expected-receipts/{id}/inspections", 201, json={
                    "delivery_note_id": note["id"], "inspectors": ["库管员 刘洋", f"{hall} 管理员"],
                    "documents_checked": ["licence", "product_certificate", "delivery_note"],
                    "lines": [{"po_line_id": line["po_line_id"], "accepted_quantity": line["quantity"],
                               "rejected_quantity": "0", "rejection_reason": "", "lot_number": line["lot_number"],
                               "production_date": line["production_date"], "expiry_date": line["expiry_date"]}
                              for line in announced["lines"]]},
                headers={"Idempotency-Key": str(uuid.uuid4())})

    def received_on_portal():
        current = owner.call("GET", "supplier_portal", copy_path, "/api/orders/{id}")
        return current if current["receipts"] else None

    received = owner.wait(received_on_portal, f"the receipt of {order['number']} on the portal")
    owner.call("POST", "supplier_portal", f"{copy_path}/invoices", "/api/orders/{id}/invoices", 201, json={
        "invoice_number": f"LT{uuid.uuid4().hex[:12]}", "issued_on": school.today.isoformat(),
        "lines": [{"po_line_id": line["po_line_id"], "quantity": line["to_invoice_quantity"]}
                  for line in received["lines"]]})
    keeper.call("POST", "inventory", "/api/issues", "/api/issues", 201, json={
        "location_id": school.locations[hall], "meal_date": school.today.isoformat(), "meal": "lunch",
        "lines": [{"item_id": item_id, "quantity": str(ISSUED)} for item_id in school.item_ids]},
        headers={"Idempotency-Key": str(uuid.uuid4())})


def run(deployment: Deployment, duration: float, cycles: int, managers: int) -> dict:
    school = School(deployment.url, create_celery(Settings(broker_url=deployment.broker_url)), Recorder())
    recorder = school.recorder = Recorder()  # the setup's requests are not measured
    for client in (*school.staff.values(), school.owner):
        client.recorder = recorder
    until = time.monotonic() + duration
    failures: list[str] = []
    counts = defaultdict(int)

    def guarded(name, work):
        try:
            work()
        except Exception as exc:  # reported with the figures; the run fails
            failures.append(f"{name}: {exc}")

    def cycles_of(manager):
        while time.monotonic() < until and not failures:
            purchasing_cycle(school, manager)
            with recorder.lock:
                counts["purchasing cycles"] += 1

    def requisitions_of(manager):
        done = raise_requisitions(school, manager, until)
        with recorder.lock:
            counts["requisitions"] += done

    started = time.monotonic()
    threads = [threading.Thread(target=guarded, args=(f"cycle {i}", lambda m=list(HALLS)[i % 3]: cycles_of(m)))
               for i in range(cycles)]
    threads += [threading.Thread(target=guarded, args=(f"requisitions {i}", lambda m=list(HALLS)[i % 3]:
                                                       requisitions_of(m))) for i in range(managers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    databases = {service: Database(service, deployment.database_url(service)) for service in SERVICES}
    try:
        reconciled_at = time.monotonic()
        problems = reconcile(databases, wait=120)
        settle = time.monotonic() - reconciled_at
    finally:
        for database in databases.values():
            database.dispose()
    return {"duration_s": duration, "elapsed_s": round(elapsed, 1), "cycles": cycles, "managers": managers,
            "completed": dict(counts), "requests": sum(len(v) for v in recorder.latencies.values()),
            "errors": sum(len(v) for v in recorder.errors.values()),
            "rps": round(sum(len(v) for v in recorder.latencies.values()) / elapsed, 1),
            "endpoints": recorder.rows(elapsed), "failures": failures,
            "reconciliation": {"problems": problems[:20], "count": len(problems), "settled_in_s": round(settle, 1)}}


def print_report(result: dict) -> None:
    print(f"\n{result['elapsed_s']} s, {result['cycles']} purchasing cycles and {result['managers']} requisition "
          f"clients side by side; completed: {result['completed']}")
    print(f"{'endpoint':<62} {'ok':>6} {'err':>4} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8}")
    for row in result["endpoints"]:
        print(f"{row['endpoint']:<62} {row['ok']:>6} {row['errors']:>4} {row['rps']:>7} {row['p50_ms']:>8} "
              f"{row['p99_ms']:>8}")
        if row["retried_after_503"]:
            print(f"    retried {row['retried_after_503']} times after 503 (database connection lost)")
        for sample in row["error_samples"]:
            print(f"    {sample}")
    print(f"{'all':<62} {result['requests']:>6} {result['errors']:>4} {result['rps']:>7}")
    for failure in result["failures"]:
        print(f"failed: {failure}")
    reconciliation = result["reconciliation"]
    print(f"reconciliation: {'OK' if not reconciliation['count'] else reconciliation['count']} "
          f"(books agreed {reconciliation['settled_in_s']} s after the load)")
    for problem in reconciliation["problems"]:
        print(f"    {problem}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds during which new work starts")
    parser.add_argument("--cycles", type=int, default=3, help="purchasing cycles run side by side")
    parser.add_argument("--managers", type=int, default=2, help="managers raising requisitions side by side")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the databases, vhost and logs")
    arguments = parser.parse_args(argv)
    deployment = Deployment.on_free_ports(name=f"cps_load_{uuid.uuid4().hex[:6]}")
    try:
        deployment.prepare()
        deployment.start(flower=False)
        result = run(deployment, arguments.duration, arguments.cycles, arguments.managers)
    finally:
        deployment.stop()
        if not arguments.keep:
            deployment.drop()
    print_report(result)
    if arguments.json:
        with open(arguments.json, "w") as handle:
            json.dump(result, handle, indent=2, ensure_ascii=False)
    return 0 if not (result["errors"] or result["failures"] or result["reconciliation"]["count"]) else 1


if __name__ == "__main__":
    sys.exit(main())

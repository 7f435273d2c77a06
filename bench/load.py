"""A bounded closed-loop HTTP client: N threads, each with its own requests.Session.

Each client sends its next request as soon as the previous one is answered. Requests
completed inside the measuring window (after the warm-up) count towards throughput and
latency; every loop stops at the window's end, at a request cap, or when told to stop.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

from .procs import machine_busy_seconds

REQUEST_TIMEOUT = 10.0

# call(session, client_index, sequence) -> the response; ok(response) -> whether it is a success.
Call = Callable[[requests.Session, int, int], requests.Response]


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list (q in 0..1)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]


def new_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # 127.0.0.1 only: no proxy from the environment
    return session


@dataclass
class LoadResult:
    label: str
    seconds: float
    latencies: list[float] = field(default_factory=list, repr=False)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    client_cpu_seconds: float = 0.0
    server_cpu_seconds: float | None = None
    machine_busy_seconds: float | None = None

    def merge(self, other: "LoadResult") -> "LoadResult":
        """This load and another slice of the same load, as one."""

        def add(a, b):
            return None if a is None or b is None else a + b

        return LoadResult(
            self.label,
            self.seconds + other.seconds,
            self.latencies + other.latencies,
            self.errors + other.errors,
            (self.error_samples + other.error_samples)[:3],
            self.client_cpu_seconds + other.client_cpu_seconds,
            add(self.server_cpu_seconds, other.server_cpu_seconds),
            add(self.machine_busy_seconds, other.machine_busy_seconds),
        )

    @property
    def requests(self) -> int:
        return len(self.latencies) + self.errors

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def latency_ms(self, q: float) -> float:
        return percentile(sorted(self.latencies), q) * 1000

    @property
    def server_cpu_ms_per_request(self) -> float | None:
        if self.server_cpu_seconds is None or not self.requests:
            return None
        return self.server_cpu_seconds * 1000 / self.requests

    def summary(self) -> dict:
        return {
            "label": self.label,
            "seconds": round(self.seconds, 3),
            "ok": len(self.latencies),
            "errors": self.errors,
            "rps": round(self.rps, 1),
            "p50_ms": round(self.latency_ms(0.5), 2),
            "p99_ms": round(self.latency_ms(0.99), 2),
            "client_cpu_percent": round(100 * self.client_cpu_seconds / self.seconds, 1) if self.seconds else None,
            "server_cpu_ms_per_request": (
                round(self.server_cpu_ms_per_request, 3) if self.server_cpu_ms_per_request is not None else None
            ),
            "other_cpu_percent": self.other_cpu_percent,
            "error_samples": self.error_samples[:3],
        }

    @property
    def other_cpu_percent(self) -> float | None:
        """CPU the rest of the machine (other processes, the kernel) used meanwhile, in % of one core."""
        if self.machine_busy_seconds is None or self.server_cpu_seconds is None or not self.seconds:
            return None
        other = self.machine_busy_seconds - self.client_cpu_seconds - self.server_cpu_seconds
        return round(100 * max(0.0, other) / self.seconds, 1)


def _describe(outcome) -> str:
    if isinstance(outcome, requests.Response):
        return f"HTTP {outcome.status_code}: {outcome.text[:200]}"
    return repr(outcome)[:200]


def closed_loop(
    label: str,
    call: Call,
    expected_status: int,
    clients: int,
    duration: float,
    warmup: float,
    max_requests: int,
    server_cpu: Callable[[], float] | None = None,
) -> LoadResult:
    """Run `clients` closed loops for warm-up + `duration` seconds (or until `max_requests` in all)."""
    stop = threading.Event()
    begin = time.perf_counter() + 0.2  # let every thread start before the clock runs
    window_start = begin + warmup
    window_end = window_start + duration
    cap = max(1, max_requests // clients)
    per_client: list[dict] = [{"latencies": [], "errors": 0, "samples": []} for _ in range(clients)]

    def client(index: int) -> None:
        record = per_client[index]
        session = new_session()
        try:
            while time.perf_counter() < begin and not stop.is_set():
                time.sleep(0.005)
            sequence = 0
            while not stop.is_set() and sequence < cap:
                started = time.perf_counter()
                if started >= window_end:
                    break
                try:
                    outcome = call(session, index, sequence)
                    ok = outcome.status_code == expected_status
                except requests.RequestException as exc:
                    outcome, ok = exc, False
                finished = time.perf_counter()
                sequence += 1
                if not window_start <= finished <= window_end:
                    continue
                if ok:
                    record["latencies"].append(finished - started)
                else:
                    record["errors"] += 1
                    if len(record["samples"]) < 3:
                        record["samples"].append(_describe(outcome))
        finally:
            session.close()

    threads = [
        threading.Thread(target=client, args=(i,), name=f"bench-client-{i}", daemon=True) for i in range(clients)
    ]
    result = LoadResult(label, duration)
    try:
        for thread in threads:
            thread.start()
        _sleep_until(window_start)
        cpu_before, server_before = time.process_time(), server_cpu() if server_cpu else None
        busy_before = machine_busy_seconds()
        _sleep_until(window_end)
        cpu_after, server_after = time.process_time(), server_cpu() if server_cpu else None
        busy_after = machine_busy_seconds()
    finally:
        stop.set()  # after the window, or at once on Ctrl-C
        deadline = time.monotonic() + REQUEST_TIMEOUT + 5
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
    result.client_cpu_seconds = cpu_after - cpu_before
    result.machine_busy_seconds = busy_after - busy_before
    if server_cpu:
        result.server_cpu_seconds = server_after - server_before
    for record in per_client:
        result.latencies.extend(record["latencies"])
        result.errors += record["errors"]
        result.error_samples.extend(record["samples"])
    return result


def fixed_count(call: Call, expected_status: int, clients: int, count: int, timeout: float) -> tuple[int, list[str]]:
    """Send exactly `count` requests over `clients` closed loops; return (failures, samples)."""
    lock = threading.Lock()
    next_index = iter(range(count))
    failures: list[str] = []
    deadline = time.monotonic() + timeout
    stop = threading.Event()

    def client(index: int) -> None:
        session = new_session()
        try:
            while not stop.is_set() and time.monotonic() < deadline:
                with lock:
                    sequence = next(next_index, None)
                if sequence is None:
                    return
                try:
                    outcome = call(session, index, sequence)
                    ok = outcome.status_code == expected_status
                except requests.RequestException as exc:
                    outcome, ok = exc, False
                if not ok:
                    with lock:
                        failures.append(_describe(outcome))
        finally:
            session.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()) + REQUEST_TIMEOUT)
    finally:
        stop.set()
    unsent = sum(1 for _ in next_index)
    if unsent:
        failures.extend([f"not sent within {timeout}s"] * unsent)
    return len(failures), failures[:3]


def _sleep_until(moment: float) -> None:
    while True:
        left = moment - time.perf_counter()
        if left <= 0:
            return
        time.sleep(min(left, 0.25))

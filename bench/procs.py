"""Child processes of the benchmark: started in their own process group, always stopped.

Every process is started with `start_new_session=True`, so its process group id is its
own pid: stopping it signals that group (the master and the workers it forked) and
nothing else. A terminal Ctrl-C reaches only the benchmark, which stops them in `finally`.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = REPO / ".venv" / "bin"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except FileNotFoundError:
        return "(no log)"


def run_checked(name: str, argv: list[str], env: dict, log_path: Path, timeout: float = 120) -> None:
    """Run a short command (a migration, a seed) to completion, or raise with its log."""
    with log_path.open("ab") as log:
        completed = subprocess.run(
            argv, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=timeout
        )
    if completed.returncode != 0:
        raise RuntimeError(f"{name} failed ({completed.returncode}):\n{tail(log_path)}")


def _proc_stat(pid: str) -> tuple[int, int] | None:
    """(ppid, utime + stime in ticks) of a live process, or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            raw = handle.read().decode(errors="replace")
    except OSError:
        return None
    fields = raw[raw.rfind(")") + 2 :].split()
    return int(fields[1]), int(fields[11]) + int(fields[12])


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (all cores, every process and the kernel)."""
    with open("/proc/stat") as handle:
        fields = [int(value) for value in handle.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds (user + system) used so far by `root` and its live descendants."""
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _proc_stat(entry)
            if stat is not None:
                stats[int(entry)] = stat
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    total, todo, seen = 0, [root], set()
    while todo:
        pid = todo.pop()
        if pid in seen or pid not in stats:
            continue
        seen.add(pid)
        total += stats[pid][1]
        todo.extend(children.get(pid, ()))
    return total / CLOCK_TICKS


class Managed:
    """One long-running child (gunicorn, a celery worker) with its log file."""

    def __init__(self, name: str, argv: list[str], env: dict, log_path: Path, stop_signal=signal.SIGTERM):
        self.name = name
        self.argv = argv
        self.env = env
        self.log_path = log_path
        self.stop_signal = stop_signal
        self.process: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def start(self) -> "Managed":
        log = self.log_path.open("ab")
        try:
            self.process = subprocess.Popen(
                self.argv,
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            log.close()
        return self

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.name} exited ({self.process.returncode}):\n{tail(self.log_path)}")

    def wait_for_log(self, text: bytes, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log_path.read_bytes():
                return
            self.check_alive()
            time.sleep(0.1)
        raise TimeoutError(f"{self.name} not ready after {timeout}s:\n{tail(self.log_path)}")

    def wait_for_http(self, url: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        session = requests.Session()
        session.trust_env = False
        try:
            while time.monotonic() < deadline:
                self.check_alive()
                try:
                    if session.get(url, timeout=2).status_code == 200:
                        return
                except requests.RequestException:
                    pass
                time.sleep(0.1)
        finally:
            session.close()
        raise TimeoutError(f"{self.name} did not answer {url} after {timeout}s:\n{tail(self.log_path)}")

    def cpu_seconds(self) -> float:
        return tree_cpu_seconds(self.pid)

    def stop(self, timeout: float = 15) -> None:
        """Ask the master to stop; SIGKILL its whole group if it has not within `timeout` seconds."""
        if self.process is None:
            return
        began = time.monotonic()
        if self.process.poll() is None:
            try:
                os.kill(self.pid, self.stop_signal)  # the master stops its own workers
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        # Whatever of the group is still there (a stuck worker, an orphaned pool child).
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        if time.monotonic() - began > 3:
            print(f"bench: stopping {self.name} took {time.monotonic() - began:.1f}s", flush=True)


class Processes:
    """Every child the benchmark started, stopped in reverse order."""

    def __init__(self):
        self.started: list[Managed] = []

    def start(self, managed: Managed) -> Managed:
        self.started.append(managed)
        return managed.start()

    def stop(self, managed: Managed) -> None:
        managed.stop()
        if managed in self.started:
            self.started.remove(managed)

    def stop_all(self) -> None:
        while self.started:
            managed = self.started.pop()
            try:
                managed.stop()
            except Exception as exc:  # keep stopping the others
                print(f"bench: could not stop {managed.name}: {exc!r}")

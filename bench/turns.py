"""In-process throughput of several callables measured in turns, so load from elsewhere lands on each alike."""
from __future__ import annotations

import time
from collections.abc import Callable


def rates_in_turns(sides: dict[str, Callable[[], None]], seconds: float, rounds: int,
                   cpu: dict[str, float] | None = None) -> tuple[dict[str, float], dict[str, int]]:
    """Calls per second of each side, and how many calls each made: `rounds` slices of each in turn.
    Given `cpu`, it receives each side's process CPU seconds per call, which waiting for a busy
    machine's cores does not inflate as it does the wall-clock rates."""
    counts, spent, used = dict.fromkeys(sides, 0), dict.fromkeys(sides, 0.0), dict.fromkeys(sides, 0.0)
    for _ in range(rounds):
        for side, call in sides.items():
            started, started_cpu = time.perf_counter(), time.process_time()
            deadline = started + seconds / rounds
            while time.perf_counter() < deadline:
                call()
                counts[side] += 1
            spent[side] += time.perf_counter() - started
            used[side] += time.process_time() - started_cpu
    if cpu is not None:
        cpu.update({side: used[side] / counts[side] for side in counts})
    return {side: counts[side] / spent[side] for side in counts}, counts

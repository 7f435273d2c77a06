"""In-process throughput of several callables measured in turns, so load from elsewhere lands on each alike."""
from __future__ import annotations

import time
from collections.abc import Callable


def rates_in_turns(sides: dict[str, Callable[[], None]], seconds: float,
                   rounds: int) -> tuple[dict[str, float], dict[str, int]]:
    """Calls per second of each side, and how many calls each made: `rounds` slices of each in turn."""
    counts, spent = dict.fromkeys(sides, 0), dict.fromkeys(sides, 0.0)
    for _ in range(rounds):
        for side, call in sides.items():
            started = time.perf_counter()
            deadline = started + seconds / rounds
            while time.perf_counter() < deadline:
                call()
                counts[side] += 1
            spent[side] += time.perf_counter() - started
    return {side: counts[side] / spent[side] for side in counts}, counts

"""Plain-text tables of the figures, with the suite/baseline ratio under each pair."""

from __future__ import annotations


def _ratio(a, b) -> str:
    if a is None or b in (None, 0):
        return "-"
    return f"{a / b:.2f}x"


def _num(value, digits=1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    def line(row):
        return "  ".join(
            str(cell).ljust(w) if i < 2 else str(cell).rjust(w)  # noqa: E731
            for i, (cell, w) in enumerate(zip(row, widths, strict=False))
        )
    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def render(results: dict) -> str:
    out = []
    config = results["config"]
    m = results.get("machine")
    if m:
        out.append(
            f"Machine: {m['nproc']} CPUs ({m['cpu_model']}), Python {m['python']}, load average "
            f"{' '.join(m['loadavg_at_start'])} at start"
            + (f", {' '.join(m['loadavg_at_end'])} at end" if "loadavg_at_end" in m else "")
        )
        out.append("")
    if "http" in results:
        out.append(
            f"HTTP: {config['clients']} closed-loop clients, {config['duration']:g} s measured per line in "
            f"{config['rounds']} alternating slices (each after {config['warmup']:g} s warm-up), "
            f"gunicorn {config['http_workers']} sync workers per side"
        )
        header = [
            "load",
            "side: request",
            "ok req/s",
            "p50 ms",
            "p99 ms",
            "errors/all",
            "srv CPU ms/req",
            "client CPU %",
            "other CPU %",
        ]
        rows = []
        for kind in ("write", "read"):
            pair = results["http"].get(kind)
            if not pair:
                continue
            base = pair["baseline"]
            for side, fig in pair.items():
                rows.append(
                    [
                        kind,
                        f"{side}: {fig['label']}",
                        _num(fig["rps"]),
                        _num(fig["p50_ms"], 2),
                        _num(fig["p99_ms"], 2),
                        f"{fig['errors']}/{fig['ok'] + fig['errors']}",
                        _num(fig["server_cpu_ms_per_request"], 2),
                        _num(fig["client_cpu_percent"]),
                        _num(fig["other_cpu_percent"]),
                    ]
                )
            for side, fig in pair.items():
                if side == "baseline":
                    continue
                rows.append(
                    [
                        kind,
                        f"{side}/baseline",
                        _ratio(fig["rps"], base["rps"]),
                        _ratio(fig["p50_ms"], base["p50_ms"]),
                        _ratio(fig["p99_ms"], base["p99_ms"]),
                        "",
                        _ratio(fig["server_cpu_ms_per_request"], base["server_cpu_ms_per_request"]),
                        "",
                        "",
                    ]
                )
        out.append(_table(header, rows))
        for kind, pair in results["http"].items():
            for side, fig in pair.items():
                for sample in fig["error_samples"]:
                    out.append(f"  error sample ({kind} {side}): {sample}")
    if "events" in results:
        ev = results["events"]
        out.append("")
        out.append(
            f"Events: {config['events']} sent per side after 4 warm-up events, "
            f"celery worker -c {config['worker_concurrency']}, embedded broker (fsqueue)"
        )
        header = [
            "path",
            "what",
            "events",
            "events/s",
            "all applied s",
            "sent in s",
            "HTTP 500s",
            "retries",
            "worker CPU ms/ev",
            "API CPU ms/ev",
            "other CPU %",
        ]
        labels = {
            "suite": "POST invitation -> outbox -> worker -> suppliers row",
            "baseline": "send_task -> worker -> sqlite3 INSERT",
        }
        rows = [
            [
                side,
                labels[side],
                str(fig["events"]) if fig["complete"] else f"{fig['applied']} of {fig['events']}!",
                _num(fig["events_per_second"]),
                _num(fig["total_seconds"], 2),
                _num(fig["send_seconds"], 2),
                "-" if fig["http_errors"] is None else str(fig["http_errors"]),
                str(fig["handler_retries"]),
                _num(fig["worker_cpu_ms_per_event"], 2),
                _num(fig["producer_cpu_ms_per_event"], 2),
                _num(fig["other_cpu_percent"]),
            ]
            for side, fig in ev.items()
        ]
        if "suite" in ev and "baseline" in ev:
            s, b = ev["suite"], ev["baseline"]
            rows.append(
                [
                    "suite/baseline",
                    "",
                    "",
                    _ratio(s["events_per_second"], b["events_per_second"]),
                    _ratio(s["total_seconds"], b["total_seconds"]),
                    "",
                    "",
                    "",
                    _ratio(s["worker_cpu_ms_per_event"], b["worker_cpu_ms_per_event"]),
                    "",
                    "",
                ]
            )
        out.append(_table(header, rows))
        for sample in ev.get("suite", {}).get("error_samples", []):
            out.append(f"  error sample (events suite): {sample}")
    if "elapsed_seconds" in results:
        out.append("")
        out.append(f"whole run: {results['elapsed_seconds']:.1f} s")
    return "\n".join(out)

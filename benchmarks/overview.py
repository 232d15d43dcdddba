"""The platform overview at 1,000 teams, against the emulator over loopback HTTP (+5 ms a request).

    PYTHONPATH=. .venv/bin/python -m benchmarks.overview [--teams 1000] [--runs 7] [--delay-ms 5] [--no-write]

- cold: a fresh client and an empty app cache -> UsageService.platform_overview, every upstream
  read included (team list, this month's and the previous month's daily totals);
- warm: a cache hit of the dashboard (st.cache_data stores values pickled and unpickles them on
  every hit). Two ways to cache, both measured: the month's PlatformData (platform_data(); a hit
  unpickles it and computes the overview), or the PlatformOverview itself (a hit unpickles it);
- requests and bytes are counted by the server; medians of --runs runs after one warm-up pass.

The emulator (usage_core.demo with platform_teams(n)) runs in its own process. It computes each
distinct answer once, in the warm-up pass, and then serves it again: the measured time is the
dashboard's (requests, latency, transfer, parsing, computing), not the emulator's Python.
Writes the "Platform overview" section at the end of benchmarks/results.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pickle
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from benchmarks import results_md

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.md"
SECTION = "## Platform overview"
MASTER_KEY = "sk-bench-overview"


def pinned_now(real_now: datetime | None = None) -> datetime:
    """Noon on the 15th of the current month: half a month so far, half of the previous to compare."""
    real_now = real_now or datetime.now(UTC)
    return datetime(real_now.year, real_now.month, 15, 12, tzinfo=UTC)


class Memo:
    """An httpx-style handler that computes each distinct answer once and then replays it."""

    def __init__(self, app: Callable[[httpx.Request], httpx.Response]) -> None:
        self.app = app
        self.answers: dict[tuple[str, str, str], tuple[int, bytes, str]] = {}
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        key = (request.url.path, request.url.query.decode(), request.headers.get("authorization", ""))
        answer = self.answers.get(key)
        if answer is None:
            with self.lock:  # one computation at a time: the emulator's caches are plain dicts
                response = self.app(request)
                answer = (response.status_code, response.content, response.headers.get("content-type", ""))
                self.answers[key] = answer
        status, body, content_type = answer
        return httpx.Response(status, content=body, headers={"content-type": content_type})


def serve(teams: int, delay_ms: float, now: datetime) -> int:
    """Run the emulator server (child process); print its URL as one JSON line."""
    from benchmarks.server import make_server
    from usage_core.demo import DemoLiteLLM, platform_teams

    app = Memo(DemoLiteLLM(now=now, teams=platform_teams(teams), master_key=MASTER_KEY))
    server = make_server(app, delay_s=delay_ms / 1000)
    host, port = server.server_address[:2]
    print(json.dumps({"url": f"http://{host}:{port}"}), flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


def server_stats(url: str, *, reset: bool = False) -> dict[str, Any]:
    path = "/__bench/reset" if reset else "/__bench/stats"
    stats: dict[str, Any] = httpx.get(url + path, timeout=30).json()
    return stats


def tenants_for(teams: int) -> list[Any]:
    """One Tenant per aliased key of the platform's teams (what a tenant source would list)."""
    from usage_core.demo import platform_teams
    from usage_core.tenants import Tenant

    return [
        Tenant(key.alias, f"org{i:04d}", key.alias, (), team.team_id, key.alias)
        for i, team in enumerate(platform_teams(teams))
        for key in team.keys
        if key.alias
    ]


def measure(url: str, teams: int, runs: int, month_name: str, now: datetime) -> dict[str, Any]:
    """Cold and warm runs of one month's platform overview."""
    from usage_core.litellm import LiteLLMClient
    from usage_core.months import Month
    from usage_core.overview import platform_overview
    from usage_core.service import UsageService
    from usage_core.tenants import StaticTenantSource

    month = Month.current(now) if month_name == "current" else Month.current(now).previous()
    tenants = tenants_for(teams)

    def service() -> UsageService:
        client = LiteLLMClient(url, MASTER_KEY, timeout=120.0)
        return UsageService(client, StaticTenantSource(tenants))

    service().platform_overview(month, now=now)  # warm-up: the emulator computes every answer once
    cold: list[float] = []
    cold_cpu: list[float] = []
    requests: list[int] = []
    received: list[int] = []
    data = None
    for _ in range(runs):
        svc = service()
        server_stats(url, reset=True)
        started, cpu = time.perf_counter(), time.process_time()
        data = svc.platform_data(month, now=now)
        overview = platform_overview(data, tenants, now=now)
        cold.append(time.perf_counter() - started)
        cold_cpu.append(time.process_time() - cpu)
        stats = server_stats(url)
        requests.append(stats["requests"])
        received.append(stats["bytes_sent"])
        paths = stats["paths"]
        svc.client.close()
    assert data is not None
    blob, finished = pickle.dumps(data), pickle.dumps(overview)
    warm: list[float] = []
    warm_cpu: list[float] = []
    warm_overview: list[float] = []
    warm_overview_cpu: list[float] = []
    for _ in range(runs * 3):
        started, cpu = time.perf_counter(), time.process_time()
        overview = platform_overview(pickle.loads(blob), tenants, now=now)
        warm.append(time.perf_counter() - started)
        warm_cpu.append(time.process_time() - cpu)
        started, cpu = time.perf_counter(), time.process_time()
        pickle.loads(finished)
        warm_overview.append(time.perf_counter() - started)
        warm_overview_cpu.append(time.process_time() - cpu)
    return {
        "month": str(month),
        "days": len(overview.days),
        "compared_days": overview.compared_days,
        "teams": len(overview.rows),
        "cold_median_s": statistics.median(cold),
        "cold_runs_s": cold,
        "cold_cpu_median_s": statistics.median(cold_cpu),
        "warm_median_s": statistics.median(warm),
        "warm_cpu_median_s": statistics.median(warm_cpu),
        "warm_overview_median_s": statistics.median(warm_overview),
        "warm_overview_cpu_median_s": statistics.median(warm_overview_cpu),
        "requests": statistics.median(requests),
        "requests_by_path": paths,
        "bytes": statistics.median(received),
        "cache_entry_bytes": len(blob),
        "overview_entry_bytes": len(finished),
        "risk_top3": [(r.team_id, str(r.risk)) for r in overview.rows[:3]],
    }


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds >= 1 else f"{seconds * 1000:,.1f} ms"


def markdown(results: dict[str, Any]) -> str:
    rows = []
    for name, r in results["scenarios"].items():
        paths = ", ".join(f"{p} x{n}" for p, n in sorted(r["requests_by_path"].items()))
        mb = {k: r[k] / 2**20 for k in ("cache_entry_bytes", "overview_entry_bytes", "bytes")}
        cells = [
            f"{name} ({r['month']}: {r['days']} days, vs {r['compared_days']} of the month before)",
            f"{r['teams']:,}",
            f"{_ms(r['cold_median_s'])} ({_ms(r['cold_cpu_median_s'])} CPU)",
            f"{_ms(r['warm_median_s'])} ({_ms(r['warm_cpu_median_s'])} CPU; "
            f"{mb['cache_entry_bytes']:.1f} MB)",
            f"{_ms(r['warm_overview_median_s'])} ({_ms(r['warm_overview_cpu_median_s'])} CPU; "
            f"{mb['overview_entry_bytes']:.1f} MB)",
            f"{r['requests']:.0f} ({paths})",
            f"{mb['bytes']:.1f} MB",
        ]
        rows.append("| " + " | ".join(cells) + " |")
    verdicts = [
        f"- {name}: cold {_ms(r['cold_median_s'])} wall / {_ms(r['cold_cpu_median_s'])} CPU against 2 s; "
        f"warm (cached overview) {_ms(r['warm_overview_median_s'])} wall / "
        f"{_ms(r['warm_overview_cpu_median_s'])} CPU against 100 ms; {r['requests']:.0f} requests."
        for name, r in results["scenarios"].items()
    ]
    load = ", ".join(f"{x:.1f}" for x in results["load_average"])
    return "\n".join(
        [
            SECTION,
            "",
            f"`PYTHONPATH=. .venv/bin/python -m benchmarks.overview` ({results['date']}, "
            f"{results['runs']} cold runs and {results['runs'] * 3} warm ones each, "
            f"+{results['delay_ms']:g} ms per request, load average at start {load}).",
            "",
            "| month | teams | cold (median) | warm: cached data + compute | warm: cached overview "
            "| upstream requests | bytes received |",
            "|---|---|---|---|---|---|---|",
            *rows,
            "",
            "Targets: 1,000 teams in at most 2 s cold and 100 ms warm, with a bounded number of requests.",
            "",
            *verdicts,
            "",
            "- Requests: /v2/team/list in pages of 100, then /team/daily/activity/aggregated per 100 team "
            "ids for this month and for days 1..N of the previous month: 10 + 10 + 10 at 1,000 teams, "
            "whatever the number of keys or models.",
            "- Cold: a fresh client, nothing cached, every read and the overview's computation. Warm: the "
            "dashboard's cache hit, with the cached entry's pickled size: caching the finished overview "
            "(its inputs are one month and the tenant list) is the fast one. In brackets the dashboard "
            "process's own CPU time (all threads): on a shared machine the wall time mostly measures the "
            "wait for a core (see the load average), the CPU time what the work costs.",
            "- Data: usage_core.demo.platform_teams(1000): 1-4 tenant keys per team (every fifth team also "
            "a key without alias), 1-3 models, 20-420 requests a day; now pinned to the 15th at 12:00 UTC. "
            "The emulator computes each answer once (warm-up) and replays it: its own Python is not timed.",
            "",
        ]
    )


def write_section(text: str) -> None:
    """Replace the section if present, else append it at the end; keep everything else."""
    results_md.replace_section(RESULTS, SECTION, text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--teams", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--delay-ms", type=float, default=5.0)
    parser.add_argument("--no-write", action="store_true", help="print only; leave results.md alone")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--now", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    now = datetime.fromisoformat(args.now) if args.now else pinned_now()
    if args.serve:
        return serve(args.teams, args.delay_ms, now)
    command = [sys.executable, "-m", "benchmarks.overview", "--serve", "--teams", str(args.teams)]
    command += ["--delay-ms", str(args.delay_ms), "--now", now.isoformat()]
    env = dict(os.environ, PYTHONPATH=str(HERE.parent))
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env, cwd=HERE.parent) as proc:
        try:
            assert proc.stdout is not None
            url = json.loads(proc.stdout.readline())["url"]
            load = os.getloadavg()
            scenarios = {
                "current month": measure(url, args.teams, args.runs, "current", now),
                "past month": measure(url, args.teams, args.runs, "previous", now),
            }
        finally:
            proc.terminate()
    results = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "runs": args.runs,
        "delay_ms": args.delay_ms,
        "load_average": load,
        "scenarios": scenarios,
    }
    print(json.dumps(results, indent=2))
    if not args.no_write:
        write_section(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Load: concurrent signed-in sessions over real websockets against one `streamlit run app.py`.

    python -m benchmarks.load [--sessions 50] [--duration 60] [--runs 3] [--latency-ms 50,200]
                              [--think-s 5,15] [--ttl 60] [--seed 8] [--out benchmarks]

Per run, on loopback only: the demo emulator (usage_core.demo) over HTTP with a seeded uniform
latency per request, oidc-provider-mock, and the app behind it with `LITELLM_BASE_URL`, the demo
tenants in a TENANTS_FILE and `[auth]` (fail-closed mode: every session signs in). Each session
signs in through the real authorization-code flow, opens its own websocket, and runs pages until
the duration is over (see benchmarks/load_workload.py); halfway through, every session presses
Refresh once (a burst: a shared re-read shows as one read per team-month, not one per viewer).
Writes the "Load" section of benchmarks/results.md and benchmarks/load_results.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import shutil
import sys
import tempfile
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import yaml
from websockets.exceptions import ConnectionClosed

from benchmarks import load_report
from benchmarks.load_client import REFRESH_LABEL, SignInError, StreamlitTab, Timed, sign_in
from benchmarks.load_emulator import SlowEmulator
from benchmarks.load_stats import percentile, reads_bound, reads_by_team_month
from benchmarks.load_workload import Persona, SessionPlan, View, personas
from benchmarks.run import machine
from benchmarks.server import make_server
from tests.e2e.e2e_helpers import REPO, clean_env, start_app_behind, start_oidc_provider
from usage_core.demo import DEMO_TENANTS
from usage_core.months import Month

HERE = Path(__file__).resolve().parent
MASTER_KEY = "sk-load-emulator"
SIGN_IN_CONCURRENCY = 5
SIGN_IN_ATTEMPTS = 3
PAGE_TIMEOUT_S = 60.0
REQUESTS_PER_READ = 3  # team info, keys, one page of daily activity (a demo team-month fits one page)


def log(message: str) -> None:
    print(f"[bench-load {datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def rss_kb(pid: int, field_name: str = "VmRSS") -> int:
    """VmRSS (now) or VmHWM (peak) of a process, in kB (0 once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_s(pid: int | None = None) -> float:
    """CPU seconds (user + system, all threads) a process has used: `pid`, or this one."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def write_tenants(path: Path) -> Path:
    """The demo tenants as a TENANTS_FILE (a Kubernetes List, DESIGN.md's shape)."""
    items = [
        {
            "apiVersion": "platform.example.com/v1alpha1",
            "kind": "Tenant",
            "metadata": {"name": t.name},
            "spec": {"orgId": t.org_id, "displayName": t.display_name, "users": list(t.users)},
            "status": {"litellmTeamId": t.team_id, "litellmKeyAlias": t.key_alias},
        }
        for t in DEMO_TENANTS
    ]
    path.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items}))
    return path


@dataclass
class Options:
    sessions: int
    duration_s: float
    latency_s: tuple[float, float]
    think_s: tuple[float, float]
    ttl_s: int
    seed: int


@dataclass
class Recorder:
    """Every page run of one load run, and what went wrong."""

    window_start: float
    runs: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    burst_presses: list[tuple[str, str] | None] = field(default_factory=list)

    def page(self, session: int, persona: str, action: str, view: View, timed: Timed, started: float) -> None:
        run = timed.run
        problem = None
        if not run.succeeded:
            problem = "; ".join([*run.exceptions, *run.errors]) or f"script status {run.status}"
        elif not run.headings or run.headings[0] != view.title:
            problem = f"title {run.headings[:1]} instead of {view.title!r}"
        elif view.team_id is not None and run.metrics < 4:
            problem = f"{run.metrics} metrics: no KPI row"
        self.runs.append(
            {
                "session": session,
                "persona": persona,
                "action": action,
                "tenant": view.tenant.name,
                "month": str(view.month),
                "team": view.team_id,
                "t": round(started - self.window_start, 3),
                "ms": round(timed.seconds * 1000, 1),
                "ok": problem is None,
                "bytes": run.bytes,
                "warnings": len(run.warnings),
            }
        )
        if problem is not None:
            self.error(session, action, view, problem)

    def error(self, session: int, action: str, view: View, problem: str) -> None:
        self.errors.append(
            {"session": session, "action": action, "tenant": view.tenant.name, "month": str(view.month)}
            | {"problem": problem[:300]}
        )


async def drive(
    index: int,
    tab: StreamlitTab,
    plan: SessionPlan,
    first: View,
    *,
    primed: bool,
    deadline: float,
    burst: asyncio.Event,
    options: Options,
    recorder: Recorder,
) -> None:
    """One person: open the first view (unless primed), then act, look and act again until the deadline."""
    loop = asyncio.get_running_loop()
    current, action = first, "open"
    burst_done = False
    if primed:
        action, current = plan.next(current)
    while loop.time() < deadline:
        press = None
        if action in ("refresh", "burst"):
            button = tab.last.buttons.get(REFRESH_LABEL) if tab.last else None
            if button is None or button.disabled:
                action += "-unavailable"  # a person cannot press it: the page reruns as it is
            else:
                press = REFRESH_LABEL
                if action == "burst":
                    recorder.burst_presses.append(current.team_month)
        started = loop.time()
        try:
            timed = await tab.run(current.query_string, press=press, timeout=PAGE_TIMEOUT_S)
        except TimeoutError:
            recorder.error(index, action, current, f"no script_finished within {PAGE_TIMEOUT_S:.0f} s")
            return
        except ConnectionClosed as closed:
            recorder.error(index, action, current, f"websocket closed: {closed}")
            return
        recorder.page(index, plan.persona.key, action, current, timed, started)
        pause = min(plan.think_time(*options.think_s), max(0.0, deadline - loop.time()))
        if not burst_done:
            try:
                await asyncio.wait_for(burst.wait(), pause)
                burst_done = True
                action = "burst"
                continue
            except TimeoutError:
                pass
        else:
            await asyncio.sleep(pause)
        action, current = plan.next(current)


async def sample_rss(pid: int, samples: list[tuple[float, int]], start: float, stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        samples.append((round(loop.time() - start, 2), rss_kb(pid)))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)


async def load(
    app_url: str,
    provider_url: str,
    app_pid: int,
    options: Options,
    people: list[Persona],
    result: dict[str, Any],
) -> Recorder:
    """Sign everyone in, open every websocket, prime one page, then run all sessions until the deadline."""
    loop = asyncio.get_running_loop()
    months = Month.current().recent(3)
    plans = [
        SessionPlan(people[i % len(people)], months, seed=options.seed * 1000 + i)
        for i in range(options.sessions)
    ]
    firsts = [plan.first() for plan in plans]

    started = loop.time()
    gate = asyncio.Semaphore(SIGN_IN_CONCURRENCY)
    retries: list[str] = []

    async def signed_in(plan: SessionPlan) -> StreamlitTab:
        async with gate:
            for attempt in range(1, SIGN_IN_ATTEMPTS + 1):
                try:
                    cookies = await sign_in(app_url, provider_url, str(plan.persona.claims["sub"]))
                    return StreamlitTab(app_url, cookies)
                except (SignInError, httpx.HTTPError, OSError) as problem:
                    # Setup, not measured: a person whose login failed would press it again.
                    if attempt == SIGN_IN_ATTEMPTS:
                        raise
                    retries.append(f"{type(problem).__name__}: {problem}"[:200])
        raise AssertionError("unreachable")

    tabs = await asyncio.gather(*(signed_in(plan) for plan in plans))
    result["sign_in_s"] = round(loop.time() - started, 2)
    result["sign_in_retries"] = retries
    result["rss_kb_signed_in"] = rss_kb(app_pid)
    log(f"{len(tabs)} sessions signed in through the OIDC provider in {result['sign_in_s']} s")
    await asyncio.gather(*(tab.open() for tab in tabs))

    window_start = loop.time()
    cpu_start = cpu_s(app_pid), cpu_s()
    recorder = Recorder(window_start)
    primer = await tabs[0].run(firsts[0].query_string, timeout=PAGE_TIMEOUT_S)
    recorder.page(0, plans[0].persona.key, "open", firsts[0], primer, window_start)
    result["rss_kb_start"] = rss_kb(app_pid)  # after the first page
    log(f"first page in {primer.seconds * 1000:.0f} ms; RSS {result['rss_kb_start'] / 1024:.0f} MB")

    stop_sampling = asyncio.Event()
    samples: list[tuple[float, int]] = []
    sampler = asyncio.create_task(sample_rss(app_pid, samples, window_start, stop_sampling))
    load_start = loop.time()
    deadline = load_start + options.duration_s
    burst = asyncio.Event()
    burst_at = load_start + options.duration_s / 2
    loop.call_at(burst_at, burst.set)
    sessions = [
        drive(
            i,
            tabs[i],
            plans[i],
            firsts[i],
            primed=i == 0,
            deadline=deadline,
            burst=burst,
            options=options,
            recorder=recorder,
        )
        for i in range(options.sessions)
    ]
    async with asyncio.timeout(options.duration_s + 2 * PAGE_TIMEOUT_S + 30):  # must stop by itself
        await asyncio.gather(*sessions)
    window_end = loop.time()
    result["app_cpu_s"] = round(cpu_s(app_pid) - cpu_start[0], 1)
    result["generator_cpu_s"] = round(cpu_s() - cpu_start[1], 1)  # websocket clients and emulator
    result["rss_kb_end"] = rss_kb(app_pid)
    result["rss_kb_peak"] = rss_kb(app_pid, "VmHWM")
    stop_sampling.set()
    await sampler
    result["rss_samples"] = samples
    await asyncio.gather(*(tab.close() for tab in tabs), return_exceptions=True)
    result["load_s"] = round(window_end - load_start, 2)
    result["window_s"] = round(window_end - window_start, 2)
    result["burst_at_s"] = round(burst_at - window_start, 2)
    return recorder


def summarize(
    recorder: Recorder,
    emulator: SlowEmulator,
    server_stats: dict[str, Any],
    result: dict[str, Any],
    options: Options,
) -> None:
    """Page-run percentiles, errors, upstream requests against the bound."""
    runs = recorder.runs
    times = [r["ms"] for r in runs]
    by_action: dict[str, list[float]] = {}
    for r in runs:
        by_action.setdefault(r["action"], []).append(r["ms"])
    result["page_runs"] = len(runs)
    result["page_runs_ok"] = sum(r["ok"] for r in runs)
    result["errors"] = len(recorder.errors)
    result["error_samples"] = recorder.errors[:10]
    result["error_kinds"] = dict(Counter(e["problem"].split(":")[0][:60] for e in recorder.errors))
    result["warnings"] = sum(r["warnings"] for r in runs)
    result["p50_ms"] = round(percentile(times, 50), 1)
    result["p95_ms"] = round(percentile(times, 95), 1)
    result["max_ms"] = max(times)
    result["by_action"] = {
        a: {"runs": len(v), "p50_ms": round(percentile(v, 50), 1), "p95_ms": round(percentile(v, 95), 1)}
        for a, v in sorted(by_action.items())
    }
    result["page_runs_per_s"] = round(len(runs) / result["window_s"], 2)
    result["bytes_per_page"] = round(sum(r["bytes"] for r in runs) / len(runs))
    result["app_cpu_ms_per_page"] = round(result["app_cpu_s"] * 1000 / len(runs))
    result["app_cores_used"] = round(result["app_cpu_s"] / result["window_s"], 2)

    entries = [e | {"t": round(e["t"] - recorder.window_start, 3)} for e in emulator.entries()]
    # a page reads its month and, for the comparison with last month, the month before
    viewed = {
        (r["team"], month)
        for r in runs
        if r["team"]
        for month in (r["month"], str(Month.parse(r["month"]).previous()))
    }
    presses = sum(r["action"] in ("refresh", "burst") for r in runs)
    bound = reads_bound(len(viewed), result["window_s"], options.ttl_s, presses)
    reads = reads_by_team_month(entries)
    result["upstream"] = {
        "requests": server_stats["requests"],
        "paths": server_stats["paths"],
        "bytes": server_stats["bytes_sent"],
        "team_month_reads": sum(reads.values()),
        "reads_by_team_month": reads,
        "team_months_viewed": len(viewed),
        "refresh_presses": presses,
        "bound_reads": bound,
        "bound_requests": bound * REQUESTS_PER_READ,
        "within_bound": server_stats["requests"] <= bound * REQUESTS_PER_READ,
        "ttl_periods": int(result["window_s"] // options.ttl_s) + 1,
    }
    # The burst's re-reads: reads of a team-month that started while a burst press on it was running.
    pressed = [tm for tm in recorder.burst_presses if tm is not None]
    pressing = [
        (r["team"], r["month"], r["t"], r["t"] + r["ms"] / 1000) for r in runs if r["action"] == "burst"
    ]
    burst_reads = [
        e
        for e in entries
        if e["path"] == "/team/daily/activity"
        and e["page"] == "1"
        and any(
            (e["team"], e["month"]) == (team, month) and t0 <= e["t"] <= t1
            for team, month, t0, t1 in pressing
        )
    ]
    result["burst"] = {
        "presses": len(recorder.burst_presses),
        "presses_with_data": len(pressed),
        "team_months_pressed": len(set(pressed)),
        "reads": len(burst_reads),
    }
    result["latency_ms_served"] = {
        "min": min((e["delay_ms"] for e in entries), default=None),
        "max": max((e["delay_ms"] for e in entries), default=None),
    }
    result["upstream_log"] = entries
    result["page_run_log"] = runs


def one_run(options: Options, number: int) -> dict[str, Any]:
    """Start the stack, run the load, stop everything; the run's numbers."""
    workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    people = personas()
    emulator = SlowEmulator(
        MASTER_KEY, low_s=options.latency_s[0], high_s=options.latency_s[1], seed=options.seed + number
    )
    server = make_server(emulator, delay_s=0.0)
    threading.Thread(target=server.serve_forever, name="emulator", daemon=True).start()
    emulator_url = f"http://127.0.0.1:{server.server_address[1]}"
    env = clean_env(workdir)
    env.update(
        LITELLM_BASE_URL=emulator_url,
        LITELLM_MASTER_KEY=MASTER_KEY,
        TENANTS_FILE=str(write_tenants(workdir / "tenants.yaml")),
        USAGE_CACHE_TTL_SECONDS=str(options.ttl_s),
        PYTHONPATH=str(REPO),
    )
    result: dict[str, Any] = {"run": number, "load_average_at_start": os.getloadavg()}
    provider = start_oidc_provider([p.claims for p in people], workdir=workdir, env=env)
    app = None
    try:
        app, _secrets = start_app_behind(provider, REPO / "app.py", workdir=workdir, env=env)
        result["rss_kb_idle"] = rss_kb(app.process.pid)
        counters = server.counters  # type: ignore[attr-defined]
        recorder = asyncio.run(load(app.url, provider.url, app.process.pid, options, people, result))
        if app.process.poll() is not None:
            raise RuntimeError(f"the app exited during the run:\n{app.log_tail()}")
        summarize(recorder, emulator, counters.snapshot(), result, options)
        result["app_log_errors"] = [
            line for line in app.log_tail(400).splitlines() if "Traceback" in line or " ERROR " in line
        ][:10]
    except Exception as problem:  # a failed run names its cause and the app's last log lines
        tail = app.log_tail() if app is not None else provider.log_tail()
        reason = f"{type(problem).__name__}: {problem}"
        raise SystemExit(f"bench-load: run {number} failed: {reason}\n{tail}") from None
    finally:
        if app is not None:
            app.stop()
        provider.stop()
        server.shutdown()
        server.server_close()
        shutil.rmtree(workdir, ignore_errors=True)
    result["load_average_at_end"] = os.getloadavg()
    return result


def _pair(text: str) -> tuple[float, float]:
    low, _, high = text.partition(",")
    return float(low), float(high or low)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load per run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--latency-ms", default="50,200", help="uniform per-request latency range")
    parser.add_argument("--think-s", default="5,15", help="uniform think time between a session's pages")
    parser.add_argument("--ttl", type=int, default=60, help="USAGE_CACHE_TTL_SECONDS")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--out", default=str(HERE), help="folder of results.md and load_results.json")
    args = parser.parse_args(argv)
    if args.sessions < 1 or args.runs < 1 or args.duration <= 0 or args.ttl < 1:
        parser.error("--sessions, --runs, --duration and --ttl must be positive")
    latency = _pair(args.latency_ms)
    options = Options(
        sessions=args.sessions,
        duration_s=args.duration,
        latency_s=(latency[0] / 1000, latency[1] / 1000),
        think_s=_pair(args.think_s),
        ttl_s=args.ttl,
        seed=args.seed,
    )
    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "scripts/bench-load " + " ".join(sys.argv[1:] if argv is None else argv),
        "machine": machine(),
        "options": {
            "sessions": options.sessions,
            "duration_s": options.duration_s,
            "latency_ms": list(latency),
            "think_s": list(options.think_s),
            "ttl_s": options.ttl_s,
            "seed": options.seed,
            "personas": {p.key: [t.name for t in p.tenants] for p in personas()},
            "months": [str(m) for m in Month.current().recent(3)],
        },
        "runs": [],
    }
    for number in range(1, args.runs + 1):
        log(f"run {number} of {args.runs}")
        run = one_run(options, number)
        results["runs"].append(run)
        log(
            f"run {number}: {run['page_runs']} page runs, {run['errors']} errors, p50 {run['p50_ms']} ms, "
            f"p95 {run['p95_ms']} ms, upstream {run['upstream']['requests']} requests "
            f"(bound {run['upstream']['bound_requests']}), RSS {run['rss_kb_start'] // 1024} -> "
            f"{run['rss_kb_end'] // 1024} MB"
        )
    results["machine"]["load_average_at_end"] = os.getloadavg()
    out = Path(args.out)
    (out / "load_results.json").write_text(load_report.to_json(results))
    load_report.write_section(out / "results.md", load_report.render(results))
    log(f"wrote {out / 'results.md'} (section '{load_report.HEADING}') and load_results.json")
    return 0 if all(r["errors"] == 0 for r in results["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())

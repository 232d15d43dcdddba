"""Render load_results.json as the "Load" section of results.md, leaving the other sections alone."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from benchmarks import results_md
from benchmarks.load_stats import median_and_range

HEADING = "## Load: "  # every heading this module writes starts so: "## Load: 50 websocket sessions"
LOGS = ("page_run_log", "upstream_log", "rss_samples")  # per run: one line per entry in the JSON


def to_json(results: dict[str, Any]) -> str:
    """The results as indented JSON, with each log entry of a run on one line."""
    plain = copy.deepcopy(results)
    logs: dict[str, str] = {}
    for run in plain.get("runs", []):
        for name in LOGS:
            if name in run:
                marker = f"@log{len(logs)}@"
                rows = ",\n".join("   " + json.dumps(row) for row in run[name])
                logs[json.dumps(marker)] = f"[\n{rows}\n  ]" if rows else "[]"
                run[name] = marker
    text = json.dumps(plain, indent=1)
    for marker, rows in logs.items():
        text = text.replace(marker, rows, 1)
    return text + "\n"


def write_section(path: Path, section: str) -> None:
    """Replace the Load section of `path`, or append it; keep everything else."""
    results_md.replace_section(path, HEADING, section)


def _mb(kb: float) -> str:
    return f"{kb / 1024:.0f} MB"


def _ms(ms: float) -> str:
    return f"{ms / 1000:.2f} s" if ms >= 1000 else f"{ms:.0f} ms"


def _spread(runs: list[dict[str, Any]], get: Any, fmt: Any) -> str:
    median, low, high = median_and_range(get(r) for r in runs)
    return f"{fmt(median)} ({fmt(low)} to {fmt(high)})" if len(runs) > 1 else fmt(median)


ROW_HEADER = (
    "run",
    "page runs (/s)",
    "errors",
    "p50",
    "p95",
    "max",
    "upstream requests / bound",
    "team-month reads / bound",
    "team-months viewed",
    "Refresh presses",
    "burst: presses on team-months -> re-reads",
    "RSS start -> end (peak)",
    "CPU s: app (per page run), load generator",
    "load average at start",
)


def _row(cells: list[object]) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _run_row(r: dict[str, Any]) -> str:
    u, b = r["upstream"], r["burst"]
    return _row(
        [
            r["run"],
            f"{r['page_runs']} ({r['page_runs_per_s']})",
            r["errors"],
            _ms(r["p50_ms"]),
            _ms(r["p95_ms"]),
            _ms(r["max_ms"]),
            f"{u['requests']} / {u['bound_requests']}",
            f"{u['team_month_reads']} / {u['bound_reads']}",
            u["team_months_viewed"],
            u["refresh_presses"],
            f"{b['presses_with_data']} on {b['team_months_pressed']} -> {b['reads']}",
            f"{_mb(r['rss_kb_start'])} -> {_mb(r['rss_kb_end'])} ({_mb(r['rss_kb_peak'])})",
            f"{r['app_cpu_s']} ({r['app_cpu_ms_per_page']} ms), {r['generator_cpu_s']}",
            f"{r['load_average_at_start'][0]:.1f}",
        ]
    )


def _setup(results: dict[str, Any]) -> list[str]:
    o, m, n = results["options"], results["machine"], len(results["runs"])
    load_start = tuple(round(x, 1) for x in m["load_average_at_start"])
    load_end = tuple(round(x, 1) for x in m["load_average_at_end"])
    return [
        f"{o['sessions']} people at once on one `streamlit run app.py` process, each signed in "
        "through a real OIDC provider and driving its own websocket with Streamlit's protobufs, for "
        f"{o['duration_s']:.0f} s; {n} runs, each on a fresh app process. Written by "
        "`scripts/bench-load`; do not edit by hand.",
        "",
        f"- run: {results['started_at']}; command: `{results['command'].strip()}`",
        f"- machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}; load average at start "
        f"{load_start}, at end {load_end}. {results_md.machine_load(load_start, m['cores'])}, "
        f"and the load generator (the websocket clients, the emulator) runs on the same {m['cores']} cores "
        "as the app: absolute times are pessimistic.",
        "- upstream: usage_core.demo's emulator (the demo's three teams) over loopback HTTP, "
        f"+{o['latency_ms'][0]:.0f} to {o['latency_ms'][1]:.0f} ms per request (uniform, seeded), "
        f"requests counted at its server; `USAGE_CACHE_TTL_SECONDS={o['ttl_s']}`; the demo tenants "
        "in a `TENANTS_FILE`; `[auth]` set, so the app runs fail-closed and every session signs in "
        "(oidc-provider-mock, authorization-code flow, the app's own login button and callback).",
        f"- sessions: {len(o['personas'])} personas in turn ({', '.join(o['personas'])}), each on "
        f"a tenant it may see, months {', '.join(o['months'])} (60/30/10%); after each page a think "
        f"time of {o['think_s'][0]:g} to {o['think_s'][1]:g} s, then a rerun (35%), a month or "
        "tenant switch through the URL's query string (25% each) or a Refresh press (15%). Halfway "
        "through, every session presses Refresh once (the burst).",
        "- page-run time: from sending the `rerun_script` BackMsg to the run's `script_finished`; "
        "when the run drew a report's top only (a session's first report), the client then sends "
        'the browser\'s "top drawn" report at once and the time runs to the end of that second pass. '
        "An error is a run that raised, drew an error box, showed another title than the tenant "
        "and month asked for, lacked the KPI row, or did not finish within 60 s.",
    ]


def _medians(runs: list[dict[str, Any]]) -> list[str]:
    count = lambda v: f"{v:.0f}"  # noqa: E731
    rows = [
        ("page runs", lambda r: r["page_runs"], count),
        ("errors", lambda r: r["errors"], count),
        ("page run p50", lambda r: r["p50_ms"], _ms),
        ("page run p95", lambda r: r["p95_ms"], _ms),
        ("page runs per second", lambda r: r["page_runs_per_s"], lambda v: f"{v:.2f}"),
        ("app CPU per page run", lambda r: r["app_cpu_ms_per_page"], _ms),
        ("cores the app got (CPU s / window s)", lambda r: r["app_cores_used"], lambda v: f"{v:.2f}"),
        ("upstream requests", lambda r: r["upstream"]["requests"], count),
        ("bound on upstream requests", lambda r: r["upstream"]["bound_requests"], count),
        ("RSS at start (after the first page)", lambda r: r["rss_kb_start"], _mb),
        ("RSS at end", lambda r: r["rss_kb_end"], _mb),
        ("peak RSS", lambda r: r["rss_kb_peak"], _mb),
    ]
    title = f"median of {len(runs)} runs (lowest to highest)" if len(runs) > 1 else "result"
    return [_row(["", title]), "|---|---|"] + [
        _row([label, _spread(runs, get, fmt)]) for label, get, fmt in rows
    ]


def _by_action(runs: list[dict[str, Any]]) -> list[str]:
    lines = [
        "Page-run time by action (median over the runs of each run's p50 and p95):",
        "",
        "| action | runs (all runs) | p50 | p95 |",
        "|---|---|---|---|",
    ]
    for action in sorted({a for r in runs for a in r["by_action"]}):
        present = [r["by_action"][action] for r in runs if action in r["by_action"]]
        p50 = median_and_range(a["p50_ms"] for a in present)[0]
        p95 = median_and_range(a["p95_ms"] for a in present)[0]
        lines.append(_row([action, sum(a["runs"] for a in present), _ms(p50), _ms(p95)]))
    return lines


def _capacity(results: dict[str, Any]) -> str:
    runs, o = results["runs"], results["options"]
    cpu_ms = median_and_range(r["app_cpu_ms_per_page"] for r in runs)[0]
    cores = median_and_range(r["app_cores_used"] for r in runs)[0]
    think = (o["think_s"][0] + o["think_s"][1]) / 2
    asked = o["sessions"] / think
    served = cores * 1000 / cpu_ms
    verdict = (
        "fewer than asked for: page runs queued for CPU, and their times above are mostly that wait"
        if served < asked
        else "enough for what was asked"
    )
    return (
        f"**Capacity.** The app spent a median {cpu_ms:.0f} ms of CPU per page run. A Streamlit "
        "process runs its Python on one core at a time (the GIL), so with a whole core it serves "
        f"about {1000 / cpu_ms:.1f} page runs a second; {o['sessions']} sessions thinking "
        f"{think:g} s on average between pages ask for up to {asked:.1f}. In these runs the app got "
        f"a median {cores:.2f} cores (its CPU seconds over the window): about {served:.1f} page runs "
        f"a second, {verdict}."
    )


def _bound(runs: list[dict[str, Any]]) -> list[str]:
    reads = ", ".join(f"{k}: {v}" for k, v in runs[0]["upstream"]["reads_by_team_month"].items())
    bursts = [r["burst"] for r in runs]
    shared = all(b["reads"] <= b["team_months_pressed"] for b in bursts)
    verdict = (
        "shared: at most one re-read per team-month pressed"
        if shared
        else "not shared: about one re-read per press, not one per team-month"
    )
    return [
        "**The upstream bound.** One team-month read is 3 requests (`/team/info`, `/key/list`, "
        "one page of `/team/daily/activity`). The cache keeps a read for the TTL and computes one "
        "key at a time, so over a window of W seconds (first page to last) each team-month viewed "
        "(a page's month, and the month before it, which the comparison with last month reads) "
        "is read at most floor(W / TTL) + 1 times, plus at most once per Refresh press: bound = 3 x "
        "(team-months viewed x (floor(W / TTL) + 1) + Refresh presses) requests. Reads per "
        f"team-month in run 1: {reads}.",
        "",
        "**The Refresh burst.** Its column counts the reads of a team-month that started while a "
        "burst press on it was running (from sending the press to that page's `script_finished`). "
        "A re-read shared by the viewers of a team-month is one read per team-month pressed; a "
        f"re-read per viewer is one per press. Measured: {verdict}.",
    ]


def render(results: dict[str, Any]) -> str:
    """The section's Markdown."""
    runs = results["runs"]
    lines = [f"{HEADING}{results['options']['sessions']} websocket sessions", ""]
    lines += [*_setup(results), "", *_medians(runs), ""]
    lines += [_row(list(ROW_HEADER)), _row(["---"] * len(ROW_HEADER))]
    lines += [*(_run_row(r) for r in runs), "", *_by_action(runs), "", _capacity(results), "", *_bound(runs)]
    failed = [(r["run"], e) for r in runs for e in r["error_samples"][:3]]
    if failed:
        lines += ["", "Errors (the first ones of each run):", ""]
        lines += [
            f"- run {run}, session {e['session']}, {e['action']} {e['tenant']} {e['month']}: {e['problem']}"
            for run, e in failed
        ]
    return "\n".join(lines) + "\n"

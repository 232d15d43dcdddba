"""One measurement, meant to run in a fresh process (so peak RSS is its own): JSON spec on stdin,
JSON result on stdout.

Variants:
- `ours_daily`: the app's path: `build_service(settings).report(scope, month)` (team info, keys and
  `/team/daily/activity` concurrently, then build_report); warm = the app's cached loader
  (`data.snapshot`, st.cache_data) + build_report.
- `ours_spend_logs`: the same with usage from `team_usage_from_spend_logs` (the fallback path);
  warm = st.cache_data over that loader + build_report.
- `original`: benchmarks.original (no cache existed: no warm time).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from usage_core.reports import CSV_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
SPEND_TOLERANCE = 1e-9  # relative


class _CountingStream(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, owner: CountingTransport) -> None:
        self.inner, self.owner = inner, owner

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.inner:
            with self.owner.lock:
                self.owner.bytes_received += len(chunk)
            yield chunk

    def close(self) -> None:
        self.inner.close()


class CountingTransport(httpx.BaseTransport):
    """httpx's own HTTP transport, counting requests and bytes on the wire (before decoding)."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.lock = threading.Lock()
        self.requests = 0
        self.bytes_received = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests += 1
        response = self.inner.handle_request(request)
        assert isinstance(response.stream, httpx.SyncByteStream)
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_CountingStream(response.stream, self),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self.inner.close()


def rss_kb(field: str) -> int:
    """VmRSS (now) or VmHWM (peak) of this process, in kB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def server_stats(url: str | None, reset: bool = False) -> dict[str, Any] | None:
    if not url:
        return None
    return httpx.get(f"{url}/__bench/{'reset' if reset else 'stats'}").json()


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 3)


# -- correctness --------------------------------------------------------------------------------


COUNTERS = CSV_COLUMNS[1:-1]  # every integer column: input_tokens .. failed_requests


def check_report(report: Any, truth: dict[str, Any]) -> dict[str, Any]:
    """Totals and per-day requests of one of our reports against the ground truth."""
    t = truth["totals"]
    got = report.totals
    problems = [
        f"{name}: {getattr(got, name)} != {t[name]}" for name in COUNTERS if getattr(got, name) != t[name]
    ]
    if abs(got.spend - t["spend"]) > SPEND_TOLERANCE * max(1.0, abs(t["spend"])):
        problems.append(f"spend: {got.spend!r} != {t['spend']!r}")
    daily = {r.day.isoformat(): r.metrics.requests for r in report.daily}
    bad_days = [d for d, n in truth["daily_requests"].items() if daily.get(d) != n]
    if bad_days:
        problems.append(f"{len(bad_days)} day(s) wrong, e.g. {bad_days[0]}")
    return {
        "correct": not problems,
        "problems": problems,
        "requests": got.requests,
        "expected_requests": t["requests"],
        "spend": got.spend,
        "expected_spend": t["spend"],
        "last_day_requests": daily.get(max(truth["daily_requests"]), 0),
    }


def check_original(body: dict[str, Any], truth: dict[str, Any]) -> dict[str, Any]:
    """The original's currentPeriod against the ground truth."""
    t, got = truth["totals"], body["currentPeriod"]
    problems = []
    for name, theirs in (
        ("input_tokens", got["inputTokens"]),
        ("output_tokens", got["outputTokens"]),
        ("requests", got["requestCount"]),
    ):
        if theirs != t[name]:
            problems.append(f"{name}: {theirs} != {t[name]} ({theirs / max(t[name], 1):.1%})")
    if abs(got["totalSpend"] - t["spend"]) > SPEND_TOLERANCE * max(1.0, abs(t["spend"])):
        problems.append(f"spend: {got['totalSpend']:.6f} != {t['spend']:.6f}")
    days = {d["date"] for d in body["dailyUsage"]}
    last_day = max(truth["daily_requests"])
    return {
        "correct": not problems,
        "problems": problems,
        "requests": got["requestCount"],
        "expected_requests": t["requests"],
        "spend": got["totalSpend"],
        "expected_spend": t["spend"],
        "days_with_data": len(days),
        "last_day_requests": 0 if last_day not in days else None,
    }


# -- variants -----------------------------------------------------------------------------------


def _settings(spec: dict[str, Any], tmp: Path) -> Any:
    from usage_core.config import Settings

    tenants = tmp / "tenants.json"
    tenants.write_text(
        json.dumps(
            [
                {
                    "metadata": {"name": "bench"},
                    "spec": {"orgId": "bench", "displayName": "Benchmark tenant"},
                    "status": {"litellmTeamId": spec["team_id"], "litellmKeyAlias": spec["alias"]},
                }
            ]
        )
    )
    return Settings(
        litellm_base_url=spec["base_url"],
        litellm_master_key=spec["master_key"],
        tenants_file=tenants,
        usage_cache_ttl_seconds=3600,
    )


def _spend_logs_snapshot(service: Any, team_id: str, month: Any) -> Any:
    """service.snapshot, with the usage read from the spend-logs fallback."""
    from concurrent.futures import ThreadPoolExecutor

    from usage_core.reports import TeamSnapshot

    client = service.client
    with ThreadPoolExecutor(max_workers=3) as pool:
        team = pool.submit(client.team_info, team_id)
        keys = pool.submit(client.list_keys, team_id)
        usage = pool.submit(client.team_usage_from_spend_logs, team_id, month)
        return TeamSnapshot(team.result(), tuple(keys.result()), usage.result())


def run_ours(spec: dict[str, Any], result: dict[str, Any]) -> None:
    from usage_core.access import Scope
    from usage_core.litellm import LiteLLMClient
    from usage_core.months import Month
    from usage_core.reports import build_report
    from usage_core.service import build_service

    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    settings = _settings(spec, tmp)
    month = Month.parse(spec["month"])
    scope = Scope(spec["team_id"], spec["alias"], spec["alias"], "bench")
    fallback = spec["variant"] == "ours_spend_logs"
    result["baseline_rss_kb"] = rss_kb("VmRSS")

    cold, report = [], None
    for _ in range(spec["runs"]):
        transport = CountingTransport()
        service = build_service(settings, transport=transport)
        if spec.get("client"):  # explicit client knobs (the default is the app's configuration)
            service.client.close()
            service.client = LiteLLMClient(
                spec["base_url"], spec["master_key"], transport=transport, **spec["client"]
            )
        server_stats(spec.get("stats_url"), reset=True)
        started = time.perf_counter()
        if fallback:
            snapshot = _spend_logs_snapshot(service, spec["team_id"], month)
        else:
            snapshot = service.snapshot(spec["team_id"], month)
        report = build_report(scope, month, snapshot)
        cold.append(time.perf_counter() - started)
        result["source"] = report.source
        result["upstream_requests"] = transport.requests
        result["bytes_received"] = transport.bytes_received
        result["client_stats"] = vars(service.client.stats).copy()
        result["server"] = server_stats(spec.get("stats_url"))
        service.client.close()
    result["cold_ms"] = median_ms(cold)
    result["cold_samples_ms"] = [round(s * 1000, 3) for s in cold]
    result["peak_rss_kb"] = rss_kb("VmHWM")
    result["check"] = check_report(report, spec["truth"])

    # Warm: the app's cache path (Streamlit's st.cache_data), then the same build_report.
    sys.path.insert(0, str(ROOT))
    import streamlit as st

    from dashboard import data

    if fallback:

        def _fetch_fallback(team_id: str, month_text: str) -> Any:
            # The cache stores (pickles) what the loader returned; the hit costs the same however
            # it was fetched, so the cold runs' snapshot fills it instead of a second full read.
            return snapshot

        cached = st.cache_data(ttl=3600, show_spinner=False)(_fetch_fallback)

        def load() -> Any:
            return cached(spec["team_id"], str(month))
    else:

        def load() -> Any:
            return data.snapshot(settings, spec["team_id"], month)

    load()  # fills the cache
    server_stats(spec.get("stats_url"), reset=True)
    warm = []
    for _ in range(spec["warm_runs"]):
        started = time.perf_counter()
        build_report(scope, month, load())
        warm.append(time.perf_counter() - started)
    result["warm_ms"] = median_ms(warm)
    result["warm_upstream_requests"] = (server_stats(spec.get("stats_url")) or {}).get("requests")


def run_original(spec: dict[str, Any], result: dict[str, Any]) -> None:
    from benchmarks.original import original_usage

    result["baseline_rss_kb"] = rss_kb("VmRSS")
    cold, body = [], None
    for _ in range(spec["runs"]):
        transport = CountingTransport()
        http = httpx.Client(
            base_url=spec["base_url"],
            headers={"Authorization": f"Bearer {spec['master_key']}"},
            transport=transport,
            timeout=120,
        )
        server_stats(spec.get("stats_url"), reset=True)
        started = time.perf_counter()
        body = original_usage(http, spec["team_id"], spec["alias"], spec["month"])
        cold.append(time.perf_counter() - started)
        result["upstream_requests"] = transport.requests
        result["bytes_received"] = transport.bytes_received
        result["server"] = server_stats(spec.get("stats_url"))
        http.close()
        if "check" not in result:
            result["check"] = check_original(body, spec["truth"])
        body = None  # each run starts from nothing, as every page view of the original did
    result["cold_ms"] = median_ms(cold)
    result["cold_samples_ms"] = [round(s * 1000, 3) for s in cold]
    result["peak_rss_kb"] = rss_kb("VmHWM")
    result["warm_ms"] = None  # the original had no cache: every view paid the cold cost


def main() -> int:
    spec = json.loads(sys.stdin.read())
    result: dict[str, Any] = {"variant": spec["variant"], "pid": os.getpid()}
    started = time.perf_counter()
    try:
        if spec["variant"] == "original":
            run_original(spec, result)
        else:
            run_ours(spec, result)
    except Exception as exc:  # recorded in the results: a failure is a measurement too
        result["error"] = f"{type(exc).__name__}: {exc}"
        result["failed_after_s"] = round(time.perf_counter() - started, 1)
        result["peak_rss_kb"] = rss_kb("VmHWM")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

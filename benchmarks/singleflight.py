"""50 concurrent sessions ask for the same team and month through the app's cached loader
(`data.snapshot`: st.cache_data over UsageService.snapshot); count what reaches the upstream.

Runs in its own process: JSON spec on stdin (base_url, master_key, team_id, month, alias,
stats_url, sessions, periods, ttl), JSON result on stdout. One fetch per cache period is the
target: team info + keys + daily activity = 3 upstream requests per period.
"""

from __future__ import annotations

import json
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks.measure import ROOT, _settings, server_stats


def _session(
    data: Any,
    settings: Any,
    team_id: str,
    month: Any,
    barrier: threading.Barrier,
    lock: threading.Lock,
    errors: list[str],
    latencies: list[float],
) -> None:
    """One viewer: wait for the others, then load the team-month the way the Usage page does."""
    barrier.wait()
    started = time.perf_counter()
    try:
        snap = data.snapshot(settings, team_id, month)
        if snap.usage.team_id != team_id:
            raise AssertionError("wrong team")
    except Exception as exc:
        with lock:
            errors.append(type(exc).__name__)
    with lock:
        latencies.append(time.perf_counter() - started)


def main() -> int:
    spec = json.loads(sys.stdin.read())
    sys.path.insert(0, str(ROOT))
    from dashboard import data
    from usage_core.months import Month

    settings = _settings(spec, Path(tempfile.mkdtemp(prefix="bench-")))
    settings = settings.model_copy(update={"usage_cache_ttl_seconds": spec["ttl"]})
    month = Month.parse(spec["month"])
    sessions = spec["sessions"]
    periods: list[dict[str, Any]] = []
    data.service(settings)  # the shared client exists before the sessions arrive, as in the app
    server_stats(spec["stats_url"], reset=True)
    for _period in range(spec["periods"]):
        barrier = threading.Barrier(sessions)
        errors: list[str] = []
        latencies: list[float] = []
        lock = threading.Lock()
        threads = [
            threading.Thread(
                target=_session,
                args=(data, settings, spec["team_id"], month, barrier, lock, errors, latencies),
            )
            for _ in range(sessions)
        ]
        before = server_stats(spec["stats_url"]) or {}
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        after = server_stats(spec["stats_url"]) or {}
        periods.append(
            {
                "sessions": sessions,
                "upstream_requests": after["requests"] - before.get("requests", 0),
                "paths": {p: n - before.get("paths", {}).get(p, 0) for p, n in after["paths"].items()},
                "errors": errors,
                "slowest_session_ms": round(max(latencies) * 1000, 1),
            }
        )
        time.sleep(spec["ttl"] + 0.5)  # let the cache period end
    print(json.dumps({"periods": periods, "ttl_s": spec["ttl"]}))
    httpx.Client().close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

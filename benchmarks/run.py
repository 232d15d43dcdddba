"""Run the whole benchmark and write benchmarks/results.json and benchmarks/results.md.

    python -m benchmarks.run [--sizes 1000,10000,100000,1000000] [--real-env /tmp/x/env]
                             [--real-sizes 1000,10000,100000,1000000] [--quick]

Every measurement runs in a fresh subprocess (benchmarks.measure, .singleflight, .pages), so
its peak RSS is its own. `scripts/bench` starts a real LiteLLM, passes its env file, stops it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import report, results_md
from benchmarks.demo_backend import benchmark_month, calibrated_team, pinned_now
from benchmarks.demo_backend import truth as demo_truth

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
EMULATOR_KEY = "sk-bench-emulator"
VARIANTS = ("original", "ours_daily", "ours_spend_logs")
SERIAL = {"max_concurrency": 1, "timeout": 120.0}


def log(message: str) -> None:
    print(f"[bench {datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def child(module: str, spec: dict[str, Any], *args: str, timeout: float = 3600) -> dict[str, Any]:
    """Run `python -m module` in a fresh process with `spec` on stdin; its JSON stdout back."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=timeout,
    )
    if done.returncode != 0 or not done.stdout.strip():
        tail = done.stderr.strip().splitlines()[-3:]
        return {"error": f"{module} exited {done.returncode}: {' | '.join(tail)}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    versions = {}
    for name in ("httpx", "streamlit", "pandas", "psycopg", "playwright"):
        try:
            from importlib.metadata import version

            versions[name] = version(name)
        except Exception:
            versions[name] = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 2**20, 1),
        "python": platform.python_version(),
        "os": platform.platform(),
        "load_average_at_start": os.getloadavg(),
        "versions": versions,
    }


# -- emulator -----------------------------------------------------------------------------------


def start_emulator(sizes: list[int], delay_ms: float) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "benchmarks.server",
            "--sizes",
            ",".join(map(str, sizes)),
            "--delay-ms",
            str(delay_ms),
            "--master-key",
            EMULATOR_KEY,
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    assert proc.stdout is not None
    ready = json.loads(proc.stdout.readline())
    return proc, ready["url"]


def runs_for(variant: str, n: int, quick: bool) -> int:
    if variant == "ours_spend_logs" and n >= 1_000_000:
        return 1
    if variant == "original":
        return 2 if quick else 3
    return 3 if quick else 5


def emulator_suite(args: argparse.Namespace, results: dict[str, Any]) -> None:
    sizes = [int(n) for n in args.sizes.split(",")]
    now = pinned_now()
    month = benchmark_month(now)
    log(f"emulator: starting (sizes {sizes}, {args.delay_ms} ms per request, month {month})")
    proc, url = start_emulator(sizes, args.delay_ms)
    section: dict[str, Any] = {
        "backend": f"usage_core.demo.DemoLiteLLM over HTTP/1.1 on loopback, +{args.delay_ms} ms/request",
        "month": str(month),
        "sizes": {},
    }
    results["emulator"] = section
    try:
        for n in sizes:
            team = calibrated_team(n, now)
            truth = demo_truth(team, now)
            entry: dict[str, Any] = {"truth": truth, "variants": {}}
            section["sizes"][str(n)] = entry
            for variant in VARIANTS:
                if variant == "ours_spend_logs" and n >= 1_000_000 and args.quick:
                    continue
                spec = {
                    "variant": variant,
                    "base_url": url,
                    "master_key": EMULATOR_KEY,
                    "team_id": team.team_id,
                    "month": str(month),
                    "alias": "bench",
                    "runs": runs_for(variant, n, args.quick),
                    "warm_runs": 20,
                    "stats_url": url,
                    "truth": truth,
                }
                log(f"emulator {n:>9,}: {variant}")
                entry["variants"][variant] = child("benchmarks.measure", spec)
        top = max(sizes)
        team = calibrated_team(top, now)
        base = {
            "base_url": url,
            "master_key": EMULATOR_KEY,
            "team_id": team.team_id,
            "month": str(month),
            "alias": "bench",
            "stats_url": url,
        }
        log("emulator: single-flight, 50 sessions x 2 cache periods")
        results["single_flight"] = child(
            "benchmarks.singleflight", {**base, "sessions": 50, "periods": 2, "ttl": 3}
        )
        results["single_flight"]["team_requests_per_month"] = top
        if not args.no_pages:
            log("pages: AppTest warm Usage page run")
            results["apptest"] = child("benchmarks.pages", {**base, "warm_runs": 10}, "apptest")
            results["apptest"]["team_requests_per_month"] = top
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    if not args.no_pages:
        log("pages: cold start in Chromium")
        results["browser"] = child("benchmarks.pages", {}, "browser", timeout=600)


# -- real LiteLLM -------------------------------------------------------------------------------


def real_suite(args: argparse.Namespace, results: dict[str, Any]) -> None:
    from benchmarks import realproxy
    from benchmarks.dataset import TENANT_ALIAS, month_for_benchmark

    proxy = realproxy.Proxy.from_env_file(args.real_env)
    month = month_for_benchmark()
    version = dict(
        line.split("=", 1) for line in Path(args.real_env).read_text().splitlines() if "=" in line
    ).get("REAL_LITELLM_VERSION", "?")
    section: dict[str, Any] = {
        "backend": f"LiteLLM {version} (Postgres) on loopback, rows bulk-inserted with COPY",
        "month": str(month),
        "sizes": {},
    }
    results["real"] = section
    for n in [int(s) for s in args.real_sizes.split(",")]:
        log(f"real {n:>9,}: creating team and keys, inserting rows")
        tm, loaded = realproxy.load(proxy, n, month)
        truth = realproxy.truth(tm)
        entry: dict[str, Any] = {"truth": truth, "load": loaded, "variants": {}}
        section["sizes"][str(n)] = entry
        try:
            for variant in VARIANTS:
                if variant == "ours_spend_logs" and n > args.real_fallback_max:
                    continue
                spec = {
                    "variant": variant,
                    "base_url": proxy.base_url,
                    "master_key": proxy.master_key,
                    "team_id": tm.team_id,
                    "month": str(month),
                    "alias": TENANT_ALIAS,
                    "runs": 1
                    if variant == "ours_spend_logs" and n >= 100_000
                    else runs_for(variant, n, args.quick),
                    "warm_runs": 20,
                    "truth": truth,
                }
                log(f"real {n:>9,}: {variant}")
                result = child("benchmarks.measure", spec)
                entry["variants"][variant] = result
                if variant == "ours_spend_logs" and "error" in result:
                    # The app's default client failed: measure once more with one page in flight.
                    log(f"real {n:>9,}: ours_spend_logs failed ({result['error'][:80]}); serial")
                    serial = child("benchmarks.measure", dict(spec, runs=1, client=SERIAL))
                    entry["variants"]["ours_spend_logs_serial"] = dict(serial, client=SERIAL)
        finally:
            realproxy.clear(proxy, tm.team_id)
    section["proxy_log"] = proxy_log_summary(Path(args.real_env).parent / "logs" / "proxy.log")


def proxy_log_summary(path: Path) -> dict[str, Any]:
    """What the proxy itself logged during the run: 5xx answers and engine restarts."""
    if not path.exists():
        return {"missing": str(path)}
    text = path.read_text(errors="replace").splitlines()
    return {
        "spend_logs_500": sum("GET /spend/logs/v2" in t and '" 500 ' in t for t in text),
        "daily_activity_500": sum("GET /team/daily/activity" in t and '" 500 ' in t for t in text),
        "engine_reconnects": sum("Attempting Prisma DB reconnect" in t for t in text),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000,1000000")
    parser.add_argument("--delay-ms", type=float, default=5.0)
    parser.add_argument("--real-env", default=None, help="real-litellm env file; none: skip")
    parser.add_argument("--real-sizes", default="1000,10000,100000,1000000")
    parser.add_argument("--real-fallback-max", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="fewer runs; no 1M fallback")
    parser.add_argument("--no-pages", action="store_true")
    parser.add_argument("--out", default=str(HERE))
    args = parser.parse_args(argv)

    started = time.perf_counter()
    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "scripts/bench " + " ".join(sys.argv[1:] if argv is None else argv),
        "machine": machine(),
    }
    emulator_suite(args, results)
    if args.real_env:
        real_suite(args, results)
    results["machine"]["load_average_at_end"] = os.getloadavg()
    results["duration_s"] = round(time.perf_counter() - started)
    out = Path(args.out)
    (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    # the sections of the other benchmarks (load, overview, page speed, image) stay as they are
    results_md.keep_others(out / "results.md", report.render(results))
    log(f"wrote {out / 'results.md'} and results.json in {results['duration_s']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Page speed: time from "Continue as member" to the first drawn chart, ours against a trivial app.

    python -m benchmarks.pagespeed [--runs 15] [--warmups 2] [--trace] [--out benchmarks]

Starts `streamlit run app.py` (the embedded demo: nothing configured, an empty secrets file, so
the demo persona sign-in) and `streamlit run benchmarks/reference_app.py` (a title, the same button,
one plotly chart) with the e2e suite's flags, both from the project folder, so both read its
.streamlit/config.toml (the reference gains its runner settings too), and drives Debian's Chromium
(headless, the e2e flags). Per run: a fresh browser context, open the app, wait until the button
is ready, install the in-page timer, click, wait until the page is complete. Runs alternate A, B,
A, B so the machine's noise hits both apps alike.

What is timed, inside the page with performance.now() (Python's overhead does not count):
- t0: the button's `click` event (a capturing listener installed before the click);
- first chart: the first `.js-plotly-plot` whose `.main-svg` holds a drawn trace (`g.trace` with a
  `path`: bars or a gauge's arcs), seen by a MutationObserver, that is, in the DOM before the paint
  of that frame;
- KPI row: the first `[data-testid="stMetricValue"]`;
- last chart: the moment the last of the page's plotly charts got its drawn trace;
- script done: Streamlit's `data-test-script-state` back to `notRunning` after the click's rerun
  (the first pass; or the first chart drawn, when a fast rerun never showed the running state).
The run ends when the script is done, the report's second pass has arrived (dashboard/below_fold.py:
no placeholder left) and every `stPlotlyChart` on the page has a drawn trace.
With --trace, a Chrome trace per run also gives the main thread's CPU time from the click to the
first chart: on a shared machine it moves far less with the load than wall time does.

Writes benchmarks/pagespeed.json and the section "Page speed: first chart vs a trivial app" at the
end of benchmarks/results.md (replacing an earlier one; the rest of that file is scripts/bench's).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from benchmarks import results_md
from dashboard.below_fold import PENDING_KEY

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LOOPBACK = "127.0.0.1"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [  # tests/e2e/conftest.py
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1440, "height": 1000}  # the e2e suite's
BUTTON = "Continue as member"
SECTION = "## Page speed: first chart vs a trivial app"
TIMEOUT_MS = 120_000
# What a trace needs for RunTask thread times and the user-timing marks.
TRACE_CATEGORIES = [
    "toplevel",
    "blink.user_timing",
    "devtools.timeline",
    "disabled-by-default-devtools.timeline",
]
APPS = {"ours": ROOT / "app.py", "reference": HERE / "reference_app.py"}

# Installed in the page after the button is ready and before the click; see the module docstring.
TIMER_JS = """
() => {
  const s = {t0: null, kpi: null, charts: [], running: false, done: null, exception: false};
  window.__pagespeed = s;
  const app = document.querySelector('[data-testid="stApp"]');
  const drawn = () => Array.from(document.querySelectorAll('.js-plotly-plot'))
    .filter((plot) => plot.querySelector('.main-svg g.trace path')).length;
  const check = () => {
    if (s.t0 === null) return;
    const now = performance.now();
    if (s.kpi === null && document.querySelector('[data-testid="stMetricValue"]')) s.kpi = now;
    if (document.querySelector('[data-testid="stException"]')) s.exception = true;
    const n = drawn();
    if (s.charts.length === 0 && n > 0) performance.mark('pagespeed:first-chart');
    while (s.charts.length < n) s.charts.push(now);
    const state = app.getAttribute('data-test-script-state');
    if (state !== 'notRunning') s.running = true;
    // A chart drawn since the click also proves the rerun began: a fast rerun can start and end
    // within one render, and then the attribute never changes at all.
    else if ((s.running || n > 0) && s.done === null) s.done = now;
  };
  // Any change of the script state after the click means its rerun began, even when running and
  // notRunning fall into one batch of records (a fast script).
  const scriptState = () => { if (s.t0 !== null) s.running = true; check(); };
  const clicked = () => {
    if (s.t0 === null) { s.t0 = performance.now(); performance.mark('pagespeed:click'); }
  };
  document.addEventListener('click', clicked, {capture: true});
  new MutationObserver(check).observe(document.body, {childList: true, subtree: true});
  new MutationObserver(scriptState).observe(app, {attributes: true,
                                            attributeFilter: ['data-test-script-state']});
}
"""
# The exact end state of a run: the click's rerun finished and every chart on the page is drawn.
COMPLETE_JS = """
() => {
  const s = window.__pagespeed;
  if (!s || s.done === null) return false;
  const charts = document.querySelectorAll('[data-testid="stPlotlyChart"]').length;
  const pending = document.querySelectorAll('.st-key-PENDING_KEY').length;
  return s.exception || (pending === 0 && charts > 0 && s.charts.length >= charts);
}
""".replace("PENDING_KEY", PENDING_KEY)
RESULT_JS = "() => window.__pagespeed"


def log(message: str) -> None:
    print(f"[pagespeed {datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def clean_env(home: Path) -> dict[str, str]:
    """This environment without the app's settings or Streamlit's: the app runs on the demo."""
    from usage_core.config import Settings

    contract = {name.upper() for name in Settings.model_fields} | {"KUBECONFIG"}
    env = {
        key: value
        for key, value in os.environ.items()
        if key.upper() not in contract and not key.upper().startswith("STREAMLIT_")
    }
    env["HOME"] = str(home)  # no ~/.streamlit
    env["PYTHONPATH"] = str(ROOT)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass
class Server:
    """One `streamlit run` on loopback."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_streamlit(name: str, script: Path, workdir: Path, env: Mapping[str, str]) -> Server:
    """`streamlit run script` with the flags of tests/e2e/e2e_helpers.start_streamlit."""
    port = free_port()
    secrets = workdir / "secrets.toml"
    secrets.write_text("")  # no [auth]: the demo persona sign-in
    argv = [sys.executable, "-m", "streamlit", "run", str(script)]
    argv += ["--server.headless", "true", "--server.address", LOOPBACK, "--server.port", str(port)]
    argv += ["--secrets.files", str(secrets)]
    argv += ["--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    argv += ["--server.runOnSave", "false", "--global.developmentMode", "false"]
    argv += ["--client.toolbarMode", "viewer"]
    log_path = workdir / f"{name}.log"
    with log_path.open("wb") as out:
        process = subprocess.Popen(argv, cwd=ROOT, env=dict(env), stdout=out, stderr=subprocess.STDOUT)
    server = Server(name, f"http://{LOOPBACK}:{port}", process, log_path)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited {process.returncode}: {log_path.read_text()[-2000:]}")
        try:
            if httpx.get(f"{server.url}/_stcore/health", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"{name} not healthy after 120 s")


def _loopback_only(route: Any) -> None:
    if urlsplit(route.request.url).hostname == LOOPBACK:
        route.continue_()
    else:
        route.abort()


def one_run(browser: Any, url: str, *, trace: bool = False) -> dict[str, Any]:
    """A fresh context: open, wait for the button, time the click to the complete page.

    With `trace`, Chromium also records a trace from the click on, for the main thread's CPU time.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    context = browser.new_context(viewport=VIEWPORT, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    context.route("**/*", _loopback_only)
    frames = {"after_click": False, "bytes": 0, "messages": 0}

    def on_frame(payload: bytes | str) -> None:
        if frames["after_click"]:
            frames["bytes"] += len(payload)
            frames["messages"] += 1

    try:
        page = context.new_page()
        page.on("websocket", lambda ws: ws.on("framereceived", on_frame))
        page.goto(url)
        button = page.get_by_role("button", name=BUTTON)
        button.wait_for(state="visible")
        page.wait_for_function(
            "() => document.querySelector('[data-testid=\"stApp\"]')"
            "?.getAttribute('data-test-script-state') === 'notRunning'"
        )
        page.evaluate(TIMER_JS)
        if trace:
            browser.start_tracing(page=page, categories=TRACE_CATEGORIES)
        frames["after_click"] = True
        button.click()
        try:
            page.wait_for_function(COMPLETE_JS, polling=100)
        except PlaywrightTimeout as error:
            raise RuntimeError(f"{url} never completed; the timer read {page.evaluate(RESULT_JS)}") from error
        state = page.evaluate(RESULT_JS)
        charts = page.locator('[data-testid="stPlotlyChart"]').count()
        heading = page.evaluate("() => document.querySelector('h1')?.innerText ?? null")
        cpu = main_thread_cpu_ms(browser.stop_tracing()) if trace else None
    finally:
        context.close()
    if state["exception"]:
        raise RuntimeError(f"the app raised an exception on screen ({url})")
    t0 = state["t0"]

    def since(value: float | None) -> float | None:
        return None if value is None else round(value - t0, 1)

    return {
        "first_chart_ms": since(state["charts"][0]),
        "kpi_ms": since(state["kpi"]),
        "last_chart_ms": since(state["charts"][-1]),
        "script_done_ms": since(state["done"]),
        "charts": charts,
        "heading": heading,
        "ws_bytes": frames["bytes"],
        "ws_messages": frames["messages"],
        "first_chart_cpu_ms": cpu,
    }


def main_thread_cpu_ms(trace: bytes) -> float:
    """CPU time of the page's main thread from the click to the first chart, from a Chrome trace.

    The sum of the thread time (`tdur`) of the top-level tasks that start between the two marks
    TIMER_JS sets: unlike wall time, it hardly moves with the machine's load.
    """
    loaded = json.loads(trace)
    events = loaded["traceEvents"] if isinstance(loaded, dict) else loaded
    marks = {e["name"]: e for e in events if e.get("name") in ("pagespeed:click", "pagespeed:first-chart")}
    click, first = marks["pagespeed:click"], marks["pagespeed:first-chart"]
    tasks = (
        e
        for e in events
        if e.get("name") == "RunTask"
        and e.get("ph") == "X"
        and (e.get("pid"), e.get("tid")) == (click["pid"], click["tid"])
        and click["ts"] <= e["ts"] <= first["ts"]
    )
    return round(sum(e.get("tdur", 0) for e in tasks) / 1000, 1)


def p90(values: Sequence[float]) -> float:
    """The 90th percentile (linear interpolation between closest ranks)."""
    return statistics.quantiles(values, n=10, method="inclusive")[8]


def summary(runs: Sequence[Mapping[str, Any]], key: str) -> dict[str, float] | None:
    values = [run[key] for run in runs if run.get(key) is not None]
    if not values:
        return None
    return {
        "median": round(statistics.median(values), 1),
        "p90": round(p90(values), 1),
        "min": min(values),
        "max": max(values),
    }


def measure(runs: int, warmups: int, *, trace: bool) -> dict[str, list[dict[str, Any]]]:
    """Both apps, interleaved run by run, after `warmups` unrecorded runs each."""
    from playwright.sync_api import sync_playwright

    workdir = Path(tempfile.mkdtemp(prefix="pagespeed-"))
    env = clean_env(workdir)
    servers: dict[str, Server] = {}
    samples: dict[str, list[dict[str, Any]]] = {name: [] for name in APPS}
    try:
        for name, script in APPS.items():
            servers[name] = start_streamlit(name, script, workdir, env)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                for index in range(warmups + runs):
                    for name, server in servers.items():
                        run = one_run(browser, server.url, trace=trace)
                        label = "warm-up" if index < warmups else f"run {index - warmups + 1}/{runs}"
                        cpu = f", main-thread CPU {run['first_chart_cpu_ms']} ms" if trace else ""
                        log(f"{label} {name}: first chart {run['first_chart_ms']} ms{cpu}")
                        if index >= warmups:
                            samples[name].append(run)
            finally:
                browser.close()
    finally:
        for server in servers.values():
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return samples


KEYS = ("first_chart_ms", "kpi_ms", "last_chart_ms", "script_done_ms", "ws_bytes", "first_chart_cpu_ms")


def analyse(samples: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, Any]:
    """Medians and p90 per app and measure; the ratios ours / reference of the first chart."""
    stats = {name: {key: summary(runs, key) for key in KEYS} for name, runs in samples.items()}

    def ratios(key: str) -> tuple[float, float] | None:
        ours = [run[key] for run in samples["ours"]]
        reference = [run[key] for run in samples["reference"]]
        if None in ours or None in reference:
            return None
        pairs = [a / b for a, b in zip(ours, reference, strict=True)]
        return (
            round(statistics.median(ours) / statistics.median(reference), 2),
            round(statistics.median(pairs), 2),
        )

    wall, cpu = ratios("first_chart_ms"), ratios("first_chart_cpu_ms")
    assert wall is not None
    return {
        "stats": stats,
        "charts_on_page": {name: runs[0]["charts"] for name, runs in samples.items()},
        "heading": {name: runs[0]["heading"] for name, runs in samples.items()},
        "ratio_of_medians": wall[0],
        "median_pair_ratio": wall[1],
        "cpu_ratio_of_medians": cpu[0] if cpu else None,
        "cpu_median_pair_ratio": cpu[1] if cpu else None,
    }


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f} ms"


def render(result: Mapping[str, Any]) -> str:
    """The results.md section."""
    a = result["analysis"]
    stats = a["stats"]
    traced = a["cpu_ratio_of_medians"] is not None
    lines = [
        SECTION,
        "",
        'Time from the click on "Continue as member" to the first drawn plotly chart, in headless Chromium, '
        "our app (`streamlit run app.py`, the embedded demo, member persona) against "
        "`benchmarks/reference_app.py` (a title, the same button, one plotly bar chart of 30 days), both "
        "started from the project folder with its `.streamlit/config.toml`. Written "
        "by `scripts/bench-pagespeed`; do not edit by hand.",
        "",
        f"- run: {result['started_at']}, {result['duration_s']} s in all, at commit {result['commit']}; "
        f"command: `{result['command']}`",
        f"- {result['runs']} runs per app after {result['warmups']} warm-ups each, interleaved "
        "(ours, reference, ours, ...), each in a fresh browser context (nothing cached); our page: "
        f"{a['heading']['ours']!r}",
        f"- machine: {result['machine']}; load average at start {result['load_start']}, at end "
        f"{result['load_end']}. {results_md.machine_load(result['load_start'], result['cores'])}: "
        "absolute times move with its load; the ratio, measured side by side, is the number to compare.",
        "",
        f"**Ratio of medians, first chart: {a['ratio_of_medians']}x** (median of the per-pair ratios: "
        f"{a['median_pair_ratio']}x; target: at most 1.3x).",
    ]
    if traced:
        lines.append(
            f"Main-thread CPU time from the click to the first chart (Chrome trace): ratio of medians "
            f"**{a['cpu_ratio_of_medians']}x** (per-pair: {a['cpu_median_pair_ratio']}x). Tracing "
            "slows both apps a little."
        )
    cpu_head = " | main-thread CPU to first chart, median" if traced else ""
    lines += [
        "",
        "| app | first chart, median | first chart, p90 | KPI row, median | last chart, median "
        f"| last chart, p90 | script done, median | charts | websocket bytes after the click{cpu_head} |",
        "|---|---|---|---|---|---|---|---|---|" + ("---|" if traced else ""),
    ]
    for name in ("ours", "reference"):
        s = stats[name]

        def get(key: str, field: str = "median", s: Mapping[str, Any] = s) -> float | None:
            return s[key][field] if s[key] else None

        ws = get("ws_bytes")
        cpu_cell = f" | {_ms(get('first_chart_cpu_ms'))}" if traced else ""
        lines.append(
            f"| {name} | {_ms(get('first_chart_ms'))} | {_ms(get('first_chart_ms', 'p90'))} "
            f"| {_ms(get('kpi_ms'))} | {_ms(get('last_chart_ms'))} | {_ms(get('last_chart_ms', 'p90'))} "
            f"| {_ms(get('script_done_ms'))} | {a['charts_on_page'][name]} "
            f"| {'-' if ws is None else f'{ws / 1024:,.1f} kB'}{cpu_cell} |"
        )
    lines += [
        "",
        "Definitions (all measured inside the page with `performance.now()`, from the button's `click` "
        "event): first chart = the first `.js-plotly-plot` whose `.main-svg` holds a drawn trace "
        "(`g.trace` with a `path`), seen by a MutationObserver installed before the click; KPI row = "
        "the first `stMetricValue`; last chart = when the last plotly chart of the page got its trace; "
        "script done = Streamlit's script state back to `notRunning`. Websocket bytes = the "
        "ForwardMsgs received after the click. p90 interpolates between closest ranks.",
        "",
    ]
    return "\n".join(lines)


def write_section(path: Path, section: str) -> None:
    """Put `section` in place of an earlier page-speed section of results.md, or at its end."""
    results_md.replace_section(path, SECTION, section)


def _commit() -> str:
    """The measured code's commit, marked when the worktree has changes."""
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return f"{head or 'unknown'}{' (with uncommitted changes)' if dirty else ''}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=15, help="recorded runs per app (at least 3)")
    parser.add_argument("--warmups", type=int, default=2, help="unrecorded runs per app first")
    parser.add_argument("--out", default=str(HERE), help="folder of results.md and pagespeed.json")
    parser.add_argument(
        "--trace",
        action="store_true",
        help="also record a Chrome trace per run: main-thread CPU time to the first chart",
    )
    args = parser.parse_args(argv)
    if args.runs < 3 or args.warmups < 0:
        parser.error("--runs must be at least 3 and --warmups at least 0")
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: apt-get install chromium", file=sys.stderr)
        return 2

    started = time.perf_counter()
    result: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "scripts/bench-pagespeed " + " ".join(sys.argv[1:] if argv is None else argv),
        "cores": os.cpu_count(),
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}",
        "load_start": [round(x, 1) for x in os.getloadavg()],
        "commit": _commit(),
        "runs": args.runs,
        "warmups": args.warmups,
    }
    samples = measure(args.runs, args.warmups, trace=args.trace)
    result["load_end"] = [round(x, 1) for x in os.getloadavg()]
    result["duration_s"] = round(time.perf_counter() - started)
    result["analysis"] = analyse(samples)
    result["samples"] = samples
    out = Path(args.out)
    (out / "pagespeed.json").write_text(json.dumps(result, indent=1) + "\n")
    write_section(out / "results.md", render(result))
    a = result["analysis"]
    log(
        f"first chart: ours {a['stats']['ours']['first_chart_ms']['median']} ms, reference "
        f"{a['stats']['reference']['first_chart_ms']['median']} ms, ratio {a['ratio_of_medians']}x; "
        f"wrote {out / 'results.md'} and pagespeed.json"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

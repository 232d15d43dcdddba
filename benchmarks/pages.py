"""Page run times: a full Usage page run under AppTest (warm cache), and the cold start from
`streamlit run` to the first rendered dashboard in Chromium (Debian's /usr/bin/chromium).

Each runs in its own process: `python -m benchmarks.pages apptest|browser`, JSON spec on stdin,
JSON result on stdout.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks.measure import ROOT, server_stats

SETTINGS_ENV = (
    "LITELLM_BASE_URL",
    "LITELLM_MASTER_KEY",
    "TENANT_SOURCE",
    "TENANTS_FILE",
    "USAGE_CACHE_TTL_SECONDS",
)
MEMBER = {
    "sub": "bench-member",
    "email": "member@bench.example",
    "name": "Bench Member",
    "org_id": "bench",
    "roles": ["user"],
}
AUTH = {  # never contacted: AppTest's `at.user` stands for a completed st.login
    "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
    "cookie_secret": "bench-cookie-secret",
    "client_id": "usage-dashboard",
    "client_secret": "bench-client-secret",
    "server_metadata_url": "http://login.bench.invalid/.well-known/openid-configuration",
}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def apptest(spec: dict[str, Any]) -> dict[str, Any]:
    """A signed-in member's Usage page for the benchmark tenant: one cold run, then warm runs."""
    from streamlit.testing.v1 import AppTest

    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    tenants = tmp / "tenants.json"
    tenants.write_text(
        json.dumps(
            [
                {
                    "metadata": {"name": "bench"},
                    "spec": {
                        "orgId": "bench",
                        "displayName": "Benchmark tenant",
                        "users": [MEMBER["email"]],
                    },
                    "status": {"litellmTeamId": spec["team_id"], "litellmKeyAlias": spec["alias"]},
                }
            ]
        )
    )
    os.environ.update(
        LITELLM_BASE_URL=spec["base_url"],
        LITELLM_MASTER_KEY=spec["master_key"],
        TENANTS_FILE=str(tenants),
        USAGE_CACHE_TTL_SECONDS="3600",
    )
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.secrets = {"auth": AUTH}
    at.user = {"is_logged_in": True, **MEMBER}
    at.query_params.update({"tenant": "bench", "month": spec["month"]})

    def run() -> float:
        started = time.perf_counter()
        at.run()
        elapsed = time.perf_counter() - started
        if at.exception:
            raise RuntimeError(f"page raised: {[e.value for e in at.exception][:1]}")
        return elapsed

    server_stats(spec.get("stats_url"), reset=True)
    cold = run()
    cold_requests = (server_stats(spec.get("stats_url")) or {}).get("requests")
    title = [str(t.value) for t in at.title]
    metrics = {m.label: m.value for m in at.metric}
    server_stats(spec.get("stats_url"), reset=True)
    warm = [run() for _ in range(spec.get("warm_runs", 10))]
    return {
        "first_run_ms": round(cold * 1000, 1),
        "first_run_upstream_requests": cold_requests,
        "warm_run_ms": round(statistics.median(warm) * 1000, 1),
        "warm_samples_ms": [round(w * 1000, 1) for w in warm],
        "warm_upstream_requests": (server_stats(spec.get("stats_url")) or {}).get("requests"),
        "title": title,
        "metrics": metrics,
    }


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def browser(spec: dict[str, Any]) -> dict[str, Any]:
    """`streamlit run app.py` (the embedded demo, nothing configured) until a member's dashboard
    is drawn in Chromium; Chromium is started first and not counted."""
    from playwright.sync_api import expect, sync_playwright

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_ENV}
    env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
    command = [
        str(Path(sys.executable).with_name("streamlit")),
        "run",
        "app.py",
        "--server.headless=true",
        f"--server.port={port}",
        "--server.address=127.0.0.1",
        "--server.fileWatcherType=none",
    ]
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = chromium.new_page()
        started = time.perf_counter()
        proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            while True:
                try:
                    if httpx.get(f"{url}/_stcore/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.perf_counter() - started > 120:
                    raise RuntimeError("streamlit did not become healthy in 120 s")
                time.sleep(0.05)
            healthy = time.perf_counter()
            page.goto(url)
            button = page.get_by_role("button", name="Continue as member")
            expect(button).to_be_visible(timeout=60_000)
            first_screen = time.perf_counter()
            button.click()
            expect(page.locator('[data-testid="stMetricValue"]').first).to_be_visible(timeout=60_000)
            app = page.locator('[data-testid="stApp"]')
            expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=60_000)
            dashboard = time.perf_counter()
            heading = page.locator("h1").first.inner_text()
            # A second view of the same dashboard in a new tab: the process is warm now.
            page2 = chromium.new_page()
            again = time.perf_counter()
            page2.goto(url)
            page2.get_by_role("button", name="Continue as member").click(timeout=60_000)
            expect(page2.locator('[data-testid="stMetricValue"]').first).to_be_visible(timeout=60_000)
            expect(page2.locator('[data-testid="stApp"]')).to_have_attribute(
                "data-test-script-state", "notRunning", timeout=60_000
            )
            second = time.perf_counter() - again
        finally:
            proc.terminate()
            proc.wait(timeout=20)
            chromium.close()
    return {
        "server_healthy_ms": round((healthy - started) * 1000),
        "sign_in_screen_ms": round((first_screen - started) * 1000),
        "dashboard_ms": round((dashboard - started) * 1000),
        "click_to_dashboard_ms": round((dashboard - first_screen) * 1000),
        "second_tab_dashboard_ms": round(second * 1000),
        "heading": heading,
    }


def main() -> int:
    spec = json.loads(sys.stdin.read() or "{}")
    result = apptest(spec) if sys.argv[1] == "apptest" else browser(spec)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

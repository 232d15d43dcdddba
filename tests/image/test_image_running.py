"""The image running its own command as the Deployment's user: health, identity, the demo in
Chromium, and a member's CSV from the real LiteLLM equal to the CLI's (on the host and inside)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from contract_cli import cli_env, run_cli_process
from contract_seed import CALL_PLAN
from e2e_browser import APP_TIMEOUT_MS, SIDEBAR, login, wait_for_report
from e2e_helpers import CSV_HEADER, csv_totals
from image_buildah import children, process_info, run_options
from image_pod import Pod
from image_stack import TENANTS_PATH, Live, Running
from playwright.sync_api import Page, expect

from usage_core.demo import DEMO_PERSONAS, DEMO_TENANTS

pytestmark = [pytest.mark.image, pytest.mark.timeout(300)]


def test_every_probe_path_answers(demo_app: Running, pod: Pod) -> None:
    for kind, (path, _port) in pod.probes.items():
        response = httpx.get(demo_app.url + path, timeout=5)
        assert (response.status_code, response.text) == (200, "ok"), kind


def test_the_app_runs_as_the_deployment_user_without_capabilities(demo_app: Running, pod: Pod) -> None:
    inside = [process_info(pid) for pid in children(demo_app.service.process.pid)]
    app = [p for p in inside if p.argv[:2] == ("/opt/venv/bin/python", "/opt/venv/bin/streamlit")]
    assert len(app) == 1, [p.argv for p in inside]
    (server,) = app
    assert server.uids == (pod.run_as_user,) * 4
    assert server.gids == (pod.run_as_group,) * 4
    assert server.effective_capabilities == 0


def test_the_demo_renders_in_chromium(demo_app: Running, page: Page) -> None:
    member = DEMO_PERSONAS["member"]
    visible = [t for t in DEMO_TENANTS if str(member["email"]) in t.users]
    assert visible
    page.goto(demo_app.url)
    persona = page.get_by_role("button", name=re.compile(r"\bmember\b", re.IGNORECASE))
    persona.click(timeout=APP_TIMEOUT_MS)  # the first script run of a fresh server imports pandas
    screen = wait_for_report(page, [f"{t.display_name} - {datetime.now(UTC):%B %Y}" for t in visible])
    expect(page.locator(SIDEBAR)).to_contain_text(str(member["name"]))
    assert screen.kpis.requests.value > 0


def download_csv(page: Page) -> str:
    """Click the Download CSV button; the file's text."""
    with page.expect_download() as info:
        page.get_by_role("button", name=re.compile(r"download csv", re.IGNORECASE)).click()
    return Path(info.value.path()).read_text(encoding="utf-8")


def test_a_member_signs_in_and_downloads_the_csv_the_cli_exports(live: Live, pod: Pod, page: Page) -> None:
    login(page, live.app.url, live.provider_url, str(live.member["sub"]))
    wait_for_report(page, f"{live.display_name} - {datetime.now(UTC):%B %Y}")
    from_browser = download_csv(page)

    export = ("export", "--tenant", live.tenant, "--month", live.month, "--format", "csv")
    on_host = run_cli_process(export, cli_env(live.proxy.base_url, live.proxy.master_key, live.tenants_file))
    assert on_host.returncode == 0, on_host.stderr
    in_image = live.app.container.run(
        ["usage-dashboard", *export],
        options=run_options(
            user=pod.user, env=live.env, volumes=[(live.tenants_file, TENANTS_PATH)], tmpfs=pod.empty_dirs
        ),
    )
    assert in_image.returncode == 0, in_image.stderr

    assert from_browser.splitlines()[0] == CSV_HEADER
    assert from_browser == on_host.stdout == in_image.stdout
    assert csv_totals(from_browser).requests == sum(CALL_PLAN["base"].values())

    log = live.app.service.log.read_text(errors="replace")
    assert "Streamlit" in log  # the server's own lines are there, so the check below reads something
    shown = page.content() + log + in_image.stderr + on_host.stderr
    assert not [secret for secret in live.secrets if secret in shown]

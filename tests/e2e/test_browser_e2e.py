"""A real browser against `streamlit run app.py`, logged in through a real OIDC provider.

Expectations come from the demo's tenant list and the role table of DESIGN.md, written out here
independently of usage_core.access, so a wiring mistake in the app cannot agree with itself.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from e2e_browser import (
    APP_TIMEOUT_MS,
    Kpis,
    Screen,
    choose,
    login,
    logout,
    open_page,
    screenshot_whole_app,
    selectbox_options,
    wait_for_report,
    wait_for_sign_in,
)
from e2e_helpers import CSV_HEADER, CsvTotals, Stack, csv_totals, normalise_text
from playwright.sync_api import Page

from usage_core.demo import DEMO_TEAMS, DEMO_TENANTS
from usage_core.tenants import Tenant

# A hang guard, not a speed limit: the admin test draws six pages, each up to ~40 s under load.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]

TENANT_PICKER = "Tenant"
MONTH_PICKER = "Month"
ADMIN_PATH = "admin"  # st.Page's default url_path for pages/admin.py (checked in the admin test)


def visible_to(claims: Mapping[str, Any], tenants: Sequence[Tenant]) -> list[Tenant]:
    """DESIGN.md's table: members their assigned tenants, owners their org's, admins all."""
    roles = claims.get("roles") or []
    roles = [roles] if isinstance(roles, str) else list(roles)
    if "platform-admin" in roles:
        return list(tenants)
    same_org = [t for t in tenants if t.org_id == claims.get("org_id")]
    if "owner" in roles:
        return same_org
    ids = {str(claims.get("sub")), str(claims.get("email", "")).lower()}
    return [t for t in same_org if ids & set(t.users)]


def report_titles(tenants: Sequence[Tenant], month: date) -> dict[str, Tenant]:
    """The exact title of each tenant's report for `month` ("<display name> - <Month YYYY>")."""
    return {f"{t.display_name} - {month:%B %Y}": t for t in tenants}


def absent(text: str, screen: Screen) -> bool:
    """Whether `text` appears nowhere in the page: neither shown, hidden, nor in an input."""
    return normalise_text(text) not in screen.page_text


def download_csv(page: Page) -> tuple[str, str]:
    """Click Download CSV; return the suggested file name and the file's text."""
    with page.expect_download(timeout=APP_TIMEOUT_MS) as info:
        page.get_by_role("button", name=re.compile(r"download csv", re.IGNORECASE)).click()
    download = info.value
    return download.suggested_filename, Path(download.path()).read_text(encoding="utf-8")


def assert_csv_matches_kpis(text: str, shown: Kpis, today: date) -> CsvTotals:
    """The CSV is the current month's days so far, and its sums are what the KPI row shows."""
    assert text.splitlines()[0] == CSV_HEADER
    totals = csv_totals(text)
    first = today.replace(day=1)
    assert totals.dates == tuple(str(first + timedelta(days=i)) for i in range(today.day))
    assert totals.requests > 0, "the demo month should have traffic, or the comparison is empty"
    assert totals.total_tokens == totals.input_tokens + totals.output_tokens
    assert shown.spend.matches(totals.spend), (shown.spend, totals.spend)
    assert shown.input_tokens.matches(totals.input_tokens), (shown.input_tokens, totals.input_tokens)
    assert shown.output_tokens.matches(totals.output_tokens), (
        shown.output_tokens,
        totals.output_tokens,
    )
    assert shown.requests.matches(totals.requests), (shown.requests, totals.requests)
    return totals


def assert_picker_lists(options: Sequence[str], expected: Sequence[Tenant]) -> None:
    """The tenant picker offers exactly `expected`, each recognisable by its display name."""
    assert len(options) == len(expected), (options, [t.name for t in expected])
    for tenant in expected:
        shown = normalise_text(tenant.display_name)
        assert any(shown in option for option in options), (tenant.name, options)
    hidden = [t for t in DEMO_TENANTS if t not in expected]
    for tenant in hidden:
        assert not any(re.search(rf"\b{re.escape(tenant.name)}\b", o) for o in options), (
            tenant.name,
            options,
        )


def open_url(page: Page, stack: Stack, path: str = "", **query: str) -> None:
    """Load an app URL afresh, like following a shared link (the caller waits for what it shows)."""
    suffix = f"?{urlencode(query)}" if query else ""
    open_page(page, f"{stack.app_url}/{path}{suffix}")


@pytest.mark.parametrize("persona", ["member", "owner", "admin"])
def test_persona_sees_own_tenants_and_csv_equals_kpis(
    persona: str, stack: Stack, page: Page, screenshots: Path
) -> None:
    claims = stack.personas[persona]
    expected = visible_to(claims, DEMO_TENANTS)
    now = datetime.now(UTC)
    titles = report_titles(expected, now.date())
    login(page, stack.app_url, stack.provider_url, str(claims["sub"]))
    screen = wait_for_report(page, titles)
    tenant = titles[screen.title]
    assert normalise_text(str(claims["name"])) in screen.sidebar_text
    assert re.search(r"Data as of \d\d:\d\d UTC", screen.sidebar_text), screen.sidebar_text
    has_admin_link = any("admin" in text.lower() for text, _ in screen.nav)
    assert has_admin_link == (persona == "admin"), screen.nav

    assert_picker_lists(selectbox_options(page, TENANT_PICKER), expected)
    name, text = download_csv(page)
    assert name == f"usage-{tenant.name}-{now:%Y-%m}.csv"
    assert_csv_matches_kpis(text, screen.kpis, now.date())

    screenshot_whole_app(page, str(screenshots / f"{persona}.png"))
    html = page.content()
    assert not [secret for secret in stack.secrets if secret in html]

    logout(page, stack.app_url, stack.provider_url)
    open_url(page, stack)
    screen = wait_for_sign_in(page)  # drawn in full: what is absent now is absent
    assert screen.metrics == ()
    assert [t.display_name for t in expected if not absent(t.display_name, screen)] == []
    log = stack.app.log.read_text(errors="replace")
    assert not [secret for secret in stack.secrets if secret in log]


def test_member_cannot_reach_other_tenants_teams_or_the_admin_page(stack: Stack, page: Page) -> None:
    claims = stack.personas["member"]
    visible = visible_to(claims, DEMO_TENANTS)
    sibling = next(t for t in DEMO_TENANTS if t.org_id == claims["org_id"] and t not in visible)
    foreign = next(t for t in DEMO_TENANTS if t.org_id != claims["org_id"] and t.key_alias)
    titles = report_titles(visible, datetime.now(UTC).date())
    login(page, stack.app_url, stack.provider_url, str(claims["sub"]))
    screen = wait_for_report(page, titles)
    default_title = screen.title
    baseline = screen.kpis

    messages = {}
    for name in (sibling.name, foreign.name, "no-such-tenant"):
        open_url(page, stack, tenant=name)
        screen = wait_for_report(page, titles)  # a safe default, never the asked-for data
        found = [m for m in screen.alerts if name in m]
        assert found, (name, screen.alerts)
        messages[name] = found[0].replace(name, "<tenant>")
        assert absent(sibling.display_name, screen) and absent(foreign.display_name, screen)
    # An invisible tenant is answered exactly like one that does not exist.
    assert len(set(messages.values())) == 1, messages

    assert foreign.team_id and foreign.key_alias
    open_url(page, stack, team=foreign.team_id, key_alias=foreign.key_alias)
    screen = wait_for_report(page, default_title)
    assert screen.kpis == baseline  # the team and alias were ignored, not half-applied
    assert any("ignored" in message for message in screen.alerts), screen.alerts
    assert "viewing as admin" not in screen.page_text.lower()
    assert absent(foreign.display_name, screen)

    open_url(page, stack, month="2026-13")  # a malformed month: a message and the current month
    screen = wait_for_report(page, default_title)
    assert any("2026-13" in message for message in screen.alerts), screen.alerts

    assert not any("admin" in text.lower() for text, _ in screen.nav), screen.nav
    open_url(page, stack, ADMIN_PATH)
    # The page does not exist for members: its URL falls back to the main page.
    screen = wait_for_report(page, default_title)
    assert screen.alerts == (), screen.url
    assert "viewing as admin" not in screen.page_text.lower()


def test_owner_sees_company_wide_total_for_tenant_without_alias(stack: Stack, page: Page) -> None:
    claims = stack.personas["owner"]
    visible = visible_to(claims, DEMO_TENANTS)
    unaliased = next(t for t in visible if t.key_alias is None and t.team_id is not None)
    now = datetime.now(UTC)
    login(page, stack.app_url, stack.provider_url, str(claims["sub"]))
    wait_for_report(page, report_titles(visible, now.date()))
    choose(page, TENANT_PICKER, unaliased.display_name)
    screen = wait_for_report(page, f"{unaliased.display_name} - {now:%B %Y}")
    assert "company-wide" in screen.main_text.lower()
    assert f"tenant={unaliased.name}" in screen.url  # the selection lives in the URL
    name, text = download_csv(page)
    assert name == f"usage-{unaliased.name}-{now:%Y-%m}.csv"
    assert_csv_matches_kpis(text, screen.kpis, now.date())

    # Last month: a whole month of days, and the choice is in the URL too.
    last_day = now.date().replace(day=1) - timedelta(days=1)
    choose(page, MONTH_PICKER, last_day.strftime("%B %Y"))
    screen = wait_for_report(page, f"{unaliased.display_name} - {last_day:%B %Y}")
    assert f"month={last_day:%Y-%m}" in screen.url
    name, text = download_csv(page)
    assert name == f"usage-{unaliased.name}-{last_day:%Y-%m}.csv"
    assert_csv_matches_kpis(text, screen.kpis, last_day)


def audit_lines(stack: Stack) -> list[dict[str, Any]]:
    """The admin-view audit records the app has written to its log so far."""
    records = []
    for line in stack.app.log.read_text(errors="replace").splitlines():
        start = line.find('{"')
        if start < 0:
            continue
        try:
            record = json.loads(line[start:])
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("event") == "admin_view":
            records.append(record)
    return records


def wait_for_audit(stack: Stack, match: Mapping[str, Any], timeout: float = 5.0) -> dict[str, Any]:
    """Poll the app's log (bounded) for an admin-view record whose scope has `match`."""
    deadline = time.monotonic() + timeout
    while True:
        for record in audit_lines(stack):
            if all(record["scope"].get(k) == v for k, v in match.items()):
                return record
        if time.monotonic() > deadline:
            raise AssertionError(f"no admin_view audit line for {match}: {audit_lines(stack)}")
        time.sleep(0.1)


def test_admin_page_views_any_team_and_alias(stack: Stack, page: Page, screenshots: Path) -> None:
    claims = stack.personas["admin"]
    tenant = next(t for t in DEMO_TENANTS if t.team_id and t.key_alias and t.org_id != claims.get("org_id"))
    assert tenant.team_id and tenant.key_alias
    team = next(t for t in DEMO_TEAMS if t.team_id == tenant.team_id)
    now = datetime.now(UTC)
    login(page, stack.app_url, stack.provider_url, str(claims["sub"]))
    screen = wait_for_report(page, report_titles(DEMO_TENANTS, now.date()))
    links = {text: href for text, href in screen.nav if "admin" in text.lower()}
    assert len(links) == 1, screen.nav
    assert next(iter(links.values())).rstrip("/").endswith(f"/{ADMIN_PATH}")

    # The whole team, company-wide, from a shared admin link.
    open_url(page, stack, ADMIN_PATH, team=tenant.team_id)
    screen = wait_for_report(page, f"{team.alias} - {now:%B %Y}")
    banner = re.compile(rf"viewing as admin: .*team {re.escape(tenant.team_id)}\b.*company-wide", re.I)
    assert len([a for a in screen.alerts if banner.search(a)]) == 1, screen.alerts
    team_kpis = screen.kpis
    screenshot_whole_app(page, str(screenshots / "admin-team.png"))
    name, text = download_csv(page)
    assert name == f"usage-{tenant.team_id}-{now:%Y-%m}.csv"
    assert_csv_matches_kpis(text, team_kpis, now.date())
    record = wait_for_audit(stack, {"team_id": tenant.team_id, "key_alias": None})
    assert record["who"]["sub"] == claims["sub"]
    assert record["month"] == f"{now:%Y-%m}"

    # One key alias of that team: exactly what the tenant's own page shows.
    open_url(page, stack, ADMIN_PATH, team=tenant.team_id, key_alias=tenant.key_alias)
    screen = wait_for_report(page, f"{team.alias} · {tenant.key_alias} - {now:%B %Y}")
    banner = re.compile(rf"viewing as admin: key alias {re.escape(tenant.key_alias)} of ", re.I)
    assert len([a for a in screen.alerts if banner.search(a)]) == 1, screen.alerts
    alias_kpis = screen.kpis
    wait_for_audit(stack, {"team_id": tenant.team_id, "key_alias": tenant.key_alias})
    assert alias_kpis.requests.value < team_kpis.requests.value  # a part, not the whole team
    open_url(page, stack, tenant=tenant.name)
    screen = wait_for_report(page, f"{tenant.display_name} - {now:%B %Y}")
    assert screen.kpis == alias_kpis

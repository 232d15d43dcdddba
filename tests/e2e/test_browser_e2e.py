"""A real browser against `streamlit run app.py`, logged in through a real OIDC provider.

Expectations come from the demo's tenant list and the role table of DESIGN.md, written out here
independently of usage_core.access, so a wiring mistake in the app cannot agree with itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from e2e_browser import (
    ALERT,
    MAIN,
    SIDEBAR,
    Kpis,
    alerts,
    choose,
    kpis,
    login,
    logout,
    nav_links,
    screenshot_whole_app,
    selectbox_options,
    title,
    wait_for_report,
)
from e2e_helpers import CSV_HEADER, CsvTotals, Stack, csv_totals
from playwright.sync_api import Page, expect

from usage_core.demo import DEMO_TENANTS
from usage_core.tenants import Tenant

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(150)]

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


def tenant_in_title(heading: str, tenants: Sequence[Tenant]) -> Tenant:
    """The tenant a report title names (the longest display name that prefixes it)."""
    named = [t for t in tenants if heading.startswith(t.display_name)]
    assert named, f"title {heading!r} names none of {[t.display_name for t in tenants]}"
    return max(named, key=lambda t: len(t.display_name))


def download_csv(page: Page) -> tuple[str, str]:
    """Click Download CSV; return the suggested file name and the file's text."""
    with page.expect_download() as info:
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
        assert any(tenant.display_name in option for option in options), (tenant.name, options)
    hidden = [t for t in DEMO_TENANTS if t not in expected]
    for tenant in hidden:
        assert not any(re.search(rf"\b{re.escape(tenant.name)}\b", o) for o in options), (
            tenant.name,
            options,
        )


def open_url(page: Page, stack: Stack, path: str = "", **query: str) -> None:
    """Navigate within the app (a full page load, like following a shared link)."""
    suffix = f"?{urlencode(query)}" if query else ""
    page.goto(f"{stack.app_url}/{path}{suffix}")


@pytest.mark.parametrize("persona", ["member", "owner", "admin"])
def test_persona_sees_own_tenants_and_csv_equals_kpis(
    persona: str, stack: Stack, page: Page, screenshots: Path
) -> None:
    claims = stack.personas[persona]
    expected = visible_to(claims, DEMO_TENANTS)
    login(page, stack.app_url, stack.provider_url, str(claims["sub"]))
    expect(page.locator(SIDEBAR)).to_contain_text(str(claims["name"]))

    now = datetime.now(UTC)
    month_label = now.strftime("%B %Y")
    wait_for_report(page, re.compile(rf" - {month_label}"))
    tenant = tenant_in_title(title(page), expected)

    assert_picker_lists(selectbox_options(page, TENANT_PICKER), expected)
    expect(page.locator(SIDEBAR)).to_contain_text(re.compile(r"Data as of \d\d:\d\d UTC"))
    has_admin_link = any("admin" in text.lower() for text in nav_links(page))
    assert has_admin_link == (persona == "admin")

    shown = kpis(page)
    name, text = download_csv(page)
    assert name == f"usage-{tenant.name}-{now:%Y-%m}.csv"
    assert_csv_matches_kpis(text, shown, now.date())

    screenshot_whole_app(page, str(screenshots / f"{persona}.png"))
    html = page.content()
    assert not [secret for secret in stack.secrets if secret in html]

    logout(page, stack.app_url, stack.provider_url)
    open_url(page, stack)
    expect(page.locator('[data-testid="stMetric"]')).to_have_count(0)
    for shown_tenant in expected:
        expect(page.locator("body")).not_to_contain_text(shown_tenant.display_name)
    log = stack.app.log.read_text(errors="replace")
    assert not [secret for secret in stack.secrets if secret in log]


def test_member_cannot_reach_other_tenants_teams_or_the_admin_page(stack: Stack, page: Page) -> None:
    claims = stack.personas["member"]
    visible = visible_to(claims, DEMO_TENANTS)
    sibling = next(t for t in DEMO_TENANTS if t.org_id == claims["org_id"] and t not in visible)
    foreign = next(t for t in DEMO_TENANTS if t.org_id != claims["org_id"] and t.key_alias)
    login(page, stack.app_url, stack.provider_url, str(claims["sub"]))
    wait_for_report(page, re.compile(" - "))
    default_title = title(page)
    baseline = kpis(page)

    messages = {}
    for name in (sibling.name, foreign.name, "no-such-tenant"):
        open_url(page, stack, tenant=name)
        expect(page.locator(ALERT).filter(has_text=name).first).to_be_visible()
        wait_for_report(page, re.compile(" - "))
        assert tenant_in_title(title(page), visible)  # a safe default, never the asked-for data
        found = [m for m in alerts(page) if name in m]
        messages[name] = found[0].replace(name, "<tenant>")
        body = page.locator("body")
        expect(body).not_to_contain_text(sibling.display_name)
        expect(body).not_to_contain_text(foreign.display_name)
    # An invisible tenant is answered exactly like one that does not exist.
    assert len(set(messages.values())) == 1, messages

    assert foreign.team_id and foreign.key_alias
    open_url(page, stack, team=foreign.team_id, key_alias=foreign.key_alias)
    wait_for_report(page, re.compile(" - "))
    assert title(page) == default_title, page.url
    assert kpis(page) == baseline  # the team and alias were ignored, not half-applied
    assert any("ignored" in message for message in alerts(page)), alerts(page)
    body = page.locator("body")
    expect(body).not_to_contain_text(re.compile("viewing as admin", re.IGNORECASE))
    expect(body).not_to_contain_text(foreign.display_name)

    open_url(page, stack, month="2026-13")  # a malformed month: a message and the current month
    wait_for_report(page, default_title)
    expect(page.locator(ALERT).filter(has_text="2026-13").first).to_be_visible()

    assert not any("admin" in text.lower() for text in nav_links(page)), nav_links(page)
    open_url(page, stack, ADMIN_PATH)
    wait_for_report(page, re.compile(" - "))
    # The page does not exist for members: its URL falls back to the main page.
    assert (title(page), alerts(page)) == (default_title, []), page.url
    expect(body).not_to_contain_text(re.compile("viewing as admin", re.IGNORECASE))


def test_owner_sees_company_wide_total_for_tenant_without_alias(stack: Stack, page: Page) -> None:
    claims = stack.personas["owner"]
    unaliased = next(
        t for t in visible_to(claims, DEMO_TENANTS) if t.key_alias is None and t.team_id is not None
    )
    login(page, stack.app_url, stack.provider_url, str(claims["sub"]))
    wait_for_report(page, re.compile(" - "))
    choose(page, TENANT_PICKER, re.compile(re.escape(unaliased.display_name)))
    wait_for_report(page, unaliased.display_name)
    expect(page.locator(MAIN)).to_contain_text(re.compile("company-wide", re.IGNORECASE))
    assert f"tenant={unaliased.name}" in page.url  # the selection lives in the URL
    shown = kpis(page)
    now = datetime.now(UTC)
    name, text = download_csv(page)
    assert name == f"usage-{unaliased.name}-{now:%Y-%m}.csv"
    assert_csv_matches_kpis(text, shown, now.date())

    # Last month: a whole month of days, and the choice is in the URL too.
    last_day = now.date().replace(day=1) - timedelta(days=1)
    choose(page, MONTH_PICKER, last_day.strftime("%B %Y"))
    wait_for_report(page, f"{unaliased.display_name} - {last_day:%B %Y}")
    assert f"month={last_day:%Y-%m}" in page.url
    shown = kpis(page)
    name, text = download_csv(page)
    assert name == f"usage-{unaliased.name}-{last_day:%Y-%m}.csv"
    assert_csv_matches_kpis(text, shown, last_day)


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


def wait_for_audit(stack: Stack, page: Page, match: Mapping[str, Any]) -> dict[str, Any]:
    """Poll the app's log (bounded) for an admin-view record whose scope has `match`."""
    for _ in range(50):
        for record in audit_lines(stack):
            if all(record["scope"].get(k) == v for k, v in match.items()):
                return record
        page.wait_for_timeout(100)
    raise AssertionError(f"no admin_view audit line for {match}: {audit_lines(stack)}")


def test_admin_page_views_any_team_and_alias(stack: Stack, page: Page, screenshots: Path) -> None:
    claims = stack.personas["admin"]
    tenant = next(t for t in DEMO_TENANTS if t.team_id and t.key_alias and t.org_id != claims.get("org_id"))
    assert tenant.team_id and tenant.key_alias
    now = datetime.now(UTC)
    login(page, stack.app_url, stack.provider_url, str(claims["sub"]))
    wait_for_report(page, re.compile(" - "))
    links = {text: href for text, href in nav_links(page).items() if "admin" in text.lower()}
    assert len(links) == 1, nav_links(page)
    assert next(iter(links.values())).rstrip("/").endswith(f"/{ADMIN_PATH}")

    # The whole team, company-wide, from a shared admin link.
    open_url(page, stack, ADMIN_PATH, team=tenant.team_id)
    banner = re.compile(rf"viewing as admin: .*team {re.escape(tenant.team_id)}\b.*company-wide", re.I)
    expect(page.locator(ALERT).filter(has_text=banner)).to_have_count(1)
    wait_for_report(page, re.compile(" - "))
    team_kpis = kpis(page)
    screenshot_whole_app(page, str(screenshots / "admin-team.png"))
    name, text = download_csv(page)
    assert name == f"usage-{tenant.team_id}-{now:%Y-%m}.csv"
    assert_csv_matches_kpis(text, team_kpis, now.date())
    record = wait_for_audit(stack, page, {"team_id": tenant.team_id, "key_alias": None})
    assert record["who"]["sub"] == claims["sub"]
    assert record["month"] == f"{now:%Y-%m}"

    # One key alias of that team: exactly what the tenant's own page shows.
    open_url(page, stack, ADMIN_PATH, team=tenant.team_id, key_alias=tenant.key_alias)
    banner = re.compile(rf"viewing as admin: key alias {re.escape(tenant.key_alias)} of ", re.I)
    expect(page.locator(ALERT).filter(has_text=banner)).to_have_count(1)
    wait_for_report(page, re.compile(" - "))
    alias_kpis = kpis(page)
    wait_for_audit(stack, page, {"team_id": tenant.team_id, "key_alias": tenant.key_alias})
    assert alias_kpis.requests.value < team_kpis.requests.value  # a part, not the whole team
    open_url(page, stack, tenant=tenant.name)
    wait_for_report(page, tenant.display_name)
    assert kpis(page) == alias_kpis

"""The member's report in Chromium: forecast, last month's overlay, keyboard reach, light and dark themes.

Signs in through the real OIDC provider as the demo member, on her tenant with its own key budget.
Writes docs/member-forecast.png (light) and docs/member-dark.png (the browser prefers dark), the
pictures the README shows. Each wait names the exact state it waits for: the heading, the KPI labels,
every chart drawn, no stale element, the script idle.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from e2e_browser import focused_tag, tab_until, tag
from e2e_helpers import LOOPBACK, REPO, Stack
from playwright.sync_api import Browser, BrowserContext, Locator, Page, Route

from dashboard.below_fold import PENDING_KEY
from dashboard.report_layout import unnamed
from usage_core.access import Scope
from usage_core.config import Settings
from usage_core.months import Month
from usage_core.reports import UsageReport, build_report
from usage_core.service import build_service

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

WAIT_MS = 60_000  # a cold first render imports pandas and plotly, on a shared machine
DOCS = REPO / "docs"
MONTH = Month.current()
HEADING = f"Acme Production - {MONTH.label}"
KPI_LABELS = ["Spend (USD)", "Input tokens", "Output tokens", "Requests"]
ACME_PROD = Scope("team-acme-7f3a", "acme-prod", "Acme Production", "acme-prod")
PROJECTION = "At this pace (projected)"
OVERLAY = f"{MONTH.previous().label} (same day)"
SIDEBAR = '[data-testid="stSidebar"]'
MAIN = '[data-testid="stMain"]'

# The report is done: the exact heading, the KPI labels, the second pass drawn (no placeholder), no
# element still loading its code, every plotly chart with a drawn trace, nothing stale, the script idle.
_SETTLED = """([heading, labels, pending]) => {
  const clean = (s) => s.replace(/[\\u2060\\u200b\\ufeff]/g, "").replace(/\\s+/g, " ").trim();
  const h1 = document.querySelector("h1");
  if (!h1 || clean(h1.innerText) !== heading) return false;
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute("data-test-script-state") !== "notRunning") return false;
  if (document.querySelector('[data-stale="true"]')) return false;
  if (document.querySelector(`.st-key-${pending}, [data-testid="stSkeleton"]`)) return false;
  const labelled = document.querySelectorAll('[data-testid="stMetricLabel"]');
  const shown = [...labelled].map((e) => clean(e.innerText));
  if (!labels.every((label) => shown.includes(label))) return false;
  const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
  return charts.length >= 4 && charts.every((c) => c.querySelector(".main-svg g.trace path"));
}"""
# The trace names of every daily chart (plotly keeps the figure on its graph div).
_TRACE_NAMES = """() => [...document.querySelectorAll(".js-plotly-plot")]
  .filter((gd) => gd.layout && gd.layout.xaxis && gd.layout.xaxis.type === "date")
  .map((gd) => gd.data.map((t) => t.name))"""
# The projection as drawn: its trace is dashed in the figure and its SVG path has a dash pattern.
_DASHED_PROJECTION = """(name) => [...document.querySelectorAll(".js-plotly-plot")].some((gd) => {
  const index = (gd.data || []).findIndex((t) => t.name === name);
  if (index < 0 || gd.data[index].line.dash !== "dash") return false;
  const path = gd.querySelectorAll(".scatterlayer .trace")[0]?.querySelector("path.js-line");
  return Boolean(path && getComputedStyle(path).strokeDasharray !== "none");
})"""


def _loopback_only(route: Route) -> None:
    """Let loopback requests through; abort the rest (the provider's page links a CDN stylesheet)."""
    if urlsplit(route.request.url).hostname == LOOPBACK:
        route.continue_()
    else:
        route.abort()


@pytest.fixture
def dark_context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh profile whose browser prefers a dark colour scheme (the app follows it)."""
    context = browser.new_context(
        viewport={"width": 1440, "height": 1000}, locale="en-US", color_scheme="dark"
    )
    context.set_default_timeout(WAIT_MS)
    context.route("**/*", _loopback_only)
    yield context
    context.close()


@pytest.fixture
def core_report(monkeypatch: pytest.MonkeyPatch) -> UsageReport:
    """What usage_core computes for acme-prod this month on the demo (the app's data source)."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    service = build_service(Settings())
    previous = service.snapshot(ACME_PROD.team_id, MONTH.previous()).usage
    snapshot = unnamed(service.snapshot(ACME_PROD.team_id, MONTH))  # as the page: no LiteLLM team name
    return build_report(ACME_PROD, MONTH, snapshot, previous=previous)


def sign_in_as_member(page: Page, stack: Stack) -> None:
    """Open acme-prod's link signed out, log in at the provider as the member, wait for the report."""
    query = urlencode({"tenant": "acme-prod", "month": str(MONTH)})
    page.goto(f"{stack.app_url}/?{query}")
    # the sign-in screen has written the link into its cookie before the login is started
    page.wait_for_function(
        "() => document.cookie.split('; ').some((c) => c.startsWith('usage_dashboard_return_to='))",
        timeout=WAIT_MS,
    )
    page.get_by_role("button", name="Log in").first.click()
    page.wait_for_url(f"{stack.provider_url}/oauth2/authorize**", timeout=WAIT_MS)
    page.locator('input[name="sub"]').fill("demo-alice")
    page.get_by_role("button", name="Authorize", exact=True).click()
    page.wait_for_url(f"{stack.app_url}/?{query}", timeout=WAIT_MS)
    wait_settled(page)


def wait_settled(page: Page) -> None:
    """Wait until the report is complete and idle (see _SETTLED)."""
    page.wait_for_function(_SETTLED, arg=[HEADING, KPI_LABELS, PENDING_KEY], timeout=WAIT_MS)


def main_text(page: Page) -> str:
    """The main area's text as read: word joiners removed, whitespace collapsed."""
    text = page.locator(MAIN).inner_text().replace("\u2060", "")
    return " ".join(text.split())


def screenshot(page: Page, path: Path) -> None:
    """The whole page, 1440 wide: Streamlit scrolls inside stMain, so the viewport grows to fit it."""
    main = page.locator(MAIN)
    main.evaluate("element => element.scrollTo(0, 0)")
    height = 0
    for _ in range(20):  # until the layout stops growing (charts settle after a resize)
        grown = int(main.evaluate("element => element.scrollHeight"))
        if grown == height:
            break
        height = grown
        page.set_viewport_size({"width": 1440, "height": max(height, 1000)})
        wait_settled(page)
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    page.set_viewport_size({"width": 1440, "height": 1000})


def background_luminance(page: Page) -> float:
    """The relative luminance (0 black .. 1 white) of the app's background colour."""
    rgb = page.locator('[data-testid="stApp"]').evaluate(
        "e => getComputedStyle(e).backgroundColor.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number)"
    )

    def channel(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def keyboard_targets(page: Page) -> dict[str, Locator]:
    """Every control of the member's page, and the tables (which take focus to be read)."""
    sidebar, main = page.locator(SIDEBAR), page.locator(MAIN)
    targets = {
        "Log out": sidebar.get_by_role("button", name="Log out"),
        "Tenant": sidebar.get_by_role("combobox", name="Tenant", exact=True),
        "Month": sidebar.get_by_role("combobox", name="Month", exact=True),
        "Refresh": sidebar.get_by_role("button", name="Refresh"),
        "Compare with last month": main.get_by_role("switch", name="Compare with last month"),
        "Download CSV": main.get_by_role("button", name="Download CSV"),
    }
    summaries = main.locator('[data-testid="stExpander"] summary')
    assert summaries.count() == 3
    for index in range(3):
        targets[f"Show as table {index + 1}"] = summaries.nth(index)
    # the by-model and by-day tables (the charts' own tables sit folded in their expanders)
    tables = main.locator('[data-testid="stDataFrame"]:not([data-testid="stExpander"] *)')
    assert tables.count() == 2
    targets["By model table"], targets["By day table"] = tables.nth(0), tables.nth(1)
    return targets


def test_member_report_forecast_overlay_keyboard_and_light_screenshot(
    stack: Stack, page: Page, core_report: UsageReport
) -> None:
    sign_in_as_member(page, stack)
    text = main_text(page)
    forecast = core_report.forecast
    assert forecast.key is not None
    assert forecast.sentence in text and forecast.key.sentence in text  # the budget cards' sentences
    assert page.evaluate(_DASHED_PROJECTION, PROJECTION)
    assert all(OVERLAY not in names for names in page.evaluate(_TRACE_NAMES))

    # The overlay, switched on from the keyboard: every daily chart gains last month's line.
    tag(keyboard_targets(page))
    page.evaluate("() => document.activeElement?.blur()")
    tab_until(page, "Compare with last month")
    page.keyboard.press("Space")
    page.wait_for_function(
        f"() => ({_TRACE_NAMES})().length === 3 && ({_TRACE_NAMES})().every((n) => n.includes({OVERLAY!r}))",
        timeout=WAIT_MS,
    )
    wait_settled(page)
    assert page.evaluate(_DASHED_PROJECTION, PROJECTION)
    assert background_luminance(page) > 0.8  # the light theme
    page.evaluate("() => document.activeElement?.blur()")  # no focus ring in the picture
    screenshot(page, DOCS / "member-forecast.png")

    # Tab through the sidebar and the page: every control (and table) receives the focus.
    targets = keyboard_targets(page)
    tag(targets)
    focused: list[str] = []
    for _ in range(120):
        page.keyboard.press("Tab")
        name = focused_tag(page)
        if name and name not in focused:
            focused.append(name)
        if len(focused) == len(targets):
            break
    assert sorted(focused) == sorted(targets)
    sidebar_order = [focused.index(name) for name in ("Log out", "Tenant", "Month", "Refresh")]
    assert sidebar_order == sorted(sidebar_order)

    # A chart's table, opened from the keyboard, shows the same days.
    tab_until(page, "Show as table 1")
    page.keyboard.press("Enter")
    spend_table = page.locator(MAIN).locator('[data-testid="stExpander"]').first
    spend_table.locator('[data-testid="stDataFrame"]').wait_for(state="visible", timeout=WAIT_MS)
    assert spend_table.locator("details").get_attribute("open") is not None


def test_member_report_in_the_dark_theme(stack: Stack, dark_context: BrowserContext) -> None:
    page = dark_context.new_page()
    sign_in_as_member(page, stack)
    assert background_luminance(page) < 0.1  # the app follows the browser's dark preference
    assert page.evaluate(_DASHED_PROJECTION, PROJECTION)
    screenshot(page, DOCS / "member-dark.png")

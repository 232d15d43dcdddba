"""What a person does in the dashboard, as Playwright steps (login, read, download, logout)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from e2e_helpers import Shown, parse_shown_number
from playwright.sync_api import Locator, Page, expect

LOGIN_BUTTON = re.compile(r"\b(log ?in|sign ?in)\b", re.IGNORECASE)
LOGOUT_BUTTON = re.compile(r"\b(log ?out|sign ?out)\b", re.IGNORECASE)
METRIC = '[data-testid="stMetric"]'
METRIC_LABEL = '[data-testid="stMetricLabel"]'
METRIC_VALUE = '[data-testid="stMetricValue"]'
SIDEBAR = '[data-testid="stSidebar"]'
NAV_LINK = '[data-testid="stSidebarNavLink"]'
ALERT = '[data-testid="stAlert"]'
MAIN = '[data-testid="stMain"]'
WIDGET_LABEL = '[data-testid="stWidgetLabel"]'
# The KPI row's labels (the limits card's "Requests per minute" must not count as requests).
KPI_LABELS = {
    "spend": re.compile(r"spend(\s*\(usd\))?"),
    "input_tokens": re.compile(r"input tokens"),
    "output_tokens": re.compile(r"output tokens"),
    "requests": re.compile(r"requests"),
}
APP_TIMEOUT_MS = 30_000  # a cold first render imports pandas and plotly


def wait_idle(page: Page) -> None:
    """Wait until Streamlit has finished its script run and dropped every stale element."""
    app = page.locator('[data-testid="stApp"]')
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=APP_TIMEOUT_MS)
    expect(page.locator('[data-stale="true"]')).to_have_count(0, timeout=APP_TIMEOUT_MS)


def login(page: Page, app_url: str, provider_url: str, sub: str) -> None:
    """Open the app, follow its login button to the provider's form, sign in as `sub`."""
    page.goto(app_url)
    page.get_by_role("button", name=LOGIN_BUTTON).first.click(timeout=APP_TIMEOUT_MS)
    page.wait_for_url(f"{provider_url}/oauth2/authorize**")
    page.locator('input[name="sub"]').fill(sub)
    page.get_by_role("button", name="Authorize", exact=True).click()
    page.wait_for_url(f"{app_url}/**")
    expect(page.locator(SIDEBAR).get_by_role("button", name=LOGOUT_BUTTON)).to_be_visible(
        timeout=APP_TIMEOUT_MS
    )


def logout(page: Page, app_url: str, provider_url: str) -> None:
    """Log out in the app, confirm the provider's end-session page, land back on the login screen."""
    page.locator(SIDEBAR).get_by_role("button", name=LOGOUT_BUTTON).click()
    page.wait_for_url(f"{provider_url}/oauth2/end_session**")
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(f"{app_url}/**")
    expect(page.get_by_role("button", name=LOGIN_BUTTON).first).to_be_visible(timeout=APP_TIMEOUT_MS)


def title(page: Page) -> str:
    """The page's main heading."""
    heading = page.locator("h1").first
    expect(heading).to_be_visible(timeout=APP_TIMEOUT_MS)
    return heading.inner_text().strip()


def wait_for_report(page: Page, heading: str | re.Pattern[str]) -> None:
    """Wait for a usage report whose title matches `heading`, with its KPIs, to be fully drawn."""
    expect(page.locator("h1").first).to_contain_text(heading, timeout=APP_TIMEOUT_MS)
    expect(page.locator(METRIC_VALUE).first).to_be_visible(timeout=APP_TIMEOUT_MS)
    wait_idle(page)


@dataclass(frozen=True)
class Kpis:
    """The KPI row as shown."""

    spend: Shown
    input_tokens: Shown
    output_tokens: Shown
    requests: Shown


def kpis(page: Page) -> Kpis:
    """Read the KPI row: each metric found by its label, its value parsed as displayed."""
    found: dict[str, Shown] = {}
    for metric in page.locator(f"{MAIN} {METRIC}").all():
        label = metric.locator(METRIC_LABEL).inner_text().strip().lower()
        for key, pattern in KPI_LABELS.items():
            if key not in found and pattern.fullmatch(label):
                found[key] = parse_shown_number(metric.locator(METRIC_VALUE).inner_text())
    missing = set(KPI_LABELS) - set(found)
    assert not missing, f"KPI metrics not found on screen: {sorted(missing)}"
    return Kpis(**found)


def selectbox(page: Page, label: str) -> Locator:
    """The sidebar selectbox whose label is exactly `label` (a react-aria combobox)."""
    combobox = page.get_by_role("combobox", name=label, exact=True)
    return page.locator(f'{SIDEBAR} [data-testid="stSelectbox"]').filter(has=combobox).first


def open_selectbox(page: Page, label: str) -> Locator:
    """Open a sidebar selectbox; return its list of options."""
    selectbox(page, label).get_by_role("button", name="Open").click()
    listbox = page.get_by_role("listbox")
    expect(listbox).to_be_visible()
    return listbox


def selectbox_value(page: Page, label: str) -> str:
    """The option a sidebar selectbox shows as chosen."""
    return page.get_by_role("combobox", name=label, exact=True).input_value().strip()


def selectbox_options(page: Page, label: str) -> list[str]:
    """Open a selectbox, read every option's text, close it again."""
    listbox = open_selectbox(page, label)
    options = [text.strip() for text in listbox.get_by_role("option").all_inner_texts()]
    page.keyboard.press("Escape")
    expect(listbox).to_have_count(0)
    return options


def choose(page: Page, label: str, option: str | re.Pattern[str]) -> None:
    """Pick an option of a sidebar selectbox by its text."""
    open_selectbox(page, label).get_by_role("option", name=option).first.click()
    wait_idle(page)


def nav_links(page: Page) -> dict[str, str]:
    """The sidebar navigation: link text to href."""
    links = page.locator(f"{SIDEBAR} {NAV_LINK}")
    return {link.inner_text().strip(): link.get_attribute("href") or "" for link in links.all()}


def alerts(page: Page) -> list[str]:
    """Every message box on the page (info, warning, error)."""
    return [text.strip() for text in page.locator(ALERT).all_inner_texts()]


def screenshot_whole_app(page: Page, path: str) -> None:
    """A screenshot of the whole app: Streamlit scrolls inside stMain, so grow the viewport to fit."""
    viewport = page.viewport_size
    assert viewport is not None
    main = page.locator(MAIN)
    main.evaluate("element => element.scrollTo(0, 0)")
    height = 0
    for _ in range(20):  # until the layout stops growing (charts settle after a resize)
        grown = int(main.evaluate("element => element.scrollHeight"))
        if grown == height:
            break
        height = grown
        page.set_viewport_size({"width": viewport["width"], "height": max(height, viewport["height"])})
        page.wait_for_timeout(100)
    page.screenshot(path=path, full_page=True, animations="disabled")
    page.set_viewport_size(viewport)

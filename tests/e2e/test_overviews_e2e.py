"""The org and platform overviews in Chromium, signed in through the real OIDC provider.

Expectations come from the demo's tenant and team lists, written out here independently of
usage_core.access and usage_core.overview. The table is read from the data grid's accessible mirror
(`glide-cell-<column>-<row>`); a row's Open link is clicked on the canvas where the grid draws it,
and the same page is reached from the keyboard through the picker and link above the grid.
Each wait names the exact state it waits for: the URL, the heading, the grid with its rows, and no
element left stale. Writes docs/org-overview.png and docs/platform-overview.png (1440 wide, whole page).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from e2e_browser import MAIN, tab_until, tag
from e2e_helpers import REPO, Stack
from playwright.sync_api import BrowserContext, Page

from usage_core.demo import DEMO_TEAMS, DEMO_TENANTS
from usage_core.months import Month

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

DOCS = REPO / "docs"
WAIT_MS = 60_000  # a cold first render imports pandas and plotly; the machine may be busy
LAST_MONTH = Month.current().previous()  # a whole month: full sparklines, figures that do not move
ROW_PX = 35  # Streamlit's data grid: header and rows are 35 px high
OPEN_TEXT_PX = 20  # inside the word "Open", drawn left-aligned after an 8 px padding
RISK_ORDER = ["Over budget", "Runs out at this pace", "Within budget", "No budget"]

# A view is done when: its heading is exactly `heading`, no script runs, nothing is stale, and
# (when `rows` is not null) the data grid is drawn with a header and `rows` data rows, or at
# least one row when `rows` is -1.
_SETTLED = """([heading, rows]) => {
  const clean = (s) => s.replace(/[\\u2060\\u200b\\ufeff]/g, "").replace(/\\s+/g, " ").trim();
  const h1 = document.querySelector("h1");
  if (!h1 || clean(h1.innerText) !== heading) return false;
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute("data-test-script-state") !== "notRunning") return false;
  if (document.querySelector('[data-stale="true"]')) return false;
  if (rows === null) return true;
  const grid = document.querySelector('[data-testid="stDataFrame"] table[role="grid"]');
  const canvas = document.querySelector('[data-testid="stDataFrame"] [data-testid="data-grid-canvas"]');
  if (!grid || !canvas || canvas.getBoundingClientRect().height < 2 * 35) return false;
  const count = Number(grid.getAttribute("aria-rowcount")) - 1;
  return rows === -1 ? count >= 1 : count === rows;
}"""


def wait_for_view(page: Page, heading: str, rows: int | None = None) -> None:
    """Wait until the page shows exactly `heading` (and a grid of `rows` rows, -1: any) and is settled."""
    page.wait_for_function(_SETTLED, arg=[heading, rows], timeout=WAIT_MS)


def sign_in_at_provider(page: Page, stack: Stack, sub: str) -> None:
    """Click the app's login button and authorize as `sub` at the provider's form."""
    page.get_by_role("button", name="Log in").first.click()
    page.wait_for_url(f"{stack.provider_url}/oauth2/authorize**", timeout=WAIT_MS)
    page.locator('input[name="sub"]').fill(sub)
    page.get_by_role("button", name="Authorize", exact=True).click()


def open_signed_in(page: Page, stack: Stack, path: str, sub: str) -> None:
    """Open `path` signed out, sign in as `sub`, and land on exactly that view again."""
    page.goto(f"{stack.app_url}/{path}?month={LAST_MONTH}")
    wait_for_view(page, "LLM usage dashboard")
    sign_in_at_provider(page, stack, sub)
    page.wait_for_url(f"{stack.app_url}/{path}?month={LAST_MONTH}", timeout=WAIT_MS)


def grid_rows(page: Page, columns: int) -> list[list[str]]:
    """The first `columns` cells of every row, as the grid's accessible mirror holds them."""
    count = int(
        page.locator('[data-testid="stDataFrame"] table[role="grid"]').get_attribute("aria-rowcount") or 1
    )
    return [
        [(page.get_by_test_id(f"glide-cell-{c}-{r}").text_content() or "").strip() for c in range(columns)]
        for r in range(count - 1)
    ]


def click_open(context: BrowserContext, page: Page, row: int) -> Page:
    """Click the Open link of data row `row` (the first column) on the canvas; return the new tab.

    The grid handles a click on a link only where it has drawn the link under the mouse, so the
    mouse moves there first and the click waits for that state: the canvas shows the pointer cursor.
    """
    canvas = page.locator('[data-testid="stDataFrame"] [data-testid="data-grid-canvas"]')
    box = canvas.bounding_box()
    assert box is not None
    x, y = box["x"] + OPEN_TEXT_PX, box["y"] + ROW_PX * (row + 1) + ROW_PX // 2
    page.mouse.move(x, y)
    page.wait_for_function(
        "(canvas) => getComputedStyle(canvas).cursor === 'pointer'",
        arg=canvas.element_handle(),
        timeout=WAIT_MS,
    )
    with context.expect_page(timeout=WAIT_MS) as opened:
        page.mouse.click(x, y)
    return opened.value


def screenshot(page: Page, name: str) -> None:
    """The whole page at 1440 px wide: the viewport grows until the main area no longer scrolls."""
    main = page.locator('[data-testid="stMain"]')
    size = page.viewport_size
    assert size is not None and size["width"] == 1440
    hidden = int(main.evaluate("element => element.scrollHeight - element.clientHeight"))
    if hidden > 0:
        page.set_viewport_size({"width": 1440, "height": size["height"] + hidden})
        page.wait_for_function(
            "() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
            " return m.scrollHeight <= m.clientHeight; }",
            timeout=WAIT_MS,
        )
    DOCS.mkdir(exist_ok=True)
    page.screenshot(path=str(DOCS / name), full_page=True, animations="disabled")
    page.set_viewport_size(size)


def test_an_owners_org_overview_lists_exactly_her_orgs_tenants_and_each_leads_to_its_page(
    stack: Stack, page: Page, context: BrowserContext
) -> None:
    owner = stack.personas["owner"]
    globex = [t for t in DEMO_TENANTS if t.org_id == owner["org_id"]]
    open_signed_in(page, stack, "org-overview", str(owner["sub"]))
    wait_for_view(page, f"Organization overview - {LAST_MONTH.label}", rows=len(globex))

    rows = grid_rows(page, 2)  # Open (its link), Tenant (the display name)
    assert sorted(name for _, name in rows) == sorted(t.display_name for t in globex)
    assert sorted(link for link, _ in rows) == sorted(f"/?tenant={t.name}&month={LAST_MONTH}" for t in globex)
    shown = page.locator('[data-testid="stMain"]').inner_text()
    for other in (t for t in DEMO_TENANTS if t.org_id != owner["org_id"]):
        assert other.display_name not in shown and other.name not in shown
    screenshot(page, "org-overview.png")

    index, (_, name) = next((i, r) for i, r in enumerate(rows) if r[1] == "Globex Web")
    tab = click_open(context, page, index)
    wait_for_view(tab, f"{name} - {LAST_MONTH.label}")
    assert dict(parse_qsl(urlsplit(tab.url).query)) == {"tenant": "globex-web", "month": str(LAST_MONTH)}
    assert urlsplit(tab.url).path == "/"

    # The keyboard's way to a row's page: the picker (type to filter, Enter), then the link. The
    # last row, so that the picker's choice has to change from its first.
    last_link, last_name = rows[-1]
    picker = page.locator(MAIN).get_by_role("combobox", name="Go to a tenant", exact=True)
    tag({"picker": picker})
    page.evaluate("() => document.activeElement?.blur()")
    tab_until(page, "picker")
    page.keyboard.type(last_name)
    page.get_by_role("option", name=last_name, exact=True).wait_for(state="visible", timeout=WAIT_MS)
    page.keyboard.press("Enter")
    page.wait_for_function(  # the link now leads to that row's page
        """(query) => [...document.querySelectorAll(
             '[data-testid="stMain"] [data-testid="stPageLink-NavLink"]'
           )].some((a) => a.getAttribute("href")?.endsWith(query))""",
        arg=urlsplit(last_link).query,
        timeout=WAIT_MS,
    )
    link = page.locator(MAIN).get_by_role("link", name="Open", exact=True)
    wait_for_view(page, f"Organization overview - {LAST_MONTH.label}", rows=len(globex))
    tag({"link": link})
    tab_until(page, "link")
    page.keyboard.press("Enter")
    wait_for_view(page, f"{last_name} - {LAST_MONTH.label}")
    assert parse_qsl(urlsplit(page.url).query) == parse_qsl(urlsplit(last_link).query)


def test_an_admins_platform_overview_lists_every_team_riskiest_first_and_each_leads_to_it(
    stack: Stack, page: Page, context: BrowserContext
) -> None:
    admin = stack.personas["admin"]
    open_signed_in(page, stack, "platform-overview", str(admin["sub"]))
    wait_for_view(page, f"Platform overview - {LAST_MONTH.label}", rows=len(DEMO_TEAMS))

    rows = grid_rows(page, 5)  # Open, Risk rank, Status, Team, Spend
    links = [dict(parse_qsl(urlsplit(link).query)) for link, *_ in rows]
    assert {link["team"] for link in links} == {t.team_id for t in DEMO_TEAMS}
    assert all(urlsplit(link).path == "/admin" for link, *_ in rows)
    assert [rank for _, rank, *_ in rows] == [str(i) for i in range(1, len(DEMO_TEAMS) + 1)]
    statuses = [status for _, _, status, *_ in rows]
    assert statuses == sorted(statuses, key=RISK_ORDER.index), statuses  # the riskiest first
    aliases = {t.team_id: t.alias for t in DEMO_TEAMS}
    assert [alias for *_, alias, _ in rows] == [aliases[link["team"]] for link in links]
    screenshot(page, "platform-overview.png")

    tab = click_open(context, page, 0)
    wait_for_view(tab, f"{aliases[links[0]['team']]} - {LAST_MONTH.label}")
    assert urlsplit(tab.url).path == "/admin"
    assert dict(parse_qsl(urlsplit(tab.url).query)) == {"team": links[0]["team"], "month": str(LAST_MONTH)}


def test_a_member_reaching_the_platform_overview_by_link_gets_her_own_page(stack: Stack, page: Page) -> None:
    member = stack.personas["member"]
    page.goto(f"{stack.app_url}/platform-overview?month={LAST_MONTH}")
    wait_for_view(page, "LLM usage dashboard")
    sign_in_at_provider(page, stack, str(member["sub"]))
    # The page does not exist for her: the link resumes on her default page, her first tenant.
    page.wait_for_url(f"{stack.app_url}/?tenant=acme-dev&month={LAST_MONTH}", timeout=WAIT_MS)
    wait_for_view(page, f"Acme Development - {LAST_MONTH.label}")
    assert "team-globex" not in page.locator('[data-testid="stMain"]').inner_text()

"""Hostile text in a real browser: URL parameters, a tenant's display name, a LiteLLM team alias.

Every kind of the corpus (tests/hostile_corpus.py) is opened in Chromium, as a member and as a platform
admin. The DOM must hold no link, image, formatting, list, quote, heading, colour, icon, emoji or
formula made from a payload, and the payload's text must still be readable (after removing the
invisible word joiners the app inserts). AppTest (tests/test_hostile_text.py) checks the Markdown
sources; this checks what Streamlit's renderer actually makes of them.

Waits name the exact state they wait for: the expected heading present, the app connected, no script
running and no stale element left.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from e2e_helpers import REPO, Stack, clean_env, start_app_behind
from playwright.sync_api import Page, expect

from dashboard.below_fold import PENDING_KEY
from tests.demo_server import serve
from tests.hostile_corpus import CONTROL, KINDS, payload
from usage_core.demo import DemoKey, DemoLiteLLM, DemoTeam
from usage_core.months import Month
from usage_core.plaintext import ELLIPSIS, shorten

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

APP_TIMEOUT_MS = 30_000  # a cold first render imports pandas and plotly
SIDEBAR = '[data-testid="stSidebar"]'
HEADING = '[data-testid="stHeading"] h1'
ADMIN_PATH = "admin"
MASTER_KEY = "sk-hostile-browser-7"
INVISIBLE = re.compile("[\u2060\u200b]")


def marker(source: str, kind: str) -> str:
    """A letters-only marker naming the source and the kind, e.g. hxDisplayBareUrl."""
    return f"hx{source}{kind.title().replace('_', '')}"


# -- waits, each for one named state ---------------------------------------------------------


def wait_for_heading(page: Page, text: str) -> None:
    """The heading is present, a report's second pass is drawn, the app is connected and idle."""
    expect(page.locator(HEADING).first).to_contain_text(text, timeout=APP_TIMEOUT_MS)
    # the placeholder goes only when the second pass runs, so "idle" below is after that pass
    expect(page.locator(f".st-key-{PENDING_KEY}")).to_have_count(0, timeout=APP_TIMEOUT_MS)
    app = page.locator('[data-testid="stApp"]')
    expect(app).to_have_attribute("data-test-connection-state", "CONNECTED", timeout=APP_TIMEOUT_MS)
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=APP_TIMEOUT_MS)
    expect(page.locator('[data-stale="true"]')).to_have_count(0, timeout=APP_TIMEOUT_MS)
    expect(page.locator('[data-testid="stSkeleton"]')).to_have_count(0, timeout=APP_TIMEOUT_MS)


def sign_in(page: Page, app_url: str, provider_url: str, sub: str) -> None:
    """The app's login button, the provider's form as `sub`, back in the app with Log out shown."""
    page.goto(app_url)
    page.get_by_role("button", name=re.compile(r"log in", re.IGNORECASE)).first.click(timeout=APP_TIMEOUT_MS)
    page.wait_for_url(f"{provider_url}/oauth2/authorize**")
    page.locator('input[name="sub"]').fill(sub)
    page.get_by_role("button", name="Authorize", exact=True).click()
    page.wait_for_url(f"{app_url}/**")
    logout = page.locator(SIDEBAR).get_by_role("button", name=re.compile(r"log out", re.IGNORECASE))
    expect(logout).to_be_visible(timeout=APP_TIMEOUT_MS)


def open_page(page: Page, app_url: str, path: str = "", **query: str) -> None:
    """A full page load, like following a shared link."""
    page.goto(f"{app_url}/{path}?{urlencode(query)}")


# -- what the DOM made of the payloads ---------------------------------------------------------

_FINDINGS_JS = """(markers) => {
  const found = [];
  const carries = (el) => markers.some((m) => (el.textContent || '').includes(m));
  const where = (el) => (el.closest('[data-testid]') || {}).getAttribute?.('data-testid') || '?';
  for (const a of document.querySelectorAll('a')) {
    const href = a.getAttribute('href') || '';
    if (href.includes('evil') || carries(a)) found.push(`link ${href} in ${where(a)}`);
  }
  for (const img of document.querySelectorAll('img')) {
    const src = img.getAttribute('src') || '';
    if (src.includes('evil') || src === 'x' || img.closest('[data-testid="stMarkdownContainer"]'))
      found.push(`image ${src} in ${where(img)}`);
  }
  const formatting = 'strong,em,del,s,b,i,u,code,pre,mark,sup,sub,'
    + 'span[style*="color"],span[style*="background"]';
  for (const el of document.querySelectorAll(formatting))
    if (carries(el)) found.push(`${el.tagName} in ${where(el)}: ${el.textContent.slice(0, 60)}`);
  for (const el of document.querySelectorAll('h1,h2,h3,h4,h5,h6'))
    if (carries(el) && !el.closest('[data-testid="stHeading"]')) found.push(`heading in ${where(el)}`);
  // the app itself never renders lists, quotes, tables in Markdown, formulas or a "home" icon
  const blocks = '[data-testid="stMarkdownContainer"] :is(li,blockquote,table,hr)';
  for (const el of document.querySelectorAll(blocks)) found.push(`${el.tagName} in ${where(el)}`);
  for (const el of document.querySelectorAll('.katex,.katex-display,math'))
    found.push(`formula in ${where(el)}`);
  for (const el of document.querySelectorAll('[data-testid="stIconMaterial"]'))
    if (el.textContent.trim() === 'home') found.push(`material icon in ${where(el)}`);
  // the app writes no emoji (its icons are Material Symbols, drawn from their names)
  const emoji = document.body.innerText.match(/\\p{Extended_Pictographic}/gu);
  if (emoji) found.push(`emoji ${emoji.join('')}`);
  return found;
}"""


def findings(page: Page, markers: list[str]) -> list[str]:
    """What the page made of a payload that it should have shown as text."""
    result: list[str] = page.evaluate(_FINDINGS_JS, markers)
    return result


def readable_text(page: Page) -> str:
    """The page's text as a person reads it (the invisible word joiners removed)."""
    return INVISIBLE.sub("", page.locator("body").inner_text())


def assert_shown_as_text(page: Page, markers: list[str], readable: list[str]) -> None:
    """Nothing was made of any payload; each marker and each readable prefix is on screen."""
    assert findings(page, markers) == []
    text = readable_text(page)
    assert not CONTROL.search(text.replace("\n", "").replace("\t", "")), "a control character is on screen"
    for expected in [*markers, *readable]:
        assert expected in text, f"{expected[:60]!r} is not readable on the page"


def prefix(text: str) -> str:
    """The start of a payload as any element shows it (before any element shortens it)."""
    return shorten(text, 30).removesuffix(ELLIPSIS)


# -- URL parameters on the demo stack ----------------------------------------------------------


def test_hostile_url_parameters_show_as_text_to_a_member(stack: Stack, page: Page) -> None:
    claims = stack.personas["member"]
    sign_in(page, stack.app_url, stack.provider_url, str(claims["sub"]))
    for kind in KINDS:
        tenant, month = marker("UrlTenant", kind), marker("UrlMonth", kind)
        open_page(page, stack.app_url, tenant=payload(kind, tenant), month=payload(kind, month))
        wait_for_heading(page, "Acme Development")  # her default tenant, instead of the unknown one
        shown = [tenant] + ([month] if month in payload(kind, month)[:20] else [])  # 20 characters quoted
        assert_shown_as_text(page, shown, [])


def test_hostile_url_parameters_show_as_text_to_an_admin(stack: Stack, page: Page) -> None:
    claims = stack.personas["admin"]
    sign_in(page, stack.app_url, stack.provider_url, str(claims["sub"]))
    for kind in KINDS:
        team, key = marker("UrlTeam", kind), marker("UrlKey", kind)
        open_page(page, stack.app_url, ADMIN_PATH, team=payload(kind, team), key_alias=payload(kind, key))
        wait_for_heading(page, team)  # "<team> · <key alias> - <month>", each shortened on its own
        # the title, the admin banner, "LiteLLM has no team ...", and both pickers
        assert_shown_as_text(page, [team, key], [prefix(payload(kind, team)), prefix(payload(kind, key))])


# -- a tenant display name and a LiteLLM team alias, on an app of their own ---------------------


def hostile_teams() -> tuple[DemoTeam, ...]:
    """One LiteLLM team per kind, its alias hostile."""
    return tuple(
        DemoTeam(f"team-{kind}", payload(kind, marker("Alias", kind)), (DemoKey(f"k-{kind}", 1.0),), 50, 1.2)
        for kind in KINDS
    )


def hostile_tenants() -> list[dict[str, Any]]:
    """One Acme tenant per kind, assigned to the demo member, its display name hostile."""
    return [
        {
            "apiVersion": "platform.example.com/v1alpha1",
            "kind": "Tenant",
            "metadata": {"name": f"hostile-{kind}"},
            "spec": {
                "orgId": "acme",
                "displayName": payload(kind, marker("Display", kind)),
                "users": ["alice@acme.example"],
            },
            "status": {"litellmTeamId": f"team-{kind}", "litellmKeyAlias": f"k-{kind}"},
        }
        for kind in KINDS
    ]


@pytest.fixture(scope="module")
def hostile_app(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`streamlit run app.py` behind the same identity provider, over a loopback LiteLLM of hostile names."""
    workdir = tmp_path_factory.mktemp("hostile-app")
    tenants = workdir / "tenants.json"
    tenants.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": hostile_tenants()}))
    with serve(DemoLiteLLM(teams=hostile_teams(), master_key=MASTER_KEY)) as litellm_url:
        env = clean_env(workdir)
        env.update(LITELLM_BASE_URL=litellm_url, LITELLM_MASTER_KEY=MASTER_KEY, TENANTS_FILE=str(tenants))
        app, _ = start_app_behind(stack.provider, REPO / "app.py", workdir=workdir, env=env)
        try:
            yield app.url
        finally:
            app.stop()


def test_a_hostile_tenant_display_name_shows_as_text(stack: Stack, hostile_app: str, page: Page) -> None:
    sign_in(page, hostile_app, stack.provider_url, str(stack.personas["member"]["sub"]))
    month = Month.current().label
    for kind in KINDS:
        display = marker("Display", kind)
        open_page(page, hostile_app, tenant=f"hostile-{kind}")
        wait_for_heading(page, display)
        expect(page.locator(HEADING).first).to_contain_text(f" - {month}")
        # the title and the picker's chosen option; the picker's list holds every kind's name
        assert_shown_as_text(page, [display], [prefix(payload(kind, display))])
    # the picker's list (it draws the options in view): plain text, every one readable
    listbox = open_tenant_picker(page)
    options = [INVISIBLE.sub("", o) for o in listbox.get_by_role("option").all_inner_texts()]
    assert findings(page, [marker("Display", kind) for kind in KINDS]) == []
    readable = [prefix(payload(kind, marker("Display", kind))) for kind in KINDS]
    assert options and all(any(r in option for r in readable) for option in options), options
    page.keyboard.press("Escape")


def open_tenant_picker(page: Page) -> Any:
    """Open the sidebar's Tenant picker; its list of options."""
    picker = page.locator(f'{SIDEBAR} [data-testid="stSelectbox"]').filter(
        has=page.get_by_role("combobox", name="Tenant", exact=True)
    )
    picker.first.get_by_role("button", name="Open").click()
    listbox = page.get_by_role("listbox")
    expect(listbox).to_be_visible()
    return listbox


def test_a_hostile_litellm_team_alias_shows_as_text(stack: Stack, hostile_app: str, page: Page) -> None:
    sign_in(page, hostile_app, stack.provider_url, str(stack.personas["admin"]["sub"]))
    for kind in KINDS:
        alias = marker("Alias", kind)
        open_page(page, hostile_app, ADMIN_PATH, team=f"team-{kind}")
        wait_for_heading(page, alias)
        # the title, the admin banner and the team picker's chosen option
        assert_shown_as_text(page, [alias], [prefix(payload(kind, alias))])


def test_the_corpus_markers_survive_shortening() -> None:
    for kind in KINDS:
        for source in ("UrlTenant", "UrlTeam", "UrlKey", "Display", "Alias"):
            assert marker(source, kind) in prefix(payload(kind, marker(source, kind)))

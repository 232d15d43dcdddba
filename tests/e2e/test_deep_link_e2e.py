"""Links survive sign-in: a signed-out person who opens a view lands on exactly that view afterwards.

Streamlit's OIDC callback returns to the root URL; the app carries the view across the login itself.
Each wait names the exact state it waits for: the URL, the heading, and a page with no stale element.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from e2e_helpers import REPO, Service, Stack, clean_env, free_port, start_streamlit
from playwright.sync_api import BrowserContext, Page, expect

from usage_core.months import Month

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(150)]

RETURN_COOKIE = "usage_dashboard_return_to"
PERSONA_COOKIE = "usage_dashboard_demo_persona"
WAIT_MS = 30_000
LAST_MONTH = Month.current().previous()

# The rendered state a view is in when it is done: its exact heading, the four KPI labels (or none,
# for a screen without a report), and no element left stale by a previous run.
_SETTLED = """([heading, labels]) => {
  const clean = (s) => s.replace(/[\\u2060\\u200b\\ufeff]/g, "").replace(/\\s+/g, " ").trim();
  const h1 = document.querySelector("h1");
  if (!h1 || clean(h1.innerText) !== heading) return false;
  if (document.querySelector('[data-stale="true"]')) return false;
  const labelled = document.querySelectorAll('[data-testid="stMetricLabel"]');
  const shown = [...labelled].map((e) => clean(e.innerText));
  return labels.every((label) => shown.includes(label));
}"""
KPI_LABELS = ["Spend (USD)", "Input tokens", "Output tokens", "Requests"]


def wait_for_view(page: Page, heading: str, *, kpis: bool = True) -> None:
    """Wait until the page shows exactly `heading` (with the KPI row when `kpis`) and nothing is stale."""
    page.wait_for_function(_SETTLED, arg=[heading, KPI_LABELS if kpis else []], timeout=WAIT_MS)


def cookie(context: BrowserContext, name: str) -> str | None:
    """The value of one cookie of the app's origin, or None."""
    return next((c["value"] for c in context.cookies() if c["name"] == name), None)


def wait_for_cookie(page: Page, name: str, *, present: bool) -> None:
    """Wait until the browser holds (or no longer holds) the named cookie."""
    page.wait_for_function(
        "([name, present]) => document.cookie.split('; ').some((c) => c.startsWith(name + '=')) === present",
        arg=[name, present],
        timeout=WAIT_MS,
    )


def sign_in_at_provider(page: Page, stack: Stack, sub: str) -> None:
    """Click the app's login button and authorize as `sub` at the provider's form."""
    page.get_by_role("button", name="Log in").first.click()
    page.wait_for_url(f"{stack.provider_url}/oauth2/authorize**", timeout=WAIT_MS)
    page.locator('input[name="sub"]').fill(sub)
    page.get_by_role("button", name="Authorize", exact=True).click()


def test_member_link_survives_the_oidc_login(stack: Stack, page: Page) -> None:
    query = urlencode({"tenant": "acme-dev", "month": str(LAST_MONTH)})
    page.goto(f"{stack.app_url}/?{query}")
    wait_for_view(page, "LLM usage dashboard", kpis=False)
    wait_for_cookie(page, RETURN_COOKIE, present=True)
    sign_in_at_provider(page, stack, "demo-alice")
    page.wait_for_url(f"{stack.app_url}/?{query}", timeout=WAIT_MS)
    wait_for_view(page, f"Acme Development - {LAST_MONTH.label}")
    wait_for_cookie(page, RETURN_COOKIE, present=False)  # used once


def test_admin_link_survives_the_oidc_login(stack: Stack, page: Page) -> None:
    query = {"team": "team-globex-19c2", "key_alias": "globex-web", "month": str(LAST_MONTH)}
    page.goto(f"{stack.app_url}/admin?{urlencode(query)}")
    wait_for_view(page, "LLM usage dashboard", kpis=False)
    wait_for_cookie(page, RETURN_COOKIE, present=True)
    sign_in_at_provider(page, stack, "demo-pat")
    page.wait_for_url(f"{stack.app_url}/admin?**", timeout=WAIT_MS)
    wait_for_view(page, f"Globex · globex-web - {LAST_MONTH.label}")
    assert dict(parse_qsl(urlsplit(page.url).query)) == query
    wait_for_cookie(page, RETURN_COOKIE, present=False)


def test_a_member_following_an_admin_link_gets_only_their_own_view(stack: Stack, page: Page) -> None:
    query = {"team": "team-globex-19c2", "month": str(LAST_MONTH)}
    page.goto(f"{stack.app_url}/admin?{urlencode(query)}")
    wait_for_view(page, "LLM usage dashboard", kpis=False)
    wait_for_cookie(page, RETURN_COOKIE, present=True)
    sign_in_at_provider(page, stack, "demo-alice")
    # The Admin page does not exist for a member: the link resumes on her default page, where the
    # team parameter is ignored with a notice and her own first tenant is shown.
    page.wait_for_url(f"{stack.app_url}/?tenant=acme-dev&month={LAST_MONTH}", timeout=WAIT_MS)
    wait_for_view(page, f"Acme Development - {LAST_MONTH.label}")
    assert "team-globex" not in page.locator('[data-testid="stMain"]').inner_text().replace("\u2060", "")


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The embedded demo with no login configured: the persona sign-in."""
    workdir = tmp_path_factory.mktemp("demo")
    secrets = workdir / "secrets.toml"
    secrets.write_text("# no [auth]: the embedded demo\n")
    app = start_streamlit(
        REPO / "app.py", port=free_port(), secrets=secrets, workdir=workdir, env=clean_env(workdir)
    )
    yield app
    app.stop()


def test_demo_persona_survives_a_reload_until_logout(demo_app: Service, page: Page) -> None:
    page.goto(demo_app.url)
    wait_for_view(page, "LLM usage dashboard", kpis=False)
    page.get_by_role("button", name="Continue as member").click()
    wait_for_view(page, f"Acme Development - {Month.current().label}")
    wait_for_cookie(page, PERSONA_COOKIE, present=True)
    page.reload()
    wait_for_view(page, f"Acme Development - {Month.current().label}")
    page.get_by_role("button", name="Log out").click()
    wait_for_view(page, "LLM usage dashboard", kpis=False)
    wait_for_cookie(page, PERSONA_COOKIE, present=False)
    page.reload()
    wait_for_view(page, "LLM usage dashboard", kpis=False)
    expect(page.get_by_role("button", name="Continue as member")).to_be_visible(timeout=WAIT_MS)


def test_demo_admin_link_is_resumed_after_choosing_a_persona(demo_app: Service, page: Page) -> None:
    query = {"team": "team-acme-7f3a", "month": str(LAST_MONTH)}
    page.goto(f"{demo_app.url}/admin?{urlencode(query)}")
    wait_for_view(page, "LLM usage dashboard", kpis=False)
    page.get_by_role("button", name="Continue as admin").click()
    page.wait_for_url(f"{demo_app.url}/admin?**", timeout=WAIT_MS)
    wait_for_view(page, f"Acme Corp - {LAST_MONTH.label}")
    assert cookie(page.context, RETURN_COOKIE) is None  # the demo's sign-in never leaves the app

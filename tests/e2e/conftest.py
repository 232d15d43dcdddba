"""Session fixtures: a real OIDC provider, `streamlit run app.py` behind it, and Debian Chromium."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from e2e_browser import APP_TIMEOUT_MS
from e2e_helpers import (
    LOOPBACK,
    REPO,
    Stack,
    clean_env,
    start_app_behind,
    start_oidc_provider,
)
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
# Flags that work in a sandboxed container with no network beyond loopback (DESIGN.md, tier 6).
# No host name resolves, so nothing but loopback addresses is ever reached (the provider's page
# links a CDN stylesheet). Unlike intercepting every request, this keeps the HTTP cache on, so a
# test's second and later page loads do not fetch and compile all of Streamlit's chunks again.
CHROMIUM_ARGS = [
    "--headless",
    f"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE {LOOPBACK}",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = REPO / "artifacts" / "screenshots"


@pytest.fixture(scope="session")
def personas() -> Mapping[str, Mapping[str, Any]]:
    """The demo's member, owner and admin ID-token claims."""
    from usage_core.demo import DEMO_PERSONAS

    assert {"member", "owner", "admin"} <= set(DEMO_PERSONAS)
    return DEMO_PERSONAS


@pytest.fixture(scope="session")
def stack(
    tmp_path_factory: pytest.TempPathFactory, personas: Mapping[str, Mapping[str, Any]]
) -> Iterator[Stack]:
    """oidc-provider-mock and `streamlit run app.py` (demo data, real login) on loopback."""
    workdir = tmp_path_factory.mktemp("e2e")
    env = clean_env(workdir)
    provider = start_oidc_provider(personas.values(), workdir=workdir, env=env)
    try:
        app, secrets = start_app_behind(provider, REPO / "app.py", workdir=workdir, env=env)
    except BaseException:
        provider.stop()
        raise
    try:
        yield Stack(app.url, provider.url, personas, app, provider, secrets)
    finally:
        app.stop()
        provider.stop()


@pytest.fixture(scope="session")
def playwright_session() -> Iterator[Playwright]:
    """One Playwright driver for the session."""
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_session: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless (Playwright's own browsers are never downloaded)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)")
    browser = playwright_session.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Browser, tmp_path: Path) -> Iterator[BrowserContext]:
    """A fresh browser profile per test: no cookies, so every test logs in itself."""
    context = browser.new_context(
        accept_downloads=True, viewport={"width": 1440, "height": 1000}, locale="en-US"
    )
    context.set_default_timeout(APP_TIMEOUT_MS)  # actions and navigations: the same bound as waits
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    """One tab in the fresh profile."""
    return context.new_page()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Where each persona's full-page screenshot goes (git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS

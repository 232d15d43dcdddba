"""The sign-in gate through AppTest: demo personas, OIDC login, fail closed, configuration errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from app_support import (
    ADMIN_PAGE,
    AUTH,
    MASTER_KEY,
    USAGE_PAGE,
    app,
    clean_env,
    demo_app,
    free_port,
    oidc_app,
    persona,
    plain,
    visible_text,
    write_tenants,
)
from streamlit.testing.v1 import AppTest


@pytest.fixture(autouse=True)
def _demo_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clean_env(monkeypatch)


def registered_pages(at: AppTest) -> set[str]:
    """The page scripts st.navigation registered for this user (others do not exist)."""
    pages = {USAGE_PAGE, ADMIN_PAGE}
    found = set()
    for page in pages:
        try:
            at.switch_page(page)
        except ValueError:
            continue
        found.add(page)
    at.switch_page(USAGE_PAGE) if USAGE_PAGE in found else None
    return found


def test_nothing_configured_offers_the_labelled_demo_sign_in() -> None:
    at = app().run()
    assert not at.exception
    text = visible_text(at)
    assert "embedded demo" in text and "demo data" in text
    assert [b.label for b in at.button] == ["Continue as member", "Continue as owner", "Continue as admin"]
    assert not list(at.metric) and not at.sidebar.selectbox


@pytest.mark.parametrize(("who", "name"), [("member", "Alice Member"), ("admin", "Pat Platform")])
def test_picking_a_persona_signs_in_and_logout_signs_out(who: str, name: str) -> None:
    at = app().run()
    at.button(key=f"persona_{who}").click().run()
    assert not at.exception
    assert name in visible_text(at) and at.title[0].value.endswith(" - " + at.title[0].value.split(" - ")[-1])
    assert list(at.metric)
    at.button(key="logout").click().run()
    assert "Continue as member" in visible_text(at) and not list(at.metric)
    assert dict(at.query_params) == {}


def test_an_unknown_persona_in_session_state_is_not_a_sign_in() -> None:
    at = demo_app("root").run()
    assert "Continue as member" in visible_text(at) and not list(at.metric)


def test_real_litellm_without_auth_fails_closed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env(
        monkeypatch,
        LITELLM_BASE_URL=f"http://127.0.0.1:{free_port()}",
        LITELLM_MASTER_KEY=MASTER_KEY,
        TENANTS_FILE=str(write_tenants(tmp_path / "tenants.yaml")),
    )
    at = demo_app("admin", tenant="acme-prod").run()  # a demo persona must not open the door
    assert not at.exception
    text = visible_text(at)
    assert "Login is not configured, so no usage data is shown." in text
    assert "[auth]" in text and "server_metadata_url" in text
    assert not list(at.metric) and "Acme" not in text and MASTER_KEY not in text
    assert registered_pages(at) == set()


def test_auth_configured_but_signed_out_shows_only_the_login_button() -> None:
    at = app(secrets={"auth": AUTH})
    at.user = {"is_logged_in": False}
    at.run()
    assert not at.exception
    assert [plain(b.label) for b in at.button] == ["Log in with login.example.test"]
    assert not list(at.metric) and "Continue as" not in visible_text(at)


def test_named_providers_get_one_button_each() -> None:
    shared = {k: AUTH[k] for k in ("redirect_uri", "cookie_secret")}
    provider = {k: AUTH[k] for k in ("client_id", "client_secret", "server_metadata_url")}
    at = app(secrets={"auth": {**shared, "okta": provider, "azure_ad": provider}})
    at.user = {"is_logged_in": False}
    at.run()
    assert [b.label for b in at.button] == ["Log in with Okta", "Log in with Azure Ad"]


def test_a_demo_persona_cannot_bypass_oidc_login() -> None:
    at = app(secrets={"auth": AUTH})
    at.user = {"is_logged_in": False}
    at.session_state["demo_persona"] = "admin"
    at.run()
    assert not list(at.metric) and "Log in with" in visible_text(at)


def test_oidc_claim_names_come_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    clean_env(monkeypatch, OIDC_ORG_CLAIM="https://example.com/org", OIDC_ROLES_CLAIM="groups")
    claims = {"sub": "o", "email": "o@globex.example", "https://example.com/org": "globex", "groups": "owner"}
    at = oidc_app(claims).run()
    assert not at.exception
    assert list(at.sidebar.selectbox(key="pick_tenant").options) == [
        "Globex Data",
        "Globex ML Lab",
        "Globex Web",
    ]
    # with the default claim names the same token carries no org: nothing to see
    clean_env(monkeypatch)
    at = oidc_app(claims).run()
    assert "No active tenant found for your organization" in visible_text(at)


def test_a_bad_configuration_gets_a_clear_page_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    clean_env(monkeypatch, LITELLM_BASE_URL="http://127.0.0.1:9")  # no master key
    at = oidc_app(persona("admin")).run()
    assert not at.exception
    (error,) = at.error
    assert plain(error.value).startswith("The dashboard is not configured correctly.")
    # nobody is signed in on this screen: the details go to the log under the reference shown
    text = visible_text(at)
    assert "LITELLM_MASTER_KEY" not in text and "127.0.0.1" not in text
    (line,) = [json.loads(r.getMessage()) for r in caplog.records if r.name == "usage_core.incidents"]
    assert f"Reference: {line['ref']}" in text
    assert "LITELLM_MASTER_KEY is required" in line["detail"]
    assert not list(at.metric)


def test_oidc_logout_returns_to_the_login_screen() -> None:
    at = oidc_app(persona("member")).run()
    assert list(at.metric)
    at.button(key="logout").click().run()
    assert at.user == {"is_logged_in": False}
    at.run()
    assert "Log in with" in visible_text(at) and not list(at.metric)

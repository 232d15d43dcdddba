"""Streamlit glue shared by app.py and the pages: settings, sign-in, cached data, error boxes."""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import streamlit as st

from usage_core import audit
from usage_core.access import Scope
from usage_core.config import Settings, load_settings
from usage_core.demo import DEMO_PERSONAS
from usage_core.errors import ConfigError, UpstreamError
from usage_core.identity import Role, User, user_from_claims
from usage_core.litellm import TeamSummary
from usage_core.months import Month
from usage_core.reports import TeamSnapshot
from usage_core.service import UsageService, build_service
from usage_core.tenants import Tenant

PERSONA_KEY = "demo_persona"
_AUDITED_KEY = "_admin_view_logged"
_SETTINGS_ENV = tuple(name.upper() for name in Settings.model_fields)

ROLE_LABEL = {Role.PLATFORM_ADMIN: "Platform admin", Role.OWNER: "Owner", Role.USER: "Member"}
PERSONA_BLURB = {
    "member": "A member of Acme: sees only the tenants she is assigned to.",
    "owner": "The owner of Globex: sees every Globex tenant, and company-wide totals.",
    "admin": "A platform admin: sees every organization and any LiteLLM team.",
}
AUTH_EXAMPLE = """\
[auth]
redirect_uri = "https://usage.example.com/oauth2callback"
cookie_secret = "a long random string shared by all replicas"
client_id = "usage-dashboard"
client_secret = "..."
server_metadata_url = "https://login.example.com/.well-known/openid-configuration"
"""


@dataclass(frozen=True)
class Session:
    """Who is signed in, how, and against which configuration."""

    settings: Settings
    user: User
    demo: bool
    via_oidc: bool


def page_setup() -> None:
    """Title, icon and wide layout; the first Streamlit call of every run."""
    st.set_page_config(page_title="LLM usage", page_icon=":material/monitoring:", layout="wide")


# -- configuration ---------------------------------------------------------------------------


@st.cache_resource(show_spinner=False)
def _settings_for(environment: tuple[tuple[str, str], ...]) -> Settings:
    return load_settings()


def settings() -> Settings:
    """The settings, read once per distinct environment; raises ConfigError."""
    environment = tuple((k, os.environ[k]) for k in sorted(os.environ) if k.upper() in _SETTINGS_ENV)
    return _settings_for(environment)


def auth_section() -> dict[str, Any] | None:
    """Streamlit's `[auth]` secrets section, or None when login is not configured."""
    try:
        if "auth" not in st.secrets:
            return None
        section = st.secrets["auth"]
    except FileNotFoundError:  # no secrets.toml at all
        return None
    return dict(section) if hasattr(section, "keys") else None


def login_providers(section: dict[str, Any]) -> list[tuple[str | None, str]]:
    """(provider for st.login, button label) for `[auth]` or each named `[auth.<name>]`."""
    named: list[tuple[str | None, str]] = [
        (name, name.replace("_", " ").title())
        for name, value in section.items()
        if hasattr(value, "keys") and name != "client_kwargs"
    ]
    if named:
        return named
    host = urlsplit(str(section.get("server_metadata_url", ""))).hostname
    return [(None, host or "single sign-on")]


# -- who is signed in ------------------------------------------------------------------------


def current_session() -> Session | Callable[[], None]:
    """The signed-in Session, or the screen to show instead (sign-in, fail closed, config error)."""
    try:
        config = settings()
    except ConfigError as problem:
        return functools.partial(_config_error_screen, str(problem))
    section = auth_section()
    if section is not None:
        info = st.user.to_dict()
        if not info.get("is_logged_in"):
            return functools.partial(_login_screen, section, config)
        user = user_from_claims(
            info,
            org_claim=config.oidc_org_claim,
            roles_claim=config.oidc_roles_claim,
            admin_role=config.platform_admin_role,
        )
        return Session(config, user, demo=config.demo, via_oidc=True)
    if not config.demo:
        return _fail_closed_screen
    persona = st.session_state.get(PERSONA_KEY)
    if persona not in DEMO_PERSONAS:
        return _persona_screen
    return Session(config, user_from_claims(DEMO_PERSONAS[persona]), demo=True, via_oidc=False)


def require_session() -> Session:
    """The Session, or stop this run (a page reached without signing in shows nothing)."""
    session = current_session()
    if not isinstance(session, Session):
        st.stop()
    assert isinstance(session, Session)
    return session


def logout(session: Session) -> None:
    """End the session: Streamlit's OIDC logout, or forget the demo persona."""
    if session.via_oidc:
        st.logout()
    else:
        st.session_state.pop(PERSONA_KEY, None)
        st.query_params.clear()
        st.rerun()


def sidebar_identity(session: Session) -> None:
    """Who is signed in, with Logout, at the top of the sidebar."""
    user = session.user
    with st.sidebar.container(border=True):
        st.markdown(f"**{user.name}**")
        details = [ROLE_LABEL[user.role]]
        if user.org:
            details.append(f"org `{user.org}`")
        st.caption(" · ".join(details))
        if session.demo and not session.via_oidc:
            st.caption(":material/science: Demo sign-in")
        if st.button("Log out", icon=":material/logout:", key="logout", width="stretch"):
            logout(session)


def _choose_persona(name: str) -> None:
    st.session_state[PERSONA_KEY] = name


def _persona_screen() -> None:
    st.title("LLM usage dashboard")
    st.badge("demo data", icon=":material/science:", color="gray")
    st.markdown(
        "This is the **embedded demo**: no LiteLLM proxy and no login provider are configured, so "
        "the numbers below are generated. Pick a persona to see the dashboard as that person would."
    )
    columns = st.columns(len(DEMO_PERSONAS))
    for column, (name, claims) in zip(columns, DEMO_PERSONAS.items(), strict=True):
        with column, st.container(border=True):
            st.subheader(str(claims.get("name", name)))
            st.caption(f"{name} · {claims.get('email', '')}")
            st.write(PERSONA_BLURB.get(name, ""))
            st.button(
                f"Continue as {name}",
                key=f"persona_{name}",
                type="primary",
                width="stretch",
                on_click=_choose_persona,
                args=(name,),
            )
    st.caption("Set LITELLM_BASE_URL and an [auth] section in .streamlit/secrets.toml to go live.")


def _login_screen(section: dict[str, Any], config: Settings) -> None:
    st.title("LLM usage dashboard")
    st.write("Sign in with your company account to see your organization's LLM usage.")
    for provider, label in login_providers(section):
        key = f"login_{provider or 'default'}"
        if st.button(f"Log in with {label}", key=key, type="primary", icon=":material/login:"):
            if provider is None:
                st.login()
            else:
                st.login(provider)
    if config.demo:
        st.caption("No LITELLM_BASE_URL is set: after signing in you will see demo data.")


def _fail_closed_screen() -> None:
    st.title("LLM usage dashboard")
    st.error(
        "Login is not configured, so no usage data is shown. A LiteLLM proxy is configured "
        "(LITELLM_BASE_URL), and its numbers are only shown to people who signed in.",
        icon=":material/lock:",
    )
    st.markdown(
        "Add an `[auth]` section to `.streamlit/secrets.toml` (see `.streamlit/secrets.example.toml`) "
        "pointing at your OpenID Connect provider, then restart the app:"
    )
    st.code(AUTH_EXAMPLE, language="toml")
    st.caption("The ID token must carry the org and roles claims (OIDC_ORG_CLAIM, OIDC_ROLES_CLAIM).")


def _config_error_screen(problem: str) -> None:
    st.title("LLM usage dashboard")
    st.error(f"The dashboard is not configured correctly: {problem}", icon=":material/settings:")
    st.caption("Fix the environment variables (see the README's configuration table) and restart.")


# -- data ------------------------------------------------------------------------------------


def _fingerprint(config: Settings) -> str:
    # The JSON masks the master key; a changed key means a restart in practice.
    return config.model_dump_json()


@st.cache_resource(show_spinner=False)
def _service_for(fingerprint: str, _config: Settings) -> UsageService:
    return build_service(_config)


def service(config: Settings) -> UsageService:
    """One UsageService per configuration, shared by every session of the process."""
    return _service_for(_fingerprint(config), config)


def _fetch_snapshot(fingerprint: str, team_id: str, month: str, _service: UsageService) -> TeamSnapshot:
    return _service.snapshot(team_id, Month.parse(month))


def _fetch_teams(fingerprint: str, _service: UsageService) -> list[TeamSummary]:
    return _service.teams()


def _fetch_key_aliases(fingerprint: str, team_id: str, _service: UsageService) -> list[str]:
    return _service.key_aliases(team_id)


def _cached(config: Settings, fn: Callable[..., Any]) -> Any:
    # Applied per call so the TTL comes from the settings; Streamlit keeps one cache per function.
    return st.cache_data(ttl=config.usage_cache_ttl_seconds, show_spinner=False)(fn)


def snapshot(config: Settings, team_id: str, month: Month) -> TeamSnapshot:
    """A team's month from LiteLLM, cached for the TTL and shared by all viewers of the team."""
    fetch = _cached(config, _fetch_snapshot)
    result: TeamSnapshot = fetch(_fingerprint(config), team_id, str(month), service(config))
    return result


def forget_snapshot(config: Settings, team_id: str, month: Month) -> None:
    """Drop one cached team-month so the next read goes to LiteLLM."""
    _cached(config, _fetch_snapshot).clear(_fingerprint(config), team_id, str(month), service(config))


def teams(config: Settings) -> list[TeamSummary]:
    """Every LiteLLM team, cached for the TTL."""
    result: list[TeamSummary] = _cached(config, _fetch_teams)(_fingerprint(config), service(config))
    return result


def key_aliases(config: Settings, team_id: str) -> list[str]:
    """A team's key aliases, cached for the TTL."""
    fetch = _cached(config, _fetch_key_aliases)
    result: list[str] = fetch(_fingerprint(config), team_id, service(config))
    return result


def tenants(config: Settings) -> Sequence[Tenant]:
    """Every tenant of the configured source (the source caches: file stamp, Kubernetes watch)."""
    return service(config).tenants()


# -- errors and audit ------------------------------------------------------------------------


def upstream_error(problem: UpstreamError, *, key: str) -> None:
    """A calm error box with Retry; the message is safe to show (no secrets, no traceback)."""
    with st.container(border=True):
        st.error("We could not load usage data right now.", icon=":material/cloud_off:")
        st.caption(str(problem))
        # Failures are never cached, so the rerun a click causes is the retry.
        st.button("Retry", key=key, icon=":material/refresh:")


@st.cache_resource(show_spinner=False)
def _audit_logger() -> logging.Logger:
    logger = audit.LOGGER
    logger.setLevel(logging.INFO)
    if not logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
    return logger


def audit_admin_view(session: Session, scope: Scope, month: Month) -> None:
    """Log a platform admin's view once per (scope, month) and session."""
    if not session.user.is_platform_admin:
        return
    seen = (scope, str(month))
    if st.session_state.get(_AUDITED_KEY) == seen:
        return
    audit.log_admin_view(session.user, scope, month, logger=_audit_logger())
    st.session_state[_AUDITED_KEY] = seen

"""Who is signed in: settings, the sign-in screens (OIDC, demo personas, fail closed), Logout."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from dashboard import return_to, text
from usage_core import incidents
from usage_core.config import Settings, load_settings
from usage_core.demo import DEMO_PERSONAS
from usage_core.errors import ConfigError
from usage_core.identity import Role, User, user_from_claims

PERSONA_KEY = "demo_persona"
PAGE_PATHS = (
    "usage",
    "admin",
    "org-overview",
    "platform-overview",
)  # every page's url path, the default first
_LOGGED_OUT = "_demo_logged_out"
_SETTINGS_ENV = tuple(name.upper() for name in Settings.model_fields)

PERSONA_BUTTON = {name: f"Continue as {name}" for name in DEMO_PERSONAS}
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


@st.cache_resource(show_spinner=False, max_entries=8)  # one per distinct environment
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
        # Nobody is signed in yet, so nobody may read the details: they go to the server log.
        incident = incidents.record(problem, where="settings")
        return functools.partial(_config_error_screen, incident)
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
            require_email_verified=config.require_email_verified,
        )
        return Session(config, user, demo=config.demo, via_oidc=True)
    if not config.demo:
        return _fail_closed_screen
    persona = st.session_state.get(PERSONA_KEY)
    if persona is None and not st.session_state.get(_LOGGED_OUT):
        persona = return_to.remembered_persona(DEMO_PERSONAS)  # the demo survives a reload
        st.session_state[PERSONA_KEY] = persona
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
        st.session_state[_LOGGED_OUT] = True
        st.query_params.clear()
        st.rerun()


def sidebar_identity(session: Session) -> None:
    """Who is signed in, with Logout, at the top of the sidebar."""
    user = session.user
    with st.sidebar.container(border=True):
        text.markdown("**{}**", user.name, limit=text.LABEL_CHARS)
        if user.org:
            text.caption("{} · org {}", ROLE_LABEL[user.role], user.org, limit=text.LABEL_CHARS)
        else:
            text.caption("{}", ROLE_LABEL[user.role])
        if session.demo and not session.via_oidc:
            text.caption(":material/science: Demo sign-in")
            return_to.keep_persona(st.session_state.get(PERSONA_KEY))
        if st.button("Log out", icon=":material/logout:", key="logout", width="stretch"):
            logout(session)


def _choose_persona(name: str) -> None:
    st.session_state[PERSONA_KEY] = name


def sign_in_pages(screen: Callable[[], None], paths: Sequence[str]) -> list[StreamlitPage]:
    """The sign-in screen under every page's path, so it knows which view a link asked for."""
    return [
        st.Page(
            functools.partial(_sign_in, screen, path, paths),
            title="Sign in",
            url_path=path,
            default=index == 0,
        )
        for index, path in enumerate(paths)
    ]


def _sign_in(screen: Callable[[], None], path: str, paths: Sequence[str]) -> None:
    screen()
    return_to.remember(path, paths, across_redirect=auth_section() is not None)


def resume(pages: Mapping[str, StreamlitPage], current: StreamlitPage) -> None:
    """Right after sign-in, switch once to the view the signed-out link asked for.

    Only from the bare landing (the default page, no query), where the identity provider returns:
    a link opened in a new tab or reload names its view itself and must not be replaced by a return
    cookie the browser has not dropped yet.
    """
    link = return_to.pending(list(pages))
    default = next(iter(pages.values()))
    landing = current.url_path == default.url_path and not st.query_params.to_dict()
    if link is None or not landing:
        return
    target = pages.get(link.page, default)
    if target.url_path != default.url_path or link.params:  # the landing itself needs no second run
        st.switch_page(target, query_params=link.query)


def _persona_screen() -> None:
    if st.session_state.get(_LOGGED_OUT):
        return_to.keep_persona(None)
    text.title("LLM usage dashboard")
    text.badge("demo data", icon=":material/science:", color="gray")
    text.markdown(
        "This is the **embedded demo**: no LiteLLM proxy and no login provider are configured, so "
        "the numbers below are generated. Pick a persona to see the dashboard as that person would."
    )
    columns = st.columns(len(DEMO_PERSONAS))
    for column, (name, claims) in zip(columns, DEMO_PERSONAS.items(), strict=True):
        with column, st.container(border=True):
            text.subheader("{}", claims.get("name", name))
            text.caption("{} · {}", name, claims.get("email", ""))
            text.markdown("{}", PERSONA_BLURB.get(name, ""))
            st.button(
                PERSONA_BUTTON[name],
                key=f"persona_{name}",
                type="primary",
                width="stretch",
                on_click=_choose_persona,
                args=(name,),
            )
    text.caption("Set `LITELLM_BASE_URL` and an `[auth]` section in `.streamlit/secrets.toml` to go live.")


def _login_screen(section: dict[str, Any], config: Settings) -> None:
    text.title("LLM usage dashboard")
    text.markdown("Sign in with your company account to see your organization's LLM usage.")
    for provider, label in login_providers(section):
        key = f"login_{provider or 'default'}"
        # The provider's name comes from the secrets (or its host): shown as text, not Markdown.
        if st.button(text.md("Log in with {}", label), key=key, type="primary", icon=":material/login:"):
            if provider is None:
                st.login()
            else:
                st.login(provider)
    if config.demo:
        text.caption("No `LITELLM_BASE_URL` is set: after signing in you will see demo data.")


def _fail_closed_screen() -> None:
    text.title("LLM usage dashboard")
    text.error(
        "Login is not configured, so no usage data is shown. A LiteLLM proxy is configured "
        "(`LITELLM_BASE_URL`), and its numbers are only shown to people who signed in.",
        icon=":material/lock:",
    )
    text.markdown(
        "Add an `[auth]` section to `.streamlit/secrets.toml` (see `.streamlit/secrets.example.toml`) "
        "pointing at your OpenID Connect provider, then restart the app:"
    )
    st.code(AUTH_EXAMPLE, language="toml")
    text.caption("The ID token must carry the org and roles claims (`OIDC_ORG_CLAIM`, `OIDC_ROLES_CLAIM`).")


def _config_error_screen(incident: incidents.Incident) -> None:
    text.title("LLM usage dashboard")
    text.error("{}", incident.public, icon=":material/settings:")
    text.caption("Reference: {}", incident.reference)
    text.caption("Operators: the server log has the details under this reference.")

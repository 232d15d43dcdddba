"""Helpers for the AppTest suites: a clean environment, signed-in users, a loopback LiteLLM."""

from __future__ import annotations

import contextlib
import re
import socket
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from streamlit.runtime.memory_media_file_storage import _calculate_file_id
from streamlit.testing.v1 import AppTest

from dashboard.below_fold import DRAWN_KEY
from tests.demo_server import serve
from usage_core.config import Settings
from usage_core.demo import DEMO_PERSONAS, DEMO_TENANTS, DemoLiteLLM
from usage_core.tenants import Tenant

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
ADMIN_PAGE = str(ROOT / "views" / "admin.py")
USAGE_PAGE = str(ROOT / "views" / "usage.py")
MASTER_KEY = "sk-never-shown-7"
AUTH = {
    "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
    "cookie_secret": "test-cookie-secret",
    "client_id": "usage-dashboard",
    "client_secret": "test-client-secret",
    "server_metadata_url": "http://login.example.test/.well-known/openid-configuration",
}
SETTINGS_ENV = [name.upper() for name in Settings.model_fields]


def clean_env(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    """Unset every setting of the contract, then set `env` (names in upper case)."""
    for name in SETTINGS_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def app(
    *,
    secrets: Mapping[str, Any] | None = None,
    query: Mapping[str, str] | None = None,
    top_drawn: bool = True,
) -> AppTest:
    """An AppTest of app.py; `secrets` replaces st.secrets (never the developer's secrets.toml).

    AppTest runs no browser, so nothing reports a drawn page top (dashboard/below_fold.py): with
    `top_drawn` the session starts as one whose browser already did, and a report is drawn whole.
    """
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.secrets = dict(secrets) if secrets else {"unrelated": "no [auth] here"}
    at.query_params.update(query or {})
    if top_drawn:
        at.session_state[DRAWN_KEY] = True
    return at


def demo_app(persona: str, *, top_drawn: bool = True, **query: str) -> AppTest:
    """The embedded demo, signed in through the demo persona picker."""
    at = app(query=query, top_drawn=top_drawn)
    at.session_state["demo_persona"] = persona
    return at


def oidc_app(claims: Mapping[str, Any], *, top_drawn: bool = True, **query: str) -> AppTest:
    """`[auth]` configured and `claims` logged in, as st.login leaves them in st.user."""
    at = app(secrets={"auth": AUTH}, query=query, top_drawn=top_drawn)
    at.user = {"is_logged_in": True, **claims}
    return at


def persona(name: str) -> dict[str, Any]:
    """A demo persona's ID-token claims."""
    return dict(DEMO_PERSONAS[name])


def tenant_names(org: str | None = None) -> list[str]:
    """Demo tenant display names, optionally of one org."""
    return [t.display_name for t in DEMO_TENANTS if org is None or t.org_id == org]


def write_tenants(path: Path, tenants: tuple[Tenant, ...] = DEMO_TENANTS) -> Path:
    """A tenants file in DESIGN.md's shape."""
    items = [
        {
            "apiVersion": "platform.example.com/v1alpha1",
            "kind": "Tenant",
            "metadata": {"name": t.name},
            "spec": {"orgId": t.org_id, "displayName": t.display_name, "users": list(t.users)},
            "status": {"litellmTeamId": t.team_id, "litellmKeyAlias": t.key_alias},
        }
        for t in tenants
    ]
    path.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items}))
    return path


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def loopback_litellm(handler: Any | None = None) -> Iterator[str]:
    """Serve a LiteLLM-compatible handler (default: the demo emulator) over real HTTP on loopback."""
    with serve(handler or DemoLiteLLM(master_key=MASTER_KEY)) as url:
        yield url


def page_text(at: AppTest) -> str:
    """Every text-bearing element of the last run, joined (to assert what is and is not shown)."""
    parts: list[str] = []
    for kind in ("title", "subheader", "markdown", "caption", "info", "warning", "error", "success", "code"):
        parts.extend(str(e.value) for e in at.get(kind))
    parts.extend(f"{m.label} {m.value}" for m in at.metric)
    parts.extend(str(b.label) for b in at.button)
    return "\n".join(parts)


def download_matches(at: AppTest, data: bytes, file_name: str) -> bool:
    """Whether the Download CSV button serves exactly `data` as `file_name`.

    Streamlit names an in-memory download by a hash of its bytes, MIME type and file name, so an
    equal id means equal bytes.
    """
    (button,) = at.get("download_button")
    expected = _calculate_file_id(data, "text/csv", file_name)
    return bool(button.proto.url.endswith(f"/{expected}.csv"))


_MARKDOWN_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def plain(markdown: str) -> str:
    """How Markdown made literal reads on screen: backslash escapes and word joiners removed."""
    return _MARKDOWN_ESCAPE.sub(r"\1", markdown).replace("\u2060", "")


def visible_text(at: AppTest) -> str:
    """`page_text` as a person reads it (outside text is escaped in the Markdown source)."""
    return plain(page_text(at))

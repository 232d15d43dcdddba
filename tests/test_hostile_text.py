"""Hostile text from every source, through AppTest, into every element: shown as text, never as markup.

Sources: URL parameters (tenant, month, and an admin's team and key_alias), a tenant's name, display
name, org and users (a tenants file), LiteLLM's team alias, key alias and model names (the emulator
over loopback HTTP, with custom data), and identity claims (name, email, org, roles).

For every element of every run: a Markdown source holds no live piece of any payload (escaped pairs
taken out, LIVE_TOKENS must not appear) and no control character; plain-text elements (options,
table cells) hold no control character and no formula; plotly figures hold no outside text at all.
Where a source is shown, its marker is visible, and a direct argument arrives as exactly
`markdown_literal(shorten(payload, limit))`. Where a source must not be shown, its marker is absent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from app_support import ADMIN_PAGE, MASTER_KEY, clean_env, loopback_litellm, oidc_app, plain
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import (
    AlertBase,
    Block,
    Button,
    ButtonGroup,
    Dataframe,
    DownloadButton,
    Expander,
    HeadingBase,
    Html,
    Markdown,
    Metric,
    Selectbox,
    Toast,
    Toggle,
    UnknownElement,
)

from dashboard.text import LABEL_CHARS, LINE_CHARS, TITLE_CHARS, TOOLTIP_CHARS
from tests.hostile_corpus import CONTROL, KINDS, LIVE_TOKENS, payload
from usage_core.demo import DemoKey, DemoLiteLLM, DemoModel, DemoTeam
from usage_core.months import Month
from usage_core.plaintext import csv_cell, markdown_literal, shorten

pytestmark = pytest.mark.timeout(600)

# source -> marker (letters only; each names where the text came from)
URL_TENANT, URL_MONTH, URL_TEAM, URL_KEY = "hxUrlTenant", "hxUrlMonth", "hxUrlTeam", "hxUrlKey"
TENANT_NAME, TENANT_DISPLAY, TENANT_ORG, TENANT_USER = "hxTenName", "hxTenDisplay", "hxTenOrg", "hxTenUser"
TEAM_ALIAS, KEY_ALIAS, MODEL = "hxTeamAlias", "hxKeyAlias", "hxModel"
ID_NAME, ID_EMAIL, ID_ROLE = "hxIdName", "hxIdEmail", "hxIdRole"
ALL_MARKERS = (
    URL_TENANT, URL_MONTH, URL_TEAM, URL_KEY, TENANT_NAME, TENANT_DISPLAY, TENANT_ORG, TENANT_USER,
    TEAM_ALIAS, KEY_ALIAS, MODEL, ID_NAME, ID_EMAIL, ID_ROLE,
)  # fmt: skip
TEAM_ID = "team-hx"
ADMIN = {"sub": "hx-admin", "email": "pat@platform.example", "name": "Pat", "org_id": "platform",
         "roles": ["platform-admin"]}  # fmt: skip
_ESCAPED = re.compile(r"\\[!-/:-@\[-`{-~]")
# st.badge's own directive around our label: `:<colour>-badge[<icon> <label>]`
_BADGE = re.compile(r":[a-z]+-badge\[(?::material/[a-z_]+: )?(.*)\]", re.DOTALL)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clean_env(monkeypatch)


# -- what a run showed -----------------------------------------------------------------------


@dataclass
class Shown:
    """Every string one AppTest run put on screen, by how Streamlit reads it."""

    markdown: list[tuple[str, str]] = field(default_factory=list)  # (element, Markdown source)
    plain: list[tuple[str, str]] = field(default_factory=list)  # (element, plain text)
    cells: list[str] = field(default_factory=list)  # text cells of tables
    figures: list[str] = field(default_factory=list)  # plotly figure JSON
    html: list[str] = field(default_factory=list)  # raw HTML (the return-to cookie script)

    def visible(self, element: str) -> list[str]:
        """How each string of one kind of element reads on screen."""
        found = [plain(text) for kind, text in self.markdown if kind == element]
        return found + [text for kind, text in self.plain if kind == element]

    def everything(self) -> str:
        return "\n".join([*(plain(t) for _, t in self.markdown), *(t for _, t in self.plain), *self.cells])


# Elements whose strings this file knows how Streamlit renders; a new kind must be added here first.
_NO_TEXT = {"plotly_chart", "empty", "code"}


def shown(at: AppTest) -> Shown:
    """Walk the element tree of the last run."""
    result = Shown()
    unknown: set[str] = set()

    def add(kind: str, *texts: str | None) -> None:
        result.markdown.extend((kind, t) for t in texts if t)

    def walk(node: Any) -> None:
        if isinstance(node, Expander):
            add("expander", node.label)
        if isinstance(node, Block):
            for child in node.children.values():
                walk(child)
            return
        if isinstance(node, HeadingBase):
            add(node.type, node.value, node.proto.help)
        elif isinstance(node, Markdown):  # markdown, caption, and badges (a Markdown directive)
            badge = _BADGE.fullmatch(node.value)
            add("badge", badge.group(1)) if badge else add(node.type, node.value)
        elif isinstance(node, AlertBase):
            add("alert", node.value)
        elif isinstance(node, Toast):
            add("toast", node.value)
        elif isinstance(node, Metric):
            add("metric", node.label, node.proto.help)
        elif isinstance(node, (Button, DownloadButton)):
            add("button", node.label, node.help)
        elif isinstance(node, Selectbox):
            add("widget label", node.label, node.help, node.placeholder)
            result.plain.extend(("option", str(o)) for o in node.options)
        elif isinstance(node, Toggle):
            add("widget label", node.label, node.help)
        elif isinstance(node, ButtonGroup):
            add("widget label", node.label)
            result.plain.extend(("option", str(o)) for o in node.options)
        elif isinstance(node, Dataframe):
            frame = node.value
            for column in frame.columns:
                result.cells.extend(v for v in frame[column] if isinstance(v, str))
        elif isinstance(node, UnknownElement) and node.type == "plotly_chart":
            result.figures.append(node.proto.spec)
        elif isinstance(node, Html):
            result.html.append(node.proto.body)
        elif node.type not in _NO_TEXT:
            unknown.add(node.type)

    walk(at._tree)
    assert not unknown, f"element kinds with no hostile-text check yet: {sorted(unknown)}"
    return result


def assert_inert(screen: Shown) -> None:
    """No payload is live anywhere; nothing is unbounded; no control character; no formula cell."""
    for element, source in screen.markdown:
        residue = _ESCAPED.sub("\ufffd", source).replace("\u2060", "")
        live = [token for token in LIVE_TOKENS if token in residue]
        assert not live, f"{element} renders {live} as Markdown: {source[:200]!r}"
        assert not CONTROL.search(source), f"{element} holds a control character: {source[:200]!r}"
        assert len(plain(source)) <= TOOLTIP_CHARS + 200, f"{element} is not shortened"
    for element, text in screen.plain:
        assert not CONTROL.search(text), f"{element} holds a control character: {text[:200]!r}"
        assert len(text) <= 2 * LABEL_CHARS + 20, f"{element} is not shortened"
    for cell in screen.cells:
        assert not CONTROL.search(cell) and not cell.startswith(("=", "+", "-", "@")), cell[:200]
    for figure in screen.figures:
        assert not any(marker in figure for marker in ALL_MARKERS), "outside text reached a chart"
    for body in screen.html:
        assert not any(marker in body for marker in ALL_MARKERS), "outside text reached raw HTML"


def visible_in(screen: Shown, element: str, marker: str) -> bool:
    return any(marker in text for text in screen.visible(element))


# -- the hostile world: a tenants file and a LiteLLM emulator ----------------------------------


def hostile_team(kind: str) -> DemoTeam:
    """A LiteLLM team whose alias, one key alias and one model name are hostile."""
    return DemoTeam(
        TEAM_ID,
        payload(kind, TEAM_ALIAS),
        (DemoKey(payload(kind, KEY_ALIAS), 0.7, max_budget_ratio=1.5), DemoKey("plain-key", 0.3)),
        daily_requests=120,
        budget_ratio=1.2,
        rpm_limit=60,
        tpm_limit=100_000,
        models=(
            DemoModel(payload(kind, MODEL), 0.6, 1e-6, 2e-6, 400, 100),
            DemoModel("plain/model", 0.4, 1e-6, 2e-6, 400, 100),
        ),
    )


def tenants_json(kind: str) -> list[dict[str, Any]]:
    """The member's two tenants: one hostile in every field, one plain (sorted after it)."""

    def tenant(name: str, display: str, users: list[str], alias: str) -> dict[str, Any]:
        return {
            "apiVersion": "platform.example.com/v1alpha1",
            "kind": "Tenant",
            "metadata": {"name": name},
            "spec": {"orgId": payload(kind, TENANT_ORG), "displayName": display, "users": users},
            "status": {"litellmTeamId": TEAM_ID, "litellmKeyAlias": alias},
        }

    hostile_users = ["hx-member", payload(kind, TENANT_USER)]
    return [
        tenant(
            payload(kind, TENANT_NAME), payload(kind, TENANT_DISPLAY), hostile_users, payload(kind, KEY_ALIAS)
        ),
        tenant("zz-plain", "zz Plain tenant", ["hx-member"], "plain-key"),
    ]


def member(kind: str) -> dict[str, Any]:
    return {
        "sub": "hx-member",
        "email": payload(kind, ID_EMAIL),
        "name": payload(kind, ID_NAME),
        "org_id": payload(kind, TENANT_ORG),
        "roles": ["user", payload(kind, ID_ROLE)],
    }


@pytest.fixture
def hostile_world(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[str]:
    kind: str = request.param
    path = tmp_path / "tenants.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": tenants_json(kind)}))
    with loopback_litellm(DemoLiteLLM(teams=(hostile_team(kind),), master_key=MASTER_KEY)) as url:
        clean_env(monkeypatch, LITELLM_BASE_URL=url, LITELLM_MASTER_KEY=MASTER_KEY, TENANTS_FILE=str(path))
        yield kind


def ran(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def admin_page(**query: str) -> AppTest:
    at = ran(oidc_app(ADMIN).run())
    at.query_params.clear()
    at.query_params.update(query)
    return ran(at.switch_page(ADMIN_PAGE).run())


def literal(text: str, limit: int) -> str:
    return markdown_literal(shorten(text, limit))


KIND_IDS = list(KINDS)


@pytest.mark.parametrize("hostile_world", KIND_IDS, indirect=True)
def test_a_member_sees_hostile_url_tenant_litellm_and_identity_text_as_text(hostile_world: str) -> None:
    kind = hostile_world
    url = {
        "tenant": payload(kind, URL_TENANT),
        "month": payload(kind, URL_MONTH),
        "team": payload(kind, URL_TEAM),
    }
    at = ran(oidc_app(member(kind), **url).run())
    screen = shown(at)
    assert_inert(screen)
    display, label = payload(kind, TENANT_DISPLAY), Month.current().label
    # the title is the tenant's display name, shortened, made literal; its longer form is the tooltip
    (heading,) = at.title
    assert heading.value == f"{literal(display, TITLE_CHARS)} - {label}"
    assert heading.proto.help in ("", f"{literal(display, TOOLTIP_CHARS // 2)} - {label}")
    assert screen.visible("option").count(shorten(display, LABEL_CHARS)) == 1  # the tenant picker
    # the URL's tenant and month come back quoted in warnings, as text
    assert visible_in(screen, "alert", URL_TENANT)
    assert visible_in(screen, "alert", TENANT_DISPLAY)  # "... Showing <display name> instead."
    if URL_MONTH in payload(kind, URL_MONTH)[:20]:  # the month message quotes 20 characters
        assert visible_in(screen, "alert", URL_MONTH)
    assert visible_in(screen, "caption", TENANT_NAME) and visible_in(screen, "caption", TENANT_ORG)
    name, org = payload(kind, TENANT_NAME), payload(kind, TENANT_ORG)
    assert ("caption", f"{literal(name, LABEL_CHARS)} · org {literal(org, LABEL_CHARS)}") in screen.markdown
    # who is signed in: the name claim in bold, the org claim in small print
    assert f"**{literal(payload(kind, ID_NAME), LABEL_CHARS)}**" in [t for _, t in screen.markdown]
    # the model table: cleaned, and never a formula for the toolbar's CSV
    assert csv_cell(shorten(payload(kind, MODEL), 10**6)) in screen.cells
    # never shown to a member: her email and roles, the tenant's users, an admin-only team parameter
    everything = screen.everything()
    for hidden in (ID_EMAIL, ID_ROLE, TENANT_USER, URL_TEAM, TEAM_ALIAS):
        assert hidden not in everything, hidden


@pytest.mark.parametrize("hostile_world", KIND_IDS, indirect=True)
def test_an_admin_sees_hostile_team_and_key_alias_parameters_and_aliases_as_text(hostile_world: str) -> None:
    kind = hostile_world
    key = payload(kind, URL_KEY)
    at = admin_page(team=TEAM_ID, key_alias=key, month=payload(kind, URL_MONTH))
    screen = shown(at)
    assert_inert(screen)
    team_alias = payload(kind, TEAM_ALIAS)
    (heading,) = at.title
    assert heading.value.endswith(f" - {Month.current().label}")
    assert TEAM_ALIAS in plain(heading.value) and (URL_KEY in plain(heading.value) or kind == "long")
    assert visible_in(screen, "alert", TEAM_ALIAS) and visible_in(screen, "alert", URL_KEY)  # the banner
    options = screen.visible("option")
    assert f"{shorten(team_alias, LABEL_CHARS)} ({TEAM_ID})" in options  # the team picker
    assert shorten(key, LABEL_CHARS) in options  # the linked key alias, added to the picker
    assert shorten(payload(kind, KEY_ALIAS), LABEL_CHARS) in options  # LiteLLM's own key alias


@pytest.mark.parametrize("hostile_world", KIND_IDS, indirect=True)
def test_an_admins_link_to_a_hostile_unknown_team_is_shown_as_text(hostile_world: str) -> None:
    kind = hostile_world
    team = payload(kind, URL_TEAM)
    at = ran(oidc_app(ADMIN, team=team).run())
    screen = shown(at)
    assert_inert(screen)
    (heading,) = at.title
    assert URL_TEAM in plain(heading.value)
    # "team not found": the requested id, literal
    assert f"LiteLLM has no team {literal(team, LINE_CHARS)}." in [w.value for w in at.warning]
    assert not list(at.metric)


@pytest.mark.parametrize("hostile_world", KIND_IDS, indirect=True)
def test_an_admin_sees_hostile_tenant_fields_and_tenant_parameter_as_text(hostile_world: str) -> None:
    kind = hostile_world
    at = admin_page(tenant=payload(kind, URL_TENANT))
    screen = shown(at)
    assert_inert(screen)
    display = payload(kind, TENANT_DISPLAY)
    (heading,) = at.title
    assert heading.value == f"{literal(display, TITLE_CHARS)} - {Month.current().label}"
    assert visible_in(screen, "alert", URL_TENANT)  # not found: quoted as text
    assert visible_in(screen, "alert", TENANT_DISPLAY)  # "Showing ... instead" and the admin banner
    org = payload(kind, TENANT_ORG)
    assert f"{shorten(display, LABEL_CHARS)} · {shorten(org, LABEL_CHARS)}" in screen.visible("option")
    assert any(MODEL in cell for cell in screen.cells)


# -- each element, straight from the text module -------------------------------------------------


def _every_element(value: str) -> None:
    """Every dashboard.text element with `value` as its outside text (an AppTest script)."""
    import pandas as pd
    import streamlit as st

    from dashboard import text

    text.title("{}", value)
    text.subheader("{}", value)
    text.markdown("{}", value)
    text.caption("{}", value)
    text.info("{}", value)
    text.warning("{}", value)
    text.error("{}", value)
    text.success("{}", value)
    text.toast("{}", value)
    text.metric("Spend", "$1.00", help=text.md("Exactly {}", value))
    text.badge(value)
    with text.expander("{}", value):
        st.button(text.md("{}", value), key="button")
    st.selectbox("Pick", [value], format_func=lambda v: text.option("{}", v), key="pick")
    text.table(pd.DataFrame({"model": [value], "n": [1]}), text_columns=("model",))


@pytest.mark.parametrize("kind", KIND_IDS)
def test_every_element_shows_outside_text_in_its_verified_literal_form(kind: str) -> None:
    value = payload(kind, "hxElement")
    at = ran(AppTest.from_function(_every_element, args=(value,), default_timeout=30).run())
    screen = shown(at)
    assert_inert(screen)
    line, title = literal(value, LINE_CHARS), literal(value, TITLE_CHARS)
    tooltip = literal(value, TOOLTIP_CHARS) if title != literal(value, TOOLTIP_CHARS) else ""  # one argument
    assert (at.title[0].value, at.title[0].proto.help) == (title, tooltip)
    assert (at.subheader[0].value, at.subheader[0].proto.help) == (title, tooltip)
    assert [m.value for m in at.markdown if not _BADGE.fullmatch(m.value)] == [line]
    assert [c.value for c in at.caption] == [line]
    for alerts in (at.info, at.warning, at.error, at.success):
        assert [a.value for a in alerts] == [line]
    assert [t.value for t in at.toast] == [line]
    (metric,) = at.metric
    assert (metric.label, metric.proto.help) == ("Spend", f"Exactly {line}")
    # st.badge escapes '[' and ']' itself: its directive then holds exactly the literal form
    assert [m.value for m in at.markdown if _BADGE.fullmatch(m.value)] == [
        f":blue-badge[{literal(value, LABEL_CHARS)}]"
    ]
    assert [e.label for e in at.expander] == [title]
    assert [b.label for b in at.button] == [line]
    assert list(at.selectbox(key="pick").options) == [shorten(value, LABEL_CHARS)]
    assert screen.cells == [csv_cell(shorten(value, 10**6))]
    assert "hxElement" in plain(at.title[0].value)  # the text itself is still there

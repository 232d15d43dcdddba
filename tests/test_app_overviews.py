"""The org and platform overviews through AppTest: who has them, what they list, their numbers, CSV, audit."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
from app_support import (
    ADMIN_PAGE,
    MASTER_KEY,
    ROOT,
    USAGE_PAGE,
    clean_env,
    demo_app,
    download_matches,
    free_port,
    loopback_litellm,
    oidc_app,
    persona,
    plain,
    visible_text,
    write_tenants,
)
from streamlit.testing.v1 import AppTest

from dashboard import signin
from dashboard.text import LABEL_CHARS, cell
from tests.hostile_corpus import CONTROL, KINDS, LIVE_TOKENS, payload
from usage_core.access import Scope
from usage_core.config import Settings
from usage_core.demo import DEMO_TEAMS, DEMO_TENANTS, DemoKey, DemoLiteLLM, DemoTeam
from usage_core.identity import user_from_claims
from usage_core.months import Month
from usage_core.overview_table import NOT_AVAILABLE, PLATFORM_SORTS, delta_text, risk_label
from usage_core.plaintext import shorten
from usage_core.reports import build_report
from usage_core.service import build_service
from usage_core.tenants import Tenant

pytestmark = pytest.mark.timeout(900)

ORG_PAGE = str(ROOT / "views" / "org_overview.py")
PLATFORM_PAGE = str(ROOT / "views" / "platform_overview.py")
ALL_PAGES = (USAGE_PAGE, ORG_PAGE, PLATFORM_PAGE, ADMIN_PAGE)
THIS_MONTH = Month.current()
LAST_MONTH = THIS_MONTH.previous()
_ESCAPED = re.compile(r"\\[!-/:-@\[-`{-~]")


@pytest.fixture(autouse=True)
def _demo_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clean_env(monkeypatch)


@pytest.fixture
def audit_lines(caplog: pytest.LogCaptureFixture) -> Any:
    """The audit records logged so far (call it), parsed; each must be one JSON line."""
    caplog.set_level(logging.INFO, logger="usage_core.audit")

    def lines() -> list[dict[str, Any]]:
        records = [r.getMessage() for r in caplog.records if r.name == "usage_core.audit"]
        assert all("\n" not in r for r in records)
        return [json.loads(r) for r in records]

    return lines


def open_page(at: AppTest, page: str, **query: str) -> AppTest:
    """Sign in (first run), then open `page` with `query` in the URL."""
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.query_params.clear()
    at.query_params.update(query)
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def pages_of(at: AppTest) -> set[str]:
    """The pages st.navigation registered for this user (switching to any other fails)."""
    found = set()
    for page in ALL_PAGES:
        try:
            at.switch_page(page)
        except ValueError:
            continue
        found.add(page)
    return found


def table(at: AppTest) -> pd.DataFrame:
    """The one table of the page, as the browser receives it."""
    (frame,) = at.dataframe
    value: pd.DataFrame = frame.value
    return value


def report_of(tenant: Tenant, month: Month) -> Any:
    """The tenant's own report, read independently of the app (a fresh service)."""
    assert tenant.team_id and tenant.key_alias
    service = build_service(Settings())
    scope = Scope(tenant.team_id, tenant.key_alias, tenant.display_name, tenant.name)
    previous = service.client.team_usage(tenant.team_id, month.previous())
    return build_report(scope, month, service.snapshot(tenant.team_id, month), previous=previous)


# -- who has which overview ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("member", {USAGE_PAGE, ORG_PAGE}),  # Alice sees two tenants
        ("owner", {USAGE_PAGE, ORG_PAGE}),
        ("admin", {USAGE_PAGE, PLATFORM_PAGE, ADMIN_PAGE}),
    ],
)
def test_each_persona_has_exactly_its_pages(who: str, expected: set[str]) -> None:
    for at in (demo_app(who), oidc_app(persona(who))):
        at.run()
        assert not at.exception
        assert pages_of(at) == expected


def test_a_member_of_one_tenant_has_no_org_overview_and_a_member_of_two_sees_only_those(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bob = {"sub": "demo-bob", "email": "bob@acme.example", "name": "Bob", "org_id": "acme", "roles": ["user"]}
    one = tuple(t for t in DEMO_TENANTS if t.name != "acme-prod-eu")  # Bob is listed on acme-prod only
    clean_env(monkeypatch, TENANTS_FILE=str(write_tenants(tmp_path / "one.yaml", one)))
    at = oidc_app(bob).run()
    assert pages_of(at) == {USAGE_PAGE}

    clean_env(monkeypatch, TENANTS_FILE=str(write_tenants(tmp_path / "all.yaml")))
    at = open_page(oidc_app(bob), ORG_PAGE, month=str(LAST_MONTH))
    assert sorted(table(at)["tenant"]) == ["acme-prod", "acme-prod-eu"]
    assert plain(at.title[0].value) == f"Your tenants - {LAST_MONTH.label}"


def test_every_overview_page_path_survives_sign_in() -> None:
    assert signin.PAGE_PATHS[0] == "usage"
    assert {"org-overview", "platform-overview", "admin"} <= set(signin.PAGE_PATHS)


# -- the org overview ----------------------------------------------------------------------------


def test_an_owner_sees_exactly_her_orgs_tenants_each_with_its_own_reports_numbers() -> None:
    at = open_page(demo_app("owner"), ORG_PAGE, month=str(LAST_MONTH))
    assert plain(at.title[0].value) == f"Organization overview - {LAST_MONTH.label}"
    frame = table(at)
    globex = [t for t in DEMO_TENANTS if t.org_id == "globex"]
    assert sorted(frame["tenant"]) == sorted(t.name for t in globex)
    for tenant in globex:
        (line,) = frame[frame["tenant"] == tenant.name].to_dict("records")
        assert line["open"] == f"/?tenant={tenant.name}&month={LAST_MONTH}"
        assert line["display_name"] == tenant.display_name
        if tenant.key_alias is None:  # no key of its own yet: no figures, never the team's
            assert pd.isna(line["spend"]) and line["change"] == NOT_AVAILABLE
            continue
        report = report_of(tenant, LAST_MONTH)
        team = build_report(
            Scope(tenant.team_id or "", None, "team"),
            LAST_MONTH,
            build_service(Settings()).snapshot(tenant.team_id or "", LAST_MONTH),
        )
        assert line["spend"] == report.totals.spend
        assert line["tokens"] == report.totals.total_tokens
        assert line["requests"] == report.totals.requests
        assert line["failed_share"] == report.totals.failed_requests / report.totals.requests
        assert line["company_share"] == pytest.approx(report.totals.spend / team.totals.spend)
        assert line["change"] == delta_text(report.deltas().spend)
        assert list(line["daily_spend"]) == [r.metrics.spend for r in report.daily]
    shown = visible_text(at) + "\n" + frame.to_csv()
    for other in (t for t in DEMO_TENANTS if t.org_id != "globex"):
        assert other.name not in shown and other.display_name not in shown
    assert "Acme" not in shown and "Initech" not in shown


def test_a_member_sees_only_her_own_tenants() -> None:
    at = open_page(demo_app("member"), ORG_PAGE, month=str(LAST_MONTH))
    frame = table(at)
    alice = {t.name for t in DEMO_TENANTS if "alice@acme.example" in t.users}
    assert set(frame["tenant"]) == alice == {"acme-prod", "acme-dev"}
    (prod,) = frame[frame["tenant"] == "acme-prod"].to_dict("records")
    assert prod["spend"] == report_of(DEMO_TENANTS[0], LAST_MONTH).totals.spend
    assert "acme-prod-eu" not in visible_text(at) + frame.to_csv()


def test_the_org_csv_is_the_cores_and_its_download_is_audited(audit_lines: Any) -> None:
    at = open_page(demo_app("owner"), ORG_PAGE, month=str(LAST_MONTH))
    owner = user_from_claims(persona("owner"))
    expected = build_service(Settings()).org_overview(owner, LAST_MONTH).to_csv().encode()
    assert download_matches(at, expected, f"org-overview-{LAST_MONTH}.csv")
    assert audit_lines() == []  # an owner's view is not audited, a download is
    at.get("download_button")[0].click().run()
    (record,) = audit_lines()
    assert record["event"] == "csv_download" and record["outcome"] == "ok"
    assert record["asked"] == {"view": "org_overview"} and record["month"] == str(LAST_MONTH)
    assert record["scope"] is None and record["who"]["sub"] == "demo-olivia"


def test_the_org_overview_sorts_by_spend_by_default_and_by_name_on_request() -> None:
    at = open_page(demo_app("owner"), ORG_PAGE, month=str(LAST_MONTH))
    frame = table(at)
    figures = frame.dropna(subset=["spend"])
    assert list(figures["spend"]) == sorted(figures["spend"], reverse=True)
    assert frame["spend"].isna().tolist()[-1]  # a tenant without figures comes last
    at.selectbox(key="org_overview_sort").select("Name, A to Z").run()
    names = list(table(at)["display_name"])
    assert names == sorted(names, key=str.lower)


def go_to_link(at: AppTest) -> tuple[str, str]:
    """The page and the URL query of the overview's keyboard link (its "Open")."""
    (link,) = [e.proto for e in at.get("page_link") if e.proto.label == "Open"]
    return link.page, link.query_string


@pytest.mark.parametrize(
    ("who", "page", "picker", "column", "target"),
    [
        ("owner", ORG_PAGE, "org_overview_go_to", "tenant", ("", "tenant")),
        ("admin", PLATFORM_PAGE, "platform_overview_go_to", "team_id", ("admin", "team")),
    ],
)
def test_every_row_leads_to_its_page_from_the_keyboard_too(
    who: str, page: str, picker: str, column: str, target: tuple[str, str]
) -> None:
    """The grid's Open links need a mouse; a picker in the table's order and a link need none."""
    at = open_page(demo_app(who), page, month=str(LAST_MONTH))
    ids = list(table(at)[column])
    assert at.selectbox(key=picker).options == [at.selectbox(key=picker).format_func(i) for i in ids]
    path, parameter = target
    for row in (ids[-1], ids[0]):
        at.selectbox(key=picker).set_value(row).run()
        linked_page, query = go_to_link(at)
        assert urlsplit(linked_page).path.strip("/") == path
        assert parse_qs(query) == {parameter: [row], "month": [str(LAST_MONTH)]}


def test_an_owner_of_an_org_without_tenants_gets_an_empty_state() -> None:
    claims = {"sub": "o2", "email": "o@empty.example", "name": "O", "org_id": "empty", "roles": ["owner"]}
    at = open_page(oidc_app(claims), ORG_PAGE)
    assert "No tenant to show" in visible_text(at)
    assert not at.dataframe and not at.get("download_button")


def test_a_bad_month_in_the_link_falls_back_with_a_notice() -> None:
    at = open_page(demo_app("owner"), ORG_PAGE, month="2999-01", tenant="acme-prod")
    assert at.query_params == {"month": str(THIS_MONTH)}  # an overview keeps no other parameter
    assert any("in the future" in plain(w.value) for w in at.warning)
    assert plain(at.title[0].value) == f"Organization overview - {THIS_MONTH.label}"


# -- the platform overview -----------------------------------------------------------------------


@pytest.mark.parametrize("month", [LAST_MONTH, THIS_MONTH], ids=str)
def test_an_admin_sees_every_team_riskiest_first_as_the_service_ranks_them(month: Month) -> None:
    at = open_page(demo_app("admin"), PLATFORM_PAGE, month=str(month))
    assert plain(at.title[0].value) == f"Platform overview - {month.label}"
    frame = table(at)
    expected = build_service(Settings()).platform_overview(month)
    assert set(frame["team_id"]) == {t.team_id for t in DEMO_TEAMS}
    assert list(frame["team_id"]) == [r.team_id for r in expected.rows]
    assert list(frame["rank"]) == list(range(1, len(DEMO_TEAMS) + 1))
    for line, row in zip(frame.to_dict("records"), expected.rows, strict=True):
        assert line["open"] == f"/admin?team={row.team_id}&month={month}"
        assert line["status"] == risk_label(row)
        assert line["team_alias"] == row.team_alias
        assert line["spend"] == row.totals.spend
        assert line["budget_used"] == row.budget_used or (
            pd.isna(line["budget_used"]) and row.budget_used is None
        )
        assert (line["runs_out_on"] or None) == row.runs_out_on
        assert (line["keys"], line["tenants"]) == (row.keys, row.tenants)
        assert line["change"] == delta_text(row.deltas.spend)
        assert list(line["daily_spend"]) == list(row.daily_spend)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Teams"] == str(len(DEMO_TEAMS))
    assert metrics["Over budget"] == str(sum(r.risk == "over_budget" for r in expected.rows))
    if month == LAST_MONTH:  # a past month's figures do not move while the test runs
        assert download_matches(at, expected.to_csv().encode(), f"platform-overview-{month}.csv")


def test_the_platform_overview_sorts_on_request_and_audits_views_and_downloads(audit_lines: Any) -> None:
    at = open_page(demo_app("admin"), PLATFORM_PAGE, month=str(LAST_MONTH))
    views = [r for r in audit_lines() if r.get("asked") == {"view": "platform_overview"}]
    assert [(r["event"], r["month"], r["scope"]) for r in views] == [("admin_view", str(LAST_MONTH), None)]
    at.selectbox(key="platform_overview_sort").select("Spend, highest first").run()
    spend = list(table(at)["spend"])
    assert spend == sorted(spend, reverse=True)
    assert at.selectbox(key="platform_overview_sort").options == list(PLATFORM_SORTS)
    at.get("download_button")[0].click().run()
    overview_lines = [r for r in audit_lines() if r.get("asked") == {"view": "platform_overview"}]
    assert [r["event"] for r in overview_lines] == [
        "admin_view",
        "csv_download",
    ]  # one view, then the download


@pytest.mark.parametrize("who", ["member", "owner"])
def test_customers_have_no_platform_overview_even_by_path(who: str) -> None:
    at = demo_app(who).run()
    with pytest.raises(ValueError):
        at.switch_page(PLATFORM_PAGE)
    # the page itself refuses too, should it ever be reached
    page = AppTest.from_file(PLATFORM_PAGE, default_timeout=60)
    page.secrets = {"unrelated": "no [auth] here"}
    page.session_state["demo_persona"] = who
    page.run()
    assert not page.exception and not page.dataframe and not page.title


# -- failures ------------------------------------------------------------------------------------


def test_litellm_down_shows_an_error_box_with_a_reference_on_both_overviews(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, audit_lines: Any
) -> None:
    clean_env(
        monkeypatch,
        LITELLM_BASE_URL=f"http://127.0.0.1:{free_port()}",  # nobody listens
        LITELLM_MASTER_KEY=MASTER_KEY,
        TENANTS_FILE=str(write_tenants(tmp_path / "tenants.yaml")),
    )
    owner = open_page(oidc_app(persona("owner")), ORG_PAGE)
    shown = visible_text(owner)
    assert re.search(r"Reference: [0-9A-F]{8}", shown) and "Retry" in shown
    assert "127.0.0.1" not in shown and "Details" not in shown and not owner.dataframe
    admin = open_page(oidc_app(persona("admin")), PLATFORM_PAGE)
    shown = visible_text(admin)
    (reference,) = re.findall(r"Reference: ([0-9A-F]{8})", shown)
    assert "Details (shown to platform admins only)" in shown and not admin.dataframe
    record = audit_lines()[-1]
    assert (record["event"], record["outcome"], record["ref"]) == ("admin_view", "error", reference)
    assert MASTER_KEY not in json.dumps(audit_lines()) + shown


# -- outside text ----------------------------------------------------------------------------------

TEAM_ALIAS, KEY_ALIAS, TENANT_NAME, TENANT_DISPLAY = "hxTeamAlias", "hxKeyAlias", "hxTenName", "hxTenDisplay"
OWNER = {"sub": "hx-owner", "email": "o@hx.example", "name": "Olivia", "org_id": "hx", "roles": ["owner"]}
ADMIN = {"sub": "hx-admin", "email": "p@platform.example", "name": "Pat", "org_id": "platform",
         "roles": ["platform-admin"]}  # fmt: skip


def _page_markdown(at: AppTest) -> list[str]:
    """Every Markdown source of the run, outside the table and the pickers' options."""
    found = [str(e.value) for kind in ("title", "subheader", "markdown", "caption") for e in at.get(kind)]
    found += [str(e.value) for kind in ("info", "warning", "error", "success") for e in at.get(kind)]
    found += [f"{m.label} {m.proto.help}" for m in at.metric]
    found += [str(b.label) for b in at.button] + [str(b.label) for b in at.get("download_button")]
    found += [str(s.label) for s in at.selectbox] + [str(p.proto.label) for p in at.get("page_link")]
    return found


def _assert_only_literal_cells(
    at: AppTest, text_columns: dict[str, str], link_path: str, option: str
) -> pd.DataFrame:
    """Outside text only as literal cells and plain-text options (`option`, shortened, among them)."""
    frame = table(at)
    options = [str(o) for s in at.selectbox for o in s.options]
    assert any(shorten(option, LABEL_CHARS) in text for text in options)
    for text in options:
        assert not CONTROL.search(text) and len(text) <= 2 * LABEL_CHARS + 20, text[:200]
    for element in _page_markdown(at):
        residue = _ESCAPED.sub("", element).replace("\u2060", "")
        assert not [t for t in LIVE_TOKENS if t in residue], element[:200]
        assert not any(m in plain(element) for m in (TEAM_ALIAS, KEY_ALIAS, TENANT_NAME, TENANT_DISPLAY))
    for column, raw in text_columns.items():
        assert cell(raw) in list(frame[column])  # the literal cell form, nothing else
    for column in frame.columns:
        for value in frame[column]:
            if isinstance(value, str):
                assert not CONTROL.search(value) and not value.startswith(("=", "+", "-", "@")), value[:200]
    for link in frame["open"]:
        parts = urlsplit(link)
        assert (parts.scheme, parts.netloc, parts.path) == ("", "", link_path), link[:200]
    return frame


@pytest.mark.parametrize("kind", list(KINDS))
def test_hostile_names_reach_the_overviews_only_as_literal_cells(
    kind: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    team = DemoTeam(
        "team-hx",
        payload(kind, TEAM_ALIAS),
        (DemoKey(payload(kind, KEY_ALIAS), 0.7), DemoKey("plain-key", 0.3)),
        daily_requests=120,
        budget_ratio=1.2,
    )
    name, display = payload(kind, TENANT_NAME), payload(kind, TENANT_DISPLAY)
    tenants = (
        Tenant(name, "hx", display, (), "team-hx", payload(kind, KEY_ALIAS)),
        Tenant("zz-plain", "hx", "zz Plain", (), "team-hx", "plain-key"),
    )
    path = tmp_path / "tenants.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": _items(tenants)}))
    with loopback_litellm(DemoLiteLLM(teams=(team,), master_key=MASTER_KEY)) as url:
        clean_env(monkeypatch, LITELLM_BASE_URL=url, LITELLM_MASTER_KEY=MASTER_KEY, TENANTS_FILE=str(path))
        service = build_service(Settings())
        parsed = next(t for t in service.tenants() if t.name != "zz-plain")  # as the app reads it

        at = open_page(oidc_app(OWNER), ORG_PAGE, month=str(LAST_MONTH))
        frame = _assert_only_literal_cells(
            at,
            {"display_name": parsed.display_name, "tenant": parsed.name},
            link_path="/",
            option=parsed.display_name,
        )
        targets = [parse_qs(urlsplit(link).query) for link in frame["open"]]
        assert {"tenant": [parsed.name], "month": [str(LAST_MONTH)]} in targets
        expected = service.org_overview(user_from_claims(OWNER), LAST_MONTH).to_csv()
        assert download_matches(at, expected.encode(), f"org-overview-{LAST_MONTH}.csv")
        _assert_inert_csv(expected)

        at = open_page(oidc_app(ADMIN), PLATFORM_PAGE, month=str(LAST_MONTH))
        _assert_only_literal_cells(at, {"team_alias": team.alias}, link_path="/admin", option=team.alias)
        expected = service.platform_overview(LAST_MONTH).to_csv()
        assert download_matches(at, expected.encode(), f"platform-overview-{LAST_MONTH}.csv")
        _assert_inert_csv(expected)


def _items(tenants: tuple[Tenant, ...]) -> list[dict[str, Any]]:
    return [
        {
            "apiVersion": "platform.example.com/v1alpha1",
            "kind": "Tenant",
            "metadata": {"name": t.name},
            "spec": {"orgId": t.org_id, "displayName": t.display_name, "users": list(t.users)},
            "status": {"litellmTeamId": t.team_id, "litellmKeyAlias": t.key_alias},
        }
        for t in tenants
    ]


def _assert_inert_csv(document: str) -> None:
    """No text cell of the core's CSV starts like a spreadsheet formula."""
    for row in list(csv.reader(io.StringIO(document)))[1:]:
        for value in row:
            assert not value.startswith(("=", "+", "@", "\t", "\r")), value[:200]
            assert not (value.startswith("-") and not _is_number(value)), value[:200]


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True

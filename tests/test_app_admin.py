"""The Admin page through AppTest: who has it, team and key-alias views, tenants of any org, the audit log."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

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
    oidc_app,
    persona,
    plain,
    visible_text,
    write_tenants,
)
from streamlit.testing.v1 import AppTest

from dashboard.health import ALL_PARSED
from usage_core.access import Scope
from usage_core.config import Settings
from usage_core.months import Month
from usage_core.reports import build_report
from usage_core.service import build_service

LAST_MONTH = Month.current().previous()


@pytest.fixture(autouse=True)
def _demo_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clean_env(monkeypatch)


@pytest.fixture
def audit_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    """The admin audit records logged during the test, parsed (each must be one JSON line)."""
    caplog.set_level(logging.INFO, logger="usage_core.audit")

    class Lines(list[dict[str, object]]):
        def refresh(self) -> Lines:
            self[:] = [json.loads(r.getMessage()) for r in caplog.records if r.name == "usage_core.audit"]
            assert all("\n" not in r.getMessage() for r in caplog.records if r.name == "usage_core.audit")
            return self

    return Lines()


def admin_page(at: AppTest, **query: str) -> AppTest:
    """Sign in (first run), then open the Admin page with `query` in the URL."""
    at.run()
    at.query_params.clear()
    at.query_params.update(query)
    at.switch_page(ADMIN_PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def pages_of(at: AppTest) -> set[str]:
    found = set()
    for page in (USAGE_PAGE, ADMIN_PAGE):
        try:
            at.switch_page(page)
        except ValueError:  # not registered by st.navigation for this user
            continue
        found.add(page)
    return found


@pytest.mark.parametrize(("who", "admin"), [("member", False), ("owner", False), ("admin", True)])
def test_only_platform_admins_have_the_admin_page(who: str, admin: bool) -> None:
    for at in (demo_app(who), oidc_app(persona(who))):
        at.run()
        assert pages_of(at) == ({USAGE_PAGE, ADMIN_PAGE} if admin else {USAGE_PAGE})


def test_admin_page_defaults_to_the_first_team_company_wide() -> None:
    at = admin_page(demo_app("admin"))
    assert at.query_params == {"team": "team-acme-7f3a", "month": str(Month.current())}
    assert plain(at.title[0].value) == f"Acme Corp - {Month.current().label}"
    text = visible_text(at)
    assert f"Viewing as admin: Acme Corp (team team-acme-7f3a, company-wide), {Month.current().label}" in text
    assert "company-wide" in text and "viewing as admin" in text and "demo data" in text


def test_admin_views_one_key_alias_of_any_team_with_its_numbers_and_csv() -> None:
    at = admin_page(demo_app("admin"), team="team-globex-19c2", key_alias="globex-web", month=str(LAST_MONTH))
    assert plain(at.title[0].value) == f"Globex · globex-web - {LAST_MONTH.label}"
    assert "company-wide" not in next(b for b in visible_text(at).split("\n") if "badge" in b)
    service = build_service(Settings())
    scope = Scope("team-globex-19c2", "globex-web", "x")
    report = build_report(scope, LAST_MONTH, service.snapshot(scope.team_id, LAST_MONTH))
    assert {m.label: m.value for m in at.metric}["Requests"] == f"{report.totals.requests:,}"
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from usage_core.cli import main; main()",
            "export",
            "--team",
            "team-globex-19c2",
            "--key-alias",
            "globex-web",
            "--month",
            str(LAST_MONTH),
        ],
        capture_output=True,
        env={k: v for k, v in os.environ.items() if not k.startswith(("LITELLM", "TENANT"))},
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    assert download_matches(at, done.stdout, f"usage-team-globex-19c2-globex-web-{LAST_MONTH}.csv")


def test_admin_picks_team_and_key_alias_with_widgets_and_the_url_follows() -> None:
    at = admin_page(demo_app("admin"))
    team = at.selectbox(key="pick_team")
    assert team.options == [
        "Acme Corp (team-acme-7f3a)",
        "Globex (team-globex-19c2)",
        "Initech (team-initech-5b8e)",
    ]
    team.select("team-initech-5b8e").run()
    assert at.query_params["team"] == "team-initech-5b8e"
    alias = at.selectbox(key="pick_alias")
    assert alias.options == ["Whole team (company-wide)", "initech"]
    alias.select("initech").run()
    assert at.query_params["key_alias"] == "initech"
    assert plain(at.title[0].value).startswith("Initech · initech - ")


def test_admin_views_a_tenant_of_any_org() -> None:
    at = admin_page(demo_app("admin"), tenant="initech")
    assert plain(at.title[0].value).startswith("Initech - ")
    assert at.segmented_control(key="admin_mode").value == "Tenant"
    assert len(at.selectbox(key="pick_admin_tenant").options) == 8
    assert "Viewing as admin: Initech" in visible_text(at)


def test_an_unknown_team_gets_a_message_not_a_traceback() -> None:
    at = admin_page(demo_app("admin"), team="team-does-not-exist")
    assert any("team-does-not-exist" in plain(w.value) for w in at.warning)
    assert not list(at.metric)
    assert "Log out" in visible_text(at)


def test_every_admin_view_is_logged_once_as_one_json_line(audit_lines: list[dict[str, object]]) -> None:
    at = admin_page(demo_app("admin"), team="team-globex-19c2", key_alias="globex-web", month=str(LAST_MONTH))
    lines = audit_lines.refresh()  # type: ignore[attr-defined]
    # the sign-in run showed the Usage page's default tenant: that view was logged first
    assert [line["scope"]["tenant"] for line in lines] == ["acme-dev", None]  # type: ignore[index]
    record = lines[-1]
    assert record["event"] == "admin_view"
    assert record["who"] == {
        "sub": "demo-pat",
        "email": "pat@platform.example",
        "org": "platform",
        "role": "platform-admin",
        "issuer": None,  # the demo sign-in has no identity provider
    }
    assert record["outcome"] == "ok"
    assert record["scope"] == {
        "team_id": "team-globex-19c2",
        "key_alias": "globex-web",
        "tenant": None,
        "company_wide": False,
    }
    assert record["month"] == str(LAST_MONTH)
    assert str(record["at"]).endswith("+00:00")
    at.button(key="refresh").click().run()  # the same view again: no second line
    assert len(audit_lines.refresh()) == 2  # type: ignore[attr-defined]
    at.selectbox(key="pick_alias").select("").run()  # a new view: a new line
    lines = audit_lines.refresh()  # type: ignore[attr-defined]
    assert [line["scope"]["key_alias"] for line in lines[1:]] == ["globex-web", None]  # type: ignore[index]


def test_members_and_owners_views_are_not_audited(audit_lines: list[dict[str, object]]) -> None:
    for who in ("member", "owner"):
        assert not demo_app(who).run().exception
    assert audit_lines.refresh() == []  # type: ignore[attr-defined]


def test_an_admin_on_the_usage_page_is_audited_too(audit_lines: list[dict[str, object]]) -> None:
    at = demo_app("admin", tenant="globex-web").run()
    assert plain(at.title[0].value).startswith("Globex Web - ")
    (record,) = audit_lines.refresh()  # type: ignore[attr-defined]
    assert record["scope"]["tenant"] == "globex-web"  # type: ignore[index]


def test_switching_the_admin_view_to_tenants_keeps_the_month() -> None:
    at = admin_page(demo_app("admin"), team="team-globex-19c2", month=str(LAST_MONTH))
    at.segmented_control(key="admin_mode").set_value("Tenant").run()
    assert not at.exception
    assert at.query_params == {"tenant": "acme-dev", "month": str(LAST_MONTH)}
    assert plain(at.title[0].value) == f"Acme Development - {LAST_MONTH.label}"
    at.selectbox(key="pick_admin_tenant").select("globex-ml").run()
    assert at.query_params["tenant"] == "globex-ml"
    assert "Company-wide: this tenant has no key of its own yet" in visible_text(at)


def test_an_admins_team_link_also_opens_on_the_usage_page() -> None:
    at = demo_app("admin", team="team-initech-5b8e", key_alias="initech").run()
    assert not at.exception
    assert plain(at.title[0].value).startswith("Team team-initech-5b8e · initech - ")
    assert at.sidebar.selectbox(key="pick_tenant").value is None  # no tenant is claimed
    assert at.query_params["team"] == "team-initech-5b8e"


# -- failed views, downloads ---------------------------------------------------------------------


def test_a_failed_admin_view_is_logged_with_the_incident_reference(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, audit_lines: list[dict[str, object]]
) -> None:
    clean_env(
        monkeypatch,
        LITELLM_BASE_URL=f"http://127.0.0.1:{free_port()}",  # nobody listens: LiteLLM is down
        LITELLM_MASTER_KEY=MASTER_KEY,
        TENANTS_FILE=str(write_tenants(tmp_path / "tenants.yaml")),
    )
    at = admin_page(oidc_app(persona("admin")), tenant="initech", month=str(LAST_MONTH))
    shown = visible_text(at)
    (reference,) = re.findall(r"Reference: ([0-9A-F]{8})", shown)
    record = audit_lines.refresh()[-1]  # type: ignore[attr-defined]
    assert record["event"] == "admin_view" and record["outcome"] == "error"
    assert record["ref"] == reference and record["month"] == str(LAST_MONTH)
    assert record["scope"]["tenant"] == "initech"  # type: ignore[index]
    assert MASTER_KEY not in json.dumps(record)


def test_an_admins_link_to_an_unknown_team_is_logged_as_an_error(
    audit_lines: list[dict[str, object]],
) -> None:
    at = admin_page(demo_app("admin"), team="team-does-not-exist")
    assert "LiteLLM has no team team-does-not-exist." in [plain(w.value) for w in at.warning]
    record = audit_lines.refresh()[-1]  # type: ignore[attr-defined]
    assert (record["event"], record["outcome"]) == ("admin_view", "error")
    assert record["scope"]["team_id"] == "team-does-not-exist"  # type: ignore[index]


def test_a_csv_download_is_logged_once_as_one_json_line(
    caplog: pytest.LogCaptureFixture, audit_lines: list[dict[str, object]]
) -> None:
    at = demo_app("member", tenant="acme-prod", month=str(LAST_MONTH)).run()
    assert audit_lines.refresh() == []  # type: ignore[attr-defined]
    at.get("download_button")[0].click().run()
    assert not at.exception
    (record,) = audit_lines.refresh()  # type: ignore[attr-defined]
    assert record["event"] == "csv_download" and record["outcome"] == "ok"
    assert record["who"]["sub"] == "demo-alice"  # type: ignore[index]
    assert record["scope"]["tenant"] == "acme-prod" and record["month"] == str(LAST_MONTH)  # type: ignore[index]
    at.run()  # a rerun is not a download
    assert len(audit_lines.refresh()) == 1  # type: ignore[attr-defined]


# -- tenant source health ------------------------------------------------------------------------


def test_the_admin_page_shows_tenant_source_health() -> None:
    at = admin_page(demo_app("admin"))
    labels = [e.label for e in at.expander]  # the others are the charts' "Show as table"
    assert labels[-1] == "Tenant source health" and labels.count("Tenant source health") == 1
    assert ALL_PARSED in [plain(s.value) for s in at.success]


def _health_with_skipped_entries(entries: list[tuple[str, str | None, str]]) -> None:
    """An AppTest script: the health section over a source whose last read skipped `entries`."""
    import httpx

    from dashboard import health
    from usage_core.demo import DEMO_TENANTS, DemoLiteLLM
    from usage_core.litellm import LiteLLMClient
    from usage_core.service import UsageService
    from usage_core.tenants import SkippedTenant, StaticTenantSource

    class SkippingSource(StaticTenantSource):
        def skipped(self) -> list[SkippedTenant]:
            return [SkippedTenant(*entry) for entry in entries]

    client = LiteLLMClient("http://litellm.test", "k", transport=httpx.MockTransport(DemoLiteLLM()))
    health.render(UsageService(client, SkippingSource(DEMO_TENANTS)).skipped_tenants())


def test_skipped_tenant_entries_are_listed_with_where_and_why() -> None:
    entries = [
        ("/etc/tenants.yaml: entry 3", "acme-ml", "spec.orgId is required."),
        ("namespace team-b", "=cmd|' /C calc'!A0", "[click](https://evil.example) **bold**"),
        ("namespace team-c", None, "metadata.name is required."),
    ]
    at = AppTest.from_function(_health_with_skipped_entries, args=(entries,), default_timeout=30).run()
    assert not at.exception
    assert [plain(w.value) for w in at.warning] == [
        "3 tenant entries were skipped; their tenants are missing from every picker until fixed."
    ]
    (table,) = at.dataframe
    assert table.value.to_dict("records") == [
        {"where": "/etc/tenants.yaml: entry 3", "name": "acme-ml", "reason": "spec.orgId is required."},
        # cells are plain text, and never a formula in the toolbar's CSV
        {"where": "namespace team-b", "name": "'=cmd|' /C calc'!A0", "reason": entries[1][2]},
        {"where": "namespace team-c", "name": "", "reason": "metadata.name is required."},
    ]
    assert not at.success


def test_nothing_skipped_reads_all_tenants_parsed() -> None:
    at = AppTest.from_function(_health_with_skipped_entries, args=([],), default_timeout=30).run()
    assert [plain(s.value) for s in at.success] == [ALL_PARSED] and not at.dataframe

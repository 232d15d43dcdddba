"""The Usage page through AppTest: who sees what, URL tampering, the CSV, empty and failure states."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import stamina
from app_support import (
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
from streamlit.components.v2.bidi_component.main import _make_trigger_id
from streamlit.proto.Metric_pb2 import Metric as MetricProto
from streamlit.testing.v1 import AppTest

from dashboard import below_fold, data
from dashboard.report_layout import unnamed
from usage_core import display
from usage_core.access import NO_ACTIVE_TENANT, NOT_AVAILABLE_YET, Scope
from usage_core.config import Settings
from usage_core.demo import DemoLiteLLM
from usage_core.months import Month, selectable_months
from usage_core.reports import UsageReport, build_report
from usage_core.selection import ADMIN_ONLY_IGNORED
from usage_core.service import build_service

LAST_MONTH = Month.current().previous()


@pytest.fixture(autouse=True)
def _demo_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clean_env(monkeypatch)


def tenant_picker(at: AppTest) -> list[str]:
    return list(at.sidebar.selectbox(key="pick_tenant").options)


def title(at: AppTest) -> str:
    (heading,) = at.title
    return plain(str(heading.value))


def ran_cleanly(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


# -- who sees which tenants ------------------------------------------------------------------

# persona -> the tenant display names its picker offers (DEMO_TENANTS, DESIGN.md's table)
VISIBLE = [
    ("member", ["Acme Development", "Acme Production"]),  # only spec.users that list alice
    ("owner", ["Globex Data", "Globex ML Lab", "Globex Web"]),  # every Globex tenant
    (
        "admin",  # every tenant of every org
        [
            "Acme Development",
            "Acme Production",
            "Acme Production EU",
            "Globex Data",
            "Globex ML Lab",
            "Globex Web",
            "Initech",
            "Initech Sandbox",
        ],
    ),
]


@pytest.mark.parametrize(("who", "expected"), VISIBLE)
def test_tenant_picker_offers_exactly_the_visible_tenants(who: str, expected: list[str]) -> None:
    at = ran_cleanly(demo_app(who).run())
    assert tenant_picker(at) == expected
    assert title(at).startswith(expected[0] + " - ")


@pytest.mark.parametrize(("who", "expected"), VISIBLE)
def test_the_same_rules_apply_to_oidc_users(who: str, expected: list[str]) -> None:
    at = ran_cleanly(oidc_app(persona(who)).run())
    assert tenant_picker(at) == expected
    assert "Log out" in visible_text(at)


def test_member_sees_title_kpis_budget_and_badges_for_the_default_tenant() -> None:
    at = ran_cleanly(demo_app("member", month=str(LAST_MONTH)).run())
    assert title(at) == f"Acme Development - {LAST_MONTH.label}"
    labels = [m.label for m in at.metric]
    assert labels[:4] == ["Spend (USD)", "Input tokens", "Output tokens", "Requests"]
    text = visible_text(at)
    assert "demo data" in text
    assert "company-wide" not in text and "viewing as admin" not in text
    assert "Company budget" in text and "resets" in text
    assert at.query_params == {"tenant": "acme-dev", "month": str(LAST_MONTH)}


def test_kpis_show_the_reports_totals() -> None:
    at = ran_cleanly(demo_app("member", tenant="acme-prod", month=str(LAST_MONTH)).run())
    service = build_service(Settings())
    scope = Scope("team-acme-7f3a", "acme-prod", "Acme Production", "acme-prod")
    report = build_report(scope, LAST_MONTH, service.snapshot(scope.team_id, LAST_MONTH))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Spend (USD)"] == f"${report.totals.spend:,.2f}"
    assert metrics["Input tokens"] == f"{report.totals.input_tokens:,}"
    assert metrics["Output tokens"] == f"{report.totals.output_tokens:,}"
    assert metrics["Requests"] == f"{report.totals.requests:,}"
    assert report.totals.requests > 0
    # acme-prod's key has its own budget: a second gauge
    assert "This tenant's key budget" in visible_text(at)


def test_picking_a_tenant_and_a_month_updates_the_url() -> None:
    at = ran_cleanly(demo_app("member").run())
    at.sidebar.selectbox(key="pick_tenant").select("acme-prod").run()
    assert at.query_params["tenant"] == "acme-prod"
    assert title(at).startswith("Acme Production - ")
    at.sidebar.selectbox(key="pick_month").select(LAST_MONTH).run()
    assert at.query_params == {"tenant": "acme-prod", "month": str(LAST_MONTH)}
    assert title(ran_cleanly(at)) == f"Acme Production - {LAST_MONTH.label}"


def test_month_picker_offers_the_months_of_the_horizon(monkeypatch: pytest.MonkeyPatch) -> None:
    at = ran_cleanly(demo_app("member").run())
    options = list(at.sidebar.selectbox(key="pick_month").options)
    assert options == [m.label for m in selectable_months(Settings().months_horizon)]
    clean_env(monkeypatch, MONTHS_HORIZON="3")
    at = ran_cleanly(demo_app("member", month=str(Month.current().recent(4)[-1])).run())
    assert list(at.sidebar.selectbox(key="pick_month").options) == [
        m.label for m in Month.current().recent(3)
    ]
    assert title(at).endswith(f" - {Month.current().label}")  # a month past the horizon: the current one
    assert at.query_params["month"] == str(Month.current()) and len(at.warning) == 1


# -- URL tampering ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        {"tenant": "acme-prod-eu"},  # a sibling tenant alice is not assigned to
        {"tenant": "globex-web"},  # another org's tenant
        {"tenant": "no-such-tenant"},  # unknown: answered exactly like the invisible ones
    ],
)
def test_member_cannot_open_a_tenant_she_may_not_see(query: dict[str, str]) -> None:
    at = ran_cleanly(demo_app("member", **query).run())
    assert title(at).startswith("Acme Development - ")  # her own default, not the requested one
    warnings = [plain(w.value) for w in at.warning]
    assert warnings == [f"Tenant {query['tenant']!r} was not found. Showing Acme Development instead."]
    assert at.query_params["tenant"] == "acme-dev"
    assert "Acme Production EU" not in visible_text(at) and "Globex" not in visible_text(at)


@pytest.mark.parametrize(
    "query",
    [
        {"team": "team-globex-19c2"},
        {"team": "team-globex-19c2", "key_alias": "globex-web"},
        {"key_alias": "acme-prod-eu"},
        {"tenant": "acme-dev", "team": "team-acme-7f3a", "key_alias": "acme-prod-eu"},
    ],
)
def test_member_team_and_key_alias_parameters_are_ignored(query: dict[str, str]) -> None:
    at = ran_cleanly(demo_app("member", **query).run())
    assert title(at).startswith("Acme Development - ")
    assert [plain(w.value) for w in at.warning] == [ADMIN_ONLY_IGNORED]
    assert "team" not in at.query_params and "key_alias" not in at.query_params
    assert "company-wide" not in visible_text(at)


@pytest.mark.parametrize("bad", ["2026-13", "26-11", "2026-1", "9999-01", "2026-11-01", "x"])
def test_an_invalid_month_falls_back_to_the_current_month_with_a_message(bad: str) -> None:
    at = ran_cleanly(demo_app("owner", month=bad).run())
    current = Month.current()
    assert title(at).endswith(f" - {current.label}")
    (warning,) = at.warning
    assert repr(bad)[1:-1][:20] in plain(warning.value) and current.label in plain(warning.value)
    assert at.query_params["month"] == str(current)


def test_owner_sees_a_tenant_without_key_alias_as_company_wide() -> None:
    at = ran_cleanly(demo_app("owner", tenant="globex-ml").run())
    assert title(at).startswith("Globex ML Lab - ")
    assert "company-wide" in visible_text(at)


def test_member_gets_not_available_yet_for_a_tenant_without_key_alias() -> None:
    gina = {"sub": "gina", "email": "gina@globex.example", "org_id": "globex", "roles": "user"}
    at = ran_cleanly(oidc_app(gina, tenant="globex-ml").run())
    assert title(at).startswith("Globex ML Lab - ")
    assert [plain(i.value) for i in at.info] == [NOT_AVAILABLE_YET]
    assert not list(at.metric)
    assert "company-wide" not in visible_text(at)


# -- empty state -----------------------------------------------------------------------------


def test_a_user_with_no_tenant_gets_the_calm_empty_state() -> None:
    nobody = {"sub": "n", "email": "nobody@acme.example", "org_id": "acme", "roles": ["user"]}
    at = ran_cleanly(oidc_app(nobody).run())
    assert NO_ACTIVE_TENANT.rstrip(".") in visible_text(at)
    assert not at.error and not list(at.metric)
    assert "Log out" in visible_text(at)


# -- the CSV ---------------------------------------------------------------------------------


def cli_csv(env: dict[str, str], *args: str) -> bytes:
    """Run the real `usage-dashboard export` entry point and return its stdout."""
    done = subprocess.run(
        [sys.executable, "-c", "from usage_core.cli import main; main()", "export", *args, "--format", "csv"],
        capture_output=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_download_csv_is_the_clis_csv_in_the_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    at = ran_cleanly(demo_app("member", tenant="acme-prod", month=str(LAST_MONTH)).run())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LITELLM", "TENANT"))}
    expected = cli_csv(env, "--tenant", "acme-prod", "--month", str(LAST_MONTH))
    name = f"usage-acme-prod-{LAST_MONTH}.csv"
    assert expected.startswith(b"date,input_tokens,output_tokens,total_tokens,requests,")
    assert download_matches(at, expected, name)
    assert not download_matches(at, expected + b"\n", name)  # the check compares bytes


def test_download_csv_is_the_clis_csv_against_a_loopback_litellm(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    tenants = write_tenants(tmp_path / "tenants.yaml")
    with loopback_litellm() as url:
        env = {"LITELLM_BASE_URL": url, "LITELLM_MASTER_KEY": MASTER_KEY, "TENANTS_FILE": str(tenants)}
        clean_env(monkeypatch, **env)
        at = ran_cleanly(oidc_app(persona("owner"), tenant="globex-web", month=str(LAST_MONTH)).run())
        expected = cli_csv({**os.environ}, "--tenant", "globex-web", "--month", str(LAST_MONTH))
    assert "demo data" not in visible_text(at)
    assert download_matches(at, expected, f"usage-globex-web-{LAST_MONTH}.csv")


# -- failures --------------------------------------------------------------------------------


def incident_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """The incident log lines written so far, parsed (each is one JSON line)."""
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "usage_core.incidents"]


def reference_shown(at: AppTest) -> str:
    """The incident reference the error box shows."""
    (match,) = re.findall(r"Reference: ([0-9A-F]{8})", visible_text(at))
    return str(match)


@pytest.fixture
def no_retry_waits() -> object:
    stamina.set_testing(True)  # retries still happen, without sleeping between them
    yield
    stamina.set_testing(False)


def test_litellm_down_shows_an_error_box_with_retry_and_keeps_the_app(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, no_retry_waits: object, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    clean_env(
        monkeypatch,
        LITELLM_BASE_URL=f"http://127.0.0.1:{port}",
        LITELLM_MASTER_KEY=MASTER_KEY,
        TENANTS_FILE=str(write_tenants(tmp_path / "tenants.yaml")),
    )
    # the session's first report: nothing waits for the browser when there is no report to draw
    at = ran_cleanly(oidc_app(persona("member"), top_drawn=False).run())
    text = visible_text(at)
    assert "Usage data is unavailable right now. Try again in a minute." in text
    # the customer reads no host, port or cause; the log has them under the reference shown
    assert "127.0.0.1" not in text and str(port) not in text and "connection refused" not in text
    (line,) = incident_lines(caplog)
    assert line["ref"] == reference_shown(at) and line["where"] == "usage report"
    assert f"127.0.0.1:{port}" in line["detail"] and line["context"]["sub"] == "demo-alice"
    assert "Retry" in [b.label for b in at.button]
    assert MASTER_KEY not in text and MASTER_KEY not in caplog.text
    # the rest still works: identity, logout, pickers, the page title
    assert "Log out" in text and tenant_picker(at) == ["Acme Development", "Acme Production"]
    assert title(at).startswith("Acme Development - ")
    at.button(key="retry_usage").click().run()
    assert "Usage data is unavailable right now." in visible_text(ran_cleanly(at))
    assert len(incident_lines(caplog)) == 2  # each failed attempt gets its own reference


def test_a_platform_admin_also_reads_the_details(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, no_retry_waits: object
) -> None:
    port = free_port()
    clean_env(
        monkeypatch,
        LITELLM_BASE_URL=f"http://127.0.0.1:{port}",
        LITELLM_MASTER_KEY=MASTER_KEY,
        TENANTS_FILE=str(write_tenants(tmp_path / "tenants.yaml")),
    )
    text = visible_text(ran_cleanly(oidc_app(persona("admin")).run()))
    assert "Usage data is unavailable right now." in text
    assert f"Details (shown to platform admins only): LiteLLM at 127.0.0.1:{port}" in text
    assert MASTER_KEY not in text


def test_a_broken_tenants_file_shows_an_error_box(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clean_env(
        monkeypatch,
        LITELLM_BASE_URL=f"http://127.0.0.1:{free_port()}",
        LITELLM_MASTER_KEY=MASTER_KEY,
        TENANTS_FILE=str(tmp_path / "missing.yaml"),
    )
    at = ran_cleanly(oidc_app(persona("owner")).run())
    text = visible_text(at)
    assert "The list of tenants is unavailable right now." in text
    assert "missing.yaml" not in text and str(tmp_path) not in text  # no file path for a customer
    (line,) = incident_lines(caplog)
    assert line["ref"] == reference_shown(at) and "missing.yaml" in line["detail"]
    assert "Log out" in text and MASTER_KEY not in text


def test_no_tenant_source_at_all_is_an_error_box_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    with loopback_litellm() as url:  # LiteLLM configured, but neither TENANTS_FILE nor Kubernetes
        clean_env(monkeypatch, LITELLM_BASE_URL=url, LITELLM_MASTER_KEY=MASTER_KEY)
        at = ran_cleanly(oidc_app(persona("member")).run())
    text = visible_text(at)
    assert "Reference: " in text and "Retry" in [b.label for b in at.button]
    assert "Log out" in text and not list(at.metric)


def test_the_page_script_alone_shows_nothing_without_a_session() -> None:
    at = AppTest.from_file(USAGE_PAGE, default_timeout=30)
    at.secrets = {"unrelated": "x"}
    at.run()
    assert not at.exception and not list(at.metric) and not at.title


def test_a_refused_master_key_is_reported_without_the_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    tenants = write_tenants(tmp_path / "tenants.yaml")
    with loopback_litellm() as url:
        clean_env(
            monkeypatch, LITELLM_BASE_URL=url, LITELLM_MASTER_KEY="sk-wrong-key", TENANTS_FILE=str(tenants)
        )
        at = ran_cleanly(oidc_app(persona("member")).run())
    text = visible_text(at)
    assert "the dashboard's access to it was refused" in text
    assert "sk-wrong-key" not in text and MASTER_KEY not in text
    assert not list(at.metric)


# -- Refresh: limited per session, one re-read for everyone ------------------------------------


class CountingLiteLLM(DemoLiteLLM):
    """The emulator, counting how often a team's current month is read (its first page of days).

    The page also reads the previous month, for the comparison: that read is cached on its own and
    not counted here.
    """

    def __init__(self) -> None:
        super().__init__(master_key=MASTER_KEY)
        self.reads = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        first_day = Month.current().first_day.isoformat()
        if request.url.path == "/team/daily/activity" and params.get("start_date") == first_day:
            self.reads += params.get("page") == "1"
        return super().__call__(request)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[CountingLiteLLM]:
    """A loopback LiteLLM of its own (so its cache entries are this test's alone) that counts reads."""
    upstream = CountingLiteLLM()
    with loopback_litellm(upstream) as url:
        tenants = str(write_tenants(tmp_path / "tenants.yaml"))
        clean_env(monkeypatch, LITELLM_BASE_URL=url, LITELLM_MASTER_KEY=MASTER_KEY, TENANTS_FILE=tenants)
        yield upstream


def test_refresh_rereads_once_then_waits_for_the_interval(counted: CountingLiteLLM) -> None:
    at = ran_cleanly(oidc_app(persona("member")).run())
    assert counted.reads == 1
    at.button(key="refresh").click().run()
    assert counted.reads == 2 and not at.toast
    at.button(key="refresh").click().run()  # again at once: refused, with a note saying when
    assert counted.reads == 2
    (toast,) = at.toast
    assert plain(toast.value).startswith("Refresh works once every 10 seconds; try again in ")


def test_many_viewers_pressing_refresh_share_one_reread(counted: CountingLiteLLM) -> None:
    viewers = [ran_cleanly(oidc_app(persona("member")).run()) for _ in range(3)]
    assert counted.reads == 1  # the cache serves the other two
    for viewer in viewers:  # each one's first press: allowed for the session...
        viewer.button(key="refresh").click().run()
        assert not viewer.toast
    assert counted.reads == 2  # ...but the team-month is read again only once
    assert {title(v) for v in viewers} == {title(viewers[0])}


def test_after_the_interval_refresh_rereads_again(
    counted: CountingLiteLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(data, "REFRESH_INTERVAL", timedelta(seconds=1))  # the same rule, a shorter wait
    at = ran_cleanly(oidc_app(persona("member")).run())
    at.button(key="refresh").click().run()
    assert counted.reads == 2
    time.sleep(1.1)
    at.button(key="refresh").click().run()
    assert counted.reads == 3 and not at.toast


# -- last month, forecast, the overlay toggle, tables under the charts ----------------------------

ACME_PROD = Scope("team-acme-7f3a", "acme-prod", "Acme Production", "acme-prod")


def core_report(month: Month) -> UsageReport:
    """What usage_core computes for acme-prod's month, compared with the previous month (the demo)."""
    service = build_service(Settings())
    previous = service.snapshot(ACME_PROD.team_id, month.previous()).usage
    snapshot = unnamed(service.snapshot(ACME_PROD.team_id, month))  # as the page: no LiteLLM team name
    return build_report(ACME_PROD, month, snapshot, previous=previous)


def plotly_specs(at: AppTest) -> dict[str, dict[str, Any]]:
    """Each daily chart's figure as the browser receives it, by its y axis title (gauges left out)."""
    specs = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    return {spec["layout"]["yaxis"]["title"]["text"]: spec for spec in specs if "xaxis" in spec["layout"]}


def metric_delta(at: AppTest, label: str) -> tuple[str, str, str, str]:
    """A KPI's delta as shown: text, description, colour and arrow."""
    (metric,) = [m for m in at.metric if m.label == label]
    proto = metric.proto
    return (
        proto.delta,
        proto.delta_description,
        MetricProto.MetricColor.Name(proto.color),
        MetricProto.MetricDirection.Name(proto.direction),
    )


@pytest.mark.parametrize("month", [Month.current(), LAST_MONTH])
def test_kpi_deltas_are_the_cores_comparison_with_the_same_days_of_last_month(month: Month) -> None:
    at = ran_cleanly(demo_app("member", tenant="acme-prod", month=str(month)).run())
    report = core_report(month)
    deltas, previous = report.deltas(), report.previous
    assert deltas is not None and previous is not None
    for label, delta, money in [
        ("Spend (USD)", deltas.spend, True),
        ("Input tokens", deltas.input_tokens, False),
        ("Output tokens", deltas.output_tokens, False),
        ("Requests", deltas.requests, False),
    ]:
        change = display.kpi_change(delta, previous, money=money)
        shown, versus, colour, arrow = metric_delta(at, label)
        assert (shown, versus) == (change.text, change.versus)
        assert arrow == {"up": "UP", "down": "DOWN", "none": "NONE"}[change.direction]
        if label != "Spend (USD)" or change.direction == "none":
            assert colour == "GRAY"  # more tokens or requests is neither good nor bad
        else:  # more spend is not good news
            assert colour == {"up": "RED", "down": "GREEN"}[change.direction]
    days = len(report.daily) if month == Month.current() else month.previous().last_day.day
    assert previous.days == min(days, month.previous().last_day.day)
    text = visible_text(at)
    assert display.failed_line(report) in text and display.comparison_note(previous) in text


def test_the_forecast_sentences_are_the_cores() -> None:
    month = Month.current()
    at = ran_cleanly(demo_app("member", tenant="acme-prod", month=str(month)).run())
    report = core_report(month)
    assert report.forecast.key is not None
    paragraphs = [plain(m.value) for m in at.markdown]
    assert report.forecast.sentence in paragraphs  # the company budget's card: the headline
    assert report.forecast.key.sentence in paragraphs  # the key's own budget card
    text = visible_text(at)
    assert display.projection_line(report) in text
    assert display.outlook_status(report.forecast.company, month) in text  # the card's badge
    spend = plotly_specs(at)["Spend (USD)"]
    (projection,) = [t for t in spend["data"] if t["name"] == "At this pace (projected)"]
    drawn = [(x, y) for x, y in zip(projection["x"], projection["y"], strict=True) if y is not None]
    assert drawn == [(p.day.isoformat(), p.value) for p in report.forecast.projected_daily]
    assert projection["line"]["dash"] == "dash"


def test_a_past_month_shows_its_actuals_and_no_projection() -> None:
    at = ran_cleanly(demo_app("member", tenant="acme-prod", month=str(LAST_MONTH)).run())
    report = core_report(LAST_MONTH)
    assert report.forecast.projected_spend == report.totals.spend  # its projection is its actual spend
    paragraphs = [plain(m.value) for m in at.markdown]
    assert f"Acme Production spent {display.usd(report.totals.spend)} in {LAST_MONTH.label}." in paragraphs
    text = visible_text(at)
    assert f"{LAST_MONTH.label} is over: {display.usd(report.totals.spend)} spent (actuals" in text
    assert "At this pace" not in text
    specs = plotly_specs(at)
    assert [t["name"] for t in specs["Spend (USD)"]["data"]] == ["Spend"]
    assert all(not spec["layout"].get("annotations") for spec in specs.values())  # no partial day


def test_the_toggle_overlays_last_month_on_every_daily_chart() -> None:
    at = ran_cleanly(demo_app("member", tenant="acme-prod").run())
    overlay = f"{Month.current().previous().label} (same day)"
    assert all(overlay not in [t["name"] for t in s["data"]] for s in plotly_specs(at).values())
    at.toggle(key="compare_last_month").set_value(True).run()
    specs = plotly_specs(ran_cleanly(at))
    assert len(specs) == 3
    report = core_report(Month.current())
    aligned = {row.day.isoformat(): row.metrics for row in report.previous_daily_aligned()}
    expected = {
        "Spend (USD)": lambda m: m.spend,
        "Tokens": lambda m: m.input_tokens + m.output_tokens,
        "Requests": lambda m: m.requests,
    }
    for title, value in expected.items():
        (line,) = [t for t in specs[title]["data"] if t["name"] == overlay]
        drawn = {x: y for x, y in zip(line["x"], line["y"], strict=True) if y is not None}
        assert drawn == {day: value(m) for day, m in aligned.items()}
    at.toggle(key="compare_last_month").set_value(False).run()
    assert all(overlay not in [t["name"] for t in s["data"]] for s in plotly_specs(at).values())


def test_each_chart_has_a_table_with_its_numbers() -> None:
    at = ran_cleanly(demo_app("member", tenant="acme-prod", month=str(LAST_MONTH)).run())
    assert [e.label for e in at.expander] == ["Show as table"] * 3
    report = core_report(LAST_MONTH)
    tables = {tuple(frame.value.columns)[2]: frame.value for frame in at.dataframe if "Day" in frame.value}
    spend = tables["Spend (USD)"]
    assert len(spend) == LAST_MONTH.last_day.day
    assert list(spend["Spend (USD)"]) == [row.metrics.spend for row in report.daily]
    assert list(tables["Input tokens"]["Output tokens"]) == [
        row.metrics.output_tokens for row in report.daily
    ]
    assert list(tables["Successful"]["Failed"]) == [row.metrics.failed_requests for row in report.daily]
    assert set(spend["Day"]) == {"complete"}


# -- two passes: the top first, the rest once the browser reports it drawn -----------------------


def browser_reports_top_drawn(at: AppTest) -> AppTest:
    """Rerun with the message the page's signal sends once the top is drawn (its trigger value)."""
    (signal,) = [e for e in at.main if getattr(e, "key", None) == below_fold.SIGNAL_KEY]
    states = at._tree.get_widget_states()  # what the browser sends back with every rerun
    trigger = states.widgets.add()
    trigger.id = _make_trigger_id(signal.proto.id, "events")
    trigger.json_trigger_value = json.dumps([{"event": "drawn", "value": True}])
    return at._run(states)


def test_a_sessions_first_report_draws_its_top_then_the_rest_when_the_browser_says_so() -> None:
    at = ran_cleanly(demo_app("member", tenant="acme-prod", top_drawn=False).run())
    assert [m.label for m in at.metric][:4] == ["Spend (USD)", "Input tokens", "Output tokens", "Requests"]
    assert "Company budget" in visible_text(at) and below_fold.WAITING in visible_text(at)
    assert len(at.get("plotly_chart")) == 2 and not plotly_specs(at)  # the two gauges, no daily chart
    assert not at.get("download_button") and not at.dataframe and not at.expander
    assert not at.sidebar.selectbox and [b.key for b in at.sidebar.button] == ["logout"]  # pickers wait too

    at = ran_cleanly(browser_reports_top_drawn(at))
    assert len(plotly_specs(at)) == 3 and len(at.get("download_button")) == 1
    assert below_fold.WAITING not in visible_text(at)
    assert [s.key for s in at.sidebar.selectbox] == ["pick_tenant", "pick_month"]
    # the rest of the session draws whole reports in one pass
    at.sidebar.selectbox(key="pick_month").set_value(LAST_MONTH).run()
    assert len(plotly_specs(ran_cleanly(at))) == 3 and below_fold.WAITING not in visible_text(at)


def test_a_first_pass_leaves_the_url_to_the_second_so_both_show_its_notice() -> None:
    at = ran_cleanly(demo_app("member", tenant="no-such-tenant", top_drawn=False).run())
    (notice,) = [w.value for w in at.warning]
    assert "no-such-tenant" in plain(notice) and at.query_params["tenant"] == "no-such-tenant"
    at = ran_cleanly(browser_reports_top_drawn(at))
    assert [w.value for w in at.warning] == [notice] and at.query_params["tenant"] == "acme-dev"
    assert title(at).startswith("Acme Development - ")

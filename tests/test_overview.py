"""Overviews: the multi-team reads against the emulator, and the pure org, platform and operator views."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from usage_core.access import Scope, tenant_scope
from usage_core.demo import DEMO_MASTER_KEY, DEMO_PERSONAS, DEMO_TENANTS, DemoLiteLLM, platform_teams
from usage_core.errors import LiteLLMProtocolError
from usage_core.forecast import Outlook
from usage_core.identity import Role, User, user_from_claims
from usage_core.litellm import (
    LiteLLMClient,
    TeamInfo,
    TeamListing,
    add_teams_activity_page,
    entity_metrics,
    metrics_from_daily,
)
from usage_core.months import Month
from usage_core.overview import (
    ORG_OVERVIEW_DENIED,
    PlatformData,
    Risk,
    org_overview,
    org_overview_allowed,
    org_overview_teams,
    platform_overview,
)
from usage_core.reports import TeamSnapshot, build_report
from usage_core.service import UsageService
from usage_core.tenants import StaticTenantSource, Tenant
from usage_core.usage import Metrics, TeamUsage, TeamUsageBuilder, UsageSlice

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
NOV = Month(2026, 11)
DEMO_TEAM_IDS = ("team-acme-7f3a", "team-globex-19c2", "team-initech-5b8e")
SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "litellm" / "samples"


def client_for(
    demo: DemoLiteLLM, *, record: list[httpx.Request] | None = None, **kwargs: Any
) -> LiteLLMClient:
    def handler(request: httpx.Request) -> httpx.Response:
        if record is not None:
            record.append(request)
        return demo(request)

    return LiteLLMClient("http://d", DEMO_MASTER_KEY, transport=httpx.MockTransport(handler), **kwargs)


def hiding(demo: DemoLiteLLM, *paths: str) -> Callable[[httpx.Request], httpx.Response]:
    """The emulator as a proxy that lacks some endpoints (404), like an older LiteLLM."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path in paths:
            return httpx.Response(404, json={"detail": "Not Found"})
        return demo(request)

    return handler


def same(a: Metrics, b: Metrics) -> bool:
    ints = (
        "input_tokens",
        "output_tokens",
        "total_tokens",
        "requests",
        "successful_requests",
        "failed_requests",
    )
    return all(getattr(a, f) == getattr(b, f) for f in ints) and math.isclose(
        a.spend, b.spend, rel_tol=1e-12, abs_tol=1e-12
    )


def same_days(a: dict[date, Metrics] | Any, b: dict[date, Metrics] | Any) -> bool:
    return set(a) == set(b) and all(same(a[d], b[d]) for d in a)


def service(demo: DemoLiteLLM | None = None, tenants: tuple[Tenant, ...] = DEMO_TENANTS) -> UsageService:
    return UsageService(client_for(demo or DemoLiteLLM(now=NOW)), StaticTenantSource(tenants), demo=True)


# -- reading many teams at once ---------------------------------------------------------------------


@pytest.mark.parametrize("page_size", [1000, 7])  # 7: pages that split days and teams
@pytest.mark.parametrize("month", [NOV, Month(2026, 10), Month(2026, 2)])
def test_teams_usage_equals_each_teams_own_read(page_size: int, month: Month) -> None:
    client = client_for(DemoLiteLLM(now=NOW), daily_page_size=page_size)
    together = client.teams_usage(DEMO_TEAM_IDS, month)
    for team_id in DEMO_TEAM_IDS:
        alone = client.team_usage(team_id, month)
        assert same_days(together[team_id].team.daily, alone.team.daily), team_id
        assert set(together[team_id].by_alias) == set(alone.by_alias)
        for alias, usage_slice in alone.by_alias.items():
            assert same_days(together[team_id].by_alias[alias].daily, usage_slice.daily), alias


def test_teams_daily_totals_agree_on_every_path() -> None:
    alone = {t: client_for(DemoLiteLLM(now=NOW)).team_usage(t, NOV).team.daily for t in DEMO_TEAM_IDS}
    paths = {
        "aggregated": (DemoLiteLLM(now=NOW), DEMO_TEAM_IDS),
        "paginated": (DemoLiteLLM(now=NOW, aggregated_activity=False), DEMO_TEAM_IDS),
        # raw rows are slow to emulate: the smallest team shows the fallback is wired in
        "spend logs": (DemoLiteLLM(now=NOW, daily_activity=False), ("team-initech-5b8e",)),
    }
    for name, (demo, team_ids) in paths.items():
        totals = client_for(demo).teams_daily_totals(team_ids, NOV)
        assert set(totals) == set(team_ids)
        for team_id in team_ids:
            assert same_days(totals[team_id], alone[team_id]), (name, team_id)


def test_teams_daily_totals_stop_at_the_last_day() -> None:
    for demo in (DemoLiteLLM(now=NOW), DemoLiteLLM(now=NOW, aggregated_activity=False)):
        totals = client_for(demo).teams_daily_totals(
            DEMO_TEAM_IDS, Month(2026, 10), last_day=date(2026, 10, 27)
        )
        assert max(totals["team-acme-7f3a"]) == date(2026, 10, 27)
        assert len(totals["team-acme-7f3a"]) == 27


def test_a_thousand_teams_take_a_bounded_number_of_requests() -> None:
    teams = platform_teams(1000)
    demo = DemoLiteLLM(now=NOW, teams=teams)
    record: list[httpx.Request] = []
    client = client_for(demo, record=record)
    listings = client.list_team_listings()
    assert len(listings) == 1000 and {t.keys for t in listings} == {1, 2, 3, 4, 5}
    ids = [t.info.team_id for t in listings]
    totals = client.teams_daily_totals(ids, NOV)
    paths = [r.url.path for r in record]
    assert paths.count("/v2/team/list") == 10  # pages of 100
    assert paths.count("/team/daily/activity/aggregated") == 10  # batches of 100 team ids
    assert len(paths) == 20
    batches = [r.url.params["team_ids"].split(",") for r in record if r.url.path.endswith("/aggregated")]
    assert sorted(t for batch in batches for t in batch) == sorted(ids)
    assert max(len(r.url.query) for r in record) < 8000  # a request line proxies accept
    # spot-check three teams against their own single-team read
    for team_id in (ids[0], ids[499], ids[-1]):
        assert same_days(totals[team_id], client.team_usage(team_id, NOV).team.daily)


def test_listings_without_v2_come_from_team_list_and_key_list() -> None:
    demo = DemoLiteLLM(now=NOW)
    record: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        record.append(request)
        return hiding(demo, "/v2/team/list")(request)

    client = LiteLLMClient("http://d", DEMO_MASTER_KEY, transport=httpx.MockTransport(handler))
    listings = {t.info.team_id: t for t in client.list_team_listings()}
    # the emulator's /team/list embeds no keys, so the client counts them from /key/list (no team filter)
    assert {t: listings[t].keys for t in DEMO_TEAM_IDS} == {
        "team-acme-7f3a": 3,
        "team-globex-19c2": 3,
        "team-initech-5b8e": 1,
    }
    assert [r.url.path for r in record] == ["/v2/team/list", "/team/list", "/key/list"]
    assert "team_id" not in record[-1].url.params
    assert listings["team-acme-7f3a"].info.max_budget is not None


def test_list_all_keys_groups_every_key_by_team() -> None:
    keys = client_for(DemoLiteLLM(now=NOW, teams=platform_teams(120))).list_all_keys()
    assert len(keys) == 120 and sum(len(v) for v in keys.values()) == sum(
        len(t.keys) for t in platform_teams(120)
    )
    assert {k.alias for k in keys["team-p0000"]} == {"org0000-t0", None}


def test_the_real_sample_folds_like_the_single_team_path() -> None:
    body = json.loads((SAMPLES / "team_daily_activity.json").read_text())["body"]
    team = "04463227-a538-4b19-ab00-a06cc67156d3"
    builder = TeamUsageBuilder(team, NOV)
    add_teams_activity_page({team: builder}, body, aliases=True, last_day=NOV.last_day)
    usage = builder.build("daily_activity", NOW)
    assert same(Metrics.total(usage.team.daily.values()), Metrics(145, 108, 253, 8, 7, 1, 0.000332))
    assert same(
        Metrics.total(usage.slice_for("acme-prod").daily.values()), Metrics(94, 54, 148, 5, 4, 1, 0.000173)
    )


FIELD_VALUES = st.one_of(
    st.integers(-(2**40), 2**40), st.floats(allow_nan=False), st.booleans(), st.none(), st.text(max_size=3)
)
METRIC_NAMES = (
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "api_requests",
    "successful_requests",
    "failed_requests",
    "spend",
)


@settings(deadline=None)  # no timing here: the machine's load must not decide a pure property
@given(
    st.dictionaries(st.sampled_from(METRIC_NAMES), FIELD_VALUES)
    | st.fixed_dictionaries(  # well formed: the fast path itself
        {name: st.integers(0, 10**9) for name in METRIC_NAMES[:-1]} | {"spend": st.floats(allow_nan=False)}
    )
    | st.none()
    | st.integers()
)
def test_the_fast_metrics_parser_answers_like_the_strict_one(raw: Any) -> None:
    assert entity_metrics(raw) == metrics_from_daily(raw)


def test_the_fast_metrics_parser_on_a_real_entity() -> None:
    raw = {name: 3 for name in METRIC_NAMES} | {"spend": -0.0, "flat_cost": 0.0}
    assert entity_metrics(raw) == metrics_from_daily(raw) == Metrics(3, 3, 3, 3, 3, 3, 0.0)


def test_several_teams_without_a_per_team_breakdown_are_refused() -> None:
    body = {
        "results": [{"date": "2026-11-03", "metrics": {"spend": 1.0, "api_requests": 2}, "breakdown": {}}]
    }
    builders = {t: TeamUsageBuilder(t, NOV) for t in ("a", "b")}
    with pytest.raises(LiteLLMProtocolError, match="per-team breakdown"):
        add_teams_activity_page(builders, body, aliases=False, last_day=NOV.last_day)


# -- the org overview --------------------------------------------------------------------------------


def member(email: str, org: str = "acme") -> User:
    return User(sub=email, email=email, name=email, org=org, role=Role.USER)


def test_who_gets_the_org_overview() -> None:
    owner = user_from_claims(DEMO_PERSONAS["owner"])
    admin = user_from_claims(DEMO_PERSONAS["admin"])
    assert org_overview_allowed(owner, DEMO_TENANTS).allowed
    assert org_overview_allowed(member("bob@acme.example"), DEMO_TENANTS).allowed  # acme-prod and -eu
    only_one = org_overview_allowed(member("ivan@initech.example", "initech"), DEMO_TENANTS[6:7])
    assert (only_one.allowed, only_one.reason) == (False, ORG_OVERVIEW_DENIED)
    assert not org_overview_allowed(admin, DEMO_TENANTS).allowed


def test_one_team_read_serves_every_tenant_of_the_team() -> None:
    record: list[httpx.Request] = []
    svc = UsageService(client_for(DemoLiteLLM(now=NOW), record=record), StaticTenantSource(DEMO_TENANTS))
    owner = user_from_claims(DEMO_PERSONAS["owner"])  # globex: three tenants, one team
    overview = svc.org_overview(owner, NOV, now=NOW)
    assert [r.tenant for r in overview.rows] == ["globex-data", "globex-ml", "globex-web"]
    paths = sorted(r.url.path for r in record)
    # this month's snapshot (info, keys, usage) and the previous month's usage: nothing per tenant
    assert paths == ["/key/list", "/team/daily/activity", "/team/daily/activity", "/team/info"]


def test_org_rows_equal_each_tenants_own_report() -> None:
    svc = service()
    owner = user_from_claims(DEMO_PERSONAS["owner"])
    overview = svc.org_overview(owner, NOV, now=NOW)
    for row in overview.rows:
        tenant = next(t for t in DEMO_TENANTS if t.name == row.tenant)
        scope = tenant_scope(owner, tenant).scope
        assert scope is not None
        if scope.company_wide:  # globex-ml has no key yet: no figures of its own, never the team's
            assert not row.available and row.totals == Metrics() and row.daily_spend == ()
            continue
        report = svc.report(scope, NOV, now=NOW)
        assert row.available and same(row.totals, report.totals)
        assert row.daily_spend == tuple(r.metrics.spend for r in report.daily)
        assert (
            report.previous is not None
            and row.previous is not None
            and same(row.previous, report.previous.totals)
        )
        assert len(row.daily_spend) == len(overview.days) == 27
    shares = [r.company_share for r in overview.rows if r.company_share is not None]
    assert 0.6 < sum(shares) < 1  # the key without an alias spends the rest of the team's money


def test_a_member_sees_only_their_own_tenants() -> None:
    bob = member("bob@acme.example")
    assert org_overview_teams(bob, DEMO_TENANTS) == ["team-acme-7f3a"]
    overview = service().org_overview(bob, NOV, now=NOW)
    assert [r.tenant for r in overview.rows] == ["acme-prod", "acme-prod-eu"]


def test_org_overview_by_hand() -> None:
    # one team, two tenants; Nov 3 and Nov 20 only; the previous month (October) has Oct 3 and Oct 28
    tenants = (
        Tenant("a", "acme", '=HYPERLINK("http://x")', ("u@acme.example",), "t1", "alias-a"),
        Tenant("b", "acme", "Bee", ("u@acme.example",), "t1", "alias-b"),
        Tenant("c", "acme", "Pending", ("u@acme.example",), "t1", None),
    )
    day_a, day_b = date(2026, 11, 3), date(2026, 11, 20)
    usage = TeamUsage(
        "t1",
        NOV,
        UsageSlice({day_a: Metrics(100, 10, 110, 10, 9, 1, 4.0), day_b: Metrics(50, 5, 55, 5, 5, 0, 4.0)}),
        {
            "alias-a": UsageSlice({day_a: Metrics(60, 6, 66, 6, 5, 1, 2.0)}),
            "alias-b": UsageSlice({day_b: Metrics(50, 5, 55, 5, 5, 0, 4.0)}),
        },
        "daily_activity",
        NOW,
    )
    previous = TeamUsage(
        "t1",
        Month(2026, 10),
        UsageSlice(),
        {
            "alias-a": UsageSlice(
                {date(2026, 10, 3): Metrics(spend=1.0), date(2026, 10, 28): Metrics(spend=50.0)}
            )
        },
        "daily_activity",
        NOW,
    )
    team = TeamInfo("t1", "Acme", 100.0, 8.0, "1mo", datetime(2026, 12, 1, tzinfo=UTC), None, None)
    owner = User(sub="o", email=None, name="o", org="acme", role=Role.OWNER)
    overview = org_overview(
        owner, tenants, NOV, {"t1": TeamSnapshot(team, (), usage)}, {"t1": previous}, now=NOW
    )
    rows = {r.tenant: r for r in overview.rows}
    # tenant a: spend 2 of the team's 8 = 25 %; 1 of 6 requests failed; last month's days 1-27: Oct 3 only = 1
    assert (rows["a"].totals.spend, rows["a"].company_share, rows["a"].failed_share) == (2.0, 0.25, 1 / 6)
    assert rows["a"].previous == Metrics(spend=1.0) and rows["a"].spend_change == 1.0  # +100 %
    assert rows["b"].company_share == 0.5 and rows["b"].spend_change is None  # nothing last month
    assert not rows["c"].available
    assert [r.tenant for r in overview.sorted_by("spend")] == ["b", "a", "c"]  # blanks last
    assert [r.tenant for r in overview.sorted_by("display_name", descending=False)] == ["a", "b", "c"]
    lines = list(csv.reader(io.StringIO(overview.to_csv())))
    assert lines[1][:4] == ["a", '\'=HYPERLINK("http://x")', "alias-a", "2.0"]  # a formula stays text
    assert lines[3][3:] == [""] * 11  # the pending tenant: blanks, not zeros
    assert overview.days[0] == date(2026, 11, 1) and len(rows["a"].daily_spend) == 27
    assert rows["a"].daily_spend[2] == 2.0 and sum(rows["a"].daily_spend) == 2.0


# -- the platform overview ---------------------------------------------------------------------------


def listing(
    team_id: str, max_budget: float | None, spend: float, reset: datetime | None = None
) -> TeamListing:
    reset = reset or datetime(2026, 12, 1, tzinfo=UTC)
    return TeamListing(TeamInfo(team_id, team_id.upper(), max_budget, spend, "1mo", reset, 60, 1000), 2)


def flat(per_day: float, last: int = 27) -> dict[date, Metrics]:
    return {date(2026, 11, d): Metrics(10, 5, 15, 2, 2, 0, per_day) for d in range(1, last + 1)}


def test_platform_risk_order_by_hand() -> None:
    # now Nov 27 09:00; pace = mean of Nov 20-26. Budget spend is what LiteLLM reports since the reset.
    teams = (
        listing(
            "calm", 1000.0, 100.0
        ),  # 900 left at 4/day: 225 days, resets Dec 1 first -> within, 10 % used
        listing("soon", 200.0, 190.0),  # 10 left at 10/day = 1 day -> Nov 28, before Dec 1 -> runs out
        listing("later", 200.0, 170.0),  # 30 left at 10/day = 3 days -> Nov 30 09:00 -> runs out
        listing("over", 100.0, 150.0),  # 150 % used
        listing("zero", 0.0, 0.0),  # a zero budget is used up: over, first
        listing("free", None, 0.0),  # no budget, spends 1/day
        listing("big", None, 0.0),  # no budget, spends 50/day: before "free"
        listing("used", 1000.0, 800.0),  # 80 % used, 200 left at 4/day = 50 days -> resets first
    )
    daily = {
        "calm": flat(4.0),
        "soon": flat(10.0),
        "later": flat(10.0),
        "over": flat(6.0),
        "zero": {},
        "free": flat(1.0),
        "big": flat(50.0),
        "used": flat(4.0),
    }
    previous = {"big": {date(2026, 10, d): Metrics(spend=25.0) for d in range(1, 32)}}
    data = PlatformData(NOV, teams, daily, previous, NOW)
    tenants = (Tenant("x", "o", "X", (), "soon", "a"), Tenant("y", "o", "Y", (), "soon", "b"))
    overview = platform_overview(data, tenants, now=NOW)
    order = [r.team_id for r in overview.rows]
    assert order == ["zero", "over", "soon", "later", "used", "calm", "big", "free"]
    assert [r.risk_rank for r in overview.rows] == list(range(1, 9))
    rows = {r.team_id: r for r in overview.rows}
    assert [rows[t].risk for t in ("zero", "soon", "used", "big")] == [
        Risk.OVER_BUDGET,
        Risk.RUNS_OUT,
        Risk.WITHIN_BUDGET,
        Risk.NO_BUDGET,
    ]
    assert rows["soon"].runs_out_on == date(2026, 11, 28) and rows["later"].runs_out_on == date(2026, 11, 30)
    assert rows["calm"].outlook.outlook is Outlook.ON_TRACK and rows["calm"].runs_out_on is None
    assert rows["over"].over_budget and rows["over"].budget_used == 1.5
    assert (rows["soon"].tenants, rows["calm"].tenants, rows["soon"].keys) == (2, 0, 2)
    # big: Nov 1-27 at 50 = 1350 against Oct 1-27 at 25 = 675: +100 %; projected 26 x 50 + 50 x 4 = 1500
    assert (rows["big"].totals.spend, rows["big"].previous.spend, rows["big"].deltas.spend.ratio) == (
        1350.0,
        675.0,
        1.0,
    )
    assert rows["big"].projected_spend == 1500.0
    assert len(rows["big"].daily_spend) == 27
    assert [r.team_id for r in overview.sorted_by("spend")][:2] == ["big", "soon"]
    lines = list(csv.reader(io.StringIO(overview.to_csv())))
    assert lines[0][:4] == ["risk_rank", "risk", "team_id", "team_alias"]
    assert lines[1][:4] == ["1", "over_budget", "zero", "ZERO"]
    assert lines[3][14] == "2026-11-28"  # budget_runs_out_on of "soon"


def test_platform_overview_of_the_demo() -> None:
    record: list[httpx.Request] = []
    svc = UsageService(client_for(DemoLiteLLM(now=NOW), record=record), StaticTenantSource(DEMO_TENANTS))
    overview = svc.platform_overview(NOV, now=NOW)
    rows = {r.team_id: r for r in overview.rows}
    assert overview.rows[0].team_id == "team-globex-19c2"  # the demo's over-budget org
    assert (rows["team-globex-19c2"].tenants, rows["team-globex-19c2"].keys) == (3, 3)
    for team_id in DEMO_TEAM_IDS:  # every key counts, the unaliased one too
        snapshot = svc.snapshot(team_id, NOV)
        assert same(rows[team_id].totals, Metrics.total(snapshot.usage.team.daily.values()))
    assert sorted(r.url.path for r in record[:3]) == [
        "/team/daily/activity/aggregated",
        "/team/daily/activity/aggregated",
        "/v2/team/list",
    ]


def test_a_past_month_shows_actuals() -> None:
    overview = service().platform_overview(Month(2026, 10), now=NOW)
    for row in overview.rows:
        assert row.projected_spend == pytest.approx(row.totals.spend)
        assert row.outlook.outlook in (Outlook.PAST_MONTH, Outlook.NO_BUDGET)
        assert len(row.daily_spend) == 31
    assert overview.compared_days == 30  # all of September


# -- the operator's overview -------------------------------------------------------------------------


def test_operator_team_figures_include_keys_without_a_tenant() -> None:
    svc = service()
    overview = svc.operator_overview(NOV, now=NOW)
    teams = {t.row.team_id: t for t in overview.teams}
    globex = teams["team-globex-19c2"]
    tenant_spend = sum(t.totals.spend for t in globex.tenants if t.totals)
    snapshot = svc.snapshot("team-globex-19c2", NOV)
    unassigned = Metrics.total(m for d, m in snapshot.usage.team.daily.items()).spend - sum(
        Metrics.total(s.daily.values()).spend for s in snapshot.usage.by_alias.values()
    )
    assert unassigned > 1  # the demo's key without an alias
    assert globex.row.totals.spend == pytest.approx(tenant_spend + unassigned, rel=1e-12)
    assert [t.totals for t in globex.tenants if t.tenant == "globex-ml"] == [None]


def test_each_operator_tenant_equals_its_own_export() -> None:
    svc = service()
    admin = user_from_claims(DEMO_PERSONAS["admin"])
    overview = svc.operator_overview(NOV, now=NOW)
    checked = 0
    for team in overview.teams:
        for t in team.tenants:
            tenant = next(x for x in DEMO_TENANTS if x.name == t.tenant)
            scope = tenant_scope(admin, tenant).scope
            if t.totals is None:
                continue
            assert scope is not None
            export = svc.report(scope, NOV, now=NOW).to_json()["totals"]
            assert (t.totals.requests, t.totals.input_tokens, t.totals.output_tokens) == (
                export["requests"],
                export["input_tokens"],
                export["output_tokens"],
            )
            assert math.isclose(t.totals.spend, export["spend"], rel_tol=1e-12)
            checked += 1
    assert checked == 6


def test_operator_overview_of_one_org() -> None:
    overview = service().operator_overview(NOV, org="acme", now=NOW)
    assert [t.row.team_id for t in overview.teams] == ["team-acme-7f3a"]
    doc = overview.to_json()
    assert set(doc) == {"month", "teams"} and doc["month"] == "2026-11"
    team = doc["teams"][0]
    assert set(team) == {
        "team_id",
        "team_alias",
        "spend",
        "requests",
        "input_tokens",
        "output_tokens",
        "max_budget",
        "budget_spend",
        "projected_spend",
        "budget_runs_out_on",
        "budget_outlook",
        "tenants",
    }
    assert [t["tenant"] for t in team["tenants"]] == ["acme-dev", "acme-prod", "acme-prod-eu"]
    assert set(team["tenants"][0]) == {
        "tenant",
        "display_name",
        "key_alias",
        "spend",
        "requests",
        "input_tokens",
        "output_tokens",
    }


def test_the_export_carries_previous_and_forecast() -> None:
    svc = service()
    scope = Scope("team-acme-7f3a", "acme-prod", "Acme Production", "acme-prod")
    doc = svc.report(scope, NOV, now=NOW).to_json()
    assert doc["previous"]["month"] == "2026-10" and doc["previous"]["days"] == 27
    assert set(doc["previous"]["totals"]) == set(doc["totals"])
    october = svc.report(scope, Month(2026, 10), now=NOW).to_json()
    assert october["totals"]["requests"] > doc["previous"]["totals"]["requests"]  # 27 of 31 days
    assert set(doc["forecast"]) == {
        "projected_spend",
        "budget_runs_out_on",
        "key_budget_runs_out_on",
        "budget_outlook",
        "key_budget_outlook",
        "method",
    }
    assert doc["forecast"]["projected_spend"] > doc["totals"]["spend"]
    past = october["forecast"]
    assert past["projected_spend"] == october["totals"]["spend"] and past["budget_outlook"] == "past_month"


def test_report_exposes_the_chart_series() -> None:
    svc = service()
    scope = Scope("team-acme-7f3a", "acme-prod", "Acme Production", "acme-prod")
    snapshot = svc.snapshot("team-acme-7f3a", NOV)
    previous = svc.client.team_usage("team-acme-7f3a", Month(2026, 10))
    report = build_report(scope, NOV, snapshot, now=NOW, previous=previous)
    projected = report.forecast.projected_daily
    assert projected[0].day == date(2026, 11, 27) and projected[-1].day == date(2026, 11, 30)
    overlay = report.previous_daily_aligned()
    assert len(overlay) == 30 and overlay[4].day == date(2026, 11, 5)
    assert overlay[4].metrics == previous.slice_for("acme-prod").daily[date(2026, 10, 5)]
    deltas = report.deltas()
    assert deltas is not None and deltas.spend.current == report.totals.spend
    with pytest.raises(ValueError, match="previous month"):
        build_report(scope, NOV, snapshot, now=NOW, previous=snapshot.usage)

"""The embedded demo: deterministic, a year of data, and the real proxy's response shapes and traps."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from usage_core.access import Outcome, UsageRequest, resolve
from usage_core.demo import DEMO_MASTER_KEY, DEMO_PERSONAS, DEMO_TENANTS, DemoLiteLLM, platform_teams
from usage_core.identity import user_from_claims
from usage_core.litellm import LiteLLMClient
from usage_core.months import Month
from usage_core.reports import build_report
from usage_core.service import UsageService
from usage_core.tenants import StaticTenantSource

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def get(demo: DemoLiteLLM, path: str, **params: Any) -> Any:
    request = httpx.Request(
        "GET",
        "http://litellm.demo" + path,
        params=params,
        headers={"Authorization": f"Bearer {DEMO_MASTER_KEY}"},
    )
    return demo(request).json()


def service(now: datetime = NOW) -> UsageService:
    client = LiteLLMClient("http://d", DEMO_MASTER_KEY, transport=httpx.MockTransport(DemoLiteLLM(now=now)))
    return UsageService(client, StaticTenantSource(DEMO_TENANTS), demo=True)


def test_data_is_deterministic() -> None:
    a, b = DemoLiteLLM(now=NOW), DemoLiteLLM(now=NOW)
    params = {
        "team_ids": "team-acme-7f3a",
        "start_date": "2026-10-01",
        "end_date": "2026-10-31",
        "page_size": 50,
    }
    assert get(a, "/team/daily/activity", **params) == get(b, "/team/daily/activity", **params)


def test_thirteen_months_of_data_and_nothing_before_or_after() -> None:
    svc = service()
    month = Month(2026, 11)
    for m in month.recent(13):
        assert svc.report(build_scope("acme-prod"), m, now=NOW).totals.requests > 0, m
    assert svc.report(build_scope("acme-prod"), Month(2025, 10), now=NOW).totals.requests == 0


def build_scope(tenant: str) -> Any:
    admin = user_from_claims(DEMO_PERSONAS["admin"])
    scope = resolve(admin, DEMO_TENANTS, UsageRequest(tenant=tenant)).scope
    assert scope is not None
    return scope


def test_personas_see_what_the_demo_promises() -> None:
    member = user_from_claims(DEMO_PERSONAS["member"])
    owner = user_from_claims(DEMO_PERSONAS["owner"])
    member_view = resolve(member, DEMO_TENANTS, UsageRequest(tenant="globex-ml"))
    assert member_view.outcome is Outcome.NOT_FOUND
    owner_view = resolve(owner, DEMO_TENANTS, UsageRequest(tenant="globex-ml"))
    assert owner_view.scope is not None and owner_view.scope.company_wide  # the tenant without an alias
    pending = resolve(
        user_from_claims(DEMO_PERSONAS["admin"]), DEMO_TENANTS, UsageRequest(tenant="initech-sandbox")
    )
    assert pending.outcome is Outcome.NOT_AVAILABLE


def test_budgets_near_and_over_the_limit() -> None:
    svc = service()
    month = Month(2026, 11)
    acme = svc.snapshot("team-acme-7f3a", month)
    globex = svc.snapshot("team-globex-19c2", month)
    assert acme.team.max_budget is not None and 0.75 < acme.team.spend / acme.team.max_budget < 1
    assert globex.team.max_budget is not None and globex.team.spend > globex.team.max_budget
    assert svc.snapshot("team-initech-5b8e", month).team.max_budget is None
    prod = build_report(build_scope("acme-prod"), month, acme, now=NOW)
    assert prod.key_budget is not None and prod.key_budget.max_budget


def test_spend_logs_reproduce_the_proxy_traps() -> None:
    demo = DemoLiteLLM(now=NOW)
    base = {"team_id": "team-acme-7f3a", "page_size": 1000}
    # key_alias is a substring match: "acme-prod" also returns acme-prod-eu rows
    rows = get(
        demo, "/spend/logs/v2", **base, start_date="2026-11-02", end_date="2026-11-03", key_alias="acme-prod"
    )
    assert {r["metadata"]["user_api_key_alias"] for r in rows["data"]} == {"acme-prod", "acme-prod-eu"}
    # a date-only end bound means 00:00:00: the end day is (almost) lost
    day = get(demo, "/spend/logs/v2", **base, start_date="2026-11-02", end_date="2026-11-02")
    assert day["total"] == 0
    # total is capped at 10,000 and says so
    month = get(
        demo, "/spend/logs/v2", **base, start_date="2026-10-01 00:00:00", end_date="2026-11-01 00:00:00"
    )
    assert (month["total"], month["total_is_capped"], month["total_pages"]) == (10_000, True, 10)
    # newest first by default
    times = [r["startTime"] for r in month["data"]]
    assert times == sorted(times, reverse=True)
    assert (
        get(demo, "/spend/logs/v2", team_id="x")["error"]["message"] == "Start date and end date are required"
    )


def test_daily_rows_are_newest_first_and_split_days_across_pages() -> None:
    demo = DemoLiteLLM(now=NOW)
    params = {
        "team_ids": "team-acme-7f3a",
        "start_date": "2026-11-01",
        "end_date": "2026-11-30",
        "page_size": 4,
    }
    first, second = (get(demo, "/team/daily/activity", **params, page=p) for p in (1, 2))
    assert first["results"][0]["date"] == "2026-11-27"
    assert first["results"][-1]["date"] == second["results"][0]["date"]  # one day over two pages
    assert first["metadata"]["has_more"] is True


def test_auth_and_unknown_paths() -> None:
    demo = DemoLiteLLM(now=NOW)
    assert demo(httpx.Request("GET", "http://d/team/list")).status_code == 401
    wrong = httpx.Request("GET", "http://d/team/list", headers={"Authorization": "Bearer nope"})
    assert demo(wrong).status_code == 401
    missing = httpx.Request("GET", "http://d/nope", headers={"Authorization": f"Bearer {DEMO_MASTER_KEY}"})
    assert demo(missing).status_code == 404
    assert get(demo, "/team/info", team_id="nope") == {
        "detail": {"error": "Team not found, passed team_id=nope"}
    }


def test_key_list_pages_and_exact_alias_filter() -> None:
    demo = DemoLiteLLM(now=NOW)
    page = get(demo, "/key/list", team_id="team-acme-7f3a", size=2, page=2, return_full_object="true")
    assert (page["total_count"], page["total_pages"], len(page["keys"])) == (3, 2, 1)
    exact = get(demo, "/key/list", key_alias="acme-prod", return_full_object="true")
    assert [k["key_alias"] for k in exact["keys"]] == ["acme-prod"]
    hashes = get(demo, "/key/list", team_id="team-acme-7f3a")
    assert all(isinstance(k, str) and len(k) == 64 for k in hashes["keys"])


def test_daily_activity_of_several_teams_splits_them_by_entity() -> None:
    demo = DemoLiteLLM(now=NOW)
    both = get(
        demo,
        "/team/daily/activity",
        team_ids="team-acme-7f3a,team-initech-5b8e",
        start_date="2026-11-27",
        end_date="2026-11-27",
        page_size=1000,
    )
    (day,) = both["results"]
    entities = day["breakdown"]["entities"]
    assert set(entities) == {"team-acme-7f3a", "team-initech-5b8e"}
    assert entities["team-acme-7f3a"]["metadata"] == {"team_alias": "Acme Corp"}
    alone = get(
        demo,
        "/team/daily/activity",
        team_ids="team-acme-7f3a",
        start_date="2026-11-27",
        end_date="2026-11-27",
    )
    assert entities["team-acme-7f3a"]["metrics"] == alone["results"][0]["metrics"]
    requests = sum(e["metrics"]["api_requests"] for e in entities.values())
    assert requests == day["metrics"]["api_requests"]
    aliases = {k["metadata"]["key_alias"] for k in entities["team-acme-7f3a"]["api_key_breakdown"].values()}
    assert aliases == {"acme-prod", "acme-prod-eu", "acme-dev"}


def test_aggregated_daily_activity_is_one_answer_with_top_keys_only() -> None:
    demo = DemoLiteLLM(now=NOW)
    params = {
        "team_ids": "team-acme-7f3a,team-globex-19c2",
        "start_date": "2026-11-01",
        "end_date": "2026-11-30",
    }
    top1 = get(demo, "/team/daily/activity/aggregated", **params, api_key_limit=1)
    assert top1["metadata"]["total_pages"] == 1 and top1["metadata"]["has_more"] is False
    assert [r["date"] for r in top1["results"]] == [f"2026-11-{d:02d}" for d in range(27, 0, -1)]
    assert top1["metadata"]["total_api_keys"] == 6
    assert top1["metadata"]["entity_total_api_keys"] == {"team-acme-7f3a": 3, "team-globex-19c2": 3}
    keys = {t for r in top1["results"] for t in r["breakdown"]["api_keys"]}
    assert len(keys) == 1  # only the biggest spender's per-key rows
    paged = get(demo, "/team/daily/activity", **params, page_size=1000)
    by_day = {r["date"]: r for r in paged["results"]}
    for result in top1["results"]:
        for team, entity in result["breakdown"]["entities"].items():
            expected = by_day[result["date"]]["breakdown"]["entities"][team]["metrics"]
            assert entity["metrics"]["api_requests"] == expected["api_requests"]
            assert entity["metrics"]["spend"] == pytest.approx(expected["spend"], rel=1e-12)
    wide = get(demo, "/team/daily/activity/aggregated", **params, api_key_limit=1000)
    assert len({t for r in wide["results"] for t in r["breakdown"]["api_keys"]}) == 6
    too_long = {**params, "start_date": "2025-01-01"}
    assert "400 days" in get(demo, "/team/daily/activity/aggregated", **too_long)["detail"]["error"]
    assert get(demo, "/team/daily/activity/aggregated", **params, api_key_limit=1001)["error"]
    older = DemoLiteLLM(now=NOW, aggregated_activity=False)
    assert get(older, "/team/daily/activity/aggregated", **params) == {"detail": "Not Found"}


def test_v2_team_list_counts_keys_and_bounds_the_page() -> None:
    demo = DemoLiteLLM(now=NOW, teams=platform_teams(250))
    page = get(demo, "/v2/team/list", page=3, page_size=100)
    assert (page["total"], page["total_pages"], len(page["teams"])) == (250, 3, 50)
    assert page["teams"][0]["team_id"] == "team-p0200" and page["teams"][0]["keys_count"] == 2
    assert "page_size" in get(demo, "/v2/team/list", page_size=101)["error"]["message"]


def test_the_platform_dataset_has_every_kind_of_team() -> None:
    teams = platform_teams(1000)
    assert len({t.team_id for t in teams}) == 1000
    assert {len(t.keys) for t in teams} == {1, 2, 3, 4, 5}
    assert sum(1 for t in teams if any(k.alias is None for k in t.keys)) == 200
    assert {t.budget_ratio for t in teams} == {0.8, 1.05, 1.3, 2.0, None}
    assert all(abs(sum(k.share for k in t.keys) - 1) < 1e-9 for t in teams)
    assert platform_teams(1000) == teams  # deterministic

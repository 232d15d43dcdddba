"""Contract: the overviews against a real LiteLLM equal LiteLLM's own numbers and the tenants' exports.

Team A holds a tenant key (`base`), a rotated tenant key (`dev`, which took over the alias of a
deleted key) and a key that belongs to no tenant (`unaliased`); team B holds `prod`. Expected
values come from LiteLLM's tables with SQL (contract_truth), never through usage_core; the
in-process checks read the proxy with the client the dashboard uses.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from contract_cli import CliRun
from contract_env import RealProxy
from contract_seed import BOUNDARY_MONTH, Seed
from contract_truth import from_daily_table, from_spend_logs, key_hashes

from usage_core.litellm import LiteLLMClient
from usage_core.months import Month

pytestmark = pytest.mark.contract

SPEND_TOLERANCE = 1e-9
FIGURES = ("spend", "requests", "input_tokens", "output_tokens")


def current_month() -> str:
    return f"{datetime.now(UTC):%Y-%m}"


def org_of(seed: Seed) -> str:
    return f"acme-{seed.suffix}"


def assert_figures(actual: dict[str, Any], expected: dict[str, Any], where: str) -> None:
    """Requests and tokens exactly, spend within SPEND_TOLERANCE."""
    for name in FIGURES:
        if name == "spend":
            assert abs(float(actual[name]) - float(expected[name])) <= SPEND_TOLERANCE, (
                where,
                actual,
                expected,
            )
        else:
            assert actual[name] == expected[name], (where, name, actual[name], expected[name])


def truth_figures(
    db: psycopg.Connection[Any], team: str, hashes: list[str] | None, month: str
) -> dict[str, Any]:
    totals = from_spend_logs(db, team, hashes, month).totals
    return {
        "spend": totals["spend"],
        "requests": totals["requests"],
        "input_tokens": totals["input_tokens"],
        "output_tokens": totals["output_tokens"],
    }


def team_in(doc: dict[str, Any], team_id: str) -> dict[str, Any]:
    matches = [t for t in doc["teams"] if t["team_id"] == team_id]
    assert len(matches) == 1, f"team {team_id} appears {len(matches)} times"
    return matches[0]


@pytest.mark.parametrize("month", ["current", BOUNDARY_MONTH])
def test_overview_team_figures_include_the_key_without_a_tenant(
    seed: Seed, db: psycopg.Connection[Any], run_cli: Callable[..., CliRun], month: str
) -> None:
    month = current_month() if month == "current" else month
    doc = run_cli("overview", "--org", org_of(seed), "--month", month, "--format", "json").json()
    assert [t["team_id"] for t in doc["teams"]] == [seed.team_a]
    team = team_in(doc, seed.team_a)
    assert_figures(team, truth_figures(db, seed.team_a, None, month), f"team A {month}")
    unaliased = key_hashes_of_unaliased(db, seed)
    without_tenant = truth_figures(db, seed.team_a, unaliased, month)
    if month != BOUNDARY_MONTH:  # the boundary rows are the tenants' keys only
        assert without_tenant["requests"] > 0
    tenant_requests = sum(t["requests"] or 0 for t in team["tenants"])
    assert team["requests"] == tenant_requests + without_tenant["requests"]


def key_hashes_of_unaliased(db: psycopg.Connection[Any], seed: Seed) -> list[str]:
    with db.cursor() as cur:
        cur.execute(
            'SELECT token FROM "LiteLLM_VerificationToken" WHERE team_id = %s AND key_alias IS NULL',
            (seed.team_a,),
        )
        return [token for (token,) in cur.fetchall()]


@pytest.mark.parametrize("path", ["direct", "spend_logs"])
def test_each_overview_tenant_equals_its_own_export(
    seed: Seed, db: psycopg.Connection[Any], run_cli: Callable[..., CliRun], path: str
) -> None:
    """Every team of the proxy on the default path; one org's team through the raw-row fallback."""
    month = current_month()
    org = () if path == "direct" else ("--org", org_of(seed))
    teams = seed.team_ids if path == "direct" else (seed.team_a,)
    doc = run_cli("overview", "--month", month, "--format", "json", *org, path=path).json()
    nested = {t["tenant"]: t for team_id in teams for t in team_in(doc, team_id)["tenants"]}
    base = seed.keys["base"].alias
    expected = {base, f"{base}-dev", f"{base}-new"} | ({f"{base}-prod"} if path == "direct" else set())
    assert set(nested) == expected
    assert nested[f"{base}-new"]["key_alias"] is None and nested[f"{base}-new"]["spend"] is None
    for name, tenant in nested.items():
        if tenant["key_alias"] is None:
            continue
        export = run_cli("export", "--tenant", name, "--month", month, "--format", "json", path=path).json()
        assert_figures(tenant, export["totals"], f"{name} against its export ({path})")
        team = seed.team_b if name.endswith("-prod") else seed.team_a
        hashes = key_hashes(db, team, tenant["key_alias"])
        assert_figures(tenant, truth_figures(db, team, hashes, month), f"{name} against LiteLLM ({path})")
    for team_id in teams:
        assert_figures(
            team_in(doc, team_id), truth_figures(db, team_id, None, month), f"team {team_id} ({path})"
        )


def test_overview_budget_columns_equal_team_info(seed: Seed, run_cli: Callable[..., CliRun]) -> None:
    doc = run_cli("overview", "--month", current_month(), "--format", "json").json()
    team_a, team_b = team_in(doc, seed.team_a), team_in(doc, seed.team_b)
    assert (team_a["max_budget"], team_b["max_budget"]) == (5.0, 0.0)  # a zero budget is a budget
    assert team_b["budget_outlook"] == "reached"  # and it is used up from the start
    assert team_a["budget_spend"] == pytest.approx(team_a["spend"], abs=SPEND_TOLERANCE)  # all this month


def client(proxy: RealProxy, **kwargs: Any) -> LiteLLMClient:
    return LiteLLMClient(proxy.base_url, proxy.master_key, **kwargs)


def test_platform_reads_equal_litellm(seed: Seed, db: psycopg.Connection[Any], real_proxy: RealProxy) -> None:
    """The platform overview's reads: /v2/team/list with key counts, aggregated daily totals per team."""
    month = current_month()
    reader = client(real_proxy)
    listings = {t.info.team_id: t for t in reader.list_team_listings()}
    assert listings[seed.team_a].keys == 3  # base, dev and the unaliased key; the rotated one is gone
    assert listings[seed.team_b].keys == 1
    assert listings[seed.team_a].info.max_budget == 5.0 and listings[seed.team_b].info.max_budget == 0.0
    reader.stats.requests = 0
    totals = reader.teams_daily_totals(list(seed.team_ids), Month.parse(month))
    assert reader.stats.requests == 1  # one aggregated request for both teams: no 404, no paging
    for team_id in seed.team_ids:
        truth = from_daily_table(db, team_id, None, month)
        assert {d.isoformat() for d in totals[team_id]} == set(truth.days)
        for day, metrics in totals[team_id].items():
            expected = truth.days[day.isoformat()]
            assert (metrics.requests, metrics.input_tokens, metrics.output_tokens) == (
                expected["requests"],
                expected["input_tokens"],
                expected["output_tokens"],
            )
            assert abs(metrics.spend - expected["spend"]) <= SPEND_TOLERANCE


def test_multi_team_pages_split_days_and_teams(
    seed: Seed, db: psycopg.Connection[Any], real_proxy: RealProxy
) -> None:
    """teams_usage over both teams with pages of 2 daily rows: every page boundary inside a day."""
    month = current_month()
    reader = client(real_proxy, daily_page_size=2)
    usage = reader.teams_usage(list(seed.team_ids), Month.parse(month))
    assert reader.stats.requests > 3  # several pages
    for name in ("base", "dev", "prod"):
        key = seed.keys[name]
        assert key.alias is not None
        truth = from_daily_table(db, key.team_id, key_hashes(db, key.team_id, key.alias), month)
        days = usage[key.team_id].slice_for(key.alias).daily
        assert {d.isoformat() for d in days} == set(truth.days), name
        for day, metrics in days.items():
            expected = truth.days[day.isoformat()]
            assert (metrics.requests, metrics.input_tokens) == (
                expected["requests"],
                expected["input_tokens"],
            )
            assert abs(metrics.spend - expected["spend"]) <= SPEND_TOLERANCE

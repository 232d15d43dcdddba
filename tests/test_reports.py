"""Reports: zero days, totals, budgets, CSV and JSON, cut from a team snapshot."""

from __future__ import annotations

import csv
import io
import math
from datetime import UTC, date, datetime

import httpx
import pytest

from usage_core.access import Scope
from usage_core.demo import DEMO_MASTER_KEY, DemoLiteLLM
from usage_core.litellm import KeyInfo, LiteLLMClient, TeamInfo
from usage_core.months import Month
from usage_core.reports import CSV_COLUMNS, Budget, TeamSnapshot, build_report, plain_number
from usage_core.service import UsageService
from usage_core.tenants import StaticTenantSource
from usage_core.usage import Metrics, TeamUsage, UsageSlice

NOW = datetime(2026, 11, 27, 15, 30, tzinfo=UTC)
NOV = Month(2026, 11)


def team(max_budget: float | None = 10.0, spend: float = 4.0) -> TeamInfo:
    return TeamInfo("t1", "Acme", max_budget, spend, "30d", datetime(2026, 12, 1, tzinfo=UTC), 100, 5000)


def key(
    alias: str, max_budget: float | None, created: int, blocked: bool = False, spend: float = 1.0
) -> KeyInfo:
    return KeyInfo(
        f"hash-{alias}-{created}",
        alias,
        spend,
        max_budget,
        None,
        datetime(2026, 1, created, tzinfo=UTC),
        blocked,
    )


def snapshot(info: TeamInfo | None = None, keys: tuple[KeyInfo, ...] = ()) -> TeamSnapshot:
    day_a, day_b = date(2026, 11, 3), date(2026, 11, 20)
    usage = TeamUsage(
        team_id="t1",
        month=NOV,
        team=UsageSlice({day_a: Metrics(10, 5, 15, 2, 2, 0, 0.5), day_b: Metrics(4, 0, 4, 1, 0, 1, 0.0)}, {}),
        by_alias={
            "acme": UsageSlice(
                {day_a: Metrics(7, 3, 10, 1, 1, 0, 6.2e-05)},
                {"m-cheap": Metrics(7, 3, 10, 1, 1, 0, 6.2e-05), "m-idle": Metrics()},
            )
        },
        source="daily_activity",
        fetched_at=NOW,
    )
    return TeamSnapshot(info or team(), keys, usage)


def test_one_row_per_day_up_to_today_with_zero_days() -> None:
    report = build_report(Scope("t1", "acme", "Acme"), NOV, snapshot(), now=NOW)
    assert [r.day for r in report.daily] == [date(2026, 11, d) for d in range(1, 28)]
    assert report.daily[2].metrics.requests == 1 and report.daily[0].metrics == Metrics()
    assert report.totals == Metrics.total(r.metrics for r in report.daily)
    assert report.totals.spend == 6.2e-05


def test_past_month_has_every_day() -> None:
    report = build_report(
        Scope("t1", None, "Acme (company-wide)"), NOV, snapshot(), now=datetime(2027, 1, 5, tzinfo=UTC)
    )
    assert len(report.daily) == 30
    assert report.totals == Metrics(14, 5, 19, 3, 2, 1, 0.5)


def test_an_alias_without_usage_reports_zeros_not_the_team() -> None:
    report = build_report(Scope("t1", "acme-dev", "Dev"), NOV, snapshot(), now=NOW)
    assert report.totals == Metrics() and report.models == ()


def test_models_skip_empty_ones_and_sort_by_spend() -> None:
    report = build_report(Scope("t1", "acme", "Acme"), NOV, snapshot(), now=NOW)
    assert [m.model for m in report.models] == ["m-cheap"]


def test_a_snapshot_of_another_team_or_month_is_refused() -> None:
    with pytest.raises(ValueError):
        build_report(Scope("t2", "acme", "Acme"), NOV, snapshot(), now=NOW)
    with pytest.raises(ValueError):
        build_report(Scope("t1", "acme", "Acme"), Month(2026, 10), snapshot(), now=NOW)


@pytest.mark.parametrize(
    ("max_budget", "spend", "remaining", "over"),
    [
        (10.0, 4.0, 6.0, False),
        (0.0, 0.0, 0.0, False),
        (0.0, 0.3, 0.0, True),
        (5.0, 7.5, 0.0, True),
        (None, 3.0, None, False),
    ],
)
def test_budget(max_budget: float | None, spend: float, remaining: float | None, over: bool) -> None:
    report = build_report(Scope("t1", "acme", "Acme"), NOV, snapshot(team(max_budget, spend)), now=NOW)
    assert (report.budget.max_budget, report.budget.remaining, report.budget.over) == (
        max_budget,
        remaining,
        over,
    )
    assert report.to_json()["budget"]["remaining"] == remaining


def test_key_budget_is_the_current_key_of_the_alias() -> None:
    keys = (
        key("acme", 5.0, 1, spend=9.0),
        key("acme", 8.0, 20, blocked=True),
        key("acme", 3.0, 10, spend=1.0),
        key("acme-dev", 99.0, 25),
    )
    report = build_report(Scope("t1", "acme", "Acme"), NOV, snapshot(keys=keys), now=NOW)
    assert report.key_budget == Budget(3.0, 1.0, 2.0, None)
    company = build_report(Scope("t1", None, "Acme (company-wide)"), NOV, snapshot(keys=keys), now=NOW)
    assert company.key_budget is None
    none = build_report(Scope("t1", "acme", "Acme"), NOV, snapshot(keys=(key("acme", None, 1),)), now=NOW)
    assert none.key_budget is None


def test_csv_is_exact() -> None:
    report = build_report(Scope("t1", "acme", "Acme"), NOV, snapshot(), now=NOW)
    text = report.to_csv()
    lines = text.splitlines()
    assert (
        lines[0]
        == ",".join(CSV_COLUMNS)
        == ("date,input_tokens,output_tokens,total_tokens,requests,successful_requests,failed_requests,spend")
    )
    assert lines[1] == "2026-11-01,0,0,0,0,0,0,0"
    assert lines[3] == "2026-11-03,7,3,10,1,1,0,0.000062"
    assert len(lines) == 28 and text.endswith("\n") and "\r" not in text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert math.fsum(float(r["spend"]) for r in rows) == report.totals.spend


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (6.199999999999999e-05, "0.00006199999999999999"),
        (0.0, "0"),
        (1234567.5, "1234567.5"),
        (1e-10, "0.0000000001"),
        (3.0, "3.0"),
    ],
)
def test_plain_number(value: float, text: str) -> None:
    assert plain_number(value) == text
    assert float(plain_number(value)) == value


def test_json_shape() -> None:
    doc = build_report(Scope("t1", "acme", "Acme", "acme-prod"), NOV, snapshot(), now=NOW).to_json()
    assert set(doc) == {
        "scope",
        "month",
        "totals",
        "daily",
        "models",
        "budget",
        "key_budget",
        "rate_limits",
        "as_of",
        "previous",
        "forecast",
    }
    assert set(doc["budget"]) == {"max_budget", "spend", "remaining", "reset_at"}
    assert doc["rate_limits"] == {"rpm": 100, "tpm": 5000}
    assert doc["month"] == "2026-11" and doc["as_of"] == NOW.isoformat()
    assert doc["scope"] == {
        "team_id": "t1",
        "key_alias": "acme",
        "tenant": "acme-prod",
        "label": "Acme",
        "company_wide": False,
    }
    assert doc["totals"]["spend"] == sum(d["spend"] for d in doc["daily"])


def test_frames_match_the_rows() -> None:
    report = build_report(Scope("t1", None, "Acme"), NOV, snapshot(), now=NOW)
    frame = report.daily_frame()
    assert list(frame.columns) == list(CSV_COLUMNS) and len(frame) == 27
    assert frame["requests"].sum() == report.totals.requests
    assert list(report.models_frame().columns) == ["model", *CSV_COLUMNS[1:]]


def test_service_report_from_the_emulator() -> None:
    client = LiteLLMClient("http://d", DEMO_MASTER_KEY, transport=httpx.MockTransport(DemoLiteLLM(now=NOW)))
    service = UsageService(client, StaticTenantSource([]))
    report = service.report(Scope("team-globex-19c2", "globex-web", "Globex Web"), NOV, now=NOW)
    assert report.budget.over  # the demo's over-budget org
    assert report.totals.requests > 0 and len(report.daily) == 27
    assert service.key_aliases("team-globex-19c2") == ["globex-data", "globex-web"]

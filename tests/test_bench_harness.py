"""The benchmark's baseline and data are what they claim: the original's bugs, real-shaped rows.

No timings here: benchmarks/ measures those. These check that the comparison is honest.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from benchmarks.dataset import ALIASES, TENANT_ALIAS, TeamMonth
from benchmarks.demo_backend import benchmark_month, calibrated_team, truth
from benchmarks.original import month_bounds, original_usage
from benchmarks.rows import COPY_COLUMNS, RowRenderer
from usage_core.demo import DemoLiteLLM
from usage_core.months import Month

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)


@pytest.fixture
def local_tz(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Set the process time zone (as the original's server would have had one)."""

    def set_tz(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield set_tz
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(
    ("tz", "month", "bounds"),
    [
        ("UTC", "2026-10", ("2026-10-01", "2026-10-31")),
        ("UTC", "2026-12", ("2026-12-01", "2026-12-31")),  # JS month overflow into next year
        ("UTC", "2024-02", ("2024-02-01", "2024-02-29")),
        # East of UTC, local midnight is the previous day in UTC: the original's range shifts.
        ("Europe/Berlin", "2026-10", ("2026-09-30", "2026-10-30")),
        ("America/New_York", "2026-10", ("2026-10-01", "2026-10-31")),
    ],
)
def test_original_month_bounds_are_local_time_then_utc_dates(
    local_tz: object, tz: str, month: str, bounds: tuple[str, str]
) -> None:
    local_tz(tz)  # type: ignore[operator]
    assert month_bounds(month) == bounds


def test_original_port_drops_the_last_day_and_rows_past_the_cap() -> None:
    team = calibrated_team(15_000, NOW)
    emulator = DemoLiteLLM(now=NOW, teams=(team,), master_key="k")
    seen: list[httpx.Request] = []
    emulator.on_request = seen.append
    expected = truth(team, NOW)
    with httpx.Client(
        base_url="http://litellm.test",
        headers={"Authorization": "Bearer k"},
        transport=httpx.MockTransport(emulator),
    ) as http:
        body = original_usage(http, team.team_id, "bench", str(benchmark_month(NOW)))

    spend_pages = [r for r in seen if r.url.path == "/spend/logs/v2"]
    assert len(spend_pages) == 100  # total_pages from the capped total of 10,000
    assert {r.url.params["page_size"] for r in spend_pages} == {"100"}
    assert [int(r.url.params["page"]) for r in spend_pages] == list(range(1, 101))
    assert spend_pages[0].url.params["end_date"] == "2026-10-31"  # date-only: 00:00:00
    days = {d["date"] for d in body["dailyUsage"]}
    assert "2026-10-31" not in days and expected["last_day_requests"] > 0
    assert body["currentPeriod"]["requestCount"] < expected["totals"]["requests"]
    # exact alias post-filter: siblings (bench-1 ...) never counted
    assert body["keyAlias"] == "bench"


def test_original_port_remaining_is_null_for_a_zero_budget() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/team/info":
            return httpx.Response(200, json={"team_info": {"max_budget": 0, "spend": 0.5}})
        return httpx.Response(200, json={"data": [], "total": 0, "total_pages": 0})

    with httpx.Client(base_url="http://x", transport=httpx.MockTransport(handler)) as http:
        body = original_usage(http, "t", None, "2026-10")
    assert body["budget"] == {"maxBudget": 0, "spend": 0.5, "remaining": None}


def test_rendered_rows_carry_the_generated_values() -> None:
    tm = TeamMonth.generate(500, Month(2026, 10), team_id="team-x", tokens=tuple("abcde"))
    renderer = RowRenderer(tm)
    rows = json.loads("[" + renderer.json_rows(range(tm.n)) + "]")
    c = tm.columns
    assert [r["prompt_tokens"] for r in rows] == c["prompt"].tolist()
    assert [r["spend"] for r in rows] == c["spend"].tolist()
    assert [r["metadata"]["user_api_key_alias"] for r in rows] == [ALIASES[k] for k in c["key"]]
    assert rows[-1]["startTime"] == "2026-10-31T23:59:59.999+00:00"
    assert rows[0]["startTime"] == "2026-10-01T00:00:00.000+00:00"
    assert len({r["request_id"] for r in rows}) == tm.n
    assert {r["status"] for r in rows} == {"success", "failure"}
    assert all(r["spend"] == 0 for r in rows if r["status"] == "failure")
    t = tm.truth(TENANT_ALIAS)
    mine = [r for r in rows if r["metadata"]["user_api_key_alias"] == TENANT_ALIAS]
    assert t.requests == len(mine)
    assert t.input_tokens == sum(r["prompt_tokens"] for r in mine)


def test_copy_lines_have_one_field_per_column_and_valid_metadata() -> None:
    tm = TeamMonth.generate(50, Month(2026, 10), team_id="team-x", tokens=tuple("abcde"))
    lines = RowRenderer(tm).copy_lines(range(tm.n)).splitlines()
    assert len(lines) == tm.n
    for line in lines:
        fields = line.split("\t")
        assert len(fields) == len(COPY_COLUMNS)
        metadata = fields[COPY_COLUMNS.index("metadata")].replace("\\\\", "\\")
        assert json.loads(metadata)["user_api_key_team_id"] == "team-x"

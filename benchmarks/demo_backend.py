"""The embedded emulator (usage_core.demo) configured for the benchmark, and its ground truth.

`usage_core.demo.benchmark_team(n)` makes a flat 5-key team whose traffic grows towards `now`
(about n requests a 30-day month); the adapter here rescales it so the measured
month holds n requests (within rounding), and reads the truth from the emulator's own cells.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, datetime, timedelta

from usage_core.demo import DemoData, DemoLiteLLM, DemoTeam, benchmark_team
from usage_core.months import Month

TENANT_ALIAS = "bench"  # a prefix of its four siblings bench-1 .. bench-4


def pinned_now(real_now: datetime | None = None) -> datetime:
    """Noon on the first day of the current month: the previous month is complete and fixed."""
    real_now = real_now or datetime.now(UTC)
    return datetime(real_now.year, real_now.month, 1, 12, tzinfo=UTC)


def benchmark_month(now: datetime) -> Month:
    """The last complete month."""
    return Month.current(now).previous()


def month_requests(team: DemoTeam, now: datetime, month: Month) -> int:
    data = DemoData([team], now)
    return sum(c.requests for day in month.days(now) for c in data.cells(team, day))


def calibrated_team(n: int, now: datetime) -> DemoTeam:
    """benchmark_team(n), rescaled so `benchmark_month(now)` holds about n requests."""
    month = benchmark_month(now)
    team = benchmark_team(n, team_id=f"team-bench-{n}")
    actual = month_requests(team, now, month)
    return dataclasses.replace(team, daily_requests=team.daily_requests * n / actual)


def make_emulator(sizes: list[int], now: datetime, master_key: str) -> DemoLiteLLM:
    """One DemoLiteLLM serving a benchmark team per size (team id `team-bench-<n>`)."""
    return DemoLiteLLM(now=now, teams=tuple(calibrated_team(n, now) for n in sizes), master_key=master_key)


def truth(team: DemoTeam, now: datetime, alias: str | None = TENANT_ALIAS) -> dict[str, object]:
    """What a correct report shows for one alias: totals, and requests per UTC day."""
    month = benchmark_month(now)
    data = DemoData([team], now)
    totals = dict.fromkeys(
        ("input_tokens", "output_tokens", "requests", "successful_requests", "failed_requests"), 0
    )
    spends: list[float] = []
    daily: dict[str, int] = {}
    team_requests = 0
    for day in month.days(now):
        count = 0
        for cell in data.cells(team, day):
            team_requests += cell.requests
            if alias is not None and team.keys[cell.key_index].alias != alias:
                continue
            totals["input_tokens"] += cell.input_tokens
            totals["output_tokens"] += cell.output_tokens
            totals["requests"] += cell.requests
            totals["successful_requests"] += cell.successful
            totals["failed_requests"] += cell.failed
            spends.append(cell.spend)
            count += cell.requests
        daily[day.isoformat()] = count
    totals["total_tokens"] = totals["input_tokens"] + totals["output_tokens"]
    last_day = month.last_day.isoformat()
    return {
        "totals": {**totals, "spend": math.fsum(spends)},
        "daily_requests": daily,
        "team_requests": team_requests,
        "last_day_requests": daily[last_day],
        "month": str(month),
        "month_last_instant": (month.end - timedelta(milliseconds=1)).isoformat(),
    }

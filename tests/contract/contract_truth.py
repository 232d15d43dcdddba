"""What LiteLLM itself holds, read with SQL straight from its tables (never through our code).

A tenant's share is the rows of the keys whose alias is exactly the tenant's alias, grouped by the
key's hash; company-wide is every row of the team. Months are `[first day 00:00, next 00:00)` UTC,
written out here by hand rather than taken from usage_core.months.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import psycopg

METRICS = (
    "input_tokens",
    "output_tokens",
    "total_tokens",
    "requests",
    "successful_requests",
    "failed_requests",
    "spend",
)


@dataclass(frozen=True)
class Truth:
    """LiteLLM's numbers for one scope and month: per UTC day, and the month's totals."""

    days: dict[str, dict[str, float]]
    totals: dict[str, float]


def month_bounds(month: str) -> tuple[datetime, datetime, date, date]:
    """`YYYY-MM` -> (start, exclusive end, first day, last day)."""
    year, number = (int(part) for part in month.split("-"))
    start = datetime(year, number, 1)
    end = datetime(year + number // 12, number % 12 + 1, 1)
    return start, end, start.date(), date.fromordinal(end.toordinal() - 1)


def key_hashes(conn: psycopg.Connection[Any], team_id: str, alias: str) -> list[str]:
    """Hashes of the team's keys, live or deleted (rotated), whose alias is exactly `alias`."""
    with conn.cursor() as cur:
        cur.execute(
            'SELECT token FROM "LiteLLM_VerificationToken" WHERE team_id = %s AND key_alias = %s '
            'UNION SELECT token FROM "LiteLLM_DeletedVerificationToken" '
            "WHERE team_id = %s AND key_alias = %s",
            (team_id, alias, team_id, alias),
        )
        return sorted(token for (token,) in cur.fetchall())


def _fold(rows: list[tuple[Any, ...]]) -> Truth:
    days: dict[str, dict[str, float]] = {}
    for day, *values in rows:
        days[str(day)] = {
            name: (float(value) if name == "spend" else int(value))
            for name, value in zip(METRICS, values, strict=True)
        }
    totals = {name: sum((d[name] for d in days.values()), 0.0 if name == "spend" else 0) for name in METRICS}
    return Truth(days=days, totals=totals)


def from_spend_logs(
    conn: psycopg.Connection[Any], team_id: str, hashes: list[str] | None, month: str
) -> Truth:
    """Raw rows `"LiteLLM_SpendLogs"`: the team's (or only these keys') rows in the month."""
    start, end, _, _ = month_bounds(month)
    key_filter = "" if hashes is None else "AND api_key = ANY(%(hashes)s)"
    sql = f"""
        SELECT to_char("startTime", 'YYYY-MM-DD') AS day,
               sum(prompt_tokens), sum(completion_tokens), sum(total_tokens), count(*),
               count(*) FILTER (WHERE status = 'success'),
               count(*) FILTER (WHERE status = 'failure'),
               sum(spend)
        FROM "LiteLLM_SpendLogs"
        WHERE team_id = %(team)s {key_filter}
          AND "startTime" >= %(start)s AND "startTime" < %(end)s
        GROUP BY day ORDER BY day
    """
    with conn.cursor() as cur:
        cur.execute(sql.encode(), {"team": team_id, "hashes": hashes, "start": start, "end": end})
        return _fold(cur.fetchall())


def from_daily_table(
    conn: psycopg.Connection[Any], team_id: str, hashes: list[str] | None, month: str
) -> Truth:
    """Server-side aggregates `"LiteLLM_DailyTeamSpend"` (what /team/daily/activity serves)."""
    _, _, first, last = month_bounds(month)
    key_filter = "" if hashes is None else "AND api_key = ANY(%(hashes)s)"
    sql = f"""
        SELECT date,
               sum(prompt_tokens), sum(completion_tokens),
               sum(prompt_tokens + completion_tokens), sum(api_requests),
               sum(successful_requests), sum(failed_requests), sum(spend)
        FROM "LiteLLM_DailyTeamSpend"
        WHERE team_id = %(team)s {key_filter}
          AND date >= %(first)s AND date <= %(last)s
        GROUP BY date ORDER BY date
    """
    params = {"team": team_id, "hashes": hashes, "first": str(first), "last": str(last)}
    with conn.cursor() as cur:
        cur.execute(sql.encode(), params)
        return _fold(cur.fetchall())


def team_row(conn: psycopg.Connection[Any], team_id: str) -> dict[str, Any]:
    """The team's budget columns as stored."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT max_budget, spend, budget_reset_at, rpm_limit, tpm_limit "
            'FROM "LiteLLM_TeamTable" WHERE team_id = %s',
            (team_id,),
        )
        row = cur.fetchone()
    assert row is not None, team_id
    return dict(zip(("max_budget", "spend", "budget_reset_at", "rpm", "tpm"), row, strict=True))


def models_from_spend_logs(
    conn: psycopg.Connection[Any], team_id: str, hashes: list[str] | None, month: str
) -> dict[str, dict[str, float]]:
    """Per-model totals (LiteLLM's `model` column, e.g. `openai/fake-gpt`) from the raw rows."""
    start, end, _, _ = month_bounds(month)
    key_filter = "" if hashes is None else "AND api_key = ANY(%(hashes)s)"
    sql = f"""
        SELECT model,
               sum(prompt_tokens), sum(completion_tokens), sum(total_tokens), count(*),
               count(*) FILTER (WHERE status = 'success'),
               count(*) FILTER (WHERE status = 'failure'),
               sum(spend)
        FROM "LiteLLM_SpendLogs"
        WHERE team_id = %(team)s {key_filter}
          AND "startTime" >= %(start)s AND "startTime" < %(end)s
        GROUP BY model ORDER BY model
    """
    with conn.cursor() as cur:
        cur.execute(sql.encode(), {"team": team_id, "hashes": hashes, "start": start, "end": end})
        return _fold(cur.fetchall()).days

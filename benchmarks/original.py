"""A faithful Python port of the original TypeScript route (`seed/usage-route.ts.txt`), bugs included.

Kept as the baseline the benchmark compares against; do not fix it. What it does, as the original:
- month bounds built in *local* time, then `toISOString().split("T")[0]`: on a UTC machine the
  month's first and last day as date-only strings; LiteLLM reads a date-only end as 00:00:00, so
  the last day is lost;
- `/team/info`, then `/spend/logs/v2?team_id=...` in sequential pages of 100, stopping at
  `total_pages` (computed by LiteLLM from a total capped at 10,000: rows past that are dropped);
- every row held in memory, then the exact key-alias post-filter and the per-day loop;
- `remaining` is null for a zero budget (`max_budget ? ... : null`).
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx


def _js_local_date_iso(year: int, month_index: int, day: int) -> str:
    """`new Date(year, monthIndex, day).toISOString().split("T")[0]` (JS normalises overflow)."""
    # JS: month_index may be 12 (next year's January) and day 0 (the previous month's last day).
    first = date(year + month_index // 12, month_index % 12 + 1, 1)
    local_midnight = datetime.combine(first + timedelta(days=day - 1), datetime.min.time())
    epoch = time.mktime(local_midnight.timetuple())  # local wall time -> instant
    utc = datetime.fromtimestamp(epoch, UTC)  # toISOString() is UTC
    return utc.date().isoformat()


def month_bounds(month_param: str) -> tuple[str, str]:
    """The original's startStr and endStr for `YYYY-MM`."""
    year, month = (int(part) for part in month_param.split("-"))
    start = _js_local_date_iso(year, month - 1, 1)
    end = _js_local_date_iso(year, month, 0)  # "last day of month", date-only
    return start, end


def _or0(value: Any) -> Any:
    """JS `value || 0`."""
    return value if value else 0


def get_team_info(http: httpx.Client, team_id: str) -> Any:
    response = http.get("/team/info", params={"team_id": team_id})
    response.raise_for_status()
    return response.json()


def get_team_spend_logs_v2(
    http: httpx.Client, team_id: str, start: str, end: str, page: int, page_size: int
) -> Any:
    response = http.get(
        "/spend/logs/v2",
        params={
            "team_id": team_id,
            "start_date": start,
            "end_date": end,
            "page": page,
            "page_size": page_size,
        },
    )
    response.raise_for_status()
    return response.json()


def original_usage(
    http: httpx.Client, team_id: str, key_alias: str | None, month_param: str
) -> dict[str, Any]:
    """The JSON body the original `GET /api/usage` returned for one team, alias and month."""
    start_str, end_str = month_bounds(month_param)
    team_info = get_team_info(http, team_id)

    all_requests: list[Any] = []
    page = 1
    while True:
        result = get_team_spend_logs_v2(http, team_id, start_str, end_str, page, 100)
        all_requests.extend(result.get("data") or [])
        if page >= (result.get("total_pages") or 1):
            break
        page += 1

    def alias_of(r: dict[str, Any]) -> Any:
        # r.key_alias ?? r.metadata?.user_api_key_alias ?? r.api_key_alias ?? null
        for value in (
            r.get("key_alias"),
            (r.get("metadata") or {}).get("user_api_key_alias") if r.get("metadata") is not None else None,
            r.get("api_key_alias"),
        ):
            if value is not None:
                return value
        return None

    scoped = [r for r in all_requests if alias_of(r) == key_alias] if key_alias else all_requests

    by_day: dict[str, dict[str, float]] = {}
    for r in scoped:
        day = (r.get("startTime") or r.get("endTime") or "")[:10]
        if not day:
            continue
        if day not in by_day:
            by_day[day] = {"inputTokens": 0, "outputTokens": 0, "spend": 0}
        by_day[day]["inputTokens"] += _or0(r.get("prompt_tokens"))
        by_day[day]["outputTokens"] += _or0(r.get("completion_tokens"))
        by_day[day]["spend"] += _or0(r.get("spend"))
    daily_usage = [{"date": d, **v} for d, v in sorted(by_day.items())]

    total_input = 0
    for r in scoped:
        total_input += _or0(r.get("prompt_tokens"))
    total_output = 0
    for r in scoped:
        total_output += _or0(r.get("completion_tokens"))
    total_spend = 0
    for r in scoped:
        total_spend += _or0(r.get("spend"))

    info = (team_info or {}).get("team_info") or {}
    max_budget = info.get("max_budget")
    return {
        "teamId": team_id,
        "keyAlias": key_alias,
        "month": month_param,
        "currentPeriod": {
            "inputTokens": total_input,
            "outputTokens": total_output,
            "totalSpend": total_spend,
            "requestCount": len(scoped),
        },
        "budget": {
            "maxBudget": max_budget,
            "spend": info.get("spend") if info.get("spend") is not None else 0,
            "remaining": max_budget - (info.get("spend") or 0) if max_budget else None,
        },
        "rateLimits": {"rpm": info.get("rpm_limit"), "tpm": info.get("tpm_limit")},
        "dailyUsage": daily_usage,
    }

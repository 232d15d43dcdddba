"""A LiteLLM-compatible httpx handler serving benchmark TeamMonths (any N, up to millions of rows).

It answers the endpoints the dashboard and the original route read, with the real proxy's
semantics where they matter for the comparison: /spend/logs/v2 bounds are inclusive at
second precision (a date-only end means 00:00:00), `total` is capped at 10,000 with
`total_pages` derived from the capped total, rows are ordered by startTime; /team/daily/activity
pages over raw (date, key, model) rows, newest date first, with per-page metadata.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
import numpy as np

from benchmarks.dataset import ALIASES, MODELS, TeamMonth
from benchmarks.rows import RowRenderer

SPEND_LOGS_COUNT_CAP = 10_000
_METRIC_ZERO = {
    "spend": 0.0,
    "flat_cost": 0.0,
    "prompt_tokens": 0,
    "completion_tokens": 0,
    "cache_read_input_tokens": 0,
    "cache_creation_input_tokens": 0,
    "total_tokens": 0,
    "successful_requests": 0,
    "failed_requests": 0,
    "api_requests": 0,
    "total_response_time_ms": 0,
    "timed_requests": 0,
}


def _json(body: Any, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=body)


def _raw_json(text: str, status: int = 200) -> httpx.Response:
    return httpx.Response(
        status, content=text.encode(), headers={"content-type": "application/json"}
    )


def _parse_date(text: str | None) -> datetime | None:
    if text is None:
        return None
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip(), fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def _add(target: dict[str, Any], row: dict[str, Any]) -> None:
    target["spend"] += row["spend"]
    target["prompt_tokens"] += row["prompt_tokens"]
    target["completion_tokens"] += row["completion_tokens"]
    target["total_tokens"] += row["prompt_tokens"] + row["completion_tokens"]
    target["api_requests"] += row["api_requests"]
    target["successful_requests"] += row["successful_requests"]
    target["failed_requests"] += row["failed_requests"]
    target["total_response_time_ms"] += row["total_response_time_ms"]
    target["timed_requests"] += row["timed_requests"]


class BenchLiteLLM:
    """httpx handler: `httpx.MockTransport(BenchLiteLLM([team_month]))` or behind benchmarks.server."""

    def __init__(self, months: Sequence[TeamMonth], master_key: str = "sk-bench") -> None:
        self.master_key = master_key
        self.teams = {tm.team_id: tm for tm in months}
        self._renderers: dict[str, RowRenderer] = {}

    def renderer(self, tm: TeamMonth) -> RowRenderer:
        if tm.team_id not in self._renderers:
            self._renderers[tm.team_id] = RowRenderer(tm)
        return self._renderers[tm.team_id]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("authorization") != f"Bearer {self.master_key}":
            return _json({"error": {"message": "Authentication Error", "code": "401"}}, 401)
        q = request.url.params
        route = {
            "/team/info": self.team_info,
            "/team/list": self.team_list,
            "/key/list": self.key_list,
            "/team/daily/activity": self.daily_activity,
            "/spend/logs/v2": self.spend_logs,
        }.get(request.url.path)
        if route is None:
            return _json({"detail": "Not Found"}, 404)
        return route(q)

    # -- teams and keys ---------------------------------------------------------------------

    def _team(self, team_id: str | None) -> TeamMonth | None:
        return self.teams.get(team_id or "")

    def _key_objects(self, tm: TeamMonth) -> list[dict[str, Any]]:
        keys = []
        for k, alias in enumerate(ALIASES):
            spend = float(tm.columns["spend"][tm.columns["key"] == k].sum())
            keys.append(
                {
                    "token": tm.tokens[k],
                    "key_name": f"sk-...{tm.tokens[k][:4]}",
                    "key_alias": alias,
                    "spend": spend,
                    "max_budget": 1000.0 if k == 0 else None,
                    "budget_reset_at": None,
                    "team_id": tm.team_id,
                    "blocked": None,
                    "created_at": "2026-01-01T00:00:00Z",
                    "metadata": {},
                }
            )
        return keys

    def team_info(self, q: httpx.QueryParams) -> httpx.Response:
        tm = self._team(q.get("team_id"))
        if tm is None:
            return _json({"detail": {"error": "Team not found"}}, 404)
        info = {
            "team_alias": tm.team_alias,
            "team_id": tm.team_id,
            "organization_id": None,
            "metadata": {"tenant": "acme"},
            "tpm_limit": 1_000_000,
            "rpm_limit": 1000,
            "max_budget": 5000.0,
            "budget_duration": "30d",
            "models": [m.group for m in MODELS],
            "blocked": False,
            "spend": float(tm.columns["spend"].sum()),
            "budget_reset_at": tm.month.end.isoformat().replace("+00:00", "Z"),
        }
        return _json({"team_id": tm.team_id, "team_info": info, "keys": self._key_objects(tm)})

    def team_list(self, q: httpx.QueryParams) -> httpx.Response:
        return _json([{"team_id": t.team_id, "team_alias": t.team_alias} for t in self.teams.values()])

    def key_list(self, q: httpx.QueryParams) -> httpx.Response:
        tm = self._team(q.get("team_id"))
        keys = self._key_objects(tm) if tm else []
        if q.get("return_full_object") != "true":
            keys = [k["token"] for k in keys]
        return _json(
            {"keys": keys, "total_count": len(keys), "current_page": 1, "total_pages": 1}
        )

    # -- daily aggregates -------------------------------------------------------------------

    def daily_activity(self, q: httpx.QueryParams) -> httpx.Response:
        start, end = q.get("start_date"), q.get("end_date")
        if not start or not end:
            return _json({"detail": "start_date and end_date are required"}, 400)
        page, page_size = int(q.get("page", 1)), int(q.get("page_size", 10))
        rows: list[dict[str, Any]] = []
        for team_id in (q.get("team_ids") or "").split(","):
            tm = self._team(team_id)
            if tm is not None:
                rows.extend(dict(r, team_id=tm.team_id) for r in tm.daily_rows)
        rows = [r for r in rows if start <= r["date"] <= end]
        api_key = q.get("api_key")
        if api_key:
            rows = [r for r in rows if r["api_key"] == api_key]
        rows.sort(key=lambda r: r["date"], reverse=True)
        chunk = rows[(page - 1) * page_size : page * page_size]
        results: list[dict[str, Any]] = []
        by_date: dict[str, dict[str, Any]] = {}
        totals = dict(_METRIC_ZERO)
        for r in chunk:
            _add(totals, r)
            day = by_date.get(r["date"])
            if day is None:
                day = by_date[r["date"]] = {
                    "date": r["date"],
                    "metrics": dict(_METRIC_ZERO),
                    "breakdown": {
                        "mcp_servers": {},
                        "models": {},
                        "model_groups": {},
                        "providers": {},
                        "endpoints": {},
                        "api_keys": {},
                        "entities": {},
                    },
                }
                results.append(day)
            _add(day["metrics"], r)
            key_meta = {
                "key_alias": r["key_alias"],
                "team_id": r["team_id"],
                "user_id": None,
                "user_email": None,
                "key_exists": True,
            }
            b = day["breakdown"]
            model = b["models"].setdefault(
                r["model"], {"metrics": dict(_METRIC_ZERO), "metadata": {}, "api_key_breakdown": {}}
            )
            _add(model["metrics"], r)
            mk = model["api_key_breakdown"].setdefault(
                r["api_key"], {"metrics": dict(_METRIC_ZERO), "metadata": key_meta}
            )
            _add(mk["metrics"], r)
            for name, label in (
                ("model_groups", r["model_group"]),
                ("providers", "openai"),
                ("endpoints", "/chat/completions"),
                ("entities", r["team_id"]),
            ):
                entry = b[name].setdefault(
                    label, {"metrics": dict(_METRIC_ZERO), "metadata": {}, "api_key_breakdown": {}}
                )
                _add(entry["metrics"], r)
            ak = b["api_keys"].setdefault(
                r["api_key"], {"metrics": dict(_METRIC_ZERO), "metadata": key_meta}
            )
            _add(ak["metrics"], r)
        metadata = {f"total_{k}": v for k, v in totals.items() if k not in ("api_requests",)}
        metadata.update(
            total_api_requests=totals["api_requests"],
            page=page,
            total_pages=-(-len(rows) // page_size),
            has_more=page * page_size < len(rows),
        )
        return _json({"results": results, "metadata": metadata})

    # -- raw spend rows ---------------------------------------------------------------------

    def spend_logs(self, q: httpx.QueryParams) -> httpx.Response:
        start, end = _parse_date(q.get("start_date")), _parse_date(q.get("end_date"))
        if start is None or end is None:
            return _json({"detail": "Start date and end date are required"}, 400)
        page, page_size = int(q.get("page", 1)), int(q.get("page_size", 50))
        if page < 1 or not 1 <= page_size <= 1000:
            return _json({"detail": "invalid page or page_size"}, 422)
        tm = self._team(q.get("team_id"))
        indices: np.ndarray = np.empty(0, dtype=np.int64)
        if tm is not None:
            ts = tm.columns["ts"]
            lo = int(np.searchsorted(ts, int(start.timestamp() * 1000), "left"))
            hi = int(np.searchsorted(ts, int(end.timestamp() * 1000), "right"))
            indices = np.arange(lo, hi)
            api_key = q.get("api_key")
            if api_key:
                k = tm.tokens.index(api_key) if api_key in tm.tokens else -1
                indices = indices[tm.columns["key"][lo:hi] == k]
            alias = q.get("key_alias")
            if alias is not None:  # LiteLLM's LIKE '%alias%': a substring match
                ks = [i for i, a in enumerate(ALIASES) if alias in a]
                indices = indices[np.isin(tm.columns["key"][indices], ks)]
            status = q.get("status_filter")
            if status in ("success", "failure"):
                failed = tm.columns["failed"][indices]
                indices = indices[failed if status == "failure" else ~failed]
        if (q.get("sort_order") or "desc").lower() != "asc":
            indices = indices[::-1]
        raw_total = len(indices)
        total = min(raw_total, SPEND_LOGS_COUNT_CAP)
        chunk = indices[(page - 1) * page_size : page * page_size]
        data = self.renderer(tm).json_rows(chunk.tolist()) if tm is not None else ""
        tail = json.dumps(
            {
                "total": total,
                "page": page,
                "page_size": page_size,
                "total_pages": math.ceil(total / page_size),
                "total_is_capped": raw_total > SPEND_LOGS_COUNT_CAP,
            }
        )
        return _raw_json('{"data": [' + data + "], " + tail[1:])

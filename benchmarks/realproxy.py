"""Load a benchmark team-month into a real LiteLLM proxy: team and keys through its admin API,
spend-log and daily rows bulk-inserted into its own Postgres tables with COPY.

The rows are what the proxy itself writes (templates are real /spend/logs/v2 rows of the same
proxy; daily rows carry its columns and endpoint), addressed to keys and a team that exist.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg

from benchmarks.dataset import ALIASES, TENANT_ALIAS, TeamMonth
from benchmarks.rows import COPY_COLUMNS, RowRenderer
from usage_core.months import Month

DAILY_COLUMNS = (
    "id",
    "team_id",
    "date",
    "api_key",
    "model",
    "model_group",
    "custom_llm_provider",
    "prompt_tokens",
    "completion_tokens",
    "spend",
    "api_requests",
    "successful_requests",
    "failed_requests",
    "created_at",
    "updated_at",
    "mcp_namespaced_tool_name",
    "endpoint",
    "total_response_time_ms",
    "timed_requests",
)
COPY_CHUNK = 2000


@dataclass
class Proxy:
    """A running proxy: its URL, master key and database (from real-litellm's env file)."""

    base_url: str
    master_key: str
    database_url: str

    @classmethod
    def from_env_file(cls, path: str) -> Proxy:
        text = Path(path).read_text()
        env = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
        return cls(env["LITELLM_BASE_URL"], env["LITELLM_MASTER_KEY"], env["LITELLM_DATABASE_URL"])

    def admin(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {self.master_key}"},
            timeout=60,
        )


def create_team(proxy: Proxy, label: str) -> tuple[str, tuple[str, ...]]:
    """A team with a budget and limits, and one key per alias; returns team id and key hashes."""
    with proxy.admin() as http:
        team = http.post(
            "/team/new",
            json={
                "team_alias": f"tenant-acme-{label}",
                "max_budget": 5000.0,
                "budget_duration": "30d",
                "rpm_limit": 1000,
                "tpm_limit": 1_000_000,
                "metadata": {"tenant": "acme", "benchmark": label},
            },
        )
        team.raise_for_status()
        team_id = team.json()["team_id"]
        tokens = []
        for alias in ALIASES:
            key = http.post(
                "/key/generate",
                json={
                    "team_id": team_id,
                    "key_alias": alias,
                    "max_budget": 1000.0 if alias == TENANT_ALIAS else None,
                },
            )
            if key.status_code != 200:
                raise RuntimeError(f"/key/generate {alias}: HTTP {key.status_code} {key.text[:200]}")
            tokens.append(key.json()["token"])
    return team_id, tuple(tokens)


def _daily_lines(tm: TeamMonth) -> str:
    now = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    lines = []
    for r in tm.daily_rows:
        values = (
            str(uuid.uuid4()),
            tm.team_id,
            r["date"],
            r["api_key"],
            r["model"],
            r["model_group"],
            "openai",
            r["prompt_tokens"],
            r["completion_tokens"],
            repr(r["spend"]),
            r["api_requests"],
            r["successful_requests"],
            r["failed_requests"],
            now,
            now,
            "",
            "/chat/completions",
            r["total_response_time_ms"],
            r["timed_requests"],
        )
        lines.append("\t".join(str(v) for v in values) + "\n")
    return "".join(lines)


def insert(proxy: Proxy, tm: TeamMonth) -> dict[str, Any]:
    """COPY the team-month's spend logs and daily rows; returns counts and seconds."""
    renderer = RowRenderer(tm)
    started = time.perf_counter()
    with psycopg.connect(proxy.database_url, autocommit=True) as conn, conn.cursor() as cur:
        columns = ", ".join(f'"{c}"' for c in COPY_COLUMNS)
        with cur.copy(f'COPY "LiteLLM_SpendLogs" ({columns}) FROM STDIN') as copy:
            for lo in range(0, tm.n, COPY_CHUNK):
                copy.write(renderer.copy_lines(range(lo, min(lo + COPY_CHUNK, tm.n))).encode())
        spend_s = time.perf_counter() - started
        columns = ", ".join(f'"{c}"' for c in DAILY_COLUMNS)
        with cur.copy(f'COPY "LiteLLM_DailyTeamSpend" ({columns}) FROM STDIN') as copy:
            copy.write(_daily_lines(tm).encode())
        cur.execute('ANALYZE "LiteLLM_SpendLogs"')
        cur.execute('ANALYZE "LiteLLM_DailyTeamSpend"')
        cur.execute(
            'SELECT count(*), pg_total_relation_size(\'"LiteLLM_SpendLogs"\') FROM "LiteLLM_SpendLogs"'
            " WHERE team_id = %s",
            (tm.team_id,),
        )
        count, size = cur.fetchone()  # type: ignore[misc]
    return {
        "spend_rows": count,
        "daily_rows": len(tm.daily_rows),
        "insert_s": round(time.perf_counter() - started, 2),
        "spend_logs_copy_s": round(spend_s, 2),
        "spend_logs_table_mb": round(size / 2**20),
    }


def clear(proxy: Proxy, team_id: str) -> None:
    """Remove one benchmark team's rows and keys (the next size is measured alone, and LiteLLM
    wants key aliases unique)."""
    with proxy.admin() as http:
        http.post("/key/delete", json={"key_aliases": list(ALIASES)}).raise_for_status()
    with psycopg.connect(proxy.database_url, autocommit=True) as conn:
        conn.execute('DELETE FROM "LiteLLM_SpendLogs" WHERE team_id = %s', (team_id,))
        conn.execute('DELETE FROM "LiteLLM_DailyTeamSpend" WHERE team_id = %s', (team_id,))
        conn.execute('VACUUM "LiteLLM_SpendLogs"')


def load(proxy: Proxy, n: int, month: Month) -> tuple[TeamMonth, dict[str, Any]]:
    """Create a team and keys, generate n requests for `month`, insert them."""
    team_id, tokens = create_team(proxy, f"{n}")
    tm = TeamMonth.generate(n, month, team_id=team_id, tokens=tokens)
    return tm, insert(proxy, tm)


def truth(tm: TeamMonth) -> dict[str, Any]:
    """The measured tenant's truth, in the shape benchmarks.measure checks."""
    totals = tm.truth(TENANT_ALIAS).to_json()
    daily = tm.truth_daily_requests(TENANT_ALIAS)
    return {
        "totals": totals,
        "daily_requests": daily,
        "team_requests": tm.n,
        "last_day_requests": daily[max(daily)],
        "month": str(tm.month),
    }

"""Data set-up on the real proxy: two teams, prefix-named keys, real completions, boundary rows.

Everything is created through LiteLLM's own admin and OpenAI APIs with the master key; only the
month-boundary rows (a past month) are written straight into LiteLLM's tables, cloned from rows the
proxy itself wrote, because no API lets a test choose a request's timestamp.
"""

from __future__ import annotations

import random
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
from contract_env import RealProxy
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

FLUSH_DEADLINE_SECONDS = 90.0

# Calls per key and model. Every key gets a different mix (and different prompt lengths below) so
# that one tenant's numbers can never equal a sibling's by accident.
CALL_PLAN: dict[str, dict[str, int]] = {
    "retired": {"mock-gpt": 1, "fake-gpt": 1, "broken-gpt": 1},
    "base": {"mock-gpt": 1, "fake-gpt": 3, "broken-gpt": 1},
    "dev": {"mock-gpt": 2, "fake-gpt": 1, "broken-gpt": 2},
    "unaliased": {"mock-gpt": 1, "fake-gpt": 2, "broken-gpt": 1},
    "prod": {"mock-gpt": 2, "fake-gpt": 2, "broken-gpt": 1},
}
PROMPT_WORDS = {"base": 4, "dev": 11, "unaliased": 17, "prod": 23, "retired": 29}

# Rows in a past month, at the instants a month boundary is easily lost or double counted:
# (key, startTime UTC, prompt_tokens, completion_tokens, status).
BOUNDARY_MONTH = "2026-09"
NEXT_MONTH = "2026-10"
LAST_INSTANT = datetime(2026, 9, 30, 23, 59, 59, 999000)
FIRST_INSTANT_NEXT = datetime(2026, 10, 1, 0, 0, 0, 0)
BOUNDARY_ROWS: list[tuple[str, datetime, int, int, str]] = [
    ("base", datetime(2026, 9, 1, 0, 0, 0, 0), 1001, 101, "success"),
    ("base", LAST_INSTANT, 3003, 303, "success"),
    ("base", LAST_INSTANT, 0, 0, "failure"),
    ("base", FIRST_INSTANT_NEXT, 5005, 505, "success"),
    ("dev", LAST_INSTANT, 7007, 707, "success"),
    ("dev", FIRST_INSTANT_NEXT, 8008, 808, "success"),
    ("prod", LAST_INSTANT, 9009, 909, "success"),
]
INPUT_PRICE, OUTPUT_PRICE = 0.000001, 0.000002


@dataclass(frozen=True)
class SeedKey:
    """One virtual key we created; `token_hash` is what LiteLLM's tables store."""

    name: str
    team_id: str
    alias: str | None
    token_hash: str
    secret: str = field(repr=False)
    max_budget: float | None


@dataclass(frozen=True)
class Seed:
    """Everything one run created; aliases and team names carry the run's unique suffix."""

    suffix: str
    team_a: str
    team_b: str
    keys: dict[str, SeedKey]
    calls: int
    months: tuple[str, ...]

    @property
    def team_ids(self) -> tuple[str, str]:
        """Both teams."""
        return (self.team_a, self.team_b)


def admin_client(proxy: RealProxy, base_url: str | None = None) -> httpx.Client:
    """An httpx client authenticated with the master key."""
    return httpx.Client(
        base_url=base_url or proxy.base_url,
        headers={"Authorization": f"Bearer {proxy.master_key}"},
        timeout=60.0,
    )


def _post(client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(path, json=body)
    if response.status_code != 200:
        raise RuntimeError(f"POST {path} -> {response.status_code}: {response.text[:300]}")
    data: dict[str, Any] = response.json()
    return data


def create_teams_and_keys(proxy: RealProxy) -> tuple[str, str, str, str, dict[str, SeedKey]]:
    """Team A (budget, 30d reset, limits) and team B (a zero budget: a real one) with their keys."""
    suffix = uuid.uuid4().hex[:8]
    base = f"acme-{suffix}"
    with admin_client(proxy) as client:
        team_a = _post(
            client,
            "/team/new",
            {
                "team_alias": f"ct-{suffix}-acme",
                "max_budget": 5.0,
                "budget_duration": "30d",
                "rpm_limit": 1000,
                "tpm_limit": 1_000_000,
            },
        )
        team_b = _post(
            client,
            "/team/new",
            {"team_alias": f"ct-{suffix}-other", "max_budget": 0.0, "tpm_limit": 50_000},
        )
        # `retired` carries the alias that `dev` takes over after it is deleted (key rotation).
        specs = [
            ("base", team_a["team_id"], base, 2.0),
            ("retired", team_a["team_id"], f"{base}-dev", None),
            ("unaliased", team_a["team_id"], None, None),
            ("prod", team_b["team_id"], f"{base}-prod", None),
        ]
        keys = {spec[0]: generate_key(client, *spec) for spec in specs}
    return suffix, team_a["team_id"], team_b["team_id"], base, keys


def generate_key(
    client: httpx.Client, name: str, team_id: str, alias: str | None, max_budget: float | None
) -> SeedKey:
    """POST /key/generate."""
    body: dict[str, Any] = {"team_id": team_id}
    if alias is not None:
        body["key_alias"] = alias
    if max_budget is not None:
        body["max_budget"] = max_budget
    made = _post(client, "/key/generate", body)
    return SeedKey(name, team_id, alias, made["token"], made["key"], max_budget)


def rotate_key(proxy: RealProxy, old: SeedKey, name: str) -> SeedKey:
    """Delete `old` and give its alias to a new key, as an operator rotating a tenant's key does."""
    with admin_client(proxy) as client:
        _post(client, "/key/delete", {"keys": [old.secret]})
        return generate_key(client, name, old.team_id, old.alias, old.max_budget)


def send_completions(proxy: RealProxy, keys: dict[str, SeedKey], names: list[str]) -> int:
    """These keys call every model per CALL_PLAN; returns how many calls were made."""
    jobs: list[tuple[SeedKey, str, int]] = []
    for name in names:
        for model, count in CALL_PLAN[name].items():
            jobs.extend((keys[name], model, i) for i in range(count))

    def call(job: tuple[SeedKey, str, int]) -> int:
        key, model, i = job
        words = " ".join(["word"] * (PROMPT_WORDS[key.name] + 2 * i))
        with httpx.Client(base_url=proxy.base_url, timeout=60.0) as client:
            response = client.post(
                "/chat/completions",
                headers={"Authorization": f"Bearer {key.secret}"},
                json={"model": model, "messages": [{"role": "user", "content": words}]},
            )
        return response.status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(call, jobs))
    if not any(status == 200 for status in statuses):
        raise RuntimeError(f"no completion succeeded on the real proxy: {statuses}")
    return len(jobs)


def wait_for_flush(proxy: RealProxy, team_ids: tuple[str, ...], calls: int) -> None:
    """Poll LiteLLM's tables until every call is a spend row, a daily count, and team/key spend."""
    deadline = time.monotonic() + FLUSH_DEADLINE_SECONDS
    last: dict[str, Any] = {}
    with psycopg.connect(proxy.database_url, autocommit=True) as conn:
        while True:
            last = flush_state(conn, list(team_ids))
            if (
                last["log_rows"] == calls
                and last["daily_requests"] == calls
                and abs(last["team_spend"] - last["log_spend"]) < 1e-12
                and abs(last["key_spend"] - last["log_spend"]) < 1e-12
            ):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"LiteLLM did not flush {calls} calls within {FLUSH_DEADLINE_SECONDS:.0f}s: {last}"
                )
            time.sleep(0.5)


def flush_state(conn: psycopg.Connection[Any], team_ids: list[str]) -> dict[str, Any]:
    """Row counts and spend sums for our teams, as LiteLLM's tables hold them right now."""
    with conn.cursor() as cur:
        cur.execute(
            'SELECT count(*), coalesce(sum(spend), 0) FROM "LiteLLM_SpendLogs" WHERE team_id = ANY(%s)',
            (team_ids,),
        )
        log_rows, log_spend = cur.fetchone() or (0, 0.0)
        cur.execute(
            'SELECT coalesce(sum(api_requests), 0) FROM "LiteLLM_DailyTeamSpend" WHERE team_id = ANY(%s)',
            (team_ids,),
        )
        (daily_requests,) = cur.fetchone() or (0,)
        cur.execute(
            'SELECT coalesce(sum(spend), 0) FROM "LiteLLM_TeamTable" WHERE team_id = ANY(%s)',
            (team_ids,),
        )
        (team_spend,) = cur.fetchone() or (0.0,)
        cur.execute(
            "SELECT coalesce(sum(spend), 0) FROM ("
            ' SELECT spend FROM "LiteLLM_VerificationToken" WHERE team_id = ANY(%s)'
            " UNION ALL"
            ' SELECT spend FROM "LiteLLM_DeletedVerificationToken" WHERE team_id = ANY(%s)) AS k',
            (team_ids, team_ids),
        )
        (key_spend,) = cur.fetchone() or (0.0,)
    return {
        "log_rows": int(log_rows),
        "daily_requests": int(daily_requests),
        "log_spend": float(log_spend),
        "team_spend": float(team_spend),
        "key_spend": float(key_spend),
    }


def insert_boundary_rows(proxy: RealProxy, keys: dict[str, SeedKey]) -> None:
    """Clone a real spend row per key into BOUNDARY_ROWS, plus the daily aggregates LiteLLM keeps."""
    now = datetime.now(UTC).replace(tzinfo=None)
    with psycopg.connect(proxy.database_url, row_factory=dict_row) as conn:
        templates: dict[str, dict[str, Any]] = {}
        daily_templates: dict[str, dict[str, Any]] = {}
        for name in {row[0] for row in BOUNDARY_ROWS}:
            key = keys[name]
            templates[name] = _one(
                conn,
                'SELECT * FROM "LiteLLM_SpendLogs" WHERE api_key = %s AND status = %s '
                "AND model_group = %s LIMIT 1",
                (key.token_hash, "success", "mock-gpt"),
            )
            daily_templates[name] = _one(
                conn,
                'SELECT * FROM "LiteLLM_DailyTeamSpend" WHERE api_key = %s AND model_group = %s LIMIT 1',
                (key.token_hash, "mock-gpt"),
            )
        daily: dict[tuple[str, str], dict[str, Any]] = defaultdict(dict)
        for name, start, prompt, completion, status in BOUNDARY_ROWS:
            ok = status == "success"
            spend = prompt * INPUT_PRICE + completion * OUTPUT_PRICE if ok else 0.0
            row = dict(templates[name])
            row.update(
                request_id=f"ct-boundary-{uuid.uuid4()}",
                litellm_call_id=str(uuid.uuid4()),
                startTime=start,
                endTime=start + timedelta(milliseconds=400),
                completionStartTime=start + timedelta(milliseconds=200),
                prompt_tokens=prompt,
                completion_tokens=completion,
                total_tokens=prompt + completion,
                spend=spend,
                status=status,
                created_at=now,
                updated_at=now,
            )
            _insert(conn, "LiteLLM_SpendLogs", row)
            agg = daily[(name, start.date().isoformat())]
            for column, value in (
                ("prompt_tokens", prompt),
                ("completion_tokens", completion),
                ("spend", spend),
                ("api_requests", 1),
                ("successful_requests", int(ok)),
                ("failed_requests", int(not ok)),
            ):
                agg[column] = agg.get(column, 0) + value
        for (name, day), sums in daily.items():
            row = dict(daily_templates[name])
            row.update(
                id=str(uuid.uuid4()),
                date=day,
                cache_read_input_tokens=0,
                cache_creation_input_tokens=0,
                total_response_time_ms=0,
                timed_requests=0,
                created_at=now,
                updated_at=now,
                **sums,
            )
            _insert(conn, "LiteLLM_DailyTeamSpend", row)
        conn.commit()


def _one(conn: psycopg.Connection[Any], sql: str, params: tuple[Any, ...]) -> dict[str, Any]:
    with conn.cursor() as cur:
        cur.execute(sql.encode(), params)
        row = cur.fetchone()
    if row is None:
        raise RuntimeError(f"no template row for {params}")
    result: dict[str, Any] = row
    return result


def _insert(conn: psycopg.Connection[Any], table: str, row: dict[str, Any]) -> None:
    columns = list(row)
    values = [Jsonb(row[c]) if isinstance(row[c], dict | list) else row[c] for c in columns]
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    with conn.cursor() as cur:
        cur.execute(f'INSERT INTO "{table}" ({names}) VALUES ({marks})'.encode(), values)


def build_seed(proxy: RealProxy) -> Seed:
    """Create, call, wait for the flush, add the boundary rows: the whole data set of one run."""
    suffix, team_a, team_b, _base, keys = create_teams_and_keys(proxy)
    calls = send_completions(proxy, keys, ["retired"])
    wait_for_flush(proxy, (team_a, team_b), calls)
    keys["dev"] = rotate_key(proxy, keys["retired"], "dev")
    calls += send_completions(proxy, keys, [name for name in CALL_PLAN if name != "retired"])
    wait_for_flush(proxy, (team_a, team_b), calls)
    insert_boundary_rows(proxy, keys)
    with psycopg.connect(proxy.database_url) as conn, conn.cursor() as cur:
        cur.execute(
            'SELECT DISTINCT to_char("startTime", \'YYYY-MM\') FROM "LiteLLM_SpendLogs" '
            "WHERE team_id = ANY(%s)",
            ([team_a, team_b],),
        )
        months = sorted(month for (month,) in cur.fetchall())
    return Seed(
        suffix=suffix,
        team_a=team_a,
        team_b=team_b,
        keys=keys,
        calls=calls,
        months=tuple(months),
    )


# A month big enough to page on both read paths: more raw rows than /spend/logs/v2's 10,000-row
# `total` cap, and more daily aggregate rows than one /team/daily/activity page, with requests that
# share a startTime (LiteLLM pages with ORDER BY "startTime" alone) and one at the last instant.
BULK_MONTH = "2026-07"
BULK_ROWS = {"base": 5_800, "dev": 4_700}
BULK_MODELS = 23
BULK_TIE = 3  # requests per shared startTime


def bulk_rows(name: str, count: int) -> list[tuple[datetime, str, int, int, str]]:
    """(startTime, model, prompt, completion, status) for one key's bulk rows, in tied groups."""
    year, month = (int(part) for part in BULK_MONTH.split("-"))
    start = datetime(year, month, 1)
    after = datetime(year + month // 12, month % 12 + 1, 1)
    step = (after - start - timedelta(milliseconds=1)) / (count // BULK_TIE + 1)
    rows = []
    for i in range(count):
        moment = start + step * (i // BULK_TIE)
        moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
        failed = i % 17 == 0
        prompt = 0 if failed else 10 + (i * 7 + len(name)) % 97
        completion = 0 if failed else 5 + i % 53
        status = "failure" if failed else "success"
        rows.append((moment, f"openai/bulk-{i % BULK_MODELS}", prompt, completion, status))
    last = after - timedelta(milliseconds=1)  # the month's last instant, twice
    rows[-2:] = [(last, *row[1:]) for row in rows[-2:]]
    return rows


def insert_bulk_month(proxy: RealProxy, keys: dict[str, SeedKey]) -> None:
    """Clone real rows of each key into BULK_MONTH, with the daily aggregates to match."""
    now = datetime.now(UTC).replace(tzinfo=None)
    with psycopg.connect(proxy.database_url, row_factory=dict_row) as conn:
        logs: list[dict[str, Any]] = []
        for name, count in BULK_ROWS.items():
            key = keys[name]
            template = _one(
                conn,
                'SELECT * FROM "LiteLLM_SpendLogs" WHERE api_key = %s AND status = %s LIMIT 1',
                (key.token_hash, "success"),
            )
            daily_template = _one(
                conn, 'SELECT * FROM "LiteLLM_DailyTeamSpend" WHERE api_key = %s LIMIT 1', (key.token_hash,)
            )
            # LiteLLM's own metadata, minus its ~7 kB copy of the model price map: same meaning,
            # pages a quarter the size (the fallback reads 11 pages of 1,000 of these).
            metadata = {k: v for k, v in template["metadata"].items() if k != "model_map_information"}
            daily: dict[tuple[str, str], dict[str, Any]] = defaultdict(dict)
            for start, model, prompt, completion, status in bulk_rows(name, count):
                ok = status == "success"
                spend = prompt * INPUT_PRICE + completion * OUTPUT_PRICE if ok else 0.0
                logs.append(
                    dict(
                        template,
                        request_id=f"ct-bulk-{uuid.uuid4()}",
                        metadata=metadata,
                        litellm_call_id=None,
                        startTime=start,
                        endTime=start + timedelta(milliseconds=250),
                        completionStartTime=None,
                        model=model,
                        model_group=model.removeprefix("openai/"),
                        prompt_tokens=prompt,
                        completion_tokens=completion,
                        total_tokens=prompt + completion,
                        spend=spend,
                        status=status,
                        created_at=now,
                        updated_at=now,
                    )
                )
                agg = daily[(start.date().isoformat(), model)]
                for column, value in (
                    ("prompt_tokens", prompt),
                    ("completion_tokens", completion),
                    ("spend", spend),
                    ("api_requests", 1),
                    ("successful_requests", int(ok)),
                    ("failed_requests", int(not ok)),
                ):
                    agg[column] = agg.get(column, 0) + value
            _insert_many(
                conn,
                "LiteLLM_DailyTeamSpend",
                [
                    dict(
                        daily_template,
                        id=str(uuid.uuid4()),
                        date=day,
                        model=model,
                        model_group=model.removeprefix("openai/"),
                        cache_read_input_tokens=0,
                        cache_creation_input_tokens=0,
                        total_response_time_ms=0,
                        timed_requests=0,
                        created_at=now,
                        updated_at=now,
                        **sums,
                    )
                    for (day, model), sums in daily.items()
                ],
            )
        # Both keys' rows in a shuffled physical order, as concurrent batch writers leave them: the
        # table's order is then no hint for how ties on startTime come out of a sort.
        random.Random(BULK_MONTH).shuffle(logs)
        _insert_many(conn, "LiteLLM_SpendLogs", logs)
        conn.commit()


def _insert_many(conn: psycopg.Connection[Any], table: str, rows: list[dict[str, Any]]) -> None:
    columns = list(rows[0])
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    values = [[Jsonb(row[c]) if isinstance(row[c], dict | list) else row[c] for c in columns] for row in rows]
    with conn.cursor() as cur:
        cur.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})'.encode(), values)

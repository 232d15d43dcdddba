"""The embedded demo: a LiteLLM-compatible emulator serving deterministic generated usage.

It answers the admin endpoints the dashboard reads, with the response shapes (and the traps) of
the real proxy: inclusive dates, newest-first daily rows split across pages, the 10,000 cap on
`/spend/logs/v2` totals, the substring `key_alias` filter. Reach it through the normal client over
`httpx.MockTransport(DemoLiteLLM())`.

Every number is a pure function of (team, key, model, day); one cell's requests are spread evenly
over its day, so any page of raw rows can be produced without materialising the month.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property, lru_cache
from typing import Any
from urllib.parse import parse_qs

import httpx

from usage_core.months import Month, utc_now
from usage_core.tenants import Tenant

DEMO_BASE_URL = "http://litellm.demo"
DEMO_MASTER_KEY = "demo-master-key"
SPEND_LOGS_TOTAL_CAP = 10_000
DAY_MS = 86_400_000


def _unit(*parts: object) -> float:
    """A deterministic pseudo-random number in [0, 1) for the given parts."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


@dataclass(frozen=True)
class DemoModel:
    """A model with its prices (USD per token) and typical request size."""

    name: str
    share: float
    input_price: float
    output_price: float
    avg_input: int
    avg_output: int

    @property
    def group(self) -> str:
        """The model group name (without the provider prefix)."""
        return self.name.split("/", 1)[-1]


MODELS = (
    DemoModel("openai/gpt-4o-mini", 0.55, 0.15e-6, 0.6e-6, 900, 350),
    DemoModel("openai/gpt-4o", 0.30, 2.5e-6, 10e-6, 1400, 500),
    DemoModel("mistral/mistral-large-latest", 0.15, 2e-6, 6e-6, 2200, 700),
)


@dataclass(frozen=True)
class DemoKey:
    """One tenant key: its alias, its share of the team's traffic, its own budget."""

    alias: str | None
    share: float
    max_budget_ratio: float | None = None  # own budget as a multiple of this month's spend
    active_days: int = 10_000  # the key exists for this many days before `now`


@dataclass(frozen=True)
class DemoTeam:
    """One org's LiteLLM team."""

    team_id: str
    alias: str
    keys: tuple[DemoKey, ...]
    daily_requests: float
    budget_ratio: float | None  # max budget as a multiple of this month's spend; None = no budget
    rpm_limit: int | None = None
    tpm_limit: int | None = None
    fail_rate: float = 0.02
    weekly_pattern: bool = True  # False: flat traffic, no growth and no noise (benchmarks)
    models: tuple[DemoModel, ...] = MODELS

    def token(self, key: DemoKey) -> str:
        """The key's sha256 'hash', as LiteLLM stores it."""
        return _token(self.team_id, key.alias)


@lru_cache(maxsize=1 << 14)
def _token(team_id: str, alias: str | None) -> str:
    return hashlib.sha256(f"demo:{team_id}:{alias}".encode()).hexdigest()


@dataclass(frozen=True)
class Cell:
    """One (key, model, day): its counters, and how they split into request rows."""

    key_index: int
    model_index: int
    requests: int
    failed: int
    input_tokens: int
    output_tokens: int
    spend: float

    @property
    def successful(self) -> int:
        """Requests that did not fail."""
        return self.requests - self.failed

    def request(self, i: int, model: DemoModel) -> tuple[int, int, bool, float]:
        """The i-th request: input tokens, output tokens, ok, spend (failures cost nothing)."""
        n = self.requests
        inp = self.input_tokens // n + (1 if i < self.input_tokens % n else 0)
        if i < self.failed:
            return inp, 0, False, 0.0
        j, s = i - self.failed, self.successful
        out = self.output_tokens // s + (1 if j < self.output_tokens % s else 0)
        return inp, out, True, inp * model.input_price + out * model.output_price


DEMO_TEAMS = (
    DemoTeam(
        "team-acme-7f3a",
        "Acme Corp",
        (
            DemoKey("acme-prod", 0.55, max_budget_ratio=1.4),
            DemoKey("acme-prod-eu", 0.2, active_days=120),
            DemoKey("acme-dev", 0.25),
        ),
        daily_requests=1800,
        budget_ratio=1.16,  # about 86% of the company budget used
        rpm_limit=600,
        tpm_limit=1_000_000,
    ),
    DemoTeam(
        "team-globex-19c2",
        "Globex",
        (DemoKey("globex-web", 0.5), DemoKey("globex-data", 0.35), DemoKey(None, 0.15)),
        daily_requests=1100,
        budget_ratio=0.9,  # over budget
        rpm_limit=300,
        tpm_limit=400_000,
        fail_rate=0.04,
    ),
    DemoTeam(
        "team-initech-5b8e",
        "Initech",
        (DemoKey("initech", 1.0),),
        daily_requests=350,
        budget_ratio=None,
    ),
)

DEMO_TENANTS = (
    Tenant(
        "acme-prod",
        "acme",
        "Acme Production",
        ("alice@acme.example", "bob@acme.example"),
        "team-acme-7f3a",
        "acme-prod",
    ),
    Tenant(
        "acme-prod-eu", "acme", "Acme Production EU", ("bob@acme.example",), "team-acme-7f3a", "acme-prod-eu"
    ),
    Tenant("acme-dev", "acme", "Acme Development", ("alice@acme.example",), "team-acme-7f3a", "acme-dev"),
    Tenant("globex-web", "globex", "Globex Web", ("gina@globex.example",), "team-globex-19c2", "globex-web"),
    Tenant(
        "globex-data", "globex", "Globex Data", ("gina@globex.example",), "team-globex-19c2", "globex-data"
    ),
    Tenant("globex-ml", "globex", "Globex ML Lab", ("gina@globex.example",), "team-globex-19c2", None),
    Tenant("initech", "initech", "Initech", ("ivan@initech.example",), "team-initech-5b8e", "initech"),
    Tenant("initech-sandbox", "initech", "Initech Sandbox", ("ivan@initech.example",), None, None),
)

DEMO_PERSONAS: dict[str, dict[str, object]] = {
    "member": {
        "sub": "demo-alice",
        "email": "alice@acme.example",
        "name": "Alice Member",
        "org_id": "acme",
        "roles": ["user"],
    },
    "owner": {
        "sub": "demo-olivia",
        "email": "olivia@globex.example",
        "name": "Olivia Owner",
        "org_id": "globex",
        "roles": ["owner"],
    },
    "admin": {
        "sub": "demo-pat",
        "email": "pat@platform.example",
        "name": "Pat Platform",
        "org_id": "platform",
        "roles": ["platform-admin"],
    },
}


def benchmark_team(requests_per_month: int, *, tenants: int = 5, team_id: str = "team-bench") -> DemoTeam:
    """A flat-traffic team of `tenants` keys making about `requests_per_month` requests a month."""
    aliases = ["bench", *[f"bench-{i}" for i in range(1, tenants)]]  # prefix siblings on purpose
    return DemoTeam(
        team_id,
        "Benchmark",
        tuple(DemoKey(a, 1 / tenants) for a in aliases),
        daily_requests=requests_per_month / 30,
        budget_ratio=1.5,
        weekly_pattern=False,
    )


def platform_teams(count: int) -> tuple[DemoTeam, ...]:
    """`count` customer teams of a large platform, for the platform overview's benchmark.

    Team i has 1-4 tenant keys (every fifth team also a key without alias), uses 1-3 models, makes
    20-420 requests a day on flat traffic, and has a budget from over-spent to generous, or none.
    """
    ratios = (0.8, 1.05, 1.3, 2.0, None)  # max budget as a multiple of this month's spend so far
    teams = []
    for i in range(count):
        keys = [DemoKey(f"org{i:04d}-t{k}", 1.0) for k in range(1 + i % 4)]
        if i % 5 == 0:
            keys.append(DemoKey(None, 0.5))
        share = 1.0 / sum(k.share for k in keys)
        teams.append(
            DemoTeam(
                f"team-p{i:04d}",
                f"Org {i:04d}",
                tuple(DemoKey(k.alias, k.share * share) for k in keys),
                daily_requests=20 + 400 * _unit("platform", i),
                budget_ratio=ratios[i % len(ratios)],
                rpm_limit=60 * (1 + i % 10),
                tpm_limit=100_000 * (1 + i % 10),
                weekly_pattern=False,
                models=MODELS[: 1 + i % 3],
            )
        )
    return tuple(teams)


@dataclass(frozen=True)
class _Segment:
    """Requests [lo, hi) of one cell that fall inside a spend-logs query."""

    day: date
    cell: Cell
    position: int  # the cell's first request's position in its day
    day_total: int
    lo: int
    hi: int


class DemoData:
    """The deterministic dataset: cells per (team, day), budgets and key spend."""

    def __init__(self, teams: Sequence[DemoTeam], now: datetime, months: int = 13) -> None:
        self.teams = tuple(teams)
        self.now = now.astimezone(UTC)
        self.today = self.now.date()
        self.first_day = Month.current(self.now).recent(months)[-1].first_day
        self._by_id = {t.team_id: t for t in self.teams}
        self._month_spend: dict[tuple[str, str | None, bool], float] = {}

    def team(self, team_id: str) -> DemoTeam | None:
        """A team by id."""
        return self._by_id.get(team_id)

    def cells(self, team: DemoTeam, day: date) -> tuple[Cell, ...]:
        """The non-empty cells of one team-day, in a fixed order."""
        return _cells(team, day, self.first_day, self.today)

    def month_spend(self, team: DemoTeam, key: DemoKey | None = None) -> float:
        """Spend in the current month (the budget period), for the team or one key."""
        cache_key = (team.team_id, key.alias if key else None, key is not None)
        cached = self._month_spend.get(cache_key)
        if cached is not None:
            return cached
        month = Month.current(self.now)
        total = 0.0
        for day in month.days(self.now):
            for cell in self.cells(team, day):
                if key is None or team.keys[cell.key_index] == key:
                    total += cell.spend
        self._month_spend[cache_key] = total
        return total

    def budget(self, team: DemoTeam) -> float | None:
        """The team's max budget (a round number)."""
        if team.budget_ratio is None:
            return None
        return float(max(1, round(self.month_spend(team) * team.budget_ratio)))

    def key_budget(self, team: DemoTeam, key: DemoKey) -> float | None:
        """The key's own max budget."""
        if key.max_budget_ratio is None:
            return None
        return float(max(1, round(self.month_spend(team, key) * key.max_budget_ratio)))


@lru_cache(maxsize=1 << 17)  # a 1,000-team platform reads ~60,000 team-days
def _cells(team: DemoTeam, day: date, first_day: date, today: date) -> tuple[Cell, ...]:
    if not first_day <= day <= today:
        return ()
    season = 1.0
    if team.weekly_pattern:  # steady growth towards today, quiet weekends
        season += 0.05 * (12 - min((today - day).days / 30.4, 12))
        season *= 0.45 if day.weekday() >= 5 else 1.0
    cells = []
    for k, key in enumerate(team.keys):
        if (today - day).days >= key.active_days:
            continue
        for m, model in enumerate(team.models):
            noise = (
                0.75 + 0.5 * _unit(team.team_id, key.alias, model.name, day) if team.weekly_pattern else 1.0
            )
            n = int(team.daily_requests * key.share * model.share * season * noise + 0.5)
            if n <= 0:
                continue
            failed = min(n - 1, int(n * team.fail_rate * 2 * _unit("fail", team.team_id, k, m, day)))
            input_tokens = int(n * model.avg_input * (0.8 + 0.4 * _unit("in", team.team_id, k, m, day)))
            output_tokens = int((n - failed) * model.avg_output * (0.8 + 0.4 * _unit("out", k, m, day)))
            ok_input = input_tokens - (failed * (input_tokens // n) + min(failed, input_tokens % n))
            spend = ok_input * model.input_price + output_tokens * model.output_price
            cells.append(Cell(k, m, n, failed, input_tokens, output_tokens, spend))
    return tuple(cells)


def _metrics(cells: Sequence[Cell]) -> dict[str, Any]:
    requests = failed = inp = out = 0
    spend = 0.0
    for c in cells:  # one pass, in order: the same float sum as sum(c.spend for c in cells)
        requests += c.requests
        failed += c.failed
        inp += c.input_tokens
        out += c.output_tokens
        spend += c.spend
    return {
        "spend": spend,
        "prompt_tokens": inp,
        "completion_tokens": out,
        "cache_read_input_tokens": 0,
        "cache_creation_input_tokens": 0,
        "total_tokens": inp + out,
        "successful_requests": requests - failed,
        "failed_requests": failed,
        "api_requests": requests,
    }


@dataclass(frozen=True)
class _TeamDay:
    """One team-day's counters, in the response shape: totals, per key, per model, per model and key."""

    metrics: dict[str, Any]
    keys: dict[str, tuple[DemoKey, dict[str, Any]]]
    models: dict[str, dict[str, Any]]
    model_keys: dict[str, dict[str, dict[str, Any]]]


def _summarise(team: DemoTeam, cells: Sequence[Cell]) -> _TeamDay:
    by_key: dict[str, list[Cell]] = {}
    by_model: dict[str, list[Cell]] = {}
    by_model_key: dict[str, dict[str, list[Cell]]] = {}
    for cell in cells:
        token = team.token(team.keys[cell.key_index])
        model = team.models[cell.model_index].name
        by_key.setdefault(token, []).append(cell)
        by_model.setdefault(model, []).append(cell)
        by_model_key.setdefault(model, {}).setdefault(token, []).append(cell)
    return _TeamDay(
        metrics=_metrics(cells),
        keys={t: (team.keys[c[0].key_index], _metrics(c)) for t, c in by_key.items()},
        models={m: _metrics(c) for m, c in by_model.items()},
        model_keys={m: {t: _metrics(c) for t, c in keys.items()} for m, keys in by_model_key.items()},
    )


def _sum_metrics(items: Iterable[dict[str, Any]]) -> dict[str, Any]:
    total = _metrics(())
    for item in items:
        _add_into(total, item)
    return total


def _add_into(total: dict[str, Any], item: dict[str, Any]) -> None:
    for name, value in item.items():
        total[name] += value


def _aggregated_day(day: date, items: list[tuple[DemoTeam, _TeamDay]], top: set[str]) -> dict[str, Any]:
    """One day of the aggregated endpoint: merged totals, per-team entities, top keys only."""

    def key_entry(team: DemoTeam, key: DemoKey, metrics: dict[str, Any]) -> dict[str, Any]:
        return {
            "metrics": metrics,
            "metadata": {"key_alias": key.alias, "team_id": team.team_id, "key_exists": True},
        }

    models: dict[str, dict[str, Any]] = {}
    for team, summary in items:
        for model, metrics in summary.models.items():
            entry = models.setdefault(
                model, {"metrics": _metrics(()), "metadata": {}, "api_key_breakdown": {}}
            )
            _add_into(entry["metrics"], metrics)
            for token, key_metrics in summary.model_keys[model].items():
                if token in top:
                    key = summary.keys[token][0]
                    entry["api_key_breakdown"][token] = key_entry(team, key, key_metrics)
    return {
        "date": day.isoformat(),
        "metrics": _sum_metrics(s.metrics for _, s in items),
        "breakdown": {
            "mcp_servers": {},
            "models": models,
            "model_groups": {},
            "providers": {},
            "endpoints": {},
            "api_keys": {
                token: key_entry(team, key, metrics)
                for team, summary in items
                for token, (key, metrics) in summary.keys.items()
                if token in top
            },
            "entities": {
                team.team_id: {
                    "metrics": summary.metrics,
                    "metadata": {"team_alias": team.alias},
                    "api_key_breakdown": {
                        token: key_entry(team, key, metrics)
                        for token, (key, metrics) in summary.keys.items()
                        if token in top
                    },
                }
                for team, summary in items
            },
        },
    }


def _totals_metadata(totals: dict[str, Any]) -> dict[str, Any]:
    """A response's `metadata` totals: total_spend, total_prompt_tokens, ..., total_api_requests."""
    return {f"total_{k}" if k != "api_requests" else "total_api_requests": v for k, v in totals.items()}


def _json(body: object, status: int = 200) -> httpx.Response:
    return httpx.Response(
        status, content=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )


def _error(status: int, message: str) -> httpx.Response:
    return _json({"error": {"message": message, "type": "bad_request", "code": str(status)}}, status)


def _parse_bound(text: str) -> datetime | None:
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip(), fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


@dataclass
class DemoLiteLLM:
    """An in-process LiteLLM: call it with an httpx.Request, get an httpx.Response."""

    now: datetime = field(default_factory=utc_now)
    teams: Sequence[DemoTeam] = DEMO_TEAMS
    master_key: str = DEMO_MASTER_KEY
    daily_activity: bool = True  # False: answer 404 there, like proxies older than 1.66.3
    aggregated_activity: bool = True  # False: no /team/daily/activity/aggregated (older proxies)
    on_request: Callable[[httpx.Request], None] | None = None
    _rows: dict[tuple[object, ...], list[tuple[date, DemoTeam, Cell]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _team_days: dict[tuple[str, date], _TeamDay | None] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @cached_property
    def data(self) -> DemoData:
        """The dataset (built lazily, then reused)."""
        return DemoData(self.teams, self.now)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        """Route one request, like the proxy would."""
        if self.on_request is not None:
            self.on_request(request)
        if request.headers.get("authorization") != f"Bearer {self.master_key}":
            return _json({"error": {"message": "Authentication Error, invalid key", "code": "401"}}, 401)
        query = {k: v[-1] for k, v in parse_qs(request.url.query.decode(), keep_blank_values=True).items()}
        routes: dict[str, Callable[[dict[str, str]], httpx.Response]] = {
            "/health/readiness": lambda q: _json({"status": "healthy", "db": "connected"}),
            "/team/list": self._team_list,
            "/v2/team/list": self._v2_team_list,
            "/team/info": self._team_info,
            "/key/list": self._key_list,
            "/spend/logs/v2": self._spend_logs,
        }
        if self.daily_activity:
            routes["/team/daily/activity"] = self._daily_activity
            if self.aggregated_activity:
                routes["/team/daily/activity/aggregated"] = self._daily_activity_aggregated
        handler = routes.get(request.url.path)
        if handler is None or request.method != "GET":
            return _json({"detail": "Not Found"}, 404)
        return handler(query)

    # -- teams and keys -----------------------------------------------------------------------

    def _team_object(self, team: DemoTeam) -> dict[str, Any]:
        reset = Month.current(self.now).end
        return {
            "team_alias": team.alias,
            "team_id": team.team_id,
            "organization_id": None,
            "metadata": {},
            "tpm_limit": team.tpm_limit,
            "rpm_limit": team.rpm_limit,
            "max_budget": self.data.budget(team),
            "budget_duration": "1mo" if team.budget_ratio is not None else None,
            "budget_reset_at": reset.isoformat() if team.budget_ratio is not None else None,
            "models": [m.group for m in team.models],
            "blocked": False,
            "spend": self.data.month_spend(team),
        }

    def _key_object(self, team: DemoTeam, key: DemoKey) -> dict[str, Any]:
        token = team.token(key)
        created = (
            self.data.first_day
            if key.active_days >= 10_000
            else self.now.date() - timedelta(days=key.active_days)
        )
        return {
            "token": token,
            "key_name": f"sk-...{token[-4:]}",
            "key_alias": key.alias,
            "spend": self.data.month_spend(team, key),
            "max_budget": self.data.key_budget(team, key),
            "team_id": team.team_id,
            "tpm_limit": None,
            "rpm_limit": None,
            "budget_duration": None,
            "budget_reset_at": None,
            "blocked": None,
            "created_at": datetime.combine(created, datetime.min.time(), UTC).isoformat(),
        }

    def _team_list(self, query: dict[str, str]) -> httpx.Response:
        return _json([self._team_object(t) for t in self.teams])

    def _v2_team_list(self, query: dict[str, str]) -> httpx.Response:
        page, size = int(query.get("page", "1") or 1), int(query.get("page_size", "10") or 10)
        if page < 1 or not 1 <= size <= 100:
            return _error(422, "page_size must be between 1 and 100")
        chosen = self.teams[(page - 1) * size : page * size]
        return _json(
            {
                "teams": [{**self._team_object(t), "keys_count": len(t.keys)} for t in chosen],
                "total": len(self.teams),
                "page": page,
                "page_size": size,
                "total_pages": math.ceil(len(self.teams) / size),
            }
        )

    def _team_info(self, query: dict[str, str]) -> httpx.Response:
        team = self.data.team(query.get("team_id", ""))
        if team is None:
            return _json({"detail": {"error": f"Team not found, passed team_id={query.get('team_id')}"}}, 404)
        return _json(
            {
                "team_id": team.team_id,
                "team_info": self._team_object(team),
                "keys": [self._key_object(team, k) for k in team.keys],
            }
        )

    def _key_list(self, query: dict[str, str]) -> httpx.Response:
        size = int(query.get("size", "10") or 10)
        page = int(query.get("page", "1") or 1)
        if size > 100 or size < 1 or page < 1:
            return _error(422, "size must be between 1 and 100")
        keys = [
            (t, k)
            for t in self.teams
            if query.get("team_id") in (None, t.team_id)
            for k in t.keys
            if query.get("key_alias") in (None, k.alias)
        ]
        chunk = keys[(page - 1) * size : page * size]
        full = query.get("return_full_object") == "true"
        return _json(
            {
                "keys": [self._key_object(t, k) if full else t.token(k) for t, k in chunk],
                "total_count": len(keys),
                "current_page": page,
                "total_pages": max(1, math.ceil(len(keys) / size)),
            }
        )

    # -- daily aggregates -----------------------------------------------------------------------

    def _activity_rows(
        self, query: dict[str, str], start: date, end: date
    ) -> list[tuple[date, DemoTeam, Cell]]:
        """The raw daily rows a query selects, newest date first (cached: pages re-read them)."""
        team_ids = tuple(t for t in query.get("team_ids", "").split(",") if t)
        api_key, model_filter = query.get("api_key"), query.get("model")
        cache_key = (team_ids, start, end, api_key, model_filter)
        rows = self._rows.get(cache_key)
        if rows is not None:
            return rows
        wanted = set(team_ids)
        teams = [t for t in self.teams if not wanted or t.team_id in wanted]
        rows = []
        day = min(end, self.data.today)
        while day >= start:  # newest date first, like the proxy
            for team in teams:
                for cell in self.data.cells(team, day):
                    if api_key and team.token(team.keys[cell.key_index]) != api_key:
                        continue
                    if model_filter and team.models[cell.model_index].name != model_filter:
                        continue
                    rows.append((day, team, cell))
            day -= timedelta(days=1)
        if len(self._rows) >= 16:
            self._rows.clear()
        self._rows[cache_key] = rows
        return rows

    def _daily_activity(self, query: dict[str, str]) -> httpx.Response:
        try:
            start = date.fromisoformat(query["start_date"])
            end = date.fromisoformat(query["end_date"])
        except (KeyError, ValueError):
            return _json({"detail": {"error": "Please provide start_date and end_date"}}, 400)
        page, size = int(query.get("page", "1") or 1), int(query.get("page_size", "10") or 10)
        if page < 1 or size < 1:
            return _json({"detail": f"page and page_size must be >= 1, got page={page}"}, 400)
        rows = self._activity_rows(query, start, end)
        chunk = rows[(page - 1) * size : page * size]
        results: dict[date, list[tuple[DemoTeam, Cell]]] = {}
        for day, team, cell in chunk:
            results.setdefault(day, []).append((team, cell))
        metadata = _totals_metadata(_metrics([cell for _, _, cell in chunk]))
        metadata.update(page=page, total_pages=math.ceil(len(rows) / size), has_more=page * size < len(rows))
        return _json(
            {
                "results": [self._daily_result(day, items) for day, items in results.items()],
                "metadata": metadata,
            }
        )

    def _daily_activity_aggregated(self, query: dict[str, str]) -> httpx.Response:
        """All days in one answer, merged server-side; per-key breakdowns only for the top keys."""
        try:
            start = date.fromisoformat(query["start_date"])
            end = date.fromisoformat(query["end_date"])
        except (KeyError, ValueError):
            return _json({"detail": {"error": "Please provide start_date and end_date"}}, 400)
        if end < start or (end - start).days > 400:
            return _json({"detail": {"error": "Date range must be at most 400 days"}}, 400)
        limit = int(query.get("api_key_limit", "100") or 100)
        if not 1 <= limit <= 1000:
            return _error(422, "api_key_limit must be between 1 and 1000")
        wanted = {t for t in query.get("team_ids", "").split(",") if t}
        teams = [t for t in self.teams if not wanted or t.team_id in wanted]
        api_key, model_filter = query.get("api_key"), query.get("model")
        days: list[tuple[date, list[tuple[DemoTeam, _TeamDay]]]] = []
        key_spend: dict[str, float] = {}
        entity_keys: dict[str, set[str]] = {}
        day = min(end, self.data.today)
        while day >= start:
            items = []
            for team in teams:
                summary = self._team_day(team, day, api_key, model_filter)
                if summary is None:
                    continue
                items.append((team, summary))
                for token, (_, metrics) in summary.keys.items():
                    key_spend[token] = key_spend.get(token, 0.0) + metrics["spend"]
                    entity_keys.setdefault(team.team_id, set()).add(token)
            if items:
                days.append((day, items))
            day -= timedelta(days=1)
        top = set(sorted(key_spend, key=lambda t: (-key_spend[t], t))[:limit])
        metadata = _totals_metadata(_sum_metrics(s.metrics for _, items in days for _, s in items))
        metadata.update(
            page=1,
            total_pages=1,
            has_more=False,
            api_key_limit=limit,
            total_api_keys=len(key_spend),
            entity_total_api_keys={team: len(keys) for team, keys in entity_keys.items()},
        )
        return _json(
            {"results": [_aggregated_day(day, items, top) for day, items in days], "metadata": metadata}
        )

    def _team_day(
        self, team: DemoTeam, day: date, api_key: str | None, model_filter: str | None
    ) -> _TeamDay | None:
        """One team-day's counters (None without requests); unfiltered ones are kept for reuse."""
        cache_key = (team.team_id, day)
        if not api_key and not model_filter and cache_key in self._team_days:
            return self._team_days[cache_key]
        cells = [
            c
            for c in self.data.cells(team, day)
            if (not api_key or team.token(team.keys[c.key_index]) == api_key)
            and (not model_filter or team.models[c.model_index].name == model_filter)
        ]
        summary = _summarise(team, cells) if cells else None
        if not api_key and not model_filter:
            self._team_days[cache_key] = summary
        return summary

    def _daily_result(self, day: date, items: list[tuple[DemoTeam, Cell]]) -> dict[str, Any]:
        """One day's result of the paginated endpoint, from this page's rows of that day."""
        Group = tuple[DemoTeam, DemoKey, list[Cell]]
        by_key: dict[str, Group] = {}
        by_model: dict[str, dict[str, Group]] = {}
        by_team: dict[str, tuple[DemoTeam, list[Cell], dict[str, Group]]] = {}
        for team, cell in items:
            key = team.keys[cell.key_index]
            token = team.token(key)
            model = team.models[cell.model_index].name
            entity = by_team.setdefault(team.team_id, (team, [], {}))
            entity[1].append(cell)
            by_key.setdefault(token, (team, key, []))[2].append(cell)
            by_model.setdefault(model, {}).setdefault(token, (team, key, []))[2].append(cell)
            entity[2].setdefault(token, (team, key, []))[2].append(cell)
        model_cells: dict[str, list[Cell]] = {}
        for team, cell in items:
            model_cells.setdefault(team.models[cell.model_index].name, []).append(cell)

        def key_entry(team: DemoTeam, key: DemoKey, cells: list[Cell]) -> dict[str, Any]:
            return {
                "metrics": _metrics(cells),
                "metadata": {"key_alias": key.alias, "team_id": team.team_id, "key_exists": True},
            }

        return {
            "date": day.isoformat(),
            "metrics": _metrics([cell for _, cell in items]),
            "breakdown": {
                "models": {
                    model: {
                        "metrics": _metrics(model_cells[model]),
                        "metadata": {},
                        "api_key_breakdown": {tok: key_entry(*entry) for tok, entry in model_keys.items()},
                    }
                    for model, model_keys in by_model.items()
                },
                "api_keys": {tok: key_entry(*entry) for tok, entry in by_key.items()},
                "providers": {},
                "endpoints": {},
                "entities": {
                    team_id: {
                        "metrics": _metrics(cells),
                        "metadata": {"team_alias": team.alias},
                        "api_key_breakdown": {tok: key_entry(*entry) for tok, entry in team_keys.items()},
                    }
                    for team_id, (team, cells, team_keys) in by_team.items()
                },
            },
        }

    # -- raw spend rows -------------------------------------------------------------------------

    def _segments(
        self, team: DemoTeam, start: datetime, end: datetime, alias_filter: str | None, api_key: str | None
    ) -> Iterator[_Segment]:
        """Per day, the request ranges of each matching cell within [start, end] (both inclusive)."""
        day = max(start.date(), self.data.first_day)
        while day <= min(end.date(), self.data.today):
            cells = self.data.cells(team, day)
            day_total = sum(c.requests for c in cells)
            day_ms = int(datetime.combine(day, datetime.min.time(), UTC).timestamp() * 1000)
            lo = _first_position(day_total, int(start.timestamp() * 1000) - day_ms)
            hi = _first_position(day_total, int(end.timestamp() * 1000) - day_ms + 1)
            position = 0
            for cell in cells:
                key = team.keys[cell.key_index]
                matches = (alias_filter is None or alias_filter in (key.alias or "")) and (
                    api_key is None or api_key == team.token(key)
                )
                a, b = max(lo - position, 0), min(hi - position, cell.requests)
                if matches and a < b:
                    yield _Segment(day, cell, position, day_total, a, b)
                position += cell.requests
            day += timedelta(days=1)

    def _spend_logs(self, query: dict[str, str]) -> httpx.Response:
        if not query.get("start_date") or not query.get("end_date"):
            return _error(400, "Start date and end date are required")
        start = _parse_bound(query["start_date"])
        end = _parse_bound(query["end_date"])
        if start is None or end is None:
            bad = query["start_date"] if start is None else query["end_date"]
            return _error(400, f"Invalid date format: {bad}. Expected: 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM:SS'")
        page, size = int(query.get("page", "1") or 1), int(query.get("page_size", "50") or 50)
        if page < 1 or not 1 <= size <= 1000:
            return _error(422, "page_size must be between 1 and 1000")
        descending = query.get("sort_order", "desc").lower() != "asc"
        teams = [t for t in self.teams if query.get("team_id") in (None, t.team_id)]
        alias_filter, api_key = query.get("key_alias"), query.get("api_key")
        pairs = [(t, s) for t in teams for s in self._segments(t, start, end, alias_filter, api_key)]
        counts = [s.hi - s.lo for _, s in pairs]
        prefix = [0]
        for c in counts:
            prefix.append(prefix[-1] + c)
        total = prefix[-1]
        rows = []
        for g in range((page - 1) * size, min(page * size, total)):
            index = total - 1 - g if descending else g
            s = bisect.bisect_right(prefix, index) - 1
            team, segment = pairs[s]
            rows.append(self._row(team, segment, segment.lo + index - prefix[s]))
        if descending and len({t.team_id for t in teams}) > 1:
            rows.sort(key=lambda r: (r["startTime"], r["request_id"]), reverse=True)
        capped = min(total, SPEND_LOGS_TOTAL_CAP)
        return _json(
            {
                "data": rows,
                "total": capped,
                "page": page,
                "page_size": size,
                "total_pages": math.ceil(capped / size),
                "total_is_capped": total > SPEND_LOGS_TOTAL_CAP,
            }
        )

    def _row(self, team: DemoTeam, segment: _Segment, i: int) -> dict[str, Any]:
        cell = segment.cell
        key, model = team.keys[cell.key_index], team.models[cell.model_index]
        inp, out, ok, spend = cell.request(i, model)
        day_ms = int(datetime.combine(segment.day, datetime.min.time(), UTC).timestamp() * 1000)
        started = datetime.fromtimestamp(
            (day_ms + _offset_ms(segment.position + i, segment.day_total)) / 1000, UTC
        )
        token = team.token(key)
        request_id = f"demo-{team.team_id}-{segment.day}-{cell.key_index}-{cell.model_index}-{i}"
        return {
            "request_id": request_id,
            "call_type": "acompletion",
            "api_key": token,
            "spend": spend,
            "total_tokens": inp + out,
            "prompt_tokens": inp,
            "completion_tokens": out,
            "startTime": started.isoformat(timespec="milliseconds"),
            "endTime": (started + timedelta(milliseconds=180)).isoformat(timespec="milliseconds"),
            "model": model.name,
            "model_group": model.group,
            "custom_llm_provider": model.name.split("/", 1)[0],
            "user": "",
            "metadata": {
                "status": None if ok else "failure",
                "user_api_key": token,
                "user_api_key_alias": key.alias,
                "user_api_key_team_id": team.team_id,
                "user_api_key_team_alias": team.alias,
                "error_information": None if ok else {"error_code": "500", "error_class": "APIError"},
            },
            "cache_hit": "None",
            "request_tags": [],
            "team_id": team.team_id,
            "status": "success" if ok else "failure",
        }


def _offset_ms(position: int, day_total: int) -> int:
    """Milliseconds after midnight of the request at `position` among `day_total` evenly spread."""
    return (2 * position + 1) * DAY_MS // (2 * day_total)


def _first_position(day_total: int, offset_ms: int) -> int:
    """The first position whose time is at or after `offset_ms` (0..day_total)."""
    if offset_ms <= 0:
        return 0
    if offset_ms >= DAY_MS:
        return day_total
    lo, hi = 0, day_total
    while lo < hi:
        mid = (lo + hi) // 2
        if _offset_ms(mid, day_total) >= offset_ms:
            hi = mid
        else:
            lo = mid + 1
    return lo

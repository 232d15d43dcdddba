"""LiteLLM admin API client: an httpx client on an injected transport, with retries and typed errors."""

from __future__ import annotations

import itertools
import json
import logging
import math
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

import httpx
import stamina
from pydantic import SecretStr

from usage_core.errors import (
    LiteLLMAuthError,
    LiteLLMError,
    LiteLLMNotFound,
    LiteLLMProtocolError,
    LiteLLMUnavailable,
    TeamNotFound,
)
from usage_core.months import Month, utc_now
from usage_core.usage import (
    SOURCE_DAILY_ACTIVITY,
    SOURCE_SPEND_LOGS,
    Metrics,
    TeamUsage,
    TeamUsageBuilder,
)

DAILY_PAGE_SIZE = 1000
SPEND_LOGS_PAGE_SIZE = 1000  # LiteLLM's maximum for /spend/logs/v2
# Spend rows are ~10 kB each on a real proxy, so a page is ~10 MB in flight: 4 pages keep the
# fallback under 300 MB and read 100k rows as fast as 8 (the proxy serialises them anyway).
SPEND_LOGS_CONCURRENCY = 4
KEYS_PAGE_SIZE = 100  # LiteLLM's maximum for /key/list
TEAMS_PAGE_SIZE = 100  # LiteLLM's maximum for /v2/team/list
# Team ids per daily-activity request: 100 UUIDs make a ~3.8 kB query string, well under the 8 kB
# that common proxies and servers accept in a request line.
TEAM_BATCH_SIZE = 100
MAX_PAGES = 5000  # requests for one team-month: beyond this we refuse rather than show partial totals

T = TypeVar("T")
A = TypeVar("A")

# stamina logs every scheduled retry at WARNING; with no logging configured (the CLI) Python's
# last-resort handler would print them to stderr. The final typed error says what happened.
logging.getLogger("stamina").addHandler(logging.NullHandler())


@dataclass(frozen=True)
class TeamSummary:
    """A team as listed for a platform admin's picker."""

    team_id: str
    alias: str | None


@dataclass(frozen=True)
class TeamInfo:
    """A team's company budget and limits."""

    team_id: str
    alias: str | None
    max_budget: float | None
    spend: float
    budget_duration: str | None
    budget_reset_at: datetime | None
    rpm_limit: int | None
    tpm_limit: int | None


@dataclass(frozen=True)
class KeyInfo:
    """One virtual key of a team (token is LiteLLM's sha256 hash, never the raw key)."""

    token: str
    alias: str | None
    spend: float
    max_budget: float | None
    budget_reset_at: datetime | None
    created_at: datetime | None
    blocked: bool


@dataclass(frozen=True)
class TeamListing:
    """A team as the platform overview lists it: budget, limits and how many keys it has."""

    info: TeamInfo
    keys: int | None  # None: the proxy did not say


@dataclass
class RequestStats:
    """Upstream HTTP requests made and response bytes received (for benchmarks and tests)."""

    requests: int = 0
    bytes_received: int = 0


class _Retryable(Exception):
    """A response worth retrying (5xx, 429)."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


def _number(value: object, default: float | None = None) -> float | None:
    if isinstance(value, bool):
        return default
    if isinstance(value, int | float):
        return float(value)
    return default


def _int(value: object) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return 0


def _optional_int(value: object) -> int | None:
    return _int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def parse_timestamp(value: object) -> datetime | None:
    """Parse LiteLLM's ISO timestamps ('...+00:00', '...Z', or naive meaning UTC)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace(" ", "T", 1) if "T" not in value else value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def metrics_from_daily(raw: object) -> Metrics:
    """Metrics from one `metrics` object of /team/daily/activity."""
    m: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    return Metrics(
        input_tokens=_int(m.get("prompt_tokens")),
        output_tokens=_int(m.get("completion_tokens")),
        total_tokens=_int(m.get("total_tokens")),
        requests=_int(m.get("api_requests")),
        successful_requests=_int(m.get("successful_requests")),
        failed_requests=_int(m.get("failed_requests")),
        spend=_number(m.get("spend"), 0.0) or 0.0,
    )


def _alias_of(entry: object) -> str | None:
    if not isinstance(entry, Mapping):
        return None
    metadata = entry.get("metadata")
    alias = metadata.get("key_alias") if isinstance(metadata, Mapping) else None
    return alias if isinstance(alias, str) and alias else None


def add_daily_activity_page(builder: TeamUsageBuilder, body: Mapping[str, Any]) -> None:
    """Fold one page of /team/daily/activity into `builder` (pages split days: always merge)."""
    results = body.get("results")
    if not isinstance(results, list):
        raise LiteLLMProtocolError("LiteLLM's daily activity answer has no results list.")
    month = builder.month
    for result in results:
        if not isinstance(result, Mapping):
            raise LiteLLMProtocolError("LiteLLM's daily activity answer holds a malformed day.")
        try:
            day = date.fromisoformat(str(result.get("date")))
        except ValueError:
            raise LiteLLMProtocolError("LiteLLM's daily activity answer holds a bad date.") from None
        if not month.first_day <= day <= month.last_day:
            continue  # inclusive server bounds: never let a neighbour month's day in
        builder.add_team_day(day, metrics_from_daily(result.get("metrics")))
        breakdown = result.get("breakdown")
        breakdown = breakdown if isinstance(breakdown, Mapping) else {}
        api_keys = breakdown.get("api_keys")
        for entry in (api_keys if isinstance(api_keys, Mapping) else {}).values():
            alias = _alias_of(entry)
            if alias is not None:
                builder.add_alias_day(alias, day, metrics_from_daily(entry.get("metrics")))
        models = breakdown.get("models")
        for model, entry in (models if isinstance(models, Mapping) else {}).items():
            if not isinstance(entry, Mapping):
                continue
            builder.add_team_model(str(model), metrics_from_daily(entry.get("metrics")))
            per_key = entry.get("api_key_breakdown")
            for key_entry in (per_key if isinstance(per_key, Mapping) else {}).values():
                alias = _alias_of(key_entry)
                if alias is not None:
                    builder.add_alias_model(alias, str(model), metrics_from_daily(key_entry.get("metrics")))


class SpendLogAggregator:
    """Folds /spend/logs/v2 rows into a TeamUsageBuilder: exact alias, month bounds, de-duplicated."""

    def __init__(self, builder: TeamUsageBuilder) -> None:
        self.builder = builder
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def add_rows(self, rows: Sequence[object]) -> None:
        """Add one page of rows; rows outside the month, of another team, or seen before are skipped."""
        month, team_id = self.builder.month, self.builder.team_id
        start, end = month.start, month.end
        with self._lock:
            for row in rows:
                if not isinstance(row, Mapping):
                    raise LiteLLMProtocolError("LiteLLM's spend logs hold a malformed row.")
                request_id = row.get("request_id")
                if not isinstance(request_id, str) or not request_id:
                    raise LiteLLMProtocolError("LiteLLM's spend logs hold a row without request_id.")
                if request_id in self._seen:
                    continue
                self._seen.add(request_id)
                started = parse_timestamp(row.get("startTime"))
                if started is None:
                    raise LiteLLMProtocolError("LiteLLM's spend logs hold a row without startTime.")
                if not start <= started < end or row.get("team_id") not in (team_id, None):
                    continue
                metadata = row.get("metadata")
                if isinstance(metadata, str):
                    try:
                        metadata = json.loads(metadata)
                    except json.JSONDecodeError:
                        metadata = {}
                alias = metadata.get("user_api_key_alias") if isinstance(metadata, Mapping) else None
                self.builder.add_request(
                    alias if isinstance(alias, str) and alias else None,
                    started.date(),
                    str(row.get("model") or row.get("model_group") or "unknown"),
                    input_tokens=_int(row.get("prompt_tokens")),
                    output_tokens=_int(row.get("completion_tokens")),
                    total_tokens=_int(row.get("total_tokens")),
                    ok=row.get("status") != "failure",
                    spend=_number(row.get("spend"), 0.0) or 0.0,
                )

    @property
    def rows_seen(self) -> int:
        """Distinct request ids seen so far."""
        return len(self._seen)


def team_info_from(info: Mapping[str, Any], team_id: str = "") -> TeamInfo:
    """A TeamInfo from one team object (/team/info's team_info, or an item of /v2/team/list)."""
    alias = info.get("team_alias")
    duration = info.get("budget_duration")
    return TeamInfo(
        team_id=str(info.get("team_id") or team_id),
        alias=alias if isinstance(alias, str) else None,
        max_budget=_number(info.get("max_budget")),
        spend=_number(info.get("spend"), 0.0) or 0.0,
        budget_duration=duration if isinstance(duration, str) else None,
        budget_reset_at=parse_timestamp(info.get("budget_reset_at")),
        rpm_limit=_optional_int(info.get("rpm_limit")),
        tpm_limit=_optional_int(info.get("tpm_limit")),
    )


def key_info_from(k: Mapping[str, Any]) -> KeyInfo:
    """A KeyInfo from one full key object of /key/list."""
    alias = k.get("key_alias")
    return KeyInfo(
        token=str(k.get("token")),
        alias=alias if isinstance(alias, str) and alias else None,
        spend=_number(k.get("spend"), 0.0) or 0.0,
        max_budget=_number(k.get("max_budget")),
        budget_reset_at=parse_timestamp(k.get("budget_reset_at")),
        created_at=parse_timestamp(k.get("created_at")),
        blocked=bool(k.get("blocked")),
    )


_METRIC_FIELDS = (
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "api_requests",
    "successful_requests",
    "failed_requests",
)


def entity_metrics(raw: object) -> Metrics:
    """metrics_from_daily's result, faster for the well-formed objects an overview reads by thousands."""
    if type(raw) is dict:
        counts = [raw.get(name) for name in _METRIC_FIELDS]
        spend = raw.get("spend")
        if all(type(c) is int for c in counts) and type(spend) in (float, int):
            inp, out, total, requests, ok, failed = cast(list[int], counts)
            return Metrics(inp, out, total, requests, ok, failed, float(cast(float, spend)) or 0.0)
    return metrics_from_daily(raw)  # anything unusual: the strict, forgiving parser


def team_day_entries(
    body: Mapping[str, Any], month: Month, last_day: date
) -> Iterator[tuple[str, date, Mapping[str, Any]]]:
    """Each (team id, day, entry) of one multi-team daily-activity answer, by `breakdown.entities`.

    Each day's `entities` holds one entry per team: its metrics, and its keys' in
    `api_key_breakdown`. Days outside the month or after `last_day` are skipped.
    """
    results = body.get("results")
    if not isinstance(results, list):
        raise LiteLLMProtocolError("LiteLLM's daily activity answer has no results list.")
    for result in results:
        if not isinstance(result, Mapping):
            raise LiteLLMProtocolError("LiteLLM's daily activity answer holds a malformed day.")
        try:
            day = date.fromisoformat(str(result.get("date")))
        except ValueError:
            raise LiteLLMProtocolError("LiteLLM's daily activity answer holds a bad date.") from None
        if not month.first_day <= day <= min(month.last_day, last_day):
            continue
        breakdown = result.get("breakdown")
        entities = breakdown.get("entities") if isinstance(breakdown, Mapping) else None
        if not isinstance(entities, Mapping):
            if metrics_from_daily(result.get("metrics")) == Metrics():
                continue
            raise LiteLLMProtocolError(
                "LiteLLM's daily activity answer has no per-team breakdown (entities) for several teams."
            )
        for team_id, entry in entities.items():
            if type(entry) is dict or isinstance(entry, Mapping):  # JSON gives dicts: skip the ABC check
                yield str(team_id), day, entry


def add_teams_activity_page(
    builders: Mapping[str, TeamUsageBuilder], body: Mapping[str, Any], *, aliases: bool, last_day: date
) -> None:
    """Fold one multi-team daily-activity page into one builder per team (all of one month)."""
    month = next(iter(builders.values())).month
    for team_id, day, entry in team_day_entries(body, month, last_day):
        builder = builders.get(team_id)
        if builder is None:
            continue  # "Unassigned" rows, or a team we did not ask for
        builder.add_team_day(day, metrics_from_daily(entry.get("metrics")))
        per_key = entry.get("api_key_breakdown")
        for key_entry in (per_key if aliases and isinstance(per_key, Mapping) else {}).values():
            alias = _alias_of(key_entry)
            if alias is not None:
                builder.add_alias_day(alias, day, metrics_from_daily(key_entry.get("metrics")))


def _batches(items: Sequence[str], size: int) -> list[list[str]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def _retry_on(exc: Exception) -> bool:
    return isinstance(exc, _Retryable | httpx.TimeoutException | httpx.TransportError)


class LiteLLMClient:
    """Reads LiteLLM's admin API with the master key; safe to share between threads."""

    def __init__(
        self,
        base_url: str,
        master_key: str | SecretStr,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        max_concurrency: int = 8,
        attempts: int = 4,
        daily_page_size: int = DAILY_PAGE_SIZE,
        spend_logs_page_size: int = SPEND_LOGS_PAGE_SIZE,
        max_pages: int = MAX_PAGES,
    ) -> None:
        key = master_key.get_secret_value() if isinstance(master_key, SecretStr) else master_key
        url = urlsplit(base_url)  # name the host in messages, never any credentials in the URL
        self._host = f"{url.hostname}:{url.port}" if url.port else (url.hostname or "LiteLLM")
        self._http = httpx.Client(
            base_url=base_url,
            headers={"Authorization": f"Bearer {key}", "Accept": "application/json"},
            transport=transport,
            timeout=timeout,
        )
        self.max_concurrency = max(1, max_concurrency)
        self.attempts = max(1, attempts)
        self.daily_page_size = daily_page_size
        self.spend_logs_page_size = spend_logs_page_size
        self.max_pages = max_pages
        self.stats = RequestStats()
        self._stats_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"LiteLLMClient({self._host!r})"

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    # -- HTTP ---------------------------------------------------------------------------------

    def _send(self, path: str, params: Mapping[str, str | int]) -> httpx.Response:
        response = self._http.get(path, params=dict(params))
        with self._stats_lock:
            self.stats.requests += 1
            self.stats.bytes_received += len(response.content)
        if response.status_code == 429 or response.status_code >= 500:
            raise _Retryable(response.status_code)
        return response

    def get_json(self, path: str, params: Mapping[str, str | int] | None = None) -> Any:
        """GET `path`, retrying timeouts, 5xx and 429; map every failure to a LiteLLMError."""
        params = params or {}
        try:
            for attempt in stamina.retry_context(
                on=_retry_on, attempts=self.attempts, wait_initial=0.2, wait_max=3.0, timeout=60.0
            ):
                with attempt:
                    response = self._send(path, params)
        except _Retryable as exc:
            raise LiteLLMUnavailable(
                self._unavailable(path, f"HTTP {exc.status}"), status=exc.status
            ) from None
        except httpx.TimeoutException:
            raise LiteLLMUnavailable(self._unavailable(path, "timed out")) from None
        except httpx.TransportError as exc:
            reason = "connection refused" if isinstance(exc, httpx.ConnectError) else type(exc).__name__
            raise LiteLLMUnavailable(self._unavailable(path, reason)) from None
        status = response.status_code
        if status in (401, 403):
            raise LiteLLMAuthError(
                f"LiteLLM at {self._host} refused the master key for {path} (HTTP {status}).", status=status
            )
        if status == 404:
            raise LiteLLMNotFound(f"LiteLLM at {self._host} has no {path} (HTTP 404).", status=status)
        if status >= 400:
            raise LiteLLMError(f"LiteLLM at {self._host} rejected {path} (HTTP {status}).", status=status)
        try:
            return response.json()
        except ValueError:
            raise LiteLLMProtocolError(f"LiteLLM at {self._host} sent non-JSON for {path}.") from None

    def _unavailable(self, path: str, reason: str) -> str:
        return f"LiteLLM at {self._host} did not answer {path} ({reason}) after {self.attempts} attempts."

    def _parallel(self, fn: Callable[[A], T], items: Sequence[A], *, limit: int | None = None) -> Iterator[T]:
        """Run fn(item) for every item with bounded concurrency; results in item order."""
        if len(items) <= 1:
            yield from (fn(item) for item in items)
            return
        workers = min(self.max_concurrency, limit or self.max_concurrency, len(items))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            yield from pool.map(fn, items)

    # -- teams and keys -----------------------------------------------------------------------

    def team_info(self, team_id: str) -> TeamInfo:
        """The team's budget and limits; an unknown team raises TeamNotFound."""
        try:
            body = self.get_json("/team/info", {"team_id": team_id})
        except LiteLLMNotFound:
            raise TeamNotFound(f"LiteLLM team {team_id!r} was not found.") from None
        except LiteLLMError as exc:
            if exc.status == 400:  # some versions answer 400 for an unknown team
                raise TeamNotFound(f"LiteLLM team {team_id!r} was not found.") from None
            raise
        info = body.get("team_info") if isinstance(body, Mapping) else None
        if not isinstance(info, Mapping):
            raise LiteLLMProtocolError("LiteLLM's /team/info answer has no team_info.")
        return TeamInfo(
            team_id=str(info.get("team_id") or team_id),
            alias=info.get("team_alias") if isinstance(info.get("team_alias"), str) else None,
            max_budget=_number(info.get("max_budget")),
            spend=_number(info.get("spend"), 0.0) or 0.0,
            budget_duration=info.get("budget_duration")
            if isinstance(info.get("budget_duration"), str)
            else None,
            budget_reset_at=parse_timestamp(info.get("budget_reset_at")),
            rpm_limit=_optional_int(info.get("rpm_limit")),
            tpm_limit=_optional_int(info.get("tpm_limit")),
        )

    def list_teams(self) -> list[TeamSummary]:
        """Every team, for a platform admin's picker."""
        body = self.get_json("/team/list")
        if not isinstance(body, list):
            raise LiteLLMProtocolError("LiteLLM's /team/list answer is not a list.")
        teams = [
            TeamSummary(
                str(t["team_id"]),
                t.get("team_alias") if isinstance(t.get("team_alias"), str) else None,
            )
            for t in body
            if isinstance(t, Mapping) and t.get("team_id")
        ]
        return sorted(teams, key=lambda t: ((t.alias or t.team_id).lower(), t.team_id))

    def list_keys(self, team_id: str) -> list[KeyInfo]:
        """Every key of a team, all pages."""

        def page(number: int) -> Mapping[str, Any]:
            body = self.get_json(
                "/key/list",
                {
                    "team_id": team_id,
                    "return_full_object": "true",
                    "size": KEYS_PAGE_SIZE,
                    "page": number,
                },
            )
            if not isinstance(body, Mapping) or not isinstance(body.get("keys"), list):
                raise LiteLLMProtocolError("LiteLLM's /key/list answer has no keys list.")
            return body

        first = page(1)
        total_pages = min(_int(first.get("total_pages")) or 1, self.max_pages)
        bodies = [first, *self._parallel(page, range(2, total_pages + 1))]
        keys: dict[str, KeyInfo] = {}
        for body in bodies:
            for k in body["keys"]:
                if not isinstance(k, Mapping) or not isinstance(k.get("token"), str):
                    continue
                if k.get("team_id") not in (team_id, None):
                    continue
                alias = k.get("key_alias")
                keys[k["token"]] = KeyInfo(
                    token=k["token"],
                    alias=alias if isinstance(alias, str) and alias else None,
                    spend=_number(k.get("spend"), 0.0) or 0.0,
                    max_budget=_number(k.get("max_budget")),
                    budget_reset_at=parse_timestamp(k.get("budget_reset_at")),
                    created_at=parse_timestamp(k.get("created_at")),
                    blocked=bool(k.get("blocked")),
                )
        return list(keys.values())

    def list_team_listings(self) -> list[TeamListing]:
        """Every team with budget, limits and key count: /v2/team/list in pages of 100.

        Proxies without /v2/team/list answer from /team/list (which embeds each team's keys);
        when neither says how many keys a team has, /key/list is read once for all teams.
        """

        def page(number: int) -> Mapping[str, Any]:
            body = self.get_json("/v2/team/list", {"page": number, "page_size": TEAMS_PAGE_SIZE})
            if not isinstance(body, Mapping) or not isinstance(body.get("teams"), list):
                raise LiteLLMProtocolError("LiteLLM's /v2/team/list answer has no teams list.")
            return body

        try:
            first = page(1)
        except LiteLLMNotFound:
            items = self.get_json("/team/list")
            if not isinstance(items, list):
                raise LiteLLMProtocolError("LiteLLM's /team/list answer is not a list.") from None
            objects = [t for t in items if isinstance(t, Mapping)]
            counts = [len(t["keys"]) if isinstance(t.get("keys"), list) else None for t in objects]
        else:
            total_pages = min(_int(first.get("total_pages")) or 1, self.max_pages)
            bodies = [first, *self._parallel(page, range(2, total_pages + 1))]
            objects = [t for body in bodies for t in body["teams"] if isinstance(t, Mapping)]
            counts = [_optional_int(t.get("keys_count")) for t in objects]
        listings: dict[str, TeamListing] = {}
        for obj, keys in zip(objects, counts, strict=True):
            if obj.get("team_id"):
                info = team_info_from(obj)
                listings[info.team_id] = TeamListing(info, keys)
        if any(listing.keys is None for listing in listings.values()):
            per_team = self.list_all_keys()
            listings = {
                team_id: TeamListing(listing.info, len(per_team.get(team_id, ())))
                for team_id, listing in listings.items()
            }
        return sorted(
            listings.values(), key=lambda t: ((t.info.alias or t.info.team_id).lower(), t.info.team_id)
        )

    def list_all_keys(self) -> dict[str, list[KeyInfo]]:
        """Every key of the proxy by team id (keys of no team under ""), in pages of 100."""

        def page(number: int) -> Mapping[str, Any]:
            body = self.get_json(
                "/key/list", {"return_full_object": "true", "size": KEYS_PAGE_SIZE, "page": number}
            )
            if not isinstance(body, Mapping) or not isinstance(body.get("keys"), list):
                raise LiteLLMProtocolError("LiteLLM's /key/list answer has no keys list.")
            return body

        first = page(1)
        total_pages = min(_int(first.get("total_pages")) or 1, self.max_pages)
        seen: set[str] = set()
        keys: dict[str, list[KeyInfo]] = {}
        for body in [first, *self._parallel(page, range(2, total_pages + 1))]:
            for k in body["keys"]:
                if not isinstance(k, Mapping) or not isinstance(k.get("token"), str) or k["token"] in seen:
                    continue
                seen.add(k["token"])
                team = k.get("team_id")
                keys.setdefault(team if isinstance(team, str) else "", []).append(key_info_from(k))
        return keys

    # -- usage of many teams ------------------------------------------------------------------

    def teams_daily_totals(
        self, team_ids: Sequence[str], month: Month, *, last_day: date | None = None
    ) -> dict[str, dict[date, Metrics]]:
        """Each team's daily totals (no key or model split) for the month, up to `last_day`.

        One /team/daily/activity/aggregated request per 100 teams (LiteLLM merges the days
        server-side); proxies without it are read page by page like teams_usage.
        """
        last = min(last_day or month.last_day, month.last_day)
        try:
            return self._teams_from_aggregated(team_ids, month, last)
        except LiteLLMNotFound:
            usages = self.teams_usage(team_ids, month, last_day=last, aliases=False)
        return {t: {d: m for d, m in u.team.daily.items() if d <= last} for t, u in usages.items()}

    def teams_usage(
        self,
        team_ids: Sequence[str],
        month: Month,
        *,
        last_day: date | None = None,
        aliases: bool = True,
    ) -> dict[str, TeamUsage]:
        """Many teams' months, 100 teams a request: daily totals per team and per exact key alias.

        The same daily aggregates as team_usage, split per team by `breakdown.entities`; there is
        no per-model split (`models` stay empty). Proxies without daily aggregates fall back to
        each team's spend logs.
        """
        fetched_at = utc_now()
        last = min(last_day or month.last_day, month.last_day)
        ids = list(dict.fromkeys(team_ids))
        if not ids:
            return {}
        base: dict[str, str | int] = {
            "start_date": month.first_day.isoformat(),
            "end_date": last.isoformat(),  # inclusive on this endpoint
            "page_size": self.daily_page_size,
        }
        batches = _batches(ids, TEAM_BATCH_SIZE)

        def fetch(job: tuple[int, int]) -> tuple[int, Mapping[str, Any]]:
            batch, number = job
            params = {**base, "team_ids": ",".join(batches[batch]), "page": number}
            body = self.get_json("/team/daily/activity", params)
            if not isinstance(body, Mapping):
                raise LiteLLMProtocolError("LiteLLM's daily activity answer is not an object.")
            return batch, body

        try:
            firsts = list(self._parallel(fetch, [(b, 1) for b in range(len(batches))]))
        except LiteLLMNotFound:
            return {
                team_id: usage
                for team_id, usage in zip(
                    ids, self._parallel(lambda t: self.team_usage_from_spend_logs(t, month), ids), strict=True
                )
            }
        rest: list[tuple[int, int]] = []
        for batch, body in firsts:
            total_pages = _int(_metadata(body).get("total_pages"))
            if total_pages > self.max_pages:
                raise LiteLLMProtocolError(
                    f"LiteLLM reports {total_pages} pages of daily activity for {len(batches[batch])} teams; "
                    f"refusing to show partial totals (limit {self.max_pages})."
                )
            rest.extend((batch, number) for number in range(2, total_pages + 1))
        builders = {team_id: TeamUsageBuilder(team_id, month) for team_id in ids}
        last_pages: dict[int, Mapping[str, Any]] = {}
        for batch, body in [*firsts, *self._parallel(fetch, rest)]:
            add_teams_activity_page(
                {t: builders[t] for t in batches[batch]}, body, aliases=aliases, last_day=last
            )
            last_pages[batch] = body
        if any(_metadata(body).get("has_more") is True for body in last_pages.values()):
            raise LiteLLMProtocolError(
                "LiteLLM's daily activity pagination is inconsistent (more pages than announced)."
            )
        return {
            team_id: builder.build(SOURCE_DAILY_ACTIVITY, fetched_at) for team_id, builder in builders.items()
        }

    def _teams_from_aggregated(
        self, team_ids: Sequence[str], month: Month, last: date
    ) -> dict[str, dict[date, Metrics]]:
        totals: dict[str, dict[date, Metrics]] = {team_id: {} for team_id in team_ids}

        def fetch(batch: list[str]) -> Mapping[str, Any]:
            body = self.get_json(
                "/team/daily/activity/aggregated",
                {
                    "team_ids": ",".join(batch),
                    "start_date": month.first_day.isoformat(),
                    "end_date": last.isoformat(),
                    "api_key_limit": 1,  # per-key rows are not needed: keep the answer small
                },
            )
            if not isinstance(body, Mapping):
                raise LiteLLMProtocolError("LiteLLM's aggregated daily activity answer is not an object.")
            return body

        for body in self._parallel(fetch, _batches(list(totals), TEAM_BATCH_SIZE)):
            for team_id, day, entry in team_day_entries(body, month, last):
                days = totals.get(team_id)
                if days is not None:  # one entry per team and day; merged anyway, as pages are
                    metrics = entity_metrics(entry.get("metrics"))
                    days[day] = days[day] + metrics if day in days else metrics
        return {team_id: dict(sorted(days.items())) for team_id, days in totals.items()}

    # -- usage --------------------------------------------------------------------------------

    def team_usage(self, team_id: str, month: Month) -> TeamUsage:
        """A team's month from the daily aggregates, or from raw spend logs on older proxies."""
        try:
            return self.team_usage_from_daily_activity(team_id, month)
        except LiteLLMNotFound:
            return self.team_usage_from_spend_logs(team_id, month)

    def team_usage_from_daily_activity(self, team_id: str, month: Month) -> TeamUsage:
        """Read every page of /team/daily/activity and merge the pages by date."""
        fetched_at = utc_now()
        base: dict[str, str | int] = {
            "team_ids": team_id,
            "start_date": month.first_day.isoformat(),
            "end_date": month.last_day.isoformat(),  # inclusive on this endpoint
            "page_size": self.daily_page_size,
        }

        def page(number: int) -> Mapping[str, Any]:
            body = self.get_json("/team/daily/activity", {**base, "page": number})
            if not isinstance(body, Mapping):
                raise LiteLLMProtocolError("LiteLLM's daily activity answer is not an object.")
            return body

        builder = TeamUsageBuilder(team_id, month)
        first = page(1)
        add_daily_activity_page(builder, first)
        total_pages = _int(_metadata(first).get("total_pages"))
        if total_pages > self.max_pages:
            raise LiteLLMProtocolError(
                f"LiteLLM reports {total_pages} pages of daily activity for one team-month; "
                f"refusing to show partial totals (limit {self.max_pages})."
            )
        last = first
        for body in self._parallel(page, range(2, total_pages + 1)):
            add_daily_activity_page(builder, body)
            last = body
        if _metadata(last).get("has_more") is True:
            raise LiteLLMProtocolError(
                "LiteLLM's daily activity pagination is inconsistent (more pages than announced)."
            )
        return builder.build(SOURCE_DAILY_ACTIVITY, fetched_at)

    def team_usage_from_spend_logs(self, team_id: str, month: Month) -> TeamUsage:
        """Read every raw row of the month in time windows that each fit in one page."""
        # Why windows and not pages: LiteLLM pages /spend/logs/v2 with OFFSET over rows ordered by
        # startTime alone, so rows sharing a startTime can repeat or vanish across page boundaries,
        # and its `total` stops at 10,000. A window whose rows all fit in one page has neither
        # problem; a full page means "split the window and read the halves", down to one second.
        fetched_at = utc_now()
        aggregator = SpendLogAggregator(TeamUsageBuilder(team_id, month))
        page_size = self.spend_logs_page_size
        target = max(1, page_size * 7 // 10)  # aim below the page size: windows are not uniform
        requests = 0
        lock = threading.Lock()

        def fetch(window: _Window, size: int) -> tuple[list[Any], int]:
            nonlocal requests
            with lock:
                requests += 1
                if requests > self.max_pages:
                    raise LiteLLMProtocolError(
                        f"Reading one team-month of spend logs took more than {self.max_pages} requests "
                        "(too many rows, or pagination LiteLLM does not honour); refusing partial totals."
                    )
            body = self.get_json(
                "/spend/logs/v2",
                {
                    "team_id": team_id,
                    # both bounds are inclusive at second precision; rows at exactly `end` also
                    # belong to the next window and are de-duplicated by request_id
                    "start_date": _sql_time(window.start),
                    "end_date": _sql_time(window.end),
                    "page": 1,
                    "page_size": size,
                    "sort_by": "startTime",
                    "sort_order": "asc",
                },
            )
            rows = body.get("data") if isinstance(body, Mapping) else None
            if not isinstance(rows, list):
                raise LiteLLMProtocolError("LiteLLM's spend logs answer has no data list.")
            if len(rows) > size:
                raise LiteLLMProtocolError("LiteLLM's spend logs sent more rows than the page size.")
            return rows, _int(body.get("total"))

        def split(window: _Window, total: int) -> list[_Window]:
            if window.end - window.start <= 1:
                raise LiteLLMProtocolError(
                    f"LiteLLM holds more than {page_size} spend rows within one second for this team; "
                    "they cannot be read completely, refusing partial totals."
                )
            parts = min(window.end - window.start, max(2, math.ceil(total / target)))
            expected = total / parts
            edges = [window.start + (window.end - window.start) * i // parts for i in range(parts + 1)]
            return [_Window(a, b, expected) for a, b in itertools.pairwise(edges)]

        def read(window: _Window) -> list[_Window]:
            if window.expected > target:  # probably too big: ask for its size only
                _, total = fetch(window, 1)
                if total >= page_size:
                    return split(window, total)
            rows, total = fetch(window, page_size)
            if len(rows) < page_size:
                aggregator.add_rows(rows)
                return []
            return split(window, max(total, len(rows)))

        start, end = int(month.start.timestamp()), int(month.end.timestamp())
        windows = [_Window(start, end, 0.0)]
        while windows:
            windows = [
                child
                for children in self._parallel(read, windows, limit=SPEND_LOGS_CONCURRENCY)
                for child in children
            ]
        return aggregator.builder.build(SOURCE_SPEND_LOGS, fetched_at)


@dataclass(frozen=True)
class _Window:
    """Whole seconds [start, end] of spend rows to read, and how many rows it probably holds."""

    start: int
    end: int
    expected: float


def _sql_time(epoch_seconds: int) -> str:
    """LiteLLM's `YYYY-MM-DD HH:MM:SS` (UTC) for a Unix time."""
    return datetime.fromtimestamp(epoch_seconds, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _metadata(body: Mapping[str, Any]) -> Mapping[str, Any]:
    metadata = body.get("metadata")
    return metadata if isinstance(metadata, Mapping) else {}

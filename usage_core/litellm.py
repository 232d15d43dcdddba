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
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
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
# A Retry-After up to this is waited out; a longer one fails now: a page view should not hang on it.
MAX_RETRY_AFTER = 10.0
RETRY_BUDGET = 60.0  # seconds all attempts of one request may take together

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
    """A response worth retrying (5xx, 429), and how long the server asked us to wait, if it did."""

    def __init__(self, status: int, retry_after: float | None = None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.retry_after = retry_after


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """A Retry-After header (delay-seconds or an HTTP-date, RFC 9110 10.2.3) as seconds from `now`."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None  # unreadable: fall back to our own backoff
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _invalid(where: str, field: str, problem: str) -> LiteLLMProtocolError:
    # Names the field, never the value: a value is text from outside and may be anything.
    return LiteLLMProtocolError(f"LiteLLM's {where} answer holds an invalid {field} ({problem}).")


def _checked_number(value: object, field: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _invalid(where, field, "not a number")
    if not math.isfinite(value):
        raise _invalid(where, field, "not finite")
    if value < 0:
        raise _invalid(where, field, "negative")
    return float(value)


def _amount(value: object, field: str, where: str) -> float:
    """A USD amount: absent or null means 0 (LiteLLM's default); NaN, negative or text is refused."""
    return 0.0 if value is None else _checked_number(value, field, where)


def _optional_amount(value: object, field: str, where: str) -> float | None:
    """A USD amount that may be unset (a budget): null stays None; NaN, negative or text is refused."""
    return None if value is None else _checked_number(value, field, where)


def _optional_count(value: object, field: str, where: str) -> int | None:
    """A whole, non-negative count that may be unset (a limit); null stays None."""
    if value is None:
        return None
    number = _checked_number(value, field, where)
    if not number.is_integer():
        raise _invalid(where, field, "not a whole number")
    return int(number)


def _count(value: object, field: str, where: str) -> int:
    """A whole, non-negative count (tokens, requests, pages): absent or null means 0."""
    return _optional_count(value, field, where) or 0


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
    """Metrics from one `metrics` object of /team/daily/activity (absent counters are 0, like LiteLLM's)."""
    where = "daily activity"
    if not isinstance(raw, Mapping):
        raise LiteLLMProtocolError("LiteLLM's daily activity answer holds an entry without metrics.")
    return Metrics(
        input_tokens=_count(raw.get("prompt_tokens"), "prompt_tokens", where),
        output_tokens=_count(raw.get("completion_tokens"), "completion_tokens", where),
        total_tokens=_count(raw.get("total_tokens"), "total_tokens", where),
        requests=_count(raw.get("api_requests"), "api_requests", where),
        successful_requests=_count(raw.get("successful_requests"), "successful_requests", where),
        failed_requests=_count(raw.get("failed_requests"), "failed_requests", where),
        spend=_amount(raw.get("spend"), "spend", where),
    )


def _alias_of(entry: Mapping[str, Any], team_id: str) -> str | None:
    """The key alias of a per-key breakdown entry, if the key is this team's.

    LiteLLM looks the alias and team up in its keys table at read time: an entry whose key names no
    team, or another one, is never counted into a tenant of this team (it stays in the team total).
    """
    metadata = entry.get("metadata")
    if not isinstance(metadata, Mapping) or metadata.get("team_id") != team_id:
        return None
    alias = metadata.get("key_alias")
    return alias if isinstance(alias, str) and alias else None


def _entries(container: object, field: str) -> list[tuple[str, Mapping[str, Any]]]:
    """The (name, entry) pairs of one breakdown map; absent means none, anything else malformed."""
    if container is None:
        return []
    if not isinstance(container, Mapping) or not all(isinstance(v, Mapping) for v in container.values()):
        raise LiteLLMProtocolError(f"LiteLLM's daily activity answer holds a malformed {field}.")
    return [(str(name), entry) for name, entry in container.items()]


def add_daily_activity_page(builder: TeamUsageBuilder, body: Mapping[str, Any]) -> None:
    """Fold one page of /team/daily/activity into `builder` (pages split days: always merge)."""
    results = body.get("results")
    if not isinstance(results, list):
        raise LiteLLMProtocolError("LiteLLM's daily activity answer has no results list.")
    month, team_id = builder.month, builder.team_id
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
        if breakdown is None:
            breakdown = {}
        elif not isinstance(breakdown, Mapping):
            raise LiteLLMProtocolError("LiteLLM's daily activity answer holds a malformed breakdown.")
        for _, entry in _entries(breakdown.get("api_keys"), "api_keys breakdown"):
            alias = _alias_of(entry, team_id)
            if alias is not None:
                builder.add_alias_day(alias, day, metrics_from_daily(entry.get("metrics")))
        for model, entry in _entries(breakdown.get("models"), "models breakdown"):
            builder.add_team_model(model, metrics_from_daily(entry.get("metrics")))
            for _, key_entry in _entries(entry.get("api_key_breakdown"), "api_key_breakdown"):
                alias = _alias_of(key_entry, team_id)
                if alias is not None:
                    builder.add_alias_model(alias, model, metrics_from_daily(key_entry.get("metrics")))


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
                # Exact team: a row that names no team (a key outside any team) is nobody's usage.
                if not start <= started < end or row.get("team_id") != team_id:
                    continue
                self.builder.add_request(
                    _row_alias(row.get("metadata")),
                    started.date(),
                    str(row.get("model") or row.get("model_group") or "unknown"),
                    input_tokens=_count(row.get("prompt_tokens"), "prompt_tokens", "spend logs"),
                    output_tokens=_count(row.get("completion_tokens"), "completion_tokens", "spend logs"),
                    total_tokens=_count(row.get("total_tokens"), "total_tokens", "spend logs"),
                    ok=row.get("status") != "failure",
                    spend=_amount(row.get("spend"), "spend", "spend logs"),
                )

    @property
    def rows_seen(self) -> int:
        """Distinct request ids seen so far."""
        return len(self._seen)


def _row_alias(metadata: object) -> str | None:
    """A spend row's key alias; some LiteLLM versions send `metadata` as a JSON string."""
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata) if metadata.strip() else None
        except json.JSONDecodeError:
            raise LiteLLMProtocolError("LiteLLM's spend logs hold a row with non-JSON metadata.") from None
    if metadata is not None and not isinstance(metadata, Mapping):
        raise LiteLLMProtocolError("LiteLLM's spend logs hold a row with malformed metadata.")
    alias = metadata.get("user_api_key_alias") if metadata is not None else None
    return alias if isinstance(alias, str) and alias else None


def _transport_reason(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        return "connection refused" if "refused" in str(exc).lower() else "connection failed"
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
        return "connection dropped"
    return type(exc).__name__


def team_info_from(info: Mapping[str, Any], team_id: str = "", where: str = "/team/info") -> TeamInfo:
    """A TeamInfo from one team object (/team/info's team_info, or an item of /v2/team/list)."""
    alias = info.get("team_alias")
    duration = info.get("budget_duration")
    return TeamInfo(
        team_id=str(info.get("team_id") or team_id),
        alias=alias if isinstance(alias, str) else None,
        max_budget=_optional_amount(info.get("max_budget"), "max_budget", where),
        spend=_amount(info.get("spend"), "spend", where),
        budget_duration=duration if isinstance(duration, str) else None,
        budget_reset_at=parse_timestamp(info.get("budget_reset_at")),
        rpm_limit=_optional_count(info.get("rpm_limit"), "rpm_limit", where),
        tpm_limit=_optional_count(info.get("tpm_limit"), "tpm_limit", where),
    )


def key_info_from(k: Mapping[str, Any], where: str = "/key/list") -> KeyInfo:
    """A KeyInfo from one full key object of /key/list."""
    alias = k.get("key_alias")
    return KeyInfo(
        token=str(k.get("token")),
        alias=alias if isinstance(alias, str) and alias else None,
        spend=_amount(k.get("spend"), "spend", where),
        max_budget=_optional_amount(k.get("max_budget"), "max_budget", where),
        budget_reset_at=parse_timestamp(k.get("budget_reset_at")),
        created_at=parse_timestamp(k.get("created_at")),
        blocked=bool(k.get("blocked")),
    )


def entity_metrics(raw: object) -> Metrics:
    """metrics_from_daily's result, faster for the well-formed objects an overview reads by thousands."""
    if type(raw) is dict:
        try:
            inp, out, total = raw["prompt_tokens"], raw["completion_tokens"], raw["total_tokens"]
            requests, ok, failed = raw["api_requests"], raw["successful_requests"], raw["failed_requests"]
            spend = raw["spend"]
        except KeyError:
            return metrics_from_daily(raw)
        if (
            type(inp) is int
            and type(out) is int
            and type(total) is int
            and type(requests) is int
            and type(ok) is int
            and type(failed) is int
            and type(spend) in (float, int)
            and min(inp, out, total, requests, ok, failed) >= 0
            and 0 <= spend < math.inf  # NaN fails both comparisons
        ):
            return Metrics(inp, out, total, requests, ok, failed, float(spend) or 0.0)
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
            alias = _alias_of(key_entry, team_id) if isinstance(key_entry, Mapping) else None
            if alias is not None:
                builder.add_alias_day(alias, day, metrics_from_daily(key_entry.get("metrics")))


def _batches(items: Sequence[str], size: int) -> list[list[str]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


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
        max_retry_after: float = MAX_RETRY_AFTER,
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
        self.max_retry_after = max_retry_after
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
            wait = retry_after_seconds(response.headers.get("retry-after"), utc_now())
            raise _Retryable(response.status_code, wait)
        return response

    def _backoff(self, exc: Exception) -> bool | float:
        """stamina's hook: retry or not, and a server's Retry-After as the wait when it sent one."""
        if isinstance(exc, _Retryable):
            if exc.retry_after is None:
                return True  # our own jittered exponential backoff
            return exc.retry_after if exc.retry_after <= self.max_retry_after else False
        return isinstance(exc, httpx.TransportError)  # timeouts, refused and dropped connections

    def get_json(self, path: str, params: Mapping[str, str | int] | None = None) -> Any:
        """GET `path`, retrying timeouts, dropped connections, 5xx and 429; every failure a LiteLLMError."""
        params = params or {}
        tries = 0
        try:
            for attempt in stamina.retry_context(
                on=self._backoff,
                attempts=self.attempts,
                wait_initial=0.2,
                wait_max=3.0,
                timeout=RETRY_BUDGET,
            ):
                with attempt:
                    tries += 1
                    response = self._send(path, params)
        except _Retryable as exc:
            reason = f"HTTP {exc.status}"
            if exc.retry_after is not None and exc.retry_after > self.max_retry_after:
                reason += f", asked to retry after {exc.retry_after:.0f} s"
            raise LiteLLMUnavailable(self._unavailable(path, reason, tries), status=exc.status) from None
        except httpx.TransportError as exc:
            raise LiteLLMUnavailable(self._unavailable(path, _transport_reason(exc), tries)) from None
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

    def _unavailable(self, path: str, reason: str, tries: int) -> str:
        attempts = "1 attempt" if tries == 1 else f"{tries} attempts"
        return f"LiteLLM at {self._host} did not answer {path} ({reason}) after {attempts}."

    def _parallel(self, fn: Callable[[A], T], items: Sequence[A], *, limit: int | None = None) -> Iterator[T]:
        """Run fn(item) for every item with bounded concurrency; results in item order."""
        if len(items) <= 1:
            yield from (fn(item) for item in items)
            return
        workers = min(self.max_concurrency, limit or self.max_concurrency, len(items))
        pool = ThreadPoolExecutor(max_workers=workers)
        try:
            yield from pool.map(fn, items)
        finally:
            # A caller that stops early leaves this generator to be finalised on whatever thread
            # collects it, possibly one of this pool's: cancel what has not started, never join here.
            pool.shutdown(wait=False, cancel_futures=True)

    def _read_pages(
        self,
        what: str,
        fetch: Callable[[int], Mapping[str, Any]],
        info: Callable[[Mapping[str, Any]], _PageInfo],
        consume: Callable[[Mapping[str, Any]], None],
    ) -> None:
        """Fetch pages 1..total_pages (2.. concurrently) and consume each, checking the pagination.

        A page count past `max_pages`, a page that is not the one asked for, or a `has_more` that
        disagrees with the count raises LiteLLMProtocolError: never a partial month shown as whole.
        A count that changes between pages (rows written while we read) raises _PagesChanged.
        """
        first = fetch(1)
        expected = info(first).total_pages
        if expected > self.max_pages:
            raise LiteLLMProtocolError(
                f"LiteLLM reports {expected} pages of {what}; refusing to show partial totals "
                f"(limit {self.max_pages})."
            )
        last = max(expected, 1)
        bodies = itertools.chain([first], self._parallel(fetch, range(2, last + 1)))
        for number, body in enumerate(bodies, start=1):
            page = info(body)
            if page.number is not None and page.number != number:
                raise LiteLLMProtocolError(
                    f"LiteLLM's {what} pagination is inconsistent (page {page.number} came back "
                    f"for page {number})."
                )
            if page.total_pages != expected:
                raise _PagesChanged()
            if page.has_more is not None and page.has_more != (number < last):
                raise LiteLLMProtocolError(
                    f"LiteLLM's {what} pagination is inconsistent (more pages than announced)."
                    if page.has_more
                    else f"LiteLLM's {what} pagination is inconsistent (fewer pages than announced)."
                )
            consume(body)

    def _page_count(self, total_pages: int, what: str) -> int:
        """An announced page count (at least 1), or LiteLLMProtocolError past `max_pages`."""
        if total_pages > self.max_pages:
            raise LiteLLMProtocolError(
                f"LiteLLM reports {total_pages} pages of {what}; refusing to show partial totals "
                f"(limit {self.max_pages})."
            )
        return max(total_pages, 1)

    def _consistent(self, what: str, read: Callable[[], T]) -> T:
        """Run a paged read; if the pages changed under it (a live month), read once more."""
        for _ in range(2):
            try:
                return read()
            except _PagesChanged:
                continue
        raise LiteLLMProtocolError(
            f"LiteLLM's {what} kept changing its page count while it was read; "
            "refusing to show partial totals (try again)."
        )

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
        if info.get("team_id") not in (None, team_id):
            raise LiteLLMProtocolError("LiteLLM's /team/info answer is about another team.")
        return team_info_from(info, team_id)

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

        def read() -> dict[str, KeyInfo]:
            keys: dict[str, KeyInfo] = {}

            def add(body: Mapping[str, Any]) -> None:
                for k in body["keys"]:
                    if not isinstance(k, Mapping) or not isinstance(k.get("token"), str):
                        continue
                    if k.get("team_id") != team_id:  # exact: a key outside any team is no team's
                        continue
                    keys[k["token"]] = key_info_from(k)

            self._read_pages("/key/list", page, _key_list_page_info, add)
            return keys

        return list(self._consistent("/key/list", read).values())

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
            total_pages = self._page_count(
                _count(first.get("total_pages"), "total_pages", "/v2/team/list"), "teams"
            )
            bodies = [first, *self._parallel(page, range(2, total_pages + 1))]
            objects = [t for body in bodies for t in body["teams"] if isinstance(t, Mapping)]
            counts = [_optional_count(t.get("keys_count"), "keys_count", "/v2/team/list") for t in objects]
        listings: dict[str, TeamListing] = {}
        for obj, keys in zip(objects, counts, strict=True):
            if obj.get("team_id"):
                info = team_info_from(obj, where="/v2/team/list")
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
        total_pages = self._page_count(_key_list_page_info(first).total_pages, "keys")
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
            total_pages = self._page_count(_daily_page_info(body).total_pages, "daily activity")
            rest.extend((batch, number) for number in range(2, total_pages + 1))
        builders = {team_id: TeamUsageBuilder(team_id, month) for team_id in ids}
        last_pages: dict[int, Mapping[str, Any]] = {}
        for batch, body in [*firsts, *self._parallel(fetch, rest)]:
            add_teams_activity_page(
                {t: builders[t] for t in batches[batch]}, body, aliases=aliases, last_day=last
            )
            last_pages[batch] = body
        if any(_daily_page_info(body).has_more is True for body in last_pages.values()):
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

        def read() -> TeamUsage:
            builder = TeamUsageBuilder(team_id, month)
            self._read_pages(
                "daily activity", page, _daily_page_info, lambda body: add_daily_activity_page(builder, body)
            )
            return builder.build(SOURCE_DAILY_ACTIVITY, fetched_at)

        return self._consistent("daily activity", read)

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
            return rows, _count(body.get("total"), "total", "spend logs")

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
            # A short page is the whole window, unless LiteLLM counts more rows in it than it sent
            # (a proxy that caps page_size below ours): then read the window in smaller parts.
            if len(rows) < page_size and total <= len(rows):
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


class _PagesChanged(Exception):
    """The page count moved between two pages of one read."""


@dataclass(frozen=True)
class _PageInfo:
    """What one page says about the pagination: its number, the page count, whether more follow."""

    number: int | None
    total_pages: int
    has_more: bool | None


def _daily_page_info(body: Mapping[str, Any]) -> _PageInfo:
    metadata = body.get("metadata")
    if not isinstance(metadata, Mapping):
        raise LiteLLMProtocolError("LiteLLM's daily activity answer has no pagination metadata.")
    has_more = metadata.get("has_more")
    return _PageInfo(
        _optional_count(metadata.get("page"), "metadata.page", "daily activity"),
        _count(metadata.get("total_pages"), "metadata.total_pages", "daily activity"),
        has_more if isinstance(has_more, bool) else None,
    )


def _key_list_page_info(body: Mapping[str, Any]) -> _PageInfo:
    return _PageInfo(
        _optional_count(body.get("current_page"), "current_page", "/key/list"),
        _count(body.get("total_pages"), "total_pages", "/key/list"),
        None,
    )

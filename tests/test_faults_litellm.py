"""LiteLLM faults injected at the edges: every fault ends in the exact result or a typed error, never in
partial data, and the same client object returns the exact result once the fault is gone.

Status and body faults sit in an httpx.MockTransport around the emulator; timeouts, refused and
dropped connections use a real loopback socket. Nothing inside the client is replaced. The app
caches with st.cache_data, which never caches an exception: the core raising is what keeps a
failure from being cached as data (the last test checks that through the app itself).
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import stamina
from app_support import clean_env, oidc_app, page_text, persona, write_tenants

from usage_core.access import Scope
from usage_core.demo import DEMO_TEAMS, DEMO_TENANTS, DemoLiteLLM, benchmark_team
from usage_core.errors import LiteLLMError, LiteLLMProtocolError, LiteLLMUnavailable
from usage_core.litellm import LiteLLMClient, TeamInfo, retry_after_seconds
from usage_core.months import Month
from usage_core.reports import UsageReport
from usage_core.service import UsageService
from usage_core.tenants import StaticTenantSource
from usage_core.usage import Metrics, TeamUsage

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
OCTOBER = Month(2026, 10)
SECRET = "sk-fault-secret-31"  # a stand-in: errors must never carry it
INITECH = "team-initech-5b8e"  # one key, three models: ~90 daily rows a month
ACME = "team-acme-7f3a"
SMALL = benchmark_team(600, tenants=3, team_id="team-small")  # ~600 spend rows a month
TEAMS = (*DEMO_TEAMS, SMALL)
DAILY, LOGS, TEAM_INFO, KEYS = "/team/daily/activity", "/spend/logs/v2", "/team/info", "/key/list"

Fault = Callable[[httpx.Request], httpx.Response | None]  # None: let the emulator answer


def emulator() -> DemoLiteLLM:
    return DemoLiteLLM(now=NOW, teams=TEAMS, master_key=SECRET)


class Upstream:
    """The emulator behind one switchable fault; records every request and when it arrived."""

    def __init__(self) -> None:
        self.demo = emulator()
        self.fault: Fault | None = None
        self.seen: list[tuple[float, httpx.Request]] = []
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.seen.append((time.monotonic(), request))
        fault = self.fault
        response = fault(request) if fault is not None else None
        return response if response is not None else self.demo(request)

    def client(self, **options: Any) -> LiteLLMClient:
        return LiteLLMClient("http://litellm.test", SECRET, transport=httpx.MockTransport(self), **options)

    def requests(self, path: str | None = None) -> list[httpx.Request]:
        with self._lock:
            return [r for _, r in self.seen if path is None or r.url.path == path]

    def rewrite(self, path: str, edit: Callable[[Any], None], *, page: int | None = None) -> None:
        """Answer `path` (optionally one page) with the emulator's JSON as `edit` changes it."""

        def fault(request: httpx.Request) -> httpx.Response | None:
            if not _matches(request, path, page):
                return None
            body = self.demo(request).json()
            edit(body)
            return json_response(body)

        self.fault = fault


def _matches(request: httpx.Request, path: str, page: int | None = None) -> bool:
    return request.url.path == path and (page is None or request.url.params.get("page") == str(page))


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
    # json.dumps writes NaN and Infinity as LiteLLM's Python would; httpx's own encoder refuses them.
    return httpx.Response(
        status,
        content=json.dumps(body).encode(),
        headers={"content-type": "application/json", **(headers or {})},
    )


def failing(
    status: int,
    path: str | None = None,
    *,
    page: int | None = None,
    times: int | None = None,
    headers: dict[str, str] | None = None,
) -> Fault:
    """Answer `status` on matching requests, `times` times (None: until the fault is removed)."""
    left = [times]
    lock = threading.Lock()  # pages are read concurrently

    def fault(request: httpx.Request) -> httpx.Response | None:
        if path is not None and not _matches(request, path, page):
            return None
        with lock:
            if left[0] == 0:
                return None
            if left[0] is not None:
                left[0] -= 1
        return json_response({"error": {"message": "upstream trouble"}}, status, headers)

    return fault


@functools.cache
def clean(call: str, **options: Any) -> Any:
    """What a fault-free client reads for `call`: the exact result every fault must end in."""
    return CALLS[call](
        LiteLLMClient("http://clean", SECRET, transport=httpx.MockTransport(emulator()), **options)
    )


CALLS: dict[str, Callable[[LiteLLMClient], Any]] = {
    "daily": lambda c: c.team_usage_from_daily_activity(INITECH, OCTOBER),
    "logs": lambda c: c.team_usage_from_spend_logs(SMALL.team_id, OCTOBER),
    "team_info": lambda c: c.team_info(INITECH),
    "keys": lambda c: c.list_keys(ACME),
}


def assert_exact(call: str, result: Any, **options: Any) -> None:
    """`result` is what a fault-free client reads (spend to float rounding: pages fold concurrently)."""
    expected = clean(call, **options)
    if isinstance(result, TeamUsage):
        assert result.source == expected.source
        assert result.team.daily, "an empty month would make this check vacuous"
        for got, want in [(result.team, expected.team)] + [
            (result.slice_for(alias), expected.slice_for(alias))
            for alias in {*result.by_alias, *expected.by_alias}
        ]:
            assert got.daily.keys() == want.daily.keys() and got.models.keys() == want.models.keys()
            for part in ("daily", "models"):
                for bucket, metrics in getattr(want, part).items():
                    assert same_metrics(getattr(got, part)[bucket], metrics), (part, bucket)
    elif isinstance(result, list):
        assert sorted(result, key=lambda k: k.token) == sorted(expected, key=lambda k: k.token)
    else:
        assert result == expected


def same_metrics(a: Metrics, b: Metrics) -> bool:
    return replace(a, spend=0.0) == replace(b, spend=0.0) and a.spend == pytest.approx(
        b.spend, rel=1e-12, abs=0
    )


def fails_safely(error: type[LiteLLMError], call: Callable[[], Any], match: str) -> LiteLLMError:
    """The call raises `error` whose message matches and names no secret."""
    with pytest.raises(error, match=match) as caught:
        call()
    assert SECRET not in str(caught.value)
    return caught.value


# -- a loopback socket for connection-level faults ---------------------------------------------


class LoopbackLiteLLM:
    """An Upstream on a real loopback socket, where a fault is what the socket does."""

    def __init__(self, upstream: Upstream) -> None:
        self.upstream = upstream
        self.socket_fault: Callable[[httpx.Request], str | None] | None = None  # slow|drop|truncate
        self.released = threading.Event()  # ends every slow answer (at teardown)
        self.received: list[httpx.Request] = []  # every request that reached the socket
        self.clients: list[LiteLLMClient] = []
        self.port = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, **options: Any) -> LiteLLMClient:
        client = LiteLLMClient(self.url, SECRET, **options)
        self.clients.append(client)  # closed at teardown: no socket left to the garbage collector
        return client

    def start(self) -> LoopbackLiteLLM:
        """Listen (on the same port again after a stop)."""
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening: connecting is refused from now on."""
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        loopback = self

        class Handler(BaseHTTPRequestHandler):
            # HTTP/1.0: one request per connection, so a stopped server leaves no live keep-alive.
            def do_GET(self) -> None:
                request = httpx.Request("GET", f"http://127.0.0.1{self.path}", headers=dict(self.headers))
                loopback.received.append(request)
                fault = loopback.socket_fault
                action = fault(request) if fault is not None else None
                if action == "slow":
                    loopback.released.wait(5)  # far past the client's timeout
                if action == "drop":  # hang up without a byte of answer
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                response = loopback.upstream(request)
                data = response.content
                self.send_response(response.status_code)
                self.send_header("content-type", response.headers.get("content-type", "application/json"))
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                if action == "truncate":  # hang up halfway through the body
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

            def handle(self) -> None:
                with contextlib.suppress(OSError):  # the client gave up first (a timeout)
                    super().handle()

            def finish(self) -> None:
                with contextlib.suppress(OSError):
                    super().finish()

        return Handler


@pytest.fixture
def upstream() -> Upstream:
    return Upstream()


@pytest.fixture
def loopback(upstream: Upstream) -> Iterator[LoopbackLiteLLM]:
    server = LoopbackLiteLLM(upstream).start()
    yield server
    for client in server.clients:
        client.close()
    server.released.set()
    server.stop()


def on_page(
    path: str, page: int, action: str, *, times: int | None = None
) -> Callable[[httpx.Request], str | None]:
    """The socket fault `action` on one page, `times` times (None: until the fault is removed)."""
    left = [times]
    lock = threading.Lock()

    def fault(request: httpx.Request) -> str | None:
        if not _matches(request, path, page):
            return None
        with lock:
            if left[0] == 0:
                return None
            if left[0] is not None:
                left[0] -= 1
        return action

    return fault


# -- slow, down, dropped -----------------------------------------------------------------------


def test_answers_slower_than_the_timeout_are_unavailable_then_recover(loopback: LoopbackLiteLLM) -> None:
    client = loopback.client(timeout=1.5, attempts=2, daily_page_size=10)
    loopback.socket_fault = on_page(DAILY, 2, "slow")  # answers after 5 s

    fails_safely(
        LiteLLMUnavailable,
        lambda: client.team_usage_from_daily_activity(INITECH, OCTOBER),
        r"\(timed out\) after 2 attempts",
    )

    loopback.socket_fault = None
    assert_exact("daily", client.team_usage_from_daily_activity(INITECH, OCTOBER), daily_page_size=10)


def test_a_proxy_that_is_down_is_unavailable_then_the_same_client_recovers(loopback: LoopbackLiteLLM) -> None:
    client = loopback.client(attempts=2)
    assert_exact("team_info", client.team_info(INITECH))
    loopback.stop()

    error = fails_safely(LiteLLMUnavailable, lambda: client.team_info(INITECH), "connection refused")
    assert f"127.0.0.1:{loopback.port}" in str(error)

    loopback.start()  # back on the same port
    assert_exact("team_info", client.team_info(INITECH))


@pytest.mark.parametrize("action", ["drop", "truncate"])
def test_a_connection_dropped_mid_pagination_is_retried_to_the_exact_result(
    loopback: LoopbackLiteLLM, action: str
) -> None:
    client = loopback.client(daily_page_size=10, max_concurrency=1)
    loopback.socket_fault = on_page(DAILY, 2, action, times=1)

    assert_exact("daily", client.team_usage_from_daily_activity(INITECH, OCTOBER), daily_page_size=10)
    pages = [r.url.params["page"] for r in loopback.received]
    assert pages.count("2") == 2 and pages.count("1") == 1  # only the dropped page was asked again


def test_a_connection_that_keeps_dropping_is_unavailable_then_recovers(loopback: LoopbackLiteLLM) -> None:
    client = loopback.client(daily_page_size=10, attempts=3)
    loopback.socket_fault = on_page(DAILY, 2, "drop")

    fails_safely(
        LiteLLMUnavailable,
        lambda: client.team_usage_from_daily_activity(INITECH, OCTOBER),
        r"\(connection dropped\) after 3 attempts",
    )

    loopback.socket_fault = None
    assert_exact("daily", client.team_usage_from_daily_activity(INITECH, OCTOBER), daily_page_size=10)


# -- 5xx and 429 -------------------------------------------------------------------------------

# call, the path and page that fail, client options (a page size that makes the month span pages)
WHERE_5XX = [
    ("daily", DAILY, 2, {"daily_page_size": 10}),
    ("logs", LOGS, None, {"spend_logs_page_size": 100}),
    ("team_info", TEAM_INFO, None, {}),
    ("keys", KEYS, None, {}),
]


@pytest.mark.parametrize(("call", "path", "page", "options"), WHERE_5XX, ids=[w[0] for w in WHERE_5XX])
@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
def test_a_passing_5xx_or_429_is_retried_to_the_exact_result(
    upstream: Upstream, call: str, path: str, page: int | None, options: dict[str, Any], status: int
) -> None:
    upstream.fault = failing(status, path, page=page, times=2)
    client = upstream.client(**options)

    assert_exact(call, CALLS[call](client), **options)
    failed_and_retried = [
        r for r in upstream.requests(path) if page is None or r.url.params["page"] == str(page)
    ]
    assert len(failed_and_retried) >= 3


@pytest.mark.parametrize(("call", "path", "page", "options"), WHERE_5XX, ids=[w[0] for w in WHERE_5XX])
def test_a_lasting_5xx_is_unavailable_then_the_same_client_recovers(
    upstream: Upstream, call: str, path: str, page: int | None, options: dict[str, Any]
) -> None:
    upstream.fault = failing(503, path, page=page)
    client = upstream.client(attempts=3, **options)

    error = fails_safely(LiteLLMUnavailable, lambda: CALLS[call](client), r"\(HTTP 503\) after 3 attempts")
    assert error.status == 503

    upstream.fault = None
    assert_exact(call, CALLS[call](client), **options)


def test_retry_after_is_waited_out_for_real(upstream: Upstream) -> None:
    upstream.fault = failing(429, TEAM_INFO, times=1, headers={"Retry-After": "1"})
    client = upstream.client()
    with stamina.set_testing(False):  # real waits: this test measures one
        assert_exact("team_info", client.team_info(INITECH))
    (refused, _), (retried, _) = upstream.seen
    # The server's one second, not our 0.2 s first backoff; and bounded, not a backoff on top of it.
    assert 1.0 <= retried - refused < 2.5


def test_a_retry_after_beyond_the_bound_fails_at_once(upstream: Upstream) -> None:
    upstream.fault = failing(429, TEAM_INFO, headers={"Retry-After": "120"})
    client = upstream.client(max_retry_after=10)

    error = fails_safely(
        LiteLLMUnavailable,
        lambda: client.team_info(INITECH),
        r"HTTP 429, asked to retry after 120 s\) after 1 attempt\.",
    )
    assert error.status == 429 and len(upstream.requests()) == 1

    upstream.fault = None
    assert_exact("team_info", client.team_info(INITECH))


def test_retry_after_in_both_forms() -> None:
    now = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("7", now) == 7.0
    assert retry_after_seconds(" 0 ", now) == 0.0
    assert retry_after_seconds("Fri, 27 Nov 2026 12:00:05 GMT", now) == 5.0
    assert retry_after_seconds("Fri, 27 Nov 2026 11:00:00 GMT", now) == 0.0  # already past
    assert retry_after_seconds("soon", now) is None  # unreadable: our own backoff
    assert retry_after_seconds("-3", now) is None
    assert retry_after_seconds(None, now) is None


# -- bodies we cannot trust ----------------------------------------------------------------------


def test_invalid_json_mid_pagination_is_a_protocol_error_then_recovers(upstream: Upstream) -> None:
    def half_a_page(request: httpx.Request) -> httpx.Response | None:
        if _matches(request, DAILY, 2):
            return httpx.Response(200, content=upstream.demo(request).content[:200])
        return None

    upstream.fault = half_a_page
    client = upstream.client(daily_page_size=10)
    fails_safely(
        LiteLLMProtocolError, lambda: client.team_usage_from_daily_activity(INITECH, OCTOBER), "non-JSON"
    )

    upstream.fault = None
    assert_exact("daily", client.team_usage_from_daily_activity(INITECH, OCTOBER), daily_page_size=10)


def first(mapping: dict[str, Any]) -> Any:
    return next(iter(mapping.values()))


def day_metrics(body: Any) -> Any:
    return body["results"][0]["metrics"]


def key_metrics(body: Any) -> Any:
    return first(body["results"][0]["breakdown"]["api_keys"])["metrics"]


def model_key_metrics(body: Any) -> Any:
    return first(first(body["results"][0]["breakdown"]["models"])["api_key_breakdown"])["metrics"]


def pagination(body: Any) -> Any:
    return body["metadata"]


def row(body: Any) -> Any:
    return body["data"][0]


def whole(body: Any) -> Any:
    return body


def team(body: Any) -> Any:
    return body["team_info"]


def key(body: Any) -> Any:
    return body["keys"][0]


PATHS = {"daily": DAILY, "logs": LOGS, "team_info": TEAM_INFO, "keys": KEYS}
NAN, INF = math.nan, math.inf

# call, where in the body, field, value, what the error says
UNTRUSTED = [
    ("daily", day_metrics, "spend", NAN, "spend (not finite)"),
    ("daily", day_metrics, "spend", INF, "spend (not finite)"),
    ("daily", day_metrics, "spend", -0.01, "spend (negative)"),
    ("daily", day_metrics, "spend", "0.5", "spend (not a number)"),
    ("daily", day_metrics, "prompt_tokens", -1, "prompt_tokens (negative)"),
    ("daily", day_metrics, "prompt_tokens", "120", "prompt_tokens (not a number)"),
    ("daily", day_metrics, "completion_tokens", 1.5, "completion_tokens (not a whole number)"),
    ("daily", day_metrics, "api_requests", True, "api_requests (not a number)"),
    ("daily", day_metrics, "failed_requests", NAN, "failed_requests (not finite)"),
    ("daily", key_metrics, "total_tokens", -3, "total_tokens (negative)"),
    ("daily", key_metrics, "spend", NAN, "spend (not finite)"),
    ("daily", model_key_metrics, "successful_requests", [], "successful_requests (not a number)"),
    ("daily", pagination, "total_pages", "1", "metadata.total_pages (not a number)"),
    ("daily", pagination, "total_pages", -1, "metadata.total_pages (negative)"),
    ("logs", row, "spend", NAN, "spend (not finite)"),
    ("logs", row, "spend", -1e-6, "spend (negative)"),
    ("logs", row, "prompt_tokens", -1, "prompt_tokens (negative)"),
    ("logs", row, "total_tokens", "15", "total_tokens (not a number)"),
    ("logs", row, "completion_tokens", INF, "completion_tokens (not finite)"),
    ("logs", whole, "total", NAN, "total (not finite)"),
    ("team_info", team, "max_budget", NAN, "max_budget (not finite)"),
    ("team_info", team, "max_budget", "5", "max_budget (not a number)"),
    ("team_info", team, "max_budget", -1, "max_budget (negative)"),
    ("team_info", team, "spend", -0.5, "spend (negative)"),
    ("team_info", team, "rpm_limit", 2.5, "rpm_limit (not a whole number)"),
    ("team_info", team, "tpm_limit", "1000", "tpm_limit (not a number)"),
    ("keys", key, "spend", NAN, "spend (not finite)"),
    ("keys", key, "max_budget", -3, "max_budget (negative)"),
    ("keys", whole, "total_pages", 1.5, "total_pages (not a whole number)"),
]


@pytest.mark.parametrize(
    ("call", "where", "field", "value", "message"),
    UNTRUSTED,
    ids=[f"{c}-{w.__name__}-{f}-{v!r}" for c, w, f, v, _ in UNTRUSTED],
)
def test_a_number_we_cannot_trust_is_refused_by_name(
    upstream: Upstream, call: str, where: Callable[[Any], Any], field: str, value: object, message: str
) -> None:
    upstream.rewrite(PATHS[call], lambda body: where(body).__setitem__(field, value))
    client = upstream.client()

    error = fails_safely(LiteLLMProtocolError, lambda: CALLS[call](client), re.escape(f"invalid {message}."))
    if isinstance(value, str):
        assert value not in str(error)  # the field's name, never text from outside

    upstream.fault = None
    assert_exact(call, CALLS[call](client))


def _without(where: Callable[[Any], Any], field: str) -> Callable[[Any], None]:
    return lambda body: where(body).pop(field)


def _nulled(where: Callable[[Any], Any], field: str) -> Callable[[Any], None]:
    return lambda body: where(body).__setitem__(field, None)


def test_absent_or_null_counters_count_as_zero(upstream: Upstream) -> None:
    expected = clean("daily")
    newest = max(expected.team.daily)
    upstream.rewrite(
        DAILY,
        lambda body: (_without(day_metrics, "prompt_tokens")(body), _nulled(day_metrics, "spend")(body)),
    )

    usage = upstream.client().team_usage_from_daily_activity(INITECH, OCTOBER)

    assert usage.team.daily[newest] == replace(expected.team.daily[newest], input_tokens=0, spend=0.0)
    assert {d: m for d, m in usage.team.daily.items() if d != newest} == {
        d: m for d, m in expected.team.daily.items() if d != newest
    }
    assert usage.by_alias == expected.by_alias  # the per-key entries were untouched


def test_a_day_without_breakdown_counts_for_the_team_only(upstream: Upstream) -> None:
    expected = clean("daily")
    newest = max(expected.team.daily)
    upstream.rewrite(DAILY, lambda body: body["results"][0].pop("breakdown"))

    usage = upstream.client().team_usage_from_daily_activity(INITECH, OCTOBER)

    assert usage.team.daily == expected.team.daily
    assert newest not in usage.slice_for("initech").daily
    assert len(usage.slice_for("initech").daily) == len(expected.slice_for("initech").daily) - 1


def test_spend_row_defaults_and_metadata_as_a_json_string(upstream: Upstream) -> None:
    expected = clean("logs")
    alias = "bench"

    def edit(body: Any) -> None:
        for r in body["data"]:
            r["metadata"] = json.dumps(r["metadata"])  # what some LiteLLM versions send
        body["data"][0].pop("spend")
        body["data"][1]["metadata"] = None
        body["data"][2]["metadata"] = ""

    upstream.rewrite(LOGS, edit)
    usage = upstream.client().team_usage_from_spend_logs(SMALL.team_id, OCTOBER)
    (asked,) = upstream.requests(LOGS)  # the month fits one page: these rows are all of it
    rows = upstream.demo(asked).json()["data"]

    team_total, clean_total = _total(usage, None), _total(expected, None)
    assert team_total.requests == clean_total.requests  # every row still counts for the team
    assert team_total.spend == pytest.approx(clean_total.spend - rows[0]["spend"], abs=1e-12)
    unattributed = sum(1 for r in rows[1:3] if r["metadata"]["user_api_key_alias"] == alias)
    assert _total(usage, alias).requests == _total(expected, alias).requests - unattributed
    for other in ("bench-1", "bench-2"):  # metadata as a JSON string keeps the alias
        lost = sum(1 for r in rows[1:3] if r["metadata"]["user_api_key_alias"] == other)
        assert _total(usage, other).requests == _total(expected, other).requests - lost


def _total(usage: TeamUsage, alias: str | None) -> Metrics:
    return Metrics.total(usage.slice_for(alias).daily.values())


def test_team_and_key_defaults(upstream: Upstream) -> None:
    def edit_team(body: Any) -> None:
        info = body["team_info"]
        info.update(max_budget=0, rpm_limit=None, tpm_limit=None, budget_reset_at=None)
        info.pop("spend")

    upstream.rewrite(TEAM_INFO, edit_team)
    info = upstream.client().team_info(INITECH)
    assert info == TeamInfo(INITECH, "Initech", 0.0, 0.0, None, None, None, None)  # a zero budget is a budget

    upstream.rewrite(KEYS, lambda body: [k.update(max_budget=None, spend=None) for k in body["keys"]])
    keys = upstream.client().list_keys(ACME)
    assert {(k.alias, k.max_budget, k.spend) for k in keys} == {
        ("acme-prod", None, 0.0),
        ("acme-prod-eu", None, 0.0),
        ("acme-dev", None, 0.0),
    }


# call, edit, what the error says
MISSING = [
    ("daily", lambda b: b.pop("results"), "no results list"),
    ("daily", lambda b: b.pop("metadata"), "no pagination metadata"),
    ("daily", lambda b: b["results"][0].pop("metrics"), "without metrics"),
    ("daily", lambda b: b["results"][0].pop("date"), "bad date"),
    ("daily", lambda b: b["results"][0].__setitem__("breakdown", []), "malformed breakdown"),
    ("daily", lambda b: b["results"][0]["breakdown"].__setitem__("api_keys", "x"), "malformed api_keys"),
    ("daily", lambda b: first(b["results"][0]["breakdown"]["api_keys"]).pop("metrics"), "without metrics"),
    ("logs", lambda b: b.pop("data"), "no data list"),
    ("logs", lambda b: b["data"][0].pop("request_id"), "without request_id"),
    ("logs", lambda b: b["data"][0].pop("startTime"), "without startTime"),
    ("logs", lambda b: b["data"][0].__setitem__("metadata", "{not json"), "non-JSON metadata"),
    ("logs", lambda b: b["data"][0].__setitem__("metadata", [1]), "malformed metadata"),
    ("team_info", lambda b: b.pop("team_info"), "no team_info"),
    ("team_info", lambda b: b["team_info"].__setitem__("team_id", ACME), "about another team"),
    ("keys", lambda b: b.pop("keys"), "no keys list"),
]


@pytest.mark.parametrize(("call", "edit", "message"), MISSING, ids=[f"{c}-{m}" for c, _, m in MISSING])
def test_a_missing_or_malformed_required_part_is_refused(
    upstream: Upstream, call: str, edit: Callable[[Any], None], message: str
) -> None:
    upstream.rewrite(PATHS[call], edit)
    client = upstream.client()

    fails_safely(LiteLLMProtocolError, lambda: CALLS[call](client), message)

    upstream.fault = None
    assert_exact(call, CALLS[call](client))


# -- dishonest pagination ------------------------------------------------------------------------


def daily_client(upstream: Upstream, **options: Any) -> LiteLLMClient:
    return upstream.client(daily_page_size=10, **options)


def read_daily(client: LiteLLMClient) -> TeamUsage:
    return client.team_usage_from_daily_activity(INITECH, OCTOBER)


def test_the_clean_daily_read_spans_several_pages(upstream: Upstream) -> None:
    read_daily(daily_client(upstream))
    assert len(upstream.requests(DAILY)) >= 8  # the pagination faults below have pages to lie about


def test_a_page_count_that_grows_on_every_read_is_refused(upstream: Upstream) -> None:
    calls = [0]

    def growing(body: Any) -> None:
        calls[0] += 1
        body["metadata"]["total_pages"] += calls[0]

    upstream.rewrite(DAILY, growing)
    client = daily_client(upstream)
    fails_safely(LiteLLMProtocolError, lambda: read_daily(client), "kept changing its page count")
    assert upstream.requests(DAILY)[0].url.params["page"] == "1"

    upstream.fault = None
    assert_exact("daily", read_daily(client), daily_page_size=10)


def test_a_page_count_that_grows_once_is_read_again_to_the_exact_result(upstream: Upstream) -> None:
    grown = [False]

    def once(request: httpx.Request) -> httpx.Response | None:
        if grown[0] or not _matches(request, DAILY, 3):
            return None
        grown[0] = True  # a row written while we read: LiteLLM now counts one more page
        body = upstream.demo(request).json()
        body["metadata"]["total_pages"] += 1
        return json_response(body)

    upstream.fault = once
    client = daily_client(upstream, max_concurrency=1)

    assert_exact("daily", read_daily(client), daily_page_size=10)
    assert [r.url.params["page"] for r in upstream.requests(DAILY)].count("1") == 2  # read again from the top


def test_a_repeated_page_is_refused(upstream: Upstream) -> None:
    def page_one_again(request: httpx.Request) -> httpx.Response | None:
        if not _matches(request, DAILY, 2):
            return None
        first_page = request.url.copy_merge_params({"page": "1"})  # a cache that ignores `page`
        return upstream.demo(httpx.Request("GET", first_page, headers=request.headers))

    upstream.fault = page_one_again
    client = daily_client(upstream)
    fails_safely(LiteLLMProtocolError, lambda: read_daily(client), r"page 1 came back for page 2")

    upstream.fault = None
    assert_exact("daily", read_daily(client), daily_page_size=10)


def test_has_more_that_is_never_false_is_refused(upstream: Upstream) -> None:
    upstream.rewrite(DAILY, lambda body: body["metadata"].__setitem__("has_more", True))
    fails_safely(
        LiteLLMProtocolError, lambda: read_daily(daily_client(upstream)), "more pages than announced"
    )


def test_has_more_that_stops_early_is_refused(upstream: Upstream) -> None:
    upstream.rewrite(DAILY, lambda body: body["metadata"].__setitem__("has_more", False))
    fails_safely(
        LiteLLMProtocolError, lambda: read_daily(daily_client(upstream)), "fewer pages than announced"
    )


def test_a_page_count_past_the_bound_is_refused_before_reading_on(upstream: Upstream) -> None:
    client = daily_client(upstream, max_pages=5)  # the month has ~10 pages of 10 rows
    fails_safely(
        LiteLLMProtocolError, lambda: read_daily(client), r"refusing to show partial totals \(limit 5\)"
    )
    assert len(upstream.requests(DAILY)) == 1  # no page past the first was read, none was summed


def test_key_pages_past_the_bound_are_refused(upstream: Upstream) -> None:
    upstream.rewrite(KEYS, lambda body: body.__setitem__("total_pages", 10_000))
    client = upstream.client(max_pages=50)
    fails_safely(LiteLLMProtocolError, lambda: client.list_keys(ACME), "10000 pages of /key/list")
    assert len(upstream.requests(KEYS)) == 1


def test_a_repeated_key_page_is_refused(upstream: Upstream) -> None:
    def two_pages(body: Any) -> None:
        body["total_pages"] = 2
        body["current_page"] = 1  # every page claims to be the first

    upstream.rewrite(KEYS, two_pages)
    fails_safely(
        LiteLLMProtocolError, lambda: upstream.client().list_keys(ACME), "page 1 came back for page 2"
    )


def test_spend_logs_from_a_proxy_that_caps_the_page_size_are_still_complete(upstream: Upstream) -> None:
    def capped(request: httpx.Request) -> httpx.Response | None:
        if not _matches(request, LOGS):
            return None
        body = upstream.demo(request).json()
        body["data"] = body["data"][:40]  # silently fewer rows than asked for; `total` stays honest
        return json_response(body)

    upstream.fault = capped
    assert_exact("logs", upstream.client().team_usage_from_spend_logs(SMALL.team_id, OCTOBER))
    assert len(upstream.requests(LOGS)) > 10  # it read the month in windows small enough


# -- rows and keys without a team ------------------------------------------------------------------


def test_spend_rows_without_a_team_never_count(upstream: Upstream) -> None:
    expected = clean("logs")

    def teamless(body: Any) -> None:
        body["data"][0]["team_id"] = None
        body["data"][1].pop("team_id")
        body["data"][2]["team_id"] = ""

    upstream.rewrite(LOGS, teamless)
    usage = upstream.client().team_usage_from_spend_logs(SMALL.team_id, OCTOBER)
    (asked,) = upstream.requests(LOGS)
    rows = upstream.demo(asked).json()["data"][:3]

    assert _total(usage, None).requests == _total(expected, None).requests - 3
    for alias in ("bench", "bench-1", "bench-2"):
        lost = sum(1 for r in rows if r["metadata"]["user_api_key_alias"] == alias)
        assert _total(usage, alias).requests == _total(expected, alias).requests - lost


@pytest.mark.parametrize("team_id", [None, "", "team-acme-7f3a", "absent"])
def test_daily_key_entries_of_no_team_or_another_never_count_into_a_tenant(
    upstream: Upstream, team_id: str | None
) -> None:
    expected = clean("daily")

    def edit(body: Any) -> None:
        for result in body["results"]:
            breakdown = result["breakdown"]
            entries = [*breakdown["api_keys"].values()]
            entries += [e for m in breakdown["models"].values() for e in m["api_key_breakdown"].values()]
            for entry in entries:
                if team_id == "absent":
                    entry["metadata"].pop("team_id")
                else:
                    entry["metadata"]["team_id"] = team_id

    upstream.rewrite(DAILY, edit)
    usage = upstream.client().team_usage_from_daily_activity(INITECH, OCTOBER)

    assert usage.team == expected.team  # the team's own totals do not depend on key metadata
    assert usage.by_alias == {}  # but no key is attributed to a tenant of this team


@pytest.mark.parametrize("team_id", [None, "", "team-globex-19c2", "absent"])
def test_keys_without_this_team_are_never_listed(upstream: Upstream, team_id: str | None) -> None:
    def edit(body: Any) -> None:
        moved = body["keys"][0]
        if team_id == "absent":
            moved.pop("team_id")
        else:
            moved["team_id"] = team_id

    upstream.rewrite(KEYS, edit)
    keys = upstream.client().list_keys(ACME)
    assert sorted(k.alias or "" for k in keys) == ["acme-dev", "acme-prod-eu"]  # acme-prod is listed first


# -- the rest keeps working; nothing failed is kept -----------------------------------------------


def _report(service: UsageService, scope: Scope) -> UsageReport:
    return replace(service.report(scope, OCTOBER, now=NOW), as_of=NOW)


def test_one_failing_team_leaves_every_other_report_served(upstream: Upstream) -> None:
    acme = Scope(ACME, "acme-prod", "Acme Production", "acme-prod")
    initech = Scope(INITECH, "initech", "Initech", "initech")
    clean_service = UsageService(
        LiteLLMClient("http://clean", SECRET, transport=httpx.MockTransport(emulator())),
        StaticTenantSource(DEMO_TENANTS),
    )

    def acme_down(request: httpx.Request) -> httpx.Response | None:
        params = request.url.params
        if ACME in (params.get("team_id"), params.get("team_ids")):
            return json_response({"error": "down"}, 503)
        return None

    upstream.fault = acme_down
    service = UsageService(upstream.client(attempts=2), StaticTenantSource(DEMO_TENANTS))

    fails_safely(LiteLLMUnavailable, lambda: service.report(acme, OCTOBER), "HTTP 503")
    assert _report(service, initech) == _report(clean_service, initech)
    assert service.tenants() == DEMO_TENANTS

    upstream.fault = None
    assert _report(service, acme) == _report(clean_service, acme)


# What a customer reads when LiteLLM fails, as the page shows it (Markdown escapes removed).
UNAVAILABLE = "Usage data is unavailable right now. Try again in a minute."


def test_the_app_shows_a_failure_then_the_data_and_never_caches_the_failure(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, loopback: LoopbackLiteLLM, upstream: Upstream
) -> None:
    clean_env(
        monkeypatch,
        LITELLM_BASE_URL=loopback.url,
        LITELLM_MASTER_KEY=SECRET,
        TENANTS_FILE=str(write_tenants(tmp_path / "tenants.yaml")),
    )
    upstream.demo = DemoLiteLLM(teams=TEAMS, master_key=SECRET)  # the app asks for this month
    upstream.fault = failing(503, DAILY)

    at = oidc_app(persona("member")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert UNAVAILABLE in page_text(at).replace("\\", "") and not list(at.metric)

    upstream.fault = None  # LiteLLM is back: the retry reads it, nothing failed was kept
    at.button(key="retry_usage").click().run()
    assert not at.exception and UNAVAILABLE not in page_text(at).replace("\\", "")
    spend = next(m.value for m in at.metric if m.label == "Spend (USD)")

    upstream.fault = failing(503)  # down again: the data read is cached for its TTL and still shown
    at.run()
    assert UNAVAILABLE not in page_text(at).replace("\\", "")
    assert next(m.value for m in at.metric if m.label == "Spend (USD)") == spend

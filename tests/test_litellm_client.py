"""The LiteLLM client against the emulator and small handlers, through httpx.MockTransport."""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from usage_core.demo import DEMO_MASTER_KEY, DemoLiteLLM, benchmark_team
from usage_core.errors import (
    LiteLLMAuthError,
    LiteLLMProtocolError,
    LiteLLMUnavailable,
    TeamNotFound,
)
from usage_core.litellm import LiteLLMClient
from usage_core.months import Month
from usage_core.usage import SOURCE_DAILY_ACTIVITY, SOURCE_SPEND_LOGS, Metrics, TeamUsage

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
ACME = "team-acme-7f3a"
ACME_ALIASES = (None, "acme-prod", "acme-prod-eu", "acme-dev")
SECRET = "sk-test-secret-42"


def demo_client(demo: DemoLiteLLM | None = None, **kwargs: Any) -> LiteLLMClient:
    demo = demo or DemoLiteLLM(now=NOW)
    return LiteLLMClient(
        "http://litellm.demo", DEMO_MASTER_KEY, transport=httpx.MockTransport(demo), **kwargs
    )


def handler_client(handler: Callable[[httpx.Request], httpx.Response], **kwargs: Any) -> LiteLLMClient:
    return LiteLLMClient("http://litellm.test", SECRET, transport=httpx.MockTransport(handler), **kwargs)


def totals(usage: TeamUsage, alias: str | None) -> Metrics:
    return Metrics.total(usage.slice_for(alias).daily.values())


def assert_same(a: Metrics, b: Metrics) -> None:
    assert (a.input_tokens, a.output_tokens, a.total_tokens, a.requests, a.successful_requests) == (
        b.input_tokens,
        b.output_tokens,
        b.total_tokens,
        b.requests,
        b.successful_requests,
    )
    assert a.failed_requests == b.failed_requests
    assert a.spend == pytest.approx(b.spend, abs=1e-9)


@pytest.mark.parametrize("month", [Month(2026, 11), Month(2026, 10), Month(2026, 2), Month(2025, 11)])
def test_daily_and_spend_log_paths_agree_exactly(month: Month) -> None:
    client = demo_client()
    daily = client.team_usage_from_daily_activity(ACME, month)
    logs = client.team_usage_from_spend_logs(ACME, month)
    assert (daily.source, logs.source) == (SOURCE_DAILY_ACTIVITY, SOURCE_SPEND_LOGS)
    for alias in ACME_ALIASES:
        assert_same(totals(daily, alias), totals(logs, alias))
        assert set(daily.slice_for(alias).daily) == set(logs.slice_for(alias).daily)
        for model, m in daily.slice_for(alias).models.items():
            assert_same(m, logs.slice_for(alias).models[model])
    team = totals(daily, None)
    assert team.requests > 10_000  # past the 10k cap of /spend/logs/v2 totals
    assert team.requests == sum(totals(daily, a).requests for a in ACME_ALIASES[1:])


def test_split_daily_pages_are_merged_by_date() -> None:
    whole = demo_client().team_usage_from_daily_activity(ACME, Month(2026, 10))
    paged_client = demo_client(daily_page_size=7)  # 9 rows a day: every day spans two pages
    paged = paged_client.team_usage_from_daily_activity(ACME, Month(2026, 10))
    assert paged_client.stats.requests > 30
    for alias in ACME_ALIASES:
        assert paged.slice_for(alias).daily.keys() == whole.slice_for(alias).daily.keys()
        for day, m in whole.slice_for(alias).daily.items():
            assert_same(paged.slice_for(alias).daily[day], m)


def test_spend_logs_read_past_the_10k_cap() -> None:
    seen_totals: list[dict[str, Any]] = []
    demo = DemoLiteLLM(now=NOW, teams=(benchmark_team(25_000),))

    def spy(request: httpx.Request) -> httpx.Response:
        response = demo(request)
        if request.url.path == "/spend/logs/v2":
            body = response.json()
            seen_totals.append({k: body[k] for k in ("total", "total_is_capped")})
        return response

    client = LiteLLMClient(
        "http://litellm.demo", DEMO_MASTER_KEY, transport=httpx.MockTransport(spy), max_concurrency=4
    )
    logs = client.team_usage_from_spend_logs("team-bench", Month(2026, 10))
    daily = client.team_usage_from_daily_activity("team-bench", Month(2026, 10))
    assert totals(logs, None).requests == totals(daily, None).requests > 20_000
    assert seen_totals[0] == {"total": 10_000, "total_is_capped": True}
    for alias in ("bench", "bench-1", "bench-4"):
        assert_same(totals(logs, alias), totals(daily, alias))


def test_older_proxy_without_daily_activity_falls_back_to_spend_logs() -> None:
    usage = demo_client(DemoLiteLLM(now=NOW, daily_activity=False)).team_usage(ACME, Month(2026, 9))
    assert usage.source == SOURCE_SPEND_LOGS
    assert totals(usage, "acme-prod").requests > 0


def spend_row(request_id: str, started: str, alias: str = "acme", **extra: Any) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "startTime": started,
        "spend": 0.25,
        "prompt_tokens": 10,
        "completion_tokens": 5,
        "total_tokens": 15,
        "model": "openai/fake-gpt",
        "team_id": "t1",
        "status": "success",
        "metadata": {"user_api_key_alias": alias},
        **extra,
    }


def pages_handler(
    pages: list[list[dict[str, Any]]], total: int | None = None
) -> Callable[..., httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        data = pages[page - 1] if page <= len(pages) else []
        count = sum(map(len, pages)) if total is None else total
        return httpx.Response(200, json={"data": data, "total": count, "page": page, "total_pages": 1})

    return handler


def test_month_bounds_keep_the_last_millisecond_and_drop_the_next_month() -> None:
    requests: list[httpx.Request] = []
    rows = [
        spend_row("first", "2026-09-01T00:00:00.000+00:00"),
        spend_row("last", "2026-09-30T23:59:59.999+00:00"),
        spend_row("next-month", "2026-10-01T00:00:00.000+00:00"),  # the inclusive end bound lets it in
        spend_row("before", "2026-08-31T23:59:59.999+00:00"),
    ]
    inner = pages_handler([rows])

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return inner(request)

    usage = handler_client(handler).team_usage_from_spend_logs("t1", Month(2026, 9))
    params = requests[0].url.params
    assert (params["start_date"], params["end_date"]) == ("2026-09-01 00:00:00", "2026-10-01 00:00:00")
    assert params["team_id"] == "t1" and "key_alias" not in params  # never the substring filter
    assert totals(usage, "acme").requests == 2
    days = usage.slice_for("acme").daily
    assert [d.isoformat() for d in days] == ["2026-09-01", "2026-09-30"]


def test_spend_rows_are_matched_on_the_exact_alias_and_deduplicated() -> None:
    rows = [
        spend_row("a", "2026-09-02T10:00:00+00:00", "acme"),
        spend_row("b", "2026-09-02T10:00:01+00:00", "acme-dev"),
        spend_row("c", "2026-09-02T10:00:02+00:00", "acme-dev", status="failure", spend=0),
        spend_row("a", "2026-09-02T10:00:00+00:00", "acme"),  # the same row again on a shifted page
        spend_row("x", "2026-09-02T10:00:03+00:00", "acme", team_id="other-team"),
    ]
    usage = handler_client(pages_handler([rows])).team_usage_from_spend_logs("t1", Month(2026, 9))
    assert totals(usage, "acme") == Metrics(10, 5, 15, 1, 1, 0, 0.25)
    assert totals(usage, "acme-dev") == Metrics(20, 10, 30, 2, 1, 1, 0.25)
    assert totals(usage, "acme-d") == Metrics()


def test_pagination_that_never_ends_fails_loudly() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        rows = [spend_row(f"{page}-{i}", "2026-09-03T00:00:00+00:00") for i in range(2)]
        return httpx.Response(200, json={"data": rows, "total": 4, "page": page, "total_pages": 2})

    client = handler_client(handler, spend_logs_page_size=2, max_pages=20)
    with pytest.raises(LiteLLMProtocolError, match="refusing partial totals"):
        client.team_usage_from_spend_logs("t1", Month(2026, 9))


def test_daily_pagination_that_lies_fails_loudly() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"results": [], "metadata": {"total_pages": 2, "has_more": True}})

    with pytest.raises(LiteLLMProtocolError, match="inconsistent"):
        handler_client(handler).team_usage_from_daily_activity("t1", Month(2026, 9))


def test_daily_days_outside_the_month_are_ignored() -> None:
    day = {"metrics": {"api_requests": 3, "spend": 1.0}, "breakdown": {}}
    body = {
        "results": [
            {"date": "2026-10-01", **day},
            {"date": "2026-09-30", **day},
            {"date": "2026-08-31", **day},
        ],
        "metadata": {"total_pages": 1, "has_more": False},
    }
    usage = handler_client(lambda r: httpx.Response(200, json=body)).team_usage_from_daily_activity(
        "t1", Month(2026, 9)
    )
    assert totals(usage, None).requests == 3


def counting(statuses: list[int], then: Callable[[httpx.Request], httpx.Response]) -> Any:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) <= len(statuses):
            return httpx.Response(statuses[len(calls) - 1], json={"error": "busy"})
        return then(request)

    handler.calls = calls  # type: ignore[attr-defined]
    return handler


def test_5xx_and_429_are_retried_then_succeed() -> None:
    demo = DemoLiteLLM(now=NOW)
    handler = counting([503, 429, 502], demo)
    client = LiteLLMClient("http://x", DEMO_MASTER_KEY, transport=httpx.MockTransport(handler), attempts=4)
    assert client.team_info(ACME).alias == "Acme Corp"
    assert len(handler.calls) == 4


def test_persistent_5xx_becomes_a_safe_unavailable_error() -> None:
    handler = counting([500] * 10, lambda r: httpx.Response(200))
    client = handler_client(handler, attempts=3)
    with pytest.raises(LiteLLMUnavailable) as caught:
        client.team_info("t1")
    assert len(handler.calls) == 3
    assert "HTTP 500" in str(caught.value) and SECRET not in str(caught.value)


def test_timeouts_are_retried_then_reported() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(LiteLLMUnavailable, match="timed out"):
        handler_client(handler, attempts=2).list_teams()
    assert len(calls) == 2


def test_unreachable_proxy_is_unavailable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    client = LiteLLMClient(f"http://127.0.0.1:{port}", SECRET, attempts=2, timeout=2)
    with pytest.raises(LiteLLMUnavailable, match="connection refused") as caught:
        client.team_info("t1")
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_master_key_is_not_retried(status: int) -> None:
    handler = counting([status] * 5, lambda r: httpx.Response(200))
    with pytest.raises(LiteLLMAuthError) as caught:
        handler_client(handler).list_teams()
    assert len(handler.calls) == 1
    assert SECRET not in str(caught.value) and SECRET not in repr(handler_client(handler))


def test_wrong_master_key_against_the_emulator() -> None:
    client = LiteLLMClient(
        "http://litellm.demo", "wrong", transport=httpx.MockTransport(DemoLiteLLM(now=NOW))
    )
    with pytest.raises(LiteLLMAuthError, match="HTTP 401"):
        client.team_usage(ACME, Month(2026, 11))


@pytest.mark.parametrize("status", [404, 400])
def test_unknown_team(status: int) -> None:
    client = handler_client(lambda r: httpx.Response(status, json={"detail": "Team not found"}))
    with pytest.raises(TeamNotFound, match="'nope'"):
        client.team_info("nope")


def test_non_json_answer_is_a_protocol_error() -> None:
    client = handler_client(lambda r: httpx.Response(200, text="<html>proxy error</html>"))
    with pytest.raises(LiteLLMProtocolError):
        client.list_teams()


def test_pages_are_fetched_concurrently_within_the_bound() -> None:
    demo = DemoLiteLLM(now=NOW)
    lock = threading.Lock()
    in_flight, peak = [0], [0]

    def handler(request: httpx.Request) -> httpx.Response:
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        time.sleep(0.01)  # let concurrent requests overlap
        try:
            return demo(request)
        finally:
            with lock:
                in_flight[0] -= 1

    client = LiteLLMClient(
        "http://x",
        DEMO_MASTER_KEY,
        transport=httpx.MockTransport(handler),
        max_concurrency=3,
        daily_page_size=20,
    )
    client.team_usage_from_daily_activity(ACME, Month(2026, 10))
    assert client.stats.requests > 6
    assert 1 < peak[0] <= 3


def test_keys_and_teams_from_the_emulator() -> None:
    client = demo_client()
    keys = {k.alias: k for k in client.list_keys(ACME)}
    assert set(keys) == {"acme-prod", "acme-prod-eu", "acme-dev"}
    assert keys["acme-prod"].max_budget is not None and keys["acme-dev"].max_budget is None
    assert [t.team_id for t in client.list_teams()] == [
        "team-acme-7f3a",
        "team-globex-19c2",
        "team-initech-5b8e",
    ]
    assert client.team_info("team-initech-5b8e").max_budget is None


def test_rows_sharing_a_start_time_are_all_read_despite_unstable_offset_paging() -> None:
    """LiteLLM pages spend logs with OFFSET over startTime alone: tied rows shuffle between queries."""
    shuffler = random.Random(7)
    rows = [
        spend_row(f"r{i}", f"2026-09-{1 + i // 300:02d}T{(i // 3) % 24:02d}:{i % 60:02d}:00.000+00:00")
        for i in range(2_700)
    ]
    for i, row in enumerate(rows):  # groups of three share one instant
        row["startTime"] = rows[i - i % 3]["startTime"]

    def handler(request: httpx.Request) -> httpx.Response:
        q = request.url.params
        lo = datetime.fromisoformat(q["start_date"]).replace(tzinfo=UTC)
        hi = datetime.fromisoformat(q["end_date"]).replace(tzinfo=UTC)
        match = [r for r in rows if lo <= datetime.fromisoformat(r["startTime"]) <= hi]
        shuffler.shuffle(match)
        match.sort(key=lambda r: r["startTime"])  # ties in a different order on every query
        size, page = int(q["page_size"]), int(q["page"])
        body = {"data": match[(page - 1) * size : page * size], "total": min(len(match), 10_000)}
        return httpx.Response(200, json=body)

    usage = handler_client(handler, spend_logs_page_size=100).team_usage_from_spend_logs("t1", Month(2026, 9))
    assert totals(usage, "acme").requests == 2_700
    assert totals(usage, "acme").input_tokens == 27_000


def test_more_rows_in_one_second_than_a_page_fails_loudly() -> None:
    rows = [spend_row(f"r{i}", "2026-09-05T10:00:00.500+00:00") for i in range(30)]

    def handler(request: httpx.Request) -> httpx.Response:
        q = request.url.params
        lo = datetime.fromisoformat(q["start_date"]).replace(tzinfo=UTC)
        hi = datetime.fromisoformat(q["end_date"]).replace(tzinfo=UTC)
        match = [r for r in rows if lo <= datetime.fromisoformat(r["startTime"]) <= hi]
        return httpx.Response(200, json={"data": match[: int(q["page_size"])], "total": len(match)})

    with pytest.raises(LiteLLMProtocolError, match="within one second"):
        handler_client(handler, spend_logs_page_size=10).team_usage_from_spend_logs("t1", Month(2026, 9))


def test_credentials_in_the_base_url_never_reach_a_message() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = LiteLLMClient(f"http://ops:url-password@127.0.0.1:{port}", SECRET, attempts=1, timeout=2)
    with pytest.raises(LiteLLMUnavailable) as caught:
        client.list_teams()
    assert f"127.0.0.1:{port}" in str(caught.value)
    assert "url-password" not in str(caught.value) and "url-password" not in repr(client)

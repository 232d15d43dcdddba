"""The client against every real LiteLLM response recorded in ../shared/litellm/samples/."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from usage_core.demo import DEMO_MASTER_KEY, DemoLiteLLM
from usage_core.errors import LiteLLMAuthError, LiteLLMError
from usage_core.litellm import LiteLLMClient, SpendLogAggregator, parse_timestamp
from usage_core.months import Month
from usage_core.usage import Metrics, TeamUsageBuilder

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "litellm" / "samples"
TEAM = "04463227-a538-4b19-ab00-a06cc67156d3"
PROD = "2a70ff1a3d363a7d0b9c368478e3c867f469d457763ce549f77e7b3e0af10c3d"
NOVEMBER = Month(2026, 11)


def sample(name: str) -> dict[str, Any]:
    """One recorded response: {request, status_code, body}."""
    data: dict[str, Any] = json.loads((SAMPLES / f"{name}.json").read_text())
    return data


def client_serving(name: str, **kwargs: Any) -> LiteLLMClient:
    """A client whose transport answers every request with one recorded response."""
    recorded = sample(name)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(recorded["status_code"], json=recorded["body"])

    return LiteLLMClient(
        "http://litellm.test", "sk-test-master", transport=httpx.MockTransport(handler), **kwargs
    )


def daily_usage(name: str) -> Any:
    return client_serving(name).team_usage_from_daily_activity(TEAM, NOVEMBER)


def logs_usage(name: str) -> Any:
    return client_serving(name).team_usage_from_spend_logs(TEAM, NOVEMBER)


def total(usage: Any, alias: str | None) -> Metrics:
    return Metrics.total(usage.slice_for(alias).daily.values())


# Expected numbers, read by hand from the recorded bodies (per key alias, 2026-11-27).
PROD_METRICS = Metrics(94, 54, 148, 5, 4, 1, 0.000173)
DEV_METRICS = Metrics(51, 54, 105, 3, 3, 0, 0.000159)
TEAM_METRICS = Metrics(145, 108, 253, 8, 7, 1, 0.000332)


def close(a: Metrics, b: Metrics) -> bool:
    return a.requests == b.requests and (
        (a.input_tokens, a.output_tokens, a.total_tokens, a.successful_requests, a.failed_requests)
        == (b.input_tokens, b.output_tokens, b.total_tokens, b.successful_requests, b.failed_requests)
        and abs(a.spend - b.spend) < 1e-12
    )


def check_team_daily_activity() -> None:
    usage = daily_usage("team_daily_activity")
    assert close(total(usage, "acme-prod"), PROD_METRICS)
    assert close(total(usage, "acme-dev"), DEV_METRICS)
    assert close(total(usage, None), TEAM_METRICS)
    assert total(usage, "acme") == Metrics()  # a prefix of both aliases matches neither
    assert set(usage.slice_for("acme-prod").models) == {
        "openai/fake-gpt",
        "openai/mock-gpt",
        "openai/broken-gpt",
    }
    assert usage.slice_for("acme-prod").models["openai/broken-gpt"].failed_requests == 1


def check_team_daily_activity_aggregated() -> None:
    usage = daily_usage("team_daily_activity_aggregated")  # same shape, one page
    assert close(total(usage, "acme-prod"), PROD_METRICS)


def check_api_key_filter_hashed() -> None:
    usage = daily_usage("team_daily_activity_api_key_filter_hashed")
    assert close(total(usage, "acme-prod"), PROD_METRICS)
    assert total(usage, "acme-dev") == Metrics()


def check_api_key_filter_raw() -> None:
    usage = daily_usage("team_daily_activity_api_key_filter")  # a raw sk- key matches nothing
    assert total(usage, None) == Metrics()


def check_daily_missing_dates() -> None:
    with pytest.raises(LiteLLMError, match="HTTP 400"):
        daily_usage("team_daily_activity_missing_dates")


def check_spend_logs_team() -> None:
    usage = logs_usage("spend_logs_v2_team")
    # The raw rows and the server-side aggregates of the same proxy agree exactly.
    assert close(total(usage, "acme-prod"), PROD_METRICS)
    assert close(total(usage, "acme-dev"), DEV_METRICS)
    assert close(total(usage, None), TEAM_METRICS)


def check_spend_logs_page_size_1000() -> None:
    assert close(total(logs_usage("spend_logs_v2_page_size_too_big"), None), TEAM_METRICS)


def check_spend_logs_date_only() -> None:
    assert close(total(logs_usage("spend_logs_v2_date_only"), "acme-dev"), DEV_METRICS)


def check_spend_logs_key_alias_filter() -> None:
    assert close(total(logs_usage("spend_logs_v2_key_alias_filter"), "acme-dev"), DEV_METRICS)


def check_spend_logs_api_key_hashed() -> None:
    usage = logs_usage("spend_logs_v2_api_key_filter_hashed")
    assert close(total(usage, "acme-prod"), PROD_METRICS)


def check_spend_logs_empty(name: str) -> Callable[[], None]:
    def check() -> None:
        assert total(logs_usage(name), None) == Metrics()

    return check


def check_spend_logs_failures() -> None:
    usage = logs_usage("spend_logs_v2_failures")
    prod = total(usage, "acme-prod")
    assert (prod.requests, prod.failed_requests, prod.successful_requests, prod.spend) == (1, 1, 0, 0)
    assert prod.input_tokens == 29  # failed requests still count their prompt tokens, like LiteLLM


def check_spend_logs_split_page() -> None:
    body = sample("spend_logs_v2_team_page2_size3")["body"]
    aggregator = SpendLogAggregator(TeamUsageBuilder(TEAM, NOVEMBER))
    aggregator.add_rows(body["data"])
    aggregator.add_rows(body["data"])  # a page seen twice (rows shifting) is counted once
    assert aggregator.rows_seen == 3


def check_rejected(name: str, error: type[Exception] = LiteLLMError) -> Callable[[], None]:
    def check() -> None:
        with pytest.raises(error, match=r"HTTP 40[03]"):
            logs_usage(name)

    return check


def check_team_info() -> None:
    info = client_serving("team_info").team_info(TEAM)
    assert (info.alias, info.max_budget, info.rpm_limit, info.tpm_limit) == ("tenant-acme", 5.0, 100, 100000)
    assert info.budget_duration == "30d"
    assert info.budget_reset_at is None or info.budget_reset_at.tzinfo is not None


def check_key_list_team() -> None:
    keys = {k.alias: k for k in client_serving("key_list_team").list_keys(TEAM)}
    assert set(keys) == {"acme-prod", "acme-dev"}
    assert keys["acme-prod"].token == PROD
    assert (keys["acme-prod"].max_budget, keys["acme-dev"].max_budget) == (3.0, 1.0)


def check_key_list_by_alias() -> None:
    keys = client_serving("key_list_by_alias").list_keys(TEAM)
    assert [k.alias for k in keys] == ["acme-prod"]


def check_key_list_default() -> None:
    assert client_serving("key_list_default").list_keys(TEAM) == []  # hash strings only: no details


def check_team_list() -> None:
    teams = client_serving("team_list").list_teams()
    assert TEAM in {t.team_id for t in teams}
    assert "tenant-acme" in {t.alias for t in teams}


def check_enterprise_only(name: str) -> Callable[[], None]:
    def check() -> None:
        recorded = sample(name)
        client = client_serving(name)
        error = LiteLLMAuthError if recorded["status_code"] in (401, 403) else LiteLLMError
        with pytest.raises(error):
            client.get_json(recorded["request"].split("?")[0])

    return check


def check_readiness() -> None:
    body = json.loads((SAMPLES / "health_readiness.json").read_text())
    assert body["db"] == "connected"


def check_bare_body(name: str) -> Callable[[], None]:
    """A bare response body with no recorded request (a key a setup created): nothing to route."""

    def check() -> None:
        body = json.loads((SAMPLES / f"{name}.json").read_text())
        assert "request" not in body and body["key_alias"] == "acme-dev"

    return check


@functools.cache
def paths_the_client_reads() -> frozenset[str]:
    """Every path the client requests while producing reports (both usage paths), via the emulator."""
    paths: set[str] = set()

    def record(request: httpx.Request) -> None:
        paths.add(request.url.path)

    for daily in (True, False):
        demo = DemoLiteLLM(now=datetime(2026, 11, 27, tzinfo=UTC), daily_activity=daily, on_request=record)
        client = LiteLLMClient("http://d", DEMO_MASTER_KEY, transport=httpx.MockTransport(demo))
        client.team_info("team-initech-5b8e")
        client.list_keys("team-initech-5b8e")
        client.list_teams()
        client.team_usage("team-initech-5b8e", NOVEMBER)
    return frozenset(paths)


def check_not_read(name: str, reason: str) -> Callable[[], None]:
    """Samples of endpoints the dashboard deliberately does not read (`reason`): it never asks them."""

    def check() -> None:
        path = sample(name)["request"].split("?")[0]
        assert path not in paths_the_client_reads(), reason

    return check


CHECKS: dict[str, Callable[[], None]] = {
    "team_daily_activity": check_team_daily_activity,
    "team_daily_activity_aggregated": check_team_daily_activity_aggregated,
    "team_daily_activity_api_key_filter_hashed": check_api_key_filter_hashed,
    "team_daily_activity_api_key_filter": check_api_key_filter_raw,
    "team_daily_activity_missing_dates": check_daily_missing_dates,
    "spend_logs_v2_team": check_spend_logs_team,
    "spend_logs_v2_page_size_too_big": check_spend_logs_page_size_1000,
    "spend_logs_v2_date_only": check_spend_logs_date_only,
    "spend_logs_v2_key_alias_filter": check_spend_logs_key_alias_filter,
    "spend_logs_v2_api_key_filter_hashed": check_spend_logs_api_key_hashed,
    "spend_logs_v2_api_key_filter_raw_key": check_spend_logs_empty("spend_logs_v2_api_key_filter_raw_key"),
    "spend_logs_v2_end_date_is_today_date_only": check_spend_logs_empty(
        "spend_logs_v2_end_date_is_today_date_only"
    ),
    "spend_logs_v2_failures": check_spend_logs_failures,
    "spend_logs_v2_team_page2_size3": check_spend_logs_split_page,
    "spend_logs_v2_iso_T_format_rejected": check_rejected("spend_logs_v2_iso_T_format_rejected"),
    "spend_logs_v2_missing_dates": check_rejected("spend_logs_v2_missing_dates"),
    "team_info": check_team_info,
    "key_list_team": check_key_list_team,
    "key_list_by_alias": check_key_list_by_alias,
    "key_list_default": check_key_list_default,
    "team_list": check_team_list,
    "global_spend_report_by_api_key": check_enterprise_only("global_spend_report_by_api_key"),
    "global_spend_report_by_team": check_enterprise_only("global_spend_report_by_team"),
    "team_spend_report": check_enterprise_only("team_spend_report"),
    "health_readiness": check_readiness,
    "key_info": check_not_read("key_info", "needs the raw key; /key/list gives the same by team"),
    "key_generate_example": check_bare_body("key_generate_example"),
    "team_new": check_not_read("team_new", "write endpoint"),
    "v2_team_list": check_not_read("v2_team_list", "/team/list answers the admin picker in one call"),
    "user_daily_activity": check_not_read("user_daily_activity", "per user, not per team"),
    "tag_daily_activity": check_not_read("tag_daily_activity", "per tag, not per team"),
    "spend_logs_v1_default": check_not_read("spend_logs_v1_default", "legacy, truncated at 10k"),
    "spend_logs_v1_summarize_false": check_not_read("spend_logs_v1_summarize_false", "legacy"),
    "team_daily_activity_export_csv": check_not_read("team_daily_activity_export_csv", "CSV export"),
    "team_daily_activity_export_csv_with_keys": check_not_read(
        "team_daily_activity_export_csv_with_keys", "CSV export"
    ),
    "team_daily_activity_export_json_with_keys": check_not_read(
        "team_daily_activity_export_json_with_keys", "export"
    ),
}


def test_every_sample_has_a_check() -> None:
    assert SAMPLES.is_dir(), f"samples not found at {SAMPLES}"
    assert {p.stem for p in SAMPLES.glob("*.json")} == set(CHECKS)


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_sample(name: str) -> None:
    CHECKS[name]()


def test_real_timestamps_parse_as_utc() -> None:
    assert parse_timestamp("2026-11-27T05:14:32.145+00:00") == datetime(2026, 11, 27, 5, 14, 32, 145000, UTC)
    assert parse_timestamp("2026-11-27T05:22:27.630000Z") == datetime(2026, 11, 27, 5, 22, 27, 630000, UTC)
    assert parse_timestamp("2026-11-27T05:22:27") == datetime(2026, 11, 27, 5, 22, 27, tzinfo=UTC)
    assert parse_timestamp("garbage") is None


def test_sample_days_are_the_request_days() -> None:
    usage = daily_usage("team_daily_activity")
    assert list(usage.slice_for("acme-prod").daily) == [date(2026, 11, 27)]


def test_the_recorded_client_paths_are_the_ones_it_reads() -> None:
    assert paths_the_client_reads() == {
        "/team/info",
        "/key/list",
        "/team/list",
        "/team/daily/activity",
        "/spend/logs/v2",
    }

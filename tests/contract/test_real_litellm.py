"""Contract: `usage-dashboard export` against a real LiteLLM equals LiteLLM's own numbers.

Expected values are read with SQL from LiteLLM's tables (contract_truth), never through usage_core.
Both read paths are covered: /team/daily/activity (default) and the /spend/logs/v2 fallback, which
the edge proxy forces by answering 404 for the daily endpoint the way an older LiteLLM does.
"""

from __future__ import annotations

import csv
import io
import json
import socket
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest
from contract_cli import PATHS, CliRun
from contract_edge import EdgeProxy
from contract_env import RealProxy
from contract_seed import BOUNDARY_MONTH, BOUNDARY_ROWS, CALL_PLAN, NEXT_MONTH, Seed
from contract_truth import (
    METRICS,
    Truth,
    from_daily_table,
    from_spend_logs,
    key_hashes,
    models_from_spend_logs,
)

pytestmark = pytest.mark.contract

CSV_HEADER = "date,input_tokens,output_tokens,total_tokens,requests,successful_requests,failed_requests,spend"
SPEND_TOLERANCE = 1e-9
TENANT_KEYS = ("base", "dev", "prod")
CURRENT = "current"  # the month of the live completions, resolved at run time
MONTHS = (CURRENT, BOUNDARY_MONTH, NEXT_MONTH)


def resolve_month(month: str) -> str:
    """`current` -> this UTC month as YYYY-MM."""
    return f"{datetime.now(UTC):%Y-%m}" if month == CURRENT else month


def month_days(month: str) -> list[str]:
    """Every ISO day of the month, up to today (UTC) for the current month."""
    year, number = (int(part) for part in month.split("-"))
    first = date(year, number, 1)
    after = date(year + number // 12, number % 12 + 1, 1)
    last = min(after - timedelta(days=1), datetime.now(UTC).date())
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def team_of(seed: Seed, key: str) -> str:
    """The team that owns one of our keys."""
    return seed.keys[key].team_id


def alias_of(seed: Seed, key: str) -> str:
    """One of our keys' aliases."""
    alias = seed.keys[key].alias
    assert alias is not None
    return alias


def truth_for(db: psycopg.Connection[Any], team: str, alias: str | None, month: str) -> tuple[Truth, Truth]:
    """LiteLLM's numbers for a scope: from the raw rows and from the daily aggregates."""
    hashes = None if alias is None else key_hashes(db, team, alias)
    assert hashes != [], f"no key with alias {alias!r} in team {team}"
    return from_spend_logs(db, team, hashes, month), from_daily_table(db, team, hashes, month)


def assert_metrics(actual: dict[str, Any], expected: dict[str, float], where: str) -> None:
    """Tokens and requests exactly, spend within SPEND_TOLERANCE."""
    for name in METRICS:
        assert name in actual, f"{where}: {name} missing in {actual}"
        if name == "spend":
            assert abs(float(actual[name]) - expected[name]) <= SPEND_TOLERANCE, (
                f"{where}: spend {actual[name]} != LiteLLM's {expected[name]}"
            )
        else:
            assert actual[name] == expected[name], (
                f"{where}: {name} {actual[name]} != LiteLLM's {expected[name]}"
            )
            assert isinstance(actual[name], int), f"{where}: {name} is not an integer"


def zero() -> dict[str, float]:
    """A day without usage."""
    return {name: (0.0 if name == "spend" else 0) for name in METRICS}


def assert_report(report: dict[str, Any], truth: Truth, month: str, where: str) -> None:
    """A JSON export equals LiteLLM's truth: totals, every day (zero days included)."""
    assert report["month"] == month, where
    assert_metrics(report["totals"], truth.totals, f"{where} totals")
    days = {row["date"]: row for row in report["daily"]}
    assert list(days) == month_days(month), f"{where}: daily dates {list(days)}"
    for day, row in days.items():
        assert_metrics(row, truth.days.get(day, zero()), f"{where} {day}")
    assert set(truth.days) <= set(days), f"{where}: LiteLLM has days {set(truth.days) - set(days)}"


def parse_csv(text: str) -> tuple[list[str], list[dict[str, Any]]]:
    """The CSV's header line and its rows with numbers parsed (ints stay ints)."""
    lines = text.splitlines()
    rows = []
    for raw in csv.DictReader(io.StringIO(text)):
        row: dict[str, Any] = {"date": raw["date"]}
        for name in METRICS:
            value = raw[name]
            assert "," not in value and value.strip() == value, f"not a plain number: {value!r}"
            row[name] = float(value) if name == "spend" else int(value)
        rows.append(row)
    return lines[:1], rows


def export_args(seed: Seed, key: str | None, month: str, fmt: str, team: str | None = None) -> list[str]:
    """`export --team T [--key-alias A] --month M --format F`."""
    team_id = team or team_of(seed, key or "base")
    args = ["export", "--team", team_id, "--month", month, "--format", fmt]
    if key is not None:
        args += ["--key-alias", alias_of(seed, key)]
    return args


# --- the data set itself: LiteLLM's two records agree and tell the tenants apart -------------------


def test_litellm_records_agree_and_tell_tenants_apart(seed: Seed, db: psycopg.Connection[Any]) -> None:
    """Raw rows and daily aggregates hold the same numbers; every tenant's numbers differ."""
    assert set(seed.months) == {resolve_month(CURRENT), BOUNDARY_MONTH, NEXT_MONTH}, seed.months
    seen: dict[str, dict[str, float]] = {}
    for month in (resolve_month(CURRENT), BOUNDARY_MONTH, NEXT_MONTH):
        for key in (*TENANT_KEYS, None):
            team = seed.team_a if key is None else team_of(seed, key)
            logs, daily = truth_for(db, team, None if key is None else alias_of(seed, key), month)
            assert set(logs.days) == set(daily.days), (key, month)
            for day in logs.days:
                assert_metrics(daily.days[day], logs.days[day], f"{key} {month} {day}")
            seen[f"{key}@{month}"] = logs.totals
    live = resolve_month(CURRENT)
    for key in TENANT_KEYS:
        totals = seen[f"{key}@{live}"]
        assert totals["requests"] > 0 and totals["failed_requests"] > 0, (key, totals)
        assert totals["successful_requests"] > 0 and totals["spend"] > 0, (key, totals)
    rotated = key_hashes(db, seed.team_a, alias_of(seed, "dev"))
    assert rotated == sorted([seed.keys["retired"].token_hash, seed.keys["dev"].token_hash])
    retired = from_spend_logs(db, seed.team_a, [seed.keys["retired"].token_hash], live)
    assert retired.totals["requests"] == sum(CALL_PLAN["retired"].values())
    distinct = {tuple(seen[f"{key}@{live}"].values()) for key in TENANT_KEYS}
    assert len(distinct) == len(TENANT_KEYS), "two tenants share numbers: the test could not tell"
    assert seen[f"None@{BOUNDARY_MONTH}"]["requests"] == 4
    assert seen[f"base@{BOUNDARY_MONTH}"]["requests"] == 3
    assert seen[f"base@{NEXT_MONTH}"]["requests"] == 1


# --- per tenant: JSON and CSV equal LiteLLM's per-key numbers, on both paths ----------------------


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("month", MONTHS)
@pytest.mark.parametrize("key", TENANT_KEYS)
def test_tenant_json_equals_litellm(
    seed: Seed,
    db: psycopg.Connection[Any],
    run_cli: Callable[..., CliRun],
    key: str,
    month: str,
    path: str,
) -> None:
    """Totals, every day and every model equal LiteLLM's rows for exactly this alias."""
    month = resolve_month(month)
    team, alias = team_of(seed, key), alias_of(seed, key)
    report = run_cli(*export_args(seed, key, month, "json"), path=path).json()
    logs, daily = truth_for(db, team, alias, month)
    where = f"{alias} {month} via {path}"
    assert report["scope"]["team_id"] == team and report["scope"]["key_alias"] == alias, where
    assert report["scope"]["company_wide"] is False, where
    assert_report(report, logs, month, where)
    assert_report(report, daily, month, where)
    models = models_from_spend_logs(db, team, key_hashes(db, team, alias), month)
    got_models = {row["model"]: row for row in report["models"]}
    assert sorted(got_models) == sorted(models), where
    for model, expected in models.items():
        assert_metrics(got_models[model], expected, f"{where} model {model}")


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("month", MONTHS)
@pytest.mark.parametrize("key", TENANT_KEYS)
def test_tenant_csv_equals_litellm(
    seed: Seed,
    db: psycopg.Connection[Any],
    run_cli: Callable[..., CliRun],
    key: str,
    month: str,
    path: str,
) -> None:
    """The CSV: exact header, one row per day, plain numbers, totals = LiteLLM's = the JSON's."""
    month = resolve_month(month)
    team, alias = team_of(seed, key), alias_of(seed, key)
    run = run_cli(*export_args(seed, key, month, "csv"), path=path)
    assert run.returncode == 0, run.stderr
    header, rows = parse_csv(run.stdout)
    assert header == [CSV_HEADER]
    assert [row["date"] for row in rows] == month_days(month)
    body = run.stdout.splitlines()[1:]
    assert not any("e" in line.lower() for line in body), "a number in exponent form"
    logs, _ = truth_for(db, team, alias, month)
    where = f"{alias} {month} csv via {path}"
    for row in rows:
        assert_metrics(row, logs.days.get(row["date"], zero()), f"{where} {row['date']}")
    sums = {name: sum(row[name] for row in rows) for name in METRICS}
    assert_metrics(sums, logs.totals, f"{where} sum of rows")
    report = run_cli(*export_args(seed, key, month, "json"), path=path).json()
    assert_metrics(sums, report["totals"], f"{where} vs JSON totals")


@pytest.mark.parametrize("month", MONTHS)
@pytest.mark.parametrize("key", TENANT_KEYS)
def test_both_paths_report_identical_numbers(
    seed: Seed, run_cli: Callable[..., CliRun], key: str, month: str
) -> None:
    """Daily activity and the spend-logs fallback agree on every number."""
    month = resolve_month(month)
    daily = run_cli(*export_args(seed, key, month, "json"), path="daily_activity").json()
    logs = run_cli(*export_args(seed, key, month, "json"), path="spend_logs").json()
    for part in ("scope", "month", "budget", "key_budget", "rate_limits"):
        assert daily[part] == logs[part], part
    assert [row["date"] for row in daily["daily"]] == [row["date"] for row in logs["daily"]]
    for a, b in zip(daily["daily"], logs["daily"], strict=True):
        assert_metrics(a, b, f"{key} {month} {a['date']}")
    assert_metrics(daily["totals"], logs["totals"], f"{key} {month} totals")
    assert [m["model"] for m in daily["models"]] == [m["model"] for m in logs["models"]]


# --- company-wide and other teams ------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("month", MONTHS)
@pytest.mark.parametrize("team_name", ["team_a", "team_b"])
def test_company_wide_equals_team_total(
    seed: Seed,
    db: psycopg.Connection[Any],
    run_cli: Callable[..., CliRun],
    team_name: str,
    month: str,
    path: str,
) -> None:
    """No alias: the whole team (unaliased keys included), never the other team."""
    month = resolve_month(month)
    team = getattr(seed, team_name)
    report = run_cli(*export_args(seed, None, month, "json", team=team), path=path).json()
    assert report["scope"]["company_wide"] is True and report["scope"]["key_alias"] is None
    logs, daily = truth_for(db, team, None, month)
    assert_report(report, logs, month, f"{team_name} {month} via {path}")
    assert_report(report, daily, month, f"{team_name} {month} via {path}")
    members = [k for k in seed.keys.values() if k.team_id == team]
    per_key = [from_spend_logs(db, team, [k.token_hash], month).totals for k in members]
    for name in METRICS:
        expected = sum(totals[name] for totals in per_key)
        assert abs(report["totals"][name] - expected) <= SPEND_TOLERANCE, name


@pytest.mark.parametrize("path", PATHS)
def test_alias_of_another_team_has_no_usage(seed: Seed, run_cli: Callable[..., CliRun], path: str) -> None:
    """Team B asked for team A's alias: nothing of team A leaks across."""
    month = resolve_month(CURRENT)
    args = [*export_args(seed, None, month, "json", team=seed.team_b)]
    args += ["--key-alias", alias_of(seed, "base")]
    report = run_cli(*args, path=path).json()
    assert_metrics(report["totals"], zero(), "team B with team A's alias")
    assert report["models"] == []


# --- --tenant with a TENANTS_FILE ----------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("key", [*TENANT_KEYS, "new"])
def test_tenant_flag_equals_litellm(
    seed: Seed,
    db: psycopg.Connection[Any],
    run_cli: Callable[..., CliRun],
    key: str,
    path: str,
) -> None:
    """`--tenant NAME` reads the tenant's team and alias from the file; no alias = company-wide."""
    month = resolve_month(CURRENT)
    base = alias_of(seed, "base")
    name = {"base": base, "dev": f"{base}-dev", "prod": f"{base}-prod", "new": f"{base}-new"}[key]
    report = run_cli("export", "--tenant", name, "--month", month, "--format", "json", path=path)
    data = report.json()
    assert data["scope"]["tenant"] == name
    if key == "new":
        team, alias = seed.team_a, None
        assert data["scope"]["company_wide"] is True
    else:
        team, alias = team_of(seed, key), alias_of(seed, key)
        assert data["scope"]["key_alias"] == alias
    logs, _ = truth_for(db, team, alias, month)
    assert_report(data, logs, month, f"--tenant {name} via {path}")
    by_team = run_cli(*export_args(seed, None if key == "new" else key, month, "json", team=team))
    assert_metrics(data["totals"], by_team.json()["totals"], f"--tenant {name} vs --team")


# --- the month boundary --------------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("key", TENANT_KEYS)
def test_month_boundary_rows_land_in_exactly_one_month(
    seed: Seed, run_cli: Callable[..., CliRun], key: str, path: str
) -> None:
    """23:59:59.999 on the last day counts in that month only; 00:00:00.000 in the next only."""
    for month in (BOUNDARY_MONTH, NEXT_MONTH):
        report = run_cli(*export_args(seed, key, month, "json"), path=path).json()
        mine = [r for r in BOUNDARY_ROWS if r[0] == key and f"{r[1]:%Y-%m}" == month]
        days = {row["date"]: row for row in report["daily"]}
        where = f"{key} {month} via {path}"
        assert report["totals"]["requests"] == len(mine), where
        assert report["totals"]["input_tokens"] == sum(r[2] for r in mine), where
        assert report["totals"]["output_tokens"] == sum(r[3] for r in mine), where
        assert report["totals"]["failed_requests"] == sum(r[4] == "failure" for r in mine), where
        for day, row in days.items():
            on_day = [r for r in mine if r[1].date().isoformat() == day]
            assert row["requests"] == len(on_day), f"{where} {day}"
            assert row["input_tokens"] == sum(r[2] for r in on_day), f"{where} {day}"


# --- which endpoints each path used --------------------------------------------------------------


def test_default_path_reads_daily_activity_only(
    seed: Seed, edges: dict[str, EdgeProxy], run_cli: Callable[..., CliRun]
) -> None:
    """A current LiteLLM is read through /team/daily/activity, never the raw rows."""
    edge = edges["daily_activity"]
    edge.reset()
    args = export_args(seed, "base", resolve_month(CURRENT), "json")
    run = run_cli(*args, path="daily_activity", fresh=True)
    assert run.returncode == 0, run.stderr
    assert edge.hits("/team/daily/activity") >= 1 and edge.hits("/spend/logs") == 0, edge.paths
    direct = run_cli(*args, path="direct").json()
    assert {**direct, "as_of": None} == {**run.json(), "as_of": None}


def test_fallback_reads_spend_logs_after_a_404(
    seed: Seed, edges: dict[str, EdgeProxy], run_cli: Callable[..., CliRun]
) -> None:
    """An older LiteLLM (daily endpoint 404) is read through /spend/logs/v2."""
    edge = edges["spend_logs"]
    edge.reset()
    run = run_cli(*export_args(seed, "base", resolve_month(CURRENT), "json"), path="spend_logs", fresh=True)
    assert run.returncode == 0, run.stderr
    assert edge.hits("/team/daily/activity") >= 1 and edge.hits("/spend/logs/v2") >= 1, edge.paths


# --- budgets and limits equal /team/info ---------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("key", TENANT_KEYS)
def test_budget_and_limits_equal_team_info(
    seed: Seed, real_proxy: RealProxy, run_cli: Callable[..., CliRun], key: str, path: str
) -> None:
    """Company budget (0 is a budget), the key's own budget, rpm/tpm: as LiteLLM states them."""
    team = team_of(seed, key)
    report = run_cli(*export_args(seed, key, resolve_month(CURRENT), "json"), path=path).json()
    with httpx.Client(
        base_url=real_proxy.base_url, headers={"Authorization": f"Bearer {real_proxy.master_key}"}
    ) as client:
        body = client.get("/team/info", params={"team_id": team}).raise_for_status().json()
    info = body["team_info"]
    budget = report["budget"]
    assert budget["max_budget"] == info["max_budget"]
    assert abs(budget["spend"] - info["spend"]) <= SPEND_TOLERANCE
    assert info["spend"] > 0
    if info["max_budget"] is None:
        assert budget["remaining"] is None
    else:
        assert abs(budget["remaining"] - max(info["max_budget"] - info["spend"], 0.0)) <= 1e-9
    assert same_instant(budget["reset_at"], info["budget_reset_at"])
    assert report["rate_limits"] == {"rpm": info["rpm_limit"], "tpm": info["tpm_limit"]}
    own = [k for k in body["keys"] if k["token"] == seed.keys[key].token_hash]
    assert len(own) == 1
    if own[0]["max_budget"] is None:
        assert report["key_budget"] is None
    else:
        assert report["key_budget"]["max_budget"] == own[0]["max_budget"]
        assert abs(report["key_budget"]["spend"] - own[0]["spend"]) <= SPEND_TOLERANCE
        remaining = max(own[0]["max_budget"] - own[0]["spend"], 0.0)
        assert abs(report["key_budget"]["remaining"] - remaining) <= SPEND_TOLERANCE


def same_instant(ours: str | None, theirs: str | None) -> bool:
    """Two ISO timestamps name the same instant (naive means UTC), or both are absent."""
    if ours is None or theirs is None:
        return ours is theirs

    def parse(text: str) -> datetime:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    return parse(ours) == parse(theirs)


# --- failures against the real proxy -------------------------------------------------------------


def assert_clean_failure(run: CliRun, code: int, *secrets: str) -> None:
    """Exit `code`, no stdout; stderr: an export's audit line, then one error line; no traceback or secret."""
    assert run.returncode == code, (run.returncode, run.stderr)
    assert run.stdout == ""
    *audit, error = run.stderr.splitlines()
    assert error.startswith("usage-dashboard: error: "), run.stderr
    audited = [json.loads(line)["outcome"] for line in audit]
    assert len(audited) == (run.args[0] == "export") and set(audited) <= {"refused", "error"}, run.stderr
    assert "Traceback" not in run.stderr
    for secret in secrets:
        assert secret not in run.stderr


def test_wrong_master_key_exits_3(seed: Seed, real_proxy: RealProxy, run_cli: Callable[..., CliRun]) -> None:
    """LiteLLM refuses the key: exit 3, one line, neither key shown."""
    wrong = f"sk-wrong-{seed.suffix}"
    run = run_cli(*export_args(seed, "base", resolve_month(CURRENT), "json"), master_key=wrong)
    assert_clean_failure(run, 3, wrong, real_proxy.master_key)


def test_unknown_team_exits_2(seed: Seed, real_proxy: RealProxy, run_cli: Callable[..., CliRun]) -> None:
    """A team id LiteLLM does not know is bad input: exit 2, one line saying so."""
    missing = f"no-such-team-{seed.suffix}"
    run = run_cli("export", "--team", missing, "--format", "json")
    assert_clean_failure(run, 2, real_proxy.master_key)
    assert missing in run.stderr and "not found" in run.stderr.lower()


def test_unknown_tenant_exits_2(seed: Seed, real_proxy: RealProxy, run_cli: Callable[..., CliRun]) -> None:
    """A tenant not in the file: exit 2, one line."""
    run = run_cli("export", "--tenant", f"nobody-{seed.suffix}", "--format", "csv")
    assert_clean_failure(run, 2, real_proxy.master_key)


def test_unreachable_proxy_exits_3(seed: Seed, real_proxy: RealProxy, run_cli: Callable[..., CliRun]) -> None:
    """Nothing listens at LITELLM_BASE_URL: exit 3 after the retries, one line."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    run = run_cli(*export_args(seed, "base", resolve_month(CURRENT), "csv"), base_url=closed)
    assert_clean_failure(run, 3, real_proxy.master_key)


# --- a month that needs many pages on both paths -------------------------------------------------


def test_bulk_month_exceeds_one_page_everywhere(
    seed: Seed, db: psycopg.Connection[Any], bulk_month: str
) -> None:
    """More than 10,000 raw rows (the v2 `total` cap), more than 1,000 daily rows, tied startTimes."""
    with db.cursor() as cur:
        cur.execute(
            'SELECT count(*), count(DISTINCT "startTime") FROM "LiteLLM_SpendLogs" '
            "WHERE team_id = %s AND to_char(\"startTime\", 'YYYY-MM') = %s",
            (seed.team_a, bulk_month),
        )
        rows, instants = cur.fetchone() or (0, 0)
        cur.execute(
            'SELECT count(*) FROM "LiteLLM_DailyTeamSpend" WHERE team_id = %s AND date LIKE %s',
            (seed.team_a, f"{bulk_month}-%"),
        )
        (daily_rows,) = cur.fetchone() or (0,)
    assert rows > 10_000 and daily_rows > 1_000 and instants < rows
    for key in ("base", "dev", None):
        logs, daily = truth_for(db, seed.team_a, None if key is None else alias_of(seed, key), bulk_month)
        assert set(logs.days) == set(daily.days)
        assert_metrics(daily.totals, logs.totals, f"bulk {key}")


@pytest.mark.parametrize("key", ["base", None])
def test_bulk_month_daily_activity_reads_every_page(
    seed: Seed,
    db: psycopg.Connection[Any],
    run_cli: Callable[..., CliRun],
    bulk_month: str,
    key: str | None,
) -> None:
    """Days split across /team/daily/activity pages are merged, never taken from one page."""
    alias = None if key is None else alias_of(seed, key)
    report = run_cli(
        *export_args(seed, key, bulk_month, "json", team=seed.team_a), path="daily_activity"
    ).json()
    logs, daily = truth_for(db, seed.team_a, alias, bulk_month)
    assert_report(report, daily, bulk_month, f"bulk {key} daily activity")
    assert_report(report, logs, bulk_month, f"bulk {key} daily activity")


def test_bulk_month_spend_logs_reads_past_the_cap(
    seed: Seed, db: psycopg.Connection[Any], run_cli: Callable[..., CliRun], bulk_month: str
) -> None:
    """The fallback reads every raw row: past the 10,000 cap and across tied startTimes."""
    report = run_cli(*export_args(seed, None, bulk_month, "json", team=seed.team_a), path="spend_logs").json()
    logs, _ = truth_for(db, seed.team_a, None, bulk_month)
    assert_report(report, logs, bulk_month, "bulk company-wide via spend logs")

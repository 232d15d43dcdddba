"""The benchmark's baseline and data are what they claim: the original's bugs, real-shaped rows.

No timings here: benchmarks/ measures those. These check that the comparison is honest.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from benchmarks.dataset import ALIASES, TENANT_ALIAS, TeamMonth
from benchmarks.demo_backend import benchmark_month, calibrated_team, truth
from benchmarks.original import month_bounds, original_usage
from benchmarks.rows import COPY_COLUMNS, RowRenderer
from usage_core.demo import DemoLiteLLM
from usage_core.months import Month

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)


@pytest.fixture
def local_tz(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Set the process time zone (as the original's server would have had one)."""

    def set_tz(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield set_tz
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(
    ("tz", "month", "bounds"),
    [
        ("UTC", "2026-10", ("2026-10-01", "2026-10-31")),
        ("UTC", "2026-12", ("2026-12-01", "2026-12-31")),  # JS month overflow into next year
        ("UTC", "2024-02", ("2024-02-01", "2024-02-29")),
        # East of UTC, local midnight is the previous day in UTC: the original's range shifts.
        ("Europe/Berlin", "2026-10", ("2026-09-30", "2026-10-30")),
        ("America/New_York", "2026-10", ("2026-10-01", "2026-10-31")),
    ],
)
def test_original_month_bounds_are_local_time_then_utc_dates(
    local_tz: object, tz: str, month: str, bounds: tuple[str, str]
) -> None:
    local_tz(tz)  # type: ignore[operator]
    assert month_bounds(month) == bounds


def test_original_port_drops_the_last_day_and_rows_past_the_cap() -> None:
    team = calibrated_team(15_000, NOW)
    emulator = DemoLiteLLM(now=NOW, teams=(team,), master_key="k")
    seen: list[httpx.Request] = []
    emulator.on_request = seen.append
    expected = truth(team, NOW)
    with httpx.Client(
        base_url="http://litellm.test",
        headers={"Authorization": "Bearer k"},
        transport=httpx.MockTransport(emulator),
    ) as http:
        body = original_usage(http, team.team_id, "bench", str(benchmark_month(NOW)))

    spend_pages = [r for r in seen if r.url.path == "/spend/logs/v2"]
    assert len(spend_pages) == 100  # total_pages from the capped total of 10,000
    assert {r.url.params["page_size"] for r in spend_pages} == {"100"}
    assert [int(r.url.params["page"]) for r in spend_pages] == list(range(1, 101))
    assert spend_pages[0].url.params["end_date"] == "2026-10-31"  # date-only: 00:00:00
    days = {d["date"] for d in body["dailyUsage"]}
    assert "2026-10-31" not in days and expected["last_day_requests"] > 0
    assert body["currentPeriod"]["requestCount"] < expected["totals"]["requests"]
    # exact alias post-filter: siblings (bench-1 ...) never counted
    assert body["keyAlias"] == "bench"


def test_original_port_remaining_is_null_for_a_zero_budget() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/team/info":
            return httpx.Response(200, json={"team_info": {"max_budget": 0, "spend": 0.5}})
        return httpx.Response(200, json={"data": [], "total": 0, "total_pages": 0})

    with httpx.Client(base_url="http://x", transport=httpx.MockTransport(handler)) as http:
        body = original_usage(http, "t", None, "2026-10")
    assert body["budget"] == {"maxBudget": 0, "spend": 0.5, "remaining": None}


def test_rendered_rows_carry_the_generated_values() -> None:
    tm = TeamMonth.generate(500, Month(2026, 10), team_id="team-x", tokens=tuple("abcde"))
    renderer = RowRenderer(tm)
    rows = json.loads("[" + renderer.json_rows(range(tm.n)) + "]")
    c = tm.columns
    assert [r["prompt_tokens"] for r in rows] == c["prompt"].tolist()
    assert [r["spend"] for r in rows] == c["spend"].tolist()
    assert [r["metadata"]["user_api_key_alias"] for r in rows] == [ALIASES[k] for k in c["key"]]
    assert rows[-1]["startTime"] == "2026-10-31T23:59:59.999+00:00"
    assert rows[0]["startTime"] == "2026-10-01T00:00:00.000+00:00"
    assert len({r["request_id"] for r in rows}) == tm.n
    assert {r["status"] for r in rows} == {"success", "failure"}
    assert all(r["spend"] == 0 for r in rows if r["status"] == "failure")
    t = tm.truth(TENANT_ALIAS)
    mine = [r for r in rows if r["metadata"]["user_api_key_alias"] == TENANT_ALIAS]
    assert t.requests == len(mine)
    assert t.input_tokens == sum(r["prompt_tokens"] for r in mine)


def test_copy_lines_have_one_field_per_column_and_valid_metadata() -> None:
    tm = TeamMonth.generate(50, Month(2026, 10), team_id="team-x", tokens=tuple("abcde"))
    lines = RowRenderer(tm).copy_lines(range(tm.n)).splitlines()
    assert len(lines) == tm.n
    for line in lines:
        fields = line.split("\t")
        assert len(fields) == len(COPY_COLUMNS)
        metadata = fields[COPY_COLUMNS.index("metadata")].replace("\\\\", "\\")
        assert json.loads(metadata)["user_api_key_team_id"] == "team-x"


# -- the load benchmark's pure helpers (benchmarks/load_*.py) ------------------------------------


def _forward(**fields: object) -> bytes:
    """A serialized ForwardMsg, built the way the server builds one."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    message = ForwardMsg()
    for name, value in fields.items():
        if name == "script_finished":
            message.script_finished = value  # type: ignore[assignment]
        elif name == "auth_redirect":
            message.auth_redirect.url = value  # type: ignore[assignment]
        elif name == "query":
            message.page_info_changed.query_string = value  # type: ignore[assignment]
        elif name == "page_hash":
            message.new_session.page_script_hash = value  # type: ignore[assignment]
        else:
            element = message.delta.new_element
            if name == "h1":
                element.heading.tag, element.heading.body = "h1", value  # type: ignore[assignment]
            elif name == "h3":
                element.heading.tag, element.heading.body = "h3", value  # type: ignore[assignment]
            elif name == "button":
                label, widget_id, disabled = value  # type: ignore[misc]
                element.button.label, element.button.id, element.button.disabled = label, widget_id, disabled
            elif name == "metric":
                element.metric.label = value  # type: ignore[assignment]
            elif name == "exception":
                element.exception.type, element.exception.message = value  # type: ignore[misc]
            elif name == "signal":
                component, widget_id = value  # type: ignore[misc]
                element.bidi_component.component_name, element.bidi_component.id = component, widget_id
            elif name in ("error", "warning"):
                from streamlit.proto.Alert_pb2 import Alert

                element.alert.body = value  # type: ignore[assignment]
                element.alert.format = Alert.ERROR if name == "error" else Alert.WARNING
    return message.SerializeToString()


def test_rerun_message_carries_query_page_and_pressed_button() -> None:
    from streamlit.proto.BackMsg_pb2 import BackMsg

    from benchmarks.load_protocol import rerun_message

    message = BackMsg()
    message.ParseFromString(
        rerun_message(
            "tenant=acme-dev&month=2026-10", "abc123", trigger="$$ID-1-refresh", cached_hashes={"h2", "h1"}
        )
    )
    assert message.WhichOneof("type") == "rerun_script"
    state = message.rerun_script
    assert (state.query_string, state.page_script_hash) == ("tenant=acme-dev&month=2026-10", "abc123")
    assert [(w.id, w.trigger_value) for w in state.widget_states.widgets] == [("$$ID-1-refresh", True)]
    assert list(state.cached_message_hashes) == ["h1", "h2"]

    plain = BackMsg()
    plain.ParseFromString(rerun_message(""))
    assert len(plain.rerun_script.widget_states.widgets) == 0


def test_the_top_drawn_report_reruns_the_page_with_the_signals_trigger() -> None:
    from streamlit.components.v2.bidi_component.main import _make_trigger_id
    from streamlit.proto.BackMsg_pb2 import BackMsg

    from benchmarks.load_protocol import PageRun, rerun_message
    from dashboard.below_fold import SIGNAL_COMPONENT

    run = PageRun()
    run.add(_forward(signal=("someone.else", "$$ID-other")))
    assert run.signal is None  # only the dashboard's own signal counts
    run.add(_forward(signal=(SIGNAL_COMPONENT, "$$ID-5-top_drawn_signal")))
    assert run.signal == "$$ID-5-top_drawn_signal"

    message = BackMsg()
    message.ParseFromString(rerun_message("tenant=acme-dev", "page-1", signal=run.signal))
    state = message.rerun_script
    assert (state.fragment_id, state.page_script_hash) == ("", "page-1")  # the whole page
    (widget,) = state.widget_states.widgets
    assert widget.id == _make_trigger_id("$$ID-5-top_drawn_signal", "events")
    assert json.loads(widget.json_trigger_value) == [{"event": "drawn", "value": True}]


def test_page_run_folds_a_successful_run() -> None:
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    from benchmarks.load_protocol import PageRun

    run = PageRun()
    for raw in (
        _forward(page_hash="page-1"),
        _forward(query="tenant=acme-dev&month=2026-10"),
        _forward(button=("Refresh", "$$ID-9-refresh", False)),
        _forward(h1="Acme Development - October 2026"),
        _forward(h3="By model"),
        *(_forward(metric=label) for label in ("Spend", "Input", "Output", "Requests")),
        _forward(warning="a notice"),
    ):
        run.add(raw)
        assert not run.done
    run.add(_forward(script_finished=ForwardMsg.FINISHED_SUCCESSFULLY))
    assert run.done and run.succeeded
    assert run.headings == ["Acme Development - October 2026"]
    assert run.buttons["Refresh"].id == "$$ID-9-refresh" and not run.buttons["Refresh"].disabled
    assert (run.page_script_hash, run.query_string) == ("page-1", "tenant=acme-dev&month=2026-10")
    assert (run.metrics, run.warnings, run.messages) == (4, ["a notice"], 11)


def test_page_run_failures_and_endings() -> None:
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    from benchmarks.load_protocol import PageRun

    raised = PageRun()
    raised.add(_forward(exception=("KeyError", "'x'")))
    raised.add(_forward(script_finished=ForwardMsg.FINISHED_EARLY_FOR_RERUN))
    assert not raised.done  # a rerun follows: the run is not over
    raised.add(_forward(script_finished=ForwardMsg.FINISHED_SUCCESSFULLY))
    assert raised.done and not raised.succeeded and raised.exceptions == ["KeyError: 'x'"]

    boxed = PageRun()
    boxed.add(_forward(error="We could not load usage data right now."))
    boxed.add(_forward(script_finished=ForwardMsg.FINISHED_SUCCESSFULLY))
    assert not boxed.succeeded

    broken = PageRun()
    broken.add(_forward(script_finished=ForwardMsg.FINISHED_WITH_COMPILE_ERROR))
    assert broken.done and not broken.succeeded

    login = PageRun()
    login.add(_forward(auth_redirect="/auth/login?provider=token"))
    assert login.done and login.auth_redirect == "/auth/login?provider=token"


@pytest.mark.parametrize(
    ("samples", "q", "expected"),
    [
        ([5.0], 50, 5.0),
        ([5.0], 95, 5.0),
        ([1.0, 2.0, 3.0, 4.0], 50, 2.5),
        ([4.0, 1.0, 3.0, 2.0], 0, 1.0),  # unsorted input
        ([4.0, 1.0, 3.0, 2.0], 100, 4.0),
        (list(map(float, range(1, 101))), 95, 95.05),
        (list(map(float, range(1, 21))), 95, 19.05),
    ],
)
def test_percentile_interpolates_between_closest_ranks(
    samples: list[float], q: float, expected: float
) -> None:
    from benchmarks.load_stats import percentile

    assert percentile(samples, q) == pytest.approx(expected)


def test_percentile_refuses_nothing_and_out_of_range() -> None:
    from benchmarks.load_stats import percentile

    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1.0], 101)


@pytest.mark.parametrize(
    ("team_months", "window", "ttl", "presses", "expected"),
    [
        (9, 59.9, 60, 0, 9),  # one TTL period: one read per team-month
        (9, 60.0, 60, 0, 18),  # a read at 0 s may expire and be read again at 60 s
        (9, 65.0, 60, 0, 18),
        (9, 125.0, 60, 0, 27),
        (3, 30.0, 10, 4, 3 * 4 + 4),  # every Refresh may drop one read
    ],
)
def test_reads_bound(team_months: int, window: float, ttl: float, presses: int, expected: int) -> None:
    from benchmarks.load_stats import reads_bound

    assert reads_bound(team_months, window, ttl, presses) == expected


def test_reads_by_team_month_counts_first_pages_of_daily_activity_only() -> None:
    from benchmarks.load_stats import reads_by_team_month

    log = [
        {"path": "/team/daily/activity", "team": "t1", "month": "2026-10", "page": "1"},
        {"path": "/team/daily/activity", "team": "t1", "month": "2026-10", "page": "2"},  # same read
        {"path": "/team/daily/activity", "team": "t1", "month": "2026-11", "page": "1"},
        {"path": "/team/daily/activity", "team": "t1", "month": "2026-10", "page": "1"},
        {"path": "/team/info", "team": "t1", "month": None, "page": None},
    ]
    assert reads_by_team_month(log) == {"t1 2026-10": 2, "t1 2026-11": 1}


def test_load_section_replaces_only_itself(tmp_path: Path) -> None:
    from benchmarks.load_report import write_section

    path = tmp_path / "results.md"
    path.write_text("# Benchmark results\n\n## Targets\n\nkept\n")
    write_section(path, "## Load: 50 websocket sessions\n\nfirst\n")
    assert (
        path.read_text()
        == "# Benchmark results\n\n## Targets\n\nkept\n\n## Load: 50 websocket sessions\n\nfirst\n"
    )
    path.write_text(path.read_text() + "\n## Later\n\nalso kept\n")
    write_section(path, "## Load: 10 websocket sessions\n\nsecond\n")
    assert path.read_text() == (
        "# Benchmark results\n\n## Targets\n\nkept\n\n## Load: 10 websocket sessions\n\nsecond\n"
        "\n## Later\n\nalso kept\n"
    )


def test_load_json_keeps_every_value_with_one_log_entry_per_line() -> None:
    from benchmarks.load_report import to_json

    results = {
        "options": {"sessions": 2},
        "runs": [
            {
                "run": 1,
                "page_run_log": [{"ms": 1.5, "ok": True}, {"ms": 2.0, "ok": False}],
                "upstream_log": [],
            },
            {"run": 2, "rss_samples": [[0.5, 100], [1.0, 120]]},
        ],
    }
    text = to_json(results)
    assert json.loads(text) == results
    assert '   {"ms": 1.5, "ok": true},\n' in text
    assert "   [0.5, 100],\n" in text


def test_load_personas_see_only_their_tenants_and_plans_are_seeded() -> None:
    from benchmarks.load_workload import SessionPlan, personas

    people = {p.key: p for p in personas()}
    assert {"member", "owner", "admin"} <= set(people)
    assert {t.name for t in people["member"].tenants} == {"acme-prod", "acme-dev"}
    assert {t.org_id for t in people["owner"].tenants} == {"globex"}
    assert len(people["admin"].tenants) == 8
    months = [Month(2026, 12), Month(2026, 11), Month(2026, 10)]

    def walk(seed: int) -> list[tuple[str, str, str]]:
        plan = SessionPlan(people["member"], months, seed)
        view = plan.first()
        steps = [("open", view.query_string, view.title)]
        for _ in range(30):
            action, view = plan.next(view)
            steps.append((action, view.query_string, view.title))
            assert view.tenant in people["member"].tenants and view.month in months
        return steps

    assert walk(1) == walk(1)
    assert walk(1) != walk(2)
    assert {action for action, _, _ in walk(3)[1:]} == {"rerun", "month", "tenant", "refresh"}


def test_load_view_reads_nothing_for_a_tenant_without_a_key() -> None:
    from benchmarks.load_workload import personas, view
    from usage_core.demo import DEMO_TENANTS

    people = {p.key: p for p in personas()}
    ml_lab = next(t for t in DEMO_TENANTS if t.name == "globex-ml")  # team set, no key alias yet
    month = Month(2026, 10)
    assert view(people["owner"], ml_lab, month).team_month == ("team-globex-19c2", "2026-10")  # company-wide
    assert view(people["member-gina"], ml_lab, month).team_month is None  # "not available yet"
    assert view(people["owner"], ml_lab, month).title == "Globex ML Lab - October 2026"

"""Chart builders and on-screen text: whole-month axes, the partial day, projection, last month's overlay,
patterns and palette, exact hover values, theme-neutral figures, each chart's table, budgets."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from usage_core import charts, display, forecast
from usage_core.access import Scope
from usage_core.comparison import Delta, PreviousPeriod
from usage_core.identity import Role, User
from usage_core.litellm import TeamInfo
from usage_core.months import Month
from usage_core.reports import Budget, TeamSnapshot, UsageReport, build_report
from usage_core.usage import SOURCE_DAILY_ACTIVITY, Metrics, TeamUsage, UsageSlice

NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
MONTH = Month(2026, 10)
SCOPE = Scope("team-1", "acme-prod", "Acme Production", "acme-prod")


def report(spend: float = 0.000062, budget: float | None = 100.0):  # type: ignore[no-untyped-def]
    """A hand-made October report: two active days, the rest zero."""
    days = {
        date(2026, 10, 3): Metrics(1200, 300, 1500, 4, 3, 1, spend),
        date(2026, 10, 31): Metrics(10, 5, 15, 1, 1, 0, 1.5),
    }
    usage_slice = UsageSlice(daily=days, models={"gpt-4o": Metrics.total(days.values())})
    usage = TeamUsage("team-1", MONTH, usage_slice, {"acme-prod": usage_slice}, SOURCE_DAILY_ACTIVITY, NOW)
    team = TeamInfo("team-1", "Acme", budget, 80.0, "30d", datetime(2026, 12, 1, tzinfo=UTC), 600, None)
    return build_report(SCOPE, MONTH, TeamSnapshot(team, (), usage), now=NOW)


# October 2026 read on the 15th at 09:30 UTC: days 1-15 shown (the 15th still running), 16-31 to come.
TODAY = datetime(2026, 10, 15, 9, 30, tzinfo=UTC)
SEPTEMBER = Month(2026, 9)


def _usage(month: Month, days: dict[date, Metrics], fetched_at: datetime) -> TeamUsage:
    usage_slice = UsageSlice(daily=days, models={"gpt-4o": Metrics.total(days.values())})
    return TeamUsage(
        "team-1", month, usage_slice, {"acme-prod": usage_slice}, SOURCE_DAILY_ACTIVITY, fetched_at
    )


def current_report(*, previous: bool = True) -> UsageReport:
    """October as of the 15th: $2 and 10 requests (1 failed) a day; September $1 a day, 5 requests."""
    days = {date(2026, 10, d): Metrics(100 * d, 10 * d, 110 * d, 10, 9, 1, 2.0) for d in range(1, 16)}
    sept = {date(2026, 9, d): Metrics(50, 5, 55, 5, 5, 0, 1.0 + d / 100) for d in range(1, 31)}
    team = TeamInfo("team-1", "Acme", 500.0, 100.0, "30d", datetime(2026, 11, 1, tzinfo=UTC), 600, None)
    snapshot = TeamSnapshot(team, (), _usage(MONTH, days, TODAY))
    before = _usage(SEPTEMBER, sept, TODAY) if previous else None
    return build_report(SCOPE, MONTH, snapshot, now=TODAY, previous=before)


def drawn(trace) -> list[tuple[date, float]]:  # type: ignore[no-untyped-def]
    """A trace's (day, value) points that are drawn (None is an empty slot)."""
    return [(_day(x), y) for x, y in zip(trace.x, trace.y, strict=True) if y is not None]


def _day(x: object) -> date:
    return x if isinstance(x, date) else date.fromisoformat(str(x)[:10])


def by_name(fig, name: str):  # type: ignore[no-untyped-def]
    (trace,) = [t for t in fig.data if t.name == name]
    return trace


def test_daily_spend_has_a_bar_per_day_usd_axis_and_exact_hover() -> None:
    fig = charts.daily_spend(report())
    (bar,) = fig.data
    assert len(bar.x) == 31 and bar.y[2] == pytest.approx(0.000062)
    assert bar.customdata[2] == "$0.000062 USD"  # unrounded, no exponent
    assert bar.hovertemplate == "Spend: %{customdata}<extra></extra>"
    assert fig.layout.yaxis.title.text == "Spend (USD)"
    assert fig.layout.xaxis.title.text == "Day (UTC)"
    assert "(UTC)" in fig.layout.xaxis.hoverformat


# -- the whole month, today partial, future days empty -------------------------------------------


@pytest.mark.parametrize("build", [charts.daily_spend, charts.daily_tokens, charts.daily_requests])
def test_every_daily_chart_spans_the_whole_month_with_future_days_empty(build) -> None:  # type: ignore[no-untyped-def]
    fig = build(current_report())
    month_days = [date(2026, 10, d) for d in range(1, 32)]
    for bar in (t for t in fig.data if t.type == "bar"):
        assert [_day(x) for x in bar.x] == month_days
        assert all(y is not None for y in bar.y[:15]) and all(y is None for y in bar.y[15:])
    assert fig.layout.xaxis.range == ("2026-09-30 12:00", "2026-10-31 12:00")
    assert fig.layout.xaxis.title.text == "Day (UTC)"


@pytest.mark.parametrize("build", [charts.daily_spend, charts.daily_tokens, charts.daily_requests])
def test_today_is_marked_partial_by_a_label_a_shaded_column_and_a_lighter_bar(build) -> None:  # type: ignore[no-untyped-def]
    fig = build(current_report())
    (label,) = fig.layout.annotations
    assert label.text == "partial" and _day(label.x) == date(2026, 10, 15)
    (column,) = fig.layout.shapes
    assert (column.x0, column.x1) == ("2026-10-14 12:00", "2026-10-15 12:00")
    for bar in (t for t in fig.data if t.type == "bar"):
        opacity = list(bar.marker.opacity)
        assert opacity[14] == charts.PARTIAL_OPACITY and set(opacity[:14] + opacity[15:]) == {1.0}
    assert fig.data[0].customdata[14].endswith(", partial day")


def test_a_past_month_has_no_partial_day_and_no_projection() -> None:
    past = report()
    fig = charts.daily_spend(past)
    assert charts.partial_day(past) is None
    assert not fig.layout.annotations and not fig.layout.shapes and fig.data[0].marker.opacity is None
    assert [t.name for t in fig.data] == ["Spend"]
    assert past.forecast.projected_spend == pytest.approx(past.totals.spend)  # actuals


# -- projection ----------------------------------------------------------------------------------


def test_the_current_month_gets_the_forecasts_projection_as_a_dashed_line() -> None:
    current = current_report()
    fig = charts.daily_spend(current)
    projection = by_name(fig, "At this pace (projected)")
    assert projection.type == "scatter" and projection.line.dash == "dash"
    expected = forecast.projected_series(MONTH, TODAY, current.forecast.pace.per_day)
    assert drawn(projection) == [(p.day, p.value) for p in expected]
    assert drawn(projection) == [(p.day, p.value) for p in current.forecast.projected_daily]
    assert drawn(projection)[0] == (date(2026, 10, 15), pytest.approx(2.0))  # today to the 31st
    assert projection.customdata[14] == "$2.0 USD/day"  # exact, as the CSV writes it


def test_tokens_and_requests_have_no_projection() -> None:
    for build in (charts.daily_tokens, charts.daily_requests):
        assert all(t.type == "bar" for t in build(current_report()).data)


# -- last month's overlay ------------------------------------------------------------------------


def test_the_overlay_puts_last_months_days_on_this_months_by_day_of_month() -> None:
    current = current_report()
    assert [t.name for t in charts.daily_spend(current).data] == ["Spend", "At this pace (projected)"]
    fig = charts.daily_spend(current, compare=True)
    overlay = by_name(fig, "September 2026 (same day)")
    assert overlay.line.dash == "dot" and overlay.mode == "lines+markers"
    points = drawn(overlay)
    assert points[0] == (date(2026, 10, 1), pytest.approx(1.01))
    assert points[-1] == (date(2026, 10, 30), pytest.approx(1.30))  # September has no 31st
    assert overlay.y[30] is None
    assert overlay.customdata[2] == "Sep 3: $1.03 USD"


def test_the_overlay_of_stacked_charts_is_last_months_stack_height() -> None:
    current = current_report()
    tokens = by_name(charts.daily_tokens(current, compare=True), "September 2026 (same day)")
    requests = by_name(charts.daily_requests(current, compare=True), "September 2026 (same day)")
    assert set(tokens.y[:30]) == {55} and set(requests.y[:30]) == {5}


def test_no_overlay_without_last_months_data() -> None:
    fig = charts.daily_spend(current_report(previous=False), compare=True)
    assert [t.name for t in fig.data] == ["Spend", "At this pace (projected)"]


# -- not colour alone: patterns, palette ------------------------------------------------------------


def test_failed_requests_and_output_tokens_carry_a_pattern() -> None:
    successful, failed = charts.daily_requests(current_report()).data
    assert failed.marker.pattern.shape == charts.FAILED_PATTERN == "x"
    assert not successful.marker.pattern.shape
    inputs, outputs = charts.daily_tokens(current_report()).data
    assert outputs.marker.pattern.shape == "/" and not inputs.marker.pattern.shape
    assert [t.name for t in (successful, failed)] == ["Successful", "Failed"]  # the legend names them


@pytest.mark.parametrize("build", [charts.daily_spend, charts.daily_tokens, charts.daily_requests])
def test_colours_come_from_the_okabe_ito_palette(build) -> None:  # type: ignore[no-untyped-def]
    fig = build(current_report(), compare=True)
    colours = {t.marker.color if t.type == "bar" else t.line.color for t in fig.data}
    assert colours <= {*charts.OKABE_ITO, charts.NEUTRAL}
    assert len(colours) == len(fig.data)  # no two series share a colour within a chart


def test_gauge_colours_come_from_the_palette() -> None:
    for spend in (10.0, 90.0, 120.0):
        (gauge,) = charts.budget_gauge(Budget.of(100.0, spend, None)).data
        assert gauge.gauge.bar.color in charts.OKABE_ITO


# -- the table alternative -----------------------------------------------------------------------


@pytest.mark.parametrize("chart", [charts.spend_chart, charts.tokens_chart, charts.requests_chart])
def test_each_charts_table_holds_exactly_the_figures_numbers(chart) -> None:  # type: ignore[no-untyped-def]
    built = chart(current_report(), compare=True)
    table, fig = charts.table_of(built), charts.figure(built)
    assert table.columns[:2] == ("Date (UTC)", "Day") and len(table.rows) == 31
    for column, trace in zip(table.columns[2:], fig.data, strict=True):
        assert column.startswith(trace.name)
        assert [row[table.columns.index(column)] for row in table.rows] == list(trace.y)
    statuses = [row[1] for row in table.rows]
    assert statuses[13:16] == ["complete", "partial (today so far)", "not yet"]


def test_the_alt_text_says_what_the_figure_shows() -> None:
    text = charts.alt_text(charts.spend_chart(current_report(), compare=True))
    assert "per UTC day of October 2026" in text and "dashed line" in text
    assert "Oct 15 is partial" in text and "September 2026 (same day)" in text


def test_tokens_are_input_and_output_stacked_in_tokens() -> None:
    fig = charts.daily_tokens(report())
    assert [t.name for t in fig.data] == ["Input tokens", "Output tokens"]
    assert fig.layout.barmode == "stack"
    assert fig.data[0].y[2] == 1200 and fig.data[1].y[2] == 300
    assert fig.layout.yaxis.title.text == "Tokens"
    assert (fig.data[0].customdata[2], fig.data[1].customdata[2]) == ("1,200 tokens", "300 tokens")
    assert fig.data[0].hovertemplate == "Input tokens: %{customdata}<extra></extra>"


def test_requests_split_successful_and_failed() -> None:
    fig = charts.daily_requests(report())
    assert [t.name for t in fig.data] == ["Successful", "Failed"]
    assert (fig.data[0].y[2], fig.data[1].y[2]) == (3, 1)
    assert fig.layout.yaxis.title.text == "Requests"


@pytest.mark.parametrize("build", [charts.daily_spend, charts.daily_tokens, charts.daily_requests])
def test_figures_leave_backgrounds_and_text_colour_to_the_theme(build) -> None:  # type: ignore[no-untyped-def]
    fig = build(report())
    assert fig.layout.paper_bgcolor == "rgba(0,0,0,0)" and fig.layout.plot_bgcolor == "rgba(0,0,0,0)"
    assert fig.layout.font.color is None  # no fixed text colour: the theme supplies it


@pytest.mark.parametrize(
    ("max_budget", "spend", "level"),
    [
        (None, 5.0, "none"),
        (100.0, 10.0, "ok"),
        (100.0, 80.0, "warning"),
        (100.0, 100.0, "warning"),
        (100.0, 100.01, "over"),
        (0.0, 0.0, "over"),  # a zero budget is a budget, and it is used up
    ],
)
def test_budget_level(max_budget: float | None, spend: float, level: str) -> None:
    assert charts.budget_level(Budget.of(max_budget, spend, None)) == level


def test_budget_gauge_is_an_indicator_with_the_limit_as_threshold() -> None:
    fig = charts.budget_gauge(Budget.of(100.0, 120.0, None))
    (gauge,) = fig.data
    assert gauge.type == "indicator" and gauge.value == 120.0
    assert gauge.gauge.threshold.value == 100.0
    assert gauge.gauge.axis.range[1] >= 120.0  # the overspend stays on the dial
    assert gauge.number.prefix == "$"


def test_a_zero_budget_still_draws_a_dial() -> None:
    (gauge,) = charts.budget_gauge(Budget.of(0.0, 0.0, None)).data
    assert gauge.gauge.axis.range[1] > 0 and gauge.gauge.threshold.value == 0.0


def test_no_budget_has_no_gauge() -> None:
    with pytest.raises(ValueError, match="No budget set"):
        charts.budget_gauge(Budget.of(None, 3.0, None))


# -- on-screen text --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.0, "$0.00"), (1234.5, "$1,234.50"), (0.000062, "$0.0001"), (0.004, "$0.0040"), (-2.0, "$-2.00")],
)
def test_usd(value: float, text: str) -> None:
    assert display.usd(value) == text


def test_exact_usd_and_counts() -> None:
    assert display.usd_exact(6.2e-05) == "$0.000062"
    assert display.count(1234567) == "1,234,567"
    assert display.limit(None, "rpm") == "unlimited" and display.limit(1000, "tpm") == "1,000 tpm"


def test_budget_texts() -> None:
    reset = Budget.of(100.0, 25.0, datetime(2026, 12, 1, 0, 0, tzinfo=UTC))
    assert display.resets(reset) == "resets Dec 1, 2026"
    assert display.budget_summary(reset) == "$25.00 of $100.00 · $75.00 remaining"
    assert display.budget_summary(Budget.of(0.0, 0.0, None)) == "$0.00 of $0.00 · $0.00 remaining"
    assert display.budget_summary(Budget.of(10.0, 12.0, None)).endswith("· over budget")
    assert display.budget_summary(Budget.of(None, 3.0, None)).startswith("No budget set")
    assert display.resets(Budget.of(None, 3.0, None)) == "does not reset"


def test_title_badges_and_file_names() -> None:
    member = User("s", "a@x", "A", "acme", Role.USER)
    admin = User("p", "p@x", "P", "platform", Role.PLATFORM_ADMIN)
    whole = Scope("team-1", None, "Acme (company-wide)", "acme-ml")
    team = Scope("team/1", "alias one", "x")
    assert display.title("Acme Production", MONTH) == "Acme Production - October 2026"
    assert display.badges(SCOPE, member, demo=False) == []
    assert display.badges(whole, admin, demo=True) == ["company-wide", "viewing as admin", "demo data"]
    assert display.csv_file_name(SCOPE, MONTH) == "usage-acme-prod-2026-10.csv"
    assert display.csv_file_name(team, MONTH) == "usage-team_1-alias_one-2026-10.csv"  # no path tricks
    assert display.heading(team, None, "Acme") == ("Acme", "alias one")  # shortened one by one
    assert display.heading(Scope("t", None, "x"), None, None) == ("Team t",)
    assert display.heading(team, "Acme Production", "Acme") == ("Acme Production",)
    banner = display.admin_banner(Scope("team-1", "k" * 10_000, "x"), MONTH, "T" * 10_000)
    assert banner.startswith("Viewing as admin: key alias kkk") and "of TTT" in banner  # both names shown
    assert "(team team-1)" in banner and len(banner) < 200


def test_as_of_says_utc() -> None:
    assert display.as_of(datetime.now(UTC).replace(hour=14, minute=3)) == "Data as of 14:03 UTC"
    assert display.as_of(datetime(2020, 1, 2, 3, 4, tzinfo=UTC)) == "Data as of 03:04 UTC on Jan 2"


def test_figures_hold_no_outside_text() -> None:
    """Names from outside (scope label, key alias, team, model) never reach a figure, where plotly
    would apply its HTML subset (<a>, <b>, <br>); a future one must go through plaintext.plotly_text."""
    hostile = "<a href='https://evil.example'>hxOutside</a><b>x</b><br>"
    days = {date(2026, 10, 3): Metrics(1200, 300, 1500, 4, 3, 1, 0.5)}
    usage_slice = UsageSlice(daily=days, models={hostile: Metrics.total(days.values())})
    usage = TeamUsage("team-1", MONTH, usage_slice, {hostile: usage_slice}, SOURCE_DAILY_ACTIVITY, NOW)
    team = TeamInfo("team-1", hostile, 10.0, 8.0, "30d", None, None, None)
    scope = Scope("team-1", hostile, hostile, hostile)
    hostile_report = build_report(scope, MONTH, TeamSnapshot(team, (), usage), now=NOW)
    figures = [
        charts.daily_spend(hostile_report),
        charts.daily_tokens(hostile_report),
        charts.daily_requests(hostile_report),
        charts.budget_gauge(hostile_report.budget),
    ]
    for figure in figures:
        assert "evil.example" not in figure.to_json() and "hxOutside" not in figure.to_json()


# -- last month and forecast in words --------------------------------------------------------------


def _period(days: int) -> PreviousPeriod:
    return PreviousPeriod(SEPTEMBER, days, Metrics(), {})


@pytest.mark.parametrize(("days", "text"), [(1, "Sep 1"), (15, "Sep 1-15"), (30, "Sep 1-30")])
def test_compared_period(days: int, text: str) -> None:
    assert display.compared_period(_period(days)) == text


# (now, then, money) -> the delta's text and arrow; a percentage needs something to compare with
KPI_CHANGES = [
    (112.0, 100.0, False, "+12%", "up"),
    (96.5, 100.0, False, "-3.5%", "down"),  # one decimal below ten percent
    (110.0, 100.0, False, "+10%", "up"),
    (0.0, 3.0, False, "-100%", "down"),
    (5.0, 5.0, False, "no change", "none"),
    (0.0, 0.0, True, "no change", "none"),
    (4.2, 0.0, True, "+$4.20 from $0", "up"),
    (7.0, 0.0, False, "+7 from 0", "up"),
]


@pytest.mark.parametrize(("now", "then", "money", "text", "direction"), KPI_CHANGES)
def test_kpi_change(now: float, then: float, money: bool, text: str, direction: str) -> None:
    change = display.kpi_change(Delta(now, then), _period(15), money=money)
    assert (change.text, change.direction, change.versus) == (text, direction, "vs Sep 1-15")


def test_the_failed_line_and_the_comparison_note() -> None:
    current = current_report()
    # 1 of 10 requests failed on each of Oct 1-15; none on Sep 1-15
    assert display.failed_line(current) == "15 requests failed (10.0% of all); +15 from 0 vs Sep 1-15."
    assert display.comparison_note(current.previous) == (
        "Changes compare with Sep 1-15, the same days of last month."
    )
    assert display.comparison_note(None) == "Last month could not be read: no comparison."
    assert display.failed_line(current_report(previous=False)) == "15 requests failed (10.0% of all)."


def test_projection_line_is_the_month_end_at_this_pace_or_a_past_months_actuals() -> None:
    # pace: the mean of Oct 8-14 ($2); month-end: 14 complete days ($28) + 17 days left x $2 = $62
    assert display.projection_line(current_report()) == (
        "Month-end at this pace: $62.00 by 31 Oct ($2.00 a day, the mean of the last complete 7 days)."
    )
    assert display.spend_chart_note(current_report()) == (
        "Dashed line: the pace of the last complete 7 days ($2.00 a day), from today to 31 Oct."
    )
    past = report()
    assert display.projection_line(past) == "October 2026 is over: $1.50 spent (actuals, no projection)."
    assert display.spend_chart_note(past) is None


@pytest.mark.parametrize(
    ("max_budget", "spend", "status"),
    [
        (500.0, 100.0, "on track"),  # $400 left at $2 a day outlasts the reset on Nov 1
        (110.0, 100.0, "runs out 20 Oct"),  # $10 left at $2 a day: 5 days from the 15th
        (100.0, 100.0, "reached 15 Oct"),  # today's $2 took it from $98 to the limit
        (20.0, 100.0, "over budget"),  # crossed before this month's days show it
        (None, 100.0, ""),
    ],
)
def test_outlook_status(max_budget: float | None, spend: float, status: str) -> None:
    daily = {date(2026, 10, d): 2.0 for d in range(1, 16)}
    reset = datetime(2026, 11, 1, tzinfo=UTC)
    outlook = forecast.budget_outlook(Budget.of(max_budget, spend, reset), daily, MONTH, TODAY, name=None)
    assert display.outlook_status(outlook, MONTH) == status

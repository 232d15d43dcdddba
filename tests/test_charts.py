"""Chart builders and on-screen text: units, exact hover values, theme-neutral figures, budgets."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from usage_core import charts, display
from usage_core.access import Scope
from usage_core.identity import Role, User
from usage_core.litellm import TeamInfo
from usage_core.months import Month
from usage_core.reports import Budget, TeamSnapshot, build_report
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


def test_daily_spend_has_a_bar_per_day_usd_axis_and_exact_hover() -> None:
    fig = charts.daily_spend(report())
    (bar,) = fig.data
    assert len(bar.x) == 31 and bar.y[2] == pytest.approx(0.000062)
    assert bar.customdata[2] == "0.000062"  # unrounded, no exponent
    assert "$%{customdata} USD" in bar.hovertemplate
    assert fig.layout.yaxis.title.text == "Spend (USD)"
    assert fig.layout.xaxis.title.text == "Day (UTC)"


def test_tokens_are_input_and_output_stacked_in_tokens() -> None:
    fig = charts.daily_tokens(report())
    assert [t.name for t in fig.data] == ["Input tokens", "Output tokens"]
    assert fig.layout.barmode == "stack"
    assert fig.data[0].y[2] == 1200 and fig.data[1].y[2] == 300
    assert fig.layout.yaxis.title.text == "Tokens"
    assert all("%{y:,d}" in t.hovertemplate for t in fig.data)


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

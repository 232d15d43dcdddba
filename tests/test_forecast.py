"""Forecasts and last-month comparisons against tables computed by hand.

Every expected number below was worked out on paper from the daily spend written next to it;
the comments show the arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from usage_core.comparison import aligned_previous, compared_days, kpi_deltas, previous_period
from usage_core.forecast import (
    FORECAST_METHOD,
    Outlook,
    budget_outlook,
    build_forecast,
    pace,
    projection,
    reached_on,
    usd,
)
from usage_core.months import Month
from usage_core.usage import Metrics

DEC = Month(2026, 12)
RESET_JAN = datetime(2027, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class B:
    """A budget as LiteLLM reports it: max, spend since the last reset, next reset."""

    max_budget: float | None
    spend: float
    reset_at: datetime | None = RESET_JAN


def dec(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 12, day, hour, tzinfo=UTC)


def days(month: Month, values: dict[int, float]) -> dict[date, float]:
    return {date(month.year, month.month, d): v for d, v in values.items()}


# Dec 1-2 nothing, Dec 3-9 $25 a day, nothing yet today (Dec 10): 7 x 25 = $175 so far.
STEADY = days(DEC, {3: 25, 4: 25, 5: 25, 6: 25, 7: 25, 8: 25, 9: 25})


# -- pace and month-end projection --------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "daily", "per_day", "window", "projected"),
    [
        # Dec 10, noon: complete days Dec 1-9, window Dec 3-9 = 175 / 7 = 25.
        # month-end = 175 (complete days) + 25 x 22 (Dec 10-31) = 725
        (dec(10), STEADY, 25.0, 7, 725.0),
        # Dec 4: complete Dec 1-3 only: (0 + 0 + 25) / 3; month-end = 25 + 25/3 x 28 = 25 + 233.33...
        (dec(4), STEADY, 25 / 3, 3, 25 + 25 / 3 * 28),
        # Dec 2: one complete day (Dec 1, nothing): pace 0, month-end = what is spent so far (0)
        (dec(2), STEADY, 0.0, 1, 0.0),
        # the first day: no complete day, no pace, no projection
        (dec(1, 9), {date(2026, 12, 1): 3.0}, None, 0, None),
        # a month with no spend at all: pace 0 over 7 days, month-end 0
        (dec(10), {}, 0.0, 7, 0.0),
        # today already spent more than the pace projects for it: never project below actual.
        # complete Dec 1-9 = 175, pace 25, Dec 10 so far 900 -> 175 + 25 x 22 = 725 < 1075 actual
        (dec(10), {**STEADY, date(2026, 12, 10): 900.0}, 25.0, 7, 1075.0),
    ],
)
def test_pace_and_projection(
    now: datetime, daily: dict[date, float], per_day: float | None, window: int, projected: float | None
) -> None:
    current = pace(daily, DEC, now)
    assert current.days == window
    assert current.per_day == pytest.approx(per_day) if per_day is not None else current.per_day is None
    value, _ = projection(daily, DEC, now)
    assert value == pytest.approx(projected) if projected is not None else value is None


def test_window_is_the_last_seven_complete_days() -> None:
    # Dec 1-9: 100, 100, then 1..7 -> window Dec 3-9 = (1+2+...+7) / 7 = 4; the early 100s do not count
    daily = days(DEC, {1: 100, 2: 100, **{d: d - 2 for d in range(3, 10)}})
    current = pace(daily, DEC, dec(10))
    assert (current.first, current.last, current.per_day) == (date(2026, 12, 3), date(2026, 12, 9), 4.0)


def test_february_has_28_days() -> None:
    feb = Month(2027, 2)
    # Feb 1-19 at $4, Feb 20 (today) $1 so far: pace 4; month-end = 19 x 4 + 4 x 9 (Feb 20-28) = 112
    daily = days(feb, {**{d: 4.0 for d in range(1, 20)}, 20: 1.0})
    value, current = projection(daily, feb, datetime(2027, 2, 20, 12, tzinfo=UTC))
    assert (current.per_day, value) == (4.0, 112.0)
    forecast = build_forecast(
        feb,
        datetime(2027, 2, 20, 12, tzinfo=UTC),
        scope_name="Acme",
        scope_daily=daily,
        company=B(None, 77.0),
        company_daily=daily,
        company_name="Acme",
    )
    assert [p.day for p in forecast.projected_daily] == [date(2027, 2, d) for d in range(20, 29)]


def test_a_past_month_projects_its_actual_spend() -> None:
    nov = Month(2026, 11)
    daily = days(nov, {2: 10.0, 30: 5.5})
    forecast = build_forecast(
        nov,
        dec(10),
        scope_name="Acme Production",
        scope_daily=daily,
        company=B(500.0, 175.0),
        company_daily=daily,
        company_name="Acme",
        key=B(100.0, 20.0, None),
        key_daily=daily,
    )
    assert forecast.projected_spend == 15.5 == forecast.actual_spend
    assert forecast.projected_daily == ()
    assert forecast.company.outlook is Outlook.PAST_MONTH and forecast.company.out_on is None
    assert forecast.key is not None and forecast.key.outlook is Outlook.PAST_MONTH
    assert forecast.sentence == "Acme Production spent $15.50 in November 2026."


def test_the_projected_series_runs_from_today_to_the_month_end_at_the_pace() -> None:
    forecast = build_forecast(
        DEC,
        dec(10),
        scope_name="Acme",
        scope_daily=STEADY,
        company=B(500.0, 175.0),
        company_daily=STEADY,
        company_name="Acme",
    )
    assert [(p.day.day, p.value) for p in forecast.projected_daily] == [(d, 25.0) for d in range(10, 32)]


# -- budget outlooks ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "now", "budget", "daily", "outlook", "out_on", "before_reset", "sentence"),
    [
        (
            # 500 - 175 = 325 left at 25 a day: 13 days from Dec 10 noon = Dec 23 noon; Jan 1 - Dec 23 = 9
            "the issue's example",
            dec(10),
            B(500.0, 175.0),
            STEADY,
            Outlook.RUNS_OUT,
            date(2026, 12, 23),
            9,
            "At this pace Acme reaches its $500 budget on 23 Dec, 9 days before it resets.",
        ),
        (
            # same pace and budget, but it resets on Dec 15, before Dec 23: on track
            "resets mid-month before it would run out",
            dec(10),
            B(500.0, 175.0, datetime(2026, 12, 15, tzinfo=UTC)),
            STEADY,
            Outlook.ON_TRACK,
            None,
            None,
            "At this pace Acme stays within its $500 budget until it resets on 15 Dec.",
        ),
        (
            # resets Dec 28, after Dec 23: it still runs out first, 5 days before
            "resets late in the month after it runs out",
            dec(10),
            B(500.0, 175.0, datetime(2026, 12, 28, tzinfo=UTC)),
            STEADY,
            Outlook.RUNS_OUT,
            date(2026, 12, 23),
            5,
            "At this pace Acme reaches its $500 budget on 23 Dec, 5 days before it resets.",
        ),
        (
            # no reset date: 325 / 25 = 13 days -> Dec 23, nothing about a reset
            "never resets",
            dec(10),
            B(500.0, 175.0, None),
            STEADY,
            Outlook.RUNS_OUT,
            date(2026, 12, 23),
            None,
            "At this pace Acme reaches its $500 budget on 23 Dec.",
        ),
        (
            # 2000 - 175 = 1825 / 25 = 73 days: Feb 21, after the Jan 1 reset
            "resets at the month end first",
            dec(10),
            B(2000.0, 175.0),
            STEADY,
            Outlook.ON_TRACK,
            None,
            None,
            "At this pace Acme stays within its $2,000 budget until it resets on 1 Jan 2027.",
        ),
        (
            # spend at the end of each day, walking back from 175: Dec 9 175, Dec 8 150 >= 150, Dec 7 125
            "an over-budget team reached it this month",
            dec(10),
            B(150.0, 175.0),
            STEADY,
            Outlook.REACHED,
            date(2026, 12, 8),
            None,
            "Acme reached its $150 budget on 8 Dec.",
        ),
        (
            # 600 spent since the reset, only 175 of it this month: it was over before Dec 1
            "over budget since before the month",
            dec(10),
            B(100.0, 600.0),
            STEADY,
            Outlook.REACHED,
            None,
            None,
            "Acme is over its $100 budget.",
        ),
        (
            "a zero budget is reached from the start",
            dec(10),
            B(0.0, 0.0),
            {},
            Outlook.REACHED,
            None,
            None,
            "Acme has a $0 budget: it is used up from the start.",
        ),
        (
            "a zero budget with spend is over it",
            dec(1, 9),
            B(0.0, 0.25),
            {date(2026, 12, 1): 0.25},
            Outlook.REACHED,
            None,
            None,
            "Acme is over its $0 budget.",
        ),
        (
            "no budget",
            dec(10),
            B(None, 175.0),
            STEADY,
            Outlook.NO_BUDGET,
            None,
            None,
            "Acme has no budget.",
        ),
        (
            "the first day of the month: no pace yet",
            dec(1, 9),
            B(500.0, 3.0),
            {date(2026, 12, 1): 3.0},
            Outlook.NO_PACE,
            None,
            None,
            "Acme has no complete day this month yet: the forecast starts tomorrow.",
        ),
        (
            "a month with no spend stays within its budget",
            dec(10),
            B(500.0, 0.0),
            {},
            Outlook.ON_TRACK,
            None,
            None,
            "At this pace Acme stays within its $500 budget until it resets on 1 Jan 2027.",
        ),
        (
            # exactly the budget: remaining 0 -> reached; walking back: Dec 9 ends at 175 >= 175 > 150
            "spent exactly the budget",
            dec(10),
            B(175.0, 175.0),
            STEADY,
            Outlook.REACHED,
            date(2026, 12, 9),
            None,
            "Acme reached its $175 budget on 9 Dec.",
        ),
    ],
)
def test_budget_outlook(
    case: str,
    now: datetime,
    budget: B,
    daily: dict[date, float],
    outlook: Outlook,
    out_on: date | None,
    before_reset: int | None,
    sentence: str,
) -> None:
    result = budget_outlook(budget, daily, DEC, now, name="Acme")
    assert (result.outlook, result.out_on, result.days_before_reset) == (outlook, out_on, before_reset), case
    assert result.sentence == sentence, case


def test_run_out_is_counted_from_now_not_from_midnight() -> None:
    # 325 left at 25 a day = 13 days: from Dec 10 01:00 that is Dec 23 01:00, from 23:00 Dec 23 23:00
    early = budget_outlook(B(500.0, 175.0), STEADY, DEC, dec(10, 1), name="Acme")
    late = budget_outlook(B(500.0, 175.0), STEADY, DEC, dec(10, 23), name="Acme")
    assert early.runs_out_on == late.runs_out_on == date(2026, 12, 23)
    # 330 left: 13.2 days -> from 23:00 it crosses midnight into Dec 24
    assert budget_outlook(B(505.0, 175.0), STEADY, DEC, dec(10, 23), name="Acme").runs_out_on == date(
        2026, 12, 24
    )


def test_run_out_on_the_reset_instant_counts_as_on_track() -> None:
    # 500 - 175 = 325 at 25/day from Dec 10 00:00 -> exactly Dec 23 00:00, which is the reset instant
    at_reset = B(500.0, 175.0, datetime(2026, 12, 23, tzinfo=UTC))
    assert budget_outlook(at_reset, STEADY, DEC, dec(10, 0), name="Acme").outlook is Outlook.ON_TRACK


def test_a_nameless_budget_speaks_of_the_company_or_the_key() -> None:
    company = budget_outlook(B(500.0, 175.0), STEADY, DEC, dec(10), name=None)
    key = budget_outlook(B(0.0, 0.0), {}, DEC, dec(10), name=None, who="this key")
    assert company.sentence.startswith("At this pace the company reaches its $500 budget on 23 Dec")
    assert key.sentence == "This key has a $0 budget: it is used up from the start."


def test_reached_on_walks_back_from_today() -> None:
    # spend 60 now; Dec 1: 10, Dec 2: 20, Dec 3: 30 -> ends of day: Dec 1 10, Dec 2 30, Dec 3 60
    daily = days(DEC, {1: 10, 2: 20, 3: 30})
    assert reached_on(60.0, 30.0, daily, DEC, dec(4)) == date(2026, 12, 2)
    assert reached_on(60.0, 31.0, daily, DEC, dec(4)) == date(2026, 12, 3)
    assert reached_on(60.0, 10.0, daily, DEC, dec(4)) == date(2026, 12, 1)
    assert reached_on(60.0, 5.0, daily, DEC, dec(4)) == date(2026, 12, 1)  # 0 before Dec 1, 10 after
    assert reached_on(70.0, 5.0, daily, DEC, dec(4)) is None  # 10 already before Dec 1


# -- the scope's forecast ----------------------------------------------------------------------------


def test_company_budget_uses_the_team_pace_and_the_key_its_own() -> None:
    team_daily = {d: v * 4 for d, v in STEADY.items()}  # the team spends 100 a day, the tenant 25
    forecast = build_forecast(
        DEC,
        dec(10),
        scope_name="Acme Production",
        scope_daily=STEADY,
        company=B(2000.0, 700.0),
        company_daily=team_daily,
        company_name="Acme",
        key=B(300.0, 175.0, None),
        key_daily=STEADY,
    )
    # company: 1300 left at 100 a day = 13 days -> Dec 23; key: 125 left at 25 a day = 5 days -> Dec 15
    assert forecast.company.pace == 100.0 and forecast.company.runs_out_on == date(2026, 12, 23)
    assert forecast.key is not None and forecast.key.runs_out_on == date(2026, 12, 15)
    assert forecast.key.sentence == "At this pace Acme Production reaches its $300 budget on 15 Dec."
    assert forecast.sentence == forecast.company.sentence
    assert (forecast.projected_spend, forecast.pace.per_day) == (725.0, 25.0)  # the tenant's own month
    assert forecast.method == FORECAST_METHOD


def test_without_a_company_budget_the_headline_is_the_month_end() -> None:
    forecast = build_forecast(
        DEC,
        dec(10),
        scope_name="Initech",
        scope_daily=STEADY,
        company=B(None, 175.0, None),
        company_daily=STEADY,
        company_name="Initech Inc",
    )
    assert forecast.sentence == "At this pace Initech spends about $725 by the end of December."


def test_outside_names_are_data_not_markup() -> None:
    name = "**Bold** [x](http://evil.example) <b>"
    result = budget_outlook(B(500.0, 175.0), STEADY, DEC, dec(10), name=name)
    assert (
        result.sentence == f"At this pace {name} reaches its $500 budget on 23 Dec, 9 days before it resets."
    )
    assert result.name == name  # the part the UI renders as literal text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (500.0, "$500"),
        (2000.0, "$2,000"),
        (12.345, "$12.35"),
        (0.000332, "$0.0003"),
        (0.0, "$0"),
        (0.5, "$0.50"),
    ],
)
def test_usd(value: float, text: str) -> None:
    assert usd(value) == text


def test_method_is_one_line() -> None:
    assert "\n" not in FORECAST_METHOD and "7 complete UTC days" in FORECAST_METHOD


# -- last month -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("month", "now", "n"),
    [
        (DEC, dec(1, 0), 1),  # the first day: day 1 against day 1
        (DEC, dec(10), 10),
        (Month(2027, 1), datetime(2027, 1, 5, tzinfo=UTC), 5),  # January against December
        (Month(2027, 3), datetime(2027, 3, 15, tzinfo=UTC), 15),
        (Month(2027, 3), datetime(2027, 3, 31, tzinfo=UTC), 28),  # February has only 28 days
        (Month(2028, 3), datetime(2028, 3, 30, tzinfo=UTC), 29),  # a leap February
        (Month(2026, 11), dec(10), 31),  # a past month: the whole of October
        (Month(2027, 2), datetime(2027, 3, 5, tzinfo=UTC), 31),  # past February: all of January
    ],
)
def test_compared_days(month: Month, now: datetime, n: int) -> None:
    assert compared_days(month, now) == n


def test_previous_period_sums_days_one_to_n() -> None:
    nov = Month(2026, 11)
    daily = {
        date(2026, 11, 1): Metrics(10, 1, 11, 1, 1, 0, 0.5),
        date(2026, 11, 10): Metrics(20, 2, 22, 2, 1, 1, 1.25),
        date(2026, 11, 11): Metrics(999, 9, 1008, 9, 9, 0, 99.0),  # day 11: after N = 10
    }
    period = previous_period(DEC, daily, dec(10))
    assert (period.month, period.days, period.last_day) == (nov, 10, date(2026, 11, 10))
    assert period.totals == Metrics(30, 3, 33, 3, 2, 1, 1.75)
    # a past December compares with the whole of November
    assert previous_period(DEC, daily, datetime(2027, 1, 2, tzinfo=UTC)).totals.spend == 100.75


def test_the_overlay_aligns_by_day_of_month() -> None:
    jan = {date(2027, 1, d): Metrics(spend=float(d)) for d in (1, 28, 29, 31)}
    period = previous_period(Month(2027, 2), jan, datetime(2027, 2, 10, tzinfo=UTC))
    overlay = aligned_previous(Month(2027, 2), period)
    assert len(overlay) == 28  # February's dates; January's 29th-31st have no place
    assert overlay[0] == (date(2027, 2, 1), Metrics(spend=1.0))
    assert overlay[1] == (date(2027, 2, 2), Metrics())
    assert overlay[-1] == (date(2027, 2, 28), Metrics(spend=28.0))


def test_deltas() -> None:
    deltas = kpi_deltas(Metrics(150, 10, 160, 12, 11, 1, 3.0), Metrics(100, 10, 110, 8, 8, 0, 2.0))
    assert (deltas.spend.change, deltas.spend.ratio) == (1.0, 0.5)
    assert (deltas.input_tokens.change, deltas.requests.ratio) == (50, 0.5)
    assert deltas.failed_requests.ratio is None  # nothing to compare with: no percentage
    assert deltas.output_tokens.ratio == 0.0


def test_every_day_of_a_month_has_a_pace_after_the_first() -> None:
    # a property over a whole month: from the 2nd on there is a pace, on the 1st there is not
    for day in range(1, 32):
        now = dec(day) - timedelta(hours=11)
        assert (pace(STEADY, DEC, now).per_day is None) == (day == 1)


def test_the_readme_states_the_method_verbatim() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert FORECAST_METHOD in readme

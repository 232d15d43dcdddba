"""Budget forecasts: a pace from the month's complete days, a month-end projection, run-out dates.

Every sentence here is built from our own words, numbers and dates, and one name passed in as data
(a tenant's display name, a team's alias): plain text, never Markdown. Callers render it as text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Protocol

from usage_core.months import Month

PACE_DAYS = 7
FORECAST_METHOD = (
    "Pace = mean daily spend of the last 7 complete UTC days of the month (fewer early in the month, "
    "none on the 1st); month-end = spend of the complete days + pace x each day left, today included; "
    "runs out = now + remaining budget / pace, unless the budget resets first."
)


class BudgetLike(Protocol):
    """What a forecast reads from a budget (reports.Budget has these)."""

    @property
    def max_budget(self) -> float | None: ...

    @property
    def spend(self) -> float: ...

    @property
    def reset_at(self) -> datetime | None: ...


class Outlook(StrEnum):
    """Where a budget is heading at the current pace."""

    NO_BUDGET = "no_budget"  # no max budget set
    REACHED = "reached"  # spent all of it already (a zero budget is reached from the start)
    RUNS_OUT = "runs_out"  # reached at this pace before it resets (or it never resets)
    ON_TRACK = "on_track"  # it resets first, or nothing is being spent
    NO_PACE = "no_pace"  # no complete day in the month yet: no pace to project with
    PAST_MONTH = "past_month"  # the month is over: actuals only


@dataclass(frozen=True)
class Pace:
    """Mean daily spend over the window of complete days (None: no complete day yet)."""

    per_day: float | None
    days: int
    first: date | None
    last: date | None


@dataclass(frozen=True)
class DayValue:
    """One day's value for a chart series."""

    day: date
    value: float


@dataclass(frozen=True)
class BudgetOutlook:
    """One budget's forecast: the parts of its sentence, and the sentence."""

    outlook: Outlook
    name: str | None
    max_budget: float | None
    spend: float
    pace: float | None
    runs_out_on: date | None  # RUNS_OUT only
    reached_on: date | None  # REACHED, when this month's days show the day it was crossed
    resets_on: date | None
    days_before_reset: int | None  # RUNS_OUT with a reset date
    sentence: str

    @property
    def out_on(self) -> date | None:
        """The day it runs (or ran) out: the run-out date, or the day it was reached if known."""
        return self.runs_out_on if self.outlook is Outlook.RUNS_OUT else self.reached_on

    @property
    def at_risk(self) -> bool:
        """Reached already, or reached at this pace before it resets."""
        return self.outlook in (Outlook.REACHED, Outlook.RUNS_OUT)


@dataclass(frozen=True)
class Forecast:
    """A scope's month: actual spend, pace, month-end projection and its budgets' outlooks."""

    month: Month
    actual_spend: float
    pace: Pace
    projected_spend: float | None  # a past month: its actual spend; None before the first complete day
    projected_daily: tuple[DayValue, ...]  # today .. month end at the pace: the dashed line
    company: BudgetOutlook
    key: BudgetOutlook | None
    sentence: str  # the headline: the company budget's sentence, or the month-end projection
    method: str = FORECAST_METHOD


def month_is_over(month: Month, now: datetime) -> bool:
    """The whole month lies before `now`."""
    return now.astimezone(UTC) >= month.end


@lru_cache(maxsize=256)  # an overview asks the same calendar questions for every team
def shown_days(month: Month, now: datetime) -> tuple[date, ...]:
    """The days a month's figures cover: all of a past month, the current one up to today."""
    return tuple(month.days(month.end) if month_is_over(month, now) else month.days(now))


@lru_cache(maxsize=256)
def complete_days(month: Month, now: datetime) -> tuple[date, ...]:
    """The month's days that ended before `now` (UTC), oldest first."""
    if month_is_over(month, now):
        return shown_days(month, now)
    today = now.astimezone(UTC).date()
    return tuple(d for d in shown_days(month, now) if d < today)


def pace(daily: Mapping[date, float], month: Month, now: datetime) -> Pace:
    """Mean daily spend of the last PACE_DAYS complete days of the month (fewer early on)."""
    window = complete_days(month, now)[-PACE_DAYS:]
    if not window:
        return Pace(None, 0, None, None)
    total = sum(daily.get(d, 0.0) for d in window)
    return Pace(total / len(window), len(window), window[0], window[-1])


def spent_so_far(daily: Mapping[date, float], month: Month, now: datetime) -> float:
    """The month's spend up to and including today."""
    return sum(daily.get(d, 0.0) for d in shown_days(month, now))


def projection(daily: Mapping[date, float], month: Month, now: datetime) -> tuple[float | None, Pace]:
    """Month-end spend: complete days' spend + pace x the days left (today included), never below actual."""
    actual = spent_so_far(daily, month, now)
    if month_is_over(month, now):
        return actual, pace(daily, month, now)
    current = pace(daily, month, now)
    if current.per_day is None:
        return None, current
    done = complete_days(month, now)
    spent_done = sum(daily.get(d, 0.0) for d in done)
    days_left = month.last_day.day - len(done)
    return max(actual, spent_done + current.per_day * days_left), current


def projected_series(month: Month, now: datetime, per_day: float | None) -> tuple[DayValue, ...]:
    """The pace on every day from today to the month's end (empty for a past month or no pace)."""
    if per_day is None or month_is_over(month, now):
        return ()
    today = now.astimezone(UTC).date()
    days = [d for d in month.days(month.end) if d >= today]
    return tuple(DayValue(d, per_day) for d in days)


def reached_on(
    spend: float, max_budget: float, daily: Mapping[date, float], month: Month, now: datetime
) -> date | None:
    """The day this month on which the spend crossed `max_budget`, if this month's days show it.

    `spend` is the budget's spend now; walking back from today, the spend at the end of day d is
    `spend` minus everything after d. The crossing is the first day that ends at or above the
    budget while the day before ended below it. A crossing before the month (or no spend) gives None.
    """
    at_end_of_day = spend  # the spend at the end of today (so far)
    for day in reversed(shown_days(month, now)):
        before = at_end_of_day - daily.get(day, 0.0)
        if at_end_of_day >= max_budget > before:
            return day
        at_end_of_day = before
    return None


def budget_outlook(
    budget: BudgetLike,
    daily: Mapping[date, float],
    month: Month,
    now: datetime,
    *,
    name: str | None,
    who: str = "the company",
) -> BudgetOutlook:
    """Where one budget is heading, at the pace of whoever spends it (the team, or the key)."""
    max_budget, spend = budget.max_budget, budget.spend
    current = pace(daily, month, now).per_day
    runs_out_on: date | None = None
    crossed_on: date | None = None
    days_before_reset: int | None = None
    if max_budget is None:
        kind = Outlook.NO_BUDGET
    elif month_is_over(month, now):
        kind = Outlook.PAST_MONTH
    elif spend >= max_budget:  # a zero budget too: "a zero budget is a budget"
        kind = Outlook.REACHED
        crossed_on = reached_on(spend, max_budget, daily, month, now)
    elif current is None:
        kind = Outlook.NO_PACE
    elif current <= 0:
        kind = Outlook.ON_TRACK
    else:
        runs_out_at = now.astimezone(UTC) + timedelta(days=(max_budget - spend) / current)
        if budget.reset_at is not None and budget.reset_at <= runs_out_at:
            kind = Outlook.ON_TRACK
        else:
            kind = Outlook.RUNS_OUT
            runs_out_on = runs_out_at.date()
            if budget.reset_at is not None:
                days_before_reset = (budget.reset_at.astimezone(UTC).date() - runs_out_on).days
    result = BudgetOutlook(
        outlook=kind,
        name=name,
        max_budget=max_budget,
        spend=spend,
        pace=current,
        runs_out_on=runs_out_on,
        reached_on=crossed_on,
        resets_on=budget.reset_at.astimezone(UTC).date() if budget.reset_at else None,
        days_before_reset=days_before_reset,
        sentence="",
    )
    return replace(result, sentence=budget_sentence(result, month, who=who))


def build_forecast(
    month: Month,
    now: datetime,
    *,
    scope_name: str | None,
    scope_daily: Mapping[date, float],
    company: BudgetLike,
    company_daily: Mapping[date, float],
    company_name: str | None,
    key: BudgetLike | None = None,
    key_daily: Mapping[date, float] | None = None,
) -> Forecast:
    """A scope's forecast: its own projection, the company budget at the team's pace, the key's at its own."""
    projected, scope_pace = projection(scope_daily, month, now)
    actual = spent_so_far(scope_daily, month, now)
    company_outlook = budget_outlook(company, company_daily, month, now, name=company_name)
    key_outlook = (
        budget_outlook(key, key_daily or {}, month, now, name=scope_name, who="this key")
        if key is not None
        else None
    )
    if company_outlook.outlook in (Outlook.NO_BUDGET, Outlook.PAST_MONTH):
        headline = projection_sentence(scope_name, month, now, actual, projected)
    else:
        headline = company_outlook.sentence
    return Forecast(
        month=month,
        actual_spend=actual,
        pace=scope_pace,
        projected_spend=projected,
        projected_daily=projected_series(month, now, scope_pace.per_day),
        company=company_outlook,
        key=key_outlook,
        sentence=headline,
    )


# -- sentences -------------------------------------------------------------------------------------


def usd(value: float) -> str:
    """'$500', '$12.34', '$0.0003': whole dollars bare, cents otherwise, four places below a cent."""
    if value == round(value) and abs(value) < 1e15:
        return f"${value:,.0f}"
    if abs(value) < 0.01:
        return f"${value:,.4f}"
    return f"${value:,.2f}"


def day_text(day: date, month: Month) -> str:
    """'23 Dec', with the year when it is not the month's year ('3 Jan 2027')."""
    text = f"{day.day} {day:%b}"
    return text if day.year == month.year else f"{text} {day.year}"


def _days(count: int) -> str:
    return "1 day" if count == 1 else f"{count} days"


def _subject(name: str | None, who: str, *, start: bool) -> str:
    if name:
        return name
    return who[:1].upper() + who[1:] if start else who


def budget_sentence(o: BudgetOutlook, month: Month, *, who: str = "the company") -> str:
    """The one plain sentence of an outlook; `who` names the budget's holder when `o.name` is None."""
    mid, first = _subject(o.name, who, start=False), _subject(o.name, who, start=True)
    budget = usd(o.max_budget) if o.max_budget is not None else ""
    if o.outlook is Outlook.NO_BUDGET:
        text = f"{first} has no budget."
    elif o.outlook is Outlook.PAST_MONTH:
        text = f"{month.label} is over: no forecast for it."
    elif o.outlook is Outlook.REACHED and o.reached_on is not None:
        text = f"{first} reached its {budget} budget on {day_text(o.reached_on, month)}."
    elif o.outlook is Outlook.REACHED and o.max_budget == 0 and o.spend <= 0:
        text = f"{first} has a $0 budget: it is used up from the start."
    elif o.outlook is Outlook.REACHED:
        over = o.max_budget is not None and o.spend > o.max_budget
        state = "is over" if over else "has used up"
        text = f"{first} {state} its {budget} budget."
    elif o.outlook is Outlook.NO_PACE:
        text = f"{first} has no complete day this month yet: the forecast starts tomorrow."
    elif o.outlook is Outlook.ON_TRACK:
        until = f" until it resets on {day_text(o.resets_on, month)}" if o.resets_on else ""
        text = f"At this pace {mid} stays within its {budget} budget{until}."
    else:  # RUNS_OUT
        assert o.runs_out_on is not None
        on = day_text(o.runs_out_on, month)
        if o.days_before_reset is not None:
            before = _days(o.days_before_reset)
            text = f"At this pace {mid} reaches its {budget} budget on {on}, {before} before it resets."
        else:
            text = f"At this pace {mid} reaches its {budget} budget on {on}."
    return text


def projection_sentence(
    name: str | None, month: Month, now: datetime, actual: float, projected: float | None
) -> str:
    """The month-end sentence for a scope without a budget to talk about."""
    first = _subject(name, "this scope", start=True)
    if month_is_over(month, now):
        return f"{first} spent {usd(actual)} in {month.label}."
    if projected is None:
        return f"{first} has no complete day this month yet: the forecast starts tomorrow."
    mid = _subject(name, "this scope", start=False)
    return f"At this pace {mid} spends about {usd(projected)} by the end of {month.first_day:%B}."

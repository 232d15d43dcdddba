"""Last month: the same elapsed days of the previous month, KPI deltas, and a day-of-month overlay."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache

from usage_core.months import Month
from usage_core.usage import ZERO, Metrics


def compared_days(month: Month, now: datetime) -> int:
    """N: the days of `month` shown so far (today counts), capped at the previous month's length.

    A month that is over compares with the whole previous month.
    """
    previous_length = month.previous().last_day.day
    if now.astimezone(UTC) >= month.end:
        return previous_length
    return min(len(month.days(now)), previous_length)


@lru_cache(maxsize=256)  # an overview asks this for every team
def compared_dates(month: Month, now: datetime) -> tuple[date, ...]:
    """The previous month's days 1..N, N = compared_days(month, now)."""
    previous = month.previous()
    return tuple(date(previous.year, previous.month, d) for d in range(1, compared_days(month, now) + 1))


@dataclass(frozen=True)
class PreviousPeriod:
    """Days 1..`days` of the previous month, and that whole month's daily rows for an overlay."""

    month: Month
    days: int
    totals: Metrics
    daily: Mapping[date, Metrics]

    @property
    def last_day(self) -> date | None:
        """The last day compared (None when no day is)."""
        return date(self.month.year, self.month.month, self.days) if self.days else None


def previous_period(month: Month, previous_daily: Mapping[date, Metrics], now: datetime) -> PreviousPeriod:
    """The previous month's days 1..N, N = compared_days(month, now)."""
    dates = compared_dates(month, now)
    totals = Metrics.total(previous_daily.get(d, ZERO) for d in dates)
    return PreviousPeriod(month.previous(), len(dates), totals, previous_daily)


def aligned_days(month: Month, previous: Month) -> list[tuple[date, date]]:
    """(this month's date, previous month's date) pairs with the same day number, for an overlay."""
    length = min(month.last_day.day, previous.last_day.day)
    return [
        (date(month.year, month.month, n), date(previous.year, previous.month, n))
        for n in range(1, length + 1)
    ]


def aligned_previous(month: Month, period: PreviousPeriod) -> list[tuple[date, Metrics]]:
    """The previous month's daily metrics placed on this month's dates by day of month (zero days kept)."""
    return [(here, period.daily.get(there, ZERO)) for here, there in aligned_days(month, period.month)]


@dataclass(frozen=True)
class Delta:
    """A KPI now and on the same days last month."""

    current: float
    previous: float

    @property
    def change(self) -> float:
        """Current minus previous."""
        return self.current - self.previous

    @property
    def ratio(self) -> float | None:
        """The change as a share of the previous value (None when the previous value is zero)."""
        return self.change / self.previous if self.previous else None


@dataclass(frozen=True)
class KpiDeltas:
    """The KPI row's deltas."""

    spend: Delta
    input_tokens: Delta
    output_tokens: Delta
    requests: Delta
    failed_requests: Delta


def kpi_deltas(current: Metrics, previous: Metrics) -> KpiDeltas:
    """Each KPI against the same elapsed days of the previous month."""
    return KpiDeltas(
        spend=Delta(current.spend, previous.spend),
        input_tokens=Delta(current.input_tokens, previous.input_tokens),
        output_tokens=Delta(current.output_tokens, previous.output_tokens),
        requests=Delta(current.requests, previous.requests),
        failed_requests=Delta(current.failed_requests, previous.failed_requests),
    )

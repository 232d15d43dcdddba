"""Scope + Month -> UsageReport: the daily rows, totals, models, budgets and limits; CSV and JSON."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from usage_core.access import Scope
from usage_core.comparison import KpiDeltas, PreviousPeriod, aligned_previous, kpi_deltas, previous_period
from usage_core.forecast import Forecast, build_forecast
from usage_core.litellm import KeyInfo, TeamInfo
from usage_core.months import Month, utc_now
from usage_core.usage import ZERO, Metrics, TeamUsage, UsageSlice

if TYPE_CHECKING:  # pandas costs a third of a second to import: only the dashboard needs it
    import pandas as pd

CSV_COLUMNS = (
    "date",
    "input_tokens",
    "output_tokens",
    "total_tokens",
    "requests",
    "successful_requests",
    "failed_requests",
    "spend",
)


@dataclass(frozen=True)
class TeamSnapshot:
    """Everything read from LiteLLM for one team and month; what the app caches."""

    team: TeamInfo
    keys: tuple[KeyInfo, ...]
    usage: TeamUsage


@dataclass(frozen=True)
class DailyRow:
    """One UTC day of a report."""

    day: date
    metrics: Metrics


@dataclass(frozen=True)
class ModelRow:
    """One model's share of a report."""

    model: str
    metrics: Metrics


@dataclass(frozen=True)
class Budget:
    """A budget: max (None = no budget; 0 is a budget), spent, remaining, next reset."""

    max_budget: float | None
    spend: float
    remaining: float | None
    reset_at: datetime | None

    @classmethod
    def of(cls, max_budget: float | None, spend: float, reset_at: datetime | None) -> Budget:
        """A budget with `remaining` derived (never below zero)."""
        remaining = None if max_budget is None else max(max_budget - spend, 0.0)
        return cls(max_budget, spend, remaining, reset_at)

    @property
    def over(self) -> bool:
        """Spent more than the budget allows."""
        return self.max_budget is not None and self.spend > self.max_budget

    def to_json(self) -> dict[str, Any]:
        """The JSON object of the export."""
        return {
            "max_budget": self.max_budget,
            "spend": self.spend,
            "remaining": self.remaining,
            "reset_at": self.reset_at.isoformat() if self.reset_at else None,
        }


@dataclass(frozen=True)
class RateLimits:
    """The team's requests and tokens per minute (None = unlimited)."""

    rpm: int | None
    tpm: int | None


@dataclass(frozen=True)
class UsageReport:
    """What one scope used and spent in one month."""

    scope: Scope
    month: Month
    daily: tuple[DailyRow, ...]
    totals: Metrics
    models: tuple[ModelRow, ...]
    budget: Budget
    key_budget: Budget | None
    rate_limits: RateLimits
    as_of: datetime
    source: str
    forecast: Forecast
    previous: PreviousPeriod | None = None  # the same elapsed days of the previous month, when read

    def deltas(self) -> KpiDeltas | None:
        """The KPIs against the same elapsed days of the previous month (None when it was not read)."""
        return kpi_deltas(self.totals, self.previous.totals) if self.previous else None

    def previous_daily_aligned(self) -> tuple[DailyRow, ...]:
        """The previous month's days on this month's dates, by day of month: the charts' overlay."""
        if self.previous is None:
            return ()
        return tuple(DailyRow(day, m) for day, m in aligned_previous(self.month, self.previous))

    def to_csv(self) -> str:
        """The daily rows as CSV: ISO dates, plain numbers, spend unrounded."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for row in self.daily:
            m = row.metrics
            writer.writerow(
                [
                    row.day.isoformat(),
                    m.input_tokens,
                    m.output_tokens,
                    m.total_tokens,
                    m.requests,
                    m.successful_requests,
                    m.failed_requests,
                    plain_number(m.spend),
                ]
            )
        return out.getvalue()

    def to_json(self) -> dict[str, Any]:
        """The export's JSON document."""
        return {
            "scope": {
                "team_id": self.scope.team_id,
                "key_alias": self.scope.key_alias,
                "tenant": self.scope.tenant,
                "label": self.scope.label,
                "company_wide": self.scope.company_wide,
            },
            "month": str(self.month),
            "totals": _metrics_json(self.totals),
            "daily": [{"date": r.day.isoformat(), **_metrics_json(r.metrics)} for r in self.daily],
            "models": [{"model": r.model, **_metrics_json(r.metrics)} for r in self.models],
            "budget": self.budget.to_json(),
            "key_budget": self.key_budget.to_json() if self.key_budget else None,
            "rate_limits": {"rpm": self.rate_limits.rpm, "tpm": self.rate_limits.tpm},
            "as_of": self.as_of.isoformat(),
            "previous": (
                {
                    "month": str(self.previous.month),
                    "days": self.previous.days,
                    "totals": _metrics_json(self.previous.totals),
                }
                if self.previous
                else None
            ),
            "forecast": forecast_json(self.forecast),
        }

    def daily_frame(self) -> pd.DataFrame:
        """The daily rows as a DataFrame (one row per day, the CSV's columns)."""
        import pandas as pd

        return pd.DataFrame(
            [{"date": r.day, **_metrics_json(r.metrics)} for r in self.daily], columns=list(CSV_COLUMNS)
        )

    def models_frame(self) -> pd.DataFrame:
        """The per-model totals as a DataFrame, most expensive first."""
        import pandas as pd

        columns = ["model", *CSV_COLUMNS[1:]]
        return pd.DataFrame(
            [{"model": r.model, **_metrics_json(r.metrics)} for r in self.models], columns=columns
        )


def forecast_json(forecast: Forecast) -> dict[str, Any]:
    """The export's forecast block; a null date with outlook `reached` means "over, since unknown"."""
    key = forecast.key
    return {
        "projected_spend": forecast.projected_spend,
        "budget_runs_out_on": _iso(forecast.company.out_on),
        "key_budget_runs_out_on": _iso(key.out_on) if key else None,
        "budget_outlook": str(forecast.company.outlook),
        "key_budget_outlook": str(key.outlook) if key else None,
        "method": forecast.method,
    }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def daily_spend(usage_slice: UsageSlice) -> dict[date, float]:
    """A slice's spend per day (what a forecast reads)."""
    return {day: m.spend for day, m in usage_slice.daily.items()}


def plain_number(value: float) -> str:
    """A float written in full without exponent or separators (6.2e-05 -> 0.000062)."""
    text = format(Decimal(repr(value)), "f")
    return "0" if text in ("0", "0.0", "-0.0") else text


def _metrics_json(m: Metrics) -> dict[str, Any]:
    return {
        "input_tokens": m.input_tokens,
        "output_tokens": m.output_tokens,
        "total_tokens": m.total_tokens,
        "requests": m.requests,
        "successful_requests": m.successful_requests,
        "failed_requests": m.failed_requests,
        "spend": m.spend,
    }


def _key_budget(keys: Sequence[KeyInfo], alias: str | None) -> Budget | None:
    """The budget of the tenant's current key: unblocked first, then the newest."""
    if alias is None:
        return None
    candidates = [k for k in keys if k.alias == alias and k.max_budget is not None]
    if not candidates:
        return None
    key = max(candidates, key=lambda k: (not k.blocked, k.created_at.timestamp() if k.created_at else 0.0))
    return Budget.of(key.max_budget, key.spend, key.budget_reset_at)


def build_report(
    scope: Scope,
    month: Month,
    snapshot: TeamSnapshot,
    *,
    now: datetime | None = None,
    previous: TeamUsage | None = None,
) -> UsageReport:
    """Cut one scope's report out of a team snapshot: zero days included, totals = sum of days.

    `previous` is the team's usage of the previous month: with it, the report compares its KPIs
    with the same elapsed days of that month.
    """
    usage = snapshot.usage
    if usage.team_id != scope.team_id or usage.month != month or snapshot.team.team_id != scope.team_id:
        raise ValueError("snapshot does not belong to this scope and month")
    if previous is not None and (previous.team_id != scope.team_id or previous.month != month.previous()):
        raise ValueError("previous usage does not belong to this scope's previous month")
    now = now or utc_now()
    usage_slice = usage.slice_for(scope.key_alias)
    daily = tuple(DailyRow(d, usage_slice.daily.get(d, ZERO)) for d in month.days(now))
    models = tuple(
        ModelRow(name, m)
        for name, m in sorted(usage_slice.models.items(), key=lambda item: (-item[1].spend, item[0]))
        if m.requests or m.spend or m.total_tokens
    )
    team = snapshot.team
    budget = Budget.of(team.max_budget, team.spend, team.budget_reset_at)
    key_budget = _key_budget(snapshot.keys, scope.key_alias)
    forecast = build_forecast(
        month,
        now,
        scope_name=scope.label,
        scope_daily=daily_spend(usage_slice),
        company=budget,
        company_daily=daily_spend(usage.team),
        company_name=team.alias,
        key=key_budget,
        key_daily=daily_spend(usage_slice),
    )
    compared = previous_period(month, previous.slice_for(scope.key_alias).daily, now) if previous else None
    return UsageReport(
        scope=scope,
        month=month,
        daily=daily,
        totals=Metrics.total(r.metrics for r in daily),
        models=models,
        budget=budget,
        key_budget=key_budget,
        rate_limits=RateLimits(team.rpm_limit, team.tpm_limit),
        as_of=usage.fetched_at,
        source=usage.source,
        forecast=forecast,
        previous=compared,
    )

"""Usage numbers and their aggregation: one team's month, per key alias, per day and per model."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from usage_core.months import Month

SOURCE_DAILY_ACTIVITY = "daily_activity"
SOURCE_SPEND_LOGS = "spend_logs"


@dataclass(frozen=True)
class Metrics:
    """Counters for one bucket of requests; spend in USD, never rounded."""

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    requests: int = 0
    successful_requests: int = 0
    failed_requests: int = 0
    spend: float = 0.0

    def __add__(self, other: Metrics) -> Metrics:
        return Metrics(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.total_tokens + other.total_tokens,
            self.requests + other.requests,
            self.successful_requests + other.successful_requests,
            self.failed_requests + other.failed_requests,
            self.spend + other.spend,
        )

    @classmethod
    def total(cls, items: Iterable[Metrics]) -> Metrics:
        """The sum of many Metrics, in iteration order."""
        result = cls()
        for item in items:
            result = result + item
        return result


ZERO = Metrics()


@dataclass(frozen=True)
class UsageSlice:
    """One population's usage in a month: per UTC day and per model."""

    daily: Mapping[date, Metrics] = field(default_factory=dict)
    models: Mapping[str, Metrics] = field(default_factory=dict)


@dataclass(frozen=True)
class TeamUsage:
    """Everything LiteLLM reported for one team and month, split by exact key alias."""

    team_id: str
    month: Month
    team: UsageSlice
    by_alias: Mapping[str, UsageSlice]
    source: str
    fetched_at: datetime

    def slice_for(self, key_alias: str | None) -> UsageSlice:
        """The whole team (no alias) or exactly one alias; an unknown alias has zero usage."""
        if key_alias is None:
            return self.team
        return self.by_alias.get(key_alias, UsageSlice())


class _Counter:
    """A mutable Metrics, for hot aggregation loops."""

    __slots__ = ("failed", "input", "output", "requests", "spend", "success", "total")

    def __init__(self) -> None:
        self.input = self.output = self.total = self.requests = self.success = self.failed = 0
        self.spend = 0.0

    def add(self, m: Metrics) -> None:
        self.input += m.input_tokens
        self.output += m.output_tokens
        self.total += m.total_tokens
        self.requests += m.requests
        self.success += m.successful_requests
        self.failed += m.failed_requests
        self.spend += m.spend

    def add_row(self, input_tokens: int, output_tokens: int, total: int, ok: bool, spend: float) -> None:
        self.input += input_tokens
        self.output += output_tokens
        self.total += total
        self.requests += 1
        if ok:
            self.success += 1
        else:
            self.failed += 1
        self.spend += spend

    def freeze(self) -> Metrics:
        return Metrics(
            self.input,
            self.output,
            self.total,
            self.requests,
            self.success,
            self.failed,
            self.spend,
        )


class _SliceBuilder:
    """Accumulates one UsageSlice."""

    def __init__(self) -> None:
        self.daily: dict[date, _Counter] = {}
        self.models: dict[str, _Counter] = {}

    def day(self, day: date) -> _Counter:
        counter = self.daily.get(day)
        if counter is None:
            counter = self.daily[day] = _Counter()
        return counter

    def model(self, model: str) -> _Counter:
        counter = self.models.get(model)
        if counter is None:
            counter = self.models[model] = _Counter()
        return counter

    def freeze(self) -> UsageSlice:
        return UsageSlice(
            daily={d: c.freeze() for d, c in sorted(self.daily.items())},
            models={m: c.freeze() for m, c in sorted(self.models.items())},
        )


class TeamUsageBuilder:
    """Streams usage into per-team and per-alias slices; memory grows with days x models x aliases."""

    def __init__(self, team_id: str, month: Month) -> None:
        self.team_id = team_id
        self.month = month
        self._team = _SliceBuilder()
        self._aliases: dict[str, _SliceBuilder] = {}

    def _alias(self, alias: str) -> _SliceBuilder:
        builder = self._aliases.get(alias)
        if builder is None:
            builder = self._aliases[alias] = _SliceBuilder()
        return builder

    def add_team_day(self, day: date, metrics: Metrics) -> None:
        """Add to the company-wide daily total."""
        self._team.day(day).add(metrics)

    def add_team_model(self, model: str, metrics: Metrics) -> None:
        """Add to the company-wide per-model total."""
        self._team.model(model).add(metrics)

    def add_alias_day(self, alias: str, day: date, metrics: Metrics) -> None:
        """Add to one alias's daily total."""
        self._alias(alias).day(day).add(metrics)

    def add_alias_model(self, alias: str, model: str, metrics: Metrics) -> None:
        """Add to one alias's per-model total."""
        self._alias(alias).model(model).add(metrics)

    def add_request(
        self,
        alias: str | None,
        day: date,
        model: str,
        *,
        input_tokens: int,
        output_tokens: int,
        total_tokens: int,
        ok: bool,
        spend: float,
    ) -> None:
        """Count one raw request row everywhere it belongs."""
        row = (input_tokens, output_tokens, total_tokens, ok, spend)
        self._team.day(day).add_row(*row)
        self._team.model(model).add_row(*row)
        if alias is not None:
            builder = self._alias(alias)
            builder.day(day).add_row(*row)
            builder.model(model).add_row(*row)

    def build(self, source: str, fetched_at: datetime) -> TeamUsage:
        """Freeze into an immutable TeamUsage."""
        return TeamUsage(
            team_id=self.team_id,
            month=self.month,
            team=self._team.freeze(),
            by_alias={a: b.freeze() for a, b in sorted(self._aliases.items())},
            source=source,
            fetched_at=fetched_at,
        )

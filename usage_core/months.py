"""A calendar month in UTC: strict parsing, whole-month bounds, the days to show."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from usage_core.errors import InvalidMonth

# How many months back anyone may look, the current one included (MONTHS_HORIZON): each is a full read.
DEFAULT_MONTHS_HORIZON = 24
# [0-9], not \d: \d also matches non-ASCII digits (fullwidth, Arabic-Indic), which int() accepts.
_MONTH_RE = re.compile(r"([0-9]{4})-([0-9]{2})")


def utc_now() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True, order=True)
class Month:
    """One calendar month; its bounds are [first day 00:00 UTC, next month's first day 00:00 UTC)."""

    year: int
    month: int

    @classmethod
    def current(cls, now: datetime | None = None) -> Month:
        """The month that holds `now` in UTC."""
        now = (now or utc_now()).astimezone(UTC)
        return cls(now.year, now.month)

    @classmethod
    def earliest(cls, horizon: int, now: datetime | None = None) -> Month:
        """The oldest month within `horizon` months: the current month and the `horizon - 1` before it."""
        return selectable_months(horizon, now=now)[-1]

    @classmethod
    def parse(cls, text: str | None, *, now: datetime | None = None, horizon: int | None = None) -> Month:
        """Parse strict `YYYY-MM`, not in the future nor (given a horizon) before its earliest month."""
        raw = "" if text is None else str(text)
        match = _MONTH_RE.fullmatch(raw.strip()) if raw.strip() == raw else None
        if match is None:
            shown = raw if len(raw) <= 20 else raw[:20] + "..."
            raise InvalidMonth(f"Invalid month {shown!r}: expected YYYY-MM, e.g. 2026-11.")
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12:
            raise InvalidMonth(f"Invalid month {raw!r}: expected YYYY-MM with a month 01-12.")
        if year < 1970:
            raise InvalidMonth(f"Invalid month {raw!r}: years before 1970 are not supported.")
        parsed = cls(year, month)
        if parsed > cls.current(now):
            raise InvalidMonth(f"Month {raw} is in the future: no usage exists yet.")
        if horizon is not None and parsed < (earliest := cls.earliest(horizon, now)):
            raise InvalidMonth(
                f"Month {raw} is too far back: months from {earliest} to {cls.current(now)} can be shown."
            )
        return parsed

    @classmethod
    def parse_or_current(
        cls, text: str | None, *, now: datetime | None = None, horizon: int | None = None
    ) -> Month:
        """Parse `text`, or take the current month when none was given (None, not "")."""
        if text is None:
            return cls.current(now)
        return cls.parse(text, now=now, horizon=horizon)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        """A human title such as `November 2026`."""
        return self.first_day.strftime("%B %Y")

    @property
    def first_day(self) -> date:
        """The month's first calendar day."""
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        """The month's last calendar day."""
        return self.next().first_day - timedelta(days=1)

    @property
    def start(self) -> datetime:
        """Inclusive lower bound: the first day at 00:00 UTC."""
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """Exclusive upper bound: the next month's first day at 00:00 UTC."""
        return self.next().start

    def next(self) -> Month:
        """The following month."""
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        """The preceding month."""
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def days(self, now: datetime | None = None) -> list[date]:
        """Every day of the month, up to today (UTC) when it is the current month."""
        today = (now or utc_now()).astimezone(UTC).date()
        last = min(self.last_day, today)
        count = (last - self.first_day).days + 1
        return [self.first_day + timedelta(days=i) for i in range(max(count, 0))]

    def recent(self, count: int) -> list[Month]:
        """This month and the `count - 1` before it, newest first."""
        months: list[Month] = [self]
        while len(months) < count:
            months.append(months[-1].previous())
        return months


def selectable_months(horizon: int, *, now: datetime | None = None) -> list[Month]:
    """The months a picker offers: the current month and the `horizon - 1` before it, newest first."""
    if horizon < 1:
        raise ValueError("the months horizon is at least 1 (the current month)")
    return Month.current(now).recent(horizon)

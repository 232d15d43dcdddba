"""Month: strict YYYY-MM parsing, whole UTC bounds, and the days a report shows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from usage_core.errors import InputError, InvalidMonth
from usage_core.months import DEFAULT_MONTHS_HORIZON, Month, selectable_months

NOW = datetime(2026, 11, 15, 12, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        # the forms the issue names
        "2026-1",
        "2026-13",
        "26-11",
        "",
        "2026-11-01",
        # whitespace anywhere
        " 2026-11",
        "2026-11 ",
        "2026-11\n",
        "\t2026-11",
        "2026 -11",
        " ",
        # other near misses
        "2026-00",
        "2026-99",
        "2026/11",
        "202611",
        "02026-11",
        "2026-011",
        "+2026-11",
        "2026--1",
        "2026-1a",
        "November 2026",
        "1969-12",
        "0000-01",
        # non-ASCII digits and dashes (int() would accept the digits)
        "\uff12\uff10\uff12\uff16-11",  # fullwidth 2026
        "2026-\uff11\uff11",  # fullwidth 11
        "\u0662\u0660\u0662\u0666-\u0661\u0661",  # Arabic-Indic 2026-11
        "\u0968\u0966\u0968\u096c-11",  # Devanagari 2026
        "2026\u201011",  # Unicode hyphen
        "2026\uff0d11",  # fullwidth hyphen-minus
    ],
)
def test_rejected_forms(text: str) -> None:
    with pytest.raises(InvalidMonth) as caught:
        Month.parse(text, now=NOW)
    message = str(caught.value)
    assert "YYYY-MM" in message or "1970" in message
    assert "\n" not in message


def test_invalid_month_is_an_input_error() -> None:
    """The CLI maps InputError to exit 2: a bad month must be one."""
    assert issubclass(InvalidMonth, InputError)


@pytest.mark.parametrize("text", [None, 202611, b"2026-11"])
def test_non_strings_are_rejected_by_parse(text: object) -> None:
    with pytest.raises(InvalidMonth):
        Month.parse(text, now=NOW)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["2026-12", "2027-01", "9999-12"])
def test_months_after_the_current_one_are_rejected(text: str) -> None:
    with pytest.raises(InvalidMonth, match=rf"^Month {text} is in the future"):
        Month.parse(text, now=NOW)


def test_the_future_is_judged_in_utc() -> None:
    """00:30 on 1 December in UTC+2 is still 30 November in UTC: December is the future."""
    east = datetime(2026, 12, 1, 0, 30, tzinfo=timezone(timedelta(hours=2)))
    assert Month.current(east) == Month(2026, 11)
    with pytest.raises(InvalidMonth):
        Month.parse("2026-12", now=east)
    # One microsecond into December UTC, it is the current month.
    assert Month.parse("2026-12", now=datetime(2026, 12, 1, tzinfo=UTC)) == Month(2026, 12)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2026-11", Month(2026, 11)), ("2026-01", Month(2026, 1)), ("1970-01", Month(1970, 1))],
)
def test_accepted_forms(text: str, expected: Month) -> None:
    assert Month.parse(text, now=NOW) == expected


def test_messages_are_clear() -> None:
    with pytest.raises(InvalidMonth) as bad_form:
        Month.parse("2026-1", now=NOW)
    assert str(bad_form.value) == "Invalid month '2026-1': expected YYYY-MM, e.g. 2026-11."
    with pytest.raises(InvalidMonth) as bad_month:
        Month.parse("2026-13", now=NOW)
    assert str(bad_month.value) == "Invalid month '2026-13': expected YYYY-MM with a month 01-12."
    with pytest.raises(InvalidMonth) as old:
        Month.parse("1969-12", now=NOW)
    assert str(old.value) == "Invalid month '1969-12': years before 1970 are not supported."
    with pytest.raises(InvalidMonth) as future:
        Month.parse("2027-01", now=NOW)
    assert str(future.value) == "Month 2027-01 is in the future: no usage exists yet."


def test_a_long_bad_value_is_shortened_in_the_message() -> None:
    with pytest.raises(InvalidMonth) as caught:
        Month.parse("x" * 500, now=NOW)
    assert len(str(caught.value)) < 100


def test_parse_or_current() -> None:
    assert Month.parse_or_current(None, now=NOW) == Month(2026, 11)
    assert Month.parse_or_current("2026-02", now=NOW) == Month(2026, 2)
    # An empty value was given, so it is judged, not replaced by the default.
    with pytest.raises(InvalidMonth):
        Month.parse_or_current("", now=NOW)
    with pytest.raises(InvalidMonth):
        Month.parse_or_current("2026-12", now=NOW)


def test_current_defaults_to_the_clock() -> None:
    before = datetime.now(UTC)
    got = Month.current()
    after = datetime.now(UTC)
    assert got in {Month(before.year, before.month), Month(after.year, after.month)}


@pytest.mark.parametrize(
    ("month", "start", "end"),
    [
        (Month(2026, 11), datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)),
        (Month(2025, 12), datetime(2025, 12, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)),
        (Month(2026, 1), datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)),
        (Month(2024, 2), datetime(2024, 2, 1, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC)),
    ],
)
def test_bounds_are_whole_utc_months(month: Month, start: datetime, end: datetime) -> None:
    assert (month.start, month.end) == (start, end)
    assert month.start.utcoffset() == timedelta(0) and month.end.utcoffset() == timedelta(0)
    last_instant = end - timedelta(microseconds=1)
    assert month.start <= start < month.end and month.start <= last_instant < month.end
    assert not end < month.end and not month.start <= start - timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("month", "last_day", "count"),
    [
        (Month(2024, 2), date(2024, 2, 29), 29),  # leap year
        (Month(2025, 2), date(2025, 2, 28), 28),
        (Month(2000, 2), date(2000, 2, 29), 29),  # divisible by 400: leap
        (Month(2100, 2), date(2100, 2, 28), 28),  # divisible by 100 only: not leap
        (Month(2025, 12), date(2025, 12, 31), 31),
        (Month(2026, 4), date(2026, 4, 30), 30),
    ],
)
def test_past_months_show_every_day(month: Month, last_day: date, count: int) -> None:
    days = month.days(now=datetime(2101, 1, 1, tzinfo=UTC))
    assert len(days) == count
    assert days[0] == month.first_day == date(month.year, month.month, 1)
    assert days[-1] == month.last_day == last_day
    assert all(b - a == timedelta(days=1) for a, b in pairwise(days))


def test_current_month_shows_days_up_to_today() -> None:
    assert Month(2026, 11).days(now=NOW) == [date(2026, 11, d) for d in range(1, 16)]
    assert Month(2026, 11).days(now=datetime(2026, 11, 1, tzinfo=UTC)) == [date(2026, 11, 1)]
    # "today" is the UTC date: 01:00 on the 16th in UTC+3 is still the 15th.
    east = datetime(2026, 11, 16, 1, 0, tzinfo=timezone(timedelta(hours=3)))
    assert Month(2026, 11).days(now=east)[-1] == date(2026, 11, 15)
    # The last day of the month shows the whole month.
    assert len(Month(2026, 11).days(now=datetime(2026, 11, 30, 23, 59, tzinfo=UTC))) == 30


def test_a_future_month_has_no_days() -> None:
    assert Month(2026, 12).days(now=NOW) == []


def test_labels_neighbours_and_recent() -> None:
    assert str(Month(2026, 1)) == "2026-01"
    assert Month(2026, 11).label == "November 2026"
    assert Month(2026, 1).previous() == Month(2025, 12)
    assert Month(2025, 12).next() == Month(2026, 1)
    assert Month(2026, 2).recent(4) == [Month(2026, 2), Month(2026, 1), Month(2025, 12), Month(2025, 11)]
    assert Month(2026, 2).recent(1) == [Month(2026, 2)]
    assert Month(2025, 12) < Month(2026, 1) < Month(2026, 2)


# -- the horizon (MONTHS_HORIZON): the current month and the horizon - 1 before it ------------------------

# horizon -> the earliest month it allows at NOW (November 2026)
HORIZONS = [
    (1, Month(2026, 11)),
    (2, Month(2026, 10)),
    (11, Month(2026, 1)),
    (12, Month(2025, 12)),
    (24, Month(2024, 12)),
]


@pytest.mark.parametrize(("horizon", "earliest"), HORIZONS)
def test_the_horizon_counts_the_current_month(horizon: int, earliest: Month) -> None:
    assert Month.earliest(horizon, NOW) == earliest
    assert Month.parse(str(earliest), now=NOW, horizon=horizon) == earliest
    assert Month.parse("2026-11", now=NOW, horizon=horizon) == Month(2026, 11)
    too_old = earliest.previous()
    with pytest.raises(InvalidMonth) as caught:
        Month.parse(str(too_old), now=NOW, horizon=horizon)
    assert str(caught.value) == (
        f"Month {too_old} is too far back: months from {earliest} to 2026-11 can be shown."
    )


def test_the_default_horizon_is_24_months() -> None:
    assert DEFAULT_MONTHS_HORIZON == 24
    assert Month.earliest(DEFAULT_MONTHS_HORIZON, NOW) == Month(2024, 12)


def test_no_horizon_means_back_to_1970_and_the_future_is_refused_either_way() -> None:
    assert Month.parse("1970-01", now=NOW) == Month(1970, 1)
    assert Month.parse_or_current("2026-02", now=NOW, horizon=10) == Month(2026, 2)
    with pytest.raises(InvalidMonth, match="too far back"):
        Month.parse_or_current("2026-01", now=NOW, horizon=10)
    with pytest.raises(InvalidMonth, match="in the future"):
        Month.parse("2026-12", now=NOW, horizon=24)
    with pytest.raises(InvalidMonth, match="years before 1970"):
        Month.parse("0001-01", now=NOW, horizon=24)


def test_the_horizon_moves_with_the_clock_in_utc() -> None:
    """At 00:30 on 1 December in UTC+2 it is still November in UTC: November 2024 is still in."""
    east = datetime(2026, 12, 1, 0, 30, tzinfo=timezone(timedelta(hours=2)))
    assert Month.parse("2024-12", now=east, horizon=24) == Month(2024, 12)
    with pytest.raises(InvalidMonth):
        Month.parse("2024-12", now=datetime(2027, 1, 1, tzinfo=UTC), horizon=24)


@pytest.mark.parametrize(("horizon", "earliest"), HORIZONS)
def test_selectable_months_are_the_horizon_newest_first(horizon: int, earliest: Month) -> None:
    offered = selectable_months(horizon, now=NOW)
    assert len(offered) == horizon and offered[0] == Month(2026, 11) and offered[-1] == earliest
    assert offered == sorted(offered, reverse=True)
    for month in offered:  # every month offered parses within the horizon, and nothing else does
        assert Month.parse(str(month), now=NOW, horizon=horizon) == month


@pytest.mark.parametrize("horizon", [0, -1])
def test_a_horizon_below_one_is_a_programming_error(horizon: int) -> None:
    with pytest.raises(ValueError):
        selectable_months(horizon, now=NOW)


@given(st.integers(1, 600), st.builds(Month, st.integers(1970, 2026), st.integers(1, 12)))
def test_parse_within_a_horizon_agrees_with_the_offered_months(horizon: int, month: Month) -> None:
    offered = month in selectable_months(horizon, now=NOW)
    try:
        Month.parse(str(month), now=NOW, horizon=horizon)
    except InvalidMonth:
        assert not offered
        return
    assert offered


months = st.builds(Month, st.integers(1970, 2200), st.integers(1, 12))


@given(months)
def test_text_round_trips(month: Month) -> None:
    assert Month.parse(str(month), now=datetime(2201, 1, 1, tzinfo=UTC)) == month


@given(months)
def test_consecutive_months_tile_time(month: Month) -> None:
    """No gap and no overlap: each month ends exactly where the next begins."""
    assert month.end == month.next().start
    assert month.next().previous() == month and month.previous().next() == month
    assert (month.end - month.start) == timedelta(days=len(month.days(now=month.end)))
    assert month.last_day + timedelta(days=1) == month.next().first_day


@given(st.text(max_size=12))
def test_anything_else_parses_only_if_strict_ascii(text: str) -> None:
    future_proof = datetime(9999, 12, 31, tzinfo=UTC)
    try:
        month = Month.parse(text, now=future_proof)
    except InvalidMonth:
        return
    assert text == str(month) and text.isascii() and len(text) == 7

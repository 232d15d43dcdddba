"""Plotly figures from a UsageReport, and each chart's table; no Streamlit, no backgrounds.

Every daily chart spans the whole month: future days are empty slots, and the day the data was read
(still running) is a lighter bar in a shaded column labelled "partial", so nothing relies on colour
alone. Colours are Okabe-Ito (distinguishable with the common colour-vision deficiencies); failed
requests and output tokens also carry a pattern. Backgrounds stay transparent and text colour is left
to the theme, so the same figure reads on a light and on a dark page.

A chart is built once as a `DailyChart` (its days and series); the figure and the table alternative
are both drawn from it, so they show the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from typing import Any, Literal

import plotly.graph_objects as go

from usage_core.comparison import PreviousPeriod
from usage_core.months import Month
from usage_core.reports import Budget, UsageReport, plain_number
from usage_core.usage import Metrics

# Okabe & Ito (2008), "Color Universal Design": eight colours told apart with the common
# colour-vision deficiencies. Black is left out of the figures: it vanishes on a dark page.
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"
BLACK = "#000000"
OKABE_ITO = (ORANGE, SKY_BLUE, BLUISH_GREEN, YELLOW, BLUE, VERMILLION, REDDISH_PURPLE, BLACK)
NEUTRAL = "#8C8C8C"  # a mid grey: at least 4:1 against both Streamlit backgrounds

SPEND = BLUE
INPUT = BLUE
OUTPUT = ORANGE
SUCCESS = BLUISH_GREEN
FAILED = VERMILLION
PROJECTION = REDDISH_PURPLE
PREVIOUS = NEUTRAL
WARNING = ORANGE

# Patterns carry the distinction that colour alone must not: hatched output tokens, crossed failures.
OUTPUT_PATTERN = "/"
FAILED_PATTERN = "x"
PARTIAL_OPACITY = 0.5  # the running day's bar: lighter, in a shaded column labelled "partial"
PARTIAL_LABEL = "partial"

Level = Literal["none", "ok", "warning", "over"]
SeriesKind = Literal["bar", "projection", "previous"]

HEIGHT = 300
_HOVER_DAY = "%a %b %-d, %Y (UTC)"
_DAY_MS = 86_400_000


@dataclass(frozen=True)
class Series:
    """One named series of a daily chart: a value per day of the month (None: nothing to draw)."""

    name: str
    kind: SeriesKind
    values: tuple[float | None, ...]
    color: str
    unit: str  # "USD", or what is counted ("tokens", "requests")
    pattern: str = ""
    hover_notes: tuple[str, ...] = ()  # per day, for hover only (a previous day's date); empty: none


@dataclass(frozen=True)
class DailyChart:
    """A daily chart's content: every day of the month, the running day, and its series."""

    month: Month
    days: tuple[date, ...]
    partial: date | None
    series: tuple[Series, ...]
    y_title: str
    stacked: bool

    def of_kind(self, kind: SeriesKind) -> tuple[Series, ...]:
        """The series of one kind, in drawing order."""
        return tuple(s for s in self.series if s.kind == kind)


@dataclass(frozen=True)
class ChartTable:
    """A chart's numbers as rows: the table alternative of the figure."""

    columns: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]


# -- days --------------------------------------------------------------------------------------


def month_days(month: Month) -> tuple[date, ...]:
    """Every day of the month, future ones included: the x axis of every daily chart."""
    return tuple(month.days(month.end))


def partial_day(report: UsageReport) -> date | None:
    """The shown day the data was read on (still running), or None when every shown day is complete."""
    read_on = report.as_of.astimezone(UTC).date()
    shown = {row.day for row in report.daily}
    return read_on if read_on in shown else None


def _per_day(
    report: UsageReport, days: Sequence[date], value: Callable[[Metrics], float]
) -> tuple[float | None, ...]:
    """`value(metrics)` for each shown day; None for the days not shown yet."""
    by_day = {row.day: row.metrics for row in report.daily}
    return tuple(value(by_day[d]) if d in by_day else None for d in days)


def _previous(
    report: UsageReport, days: Sequence[date], value: Callable[[Metrics], float]
) -> tuple[tuple[float | None, ...], tuple[str, ...]]:
    """The previous month's values on this month's days by day of month, and each one's date."""
    aligned = {row.day: row.metrics for row in report.previous_daily_aligned()}
    previous = report.previous.month if report.previous else report.month.previous()
    values = tuple(value(aligned[d]) if d in aligned else None for d in days)
    notes = tuple(_previous_date(previous, d) if d in aligned else "" for d in days)
    return values, notes


def _previous_date(previous: Month, day: date) -> str:
    on = date(previous.year, previous.month, day.day)
    return f"{on:%b} {on.day}"


def previous_label(period: PreviousPeriod | None, month: Month) -> str:
    """The overlay's legend name: the previous month, aligned by day of month."""
    previous = period.month if period else month.previous()
    return f"{previous.label} (same day)"


# -- the three daily charts --------------------------------------------------------------------


def spend_chart(report: UsageReport, *, compare: bool = False) -> DailyChart:
    """Spend per UTC day; the current month adds the pace from today on as a dashed projection."""
    days = month_days(report.month)
    series = [Series("Spend", "bar", _per_day(report, days, lambda m: m.spend), SPEND, "USD")]
    projected = {p.day: p.value for p in report.forecast.projected_daily}
    if projected:
        values = tuple(projected.get(d) for d in days)
        series.append(Series("At this pace (projected)", "projection", values, PROJECTION, "USD"))
    if compare and report.previous is not None:
        values, notes = _previous(report, days, lambda m: m.spend)
        label = previous_label(report.previous, report.month)
        series.append(Series(label, "previous", values, PREVIOUS, "USD", hover_notes=notes))
    return DailyChart(report.month, days, partial_day(report), tuple(series), "Spend (USD)", stacked=False)


def tokens_chart(report: UsageReport, *, compare: bool = False) -> DailyChart:
    """Input and output tokens per UTC day, stacked; the overlay is last month's input + output."""
    days = month_days(report.month)
    series = [
        Series("Input tokens", "bar", _per_day(report, days, lambda m: m.input_tokens), INPUT, "tokens"),
        Series(
            "Output tokens",
            "bar",
            _per_day(report, days, lambda m: m.output_tokens),
            OUTPUT,
            "tokens",
            pattern=OUTPUT_PATTERN,
        ),
    ]
    if compare and report.previous is not None:
        values, notes = _previous(report, days, _input_and_output)
        label = previous_label(report.previous, report.month)
        series.append(Series(label, "previous", values, PREVIOUS, "tokens", hover_notes=notes))
    return DailyChart(report.month, days, partial_day(report), tuple(series), "Tokens", stacked=True)


def requests_chart(report: UsageReport, *, compare: bool = False) -> DailyChart:
    """Successful and failed requests per UTC day, stacked; the overlay is last month's requests."""
    days = month_days(report.month)
    series = [
        Series(
            "Successful", "bar", _per_day(report, days, lambda m: m.successful_requests), SUCCESS, "requests"
        ),
        Series(
            "Failed",
            "bar",
            _per_day(report, days, lambda m: m.failed_requests),
            FAILED,
            "requests",
            pattern=FAILED_PATTERN,
        ),
    ]
    if compare and report.previous is not None:
        values, notes = _previous(report, days, lambda m: m.requests)
        label = previous_label(report.previous, report.month)
        series.append(Series(label, "previous", values, PREVIOUS, "requests", hover_notes=notes))
    return DailyChart(report.month, days, partial_day(report), tuple(series), "Requests", stacked=True)


def _input_and_output(m: Metrics) -> int:
    return m.input_tokens + m.output_tokens


def daily_spend(report: UsageReport, *, compare: bool = False) -> Any:
    """The daily spend figure."""
    return figure(spend_chart(report, compare=compare))


def daily_tokens(report: UsageReport, *, compare: bool = False) -> Any:
    """The daily tokens figure."""
    return figure(tokens_chart(report, compare=compare))


def daily_requests(report: UsageReport, *, compare: bool = False) -> Any:
    """The daily requests figure."""
    return figure(requests_chart(report, compare=compare))


# -- figure ------------------------------------------------------------------------------------


def _amount(value: float | None, unit: str) -> str:
    """A value as the hover shows it: dollars unrounded (as the CSV), counts with separators."""
    if value is None:
        return ""
    if unit == "USD":
        return f"${plain_number(value)} USD"
    return f"{round(value):,} {unit}"


def _bar(chart: DailyChart, s: Series) -> dict[str, Any]:
    marker: dict[str, Any] = {"color": s.color}
    if chart.partial is not None:
        marker["opacity"] = [PARTIAL_OPACITY if d == chart.partial else 1.0 for d in chart.days]
    if s.pattern:
        # drawn over the fill in a translucent white, so it shows on the bar whatever the page colour
        marker["pattern"] = {
            "shape": s.pattern,
            "fillmode": "overlay",
            "fgcolor": "rgba(255,255,255,0.7)",
            "size": 6,
            "solidity": 0.35,
        }
    # the exact values as text for hover; the y values stay numbers for drawing
    exact = [
        _amount(v, s.unit) + (", partial day" if d == chart.partial else "")
        for d, v in zip(chart.days, s.values, strict=True)
    ]
    return {
        "type": "bar",
        "name": s.name,
        "x": list(chart.days),
        "y": list(s.values),
        "marker": marker,
        "customdata": exact,
        "hovertemplate": f"{s.name}: %{{customdata}}<extra></extra>",
    }


def _line(chart: DailyChart, s: Series) -> dict[str, Any]:
    dashed = s.kind == "projection"
    notes = s.hover_notes or ("",) * len(s.values)
    per_day = "/day" if dashed else ""
    hover = [
        (f"{note}: " if note else "") + _amount(v, s.unit) + per_day
        for note, v in zip(notes, s.values, strict=True)
    ]
    return {
        "type": "scatter",
        "x": list(chart.days),
        "y": list(s.values),
        "mode": "lines" if dashed else "lines+markers",
        "name": s.name,
        "line": {"color": s.color, "width": 2.5 if dashed else 2, "dash": "dash" if dashed else "dot"},
        "marker": {"symbol": "circle-open", "size": 6, "color": s.color},
        "connectgaps": False,
        "customdata": hover,
        "hovertemplate": f"{s.name}: %{{customdata}}<extra></extra>",
    }


def figure(chart: DailyChart) -> Any:
    """The chart as a plotly figure: bars, a dashed projection, a dotted previous-month line."""
    traces = [_bar(chart, s) if s.kind == "bar" else _line(chart, s) for s in chart.series]
    first, last = chart.days[0], chart.days[-1]
    layout: dict[str, Any] = {
        "barmode": "stack" if chart.stacked else "group",
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "margin": {"l": 8, "r": 8, "t": 8, "b": 8},
        "height": HEIGHT,
        "hovermode": "x unified",
        "showlegend": True,
        # in drawing order, also for stacked bars (plotly reverses those by default)
        "legend": {
            "orientation": "h",
            "yanchor": "bottom",
            "y": 1.02,
            "xanchor": "left",
            "x": 0,
            "traceorder": "normal",
        },
        "bargap": 0.25,
        "xaxis": {
            "title": {"text": "Day (UTC)"},
            "type": "date",
            # the whole month, half a day either side so the first and last bars are whole
            "range": [f"{first - timedelta(days=1):%Y-%m-%d} 12:00", f"{last:%Y-%m-%d} 12:00"],
            "tickformat": "%b %-d",
            "hoverformat": _HOVER_DAY,
            "tick0": first.isoformat(),  # weekly ticks from the 1st, so the daily charts line up
            "dtick": 7 * _DAY_MS,
            "showgrid": False,
        },
        "yaxis": {
            "title": {"text": chart.y_title},
            "tickprefix": "$" if chart.y_title == "Spend (USD)" else "",
            "rangemode": "tozero",
            "separatethousands": True,
        },
    }
    if chart.partial is not None:
        day = chart.partial
        layout["shapes"] = [
            {
                "type": "rect",
                "xref": "x",
                "yref": "paper",
                "x0": f"{day - timedelta(days=1):%Y-%m-%d} 12:00",
                "x1": f"{day:%Y-%m-%d} 12:00",
                "y0": 0,
                "y1": 1,
                "fillcolor": "rgba(140,140,140,0.15)",
                "line": {"width": 0},
                "layer": "below",
            }
        ]
        layout["annotations"] = [
            {
                "x": day.isoformat(),
                "xref": "x",
                "y": 1,
                "yref": "paper",
                "yanchor": "top",
                "text": PARTIAL_LABEL,
                "textangle": -90,
                "showarrow": False,
                "font": {"size": 11},
            }
        ]
    return go.Figure({"data": traces, "layout": layout})


def alt_text(chart: DailyChart) -> str:
    """What the figure shows, in words, for a screen reader (the chart's accessible name)."""
    bars = chart.of_kind("bar")
    what = chart.y_title.lower()
    if len(bars) > 1:
        what += f" ({' and '.join(s.name.lower() for s in bars)}, stacked)"
    parts = [f"Bar chart of {what} per UTC day of {chart.month.label}."]
    for s in chart.of_kind("projection"):
        parts.append(f"A dashed line shows {s.name.lower()} from today to the month's end.")
    for s in chart.of_kind("previous"):
        parts.append(f"A dotted line shows {s.name}.")
    if chart.partial is not None:
        parts.append(f"{chart.partial:%b} {chart.partial.day} is partial: the day is still running.")
    parts.append("The table under the chart lists the same numbers.")
    return " ".join(parts)


# -- table alternative -------------------------------------------------------------------------


def day_status(chart: DailyChart, day: date, shown: bool) -> str:
    """How complete a day's numbers are: complete, partial (the running day), or not yet."""
    if day == chart.partial:
        return "partial (today so far)"
    return "complete" if shown else "not yet"


def table_of(chart: DailyChart) -> ChartTable:
    """The chart's numbers, one row per day of the month: the date, its status, then each series."""
    columns = ("Date (UTC)", "Day", *(_column(s) for s in chart.series))
    bars = chart.of_kind("bar")
    rows = []
    for i, day in enumerate(chart.days):
        shown = bars[0].values[i] is not None if bars else True
        rows.append((day, day_status(chart, day, shown), *(s.values[i] for s in chart.series)))
    return ChartTable(columns, tuple(rows))


def _column(s: Series) -> str:
    return f"{s.name} (USD)" if s.unit == "USD" else f"{s.name}"


# -- budgets -----------------------------------------------------------------------------------


def budget_level(budget: Budget) -> Level:
    """How close a budget is to its limit; a zero budget with no spend is already used up."""
    if budget.max_budget is None:
        return "none"
    if budget.spend > budget.max_budget or budget.max_budget == 0:
        return "over"
    if budget.spend >= 0.8 * budget.max_budget:
        return "warning"
    return "ok"


_LEVEL_COLOR = {"none": SPEND, "ok": SUCCESS, "warning": WARNING, "over": FAILED}


def budget_gauge(budget: Budget) -> Any:
    """A gauge of spent against max (USD); the caller shows 'No budget set' when max is None."""
    if budget.max_budget is None:
        raise ValueError("a gauge needs a budget; show 'No budget set' instead")
    top = max(budget.max_budget, budget.spend)
    top = top * 1.05 if budget.spend > budget.max_budget else top
    top = top or 1.0  # a zero budget with no spend still needs a visible scale
    indicator = {
        "type": "indicator",
        "mode": "gauge+number",
        "value": budget.spend,
        "number": {"prefix": "$", "valueformat": ",.2f", "suffix": " spent", "font": {"size": 22}},
        "gauge": {
            "shape": "angular",
            "axis": {"range": [0, top], "tickprefix": "$", "tickformat": ",.0f", "nticks": 5},
            "bar": {"color": _LEVEL_COLOR[budget_level(budget)], "thickness": 0.75},
            "bgcolor": "rgba(128,128,128,0.15)",
            "borderwidth": 0,
            # the limit in neutral grey: it must stay visible on a bar of any level's colour
            "threshold": {
                "line": {"color": NEUTRAL, "width": 4},
                "thickness": 0.9,
                "value": budget.max_budget,
            },
        },
    }
    layout = {"paper_bgcolor": "rgba(0,0,0,0)", "height": 170, "margin": {"l": 28, "r": 28, "t": 24, "b": 4}}
    return go.Figure({"data": [indicator], "layout": layout})

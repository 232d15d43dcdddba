"""Plotly figures from a UsageReport; no Streamlit, no backgrounds, so either theme can style them."""

from __future__ import annotations

from typing import Any, Literal

import plotly.graph_objects as go

from usage_core.reports import Budget, UsageReport, plain_number

# Mid-tone colours that keep their contrast on a light and on a dark background.
SPEND = "#6366F1"
INPUT = "#0EA5E9"
OUTPUT = "#F59E0B"
SUCCESS = "#10B981"
FAILED = "#EF4444"
WARNING = "#F59E0B"

Level = Literal["none", "ok", "warning", "over"]

_DAY = "%{x|%a %b %-d, %Y}"


def _layout(fig: Any, report: UsageReport, *, y_title: str, stacked: bool = False, y_prefix: str = "") -> Any:
    """Shared layout: transparent backgrounds, unit-bearing axis titles, unified hover."""
    fig.update_layout(
        barmode="stack" if stacked else "group",
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        margin={"l": 8, "r": 8, "t": 8, "b": 8},
        height=300,
        hovermode="x unified" if stacked else "closest",
        legend={
            "orientation": "h",
            "yanchor": "bottom",
            "y": 1.02,
            "xanchor": "left",
            "x": 0,
            "traceorder": "normal",
        },
        bargap=0.25,
    )
    # weekly ticks from the 1st, so the three daily charts line up
    first = report.month.first_day.isoformat()
    fig.update_xaxes(
        title_text="Day (UTC)", tickformat="%b %-d", showgrid=False, tick0=first, dtick=7 * 86_400_000
    )
    fig.update_yaxes(title_text=y_title, tickprefix=y_prefix, rangemode="tozero", separatethousands=True)
    return fig


def daily_spend(report: UsageReport) -> Any:
    """Spend per UTC day in USD; hover shows the exact unrounded amount."""
    days = [row.day for row in report.daily]
    spend = [row.metrics.spend for row in report.daily]
    fig = go.Figure(
        go.Bar(
            x=days,
            y=spend,
            name="Spend",
            marker_color=SPEND,
            customdata=[plain_number(v) for v in spend],
            hovertemplate=f"{_DAY}<br>Spend: $%{{customdata}} USD<extra></extra>",
        )
    )
    return _layout(fig, report, y_title="Spend (USD)", y_prefix="$")


def _stacked_counts(
    report: UsageReport, series: tuple[tuple[str, str, list[int]], ...], *, y_title: str, unit: str = ""
) -> Any:
    """Integer series per UTC day, stacked, with exact counts on hover."""
    days = [row.day for row in report.daily]
    fig = go.Figure()
    for name, color, values in series:
        fig.add_trace(
            go.Bar(
                x=days,
                y=values,
                name=name,
                marker_color=color,
                hovertemplate=f"{name}: %{{y:,d}}{unit}<extra></extra>",
            )
        )
    return _layout(fig, report, y_title=y_title, stacked=True)


def daily_tokens(report: UsageReport) -> Any:
    """Input and output tokens per UTC day, stacked."""
    series = (
        ("Input tokens", INPUT, [row.metrics.input_tokens for row in report.daily]),
        ("Output tokens", OUTPUT, [row.metrics.output_tokens for row in report.daily]),
    )
    return _stacked_counts(report, series, y_title="Tokens")


def daily_requests(report: UsageReport) -> Any:
    """Successful and failed requests per UTC day, stacked."""
    series = (
        ("Successful", SUCCESS, [row.metrics.successful_requests for row in report.daily]),
        ("Failed", FAILED, [row.metrics.failed_requests for row in report.daily]),
    )
    return _stacked_counts(report, series, y_title="Requests", unit=" requests")


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
    fig = go.Figure(
        go.Indicator(
            mode="gauge+number",
            value=budget.spend,
            number={"prefix": "$", "valueformat": ",.2f", "suffix": " spent", "font": {"size": 22}},
            gauge={
                "shape": "angular",
                "axis": {"range": [0, top], "tickprefix": "$", "tickformat": ",.0f", "nticks": 5},
                "bar": {"color": _LEVEL_COLOR[budget_level(budget)], "thickness": 0.75},
                "bgcolor": "rgba(128,128,128,0.15)",
                "borderwidth": 0,
                "threshold": {
                    "line": {"color": FAILED, "width": 3},
                    "thickness": 0.9,
                    "value": budget.max_budget,
                },
            },
        )
    )
    fig.update_layout(
        paper_bgcolor="rgba(0,0,0,0)",
        height=170,
        margin={"l": 28, "r": 28, "t": 24, "b": 4},
    )
    return fig

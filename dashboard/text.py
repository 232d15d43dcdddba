"""Every string that reaches the screen goes through here: templates are ours, arguments are shown as text.

Streamlit reads Markdown in nearly every element (titles, alerts, captions, metric labels and help,
badges, toasts, button, tab and expander labels): links, auto-loaded images, colour directives, icons,
LaTeX, and it turns bare URLs and e-mail addresses into links. Text from outside (URL parameters,
LiteLLM names, tenant fields, identity claims, error text) must never be read as any of that, so:

- the template is ours: a string literal or one of our constants, with `{}` where outside text goes
  (tests/test_text_guard.py checks every call site of the pages and the dashboard package);
- every argument is outside text: cleaned, shortened for the element, and made literal in the way
  that element needs. A message that already holds outside text is shown whole: `warning("{}", notice)`.

How each element is made literal (checked in Chromium against Streamlit 1.67,
tests/e2e/test_hostile_browser.py, and with AppTest, tests/test_hostile_text.py):
- Markdown elements: `markdown_literal` (backslash escapes and word joiners) shows every character
  and makes no link, image, format, directive, icon or formula.
- Badges: st.badge escapes '[' and ']' itself; escaping them here too would show the backslashes.
- Selectbox options (format_func): plain text, so only cleaned and shortened; escapes would show.
- Tables: cells are drawn as plain text; text cells are also neutralised for the toolbar's CSV export.
- Plotly figures: usage_core.charts passes any outside text through `plotly_text`.
"""

from __future__ import annotations

import string
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import streamlit as st

from usage_core.plaintext import clean, csv_cell, markdown_literal, shorten

# How much outside text each kind of element shows before an ellipsis: enough to tell names apart,
# short enough that a 10,000-character name cannot push the page apart.
TITLE_CHARS = 80
LABEL_CHARS = 60
LINE_CHARS = 300
TOOLTIP_CHARS = 1000

_FORMATTER = string.Formatter()


def _check_template(template: str) -> None:
    """Refuse a template that could misplace outside text: only bare `{}`, never inside a code span."""
    for _, field, spec, conversion in _FORMATTER.parse(template):
        if field is not None and (field or spec or conversion):
            raise ValueError(f"only bare {{}} placeholders are allowed: {template!r}")
    # Inside `code` Markdown shows backslashes as typed, so an escaped argument would read wrongly.
    if any("{}" in part for part in template.split("`")[1::2]):
        raise ValueError(f"a placeholder inside a code span cannot be made literal: {template!r}")


def literal(value: object, limit: int = LINE_CHARS) -> str:
    """Outside text as Markdown that renders exactly as its (cleaned, shortened) characters."""
    return markdown_literal(shorten(str(value), limit))


def md(template: str, *args: object, limit: int = LINE_CHARS) -> str:
    """Our Markdown `template` with each `{}` filled by an argument made literal."""
    _check_template(template)
    if template.count("{}") != len(args):
        raise ValueError(f"{template!r} has {template.count('{}')} placeholders for {len(args)} arguments")
    return template.format(*(literal(arg, limit) for arg in args))


def _with_tooltip(template: str, args: Sequence[object], limit: int) -> tuple[str, str | None]:
    """The shortened text, and the longer text as a tooltip when shortening hid part of it."""
    short = md(template, *args, limit=limit)
    longer = md(template, *args, limit=max(limit, TOOLTIP_CHARS // max(1, len(args))))
    return short, (longer if longer != short else None)


# -- Markdown elements -----------------------------------------------------------------------


def title(template: str, *args: object, limit: int = TITLE_CHARS) -> None:
    """The page title; a shortened name keeps its longer form in a tooltip."""
    body, tooltip = _with_tooltip(template, args, limit)
    st.title(body, anchor=False, help=tooltip)


def subheader(template: str, *args: object) -> None:
    """A section heading."""
    body, tooltip = _with_tooltip(template, args, TITLE_CHARS)
    st.subheader(body, anchor=False, help=tooltip)


def markdown(template: str, *args: object, limit: int = LINE_CHARS) -> None:
    """A paragraph of our Markdown; `limit` shortens each argument."""
    st.markdown(md(template, *args, limit=limit))


def caption(template: str, *args: object, limit: int = LINE_CHARS) -> None:
    """Small print; `limit` shortens each argument (narrow places such as the sidebar want less)."""
    st.caption(md(template, *args, limit=limit))


def info(template: str, *args: object, icon: str | None = None) -> None:
    """A blue message box."""
    st.info(md(template, *args), icon=icon)


def warning(template: str, *args: object, icon: str | None = None) -> None:
    """A yellow message box."""
    st.warning(md(template, *args), icon=icon)


def error(template: str, *args: object, icon: str | None = None) -> None:
    """A red message box."""
    st.error(md(template, *args), icon=icon)


def success(template: str, *args: object, icon: str | None = None) -> None:
    """A green message box."""
    st.success(md(template, *args), icon=icon)


def toast(template: str, *args: object, icon: str | None = None) -> None:
    """A short-lived notice in the corner."""
    st.toast(md(template, *args), icon=icon)


def metric(label: str, value: str, *, help: str | None = None, **options: Any) -> None:
    """A KPI: `label` and `help` are our Markdown (build `help` with `md`), `value` is our number."""
    st.metric(md(label), value, help=help, **options)


def badge(label: str, *, icon: str | None = None, color: str = "blue") -> None:
    """A coloured label; its text is shown literally."""
    escaped = literal(label, LABEL_CHARS).replace("\\[", "[").replace("\\]", "]")
    st.badge(escaped, icon=icon, color=color)  # type: ignore[arg-type]


@contextmanager
def expander(template: str, *args: object, expanded: bool = False) -> Iterator[None]:
    """A collapsible section whose label is our template."""
    with st.expander(md(template, *args, limit=TITLE_CHARS), expanded=expanded):
        yield


# -- plain-text elements ---------------------------------------------------------------------


def option(template: str, *args: object) -> str:
    """A selectbox option label (format_func): plain text there, so arguments are cleaned and shortened."""
    _check_template(template)
    return template.format(*(shorten(str(arg), LABEL_CHARS) for arg in args))


def team_option(team_id: str, alias: str | None) -> str:
    """A LiteLLM team as a picker option: "alias (id)", or the id alone."""
    return option("{} ({})", alias, team_id) if alias else option("{}", team_id)


def cell(value: object) -> str:
    """A table cell: one clean line, never read as a formula by a spreadsheet (the toolbar's CSV)."""
    return csv_cell(" ".join(clean(str(value)).split()))


def table(frame: Any, *, text_columns: Sequence[str], **options: Any) -> None:
    """A dataframe whose text columns hold outside text.

    The table toolbar's "Download as CSV" writes cells as they are (Streamlit 1.67 does not neutralise
    formulas). Hiding it needs the process-wide `client.disableDataExport`, which also disables copying
    cells, and a config file the app may not be started with; neutralising the cells we show instead
    keeps sorting, search, copy and export, and the screen shows exactly what a spreadsheet will get.
    """
    shown = frame.copy()
    for column in text_columns:
        shown[column] = shown[column].map(cell)
    st.dataframe(shown, **options)

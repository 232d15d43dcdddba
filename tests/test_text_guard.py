"""Every page and dashboard module renders text through dashboard/text.py, with templates that are ours.

A new page cannot put outside text into Markdown by accident: a raw `st.markdown(f"...")`, an f-string
template, or a computed widget label fails here, before it reaches a browser.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEXT_MODULE = ROOT / "dashboard" / "text.py"
# Every page and dashboard module except the text module, the one place that calls Streamlit's elements.
CHECKED = sorted(
    p
    for p in [ROOT / "app.py", *(ROOT / "views").glob("*.py"), *(ROOT / "dashboard").glob("*.py")]
    if p != TEXT_MODULE
)

# Streamlit calls that render their text argument (Markdown or HTML) or show a table of it.
RENDERING = {
    "title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success",
    "toast", "badge", "metric", "write", "write_stream", "text", "latex", "html", "exception", "help",
    "dataframe", "table", "data_editor", "json", "expander", "tabs", "popover", "status", "dialog",
}  # fmt: skip
# dashboard.text functions whose first argument is our template (badge is literal-only: any label).
TEMPLATED = {
    "title", "subheader", "markdown", "caption", "info", "warning", "error", "success", "toast",
    "md", "option", "expander", "metric",
}  # fmt: skip
# Widgets whose label Streamlit reads as Markdown.
LABELLED = {
    "button", "download_button", "link_button", "page_link", "selectbox", "multiselect", "radio",
    "segmented_control", "pills", "checkbox", "toggle", "text_input", "number_input", "slider",
}  # fmt: skip
# Keyword arguments that Streamlit reads as Markdown.
MARKDOWN_KEYWORDS = {"help", "placeholder", "label"}


def _is_ours(node: ast.expr) -> bool:
    """A string literal, one of our UPPER_CASE constants (or an item of one), or text.md(...)."""
    if isinstance(node, ast.Constant):
        return node.value is None or isinstance(node.value, str)
    if isinstance(node, ast.Name):
        return node.id.isupper()
    if isinstance(node, ast.Attribute):
        return node.attr.isupper()
    if isinstance(node, ast.Subscript):
        return _is_ours(node.value)
    return _is_text_call(node, {"md"})


def _is_text_call(node: ast.expr, names: set[str]) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "text"
        and node.func.attr in names
    )


def violations(source: str, name: str = "<page>") -> list[str]:
    """Where `source` renders text other than through dashboard.text with our templates."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        func, where = node.func, f"{name}:{node.lineno}"
        through_text = isinstance(func.value, ast.Name) and func.value.id == "text"
        # (a call without arguments renders nothing: `name.title()` is str.title)
        if func.attr in RENDERING and not through_text and (node.args or node.keywords):
            found.append(f"{where}: .{func.attr}() outside dashboard/text.py")
        if through_text and func.attr in TEMPLATED and (not node.args or not _is_ours(node.args[0])):
            found.append(f"{where}: text.{func.attr}() needs a template that is ours (a literal or CONSTANT)")
        if func.attr in LABELLED and not through_text and node.args and not _is_ours(node.args[0]):
            found.append(f"{where}: .{func.attr}() label must be ours (a literal, CONSTANT or text.md)")
        for keyword in node.keywords:
            if keyword.arg in MARKDOWN_KEYWORDS and not _is_ours(keyword.value):
                found.append(f"{where}: {keyword.arg}= must be ours (a literal, CONSTANT or text.md)")
    return found


@pytest.mark.parametrize("path", CHECKED, ids=lambda p: str(p.relative_to(ROOT)))
def test_pages_and_dashboard_modules_render_text_only_through_the_text_module(path: Path) -> None:
    assert violations(path.read_text(), str(path.relative_to(ROOT))) == []


def test_the_check_covers_every_page_and_dashboard_module() -> None:
    names = {str(p.relative_to(ROOT)) for p in CHECKED}
    assert {"app.py", "views/usage.py", "views/admin.py", "dashboard/report_layout.py"} <= names
    assert "dashboard/signin.py" in names and "dashboard/problems.py" in names


# What the check must refuse, and what it must let through.
BAD = [
    'st.markdown(f"Hello {name}")',
    'st.sidebar.caption("fixed")',  # even a fixed string: the one place is dashboard/text.py
    "column.metric(label, value)",
    "slot.caption(display.as_of(moment))",
    'st.write("x")',
    "st.dataframe(frame)",
    'with st.expander(f"{name}"): pass',
    'text.warning(f"Tenant {name} was not found.")',
    'text.title(heading + " - " + month)',
    "text.info(resolution.reason)",
    "text.option(tenant.display_name)",
    'st.button(f"Continue as {name}")',
    'st.selectbox(label, options, format_func=str, key="k")',
    'st.button("Go", help=f"about {name}")',
    'text.metric("Spend", value, help=f"Exactly {amount}")',
]
GOOD = [
    'text.warning("Tenant {} was not found.", name)',
    'text.info("{}", resolution.reason, icon=":material/inbox:")',
    "text.info(display.COMPANY_WIDE_NOTE)",
    'text.title("{} - {}", heading, month.label)',
    "text.badge(label, color=color)",
    'text.metric("Spend", value, help=text.md("Exactly {}", amount))',
    'st.button("Retry", key="retry")',
    "st.button(PERSONA_BUTTON[name])",
    'st.button(text.md("Log in with {}", label), key="login")',
    'st.selectbox("Tenant", names, format_func=lambda n: text.option("{}", n), placeholder="Pick one")',
    'st.code(AUTH_EXAMPLE, language="toml")',
    "st.plotly_chart(figure)",
]


@pytest.mark.parametrize("source", BAD)
def test_the_check_refuses(source: str) -> None:
    assert violations(source)


@pytest.mark.parametrize("source", GOOD)
def test_the_check_lets_through(source: str) -> None:
    assert violations(source) == []

"""Text from outside, made inert for each place it reaches: Markdown, plotly, CSV cells, terminals.

Outside text is anything we did not write: URL parameters, LiteLLM names, tenant fields, identity
claims, error text. Each function returns text that shows the same characters and does nothing else.
"""

from __future__ import annotations

import html
import re

# CSI and OSC sequences (colours, cursor moves, screen clears, OSC-8 hyperlinks), 7-bit and 8-bit.
_ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
)
_LINE_BREAKS = re.compile(r"[\r\n\t\v\f\u2028\u2029\x85]+")
# C0/C1 controls and the bidirectional overrides/isolates that can make text read backwards.
_INVISIBLE_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_ASCII_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
# Streamlit's Markdown also rewrites plain text after parsing (autolinked URLs, www. hosts and e-mails,
# :emoji: shortcodes, :material/icon: names); an invisible word joiner breaks each of those patterns.
_JOINER = "\u2060"
_TEXT_LEVEL_TRIGGERS = re.compile(r"[:@.]")
_CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ELLIPSIS = "\u2026"


def clean(text: str) -> str:
    """One line of visible text: escape sequences and control characters removed, breaks as spaces."""
    text = _ESCAPE_SEQUENCE.sub("", text)
    text = _LINE_BREAKS.sub(" ", text)
    return _INVISIBLE_CONTROLS.sub("", text)


def shorten(text: str, limit: int) -> str:
    """One clean line of at most `limit` characters; a longer one is cut and ends with an ellipsis."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    line = " ".join(clean(text).split())
    if len(line) <= limit:
        return line
    return line[: limit - 1].rstrip() + ELLIPSIS


def markdown_literal(text: str) -> str:
    """Markdown that Streamlit renders as exactly `text`: no link, image, format, directive or icon."""
    joined = _TEXT_LEVEL_TRIGGERS.sub(_joined, " ".join(clean(text).split()))
    return _ASCII_PUNCTUATION.sub(r"\\\1", joined)


def _joined(match: re.Match[str]) -> str:
    # A '.' gets the joiner on both sides so neither "www." nor "host.example" survives as a pattern.
    trigger = match.group()
    return f"{_JOINER}.{_JOINER}" if trigger == "." else f"{trigger}{_JOINER}"


def plotly_text(text: str) -> str:
    """Text for plotly titles, labels and hover: its HTML subset (<a>, <b>, <br>) shown, not applied."""
    return html.escape(clean(text), quote=False)


def csv_cell(text: str) -> str:
    """A CSV text cell that a spreadsheet reads as text, never as a formula."""
    return f"'{text}" if text.startswith(_CSV_FORMULA_START) else text


def terminal_text(text: str) -> str:
    """Text for a terminal: no escape sequence, no control character, one line."""
    return clean(text)

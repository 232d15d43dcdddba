"""Hostile strings for every place outside text reaches: each kind of attack, with a marker to find it by.

A payload is built from a kind and a marker (letters only, so no treatment changes it): the marker says
which source the text came from (a URL parameter, a tenant's display name, a LiteLLM alias...), and it
stands first so that shortening keeps it. What must never appear on screen as live markup, whatever
the treatment, is listed in LIVE_TOKENS.
"""

from __future__ import annotations

import re

# kind -> template; "{m}" is replaced by the source's marker.
KINDS: dict[str, str] = {
    "link": "[{m} Session expired, sign in again](https://evil.example/login)",
    "image": "![{m}](https://evil.example/p.png)",
    "bold": "**{m}** _em_ ~~gone~~ `code`",
    "html": "<b>{m}</b><img src=x onerror=alert(1)><a href='https://evil.example/'>click</a><br>",
    "bare_url": "{m} https://evil.example/login www.evil.example help@evil.example",
    "colour": ":red[{m}] :red-background[alarm] :blue-badge[badge]",
    "icon_emoji": "{m} :material/home: :smile:",
    "latex": "${m}^2$ $$x$$",
    "block": "# {m}\n- item\n> quote\n1. one",
    "long": "{m}" + "W" * 10_000,
    "rtl": "{m} \u202etxt.exe\u202c \u2066isolated\u2069",
    "control": "{m}\x00\x07\x08 bell\r\nline\ttab\x7f\x85end",
    "ansi": "{m} \x1b[31mred\x1b[0m \x1b]8;;https://evil.example/\x07osc link\x1b]8;;\x07 \x1b]0;title\x07",
    "formula": '={m}&HYPERLINK("https://evil.example/","click")',
}

# Pieces of the payloads that our own templates never contain: none may appear unescaped in a
# Markdown source, nor at all in a plain-text element (control and escape characters).
LIVE_TOKENS = (
    "](",
    "![",
    "<b",
    "<img",
    "<a ",
    "<br",
    "://",
    "www.",
    "@evil",
    ":red[",
    ":red-background[",
    ":blue-badge[",
    ":material/home:",
    ":smile:",
    "$$",
    "^2$",
    "_em_",
    "~~gone",
    "`code",
    "# hx",
    "> quote",
    "=HYPERLINK",
)
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def payload(kind: str, marker: str) -> str:
    """The hostile string of `kind` carrying `marker`."""
    assert marker.isalpha(), "a marker must survive every treatment unchanged"
    return KINDS[kind].replace("{m}", marker)

"""Outside text made inert: one table of what each function does, then properties over any text."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from usage_core.plaintext import (
    ELLIPSIS,
    clean,
    csv_cell,
    markdown_literal,
    plotly_text,
    shorten,
    terminal_text,
)

J = "\u2060"  # the word joiner markdown_literal puts after ':' '@' and around '.'

# (input, clean, markdown_literal)
TABLE = [
    ("Acme Production", "Acme Production", "Acme Production"),
    ("**bold**", "**bold**", r"\*\*bold\*\*"),
    (
        "[x](https://evil.example)",
        "[x](https://evil.example)",
        rf"\[x\]\(https\:{J}\/\/evil{J}\.{J}example\)",
    ),
    ("![i](p.png)", "![i](p.png)", rf"\!\[i\]\(p{J}\.{J}png\)"),
    ("<b>x</b>", "<b>x</b>", r"\<b\>x\<\/b\>"),
    (":red[x]", ":red[x]", rf"\:{J}red\[x\]"),
    (":material/home:", ":material/home:", rf"\:{J}material\/home\:{J}"),
    ("$x$", "$x$", r"\$x\$"),
    ("a@b.example", "a@b.example", rf"a\@{J}b{J}\.{J}example"),
    ("www.evil.example", "www.evil.example", rf"www{J}\.{J}evil{J}\.{J}example"),
    ("# heading", "# heading", r"\# heading"),
    ("&lt;", "&lt;", r"\&lt\;"),
    ("a\nb\r\nc\td", "a b c d", "a b c d"),
    ("two  spaces", "two  spaces", "two spaces"),
    ("evil\u202egnp.exe", "evilgnp.exe", rf"evilgnp{J}\.{J}exe"),
    ("\x1b[31mred\x1b[0m", "red", "red"),
    ("\x1b]8;;https://evil.example\x07link\x1b]8;;\x07", "link", "link"),
    ("bell\x07nul\x00", "bellnul", "bellnul"),
    ("\x9b31mred", "red", "red"),
]


@pytest.mark.parametrize(("raw", "cleaned", "literal"), TABLE)
def test_clean_and_markdown_literal(raw: str, cleaned: str, literal: str) -> None:
    assert clean(raw) == cleaned
    assert markdown_literal(raw) == literal


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("gpt-4o", "gpt-4o"),
        ('=HYPERLINK("https://evil.example")', '\'=HYPERLINK("https://evil.example")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_csv_cell(raw: str, expected: str) -> None:
    assert csv_cell(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<b>x</b>", "&lt;b&gt;x&lt;/b&gt;"),
        ("<a href='https://evil.example'>a</a>", "&lt;a href='https://evil.example'&gt;a&lt;/a&gt;"),
        ("a<br>b", "a&lt;br&gt;b"),
        ("&amp;", "&amp;amp;"),
        ("line\nbreak", "line break"),
    ],
)
def test_plotly_text(raw: str, expected: str) -> None:
    assert plotly_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("exactly10!", 10, "exactly10!"),
        ("eleven char", 10, "eleven ch" + ELLIPSIS),
        ("cut at a space", 7, "cut at" + ELLIPSIS),
        ("  padded\n\tname  ", 20, "padded name"),
        ("A" * 10_000, 80, "A" * 79 + ELLIPSIS),
    ],
)
def test_shorten(raw: str, limit: int, expected: str) -> None:
    assert shorten(raw, limit) == expected


def test_shorten_needs_room_for_one_character() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        shorten("x", 0)


# -- properties over any text ----------------------------------------------------------------

any_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=200)
hostile_text = st.text(
    alphabet=st.sampled_from(
        list("[]()!*_~`<>#:@./$\\|-=+&;'\"{}\x1b\x07\x00\t\r\n\u202e\u2066\x9b\x9d ab1")
    ),
    max_size=120,
)
texts = st.one_of(any_text, hostile_text)

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def _unescape(literal: str) -> str:
    return _ESCAPED.sub(r"\1", literal).replace(J, "")


@given(texts)
def test_clean_leaves_no_control_or_bidi_character_and_is_stable(text: str) -> None:
    cleaned = clean(text)
    assert not _CONTROL.search(cleaned)
    assert clean(cleaned) == cleaned
    assert terminal_text(text) == cleaned


@given(texts)
def test_markdown_literal_escapes_every_ascii_punctuation_mark(text: str) -> None:
    literal = markdown_literal(text)
    # once escaped pairs are taken out, no ASCII punctuation is left for Markdown to act on
    assert not re.search(r"[!-/:-@\[-`{-~]", _ESCAPED.sub("", literal))


@given(texts)
def test_markdown_literal_reads_as_the_cleaned_text(text: str) -> None:
    assert _unescape(markdown_literal(text)) == " ".join(clean(text).split())


@given(texts)
def test_markdown_literal_breaks_every_text_level_rewrite(text: str) -> None:
    literal = _ESCAPED.sub(lambda m: m.group(1), markdown_literal(text))  # escapes off, joiners kept
    assert not re.search(r"[a-z]+://", literal, re.IGNORECASE)  # autolinked URL
    assert not re.search(r"www\.", literal, re.IGNORECASE)  # autolinked www. host
    assert not re.search(r"\w@\w", literal)  # autolinked e-mail
    assert not re.search(r":[\w/-]+[:\[]", literal)  # :emoji:, :material/icon:, :red[...]
    assert "\n" not in literal  # one paragraph: no heading, list or quote on a line of its own


@given(texts, st.integers(min_value=1, max_value=300))
def test_shorten_is_a_bounded_prefix_of_the_clean_line(text: str, limit: int) -> None:
    line = " ".join(clean(text).split())
    short = shorten(text, limit)
    assert len(short) <= limit
    if len(line) <= limit:
        assert short == line
    else:
        assert short.endswith(ELLIPSIS) and line.startswith(short[:-1])


@given(texts)
def test_plotly_text_shows_the_clean_text_and_opens_no_tag(text: str) -> None:
    shown = plotly_text(text)
    assert "<" not in shown and ">" not in shown
    assert html.unescape(shown) == clean(text)


@given(texts)
def test_csv_cell_never_starts_a_formula_and_keeps_the_text(text: str) -> None:
    cell = csv_cell(text)
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert cell in (text, "'" + text)
    out = io.StringIO()
    csv.writer(out).writerow([cell])
    assert next(csv.reader(io.StringIO(out.getvalue(), newline=""))) == [cell]

"""The browser suite's own rules, without a browser: what counts as drawn, and as read."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from e2e_browser import SIGN_IN_SCREEN, Screen, agreed_read, report_state
from e2e_helpers import normalise_text

TITLE = "Acme Production - December 2026"
KPI_ROW = (("Spend (USD)", "$12.90"), ("Input tokens", "1,379,754"), ("Output tokens", "492,212"))
DRAWN = Screen(
    url="http://127.0.0.1:8501/?tenant=acme-prod",
    connection="CONNECTED",
    script_state="notRunning",
    stale=0,
    loading=0,
    pending=0,
    running=0,
    headings=(TITLE,),
    metrics=(*KPI_ROW, ("Requests", "1,113"), ("Requests per minute", "300 rpm")),
    alerts=(),
    nav=(),
    sidebar_buttons=("Log out", "Refresh"),
    main_buttons=("Download CSV",),
    main_text=TITLE,
    sidebar_text="Alice Member",
    page_text=TITLE,
)


def test_normalise_text_drops_invisible_joiners_and_collapses_whitespace() -> None:
    shown = "alice@\u2060acme.\u200bexample \ufeff:\u2060 Acme\u00a0 Production\n\n EU\t"
    assert normalise_text(shown) == "alice@acme.example : Acme Production EU"


def test_a_fully_drawn_report_is_reached() -> None:
    assert report_state([TITLE]).holds(DRAWN)
    assert report_state(["Other - December 2026", TITLE]).holds(DRAWN)
    assert DRAWN.kpis.requests.value == 1113


@pytest.mark.parametrize(
    "change",
    [
        {"connection": "PINGING_SERVER"},
        {"script_state": "running"},
        {"script_state": "initial"},  # the first run has not started
        {"stale": 1},  # an element of the previous run is still shown
        {"loading": 1},  # the flake: a KPI's component code had not arrived yet
        {"pending": 1},  # the top is drawn, the charts and tables not yet (the second pass)
        {"running": 1},
        {"headings": ("Acme Development - December 2026",)},
        {"headings": (TITLE, TITLE)},
        {"headings": ()},
        {"metrics": KPI_ROW},  # Requests missing
        {"metrics": (*KPI_ROW, ("Requests", "1,113"), ("Requests", "1,113"))},
        {"metrics": (*KPI_ROW, ("Requests", "n/a"))},
    ],
)
def test_a_report_not_yet_drawn_is_not_reached(change: dict[str, Any]) -> None:
    assert not report_state([TITLE]).holds(dataclasses.replace(DRAWN, **change))


def test_the_sign_in_screen_shows_no_report() -> None:
    sign_in = dataclasses.replace(
        DRAWN,
        headings=("LLM usage dashboard",),
        metrics=(),
        sidebar_buttons=(),
        main_buttons=("Log in with 127.0.0.1",),
    )
    assert SIGN_IN_SCREEN.holds(sign_in)
    assert not SIGN_IN_SCREEN.holds(dataclasses.replace(sign_in, metrics=KPI_ROW))
    assert not SIGN_IN_SCREEN.holds(dataclasses.replace(sign_in, sidebar_buttons=("Log out",)))
    assert not SIGN_IN_SCREEN.holds(dataclasses.replace(sign_in, loading=2))


class PollingClock:
    """Stands in for the page between reads: counts the pauses, never sleeps."""

    def __init__(self) -> None:
        self.pauses = 0

    def wait_for_timeout(self, timeout: float) -> None:
        self.pauses += 1


def test_a_read_counts_only_when_the_next_read_agrees() -> None:
    reads = iter([None, 1, 2, 3, 3])
    clock = PollingClock()
    value = agreed_read(clock, "three", lambda: next(reads), lambda v: v >= 2)  # type: ignore[arg-type]
    assert (value, clock.pauses) == (3, 4)


def test_a_state_never_reached_fails_naming_it() -> None:
    with pytest.raises(AssertionError, match="the answer is 42"):
        agreed_read(PollingClock(), "the answer is 42", lambda: 41, lambda v: v == 42, timeout_ms=0)  # type: ignore[arg-type]

"""What a person does in the dashboard, as Playwright steps; every wait names the exact state it awaits.

The page is read in one piece (`read_screen`: a single synchronous evaluation, so the DOM cannot
change half-way through a read) and every text in it goes through `normalise_text` once. A wait is
a named `State` over such a screen; it returns only when the state holds in two consecutive reads
that agree, so nothing is read from a page that is still being drawn.

Why "settled" is more than Streamlit's script state: the script can be finished while element
components are still being fetched (React shows a `stSkeleton` placeholder per element until its
lazily loaded code arrives), so a finished run can show one KPI and not yet the others.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from e2e_helpers import Shown, normalise_text, parse_shown_number
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, expect

from dashboard.below_fold import PENDING_KEY

LOGIN_BUTTON = re.compile(r"\b(log ?in|sign ?in)\b", re.IGNORECASE)
LOGOUT_BUTTON = re.compile(r"\b(log ?out|sign ?out)\b", re.IGNORECASE)
SIGN_IN_HEADING = "LLM usage dashboard"
SIDEBAR = '[data-testid="stSidebar"]'
MAIN = '[data-testid="stMain"]'
# The KPI row's labels (the limits card's "Requests per minute" must not count as requests).
KPI_LABELS = {
    "spend": re.compile(r"spend(\s*\(usd\))?"),
    "input_tokens": re.compile(r"input tokens"),
    "output_tokens": re.compile(r"output tokens"),
    "requests": re.compile(r"requests"),
}
# Every wait's bound. A page is drawn only when its charts are: on a cold browser profile that
# means fetching and compiling plotly, measured at 10-38 s with this 2-core machine 10x
# oversubscribed. A wait returns as soon as its state holds, so the bound costs only on failure.
APP_TIMEOUT_MS = 90_000
POLL_MS = 100  # the gap between two reads that must agree

# One synchronous read of everything the tests look at. Texts are raw here: Python normalises them.
_READ_SCREEN = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const main = document.querySelector('[data-testid="stMain"]');
  const sidebar = document.querySelector('[data-testid="stSidebar"]');
  const all = (root, selector) => (root ? [...root.querySelectorAll(selector)] : []);
  const text = (element) => (element ? element.innerText : "");
  const buttonLabel = (button) => {
    const markdown = button.querySelector('[data-testid="stMarkdownContainer"]');
    return markdown ? markdown.innerText : button.innerText || button.getAttribute("aria-label") || "";
  };
  return {
    url: location.href,
    connection: app ? app.getAttribute("data-test-connection-state") : null,
    script_state: app ? app.getAttribute("data-test-script-state") : null,
    stale: document.querySelectorAll('[data-stale="true"]').length,
    loading: document.querySelectorAll('[data-testid="stSkeleton"]').length,
    pending: document.querySelectorAll(".st-key-PENDING_KEY").length,
    running: document.querySelectorAll('[data-testid="stStatusWidgetRunningIcon"]').length,
    headings: all(main, '[data-testid="stHeading"] h1').map(text),
    metrics: all(main, '[data-testid="stMetric"]').map((metric) => [
      text(metric.querySelector('[data-testid="stMetricLabel"]')),
      text(metric.querySelector('[data-testid="stMetricValue"]')),
    ]),
    alerts: all(document, '[data-testid="stAlert"]').map(text),
    nav: all(sidebar, '[data-testid="stSidebarNavLink"]').map((a) => [text(a), a.getAttribute("href") || ""]),
    sidebar_buttons: all(sidebar, "button").map(buttonLabel),
    main_buttons: all(main, "button").map(buttonLabel),
    main_text: text(main),
    sidebar_text: text(sidebar),
    page_text: [document.body ? document.body.textContent : "", ...all(document, "input").map((i) => i.value)]
      .join("\\n"),
  };
}""".replace("PENDING_KEY", PENDING_KEY)


@dataclass(frozen=True)
class Kpis:
    """The KPI row as shown."""

    spend: Shown
    input_tokens: Shown
    output_tokens: Shown
    requests: Shown


@dataclass(frozen=True)
class Screen:
    """One atomic read of the app, every text normalised."""

    url: str
    connection: str | None  # stApp's data-test-connection-state
    script_state: str | None  # stApp's data-test-script-state
    stale: int  # elements of an earlier run still shown
    loading: int  # elements whose component code has not arrived yet (Suspense placeholders)
    pending: int  # the report's second pass not drawn yet (dashboard/below_fold.py's placeholder)
    running: int  # the status widget's "Running..." icon
    headings: tuple[str, ...]  # the h1 titles in the main area
    metrics: tuple[tuple[str, str], ...]  # (label, value) of every metric in the main area
    alerts: tuple[str, ...]  # every message box (info, warning, error)
    nav: tuple[tuple[str, str], ...]  # sidebar navigation: (text, href)
    sidebar_buttons: tuple[str, ...]
    main_buttons: tuple[str, ...]
    main_text: str  # what a person sees in the main area
    sidebar_text: str  # what a person sees in the sidebar
    page_text: str  # the whole document's text and input values, seen or not: for absence checks

    @property
    def settled(self) -> bool:
        """Connected, no script running, no stale element, nothing still loading or still to draw."""
        return (
            self.connection == "CONNECTED"
            and self.script_state == "notRunning"
            and self.stale == 0
            and self.loading == 0
            and self.pending == 0
            and self.running == 0
        )

    @property
    def title(self) -> str:
        """The one h1 of the main area."""
        assert len(self.headings) == 1, f"expected one title, found {self.headings}"
        return self.headings[0]

    def kpi_values(self) -> dict[str, list[str]]:
        """Each KPI's displayed values, found by its exact label."""
        found: dict[str, list[str]] = {key: [] for key in KPI_LABELS}
        for label, value in self.metrics:
            for key, pattern in KPI_LABELS.items():
                if pattern.fullmatch(label.lower()):
                    found[key].append(value)
        return found

    @property
    def kpis(self) -> Kpis:
        """The KPI row: each of the four labels exactly once, its value parsed as displayed."""
        found = self.kpi_values()
        wrong = {key: values for key, values in found.items() if len(values) != 1}
        assert not wrong, f"KPI labels not shown exactly once: {wrong}; metrics {self.metrics}"
        return Kpis(**{key: parse_shown_number(values[0]) for key, values in found.items()})

    def has_all_kpis(self) -> bool:
        """Whether all four KPI labels are shown exactly once, each with a number."""
        try:
            self.kpis  # noqa: B018 - parsing is the check
        except (AssertionError, ValueError):
            return False
        return True

    def summary(self) -> str:
        """The state fields, for a failure message."""
        return (
            f"url={self.url} connection={self.connection} script={self.script_state} "
            f"stale={self.stale} loading={self.loading} pending={self.pending} running={self.running} "
            f"headings={list(self.headings)} metrics={[label for label, _ in self.metrics]} "
            f"alerts={list(self.alerts)} sidebar_buttons={list(self.sidebar_buttons)} "
            f"main_buttons={list(self.main_buttons)}"
        )


def _texts(values: Any) -> tuple[Any, ...]:
    """Normalise every string in a (nested) list from the page."""
    return tuple(_texts(v) if isinstance(v, list) else normalise_text(v) for v in values)


# What Playwright says when an evaluation meets a document being replaced.
_NAVIGATING = ("Execution context was destroyed", "Cannot find context", "navigation")


def read_screen(page: Page) -> Screen | None:
    """One atomic read of the app; None while a navigation replaces the document."""
    try:
        raw: Mapping[str, Any] = page.evaluate(_READ_SCREEN)
    except PlaywrightError as error:
        if any(marker in str(error) for marker in _NAVIGATING):
            return None
        raise
    return Screen(
        url=raw["url"],
        connection=raw["connection"],
        script_state=raw["script_state"],
        stale=raw["stale"],
        loading=raw["loading"],
        pending=raw["pending"],
        running=raw["running"],
        headings=_texts(raw["headings"]),
        metrics=_texts(raw["metrics"]),
        alerts=_texts(raw["alerts"]),
        nav=tuple((normalise_text(text), href) for text, href in raw["nav"]),
        sidebar_buttons=_texts(raw["sidebar_buttons"]),
        main_buttons=_texts(raw["main_buttons"]),
        main_text=normalise_text(raw["main_text"]),
        sidebar_text=normalise_text(raw["sidebar_text"]),
        page_text=normalise_text(raw["page_text"]),
    )


T = TypeVar("T")


def agreed_read(
    page: Page,
    what: str,
    read: Callable[[], T | None],
    ready: Callable[[T], bool],
    *,
    timeout_ms: int = APP_TIMEOUT_MS,
    describe: Callable[[T], str] = repr,
) -> T:
    """Read until `ready` holds in two consecutive reads that agree; fail naming `what` otherwise.

    A read of None (nothing readable yet) never counts.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    previous: T | None = None
    while True:
        value = read()
        if value is not None and ready(value):
            if value == previous:
                return value
            previous = value
        else:
            previous = None
        if time.monotonic() > deadline:
            last = "nothing readable" if value is None else describe(value)
            raise AssertionError(f"not reached in {timeout_ms / 1000:.0f}s: {what}\nlast read: {last}")
        page.wait_for_timeout(POLL_MS)


@dataclass(frozen=True)
class State:
    """A named condition on the screen."""

    name: str
    holds: Callable[[Screen], bool]


def wait_for(page: Page, state: State, *, timeout_ms: int = APP_TIMEOUT_MS) -> Screen:
    """The screen once `state` holds in two consecutive, identical reads."""
    return agreed_read(
        page,
        state.name,
        lambda: read_screen(page),
        state.holds,
        timeout_ms=timeout_ms,
        describe=Screen.summary,
    )


def report_state(titles: Collection[str]) -> State:
    """Settled, exactly one title and it is one of `titles`, all four KPIs shown once each."""
    exact = frozenset(normalise_text(t) for t in titles)
    assert exact, "a report wait needs the title(s) it may show"
    return State(
        f"settled report titled {' or '.join(repr(t) for t in sorted(exact))} with all four KPIs",
        lambda s: s.settled and len(s.headings) == 1 and s.headings[0] in exact and s.has_all_kpis(),
    )


def _has_button(buttons: Collection[str], pattern: re.Pattern[str]) -> bool:
    return any(pattern.search(label) for label in buttons)


SIGN_IN_SCREEN = State(
    f"settled sign-in screen titled {SIGN_IN_HEADING!r} with a login button and no report",
    lambda s: (
        s.settled
        and s.headings == (SIGN_IN_HEADING,)
        and _has_button(s.main_buttons, LOGIN_BUTTON)
        and not _has_button(s.sidebar_buttons, LOGOUT_BUTTON)
        and not s.metrics
    ),
)


def signed_in_state(app_url: str) -> State:
    """Settled app page with the sidebar's Log out button."""
    return State(
        f"settled app page at {app_url} with a Log out button in the sidebar",
        lambda s: s.settled and s.url.startswith(app_url) and _has_button(s.sidebar_buttons, LOGOUT_BUTTON),
    )


def wait_for_report(page: Page, titles: str | Collection[str]) -> Screen:
    """Wait for a fully drawn report whose title is exactly `titles` (or exactly one of them)."""
    return wait_for(page, report_state([titles] if isinstance(titles, str) else titles))


def wait_for_sign_in(page: Page) -> Screen:
    """Wait for the fully drawn sign-in screen."""
    return wait_for(page, SIGN_IN_SCREEN)


def open_page(page: Page, url: str) -> None:
    """Load `url` afresh; return once the new document exists (the caller waits for its state)."""
    page.goto(url, wait_until="commit", timeout=APP_TIMEOUT_MS)


def arrive_at(page: Page, url_glob: str) -> None:
    """Wait until the browser has committed a document whose URL matches `url_glob`."""
    page.wait_for_url(url_glob, wait_until="commit", timeout=APP_TIMEOUT_MS)


def login(page: Page, app_url: str, provider_url: str, sub: str) -> Screen:
    """Open the app, follow its login button to the provider's form, sign in as `sub`."""
    open_page(page, app_url)
    wait_for_sign_in(page)
    page.locator(MAIN).get_by_role("button", name=LOGIN_BUTTON).click()
    arrive_at(page, f"{provider_url}/oauth2/authorize**")
    page.locator('input[name="sub"]').fill(sub)
    page.get_by_role("button", name="Authorize", exact=True).click()
    arrive_at(page, f"{app_url}/**")
    return wait_for(page, signed_in_state(app_url))


def logout(page: Page, app_url: str, provider_url: str) -> Screen:
    """Log out in the app, confirm the provider's end-session page, land back on the sign-in screen."""
    page.locator(SIDEBAR).get_by_role("button", name=LOGOUT_BUTTON).click()
    arrive_at(page, f"{provider_url}/oauth2/end_session**")
    page.get_by_role("button", name="End session", exact=True).click()
    arrive_at(page, f"{app_url}/**")
    return wait_for_sign_in(page)


def combobox(page: Page, label: str) -> Locator:
    """The input of the sidebar selectbox whose label is exactly `label` (a react-aria combobox)."""
    return page.locator(SIDEBAR).get_by_role("combobox", name=label, exact=True)


def selectbox_value(page: Page, label: str) -> str:
    """The option a sidebar selectbox shows as chosen."""
    return normalise_text(combobox(page, label).input_value())


def _open_options(page: Page, label: str) -> tuple[Locator, tuple[str, ...]]:
    """Open a sidebar selectbox; return its listbox and the options it lists (two reads agreeing)."""
    box = combobox(page, label)
    labelled = page.get_by_role("combobox", name=label, exact=True)  # `has` is relative to the box
    page.locator(f'{SIDEBAR} [data-testid="stSelectbox"]').filter(has=labelled).get_by_role(
        "button", name="Open"
    ).click()
    expect(box).to_have_attribute("aria-expanded", "true", timeout=APP_TIMEOUT_MS)
    listbox = page.locator(f'[role="listbox"][id="{box.get_attribute("aria-controls")}"]')
    expect(listbox).to_be_visible(timeout=APP_TIMEOUT_MS)
    options = agreed_read(
        page,
        f"the options of the open {label!r} list",
        lambda: _texts(listbox.get_by_role("option").all_inner_texts()),
        bool,
    )
    return listbox, options


def selectbox_options(page: Page, label: str) -> list[str]:
    """Open a selectbox, read every option's text, close it again."""
    listbox, options = _open_options(page, label)
    page.keyboard.press("Escape")
    expect(listbox).to_have_count(0, timeout=APP_TIMEOUT_MS)
    return list(options)


def choose(page: Page, label: str, option: str) -> None:
    """Pick the option whose text is exactly `option`; return once the box shows it, list closed.

    The rerun that follows is the caller's to await, with the exact title it must produce.
    """
    wanted = normalise_text(option)
    listbox, options = _open_options(page, label)
    assert wanted in options, f"{wanted!r} is not among the {label!r} options {options}"
    listbox.get_by_role("option").nth(options.index(wanted)).click()
    agreed_read(
        page,
        f"the {label!r} box shows {wanted!r} and its list is closed",
        lambda: (selectbox_value(page, label), listbox.count()),
        lambda shown: shown == (wanted, 0),
    )


def screenshot_whole_app(page: Page, path: str) -> None:
    """A screenshot of the whole app: Streamlit scrolls inside stMain, so grow the viewport to fit."""
    viewport = page.viewport_size
    assert viewport is not None
    main = page.locator(MAIN)
    main.evaluate("element => element.scrollTo(0, 0)")

    def overflow() -> tuple[bool, int]:
        screen = read_screen(page)
        hidden = int(main.evaluate("element => element.scrollHeight - element.clientHeight"))
        return (screen is not None and screen.settled, hidden)

    height = viewport["height"]
    for _ in range(10):  # charts may grow once more after a resize; each round re-measures
        _, hidden = agreed_read(page, "settled app, stMain's overflow measured", overflow, lambda v: v[0])
        if hidden <= 0:
            break
        height += hidden
        page.set_viewport_size({"width": viewport["width"], "height": height})
    else:
        raise AssertionError(f"stMain still scrolls after growing the viewport to {height}px")
    page.screenshot(path=path, full_page=True, animations="disabled")
    page.set_viewport_size(viewport)


# -- the keyboard ----------------------------------------------------------------------------

_FOCUSED = "() => document.activeElement?.closest('[data-kbd]')?.dataset.kbd ?? null"


def tag(targets: Mapping[str, Locator]) -> None:
    """Mark each target element with its name, so the focused element can say whose it is."""
    for name, locator in targets.items():
        locator.evaluate("(element, name) => { element.dataset.kbd = name; }", name)


def focused_tag(page: Page) -> str | None:
    """The name `tag` gave the element that has the focus (or holds it), if any."""
    name = page.evaluate(_FOCUSED)
    return str(name) if name is not None else None


def tab_until(page: Page, name: str, presses: int = 120) -> None:
    """Press Tab until the control tagged `name` has the focus."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if focused_tag(page) == name:
            return
    raise AssertionError(f"{name} never received the focus in {presses} presses of Tab")

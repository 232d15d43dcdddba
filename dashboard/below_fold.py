"""Two passes: what lies below the fold is drawn once the browser has drawn the top of the page.

A browser draws a page only as fast as its main thread allows. Sent in one go, the daily charts,
the tables and the sidebar's pickers are rendered together with the KPIs and budget cards, and the
first chart (a budget gauge) waits for all of them. So on the first report of a browser session,
the charts and tables stand behind a small placeholder and the pickers wait too; a script in the
page (`_SIGNAL_JS`) reports back once every chart above has drawn, and that report reruns the page,
which then draws everything. Later reports in the same session draw everything in one pass: the
browser has plotly's code and the pickers' by then.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from dashboard import text

DRAWN_KEY = "_top_drawn"  # set once the browser reported a drawn page top in this session
PENDING_KEY = "below_the_fold_pending"  # the placeholder's container (class st-key-<this> in the page)
SIGNAL_KEY = "top_drawn_signal"
SIGNAL_COMPONENT = "usage_dashboard.top_drawn"
SIGNAL_EVENT = "drawn"
WAITING = "Drawing the daily charts and tables…"

# Ready when no element still waits for its code (stSkeleton) and every plotly chart on the page has
# drawn a trace. The bound lets a chart that never draws hold the rest back for 3 s at most.
_SIGNAL_JS = """
export default function ({ setTriggerValue }) {
  let sent = false;
  const started = performance.now();
  const drawn = () =>
    document.querySelectorAll('[data-testid="stSkeleton"]').length === 0 &&
    [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].every((chart) =>
      chart.querySelector(".main-svg g.trace path"));
  const poll = () => {
    if (sent) return;
    if (drawn() || performance.now() - started > 3000) {
      sent = true;
      setTriggerValue("SIGNAL_EVENT", true);
    } else {
      setTimeout(poll, 30);
    }
  };
  poll();
  return () => { sent = true; };
}
""".replace("SIGNAL_EVENT", SIGNAL_EVENT)
_signal = st.components.v2.component(SIGNAL_COMPONENT, js=_SIGNAL_JS)


def _top_drawn() -> None:
    st.session_state[DRAWN_KEY] = True


def below_the_fold(draw: Callable[[], None]) -> bool:
    """`draw()` now if this session's browser has drawn a page top before; else wait for it (True).

    The signal stands outside any fragment: the browser's report reruns the whole page, so that the
    pickers the page held back (`waiting` was True) are drawn with the rest.
    """
    if st.session_state.get(DRAWN_KEY):
        draw()
        return False
    with st.container(key=PENDING_KEY):
        text.caption(WAITING)
        _signal(key=SIGNAL_KEY, height=0, **{f"on_{SIGNAL_EVENT}_change": _top_drawn})
    return True

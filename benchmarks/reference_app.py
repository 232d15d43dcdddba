"""The yardstick for benchmarks/pagespeed.py: the least a Streamlit app can do to show one chart.

A title and a "Continue as member" button; the click shows one plotly bar chart of a month of days,
the size of the dashboard's daily charts. No data layer, no sign-in, no other elements.
"""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go
import streamlit as st

DAYS = 30
CHOSEN = "reference_chosen"


def _choose() -> None:
    st.session_state[CHOSEN] = True


st.set_page_config(page_title="Reference", layout="wide")
st.title("Reference app")
st.button("Continue as member", type="primary", on_click=_choose)
if st.session_state.get(CHOSEN):
    days = [dt.date(2026, 11, 1) + dt.timedelta(days=i) for i in range(DAYS)]
    values = [round(10 + 5 * ((i * 7) % 11) / 11, 4) for i in range(DAYS)]
    figure = go.Figure(go.Bar(x=days, y=values, name="Spend"))
    figure.update_layout(height=300, margin={"l": 8, "r": 8, "t": 8, "b": 8})
    st.plotly_chart(figure, config={"displayModeBar": False})

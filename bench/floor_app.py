"""The limit a page opened by URL cannot beat: Streamlit drawing the overview's kinds of element, with no work.

A sidebar select, a title, four metric tiles, one Altair line chart and one table, from constants:
`browser_bench.py` opens it by URL beside the dashboard, taking turns, so the overview's time reads
against what the browser needs to load Streamlit's page and draw those elements at all.
"""

import altair as alt
import pandas as pd
import streamlit as st

st.set_page_config(page_title="Floor", layout="wide")
with st.sidebar:
    st.selectbox("Reporting month", ["Oct 2026", "Sep 2026"])
st.title("Executive overview")
for column in st.columns(4):
    column.metric("Figure", "£1.00m", "+£0.10m", border=True)
months = pd.DataFrame({"month": pd.date_range("2024-01-01", periods=36, freq="MS"), "value": range(36)})
st.altair_chart(alt.Chart(months).mark_line().encode(x="month:T", y="value:Q"), width="stretch")
st.dataframe(pd.DataFrame({"name": [f"Benefit {i}" for i in range(10)], "value": range(10)}), hide_index=True)

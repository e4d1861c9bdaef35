"""Reference page: a title and a Vega-Lite line chart of three points."""

import altair as alt
import polars as pl
import streamlit as st

st.title("Three-point chart", anchor=False)
points = pl.DataFrame({"x": [1, 2, 3], "y": [3, 1, 2]})
st.altair_chart(alt.Chart(points).mark_line(point=True).encode(x="x:Q", y="y:Q"), width="stretch")

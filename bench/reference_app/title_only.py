"""Reference page: a title and one line of text."""

import streamlit as st

st.title("Title only", anchor=False)
st.caption("Streamlit's floor: no data, no widget, no chart.")

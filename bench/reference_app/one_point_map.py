"""Reference page: a title and a pydeck map holding one dot, drawn as the dashboard's Map is."""

import pydeck as pdk
import streamlit as st

st.title("One-point map", anchor=False)
dot = pdk.Layer(
    "ScatterplotLayer",
    id="dot",
    data=[{"position": [-87.72, 41.88]}],
    get_position="position",
    get_radius=400,
    get_fill_color=[213, 94, 0, 220],
)
view = pdk.ViewState(latitude=41.88, longitude=-87.72, zoom=10.5)
st.pydeck_chart(pdk.Deck(layers=[dot], initial_view_state=view, map_provider=None), height=500)

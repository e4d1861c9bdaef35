"""Streamlit's own floor on this machine: a reference app with nothing of the dashboard in it.

``bench/dashboard_speed.py`` times the first render of these pages in the same run as the
dashboard's, so the cost of Streamlit itself, of a pydeck map and of a Vega-Lite chart can be told
apart from the cost of the dashboard's own content on the same machine at the same moment:

* *Title only* — a wide multipage app (sidebar navigation) showing a title and one line;
* *One-point map* — the same plus ``st.pydeck_chart`` with a single dot and no basemap, as the
  dashboard's Map draws (``map_provider=None``, 500 px high);
* *Three-point chart* — the same plus ``st.altair_chart`` with a three-point line.
"""

from pathlib import Path

import streamlit as st

HERE = Path(__file__).resolve().parent

st.set_page_config(page_title="Streamlit reference pages", layout="wide")
st.navigation(
    [
        st.Page(HERE / "title_only.py", title="Title only", url_path="title-only", default=True),
        st.Page(HERE / "one_point_map.py", title="One-point map", url_path="one-point-map"),
        st.Page(HERE / "three_point_chart.py", title="Three-point chart", url_path="three-point-chart"),
    ]
).run()

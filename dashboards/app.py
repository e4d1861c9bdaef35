"""West Side Overdose Watch — Streamlit entry point: page setup, navigation and the sidebar footer.

Run with ``streamlit run dashboards/app.py``. Pages live in ``dashboards/app_pages``; this file
only routes to them, so every page shares the same frame.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from pipelines.settings import load_settings

PAGES_DIR = Path(__file__).resolve().parent / "app_pages"

# A dashboard for the task force, not a development tool: no "Deploy"/"Clear cache" in the menu.
st.set_option("client.toolbarMode", "viewer")

# An emoji favicon: Streamlit inlines it as an SVG data URL, whereas a Material-icon favicon
# (also the default when pages have Material icons) is fetched from fonts.gstatic.com, and the
# dashboard must work with no network.
st.set_page_config(
    page_title="West Side Overdose Watch",
    page_icon="📉",
    layout="wide",
    initial_sidebar_state="auto",
)

# Streamlit's default top padding (6rem) and metric size push the map below the fold on a
# 1280x720 projector; these rules only tighten spacing and keep Streamlit's look.
st.html(
    """
<style>
[data-testid="stMainBlockContainer"] { padding-top: 3.6rem; padding-bottom: 3rem; }
@media (min-width: 768px) {
  [data-testid="stMainBlockContainer"] { padding-left: 2.5rem; padding-right: 2.5rem; }
}
[data-testid="stMetricValue"] { font-size: 1.9rem; }
h1 { font-size: 2.1rem !important; padding-top: 0 !important; }
</style>
"""
)

page = st.navigation(
    [
        st.Page(PAGES_DIR / "map.py", title="Map", icon=":material/map:", default=True),
        st.Page(
            PAGES_DIR / "field_data.py",
            title="Test strips & outreach",
            icon=":material/science:",
            url_path="field-data",
        ),
        st.Page(PAGES_DIR / "about.py", title="About the data", icon=":material/info:", url_path="about"),
    ]
)

threshold = load_settings().suppress_below
with st.sidebar:
    st.caption(
        "**West Side Overdose Watch** — overdose-death surveillance for the "
        "West Side Heroin/Opioid Task Force, Chicago."
    )
    st.caption(
        f"Counts of 1–{threshold - 1} deaths are shown as \u201c<{threshold}\u201d to protect "
        "privacy. Sources, definitions and freshness: *About the data*."
    )

page.run()

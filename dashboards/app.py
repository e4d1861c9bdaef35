"""West Side Overdose Watch — Streamlit entry point: page setup, navigation and the sidebar footer.

Run with ``streamlit run dashboards/app.py``. Pages live in ``dashboards/app_pages``; this file
only routes to them, so every page shares the same frame.
"""

from __future__ import annotations

import time
from pathlib import Path

import streamlit as st
from streamlit.logger import get_logger

from dashboards.components import access, data, server_gc
from pipelines.settings import load_settings

PAGES_DIR = Path(__file__).resolve().parent / "app_pages"
#: One INFO line per page run in the server log ("page map ran in 212 ms"): what the server
#: itself spends on a page, which bench/dashboard_speed.py sets against what the browser sees.
log = get_logger("dashboards.app")

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

# (file, title, icon, url path); the first is the default page at "/". A page is listed only
# when its file exists, so the app runs while pages are being added.
PAGE_SPECS: tuple[tuple[str, str, str, str], ...] = (
    ("overview.py", "Overview", ":material/dashboard:", "overview"),
    ("map.py", "Map", ":material/map:", "map"),
    ("next_week.py", "Next week", ":material/event_upcoming:", "next-week"),
    ("trends.py", "Trends", ":material/trending_up:", "trends"),
    ("field_data.py", "Test strips & outreach", ":material/science:", "field-data"),
    ("data_quality.py", "Data quality", ":material/fact_check:", "data-quality"),
    ("reports.py", "Meeting pack & e-blast", ":material/slideshow:", "reports"),
    ("about.py", "About the data", ":material/info:", "about"),
)
pages = []
for file_name, title, icon, url_path in PAGE_SPECS:
    if (PAGES_DIR / file_name).exists():
        pages.append(
            st.Page(PAGES_DIR / file_name, title=title, icon=icon, url_path=url_path, default=not pages)
        )
# Pages for signed-in members only, placed after the field-data page.
if access.is_member():
    at = next((i + 1 for i, p in enumerate(pages) if p.url_path == "field-data"), len(pages))
    pages.insert(at, st.Page(PAGES_DIR / "submit_field_data.py", title="Submit field data",
                             icon=":material/upload_file:", url_path="submit-field-data"))
page = st.navigation(pages)

threshold = load_settings().suppress_below
with st.sidebar:
    st.caption(
        "**West Side Overdose Watch** — overdose-death surveillance for the "
        "West Side Heroin/Opioid Task Force, Chicago."
    )
    st.caption(
        f"Counts of 1–{threshold - 1} (deaths, positive test strips, kits, people) are shown as "
        f"\u201c<{threshold}\u201d to protect privacy. Sources, definitions and freshness: "
        "*About the data*."
    )
# Mode badge and member sign-in; pages ask ``access.is_member()`` for member-only detail.
access.render_sidebar()

started = time.perf_counter()
try:
    page.run()
except data.PublicationChanged:
    # The pipeline swapped in a new publication mid-page: draw the page again, wholly from it.
    st.rerun()
finally:
    log.info("page %s ran in %.0f ms", page.url_path or "overview", (time.perf_counter() - started) * 1000)
    # Libraries the page imported are long-lived: keep them out of the collection Streamlit runs
    # after every script run (see server_gc).
    server_gc.freeze_after_imports()

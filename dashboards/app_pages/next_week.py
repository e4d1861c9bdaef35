"""Next week: where overdose deaths are most likely in the 4 weeks after the newest data.

Members see the West Side places (H3 cells, ~0.7 km²) ranked by the forecast, with reasons, a map
of forecast risk with the coalition's hot spots and the coverage-gap cells outlined, each place's
recent strips and alerts, and the weekly team briefs. The public sees community areas only, with
counts suppressed like everywhere else.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards.components import access, data, table_display
from dashboards.components.period_labels import source_text
from dashboards.components import priorities as pr
from pipelines.defs.reports.team_brief import ALL_TEAMS as ALL_TEAMS_FILE
from pipelines.defs.reports.team_brief import latest_briefs, slug
from pipelines.settings import load_settings

PAGE_TITLE = "Next week"

settings = load_settings()
st.title(PAGE_TITLE, anchor=False)
try:
    version = data.db_version(settings.app_db)
    freshness = data.load_freshness(version)
    backtest = pr.load_backtest(version)
except data.AppDbUnavailable as exc:
    st.error(str(exc), icon=":material/database_off:")
    st.stop()
if freshness.is_synthetic:
    st.warning("**Synthetic demo data.** These places describe no real events.", icon=":material/science:")

beats, verdict = pr.backtest_verdict(backtest)
week = backtest.get_column("forecast_week")[0] if backtest.height else None
st.caption(
    f"Expected overdose deaths in the 4 weeks from **{week:%B %-d, %Y}**, from recent deaths (time decay, "
    "neighbouring cells), the area's spike alerts and trend, with parameters chosen by a backtest. "
    f"{source_text(freshness)}"
    if week else "No forecast yet: run `make pipeline`."
)
(st.success if beats else st.warning)(verdict, icon=":material/fact_check:" if beats else ":material/warning:")

if not access.is_member():
    st.subheader("Community areas", anchor=False)
    st.caption(
        "Community areas ranked by expected deaths in the next 4 weeks. Expected deaths and recent "
        f"deaths of 1–{settings.suppress_below - 1} are shown as <{settings.suppress_below}. "
        "Members see the places within each area."
    )
    areas = pr.load_area_priorities(version)
    region_only = st.toggle("West Side only", value=True, key="next-week-region")
    shown = areas.filter(pl.col("in_region")) if region_only else areas
    table_display.show_table(
        shown.select(
            pl.col("area_rank").alias("Rank in Chicago"),
            pl.col("community_area").alias("Community area"),
            pl.col("forecast_deaths_display").alias("Expected deaths (4 wk)"),
            pl.col("recent_deaths_display").alias("Deaths, last 8 weeks"),
        ),
        width="stretch",
    )
    st.stop()

# ---- Member view ------------------------------------------------------------------------------
places_all = pr.load_priorities(version)
teams = pr.load_teams(version)
hotspots = pr.load_hotspots(version)
named = places_all.filter(pl.col("community_area_number").is_not_null())
names = dict(zip(named["community_area_number"].to_list(), named["community_area"].to_list(), strict=True))
left, right = st.columns(2)
with left:
    team = st.selectbox("Team", [pr.ALL_TEAMS, *teams.get_column("team").to_list()], key="next-week-team")
with right:
    team_area_list = [a for a in pr.team_areas(teams, team) if a in names] if team != pr.ALL_TEAMS else []
    chosen = st.multiselect("Community areas", sorted(names), default=team_area_list,
                            format_func=lambda n: names.get(n, str(n)), key=f"next-week-areas-{team}")
places = pr.filter_places(places_all, chosen)
gaps = places.filter(pl.col("coverage_gap"))
unplaced = int(backtest.get_column("deaths_without_cell")[0]) if backtest.height else 0
st.caption(
    f"{places.height} West Side places (H3 cells, ~0.7 km²); **{gaps.height} coverage gaps**: among "
    "Chicago's top 5 % by forecast with no team visit in 4 weeks. Member view: not for projection. "
    f"{unplaced:,} deaths since the data begin have no point (no coordinates, no geocoded address) "
    "and are in no cell; they count in their area's trend."
)

st.subheader("Ranked places", anchor=False)
table_display.show_table(pr.places_table(places.head(25)), width="stretch")

st.subheader("Forecast map", anchor=False)
st.caption("Darker red = more expected deaths; black outline = coverage gap; white dots = coalition hot spots.")
shown_hotspots = hotspots.filter(pl.col("community_area_number").is_in(chosen)) if chosen else hotspots
st.pydeck_chart(pr.priority_deck(places, shown_hotspots), height=520, key="next-week-map")

st.subheader("A place's strips and alerts", anchor=False)
if places.height:
    labels = {pr.place_label(r): r for r in places.head(25).iter_rows(named=True)}
    label = st.selectbox("Place", list(labels), key="next-week-place")
    row = labels[label]
    cols = st.columns(4)
    cols[0].metric("Expected deaths (4 wk)", f"{row['forecast_deaths']:.2f}")
    cols[1].metric("Fentanyl strips (8 wk)", f"{row['fentanyl_positive_8w']} of {row['fentanyl_tested_8w']}")
    cols[2].metric("Xylazine strips (8 wk)", f"{row['xylazine_positive_8w']} of {row['xylazine_tested_8w']}")
    cols[3].metric("Team visits (4 wk)", row["outreach_visits_4w"])
    st.markdown(f"**Reasons:** {row['reasons']}.")
    st.markdown(f"**Alerts in {row['community_area']}:** {row['alert'] or 'none in the last 2 weeks'}.")

st.subheader("Team briefs", anchor=False)
brief_week, files = latest_briefs(settings.output_dir)
if not files:
    st.info("No team briefs yet: they are built on Monday with the e-blast (`make pipeline` builds them too).",
            icon=":material/description:")
else:
    st.caption(f"One printable letter page per team for the week of {brief_week}. Members only: do not post.")
    wanted = files if team == pr.ALL_TEAMS else [f for f in files if f.stem in (ALL_TEAMS_FILE, slug(team))]
    cols = st.columns(min(3, len(wanted)) or 1)
    for i, path in enumerate(wanted):
        with cols[i % len(cols)]:
            st.download_button(
                f"Brief: {path.stem.replace('_', ' ')}", data=path.read_bytes(), file_name=f"{brief_week}_{path.name}",
                mime="application/pdf", icon=":material/download:", on_click="ignore", key=f"brief-{path.stem}",
            )

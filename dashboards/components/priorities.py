"""The "Next week" page's data and pieces: the ranked places, team and area filters, the forecast
map (pydeck, no basemap) and the backtest's verdict. Pure functions except the cached loaders.

Member content (cells, hot spots, teams) is read only when the page asks for it in member mode;
the public view reads ``marts.area_priorities`` alone (community areas, suppressed).
"""

from __future__ import annotations

import h3
import polars as pl
import pydeck as pdk
import streamlit as st

from dashboards.components.data import DbVersion, read_frame
from dashboards.components.table_display import show_small_table

ALL_TEAMS = "All teams"
GAP_LINE = [0, 0, 0, 255]
HOTSPOT_FILL = [255, 255, 255, 255]
#: Forecast shades, light to dark (ColorBrewer OrRd 5), and the cells' share of the top value.
SHADES = ([254, 240, 217], [253, 204, 138], [252, 141, 89], [227, 74, 51], [179, 0, 0])
MODEL_LABELS = {"forecast": "Forecast", "last_4_weeks": "Last 4 weeks (baseline)",
                "all_earlier_weeks": "All earlier weeks (baseline)"}
TOOLTIP = {
    "html": '<div style="font-weight:600">{title}</div><div>{line1}</div><div>{line2}</div>',
    "style": {"backgroundColor": "#ffffff", "color": "#1f1f1f", "fontSize": "13px",
              "border": "1px solid #bdbdbd", "padding": "6px 8px", "maxWidth": "360px"},
}


@st.cache_data(show_spinner=False, max_entries=8)
def load_priorities(version: DbVersion) -> pl.DataFrame:
    """Member only: every West Side cell of ``marts.outreach_priorities``, ranked."""
    return read_frame(version, "SELECT * FROM marts.outreach_priorities WHERE in_region ORDER BY forecast_rank")


@st.cache_data(show_spinner=False, max_entries=8)
def load_teams(version: DbVersion) -> pl.DataFrame:
    """Member only: ``marts.priority_teams``."""
    return read_frame(version, "SELECT * FROM marts.priority_teams ORDER BY team")


@st.cache_data(show_spinner=False, max_entries=8)
def load_hotspots(version: DbVersion) -> pl.DataFrame:
    """Member only: ``marts.hotspot_coverage``."""
    return read_frame(version, "SELECT * FROM marts.hotspot_coverage ORDER BY hotspot_id")


@st.cache_data(show_spinner=False, max_entries=8)
def load_area_priorities(version: DbVersion) -> pl.DataFrame:
    """Public: ``marts.area_priorities`` (community areas; counts suppressed)."""
    return read_frame(version, "SELECT * FROM marts.area_priorities ORDER BY area_rank")


@st.cache_data(show_spinner=False, max_entries=8)
def load_backtest(version: DbVersion) -> pl.DataFrame:
    """Public: ``marts.priority_backtest``."""
    return read_frame(version, "SELECT * FROM marts.priority_backtest ORDER BY sample, flagged_share, model")


def team_areas(teams: pl.DataFrame, team: str) -> list[int]:
    """The community areas a team worked in (12 weeks); every team's for :data:`ALL_TEAMS`."""
    chosen = teams if team == ALL_TEAMS else teams.filter(pl.col("team") == team)
    return sorted({a for areas in chosen.get_column("community_area_numbers").to_list() for a in (areas or [])})


def filter_places(priorities: pl.DataFrame, areas: list[int]) -> pl.DataFrame:
    """The West Side places in ``areas`` (all of them when empty), best first, numbered 1, 2, …"""
    chosen = priorities if not areas else priorities.filter(pl.col("community_area_number").is_in(areas))
    return chosen.sort("forecast_rank").with_row_index("place", offset=1)


def place_label(row: dict) -> str:
    """``#3 · West Garfield Park · near HS-01`` (or the cell centre)."""
    near = f"near {row['nearest_hotspot_id']}" if row["nearest_hotspot_id"] else f"{row['cell_lat']:.4f}, {row['cell_lon']:.4f}"
    return f"#{row['place']} · {row['community_area']} · {near}"


def places_table(places: pl.DataFrame) -> pl.DataFrame:
    """The ranked list as shown: place, area, expected deaths, Chicago rank, coverage, reasons."""
    return places.select(
        pl.col("place").alias("#"),
        pl.col("community_area").alias("Community area"),
        pl.col("nearest_hotspot_id").fill_null("—").alias("Hot spot"),
        pl.col("forecast_deaths").round(2).alias("Expected deaths (4 wk)"),
        pl.col("forecast_rank").alias("Chicago rank"),
        pl.col("recent_deaths_display").alias("Deaths ≤500 m (8 wk)"),
        pl.col("outreach_visits_4w").alias("Team visits (4 wk)"),
        pl.when(pl.col("coverage_gap")).then(pl.lit("GAP")).otherwise(pl.lit("")).alias("Coverage"),
        pl.col("reasons").alias("Reasons"),
    )


def shade(value: float, top: float) -> list[int]:
    """The fill for a forecast value: five steps of the top value, with some transparency."""
    step = 0 if top <= 0 else min(4, int(5 * value / top))
    return [*SHADES[step], 200]


def cell_objects(places: pl.DataFrame) -> list[dict]:
    """One pydeck polygon per cell, coloured by forecast, with its tooltip."""
    top = float(places.get_column("forecast_deaths").max() or 0.0)
    return [
        {
            "polygon": [[lng, lat] for lat, lng in h3.cell_to_boundary(r["h3_cell"])],
            "fill_color": shade(r["forecast_deaths"], top),
            "title": f"#{r['place']} {r['community_area']}" + (" — coverage gap" if r["coverage_gap"] else ""),
            "line1": f"Expected {r['forecast_deaths']:.2f} deaths in 4 weeks (#{r['forecast_rank']} in Chicago)",
            "line2": r["reasons"],
        }
        for r in places.iter_rows(named=True)
    ]


def hotspot_objects(hotspots: pl.DataFrame) -> list[dict]:
    """The coalition's hot spots as points with their 4-week outreach in the tooltip."""
    return [
        {
            "position": [r["longitude"], r["latitude"]],
            "label": r["hotspot_id"],
            "title": f"{r['hotspot_id']} {r['name'] or ''}",
            "line1": f"{r['visits_4w']} team visits, {r['naloxone_kits_4w']} naloxone kits in 4 weeks",
            "line2": "coverage gap" if r["coverage_gap"] else "",
        }
        for r in hotspots.iter_rows(named=True)
    ]


def priority_deck(places: pl.DataFrame, hotspots: pl.DataFrame) -> pdk.Deck:
    """Forecast cells, coverage-gap cells outlined in black, hot spots as white dots with their ids.

    No basemap (``map_provider=None``): the dashboard works offline.
    """
    cells = cell_objects(places)
    gaps = [c for c, gap in zip(cells, places.get_column("coverage_gap").to_list(), strict=True) if gap]
    points = hotspot_objects(hotspots)
    lat = float(places.get_column("cell_lat").mean()) if places.height else 41.88
    lon = float(places.get_column("cell_lon").mean()) if places.height else -87.72
    layers = [
        pdk.Layer("PolygonLayer", id="priority-cells", data=cells, pickable=True, stroked=True, filled=True,
                  get_polygon="polygon", get_fill_color="fill_color", get_line_color=[120, 120, 120, 160],
                  get_line_width=10, line_width_min_pixels=1),
        pdk.Layer("PolygonLayer", id="priority-gaps", data=gaps, pickable=False, stroked=True, filled=False,
                  get_polygon="polygon", get_line_color=GAP_LINE, get_line_width=60, line_width_min_pixels=3),
        pdk.Layer("ScatterplotLayer", id="priority-hotspots", data=points, pickable=True,
                  stroked=True, filled=True, get_position="position", get_fill_color=HOTSPOT_FILL,
                  get_line_color=[0, 0, 0, 255], get_radius=90, radius_min_pixels=5, get_line_width=30,
                  line_width_min_pixels=2),
        pdk.Layer("TextLayer", id="priority-hotspot-labels", data=points, pickable=False,
                  get_position="position", get_text="label", get_size=12, get_color=[20, 20, 20, 255],
                  get_pixel_offset=[0, -14], font_weight=700),
    ]
    view = pdk.ViewState(latitude=lat, longitude=lon, zoom=11.4, min_zoom=9, max_zoom=15, pitch=0, bearing=0)
    return pdk.Deck(layers=layers, initial_view_state=view, map_provider=None, tooltip=TOOLTIP)


def _losses(rows: pl.DataFrame) -> list[str]:
    """The baselines (and shares) the forecast's PAI did not beat in ``rows`` (one sample)."""
    losses = []
    for share in sorted(set(rows.get_column("flagged_share").to_list())):
        at = {r["model"]: r["pai"] for r in rows.filter(pl.col("flagged_share") == share).iter_rows(named=True)}
        for model in ("last_4_weeks", "all_earlier_weeks"):
            if not at.get("forecast", 0) > at.get(model, float("inf")):
                losses.append(f"{MODEL_LABELS[model].lower()} at {share:.0%}")
    return losses


def backtest_verdict(backtest: pl.DataFrame) -> tuple[bool, str]:
    """Whether the forecast beat both baselines at 5 % and 10 % over all origins, and sentences
    saying so — naming what it did not beat, there and on the held-out newer half."""
    rows = backtest.filter(pl.col("sample") == "all")
    if rows.is_empty():
        return False, "No backtest has been run."
    losses = _losses(rows)
    first = rows.row(0, named=True)
    span = f"{first['origins']} weekly forecasts from {first['first_origin']:%b %-d, %Y} to {first['last_origin']:%b %-d, %Y}"
    if losses:
        text = f"On {span}, the forecast did **not** beat: {', '.join(losses)}. Read its ranking with care."
    else:
        text = f"On {span}, the forecast beat both naive baselines at 5 % and 10 % of Chicago's cells flagged."
    held = backtest.filter(pl.col("sample") == "held_out")
    held_losses = _losses(held) if not held.is_empty() else []
    if held_losses:
        text += (" With parameters chosen on the older half only, on the newer half it did not beat: "
                 f"{', '.join(held_losses)}.")
    return not losses, text


def backtest_table(backtest: pl.DataFrame) -> pl.DataFrame:
    """PAI at 5 % and 10 % per model and sample, as shown."""
    return (
        backtest.with_columns(
            pl.col("model").replace_strict(MODEL_LABELS, default=pl.col("model")).alias("Model"),
            pl.col("sample").replace_strict({"all": "All origins", "held_out": "Newer half (held out)"},
                                            default=pl.col("sample")).alias("Origins"),
            (pl.lit("PAI at ") + (pl.col("flagged_share") * 100).round(0).cast(pl.Int64).cast(pl.String) + pl.lit(" %"))
            .alias("share"),
        )
        .sort(pl.col("sample"), pl.col("model").replace_strict({m: i for i, m in enumerate(MODEL_LABELS)}, default=9))
        .pivot(on="share", index=["Origins", "Model"], values="pai")
        .with_columns(
            pl.col("^PAI.*$").map_elements(lambda v: "–" if v != v else f"{v:.2f}", return_dtype=pl.String)
        )
    )


def show_backtest(version: DbVersion) -> None:
    """The Data quality page's "Forecast backtest" section: verdict, PAI table, chosen parameters."""
    backtest = load_backtest(version)
    st.markdown("##### Next week's forecast: backtest", anchors=False)
    if backtest.is_empty():
        st.info("No backtest yet: run `make pipeline`.")
        return
    first = backtest.row(0, named=True)
    st.caption(
        "Source: marts.priority_backtest · Period: weekly forecast origins "
        f"{first['first_origin']:%b %-d, %Y} – {first['last_origin']:%b %-d, %Y}, each judged on the "
        "4 weeks after it · PAI = share of those weeks' deaths in the flagged cells ÷ share of Chicago's "
        "cells flagged (1 = no better than chance)"
    )
    beats, verdict = backtest_verdict(backtest)
    (st.success if beats else st.warning)(verdict)
    show_small_table(backtest_table(backtest), right=["PAI at 5 %", "PAI at 10 %"])
    chosen = backtest.filter(pl.col("sample") == "all").row(0, named=True)
    st.caption(
        f"Parameters chosen from {chosen['candidates']} candidates by the pooled PAI at 5 %: half-life "
        f"{chosen['half_life_weeks']:g} weeks, ring weights ({chosen['ring_weights']}), trend weight "
        f"{chosen['trend_weight']:g}, alert weight {chosen['alert_weight']:g}. The held-out rows choose on "
        f"the older half of the origins and score the newer half. Deaths without a point (not in any "
        f"cell): {chosen['deaths_without_cell']:,}."
    )

"""Spike-alert markers of the Map page: one marker per community area with recent alerts (pure
functions).
"""

from __future__ import annotations

import polars as pl
import pydeck as pdk

from dashboards.components.map_classes import LegendBin
from dashboards.components.map_style import ALERT_LABEL_LAYER_ID, ALERT_LAYER_ID, hex_to_rgba, tooltip_fields


#: Alert severity -> marker colour (lightness rises with severity, so it is not colour alone).
SEVERITY_COLOURS: dict[str, str] = {"low": "#fed976", "moderate": "#fd8d3c", "high": "#bd0026"}
_SEVERITY_RANK = {"low": 0, "moderate": 1, "high": 2}
#: Alert series of ``marts.alert_badges`` -> label.
SERIES_LABELS: dict[str, str] = {
    "overdose_deaths": "overdose deaths",
    "positive_test_strips": "positive test strips",
    "outreach_contacts": "outreach contacts",
}
#: Alert methods -> plain words for the tooltip.
METHOD_LABELS: dict[str, str] = {
    "ears_c1": "EARS C1 (vs the last 7 periods)",
    "ears_c2": "EARS C2 (vs 7 periods, 2-period gap)",
    "ears_c3": "EARS C3 (C2 summed over 3 periods)",
    "seasonal": "seasonal regression (vs same season, past years)",
}


def _methods_text(methods: str) -> str:
    names = [m.strip() for m in (methods or "").split(",") if m.strip()]
    return ", ".join(METHOD_LABELS.get(m, m) for m in names)


def alert_markers(badges: pl.DataFrame, areas: pl.DataFrame, *, member: bool) -> list[dict]:
    """One marker per community area with recent alerts, at the area's centroid.

    ``badges`` holds ``marts.alert_badges`` rows (already filtered to the ones to show). The
    marker takes the highest severity; the tooltip names the latest alert's type, series, week,
    severity and methods. Members also see the (suppressed) observed count and episode start.
    """
    area_rows = badges.filter(pl.col("area_level") == "community_area")
    if area_rows.is_empty():
        return []
    centroids = {
        row["community_area_number"]: (row["centroid_lon"], row["centroid_lat"], row["community_area"])
        for row in areas.iter_rows(named=True)
    }
    markers = []
    for (number,), group in area_rows.sort("period").group_by(["community_area_number"], maintain_order=True):
        if number not in centroids:
            continue
        lon, lat, name = centroids[number]
        latest = group.sort("period", "severity").row(-1, named=True)
        worst = max(group.get_column("severity").to_list(), key=lambda s: _SEVERITY_RANK.get(s, 0))
        series = SERIES_LABELS.get(latest["series"], latest["series"])
        when = (
            f"week of {latest['period']:%d %b %Y}"
            if latest["granularity"] == "week"
            else f"{latest['period']:%d %b %Y}"
        )
        lines = [
            f"{latest['alert_type'].capitalize()} in {series}, {when}",
            f"Severity: {worst} · {group.height} recent alert{'s' if group.height != 1 else ''}",
            f"Methods: {_methods_text(latest['methods'])}",
        ]
        note = "Spike alert: more than expected from recent weeks"
        if member:
            note = (
                f"Observed: {latest['observed_display']} · episode since "
                f"{latest['episode_start']:%d %b %Y}"
            )
        markers.append(
            {
                "position": [lon, lat],
                "fill_color": hex_to_rgba(SEVERITY_COLOURS.get(worst, SEVERITY_COLOURS["moderate"])),
                "severity": worst,
                "community_area_number": int(number),
                "label": "!",
                **tooltip_fields(f"Alert: {name}", lines, note),
            }
        )
    return markers


def alert_legend() -> list[LegendBin]:
    """Legend of the alert markers."""
    return [LegendBin(colour, f"{severity.capitalize()} severity") for severity, colour in SEVERITY_COLOURS.items()]


def alert_layers(markers: list[dict]) -> list[pdk.Layer]:
    """A dot per alerting area with a "!" on it (text in deck.gl's default ASCII font)."""
    dots = pdk.Layer(
        "ScatterplotLayer",
        id=ALERT_LAYER_ID,
        data=markers,
        pickable=True,
        stroked=True,
        filled=True,
        get_position="position",
        get_fill_color="fill_color",
        get_line_color=[20, 20, 20, 255],
        get_radius=220,
        radius_min_pixels=8,
        radius_max_pixels=18,
        get_line_width=40,
        line_width_min_pixels=2,
        auto_highlight=True,
    )
    text = pdk.Layer(
        "TextLayer",
        id=ALERT_LABEL_LAYER_ID,
        data=markers,
        pickable=False,
        get_position="position",
        get_text="label",
        get_size=13,
        get_color=[20, 20, 20, 255],
        font_weight=700,
    )
    return [dots, text]

"""The Map page's pure layer builders: periods and windows, hexagons, classes, positivity, alerts."""

from __future__ import annotations

import json
from datetime import date

import h3
import polars as pl
import pytest

from dashboards.components import (
    charts,
    data,
    map_alerts,
    map_areas,
    map_classes,
    map_deck,
    map_hexagons,
    map_hotspots,
    map_labels,
    map_positivity,
    map_static,
    map_style,
)


def _square(x: float, y: float) -> str:
    return json.dumps(
        {"type": "Polygon", "coordinates": [[[x, y], [x + 1, y], [x + 1, y + 1], [x, y + 1], [x, y]]]}
    )


def _areas(numbers: list[int], in_region: list[bool]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "community_area_number": numbers,
            "community_area": [f"Area {n}" for n in numbers],
            "population_2020": [50_000] * len(numbers),
            "in_region": in_region,
            "geometry_geojson": [_square(i, 0) for i in range(len(numbers))],
            "centroid_lon": [i + 0.5 for i in range(len(numbers))],
            "centroid_lat": [0.5] * len(numbers),
        }
    )


def test_pick_window_takes_the_latest_window_closed_by_the_period_end() -> None:
    windows = [
        (date(2026, 2, 1), date(2026, 5, 1)),
        (date(2026, 5, 1), date(2026, 8, 1)),
        (date(2025, 11, 1), date(2026, 2, 1)),
    ]
    assert map_hotspots.pick_window(windows, date(2026, 10, 1)) == windows[1]
    # A window ending 1 Aug closes with July: a period ending in July shows it.
    assert map_hotspots.pick_window(windows, date(2026, 7, 1)) == windows[1]
    assert map_hotspots.pick_window(windows, date(2026, 6, 1)) == windows[0]
    # Before every window: the first one, rather than nothing.
    assert map_hotspots.pick_window(windows, date(2024, 1, 1)) == windows[2]
    assert map_hotspots.pick_window([], date(2026, 1, 1)) is None


def _hex_counts() -> pl.DataFrame:
    rows = [
        ("a", 25, "outreach_contacts", "month", date(2026, 9, 1), 40),
        ("a", 25, "outreach_contacts", "month", date(2026, 10, 1), 12),
        ("b", 26, "outreach_contacts", "month", date(2026, 10, 1), 31),
        ("a", 25, "outreach_contacts", "year", date(2025, 1, 1), 300),
        ("a", 25, "outreach_contacts", "year", date(2026, 1, 1), 500),
        ("b", 26, "outreach_contacts", "year", date(2026, 1, 1), 10),
        ("c", 27, "overdose_deaths", "year", date(2024, 1, 1), 11),
    ]
    return pl.DataFrame(
        rows,
        schema=["h3_cell", "community_area_number", "metric", "period_type", "period", "count"],
        orient="row",
    ).with_columns(
        pl.col("count").map_elements(lambda v: f"{v:,}", return_dtype=pl.String).alias("count_display"),
        pl.lit(False).alias("is_provisional"),
    )


def test_pick_hex_period_shows_one_published_period_never_a_sum() -> None:
    counts = _hex_counts()
    # A single published month is shown as that month.
    assert map_hexagons.pick_hex_period(counts, "outreach_contacts", date(2026, 10, 1), date(2026, 10, 1)) == (
        "month",
        date(2026, 10, 1),
    )
    # A range: the latest calendar year overlapping it.
    assert map_hexagons.pick_hex_period(counts, "outreach_contacts", date(2025, 11, 1), date(2026, 10, 1)) == (
        "year",
        date(2026, 1, 1),
    )
    assert map_hexagons.pick_hex_period(counts, "outreach_contacts", date(2025, 2, 1), date(2025, 6, 1)) == (
        "year",
        date(2025, 1, 1),
    )
    # Deaths have only 2024 published: a later period falls back to the latest earlier year.
    assert map_hexagons.pick_hex_period(counts, "overdose_deaths", date(2025, 11, 1), date(2026, 10, 1)) == (
        "year",
        date(2024, 1, 1),
    )
    assert map_hexagons.pick_hex_period(counts, "positive_test_strips", date(2026, 1, 1), date(2026, 2, 1)) is None


def test_hex_rows_keep_cells_at_or_above_a_stricter_threshold() -> None:
    rows = map_hexagons.hex_rows(_hex_counts(), "outreach_contacts", "month", date(2026, 10, 1), threshold=20)
    assert rows.get_column("h3_cell").to_list() == ["b"]
    rows = map_hexagons.hex_rows(_hex_counts(), "outreach_contacts", "month", date(2026, 10, 1), threshold=10)
    assert rows.get_column("count").to_list() == [31, 12]


def test_hex_polygon_is_the_h3_boundary_in_lon_lat_order() -> None:
    cell = h3.latlng_to_cell(41.88, -87.72, 8)
    polygon = map_hexagons.hex_polygon(cell)
    assert len(polygon) == 6
    lat, lon = h3.cell_to_latlng(cell)
    assert all(abs(x - lon) < 0.01 and abs(y - lat) < 0.01 for x, y in polygon)


def test_hex_objects_and_legend_read_as_counts() -> None:
    cell = h3.latlng_to_cell(41.88, -87.72, 8)
    rows = pl.DataFrame(
        {
            "h3_cell": [cell],
            "community_area_number": [25],
            "count": [1234],
            "count_display": ["1,234"],
            "is_provisional": [True],
        }
    )
    (obj,) = map_hexagons.hex_objects(
        rows, {25: "Austin"}, metric="outreach_contacts", period_text="2026", edges=[1234.0, 1234.0]
    )
    assert obj["title"] == "Hexagon in Austin"
    assert obj["line1"] == "Outreach contacts, 2026: 1,234"
    assert obj["note"] == "Provisional: toxicology pending"
    legend = map_hexagons.hex_legend([10.0, 20.0, 40.0], "overdose_deaths", 10)
    assert [b.label for b in legend] == ["10–19", "20–40", "No hexagon: 0 or fewer than 10 overdose deaths"]


@pytest.mark.parametrize(
    ("gi_class", "gi_bin", "key"),
    [
        ("hot spot", 3, "hot99"),
        ("hot spot", 2, "hot95"),
        ("cold spot", -3, "cold99"),
        ("cold spot", -2, "cold95"),
        ("not significant", 1, "not significant"),
        ("not significant", -1, "not significant"),
        (None, None, "not significant"),
    ],
)
def test_gi_key(gi_class: str | None, gi_bin: int | None, key: str) -> None:
    assert map_hotspots.gi_key(gi_class, gi_bin) == key


def test_class_features_colour_every_area_by_its_class() -> None:
    areas = _areas([23, 24, 25], [True, True, False])
    classes = pl.DataFrame(
        {
            "community_area_number": [23, 24],
            "gi_class": ["hot spot", "cold spot"],
            "gi_bin": [3, -2],
            "moran_cluster": ["high-high", "low-high"],
        }
    )
    gi = map_hotspots.class_features(classes, areas, kind="gi", measure_label="Deaths", window_label="W")
    colours = [map_style.rgba_to_hex(f["properties"]["fill_color"]) for f in gi]
    assert colours == [
        map_style.GI_STYLES["hot99"][0],
        map_style.GI_STYLES["cold95"][0],
        map_style.GI_STYLES["not significant"][0],
    ]
    assert gi[0]["properties"]["line1"] == "Getis-Ord Gi*: Hot spot, 99% confidence"
    moran = map_hotspots.class_features(classes, areas, kind="moran", measure_label="Deaths", window_label="W")
    assert moran[1]["properties"]["line1"] == "Local Moran's I: Low-high: low among high (outlier)"
    assert map_style.rgba_to_hex(moran[2]["properties"]["fill_color"]) == map_style.NOT_SIGNIFICANT_COLOUR


def test_hex_class_objects_draw_not_significant_cells_faint() -> None:
    first = h3.latlng_to_cell(41.88, -87.72, 8)
    cells = [first, sorted(h3.grid_ring(first, 2))[0]]
    rows = pl.DataFrame(
        {
            "h3_cell": cells,
            "community_area_number": [25, 25],
            "gi_class": ["hot spot", "not significant"],
            "gi_bin": [2, 0],
            "moran_cluster": ["high-high", "not significant"],
        }
    )
    objects = map_hexagons.hex_class_objects(rows, {25: "Austin"}, kind="gi", measure_label="Deaths", window_label="W")
    by_cell = {tuple(o["polygon"][0]): o for o in objects}
    hot = by_cell[tuple(map_hexagons.hex_polygon(cells[0])[0])]
    assert hot["line1"] == "Getis-Ord Gi*: Hot spot, 95% confidence"
    assert hot["fill_color"][3] > by_cell[tuple(map_hexagons.hex_polygon(cells[1])[0])]["fill_color"][3]


def test_area_positivity_suppresses_small_tests_and_their_complement() -> None:
    positivity = pl.DataFrame(
        {
            "month": [date(2026, 1, 1)] * 4,
            "area_level": ["community_area"] * 3 + ["all"],
            "community_area_number": [23, 24, 25, None],
            "strip_type": ["fentanyl"] * 4,
            "tests_read": [40, 5, 30, 75],
            "positives": [30, 5, 6, 41],
        }
    )
    table = map_positivity.area_positivity(positivity, date(2026, 1, 1), date(2026, 1, 1), "fentanyl", threshold=10)
    rows = {r["community_area_number"]: r for r in table.iter_rows(named=True)}
    assert rows[24]["tests_read_display"] == "<10" and rows[24]["positivity"] is None
    assert rows[24]["positives"] is None
    # One hidden area in a group whose total is published: the smallest other one is hidden too.
    assert rows[25]["tests_read_display"] == "*" and rows[25]["positivity"] is None
    assert rows[23]["positivity"] == pytest.approx(0.75)
    areas = _areas([23, 24, 25], [True, True, True])
    features = map_positivity.positivity_features(
        table, areas, strip_label="Fentanyl", period_text="Jan 2026", threshold=10
    )
    texts = {f["properties"]["community_area"]: f["properties"] for f in features}
    assert texts["Area 23"]["line2"].startswith("Positivity: 75% (95% CI")
    assert texts["Area 24"]["line1"] == "Fentanyl strips read: <10"
    assert "5" not in texts["Area 24"]["line1"] + texts["Area 24"]["line2"]
    assert map_style.rgba_to_hex(texts["Area 23"]["fill_color"]) == map_style.CIVIDIS_5[3]


def test_area_positivity_hides_a_small_positive_count_behind_a_large_total() -> None:
    positivity = pl.DataFrame(
        {
            "month": [date(2026, 1, 1)] * 3,
            "area_level": ["community_area"] * 3,
            "community_area_number": [23, 24, 25],
            "strip_type": ["xylazine"] * 3,
            "tests_read": [60, 45, 30],
            "positives": [25, 4, 12],
        }
    )
    table = map_positivity.area_positivity(positivity, date(2026, 1, 1), date(2026, 1, 1), "xylazine", threshold=10)
    rows = {r["community_area_number"]: r for r in table.iter_rows(named=True)}
    assert rows[24]["tests_read_display"] == "45" and rows[24]["positives_display"] == "<10"
    assert rows[24]["positivity"] is None and rows[24]["positivity_suppressed"]
    assert rows[25]["positives_display"] == "*" and rows[25]["positivity"] is None
    assert rows[23]["positivity"] == pytest.approx(25 / 60)
    features = map_positivity.positivity_features(
        table, _areas([23, 24, 25], [True, True, True]), strip_label="Xylazine", period_text="Jan 2026", threshold=10
    )
    texts = {f["properties"]["community_area"]: f["properties"] for f in features}
    assert texts["Area 24"]["line2"] == "Positivity: not shown (fewer than 10 positive strips)"
    assert texts["Area 25"]["line2"] == "Positivity: not shown (protects a small count)"
    assert map_style.rgba_to_hex(texts["Area 24"]["fill_color"]) == map_style.SUPPRESSED_COLOUR


def _badges() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "granularity": ["week", "week", "week"],
            "period": [date(2026, 10, 12), date(2026, 10, 19), date(2026, 10, 19)],
            "area_level": ["community_area", "community_area", "region"],
            "community_area_number": [25, 25, None],
            "area": ["Area 25", "Area 25", "West Side"],
            "series": ["positive_test_strips"] * 3,
            "observed_display": ["<10", "12", "30"],
            "methods": ["ears_c1, ears_c3", "ears_c2", "ears_c1"],
            "alert_type": ["initial spike", "sustained spike", "initial spike"],
            "severity": ["high", "moderate", "low"],
            "episode_start": [date(2026, 10, 12)] * 3,
        },
        schema_overrides={"community_area_number": pl.Int32},
    )


def test_alert_markers_one_per_area_with_the_worst_severity() -> None:
    areas = _areas([24, 25], [True, True])
    (marker,) = map_alerts.alert_markers(_badges(), areas, member=False)
    assert marker["position"] == [1.5, 0.5]
    assert marker["severity"] == "high"
    assert marker["fill_color"] == map_style.hex_to_rgba(map_alerts.SEVERITY_COLOURS["high"])
    assert marker["title"] == "Alert: Area 25"
    assert marker["line1"] == "Sustained spike in positive test strips, week of 19 Oct 2026"
    assert marker["line2"] == "Severity: high · 2 recent alerts"
    assert marker["line3"] == "Methods: EARS C2 (vs 7 periods, 2-period gap)"
    assert "Observed" not in marker["note"]
    (member,) = map_alerts.alert_markers(_badges(), areas, member=True)
    assert member["note"] == "Observed: 12 · episode since 12 Oct 2026"


def test_selected_area_reads_only_clicks_on_the_area_layer() -> None:
    click = {
        "selection": {
            "indices": {map_style.CHOROPLETH_LAYER_ID: [24]},
            "objects": {map_style.CHOROPLETH_LAYER_ID: [{"properties": {"community_area_number": 25}}]},
        }
    }
    assert map_deck.selected_area(click) == 25
    # A hexagon or an alert marker selects the area it belongs to; one outside Chicago nothing.
    hexagon = {"selection": {"objects": {map_style.HEX_LAYER_ID: [{"community_area_number": 26}]}}}
    assert map_deck.selected_area(hexagon) == 26
    marker = {"selection": {"objects": {map_style.ALERT_LAYER_ID: [{"community_area_number": 27}]}}}
    assert map_deck.selected_area(marker) == 27
    outside = {"selection": {"objects": {map_style.HEX_LAYER_ID: [{"community_area_number": None}]}}}
    assert map_deck.selected_area(outside) is None
    assert map_deck.selected_area({"selection": {"indices": {}, "objects": {}}}) is None
    assert map_deck.selected_area(None) is None


def test_labels_move_below_alert_markers_and_include_selected_outside_areas() -> None:
    areas = _areas([23, 24, 25], [True, True, False])
    labels = map_labels.region_labels(areas, extra=[25], marked=[24])
    assert [label["name"] for label in labels] == ["Area 23", "Area 24", "Area 25"]
    assert labels[0]["offset"] == [0, 0] and labels[0]["anchor"] == "center"
    assert labels[1]["offset"] == [0, map_labels.MARKER_LABEL_OFFSET] and labels[1]["anchor"] == "top"


def test_deck_stacks_fill_overlays_selection_labels_and_markers() -> None:
    areas = _areas([23, 24], [True, True])
    monthly = pl.DataFrame(
        {
            "month": [date(2024, 1, 1)] * 2,
            "community_area_number": [23, 24],
            "deaths": [40, 20],
        }
    )
    metrics = map_areas.drug_area_metrics(monthly, areas, date(2024, 1, 1), date(2024, 1, 1), threshold=10)
    assert metrics.get_column("deaths_display").to_list() == ["40", "20"]
    features = map_areas.build_features(
        metrics, areas, value_col="deaths", edges=[20.0, 40.0], threshold=10, count_label="Deaths"
    )
    cell = h3.latlng_to_cell(0.5, 0.5, 8)
    hex_rows = pl.DataFrame(
        {"h3_cell": [cell], "community_area_number": [23], "count": [12], "count_display": ["12"],
         "is_provisional": [False]}
    )  # fmt: skip
    hexagons = map_hexagons.hex_objects(hex_rows, {23: "Area 23"}, metric="overdose_deaths", period_text="2024", edges=[])
    markers = map_alerts.alert_markers(_badges(), _areas([24, 25], [True, True]), member=False)
    deck = map_deck.build_deck(
        features,
        map_labels.region_outline(areas),
        map_labels.region_labels(areas),
        map_labels.region_view_state(areas),
        overlays=[map_hexagons.hex_layer(hexagons)],
        selected=map_labels.selected_outline(areas, [24]),
        markers=map_alerts.alert_layers(markers),
    )
    spec = json.loads(deck.to_json())
    assert [layer["id"] for layer in spec["layers"]] == [
        map_style.CHOROPLETH_LAYER_ID,
        map_style.OUTLINE_LAYER_ID,
        map_style.HEX_LAYER_ID,
        map_style.SELECTED_LAYER_ID,
        map_style.LABEL_LAYER_ID,
        map_style.ALERT_LAYER_ID,
        map_style.ALERT_LABEL_LAYER_ID,
    ]
    assert all(layer["pickable"] for layer in spec["layers"] if layer["id"] in {
        map_style.CHOROPLETH_LAYER_ID, map_style.HEX_LAYER_ID, map_style.ALERT_LAYER_ID})  # fmt: skip
    assert spec["mapStyle"] == "__MAP_STYLE__"
    assert "http" not in deck.to_json()
    assert len(spec["layers"][3]["data"]["features"]) == 1


def test_region_outline_closes_slivers_between_areas() -> None:
    # Two squares with a 1e-5 gap between them: one outline, no hole.
    areas = _areas([23, 24], [True, True]).with_columns(
        pl.Series("geometry_geojson", [_square(0, 0), _square(1.00001, 0)])
    )
    outline = map_labels.region_outline(areas)
    assert outline["geometry"]["type"] == "Polygon"
    assert len(outline["geometry"]["coordinates"]) == 1


def test_static_map_png_renders_offline() -> None:
    areas = _areas([23, 24, 25], [True, True, False])
    monthly = pl.DataFrame(
        {"month": [date(2024, 1, 1)] * 3, "community_area_number": [23, 24, 25], "deaths": [40, 20, 12]}
    )
    metrics = map_areas.drug_area_metrics(monthly, areas, date(2024, 1, 1), date(2024, 1, 1), threshold=10)
    edges = [12.0, 20.0, 40.0]
    features = map_areas.build_features(
        metrics, areas, value_col="deaths", edges=edges, threshold=10, count_label="Deaths"
    )
    bins = map_classes.legend_bins(edges, integer=True, threshold=10)
    chart = map_static.static_map_chart(
        features,
        map_labels.region_outline(areas),
        bins,
        title="Deaths by community area",
        subtitle=charts.chart_subtitle("Source", data.format_period(date(2024, 1, 1), date(2024, 1, 1)), "now"),
        legend_title="Deaths",
    )
    spec = chart.to_dict()
    legend_values = {v["properties"]["legend"] for v in spec["layer"][0]["data"]["values"]}
    assert legend_values == {"12–19", "20–40"}
    png = charts.chart_png(chart)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5_000

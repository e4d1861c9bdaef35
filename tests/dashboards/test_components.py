"""Unit tests of the dashboard's pure functions (no Streamlit runtime, no database)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime

import polars as pl
import pytest

from dashboards.components import (
    charts,
    data,
    map_areas,
    map_classes,
    map_deck,
    map_labels,
    map_style,
    period_labels,
    period_metrics,
    table_display,
)
from pipelines.formatting import format_day

SQUARE = json.dumps({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]})
NEXT_SQUARE = json.dumps({"type": "Polygon", "coordinates": [[[1, 0], [2, 0], [2, 1], [1, 1], [1, 0]]]})


def _areas(numbers: list[int], in_region: list[bool]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "community_area_number": numbers,
            "community_area": [f"Area {n}" for n in numbers],
            "population_2020": [50_000] * len(numbers),
            "in_region": in_region,
            "geometry_geojson": [SQUARE if i % 2 == 0 else NEXT_SQUARE for i in range(len(numbers))],
            "centroid_lon": [0.5 + (i % 2) for i in range(len(numbers))],
            "centroid_lat": [0.5] * len(numbers),
        },
        schema_overrides={"community_area_number": pl.Int32, "population_2020": pl.Int32},
    )


def _monthly(rows: list[tuple[date, int, bool, int]]) -> pl.DataFrame:
    """(month, area, in_region, overdose deaths) -> a me_monthly_by_area-shaped frame."""
    return pl.DataFrame(
        {
            "month": [r[0] for r in rows],
            "community_area_number": [r[1] for r in rows],
            "community_area": [f"Area {r[1]}" for r in rows],
            "in_region": [r[2] for r in rows],
            "overdose_deaths": [r[3] for r in rows],
            "opioid_deaths": [r[3] for r in rows],
            "fentanyl_deaths": [r[3] for r in rows],
            "is_provisional": [r[0] >= date(2025, 6, 1) for r in rows],
        },
        schema_overrides={"community_area_number": pl.Int32},
    )


# ---- colour binning -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(37.46, 37.0), (123.0, 120.0), (8.37, 8.4), (0.0123, 0.012), (1000.0, 1000.0), (0.0, 0.0)],
)
def test_nice_round_keeps_two_significant_figures(value: float, expected: float) -> None:
    assert map_classes.nice_round(value) == pytest.approx(expected)


def test_class_breaks_are_rounded_quantiles_of_positive_values() -> None:
    # 10..59: the 20/40/60/80 % quantiles are 19.8, 29.6, 39.4, 49.2 -> 20, 30, 39, 49.
    values = list(range(10, 60))
    assert map_classes.class_breaks(values) == [10.0, 20.0, 30.0, 39.0, 49.0, 59.0]


def test_class_breaks_ignore_suppressed_and_zero_values() -> None:
    values = [None, 0, 0, None, 12, 15, 30, 60, 90]
    edges = map_classes.class_breaks(values, n_classes=3)
    assert edges[0] == 12 and edges[-1] == 90
    assert edges == sorted(set(edges))


def test_class_breaks_collapse_when_few_distinct_values() -> None:
    assert map_classes.class_breaks([20, 20, 20]) == [20.0, 20.0]
    assert map_classes.class_breaks([10, 10, 10, 10, 10, 50]) == [10.0, 50.0]
    assert map_classes.class_breaks([None, 0]) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [(10, 0), (19.99, 0), (20, 1), (39, 3), (48.9, 3), (49, 4), (59, 4), (500, 4), (5, 0)],
)
def test_classify_uses_half_open_classes_and_closes_the_last(value: float, expected: int) -> None:
    assert map_classes.classify(value, [10.0, 20.0, 30.0, 39.0, 49.0, 59.0]) == expected


def test_class_colours_spread_over_viridis() -> None:
    assert map_classes.class_colours(5) == list(map_style.VIRIDIS_5)
    assert map_classes.class_colours(3) == ["#fde725", "#21918c", "#440154"]
    assert map_classes.class_colours(1) == ["#fde725"]
    with pytest.raises(ValueError):
        map_classes.class_colours(6)


def test_hex_to_rgba() -> None:
    assert map_style.hex_to_rgba("#fde725", 200) == [253, 231, 37, 200]


# ---- legend ----------------------------------------------------------------------------------


def test_legend_bins_for_counts_read_as_whole_number_ranges() -> None:
    bins = map_classes.legend_bins([10.0, 20.0, 30.0, 39.0, 49.0, 59.0], integer=True, threshold=10)
    assert [b.label for b in bins] == [
        "No deaths",
        "10–19",
        "20–29",
        "30–38",
        "39–48",
        "49–59",
        "1–9 deaths (shown as <10)",
    ]
    assert bins[0].colour == map_style.NO_DEATHS_COLOUR
    assert bins[-1].colour == map_style.SUPPRESSED_COLOUR
    assert [b.colour for b in bins[1:-1]] == list(map_style.VIRIDIS_5)


def test_legend_bins_for_rates_keep_one_decimal() -> None:
    bins = map_classes.legend_bins([12.3, 25.0, 80.25], integer=False, threshold=10)
    assert [b.label for b in bins[1:-1]] == ["12.3–25.0", "25.0–80.2"]


def test_legend_without_classes_still_explains_grey_and_empty_areas() -> None:
    labels = [b.label for b in map_classes.legend_bins([], integer=True, threshold=10)]
    assert labels == ["No deaths", "1–9 deaths (shown as <10)"]


def test_legend_html_is_self_contained_and_escaped() -> None:
    bins = map_classes.legend_bins([10.0, 20.0], integer=True, threshold=10)
    html = map_classes.legend_html("Deaths", bins, "West <Side>")
    assert "10–20" in html and "&lt;10" in html and "West &lt;Side&gt; boundary" in html
    assert "http" not in html and "<img" not in html


# ---- features and deck -----------------------------------------------------------------------


@pytest.fixture
def area_metrics() -> pl.DataFrame:
    """Four region areas over a year: 40 deaths, 4 and 3 deaths (suppressed), 0 deaths.

    Two small areas, so complementary suppression has nothing to add.
    """
    areas = _areas([23, 24, 25, 26], [True, True, True, True])
    monthly = _monthly(
        [(date(2024, m, 1), 23, True, 4 if m <= 4 else 3) for m in range(1, 13)]
        + [(date(2024, m, 1), 24, True, 1 if m <= 4 else 0) for m in range(1, 13)]
        + [(date(2024, m, 1), 25, True, 0) for m in range(1, 13)]
        + [(date(2024, m, 1), 26, True, 1 if m <= 3 else 0) for m in range(1, 13)]
    )
    return period_metrics.area_period_metrics(
        monthly, areas, date(2024, 1, 1), date(2024, 12, 1), "overdose", threshold=10
    )


def test_area_metrics_suppress_small_counts_and_annualise(area_metrics: pl.DataFrame) -> None:
    rows = {r["community_area_number"]: r for r in area_metrics.iter_rows(named=True)}
    assert rows[23]["deaths"] == 40 and rows[23]["rate"] == pytest.approx(80.0)
    assert rows[24]["deaths"] is None and rows[24]["deaths_display"] == "<10" and rows[24]["rate"] is None
    assert rows[25]["deaths"] == 0 and rows[25]["deaths_display"] == "0"


def test_features_carry_display_strings_and_no_suppressed_numbers(area_metrics: pl.DataFrame) -> None:
    areas = _areas([23, 24, 25, 26], [True, True, True, True])
    edges = map_classes.class_breaks(area_metrics.get_column("deaths").to_list())
    features = map_areas.build_features(
        area_metrics, areas, value_col="deaths", edges=edges, threshold=10, count_label="Overdose deaths"
    )
    by_name = {f["properties"]["community_area"]: f["properties"] for f in features}
    assert by_name["Area 23"]["line1"] == "Overdose deaths: 40"
    assert "95% CI" in by_name["Area 23"]["line2"]
    assert by_name["Area 23"]["note"] == ""
    suppressed = by_name["Area 24"]
    assert suppressed["line1"] == "Overdose deaths: <10"
    assert suppressed["line2"] == "Rates: not shown (fewer than 10 deaths)"
    assert suppressed["fill_color"] == map_style.hex_to_rgba(map_style.SUPPRESSED_COLOUR, 235)
    # The hidden count (4) must not reach the browser: only text, and no "4" in any of it.
    texts = {
        k: v
        for k, v in suppressed.items()
        if k not in {"fill_color", "community_area", "community_area_number", "title"}
    }
    assert suppressed["title"] == suppressed["community_area"] == "Area 24"
    assert all(isinstance(v, str) and "4" not in v for v in texts.values())
    assert set(map_style.TOOLTIP_SLOTS) <= set(suppressed)
    assert by_name["Area 25"]["fill_color"] == map_style.hex_to_rgba(map_style.NO_DEATHS_COLOUR, 235)
    assert "Population (2020): 50,000" == by_name["Area 25"]["line3"]


def test_unstable_rates_are_flagged_in_the_tooltip() -> None:
    areas = _areas([23], [True])
    monthly = _monthly([(date(2024, m, 1), 23, True, 1 if m <= 12 else 0) for m in range(1, 13)])
    metrics = period_metrics.area_period_metrics(
        monthly, areas, date(2024, 1, 1), date(2024, 12, 1), "overdose", threshold=10
    )
    (feature,) = map_areas.build_features(
        metrics, areas, value_col="rate", edges=[24.0, 24.0], threshold=10, count_label="Deaths"
    )
    assert feature["properties"]["line1"] == "Deaths: 12"
    assert feature["properties"]["note"] == "Unstable rate: fewer than 20 deaths"


def test_deck_has_ids_outline_and_no_basemap(area_metrics: pl.DataFrame) -> None:
    areas = _areas([23, 24, 25, 26], [True, True, False, False])
    features = map_areas.build_features(
        area_metrics, areas, value_col="deaths", edges=[40.0, 40.0], threshold=10, count_label="Deaths"
    )
    deck = map_deck.build_deck(
        features,
        map_labels.region_outline(areas),
        map_labels.region_labels(areas),
        map_labels.region_view_state(areas),
    )
    spec = json.loads(deck.to_json())
    assert [layer["id"] for layer in spec["layers"]] == [
        map_style.CHOROPLETH_LAYER_ID,
        map_style.OUTLINE_LAYER_ID,
        map_style.LABEL_LAYER_ID,
    ]
    # pydeck's "no style" sentinel: Streamlit then draws no basemap (nothing fetched).
    assert spec["mapStyle"] == "__MAP_STYLE__"
    assert "http" not in deck.to_json()
    outline = spec["layers"][1]["data"]["features"][0]["geometry"]
    assert outline["type"] == "Polygon"  # the two region squares dissolve into one rectangle
    assert spec["initialViewState"]["longitude"] == pytest.approx(1.0)


def test_a_lone_small_area_also_hides_its_smallest_neighbour() -> None:
    areas = _areas([23, 24], [True, True])
    monthly = _monthly([(date(2024, 1, 1), 23, True, 40), (date(2024, 1, 1), 24, True, 4)])
    metrics = period_metrics.area_period_metrics(
        monthly, areas, date(2024, 1, 1), date(2024, 1, 1), "overdose", threshold=10
    )
    features = map_areas.build_features(
        metrics, areas, value_col="deaths", edges=[], threshold=10, count_label="Deaths"
    )
    texts = [f["properties"]["line1"] for f in features]
    # The region total is published, so 40 would give the hidden 4 away: it shows as "*".
    assert texts == ["Deaths: *", "Deaths: <10"]
    grey = map_style.hex_to_rgba(map_style.SUPPRESSED_COLOUR, 235)
    assert all(f["properties"]["fill_color"] == grey for f in features)


def test_wrap_label_stacks_long_names() -> None:
    assert map_labels.wrap_label("West Garfield Park") == "West\nGarfield\nPark"
    assert map_labels.wrap_label("Near West Side") == "Near West\nSide"
    assert map_labels.wrap_label("Austin") == "Austin"


# ---- periods and labels ------------------------------------------------------------------------


def test_default_period_is_the_twelve_months_ending_with_the_latest() -> None:
    months = [date(2023 + (m - 1) // 12, (m - 1) % 12 + 1, 1) for m in range(1, 31)]  # Jan 2023..Jun 2025
    assert period_labels.default_period(months) == (date(2024, 7, 1), date(2025, 6, 1))
    assert period_labels.default_period(list(reversed(months)), length=3) == (date(2025, 4, 1), date(2025, 6, 1))


def test_default_period_with_short_history_uses_everything() -> None:
    months = [date(2025, 1, 1), date(2025, 2, 1)]
    assert period_labels.default_period(months) == (date(2025, 1, 1), date(2025, 2, 1))
    with pytest.raises(ValueError):
        period_labels.default_period([])


def test_month_helpers() -> None:
    assert period_labels.next_month(date(2024, 12, 1)) == date(2025, 1, 1)
    assert period_labels.month_count(date(2024, 7, 1), date(2025, 6, 1)) == 12
    assert data.format_period(date(2024, 7, 1), date(2025, 6, 1)) == "Jul 2024 – Jun 2025"
    assert data.format_period(date(2025, 6, 1), date(2025, 6, 1)) == "Jun 2025"
    assert format_day(date(2016, 1, 1)) == "1 Jan 2016" and format_day(date(2026, 10, 31)) == "31 Oct 2026"


def test_refresh_time_is_shown_in_chicago_time() -> None:
    assert data.format_refreshed(datetime(2025, 7, 14, 13, 5)) == "14 Jul 2025, 8:05 AM CDT"
    assert data.format_refreshed(datetime(2025, 1, 14, 13, 5)) == "14 Jan 2025, 7:05 AM CST"


def test_source_text_flags_synthetic_data() -> None:
    fresh = data.Freshness(
        "medical_examiner", "label", True, date(2020, 1, 1), date(2025, 6, 30), datetime(2025, 7, 1), 1, "u"
    )
    assert period_labels.source_text(fresh) == "Cook County Medical Examiner — synthetic demo data"
    real = data.Freshness(**{**fresh.__dict__, "is_synthetic": False})
    assert period_labels.source_text(real) == "Cook County Medical Examiner"


# ---- region totals and trend ---------------------------------------------------------------


def _not_placed(records: list[tuple[date, int]]) -> pl.DataFrame:
    """``load_not_placed_monthly``-shaped rows: (month, overdose deaths not placed in an area)."""
    return pl.DataFrame(
        {
            "month": [r[0] for r in records],
            "overdose_deaths": [r[1] for r in records],
            "opioid_deaths": [r[1] for r in records],
            "fentanyl_deaths": [0 for _ in records],
        }
    )


def test_group_metrics_withhold_the_city_when_one_part_is_hidden() -> None:
    areas = _areas([23, 40], [True, False])
    monthly = _monthly([(date(2024, 1, 1), 23, True, 4), (date(2024, 1, 1), 40, False, 30)])
    groups = period_metrics.group_period_metrics(
        monthly, areas, date(2024, 1, 1), date(2024, 1, 1), "overdose",
        not_placed=_not_placed([(date(2024, 1, 1), 11)]), region_label="West Side", threshold=10,
    )  # fmt: skip
    shown = dict(zip(groups.get_column("group"), groups.get_column("deaths_display"), strict=True))
    # City 45 minus the rest (30) and the not placed (11) would reveal the region's 4.
    assert shown == {"West Side": "<10", "Rest of Chicago": "30", "Not placed in an area": "11", "Chicago": "*"}
    assert period_metrics.region_share(groups, "West Side") is None


def test_group_metrics_share_of_city() -> None:
    areas = _areas([23, 40], [True, False])
    monthly = _monthly([(date(2024, 1, 1), 23, True, 25), (date(2024, 1, 1), 40, False, 75)])
    not_placed = _not_placed([(date(2023, 12, 1), 99), (date(2024, 1, 1), 25)])
    groups = period_metrics.group_period_metrics(
        monthly, areas, date(2024, 1, 1), date(2024, 1, 1), "overdose", not_placed=not_placed,
        region_label="West Side", threshold=10,
    )  # fmt: skip
    # Chicago = 25 + 75 + 25 not placed in an area (December's 99 is outside the period).
    assert period_metrics.region_share(groups, "West Side") == pytest.approx(0.2)
    city = groups.filter(pl.col("group") == "Chicago").row(0, named=True)
    assert city["deaths"] == 125
    assert city["rate"] == pytest.approx(125 / 100_000 * 100_000 * 12)
    assert groups.filter(pl.col("group") == "Not placed in an area").get_column("rate").to_list() == [None]


def test_trend_display_frame_hides_small_months_and_marks_provisional() -> None:
    areas = _areas([23, 40], [True, False])
    rows = [(date(2025, m, 1), 23, True, [20, 5, 30][m - 4]) for m in (4, 5, 6)]
    rows += [(date(2025, m, 1), 40, False, 50) for m in (4, 5, 6)]
    metrics = period_metrics.monthly_group_metrics(
        _monthly(rows),
        areas,
        date(2025, 4, 1),
        date(2025, 6, 1),
        "overdose",
        region_label="West Side",
        threshold=10,
    )
    display = charts.trend_display_frame(metrics)
    assert display.columns == list(charts.TREND_COLUMNS)
    west = display.filter(pl.col("series") == "West Side")
    assert west.get_column("deaths").to_list() == ["20", "<10", "30"]
    assert west.get_column("rate_per_100k_per_year").to_list()[1] is None
    assert west.get_column("rate_per_100k_per_year").to_list()[0] == pytest.approx(480.0)
    assert west.get_column("provisional").to_list() == [False, False, True]


def test_trend_chart_has_title_subtitle_and_dashed_provisional_segment() -> None:
    areas = _areas([23, 40], [True, False])
    rows = [(date(2025, m, 1), a, a == 23, 20 + m) for m in (3, 4, 5, 6) for a in (23, 40)]
    metrics = period_metrics.monthly_group_metrics(
        _monthly(rows),
        areas,
        date(2025, 3, 1),
        date(2025, 6, 1),
        "overdose",
        region_label="West Side",
        threshold=10,
    )
    display = charts.trend_display_frame(metrics)
    source = "Cook County Medical Examiner — synthetic demo data"
    subtitle = charts.chart_subtitle(source, "Mar – Jun 2025", "now")
    spec = charts.trend_chart(
        display,
        metric="count",
        title="Deaths",
        subtitle=subtitle,
        region_label="West Side",
        rest_label="Rest of Chicago",
    ).to_dict()
    assert spec["title"]["text"] == "Deaths"
    assert spec["title"]["subtitle"] == [f"Source: {source}", "Period: Mar – Jun 2025", "Data refreshed now"]
    text = json.dumps(spec)
    assert charts.PROVISIONAL in text and '"provisional"' in text
    plotted = charts._plot_rows(display, "deaths")
    # Each series: 3 final months + June provisional + the May connector repeated as provisional.
    assert plotted.filter(pl.col("series") == "West Side").height == 5


# ---- CSV ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("<10", "<10"),
        ("O'Hare", "O'Hare"),
        (12.5, "12.5"),
        (None, ""),
        (True, "yes"),
        (date(2025, 6, 1), "2025-06-01"),
    ],
)
def test_escape_csv_cell(cell: object, expected: str) -> None:
    assert data.escape_csv_cell(cell) == expected


def test_csv_holds_exactly_the_displayed_cells() -> None:
    frame = pl.DataFrame(
        {"community_area": ["=cmd|' /C calc'!A0", "Austin"], "deaths": ["<10", "1,234"], "rate": [None, 45.3]}
    )
    payload = table_display.to_csv_bytes(frame)
    assert payload.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(payload.decode("utf-8-sig"))))
    assert rows == [
        ["community_area", "deaths", "rate"],
        ["'=cmd|' /C calc'!A0", "<10", ""],
        ["Austin", "1,234", "45.3"],
    ]


def test_area_display_frame_blanks_suppressed_rates(area_metrics: pl.DataFrame) -> None:
    table = period_metrics.area_display_frame(area_metrics, "West Side")
    suppressed = table.filter(pl.col("area_number") == 24).row(0, named=True)
    assert suppressed["deaths"] == "<10"
    assert suppressed["rate_per_100k_per_year"] is None
    assert suppressed["rate_unstable_under_20_deaths"] is None
    assert suppressed["part_of_city"] == "West Side"


def test_markdown_table_escapes_cells_and_marks_missing_values() -> None:
    frame = pl.DataFrame(
        {
            "Source": ["ME | demo", "Strips *x*", "a_b [c] $5 <d> 13:05", "www.x.org a@b.org"],
            "Rows": [12_345, None, 7, 0],
            "Day": [date(2026, 1, 2), None, None, None],
        }
    )
    assert table_display.markdown_table(frame) == "\n".join(
        [
            "| Source | Rows | Day |",
            "|---|---:|---|",
            "| ME \\| demo | 12,345 | 2026-01-02 |",
            "| Strips \\*x\\* | — | — |",
            "| a\\_b \\[c\\] \\$5 \\<d\\> 13\\:05 | 7 | — |",
            "| www\\.x\\.org a\\@b\\.org | 0 | — |",
        ]
    )
    # Counts held as text ("<10") are right-aligned when named, like the numeric column.
    assert table_display.markdown_table(frame, right=["Source"]).splitlines()[1] == "|---:|---:|---|"


def test_grids_show_readable_headers_and_a_table_can_override_them() -> None:
    config = table_display.table_column_config(["area_number", "community_area", "rate_per_100k_per_year", "odd"], {"area_number": "No."})
    assert config["area_number"] == "No."  # the table's own header wins
    assert config["community_area"] == "Community area"
    assert config["rate_per_100k_per_year"]["label"] == "Crude rate per 100,000/yr"
    assert config["rate_per_100k_per_year"]["type_config"]["format"] == "%.1f"
    assert "odd" not in config  # a column the glossary does not name keeps its own name

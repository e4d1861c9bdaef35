"""The dashboard's age-adjusted rates: grouped like the crude ones, hidden with them, and named
"crude" / "age-adjusted" in the map's tooltips and tables."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from dashboards.components import adjusted_rates, map_areas, period_metrics
from pipelines.defs.epidemiology import city_total as ct
from pipelines.defs.epidemiology.age_adjusted import STANDARD_POPULATION_2000
from tests.dashboards.test_components import _areas, _monthly

BANDS = list(STANDARD_POPULATION_2000)


def _standard_population(numbers: list[int], each: float = 50_000) -> pl.DataFrame:
    """Every area shaped like the standard: its adjusted rate is the crude rate of known ages."""
    return pl.DataFrame(
        [(n, band, each * per_million / 1e6) for n in numbers for band, per_million in STANDARD_POPULATION_2000.items()],
        schema={"community_area_number": pl.Int32, "age_band": pl.String, "population": pl.Float64},
        orient="row",
    )


def _band_deaths(rows: list[tuple[date, int | None, str, int]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"month": pl.Date, "community_area_number": pl.Int32, "age_band": pl.String, "deaths": pl.Int64},
        orient="row",
    )


@pytest.fixture
def metrics() -> pl.DataFrame:
    """Areas 23 (40 deaths in 2024: 38 aged 35-49, 2 of unknown age), 24 (4: hidden), 25 (none),
    26 (12: hidden as the complement of 24)."""
    areas = _areas([23, 24, 25, 26], [True] * 4)
    monthly = _monthly(
        [(date(2024, m, 1), 23, True, 4 if m <= 10 else 0) for m in range(1, 13)]
        + [(date(2024, m, 1), 24, True, 1 if m <= 4 else 0) for m in range(1, 13)]
        + [(date(2024, m, 1), 25, True, 0) for m in range(1, 13)]
        + [(date(2024, m, 1), 26, True, 1) for m in range(1, 13)]
    )
    crude = period_metrics.area_period_metrics(monthly, areas, date(2024, 1, 1), date(2024, 12, 1), "overdose", threshold=10)
    deaths = _band_deaths([
        (date(2024, 3, 1), 23, "35-49", 38), (date(2024, 4, 1), 23, "Unknown", 2),
        (date(2024, 2, 1), 24, "20-34", 4), (date(2024, 2, 1), 26, "20-34", 12),
        (date(2024, 5, 1), None, "50-64", 7),  # a Chicago death not placed: in no area
    ])
    return adjusted_rates.with_area_adjusted(
        crude, deaths, _standard_population([23, 24, 25, 26]), years=1.0, threshold=10
    )


def test_area_rates_are_adjusted_and_hidden_with_the_crude_count(metrics: pl.DataFrame) -> None:
    rows = {r["community_area_number"]: r for r in metrics.iter_rows(named=True)}
    assert rows[23]["rate"] == pytest.approx(80.0)
    assert rows[23]["age_adjusted_rate"] == pytest.approx(38 / 50_000 * 100_000)  # known ages only
    assert rows[23]["deaths_unknown_age"] is None and rows[23]["deaths_unknown_age_display"] == "<10"
    for hidden in (24, 26):  # "<10" and its complement "*"
        assert rows[hidden]["deaths_suppressed"]
        assert all(rows[hidden][c] is None for c in (*adjusted_rates.ADJUSTED_COLUMNS, "deaths_unknown_age_display"))
    assert rows[25]["age_adjusted_rate"] == 0.0 and rows[25]["deaths_unknown_age_display"] == "0"


def test_tooltips_name_both_rates_and_hide_both(metrics: pl.DataFrame) -> None:
    areas = _areas([23, 24, 25, 26], [True] * 4)
    features = map_areas.build_features(
        metrics, areas, value_col="age_adjusted_rate", edges=[76.0, 76.0], threshold=10, count_label="Deaths"
    )
    props = {f["properties"]["community_area_number"]: f["properties"] for f in features}
    assert props[23]["line2"].startswith("Crude rate: 80.0 per 100,000 per year (95% CI ")
    assert props[23]["line3"].startswith("Age-adjusted rate: 76.0 per 100,000 per year (95% CI ")
    assert props[23]["line4"] == "Population (2020): 50,000"
    assert props[23]["note"] == "<10 deaths of unknown age not in the age-adjusted rate"
    assert props[24]["line2"] == "Rates: not shown (fewer than 10 deaths)"
    assert props[24]["line3"] == "Population (2020): 50,000" and props[24]["line4"] == ""
    table = period_metrics.area_display_frame(metrics, "Region")
    assert table.columns[4:9] == ["rate_per_100k_per_year", "rate_95ci_lower", "rate_95ci_upper",
                                  "rate_unstable_under_20_deaths", "age_adjusted_rate_per_100k_per_year"]
    assert table.filter(pl.col("area_number") == 24).get_column("age_adjusted_rate_per_100k_per_year")[0] is None


def test_groups_follow_the_crude_grouping_and_the_city_counts_every_chicago_death() -> None:
    deaths = _band_deaths([
        (date(2024, 1, 1), 23, "35-49", 30), (date(2024, 1, 1), 24, "35-49", 10),
        (date(2024, 1, 1), None, "35-49", 10), (date(2024, 1, 1), None, "Unknown", 3),
    ])
    population = _standard_population([23, 24])
    out = adjusted_rates.adjusted_by_group(
        deaths, population, {"Selection": [23], "Rest": [24], "Chicago": None}, years=0.5
    )
    rows = {r["group"]: r for r in out.iter_rows(named=True)}
    assert rows["Selection"]["age_adjusted_rate"] == pytest.approx(30 / 25_000 * 100_000)
    assert rows["Rest"]["age_adjusted_rate"] == pytest.approx(10 / 25_000 * 100_000)
    # The city: the 40 placed deaths and the 10 not placed, over both areas' population.
    assert rows["Chicago"]["age_adjusted_rate"] == pytest.approx(50 / 50_000 * 100_000)
    assert rows["Chicago"]["deaths_unknown_age"] == 3
    assert adjusted_rates.unknown_age_total(deaths, threshold=10) == "0"
    assert adjusted_rates.unknown_age_total(deaths, threshold=10, placed_only=False) == "<10"
    hidden = adjusted_rates.hide_with_crude(out, pl.col("group") == "Rest")
    assert hidden.filter(pl.col("group") == "Rest").get_column("age_adjusted_rate")[0] is None
    assert hidden.filter(pl.col("group") == "Chicago").get_column("age_adjusted_rate")[0] is not None


def _unknown_ages(unknown: dict[int | None, int], areas: tuple[int, ...] = (23, 24, 25)) -> pl.DataFrame:
    """Band deaths of areas 23, 24 (the region) and 25 (the rest of Chicago; or ``areas``) and the
    deaths not placed (None): 20 of known age each, and ``unknown`` of unknown age."""
    rows = [(date(2024, 1, 1), n, n in (23, 24), band, deaths) for n in (*areas, None)
            for band, deaths in (("35-49", 20), ("Unknown", unknown.get(n, 0)))]  # fmt: skip
    return pl.DataFrame(
        rows,
        schema={"month": pl.Date, "community_area_number": pl.Int32, "in_region": pl.Boolean, "age_band": pl.String,
                "deaths": pl.Int64},
        orient="row",
    )  # fmt: skip


def _unknown_shown(unknown: dict[int | None, int], groups: dict, split: dict | None = None) -> dict[str, str | None]:
    labels = [*groups, ct.NOT_PLACED_LABEL]
    frame = pl.DataFrame({"group": labels, "rate": [None if g == ct.NOT_PLACED_LABEL else 1.0 for g in labels]})
    out = adjusted_rates.with_group_adjusted(
        frame, _unknown_ages(unknown), _standard_population([23, 24, 25]), groups, years=1.0, threshold=10, split=split
    )
    return dict(zip(out["group"], out["deaths_unknown_age_display"], strict=True))


def test_the_citys_unknown_age_count_follows_the_city_total_rule() -> None:
    region = {"Region": [23, 24], "Rest of Chicago": [25], "Chicago": None}
    # The region's 3 would be Chicago's 18 minus the rest's 15: Chicago's count is withheld.
    assert _unknown_shown({23: 3, 25: 15}, region) == {
        "Region": "<10", "Rest of Chicago": "15", "Chicago": "*", ct.NOT_PLACED_LABEL: None}  # fmt: skip
    # So are the 4 not placed (never shown) when the region's and the rest's are shown.
    assert _unknown_shown({23: 12, 25: 15, None: 4}, region)["Chicago"] == "*"
    # Two small parts, or nothing small: shown.
    assert _unknown_shown({23: 3, 25: 15, None: 4}, region)["Chicago"] == "22"
    assert _unknown_shown({23: 12, 25: 15, None: 11}, region)["Chicago"] == "38"
    # Another split of the city (area 24 against the rest): the city's 30 is shown (the region's
    # split has nothing small), so the rest of this split is hidden too, or it would give the 3 back.
    chosen = {"Area 24": [24], "Rest of Chicago": [23, 25], "Chicago": None}
    split = {"Area 24": ct.SELECTION, "Rest of Chicago": ct.REST}
    assert _unknown_shown({23: 12, 24: 3, 25: 15}, chosen, split) == {
        "Area 24": "<10", "Rest of Chicago": "*", "Chicago": "30", ct.NOT_PLACED_LABEL: None}  # fmt: skip
    assert _unknown_shown({23: 12, 24: 3, 25: 15}, chosen)["Rest of Chicago"] == "27"  # without the split


def test_the_deaths_not_placed_get_no_rate_and_chicago_counts_them() -> None:
    frame = pl.DataFrame({"group": ["Region", ct.NOT_PLACED_LABEL, "Chicago"], "rate": [1.0, None, 1.0]})
    out = adjusted_rates.with_group_adjusted(
        frame, _unknown_ages({}), _standard_population([23, 24, 25]), {"Region": [23, 24], "Chicago": None},
        years=1.0, threshold=10,
    )  # fmt: skip
    rows = {r["group"]: r for r in out.iter_rows(named=True)}
    assert all(rows[ct.NOT_PLACED_LABEL][c] is None for c in (*adjusted_rates.ADJUSTED_COLUMNS, "deaths_unknown_age"))
    # 80 deaths (20 of them not placed) over three standard-shaped areas of 50,000.
    assert rows["Chicago"]["age_adjusted_rate"] == pytest.approx(80 / 150_000 * 100_000)
    assert rows["Region"]["age_adjusted_rate"] == pytest.approx(40 / 100_000 * 100_000)


def test_a_hidden_rest_area_lets_the_rest_hide_the_unplaced_unknown_age_count() -> None:
    """The Map's split: region 23-24, rest 25-26. Of unknown age: 12 in 23, 12 in 25, 3 in 26 (the
    Map hides 26, "<10", and 25 beside it), 4 not placed. The rest's 15 is then no sum of shown
    areas: hiding it protects the 4, and Chicago's 31 is shown. With the 3 in 25 instead (every
    rest area's count shown) Chicago's is withheld."""
    groups = {"Region": [23, 24], "Rest of Chicago": [25, 26], "Chicago": None}
    split = {"Region": ct.SELECTION, "Rest of Chicago": ct.REST}
    frame = pl.DataFrame({"group": [*groups, ct.NOT_PLACED_LABEL], "rate": [1.0, 1.0, 1.0, None]})
    population = _standard_population([23, 24, 25, 26])

    def shown(unknown: dict[int | None, int], years: float | pl.DataFrame = 1.0, by: tuple = ()) -> dict:
        out = adjusted_rates.with_group_adjusted(
            frame.join(years.select(*by), how="cross") if by else frame,
            _unknown_ages(unknown, (23, 24, 25, 26)).with_columns(pl.col("month").dt.year().alias("year")),
            population, groups, years=years, threshold=10, split=split, by=by,
        )  # fmt: skip
        return dict(zip(out["group"], out["deaths_unknown_age_display"], strict=True))

    assert shown({23: 12, 25: 12, 26: 3, None: 4}) == {
        "Region": "12", "Rest of Chicago": "*", "Chicago": "31", ct.NOT_PLACED_LABEL: None}  # fmt: skip
    assert shown({23: 12, 25: 15, None: 4}) == {
        "Region": "12", "Rest of Chicago": "15", "Chicago": "*", ct.NOT_PLACED_LABEL: None}  # fmt: skip
    # A period shorter than 12 months (``years`` × 12 months) keeps the rest and withholds Chicago,
    # as the rule does for the crude counts; per year, a year of 6 months of data does the same.
    kept = {"Region": "12", "Rest of Chicago": "15", "Chicago": "*", ct.NOT_PLACED_LABEL: None}
    assert shown({23: 12, 25: 12, 26: 3, None: 4}, years=3 / 12) == kept
    half_year = pl.DataFrame({"year": [2024], "years": [0.5]}, schema={"year": pl.Int32, "years": pl.Float64})
    assert shown({23: 12, 25: 12, 26: 3, None: 4}, years=half_year, by=("year",)) == kept

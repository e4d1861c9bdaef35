"""Population of each community area by age band, for age-adjusted rates.

The age structure comes from CMAP's Community Data Snapshots (American Community Survey 2016–2020
5-year estimates by community area, ``data_raw/reference/chicago_community_areas_age_acs_2016_2020.csv``,
which carries its source line); the totals stay the 2020 Census counts the crude rates use. So an
area's population in band ``i`` is

    population_i = population_2020 × acs_i / Σ_j acs_j

and the bands of an area add up exactly to its crude-rate denominator. The ACS sum of bands is used
as the share's denominator (not CMAP's ``acs_total``, which differs from it by rounding, at most
0.01 person), so the shares sum to 1. The region's and the city's band populations are sums over
their areas (``sql/marts/age_band_population_by_geography.sql``).
"""

from __future__ import annotations

import polars as pl

from pipelines.defs.epidemiology.demographics import AGE_BANDS
from pipelines.settings import PROJECT_ROOT

AGE_STRUCTURE_CSV = PROJECT_ROOT / "data_raw" / "reference" / "chicago_community_areas_age_acs_2016_2020.csv"
#: Column of the reference file holding each band of :data:`AGE_BANDS`.
BAND_COLUMNS: dict[str, str] = {
    "0-4": "age_0_4",
    "5-19": "age_5_19",
    "20-34": "age_20_34",
    "35-49": "age_35_49",
    "50-64": "age_50_64",
    "65-74": "age_65_74",
    "75-84": "age_75_84",
    "85+": "age_85_plus",
}
#: How far the bands of a row may be from its ``acs_total`` (CMAP rounds each value to 0.01).
ACS_TOTAL_TOLERANCE = 1.0

if list(BAND_COLUMNS) != list(AGE_BANDS):
    raise AssertionError("the reference file's columns must cover the age bands exactly")


def load_age_structure(path=AGE_STRUCTURE_CSV) -> pl.DataFrame:
    """ACS population by community area and age band (long: ``community_area_number``,
    ``age_band``, ``acs_population``), checked.

    Raises ``ValueError`` unless the file holds areas 1–77 once each, no negative or missing value,
    and bands that add up to ``acs_total`` (within :data:`ACS_TOTAL_TOLERANCE`).
    """
    wide = pl.read_csv(path, comment_prefix="#")
    numbers = sorted(wide.get_column("community_area_number").to_list())
    if numbers != list(range(1, 78)):
        raise ValueError(f"{path} must hold community areas 1-77 once each")
    values = wide.select(BAND_COLUMNS.values()).cast(pl.Float64)
    if values.null_count().sum_horizontal().item() or (values.min_horizontal() < 0).any():
        raise ValueError(f"{path} has missing or negative populations")
    gap = (values.sum_horizontal() - wide.get_column("acs_total").cast(pl.Float64)).abs()
    if (gap > ACS_TOTAL_TOLERANCE).any():
        bad = wide.filter(gap > ACS_TOTAL_TOLERANCE).get_column("community_area_number").to_list()
        raise ValueError(f"{path}: the age bands do not add up to acs_total for areas {bad}")
    return (
        wide.select(
            pl.col("community_area_number").cast(pl.Int32),
            *(pl.col(column).cast(pl.Float64).alias(band) for band, column in BAND_COLUMNS.items()),
        )
        .unpivot(index="community_area_number", variable_name="age_band", value_name="acs_population")
        .sort("community_area_number", pl.col("age_band").replace_strict(_band_order()))
    )


def _band_order() -> dict[str, int]:
    return {band: i for i, band in enumerate(AGE_BANDS)}


def population_by_age_band(population: pl.DataFrame, age_structure: pl.DataFrame) -> pl.DataFrame:
    """Each area's 2020 population split into age bands by its ACS age shares.

    ``population`` has ``community_area_number`` and ``population_2020``; ``age_structure`` is
    :func:`load_age_structure`. Returns ``community_area_number``, ``age_band``,
    ``acs_population``, ``acs_share`` and ``population`` (Float64: shares are fractional), one row
    per area and band; the bands of an area sum to its ``population_2020``.

    Raises ``ValueError`` when the two do not cover the same areas.
    """
    shares = age_structure.with_columns(
        (pl.col("acs_population") / pl.col("acs_population").sum().over("community_area_number")).alias("acs_share")
    )
    joined = shares.join(
        population.select(pl.col("community_area_number").cast(pl.Int32), "population_2020"),
        on="community_area_number",
        how="full",
        coalesce=True,
    )
    missing = joined.filter(pl.col("acs_share").is_null() | pl.col("population_2020").is_null())
    if missing.height:
        raise ValueError(
            "the age structure and the 2020 population disagree on community areas: "
            f"{sorted(set(missing.get_column('community_area_number').to_list()))}"
        )
    return joined.select(
        "community_area_number",
        "age_band",
        "acs_population",
        "acs_share",
        (pl.col("population_2020").cast(pl.Float64) * pl.col("acs_share")).alias("population"),
    ).sort("community_area_number", pl.col("age_band").replace_strict(_band_order()))

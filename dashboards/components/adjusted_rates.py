"""Age-adjusted rates on the dashboard: loaders, and the pure functions that put them beside the
crude rates of any period, drug and choice of areas — suppressed like them.

The rate itself is :mod:`pipelines.defs.epidemiology.age_adjusted` (the one definition: direct
standardisation to the 2000 US standard population, Fay–Feuer 95% interval); this module only
groups the published deaths by age band (``marts.overdose_deaths_by_age_band``) and the
population by age band (``marts.population_by_age_band``) the way each page groups its crude
counts. Rules kept everywhere:

* an age-adjusted rate is never shown where the crude count (or rate) is hidden;
* deaths of unknown age are left out of the adjusted rate and counted for a footnote, shown as a
  count like any other (1 to ``threshold - 1`` as ``"<10"``);
* a group mapped to ``None`` is the city: every death that occurred in Chicago, placed in an area
  or not (``in_chicago``), over the population of all 77 areas.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date

import polars as pl
import streamlit as st

from dashboards.components.data import DbVersion, read_frame
from pipelines.defs.epidemiology import city_total as ct
from pipelines.defs.epidemiology.age_adjusted import STANDARD_NAME, with_age_adjusted_rates
from pipelines.defs.epidemiology.demographics import UNKNOWN_AGE
from pipelines.defs.epidemiology.suppression import display_count, suppress

#: The shared "Rates" filter's values (``filters.RATE_KINDS``) -> the words for a rate of that kind.
RATE_LABELS: dict[str, str] = {"crude": "Crude rate", "adjusted": "Age-adjusted rate"}
#: Columns an age-adjusted rate adds to a frame (all hidden with the crude count).
ADJUSTED_COLUMNS = ("age_adjusted_rate", "age_adjusted_lower", "age_adjusted_upper", "age_adjusted_unstable")
#: One sentence on what "age-adjusted" means, for captions.
ADJUSTED_NOTE = (
    f"Age-adjusted rates are standardised to the {STANDARD_NAME} (eight age bands), so places with "
    "older or younger residents compare fairly; 95% CI by the Fay–Feuer gamma method."
)


# --------------------------------------------------------------------------------------------
# Loaders (cached per publication)
# --------------------------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=8)
def load_band_population(version: DbVersion) -> pl.DataFrame:
    """Population of each community area by age band (2020 census totals, ACS age shares)."""
    return read_frame(
        version,
        "SELECT community_area_number, age_band, population FROM marts.population_by_age_band ORDER BY ALL",
    )


@st.cache_data(show_spinner=False, max_entries=16)
def load_band_deaths(version: DbVersion, drug: str) -> pl.DataFrame:
    """Deaths in Chicago involving ``drug`` per month, community area (null: not placed) and age band."""
    return read_frame(
        version,
        """
        SELECT month, community_area_number, in_region, age_band, sum(deaths)::BIGINT AS deaths
        FROM marts.overdose_deaths_by_age_band
        WHERE drug = $drug
        GROUP BY ALL
        ORDER BY ALL
        """,
        {"drug": drug},
    )


# --------------------------------------------------------------------------------------------
# Rates by group (pure)
# --------------------------------------------------------------------------------------------


def membership(groups: Mapping[str, Iterable[int] | None], area_numbers: Iterable[int]) -> pl.DataFrame:
    """``group``, ``community_area_number`` pairs; a group mapped to ``None`` is the city: every
    area of ``area_numbers`` and the deaths placed in none (null area number)."""
    every = sorted(set(area_numbers))
    rows = [
        (label, area)
        for label, areas in groups.items()
        for area in ([*every, None] if areas is None else sorted(set(areas)))
    ]
    return pl.DataFrame(rows, schema={"group": pl.String, "community_area_number": pl.Int32}, orient="row")


def adjusted_by_group(
    band_deaths: pl.DataFrame,
    band_population: pl.DataFrame,
    groups: Mapping[str, Iterable[int] | None],
    *,
    years: float | pl.DataFrame,
    by: Sequence[str] = (),
) -> pl.DataFrame:
    """Age-adjusted rates of each group (label -> its area numbers, ``None`` for the city).

    ``band_deaths`` (``community_area_number``, ``age_band``, ``deaths`` and the ``by`` columns)
    holds the deaths of the period(s) to rate, already filtered to the drug and months.
    ``years`` is the period length in years, or a frame of ``by`` columns and ``years`` (one
    period each). Returns ``by``, ``group``, ``deaths_known_age``, ``deaths_unknown_age`` and the
    :data:`ADJUSTED_COLUMNS`, one row per period and group, not suppressed.
    """
    by = list(by)
    members = membership(groups, band_population.get_column("community_area_number").to_list())
    deaths = (
        band_deaths.with_columns(pl.col("community_area_number").cast(pl.Int32))
        .join(members, on="community_area_number", how="inner", nulls_equal=True)
        .group_by([*by, "group", "age_band"])
        .agg(pl.col("deaths").sum())
    )
    population = (
        band_population.with_columns(pl.col("community_area_number").cast(pl.Int32))
        .join(members, on="community_area_number", how="inner")
        .group_by("group", "age_band")
        .agg(pl.col("population").sum())
    )
    labels = pl.DataFrame({"group": list(groups)}, schema={"group": pl.String})
    if isinstance(years, pl.DataFrame):
        frame = years.select(*by, pl.col("years").cast(pl.Float64)).join(labels, how="cross")
    else:
        frame = labels.with_columns(pl.lit(float(years)).alias("years"))
    return with_age_adjusted_rates(
        frame, deaths, population, keys=[*by, "group"], population_keys=["group"], years_col="years"
    ).drop("years")


def in_months(band_deaths: pl.DataFrame, start: date, end: date) -> pl.DataFrame:
    """The rows of the months ``start``..``end`` (both included)."""
    return band_deaths.filter(pl.col("month").is_between(start, end))


# --------------------------------------------------------------------------------------------
# Suppression (pure)
# --------------------------------------------------------------------------------------------


def hide_with_crude(frame: pl.DataFrame, hidden: pl.Expr) -> pl.DataFrame:
    """Null the adjusted rate and the unknown-age count (and its display) on ``hidden`` rows —
    those whose crude count or rate is not shown: a rate would give the count back."""
    hidden = hidden.fill_null(True)
    columns = [c for c in (*ADJUSTED_COLUMNS, "deaths_unknown_age", "deaths_unknown_age_display") if c in frame.columns]
    return frame.with_columns(pl.when(hidden).then(None).otherwise(pl.col(c)).alias(c) for c in columns)


def suppress_unknown_age(
    frame: pl.DataFrame, *, threshold: int, complementary_by: Sequence[str] | None = None
) -> pl.DataFrame:
    """Suppress ``deaths_unknown_age`` as a count (``"<10"``; complementary within
    ``complementary_by`` when the groups' totals are shown too); adds its ``_display`` column."""
    out = suppress(frame, "deaths_unknown_age", threshold=threshold, complementary_by=complementary_by)
    return out.drop([c for c in out.columns if c.endswith("_group_total_suppressed") and c not in frame.columns])


def with_area_adjusted(
    metrics: pl.DataFrame,
    band_deaths: pl.DataFrame,
    band_population: pl.DataFrame,
    *,
    years: float,
    threshold: int,
) -> pl.DataFrame:
    """The Map's per-area metrics (``data.area_period_metrics`` output) with the age-adjusted rate
    of each area over the same period (``band_deaths`` already cut to it), hidden where the
    crude count is; unknown-age counts suppressed within the region and the rest of the city."""
    groups = {str(n): [n] for n in metrics.get_column("community_area_number").to_list()}
    adjusted = adjusted_by_group(band_deaths, band_population, groups, years=years).select(
        pl.col("group").cast(pl.Int64).alias("community_area_number"), "deaths_unknown_age", *ADJUSTED_COLUMNS
    )
    joined = metrics.join(
        adjusted.with_columns(pl.col("community_area_number").cast(metrics.schema["community_area_number"])),
        on="community_area_number",
        how="left",
        maintain_order="left",
    )
    joined = suppress_unknown_age(joined, threshold=threshold, complementary_by=["in_region"])
    return hide_with_crude(joined, pl.col("deaths_suppressed"))


def unknown_age_note(display: str | None, where: str = "") -> str:
    """The footnote under an age-adjusted rate: how many deaths of unknown age (``where``, e.g.
    " in Austin") it leaves out; ``display`` is the suppressed count ("<10", "12")."""
    if display in (None, "0"):
        return f"No death of unknown age{where} was left out of the age-adjusted rates."
    return (
        f"{display} deaths of unknown age{where} are left out of the age-adjusted rates "
        "(the crude rates count them)."
    )


def unknown_age_total(band_deaths: pl.DataFrame, *, threshold: int, placed_only: bool = True) -> str:
    """Display text of the deaths of unknown age in ``band_deaths`` (those of the community areas,
    or of all Chicago when ``placed_only`` is False), suppressed like any count."""
    rows = band_deaths.filter(pl.col("age_band") == UNKNOWN_AGE)
    if placed_only:
        rows = rows.filter(pl.col("community_area_number").is_not_null())
    return display_count(int(rows.get_column("deaths").sum()), threshold)


def with_group_adjusted(
    frame: pl.DataFrame,
    band_deaths: pl.DataFrame,
    band_population: pl.DataFrame,
    groups: Mapping[str, Iterable[int] | None],
    *,
    years: float | pl.DataFrame,
    threshold: int,
    key: str = "group",
    by: Sequence[str] = (),
    split: Mapping[str, str] | None = None,
) -> pl.DataFrame:
    """``frame`` (one row per ``by`` and ``key`` value, with its crude ``rate``) with the
    age-adjusted rate of each group beside it: the unknown-age count suppressed as a count, and
    both hidden wherever the crude rate is (null). Arguments as :func:`adjusted_by_group`.

    A ``frame`` row with no group (the deaths not placed in an area: no population) gets none.
    The city's (a group mapped to ``None``) unknown-age count is withheld by the city total's rule
    (:func:`~pipelines.defs.epidemiology.city_total.withhold_city_unknown_age`, from the
    configured region's split in ``band_deaths.in_region``); ``split`` (group -> ``city_total``
    role, ``SELECTION`` or ``REST``) names the groups that split the city on this page with the
    deaths not placed, so that one more of them is hidden when exactly one is
    (:func:`~pipelines.defs.epidemiology.city_total.hide_split_complement`)."""
    by = list(by)
    adjusted = adjusted_by_group(band_deaths, band_population, groups, years=years, by=by).select(
        *by, pl.col("group").alias(key), "deaths_unknown_age", *ADJUSTED_COLUMNS
    )
    joined = frame.join(
        adjusted.with_columns(pl.col(c).cast(frame.schema[c]) for c in by),
        on=[*by, key],
        how="left",
        maintain_order="left",
    )
    joined = suppress_unknown_age(joined, threshold=threshold)
    no_rate = pl.col("rate").is_null()
    joined = hide_with_crude(joined, no_rate).with_columns(
        (pl.col("deaths_unknown_age_suppressed") | no_rate).alias("deaths_unknown_age_suppressed")
    )
    cities = [label for label, areas in groups.items() if areas is None]
    if cities:
        joined = _protect_city_unknown_age(
            joined, band_deaths, cities, key=key, by=by, threshold=threshold, split=split or {}
        )
    return joined.drop("deaths_unknown_age_suppressed")


def _protect_city_unknown_age(
    joined: pl.DataFrame,
    band_deaths: pl.DataFrame,
    cities: Sequence[str],
    *,
    key: str,
    by: list[str],
    threshold: int,
    split: Mapping[str, str],
) -> pl.DataFrame:
    """The city total's rule on the unknown-age counts (see :func:`with_group_adjusted`)."""
    area = pl.col("community_area_number")
    unknown = pl.col("age_band") == UNKNOWN_AGE
    deaths = pl.col("deaths").cast(pl.Int64)
    aggregations = [
        deaths.filter(unknown & area.is_not_null() & pl.col("in_region")).sum().alias("__region"),
        deaths.filter(unknown & area.is_not_null() & ~pl.col("in_region")).sum().alias("__rest"),
        deaths.filter(unknown & area.is_null()).sum().alias("__not_placed"),
    ]
    raw = band_deaths.select("age_band", "deaths", "community_area_number", "in_region", *by)
    parts = raw.group_by(by).agg(aggregations) if by else raw.select(aggregations)
    if by:
        parts = parts.with_columns(pl.col(c).cast(joined.schema[c]) for c in by)
        work = joined.join(parts, on=by, how="left", maintain_order="left")
    else:
        work = joined.join(parts, how="cross")
    work = work.with_columns(pl.col(c).fill_null(0) for c in ("__region", "__rest", "__not_placed"))
    is_city = pl.col(key).is_in(list(cities))
    work = ct.withhold_city_unknown_age(
        work, city=is_city, region=pl.col("__region"), rest=pl.col("__rest"),
        not_placed=pl.col("__not_placed"), threshold=threshold,
    )  # fmt: skip
    if split:
        work = _hide_unknown_age_complement(work, key=key, by=by, is_city=is_city, split=split, threshold=threshold)
    return work.drop("__region", "__rest", "__not_placed")


def _hide_unknown_age_complement(
    work: pl.DataFrame, *, key: str, by: list[str], is_city: pl.Expr, split: Mapping[str, str], threshold: int
) -> pl.DataFrame:
    """This page's split of the city (``split`` groups and the deaths not placed, whose unknown-age
    count is never shown: hidden when small) with the city's count shown and exactly one part
    hidden: one more part hidden, else the city's count withheld."""
    count = "deaths_unknown_age"
    row = "__row"
    work = work.with_columns(pl.int_range(pl.len()).alias(row))
    city_shown = work.filter(is_city).select(*by, (~pl.col(f"{count}_suppressed")).alias("__city_shown"))
    if city_shown.height == 0:
        return work.drop(row)
    members = pl.col(key).replace_strict(dict(split), default=None, return_dtype=pl.String)
    placed = work.filter(members.is_not_null()).select(
        row, *by, members.alias("part"), count, f"{count}_suppressed", f"{count}_display"
    )
    unplaced = (
        work.filter(is_city)
        .select(
            pl.lit(None, dtype=pl.Int64).alias(row),
            *by,
            pl.lit(ct.NOT_PLACED).alias("part"),
            pl.col("__not_placed").cast(placed.schema[count]).alias(count),
            pl.col("__not_placed").is_between(1, threshold - 1).alias(f"{count}_suppressed"),
            pl.lit(None, dtype=pl.String).alias(f"{count}_display"),
        )
    )
    parts = pl.concat([placed, unplaced], how="vertical_relaxed")
    parts = parts.join(city_shown, on=by, how="left") if by else parts.join(city_shown, how="cross")
    out = ct.hide_split_complement(
        parts, by=by, city_shown=pl.col("__city_shown"), count_col=count, rate_cols=()
    ).filter(pl.col(row).is_not_null())
    updated = out.select(row, count, f"{count}_suppressed", f"{count}_display")
    work = work.update(updated, on=row, include_nulls=True)
    fallback = out.filter(pl.col("city_withheld") & pl.col("__city_shown")).select(*by).unique()
    if fallback.height:
        flagged = fallback.with_columns(pl.lit(True).alias("__fallback"))
        work = work.join(flagged, on=by, how="left") if by else work.join(flagged, how="cross")
        work = ct.withhold(work, is_city & pl.col("__fallback").fill_null(False), count_col=count, rate_cols=())
        work = work.drop("__fallback")
    return work.drop(row)

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
from dashboards.components.selection import hidden_areas
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
    """The Map's per-area metrics (``period_metrics.area_period_metrics`` output) with the age-adjusted rate
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
    The city's (a group mapped to ``None``) unknown-age count follows the city total's rule
    (:mod:`pipelines.defs.epidemiology.city_total`) on the unknown-age counts of the configured
    region (``band_deaths.in_region``), the rest of Chicago and the deaths not placed in an area,
    with the per-area unknown-age counts the Map publishes for the same period. ``split`` (group
    -> ``city_total`` role, ``SELECTION`` or ``REST``) names the groups this page shows beside
    the city: their unknown-age counts are hidden as "*" where, with those figures, one would give
    a hidden count back (:func:`~pipelines.defs.epidemiology.city_total.protect_split`). The rule
    reads each period's length in months from ``years`` (months of data = ``years`` × 12)."""
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
            joined, band_deaths, groups, key=key, by=by, months=_months_by_period(years, by), threshold=threshold,
            split=split or {},
        )  # fmt: skip
    return joined.drop("deaths_unknown_age_suppressed")


def _months_by_period(years: float | pl.DataFrame, by: Sequence[str]) -> int | dict[tuple, int]:
    """Each period's length in months (``years`` as :func:`adjusted_by_group` takes it): one
    number, or per tuple of ``by`` values."""
    if not isinstance(years, pl.DataFrame):
        return round(float(years) * 12)
    return {tuple(row[:-1]): round(row[-1] * 12) for row in years.select(*by, "years").iter_rows()}


def _split_of_period(
    rows: pl.DataFrame,
    shown: Mapping[str, bool],
    *,
    selection: Iterable[int] | None,
    show_rest: bool,
    months: int,
    threshold: int,
) -> ct.SplitDecision:
    """:func:`~pipelines.defs.epidemiology.city_total.protect_split` on the unknown-age counts of one
    period's ``rows`` (``band_deaths`` rows). ``shown``: whether each of this page's parts
    (``SELECTION``, ``REST``, the city) has its crude count shown; a hidden crude count hides its
    unknown-age count, as do the city table's parts the crude rule hides."""
    area = pl.col("community_area_number")
    unknown = pl.col("age_band") == UNKNOWN_AGE
    placed = rows.filter(area.is_not_null())
    per_area = placed.group_by("community_area_number", "in_region").agg(
        pl.col("deaths").sum().cast(pl.Int64).alias("crude"),
        pl.col("deaths").filter(unknown).sum().cast(pl.Int64).alias("unknown"),
    )
    region = frozenset(per_area.filter(pl.col("in_region")).get_column("community_area_number").to_list())
    crude = dict(zip(per_area.get_column("community_area_number"), per_area.get_column("crude"), strict=True))
    unknowns = dict(zip(per_area.get_column("community_area_number"), per_area.get_column("unknown"), strict=True))
    groups = {a: a in region for a in crude}
    crude_hidden = hidden_areas(crude, groups, threshold)
    unplaced = rows.filter(area.is_null())
    crude_rule = ct.protect_split(
        crude, crude_hidden, region=region, not_placed=int(unplaced.get_column("deaths").sum()), months=months,
        threshold=threshold,
    )  # fmt: skip
    region_crude = sum(v for a, v in crude.items() if a in region)
    rest_crude = sum(v for a, v in crude.items() if a not in region)
    hidden_totals = {name for name, is_shown in shown.items() if not is_shown}
    if 1 <= region_crude < threshold:
        hidden_totals.add(ct.REGION_TOTAL)
    if 1 <= rest_crude < threshold or crude_rule.rest_of_city_withheld:
        hidden_totals.add(ct.REST_OF_CITY_TOTAL)
    if crude_rule.city_withheld:
        hidden_totals.add(ct.CITY_TOTAL)
    return ct.protect_split(
        unknowns,
        hidden_areas(unknowns, groups, threshold) | crude_hidden,
        region=region,
        not_placed=int(unplaced.filter(unknown).get_column("deaths").sum()),
        months=months,
        threshold=threshold,
        selection=selection,
        show_rest=show_rest,
        hidden_totals=hidden_totals,
        not_placed_shown=False,
    )


def _protect_city_unknown_age(
    joined: pl.DataFrame,
    band_deaths: pl.DataFrame,
    groups: Mapping[str, Iterable[int] | None],
    *,
    key: str,
    by: list[str],
    months: int | Mapping[tuple, int],
    threshold: int,
    split: Mapping[str, str],
) -> pl.DataFrame:
    """The city total's rule, and this page's split, on the unknown-age counts (see
    :func:`with_group_adjusted`), one period (``by`` values) at a time."""
    cities = [label for label, areas in groups.items() if areas is None]
    label_of = {part: label for label, part in split.items()}
    selection = groups.get(label_of[ct.SELECTION]) if ct.SELECTION in label_of else None
    hide: list[tuple[tuple, str]] = []
    periods = joined.select(by).unique().iter_rows() if by else [()]
    for period in periods:
        here = pl.all_horizontal(pl.col(c) == v for c, v in zip(by, period, strict=True)) if by else pl.lit(True)
        rows = joined.filter(here)
        has_rate = dict(zip(rows.get_column(key), rows.get_column("rate").is_not_null(), strict=True))
        shown = {part: has_rate.get(label, False) for part, label in label_of.items()}
        shown[ct.CITY_TOTAL] = all(has_rate.get(c, False) for c in cities)
        period_rows = band_deaths.filter(
            pl.all_horizontal(pl.col(c).cast(joined.schema[c]) == v for c, v in zip(by, period, strict=True))
            if by
            else pl.lit(True)
        )
        length = months if isinstance(months, int) else months[tuple(period)]
        decision = _split_of_period(
            period_rows, shown, selection=selection, show_rest=ct.REST in label_of, months=length, threshold=threshold
        )
        labels = [label_of[part] for part in decision.hide if part in label_of]
        labels += cities if decision.city_withheld else []
        hide += [(tuple(period), label) for label in labels]
    if not hide:
        return joined
    marks = pl.DataFrame(
        [(*period, label, True) for period, label in hide],
        schema={**{c: joined.schema[c] for c in by}, key: joined.schema[key], "__hide": pl.Boolean},
        orient="row",
    )
    work = joined.join(marks, on=[*by, key], how="left", maintain_order="left")
    return ct.withhold(work, pl.col("__hide"), count_col="deaths_unknown_age", rate_cols=()).drop("__hide")

"""The Trends page's selection, filters and suppression of hidden areas: who is in the
selection, which periods would give a hidden area back, and how hidden counts are withheld.

Definitions used throughout:

* **Selection** — the Chicago community areas of the shared area filter, or the configured region's
  community areas when none is chosen. Suburbs named in ``ODW_REGION_MUNICIPALITIES`` are not part
  of the selection here: the population reference covers Chicago only, and "rest of Chicago" is
  the comparison.
* **Rest of Chicago** — every other Chicago community area; **Chicago** — every death that occurred
  in Chicago: the 77 areas and the deaths that could not be placed in one, shown as their own row,
  "Not placed in an area" (:mod:`pipelines.defs.epidemiology.city_total`). The rows read are the
  monthly mart's Chicago rows (``place = 'Chicago'``); a null ``community_area_number`` is a Chicago
  death not placed in an area, in neither the selection nor the rest of Chicago.
* **Rate** — deaths per 100,000 residents per year (2020 census population; a period shorter
  than a year is annualised), with the exact Poisson (Garwood) 95 % interval, from
  :func:`pipelines.defs.epidemiology.rates.with_rates` (the crude rate); the age-adjusted rate
  beside it comes from :mod:`dashboards.components.adjusted_rates`. The population by age is in
  the standard's eight bands only, and none is available by sex or race/ethnicity, so breakdowns
  by those are counts and shares only.
* **Suppression** — :func:`pipelines.defs.epidemiology.suppression.suppress`: counts of 1 to
  ``threshold - 1`` show as ``"<10"``; complementary cells as ``"*"`` wherever a shown total would
  let a single hidden count be worked out by subtraction (see each function for its totals).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

import polars as pl

from dashboards.components.filters import ALL, DEMOGRAPHICS, Filters
from dashboards.components.selection import WITHHELD, hidden_areas, selection_total
from pipelines.defs.epidemiology import city_total as ct
from pipelines.defs.epidemiology.suppression import suppress


REST_LABEL = "Rest of Chicago"
CITY_LABEL = "Chicago"
NOT_PLACED_LABEL = ct.NOT_PLACED_LABEL


@dataclass(frozen=True)
class Selection:
    """The community areas compared with the rest of Chicago, their label and population."""

    label: str
    areas: tuple[int, ...]
    population: int
    city_population: int
    #: Set only for a user-chosen set of areas: the region's and the city's area numbers, so that
    #: totals over the choice can be checked against the per-area figures the Map publishes.
    region_areas: frozenset[int] | None = None
    city_areas: frozenset[int] | None = None
    #: The configured region's population, set with ``region_areas``.
    region_population: int | None = None
    #: Whether the Chicago deaths not placed in an area belong to the selection (all of Chicago).
    not_placed: bool = False
    #: The configured region's areas when the selection is neither the region nor a chosen set
    #: (all of Chicago): the city total's rule reads the region's parts.
    config_region: frozenset[int] | None = None

    @property
    def rest_population(self) -> int:
        return self.city_population - self.population

    @property
    def is_region(self) -> bool:
        """Whether the selection is the configured region (no areas chosen)."""
        return self.region_areas is None


def make_selection(filters: Filters, areas: pl.DataFrame, label: str) -> Selection:
    """The selection for ``filters``: the chosen areas, or the region's areas when none is chosen.

    ``areas`` is ``marts.community_areas`` (``community_area_number``, ``in_region``,
    ``population_2020``); ``label`` the words shown for it (region name or area names).
    """
    chosen = (
        areas.filter(pl.col("community_area_number").is_in(list(filters.areas)))
        if filters.areas
        else areas.filter(pl.col("in_region"))
    )
    custom = bool(filters.areas)
    return Selection(
        label=label,
        areas=tuple(sorted(chosen.get_column("community_area_number").to_list())),
        population=int(chosen.get_column("population_2020").sum()),
        city_population=int(areas.get_column("population_2020").sum()),
        region_areas=frozenset(areas.filter(pl.col("in_region")).get_column("community_area_number").to_list())
        if custom
        else None,
        city_areas=frozenset(areas.get_column("community_area_number").to_list()) if custom else None,
        region_population=int(areas.filter(pl.col("in_region")).get_column("population_2020").sum())
        if custom
        else None,
    )


def region_selection(areas: pl.DataFrame, label: str) -> Selection:
    """The configured region as the selection (no areas chosen), e.g. for the Map's totals."""
    return make_selection(Filters(start=date.min, end=date.min), areas, label)


def _area_counts_by_period(rows: pl.DataFrame, period_col: str) -> dict[object, tuple[dict[int, int], int]]:
    """Per ``period_col`` value: deaths per community area and deaths not placed in an area."""
    per_area = rows.group_by(period_col, "community_area_number").agg(pl.col("deaths").sum())
    out: dict[object, tuple[dict[int, int], int]] = {}
    for period, area, deaths in per_area.iter_rows():
        counts, not_placed = out.setdefault(period, ({}, 0))
        if area is None:
            out[period] = (counts, not_placed + int(deaths))
        else:
            counts[int(area)] = counts.get(int(area), 0) + int(deaths)
    return out


def region_of(selection: Selection) -> frozenset[int]:
    """The configured region's areas (the selection's own when it is the region)."""
    if selection.region_areas is not None:
        return selection.region_areas
    return selection.config_region if selection.config_region is not None else frozenset(selection.areas)


def _gives_an_area_back(
    counts: Mapping[int, int], hidden: frozenset[int], selection: Selection, threshold: int
) -> bool:
    """Whether the chosen areas' total or the rest's gives a hidden area back
    (:func:`dashboards.components.selection.selection_total`)."""
    assert selection.region_areas is not None and selection.city_areas is not None
    city, region = selection.city_areas, selection.region_areas
    chosen = set(selection.areas)
    full = {a: counts.get(a, 0) for a in city}
    own = selection_total(full, chosen, threshold, hidden=hidden, wholes=(region, city))
    rest = selection_total(full, city - chosen, threshold, hidden=hidden, wholes=(city,))
    return WITHHELD in (own.display, rest.display)


def revealing_periods(rows: pl.DataFrame, selection: Selection, *, period_col: str, threshold: int) -> set:
    """Periods in which the totals of a user-chosen selection (and of the rest of Chicago) must be
    withheld because, with the per-area counts the Map publishes for the same months, they would
    give a hidden area's count back (:func:`dashboards.components.selection.selection_total`).

    ``rows`` carry ``period_col``, ``community_area_number`` and ``deaths``. The selection and the
    rest are withheld together: Chicago's total is shown, so one would give the other away. Empty
    for the configured region, which the Map's own complementary suppression already protects.
    """
    if selection.region_areas is None or selection.city_areas is None:
        return set()
    groups = {a: a in selection.region_areas for a in selection.city_areas}
    withheld = set()
    for period, (counts, _) in _area_counts_by_period(rows, period_col).items():
        full = {a: counts.get(a, 0) for a in selection.city_areas}
        if _gives_an_area_back(full, hidden_areas(full, groups, threshold), selection, threshold):
            withheld.add(period)
    return withheld


def _hidden_areas_by_period(
    rows: pl.DataFrame, region: frozenset[int], *, period_col: str, threshold: int
) -> dict[object, frozenset[int]]:
    """Per period, the areas the Map hides (:func:`dashboards.components.selection.hidden_areas`,
    all periods in one pass: complementary within the region and the rest of each period, areas in
    number order)."""
    area = pl.col("community_area_number")
    per_area = (
        rows.filter(area.is_not_null())
        .group_by(period_col, "community_area_number")
        .agg(pl.col("deaths").sum().cast(pl.Int64))
        .with_columns(area.is_in(list(region)).alias("__in_region"))
        .sort(period_col, "community_area_number")
    )
    hidden = suppress(per_area, "deaths", threshold=threshold, complementary_by=[period_col, "__in_region"]).filter(
        pl.col("deaths_suppressed")
    )
    out: dict[object, set[int]] = {}
    for period, number in hidden.select(period_col, "community_area_number").iter_rows():
        out.setdefault(period, set()).add(int(number))
    return {period: frozenset(areas) for period, areas in out.items()}


def split_decisions(
    rows: pl.DataFrame,
    selection: Selection,
    *,
    period_col: str,
    months: int | Mapping[object, int],
    threshold: int,
) -> dict[object, ct.SplitDecision]:
    """Per period of ``rows`` (``period_col``, ``community_area_number`` — null for the deaths not
    placed in an area — and ``deaths``): the city total's rule and the parts of this page's split
    (the selection and the rest of Chicago) to hide as "*"
    (:func:`pipelines.defs.epidemiology.city_total.protect_split`), with the per-area suppression
    the Map applies to the same months. ``months``: each period's length in months of data (one
    number for every period, or per ``period_col`` value), which the rule reads. For a chosen set of areas, both parts are hidden in the
    periods where they would give a hidden area back (:func:`revealing_periods`). A period
    without rows has nothing hidden (absent from the result)."""
    region = region_of(selection)
    custom = selection.region_areas is not None and selection.city_areas is not None
    hidden_by_period = _hidden_areas_by_period(rows, region, period_col=period_col, threshold=threshold)
    out = {}
    for period, (counts, not_placed) in _area_counts_by_period(rows, period_col).items():
        full = {a: counts.get(a, 0) for a in (selection.city_areas or ())} | counts
        hidden = hidden_by_period.get(period, frozenset())
        gives_back = custom and _gives_an_area_back(full, hidden, selection, threshold)
        both = frozenset((ct.SELECTION, ct.REST)) if gives_back else frozenset()
        length = months if isinstance(months, int) else months[period]
        decision = ct.protect_split(
            full, hidden, region=region, not_placed=not_placed, months=length, threshold=threshold,
            selection=selection.areas, hidden_totals=both,
        )  # fmt: skip
        out[period] = replace(decision, hide=decision.hide | both)
    return out


def periods_hiding(decisions: Mapping[object, ct.SplitDecision], part: str) -> list:
    """The periods whose decision hides ``part`` (:data:`ct.SELECTION` or :data:`ct.REST`)."""
    return [period for period, decision in decisions.items() if part in decision.hide]


def selection_hidden(
    rows: pl.DataFrame, selection: Selection, *, period_col: str, months: int | Mapping[object, int], threshold: int
) -> set:
    """Periods in which the selection's own total over ``rows`` is hidden, so that its breakdowns
    (which add up to it, or divide by it) are hidden too: where :func:`split_decisions` hides the
    selection (a chosen set of areas), or, for all of Chicago, where the city total's rule
    withholds Chicago."""
    decisions = split_decisions(rows, selection, period_col=period_col, months=months, threshold=threshold)
    if selection.not_placed:
        return {period for period, decision in decisions.items() if decision.city_withheld}
    return set(periods_hiding(decisions, ct.SELECTION))


def hide_rows(frame: pl.DataFrame, hide: pl.Expr, value_cols: Sequence[str]) -> pl.DataFrame:
    """Hide the counts (as "*", or "<10" where already so) and ``value_cols`` of ``hide`` rows."""
    hide = hide.fill_null(False)
    return frame.with_columns(
        pl.when(hide).then(None).otherwise(pl.col("deaths")).alias("deaths"),
        pl.when(hide & ~pl.col("deaths_display").str.starts_with("<"))
        .then(pl.lit("*"))
        .otherwise(pl.col("deaths_display"))
        .alias("deaths_display"),
        (pl.col("deaths_suppressed") | hide).alias("deaths_suppressed"),
        *(pl.when(hide).then(None).otherwise(pl.col(c)).alias(c) for c in value_cols),
    )


def suppress_with_withheld(
    frame: pl.DataFrame, withheld: pl.Expr, *, threshold: int, complementary_by: Sequence[str] | None,
    total_col: str | None = None, rate_cols: Sequence[str] = ("rate",),
) -> pl.DataFrame:
    """:func:`suppress` where ``withheld`` rows are hidden too (shown as "*") and take part in the
    complementary pass like any hidden cell (they enter it as a small count)."""
    work = frame.with_columns(withheld.fill_null(False).alias("__withheld"), pl.col("deaths").alias("__true"))
    work = work.with_columns(
        pl.when(pl.col("__withheld") & (pl.col("deaths") >= threshold)).then(1).otherwise(pl.col("deaths")).alias("deaths")
    )
    out = suppress(
        work, "deaths", threshold=threshold, rate_cols=rate_cols, complementary_by=complementary_by, total_col=total_col
    )
    swapped = pl.col("__withheld") & (pl.col("__true") >= threshold)
    return out.with_columns(
        pl.when(swapped).then(pl.lit("*")).otherwise(pl.col("deaths_display")).alias("deaths_display"),
        pl.when(pl.col("deaths_suppressed")).then(None).otherwise(pl.col("__true")).alias("deaths"),
    ).drop("__withheld", "__true")


def series_expr(selection: Selection) -> pl.Expr:
    """Selection label / "Rest of Chicago" for rows in Chicago; null outside Chicago."""
    area = pl.col("community_area_number")
    return (
        pl.when(area.is_in(list(selection.areas)))
        .then(pl.lit(selection.label))
        .when(area.is_not_null())
        .then(pl.lit(REST_LABEL))
        .otherwise(pl.lit(None, dtype=pl.String))
    )


def filter_rows(
    rows: pl.DataFrame, filters: Filters, *, every_drug: bool = False, skip: Iterable[str] = ()
) -> pl.DataFrame:
    """Rows of the monthly (or weekly) mart matching the drug and demographic filters.

    ``every_drug`` keeps the rows of every drug (for the comparison of drugs); demographic keys in
    ``skip`` are not applied (a breakdown by sex shows every sex). Demographic filters are ignored
    on frames that have no such column (the weekly mart).
    """
    out = rows if every_drug else rows.filter(pl.col("drug") == filters.drug)
    for key, (_param, column, _label) in DEMOGRAPHICS.items():
        value = filters.demographic(key)
        if value != ALL and key not in skip and column in out.columns:
            out = out.filter(pl.col(column) == value)
    return out

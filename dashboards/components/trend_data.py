"""Data shaping for the Trends page: time series, year-over-year, drug, demographic and intent
breakdowns of overdose deaths — every number suppressed before it can be shown.

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

The loaders at the end are cached on :class:`dashboards.components.data.DbVersion`; everything
else is pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

import polars as pl
import streamlit as st

from dashboards.components.data import DbVersion, adjusted_display_columns, next_month, read_frame
from dashboards.components.filters import ALL, DEMOGRAPHICS, Filters
from dashboards.components.selection import WITHHELD, hidden_areas, selection_total
from pipelines.defs.epidemiology import city_total as ct
from pipelines.defs.epidemiology.annual import annual_rates
from pipelines.defs.epidemiology.rates import period_years, with_rates
from pipelines.defs.epidemiology.suppression import suppress

REST_LABEL = "Rest of Chicago"
CITY_LABEL = "Chicago"
NOT_PLACED_LABEL = ct.NOT_PLACED_LABEL

#: Time steps of the over-time chart: key -> label.
TIME_STEPS: dict[str, str] = {"week": "Week", "month": "Month", "quarter": "Quarter", "year": "Year"}

#: Breakdown dimensions: key -> (column of ``marts.overdose_deaths_monthly``, label).
DIMENSIONS: dict[str, tuple[str, str]] = {
    "age_group": ("age_group", "Age group"),
    "sex": ("sex", "Sex"),
    "race_ethnicity": ("race_ethnicity", "Race/ethnicity"),
    "intent": ("intent", "Intent"),
}

#: Fixed display order of categories (others follow alphabetically).
CATEGORY_ORDER: dict[str, tuple[str, ...]] = {
    "age_group": ("0-14", "15-24", "25-34", "35-44", "45-54", "55-64", "65+", "Unknown"),
    "sex": ("Male", "Female", "Unknown"),
    "race_ethnicity": ("NH Black", "Hispanic", "NH White", "NH Asian", "Other/unknown"),
    "intent": ("accident", "suicide", "undetermined"),
}

#: Drugs compared on the Drugs tab by default.
DEFAULT_DRUGS: tuple[str, ...] = ("fentanyl", "heroin", "cocaine", "xylazine", "methamphetamine")


# --------------------------------------------------------------------------------------------
# Selection
# --------------------------------------------------------------------------------------------


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


def _region_of(selection: Selection) -> frozenset[int]:
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
    region = _region_of(selection)
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


def _periods_hiding(decisions: Mapping[object, ct.SplitDecision], part: str) -> list:
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
    return set(_periods_hiding(decisions, ct.SELECTION))


def _hide_rows(frame: pl.DataFrame, hide: pl.Expr, value_cols: Sequence[str]) -> pl.DataFrame:
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


def _suppress_with_withheld(
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


def _series_expr(selection: Selection) -> pl.Expr:
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


# --------------------------------------------------------------------------------------------
# Periods
# --------------------------------------------------------------------------------------------


def _quarter_start(month: date) -> date:
    return date(month.year, 3 * ((month.month - 1) // 3) + 1, 1)


def period_start(month: date, step: str) -> date:
    """The first month of the ``step`` ("month", "quarter", "year") period containing ``month``."""
    if step == "month":
        return month
    if step == "quarter":
        return _quarter_start(month)
    if step == "year":
        return date(month.year, 1, 1)
    raise ValueError(f"unknown time step {step!r}")


def _period_label(start: date, step: str, months_in: int) -> str:
    if step == "month":
        return f"{start:%b %Y}"
    if step == "quarter":
        label = f"{start.year} Q{(start.month - 1) // 3 + 1}"
        return label if months_in == 3 else f"{label} ({months_in} mo)"
    label = str(start.year)
    return label if months_in == 12 else f"{label} ({months_in} mo)"


def month_periods(months: Sequence[date], provisional: Iterable[date], step: str) -> pl.DataFrame:
    """One row per ``step`` period covering ``months`` (the data months of the chosen range).

    Columns: ``period`` (first day), ``label``, ``years`` (months of the period inside the range,
    / 12 — a partial year is annualised over the months it has), ``is_provisional`` (any
    provisional month), ``nest`` (the enclosing period used for complementary suppression: a
    month's quarter, a quarter's year; one group for years).
    """
    flagged = set(provisional)
    rows: dict[date, dict] = {}
    for month in sorted(months):
        start = period_start(month, step)
        row = rows.setdefault(start, {"period": start, "months": 0, "is_provisional": False})
        row["months"] += 1
        row["is_provisional"] |= month in flagged
    nest = {"month": lambda d: _quarter_start(d), "quarter": lambda d: date(d.year, 1, 1)}.get(
        step, lambda d: date(1900, 1, 1)
    )
    return pl.DataFrame(
        [
            {
                "period": r["period"],
                "label": _period_label(r["period"], step, r["months"]),
                "years": r["months"] / 12,
                "is_provisional": r["is_provisional"],
                "nest": nest(r["period"]),
            }
            for r in rows.values()
        ],
        schema={
            "period": pl.Date,
            "label": pl.String,
            "years": pl.Float64,
            "is_provisional": pl.Boolean,
            "nest": pl.Date,
        },
    )


def week_periods(weekly: pl.DataFrame, start: date, end: date, data_months: Sequence[date]) -> pl.DataFrame:
    """ISO weeks (Monday start) beginning inside ``start``..``end`` (months, inclusive).

    ``years`` counts only the days the data covers (the first and last week of the archive are
    partial), so a partial week's rate is not understated. ``nest`` is the week's month, so a
    month with one hidden week gets a second one hidden (monthly totals are published).
    """
    data_from, data_to = min(data_months), next_month(max(data_months))
    stop = min(next_month(end), data_to)
    first = start - timedelta(days=start.weekday())
    if first < start:
        first += timedelta(days=7)
    flags = (
        weekly.group_by("week").agg(pl.col("is_provisional").any())
        if not weekly.is_empty()
        else pl.DataFrame(schema={"week": pl.Date, "is_provisional": pl.Boolean})
    )
    flagged = {row[0] for row in flags.filter(pl.col("is_provisional")).iter_rows()}
    first_provisional = min(flagged) if flagged else None
    rows = []
    week = first
    while week < stop:
        days = (min(week + timedelta(days=7), data_to) - max(week, data_from)).days
        rows.append(
            {
                "period": week,
                "label": f"Week of {week:%d %b %Y}",
                "years": days / 365.25,
                "is_provisional": first_provisional is not None and week >= first_provisional,
                "nest": week.replace(day=1),
            }
        )
        week += timedelta(days=7)
    return pl.DataFrame(
        rows,
        schema={
            "period": pl.Date,
            "label": pl.String,
            "years": pl.Float64,
            "is_provisional": pl.Boolean,
            "nest": pl.Date,
        },
    )


def same_months_last_year(start: date, end: date) -> tuple[date, date]:
    """The same calendar months one year earlier."""
    return start.replace(year=start.year - 1), end.replace(year=end.year - 1)


# --------------------------------------------------------------------------------------------
# Time series: selection vs rest of Chicago
# --------------------------------------------------------------------------------------------


def time_series(
    rows: pl.DataFrame,
    periods: pl.DataFrame,
    selection: Selection,
    *,
    time_col: str,
    step: str,
    within: tuple[date, date],
    threshold: int,
) -> pl.DataFrame:
    """Deaths and annualised rates per period for the selection and the rest of Chicago.

    ``rows`` are already filtered (:func:`filter_rows`); ``time_col`` is ``month`` or ``week``;
    only rows with ``within[0] <= time_col < within[1]`` count (a partial first or last quarter
    or year holds only the chosen months).
    Suppression is complementary within each series and ``nest`` period (see
    :func:`month_periods`), because the coarser periods and the period total are shown too: a
    quarter minus its two visible months must not give the hidden one. A month, quarter or year is
    a period the Map shows with Chicago's total, so a point is hidden ("*") where the city total's
    rule or this split hides its part for that period (:func:`split_decisions`) — for the
    configured region, the rest of Chicago where it protects the not-placed count, which the rule
    does only over 12 months or more of data (a year's point): a shorter period keeps the rest and
    withholds Chicago, which the chart does not draw.

    Columns: period, label, series, is_provisional, population, years, deaths (null when hidden),
    deaths_display, deaths_suppressed, rate, rate_lower, rate_upper, rate_unstable.
    """
    period = pl.col(time_col)
    if step in ("quarter", "year"):
        period = (
            pl.col(time_col).dt.truncate("1q") if step == "quarter" else pl.col(time_col).dt.truncate("1y")
        )
    counts = (
        rows.filter(pl.col(time_col).is_between(within[0], within[1], closed="left"))
        .with_columns(_series_expr(selection).alias("series"), period.alias("period"))
        .filter(pl.col("series").is_not_null())
        .group_by("period", "series")
        .agg(pl.col("deaths").sum().cast(pl.Int64))
    )
    series = pl.DataFrame(
        {
            "series": [selection.label, REST_LABEL],
            "population": [selection.population, selection.rest_population],
        },
        schema={"series": pl.String, "population": pl.Int64},
    )
    frame = (
        periods.join(series, how="cross")
        .join(counts, on=["period", "series"], how="left")
        .with_columns(pl.col("deaths").fill_null(0))
        .sort(pl.col("series") != selection.label, "period")
    )
    frame = with_rates(frame, count_col="deaths", population_col="population", years_col="years")
    # Month-based periods are periods the Map can show per area (with the city's total); weeks
    # are not. Where the city total's rule or this split hides a part, so does its point.
    decisions = (
        split_decisions(
            rows.filter(pl.col(time_col).is_between(within[0], within[1], closed="left")).with_columns(
                period.alias("period")
            ),
            selection,
            period_col="period",
            months={period: round(years * 12) for period, years in periods.select("period", "years").iter_rows()},
            threshold=threshold,
        )
        if step != "week"
        else {}
    )
    hidden = (pl.col("series") == selection.label) & pl.col("period").is_in(_periods_hiding(decisions, ct.SELECTION))
    hidden |= (pl.col("series") == REST_LABEL) & pl.col("period").is_in(_periods_hiding(decisions, ct.REST))
    frame = _suppress_with_withheld(
        frame,
        hidden,
        threshold=threshold,
        complementary_by=["series", "nest"],
    )
    return frame.select(
        "period",
        "label",
        "series",
        "is_provisional",
        "population",
        "years",
        "deaths",
        "deaths_display",
        "deaths_suppressed",
        "rate",
        "rate_lower",
        "rate_upper",
        "rate_unstable",
    )


def series_display(series: pl.DataFrame, *, with_rates: bool) -> pl.DataFrame:
    """The rows of a time-series chart as shown and downloaded: display counts, rounded rates.

    ``with_rates`` False drops the rate columns (a demographic filter has no denominator).
    """
    columns = [
        pl.col("period").dt.strftime("%Y-%m-%d").alias("period_start"),
        pl.col("label").alias("period"),
        "series",
        pl.col("deaths_display").alias("deaths"),
    ]
    if with_rates:
        columns += [
            pl.col("rate").round(1).alias("rate_per_100k_per_year"),
            pl.col("rate_lower").round(1).alias("rate_95ci_lower"),
            pl.col("rate_upper").round(1).alias("rate_95ci_upper"),
        ]
    columns.append(pl.col("is_provisional").alias("provisional"))
    return series.select(columns)


def hidden_points(display: pl.DataFrame, threshold: int) -> list[str]:
    """``"<series> <period>"`` for every point not plotted because its count is hidden."""
    marks = [f"<{threshold}", "*"]
    hidden = display.filter(pl.col("deaths").is_in(marks))
    return [f"{row['series']} {row['period']}" for row in hidden.iter_rows(named=True)]


# --------------------------------------------------------------------------------------------
# Period totals and the same months a year earlier
# --------------------------------------------------------------------------------------------


def period_totals(
    rows: pl.DataFrame, selection: Selection, start: date, end: date, *, threshold: int
) -> pl.DataFrame:
    """Deaths and annualised rate over ``start``..``end`` for the selection, the rest of Chicago,
    the Chicago deaths not placed in an area (deaths only: no population) and Chicago.

    The three parts add up to Chicago, which is shown too. Chicago's total follows the city total's
    rule (:mod:`pipelines.defs.epidemiology.city_total`, the same on every page), and the parts
    are hidden as "*" where the rule or this split needs it (:func:`split_decisions`): for the
    configured region, the rest of Chicago where it protects the not-placed count (a period of 12
    months or more; a shorter one withholds Chicago instead); for a chosen set of areas,
    whichever part would otherwise let a hidden count be worked out. ``start``..``end`` are months
    of data: their number is the period's length for the rule.
    Columns: group, population, deaths, deaths_display, deaths_suppressed, rate, rate_lower,
    rate_upper, rate_unstable.
    """
    years = period_years(start, next_month(end))
    in_period = rows.filter(pl.col("month").is_between(start, end))
    area = pl.col("community_area_number")
    chosen = list(selection.areas)
    deaths = pl.col("deaths").cast(pl.Int64)
    row = in_period.select(
        deaths.filter(area.is_in(chosen)).sum().alias("selection"),
        deaths.filter(area.is_not_null() & ~area.is_in(chosen)).sum().alias("rest"),
        deaths.filter(area.is_null()).sum().alias("not_placed"),
    ).row(0, named=True)
    parts = pl.DataFrame(
        {
            "group": [selection.label, REST_LABEL, NOT_PLACED_LABEL],
            "part": [ct.SELECTION, ct.REST, ct.NOT_PLACED],
            "population": [selection.population, selection.rest_population, None],
            "deaths": [row["selection"], row["rest"], row["not_placed"]],
        },
        schema={"group": pl.String, "part": pl.String, "population": pl.Int64, "deaths": pl.Int64},
    ).with_columns(pl.lit(years).alias("years"))
    parts = with_rates(parts, count_col="deaths", population_col="population", years_col="years")
    city = with_rates(
        pl.DataFrame(
            {
                "group": [CITY_LABEL],
                "population": [selection.city_population],
                "deaths": [int(parts.get_column("deaths").sum())],
                "years": [years],
            },
            schema={"group": pl.String, "population": pl.Int64, "deaths": pl.Int64, "years": pl.Float64},
        ),
        count_col="deaths",
        population_col="population",
        years_col="years",
    )
    decision = split_decisions(
        in_period.with_columns(pl.lit(0).alias("whole")), selection, period_col="whole",
        months=ct.period_months(start, end), threshold=threshold,
    ).get(0, ct.SplitDecision(False, False, frozenset()))  # fmt: skip
    shown = _suppress_with_withheld(
        parts, pl.col("part").is_in(list(decision.hide)), threshold=threshold, complementary_by=None
    )
    city = suppress(city, "deaths", threshold=threshold, rate_cols=("rate",))
    city = ct.withhold(city, pl.lit(decision.city_withheld))
    columns = [
        "group",
        "population",
        "deaths",
        "deaths_display",
        "deaths_suppressed",
        "rate",
        "rate_lower",
        "rate_upper",
        "rate_unstable",
    ]
    return pl.concat([shown.select(columns), city.select(columns)], how="vertical_relaxed")


def compare_periods(current: pl.DataFrame, previous: pl.DataFrame) -> pl.DataFrame:
    """This period against the same months a year earlier, per group (:func:`period_totals` rows).

    ``deaths_change_pct`` and ``rate_change_pct`` are null when either count is hidden (a change
    from a hidden count would reveal it) or the earlier count is zero.
    """
    before = previous.select(
        "group",
        pl.col("deaths").alias("deaths_before"),
        pl.col("deaths_display").alias("deaths_before_display"),
        pl.col("rate").alias("rate_before"),
        pl.col("rate_lower").alias("rate_before_lower"),
        pl.col("rate_upper").alias("rate_before_upper"),
    )
    joined = current.join(before, on="group", how="left", maintain_order="left")
    change = pl.when(pl.col("deaths_before") > 0).then(
        (pl.col("deaths") / pl.col("deaths_before") - 1) * 100
    )
    rate_change = pl.when(pl.col("rate_before") > 0).then((pl.col("rate") / pl.col("rate_before") - 1) * 100)
    return joined.with_columns(
        change.round(1).alias("deaths_change_pct"), rate_change.round(1).alias("rate_change_pct")
    )


def comparison_display(compared: pl.DataFrame, *, with_rates: bool) -> pl.DataFrame:
    """The period-comparison table as shown and downloaded."""
    columns = [
        pl.col("group").alias("area"),
        pl.col("deaths_display").alias("deaths"),
        pl.col("deaths_before_display").alias("deaths_year_earlier"),
        pl.col("deaths_change_pct").alias("deaths_change_pct"),
    ]
    if with_rates:
        columns += [
            pl.col("rate").round(1).alias("rate_per_100k_per_year"),
            pl.col("rate_lower").round(1).alias("rate_95ci_lower"),
            pl.col("rate_upper").round(1).alias("rate_95ci_upper"),
            pl.col("rate_before").round(1).alias("rate_year_earlier"),
            pl.col("rate_change_pct").alias("rate_change_pct"),
        ]
    return compared.select(columns)


# --------------------------------------------------------------------------------------------
# Annual rates (year over year)
# --------------------------------------------------------------------------------------------


def annual_counts(
    rows: pl.DataFrame, selection: Selection, data_months: Sequence[date]
) -> pl.DataFrame:
    """Counts per calendar year for the selection, the rest, the deaths not placed in an area and
    Chicago, shaped like ``sql/marts/overdose_counts_annual.sql`` for
    :func:`pipelines.defs.epidemiology.annual.annual_rates`: region, not-placed and city rows, and
    a row per community area with deaths (``in_region`` of the configured region, no population),
    which the city total's rule reads."""
    months_covered = months_by_year(data_months)
    years = pl.DataFrame(
        {"year": list(months_covered), "months_covered": list(months_covered.values())},
        schema={"year": pl.Int64, "months_covered": pl.Int64},
    )
    geography = (
        pl.when(pl.col("community_area_number").is_null())
        .then(pl.lit(NOT_PLACED_LABEL))
        .otherwise(_series_expr(selection))
    )
    counts = (
        rows.with_columns(geography.alias("geography"), pl.col("month").dt.year().cast(pl.Int64).alias("year"))
        .group_by("year", "geography")
        .agg(pl.col("deaths").sum().cast(pl.Int64))
    )
    geographies = pl.DataFrame(
        {
            "geography": [selection.label, REST_LABEL, NOT_PLACED_LABEL],
            "geography_type": ["region", "region", ct.NOT_PLACED_TYPE],
            "in_region": [True, False, None],
            "population": [selection.population, selection.rest_population, None],
        },
        schema={"geography": pl.String, "geography_type": pl.String, "in_region": pl.Boolean, "population": pl.Int64},
    )
    parts = (
        years.join(geographies, how="cross")
        .join(counts, on=["year", "geography"], how="left")
        .with_columns(pl.col("deaths").fill_null(0))
    )
    city = parts.group_by("year", "months_covered").agg(
        pl.lit(CITY_LABEL).alias("geography"),
        pl.lit(None, dtype=pl.Boolean).alias("in_region"),
        pl.lit(selection.city_population, dtype=pl.Int64).alias("population"),
        pl.col("deaths").sum(),
        pl.lit("city").alias("geography_type"),
    )
    region = list(_region_of(selection))
    area_rows = (
        rows.filter(pl.col("community_area_number").is_not_null())
        .group_by(pl.col("month").dt.year().cast(pl.Int64).alias("year"), "community_area_number")
        .agg(pl.col("deaths").sum().cast(pl.Int64))
        .join(years, on="year", how="inner")
        .select(
            "year",
            "months_covered",
            pl.lit("community_area").alias("geography_type"),
            pl.format("Area {}", pl.col("community_area_number")).alias("geography"),
            pl.col("community_area_number").is_in(region).alias("in_region"),
            pl.lit(None, dtype=pl.Int64).alias("population"),
            "deaths",
            pl.col("community_area_number").cast(pl.Int32),
        )
    )
    columns = ["year", "months_covered", "geography_type", "geography", "in_region", "population", "deaths"]
    totals = pl.concat([parts.select(columns), city.select(columns)], how="vertical_relaxed").with_columns(
        pl.lit(None, dtype=pl.Int32).alias("community_area_number")
    )
    return pl.concat([totals, area_rows], how="vertical_relaxed").sort("year", "geography")


def _region_selection(selection: Selection) -> Selection:
    """The configured region as a selection, for a chosen set of areas' city total."""
    assert selection.region_areas is not None and selection.region_population is not None
    return Selection(
        label="__region",
        areas=tuple(sorted(selection.region_areas)),
        population=selection.region_population,
        city_population=selection.city_population,
    )


def annual_series(
    rows: pl.DataFrame,
    selection: Selection,
    data_months: Sequence[date],
    provisional: Sequence[date],
    *,
    threshold: int,
) -> pl.DataFrame:
    """Annual deaths, rates (CI), change on the previous year for the selection, the rest, the
    deaths not placed in an area and Chicago, computed exactly as the pipeline computes
    ``marts.overdose_rates_annual``.

    For a chosen set of areas, Chicago's row is the one the pipeline would publish (its rule looks
    at the configured region's parts), and the selection and the rest are hidden in the years
    where :func:`split_decisions` says so (they would give a hidden area, or the not-placed count,
    back). Community-area rows, which the rule reads, are not returned."""
    counts = annual_counts(rows, selection, data_months)
    first_provisional = min(provisional) if provisional else next_month(max(data_months))
    not_area = pl.col("geography_type") != "community_area"
    if selection.is_region:
        return annual_rates(counts, threshold=threshold, provisional_from=first_provisional).filter(not_area)
    city = annual_rates(
        annual_counts(rows, _region_selection(selection), data_months),
        threshold=threshold,
        provisional_from=first_provisional,
    ).filter(pl.col("geography_type") == "city")
    # The chosen split is not the region's: no area rows, so the rule hides nothing in it here.
    annual = annual_rates(
        counts.filter(not_area & (pl.col("geography_type") != "city")),
        threshold=threshold,
        provisional_from=first_provisional,
    )
    decisions = split_decisions(
        rows.with_columns(pl.col("month").dt.year().cast(pl.Int64).alias("year")),
        selection,
        period_col="year",
        months=months_by_year(data_months),
        threshold=threshold,
    )
    hide = (pl.col("geography") == selection.label) & pl.col("year").is_in(_periods_hiding(decisions, ct.SELECTION))
    hide |= (pl.col("geography") == REST_LABEL) & pl.col("year").is_in(_periods_hiding(decisions, ct.REST))
    annual = _hide_rows(annual, hide, ("rate", "rate_lower", "rate_upper"))
    withheld_years = [year for year, decision in decisions.items() if decision.city_withheld]
    city = ct.withhold(city, pl.col("year").is_in(withheld_years))
    annual = pl.concat([annual, city], how="diagonal_relaxed")
    # A change from or to a hidden year would give its rate back.
    hidden = pl.col("deaths_suppressed")
    hidden_before = hidden.shift(1).over("geography", order_by="year").fill_null(False)
    return annual.with_columns(
        pl.when(hidden | hidden_before).then(None).otherwise(pl.col(c)).alias(c)
        for c in ("rate_change_pct", "rate_previous_year")
    ).sort("year", "geography_type", "geography")


def annual_display(annual: pl.DataFrame, order: Sequence[str], *, with_rates: bool) -> pl.DataFrame:
    """The annual table as shown and downloaded (one row per year and geography); with rates, the
    age-adjusted ones too when ``annual`` carries them."""
    columns = [
        pl.col("year"),
        pl.col("geography").alias("series"),
        pl.col("months_covered"),
        pl.col("deaths_display").alias("deaths"),
    ]
    if with_rates:
        columns += [
            pl.col("rate").round(1).alias("rate_per_100k_per_year"),
            pl.col("rate_lower").round(1).alias("rate_95ci_lower"),
            pl.col("rate_upper").round(1).alias("rate_95ci_upper"),
            pl.col("rate_change_pct").alias("rate_change_pct"),
            # No rate (hidden, or no population: the deaths not placed in an area), no flag.
            pl.when(pl.col("rate").is_null())
            .then(None)
            .otherwise(pl.col("rate_unstable"))
            .alias("rate_unstable_under_20_deaths"),
            *adjusted_display_columns(annual),
        ]
    columns.append(pl.col("is_provisional").alias("provisional"))
    rank = {name: i for i, name in enumerate(order)}
    return (
        annual.filter(pl.col("geography").is_in(list(order)))
        .with_columns(pl.col("geography").replace_strict(rank, default=len(rank)).alias("__order"))
        .sort("year", "__order")
        .select(columns)
    )


# --------------------------------------------------------------------------------------------
# Breakdowns: drugs, age, sex, race/ethnicity, intent
# --------------------------------------------------------------------------------------------


def order_categories(values: Iterable[str], dimension: str) -> list[str]:
    """Categories in their natural order (age bands ascending, unknowns last)."""
    known = CATEGORY_ORDER.get(dimension, ())
    present = set(values)
    return [v for v in known if v in present] + sorted(present - set(known))


def suppress_two_way(
    frame: pl.DataFrame, *, row_key: str, col_key: str, threshold: int, max_passes: int = 6
) -> pl.DataFrame:
    """Suppress a row × column table of ``deaths`` whose row and column totals are both shown.

    Alternates :func:`suppress` passes along each margin until no new cell is hidden: a cell
    already hidden enters the next pass as a small count, so the helper treats it as hidden
    and adds a complement wherever a margin would otherwise have exactly one hidden cell.
    Adds ``deaths_display`` ("<10" primary, "*" complementary) and ``deaths_suppressed``;
    ``deaths`` is nulled where hidden.
    """
    original = pl.col("deaths")
    primary = original.is_between(1, threshold - 1)
    hidden = frame.select(primary.alias("h")).get_column("h")
    for i in range(max_passes):
        key = row_key if i % 2 == 0 else col_key
        work = frame.with_columns(pl.when(pl.lit(hidden)).then(1).otherwise(original).alias("deaths"))
        passed = suppress(work, "deaths", threshold=threshold, complementary_by=[key])
        new_hidden = passed.get_column("deaths_suppressed")
        if i > 0 and (new_hidden == hidden).all():
            break
        hidden = new_hidden
    return frame.with_columns(
        pl.when(pl.lit(hidden)).then(None).otherwise(original).alias("deaths"),
        pl.lit(hidden).alias("deaths_suppressed"),
        pl.when(primary)
        .then(pl.lit(f"<{threshold}"))
        .when(pl.lit(hidden))
        .then(pl.lit("*"))
        .otherwise(original.cast(pl.Int64).map_elements(lambda v: f"{v:,}", return_dtype=pl.String))
        .alias("deaths_display"),
    )


def _selection_rows(rows: pl.DataFrame, selection: Selection) -> pl.DataFrame:
    area = pl.col("community_area_number")
    if selection.not_placed:
        return rows.filter(area.is_in(list(selection.areas)) | area.is_null())
    return rows.filter(area.is_in(list(selection.areas)))


def breakdown_period(
    rows: pl.DataFrame,
    selection: Selection,
    dimension: str,
    start: date,
    end: date,
    *,
    threshold: int,
) -> pl.DataFrame:
    """Deaths in the selection over ``start``..``end`` by ``dimension`` (age, sex, race, intent).

    The categories add up to the period total (shown as a KPI), so they form one complementary
    group with it. ``share`` = deaths / total, hidden with the count. Columns: category, deaths,
    deaths_display, deaths_suppressed, share, total.
    """
    column = DIMENSIONS[dimension][0]
    period = _selection_rows(rows, selection).filter(pl.col("month").is_between(start, end))
    counts = period.group_by(pl.col(column).alias("category")).agg(pl.col("deaths").sum().cast(pl.Int64))
    categories = order_categories(rows.get_column(column).drop_nulls().unique().to_list(), dimension)
    frame = (
        pl.DataFrame({"category": categories}, schema={"category": pl.String})
        .join(counts, on="category", how="left")
        .with_columns(pl.col("deaths").fill_null(0))
    )
    frame = frame.with_columns(pl.col("deaths").sum().alias("total"))
    frame = frame.with_columns((pl.col("deaths") / pl.col("total")).alias("share"))
    shown = suppress(
        frame, "deaths", threshold=threshold, rate_cols=("share",), complementary_by=[], total_col="total"
    )
    # The parts add up to the selection's total: where that total is withheld, so are they.
    withheld = selection_hidden(
        rows.filter(pl.col("month").is_between(start, end)).with_columns(pl.lit(0).alias("whole")),
        selection,
        period_col="whole",
        months=ct.period_months(start, end),
        threshold=threshold,
    )
    shown = _hide_rows(shown, pl.lit(bool(withheld)), ("share",))
    return shown.select("category", "deaths", "deaths_display", "deaths_suppressed", "share", "total")


def breakdown_by_year(
    rows: pl.DataFrame,
    selection: Selection,
    dimension: str,
    data_months: Sequence[date],
    provisional: Sequence[date],
    *,
    threshold: int,
) -> pl.DataFrame:
    """Deaths in the selection per calendar year and ``dimension`` category, with shares.

    Year totals are shown elsewhere on the page and category totals equal the period bars when
    the period spans whole years, so both margins are protected (:func:`suppress_two_way`).
    Columns: year, category, deaths, deaths_display, deaths_suppressed, share, total,
    months_covered, is_provisional.
    """
    column = DIMENSIONS[dimension][0]
    selected = _selection_rows(rows, selection).with_columns(pl.col("month").dt.year().cast(pl.Int64).alias("year"))
    counts = selected.group_by("year", pl.col(column).alias("category")).agg(pl.col("deaths").sum().cast(pl.Int64))
    categories = order_categories(rows.get_column(column).drop_nulls().unique().to_list(), dimension)
    years = _years_frame(data_months, provisional)
    frame = (
        years.join(pl.DataFrame({"category": categories}, schema={"category": pl.String}), how="cross")
        .join(counts, on=["year", "category"], how="left")
        .with_columns(pl.col("deaths").fill_null(0))
        .with_columns(pl.col("deaths").sum().over("year").alias("total"))
        .sort("year", pl.col("category").replace_strict({c: i for i, c in enumerate(categories)}))
    )
    shown = suppress_two_way(frame, row_key="year", col_key="category", threshold=threshold)
    withheld = selection_hidden(
        rows.with_columns(pl.col("month").dt.year().cast(pl.Int64).alias("year")),
        selection,
        period_col="year",
        months=months_by_year(data_months),
        threshold=threshold,
    )
    shown = _hide_rows(shown, pl.col("year").is_in(list(withheld)), ())
    return shown.with_columns(
        pl.when(pl.col("deaths_suppressed") | (pl.col("total") == 0))
        .then(None)
        .otherwise(pl.col("deaths") / pl.col("total"))
        .alias("share")
    ).select(
        "year",
        "category",
        "deaths",
        "deaths_display",
        "deaths_suppressed",
        "share",
        "total",
        "months_covered",
        "is_provisional",
    )


def months_by_year(data_months: Sequence[date]) -> dict[int, int]:
    """Months of data per calendar year (a year's length for the city total's rule and its rates:
    ``months_covered``)."""
    covered: dict[int, int] = {}
    for month in data_months:
        covered[month.year] = covered.get(month.year, 0) + 1
    return covered


def _years_frame(data_months: Sequence[date], provisional: Sequence[date]) -> pl.DataFrame:
    covered = months_by_year(data_months)
    provisional_years = {m.year for m in provisional}
    return pl.DataFrame(
        {
            "year": list(covered),
            "months_covered": list(covered.values()),
            "is_provisional": [y in provisional_years for y in covered],
        },
        schema={"year": pl.Int64, "months_covered": pl.Int64, "is_provisional": pl.Boolean},
    )


def drug_period(
    rows: pl.DataFrame,
    selection: Selection,
    drugs: Sequence[str],
    start: date,
    end: date,
    *,
    threshold: int,
) -> pl.DataFrame:
    """Deaths in the selection over the period involving each drug, and the share of all
    overdose deaths. ``rows`` carry every drug (not filtered by drug). A death can involve several
    drugs, so the drugs do not add up to a total: primary suppression only; the share is hidden
    with its count. Columns: drug, deaths, deaths_display, deaths_suppressed, share, total.
    """
    period = _selection_rows(rows, selection).filter(pl.col("month").is_between(start, end))
    counts = period.group_by("drug").agg(pl.col("deaths").sum().cast(pl.Int64))
    total = int(counts.filter(pl.col("drug") == ALL).get_column("deaths").sum())
    frame = (
        pl.DataFrame({"drug": list(drugs)}, schema={"drug": pl.String})
        .join(counts, on="drug", how="left")
        .with_columns(pl.col("deaths").fill_null(0), pl.lit(total, dtype=pl.Int64).alias("total"))
        .with_columns(pl.when(pl.col("total") > 0).then(pl.col("deaths") / pl.col("total")).alias("share"))
    )
    in_period = rows.filter(pl.col("month").is_between(start, end)).with_columns(pl.lit(0).alias("whole"))

    def hidden(drug: str) -> bool:
        return bool(
            selection_hidden(
                in_period.filter(pl.col("drug") == drug), selection, period_col="whole",
                months=ct.period_months(start, end), threshold=threshold,
            )  # fmt: skip
        )

    withheld = {drug for drug in drugs if hidden(drug)}
    shown = _suppress_with_withheld(
        frame, pl.col("drug").is_in(list(withheld)), threshold=threshold, complementary_by=None, rate_cols=("share",)
    )
    # A share beside its count gives the total back: none where the total is hidden.
    shown = shown.with_columns(pl.when(pl.lit(hidden(ALL))).then(None).otherwise(pl.col("share")).alias("share"))
    return shown.select("drug", "deaths", "deaths_display", "deaths_suppressed", "share", "total")


def drug_by_year(
    rows: pl.DataFrame,
    selection: Selection,
    drugs: Sequence[str],
    data_months: Sequence[date],
    provisional: Sequence[date],
    *,
    threshold: int,
) -> pl.DataFrame:
    """Deaths in the selection per year involving each drug, with the share of the year's
    overdose deaths. Drug totals over whole years can equal the period bars, so suppression is
    complementary along each drug's years. Columns: year, drug, deaths, deaths_display,
    deaths_suppressed, share, total, months_covered, is_provisional.
    """
    selected = _selection_rows(rows, selection).with_columns(pl.col("month").dt.year().cast(pl.Int64).alias("year"))
    counts = selected.group_by("year", "drug").agg(pl.col("deaths").sum().cast(pl.Int64))
    totals = counts.filter(pl.col("drug") == ALL).select("year", pl.col("deaths").alias("total"))
    frame = (
        _years_frame(data_months, provisional)
        .join(pl.DataFrame({"drug": list(drugs)}, schema={"drug": pl.String}), how="cross")
        .join(counts, on=["year", "drug"], how="left")
        .join(totals, on="year", how="left")
        .with_columns(pl.col("deaths").fill_null(0), pl.col("total").fill_null(0))
        .with_columns(pl.when(pl.col("total") > 0).then(pl.col("deaths") / pl.col("total")).alias("share"))
        .sort("drug", "year")
    )
    by_year = rows.with_columns(pl.col("month").dt.year().cast(pl.Int64).alias("year"))

    def hidden_years(drug: str) -> set:
        of_drug = by_year.filter(pl.col("drug") == drug)
        return selection_hidden(
            of_drug, selection, period_col="year", months=months_by_year(data_months), threshold=threshold
        )

    withheld = {(year, drug) for drug in drugs for year in hidden_years(drug)}
    total_hidden = list(hidden_years(ALL))
    key = pl.concat_str(pl.col("year").cast(pl.String), pl.col("drug"), separator="|")
    shown = _suppress_with_withheld(
        frame,
        key.is_in([f"{y}|{d}" for y, d in withheld]),
        threshold=threshold,
        complementary_by=["drug"],
        rate_cols=("share",),
    )
    # A share beside its count gives the year's total back: none where that total is hidden.
    shown = shown.with_columns(
        pl.when(pl.col("year").is_in(total_hidden)).then(None).otherwise(pl.col("share")).alias("share")
    )
    return shown.select(
        "year",
        "drug",
        "deaths",
        "deaths_display",
        "deaths_suppressed",
        "share",
        "total",
        "months_covered",
        "is_provisional",
    )


def breakdown_display(frame: pl.DataFrame, key: str, labels: Mapping[str, str] | None = None) -> pl.DataFrame:
    """A breakdown as shown and downloaded: label, display count, share in % (1 decimal)."""
    label = pl.col(key)
    if labels:
        label = label.replace_strict(dict(labels), default=label)
    columns = []
    if "year" in frame.columns:
        columns.append(pl.col("year"))
    columns += [
        label.alias(key),
        pl.col("deaths_display").alias("deaths"),
        (pl.col("share") * 100).round(1).alias("share_pct"),
    ]
    if "is_provisional" in frame.columns:
        columns.append(pl.col("is_provisional").alias("provisional"))
    return frame.select(columns)


# --------------------------------------------------------------------------------------------
# Loaders (cached per published database)
# --------------------------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=4)
def load_deaths_monthly(version: DbVersion) -> pl.DataFrame:
    """``marts.overdose_deaths_monthly`` in Chicago (raw counts: suppress before display), with
    the columns the Trends page uses; a null area is a Chicago death not placed in an area."""
    return read_frame(
        version,
        """
        SELECT month, community_area_number, drug, intent, age_group, sex, race_ethnicity,
               sum(deaths)::INTEGER AS deaths
        FROM marts.overdose_deaths_monthly
        WHERE place = 'Chicago'
        GROUP BY ALL
        ORDER BY ALL
        """,
    )


@st.cache_data(show_spinner=False, max_entries=4)
def load_deaths_weekly(version: DbVersion) -> pl.DataFrame:
    """``marts.overdose_deaths_weekly`` in Chicago (raw counts; a null area is not placed)."""
    return read_frame(
        version,
        """
        SELECT week, community_area_number, drug, sum(deaths)::INTEGER AS deaths,
               bool_or(is_provisional) AS is_provisional
        FROM marts.overdose_deaths_weekly
        WHERE place = 'Chicago'
        GROUP BY ALL
        ORDER BY ALL
        """,
    )


@st.cache_data(show_spinner=False, max_entries=4)
def load_rates_annual(version: DbVersion) -> pl.DataFrame:
    """Region, rest-of-Chicago, not-placed and city rows of ``marts.overdose_rates_annual``
    (suppressed)."""
    return read_frame(
        version,
        """
        SELECT *
        FROM marts.overdose_rates_annual
        WHERE geography_type IN ('region', 'not_placed', 'city')
        ORDER BY year, geography
        """,
    )


@st.cache_data(show_spinner=False, max_entries=4)
def load_region_suburbs(version: DbVersion) -> tuple[str, ...]:
    """Suburbs the pipeline counted in the region (not part of the Trends selection)."""
    frame = read_frame(
        version,
        """
        SELECT DISTINCT municipality FROM marts.overdose_deaths_monthly
        WHERE in_region AND community_area_number IS NULL AND municipality IS NOT NULL
        ORDER BY 1
        """,
    )
    return tuple(frame.get_column("municipality").to_list())

"""Breakdowns of the Trends page by drug, age, sex, race/ethnicity and intent, with two-way
suppression that protects both margins. Pure functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date

import polars as pl

from dashboards.components.filters import ALL
from dashboards.components.trend_selection import Selection, hide_rows, selection_hidden, suppress_with_withheld
from pipelines.defs.epidemiology import city_total as ct
from pipelines.defs.epidemiology.suppression import suppress


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
    shown = hide_rows(shown, pl.lit(bool(withheld)), ("share",))
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
    shown = hide_rows(shown, pl.col("year").is_in(list(withheld)), ())
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
    shown = suppress_with_withheld(
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
    shown = suppress_with_withheld(
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

"""Read-only access to the published app database, and the pure table shaping the pages use.

The pipeline publishes ``settings.app_db`` by writing a new file and swapping it in with
``os.replace``. The dashboard therefore never holds a connection open: every query opens the file
read-only, reads, and closes. Query results are cached under the file's :class:`DbVersion` (path,
``st_mtime_ns`` and the publication id from ``meta.publication_manifest``), so a fresh publish is
picked up on the next rerun without a restart.

A page reads several tables on separate connections, and a publish can land between two of them.
Every read therefore checks, on its own connection, that the file still holds the publication
the page started with; if not it raises :class:`PublicationChanged` and ``app.py`` reruns the page
on the new publication. So a page never mixes tables from two publications (a "torn read"), and
nothing from a newer file is ever cached under an older version.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl
import streamlit as st

from dashboards.components.filters import DEMOGRAPHICS, FilterOptions
from pipelines.csv_export import csv_export_bytes, escape_csv_cell  # noqa: F401 - escape_csv_cell re-exported
from pipelines.defs.epidemiology import city_total as ct
from pipelines.defs.epidemiology.rates import period_years, with_rates
from pipelines.defs.epidemiology.suppression import suppress

# Re-exported: the pages write months, periods and refresh times as ``data.format_*``.
from pipelines.formatting import CHICAGO_TZ, format_period, format_refreshed  # noqa: F401
from pipelines.formatting import format_short_month as format_month  # noqa: F401
from pipelines.warehouse import open_published

#: Drug selector: key -> (label, column of ``marts.me_monthly_by_area``).
DRUGS: dict[str, tuple[str, str]] = {
    "overdose": ("All overdose deaths", "overdose_deaths"),
    "opioid": ("Opioid-involved deaths", "opioid_deaths"),
    "fentanyl": ("Fentanyl-involved deaths", "fentanyl_deaths"),
}

#: Metric selector: key -> label.
METRICS: dict[str, str] = {
    "count": "Overdose deaths",
    "rate": "Rate per 100,000 (annualised)",
}

REST_LABEL = "Rest of Chicago"
CITY_LABEL = "Chicago"
SOURCE_NAMES = {"medical_examiner": "Cook County Medical Examiner"}



class AppDbUnavailable(RuntimeError):
    """The published app database is missing or unreadable; the message says what to do."""


class PublicationChanged(RuntimeError):
    """A new publication was swapped in while a page was reading the previous one.

    Deliberately not an :class:`AppDbUnavailable`: pages show those as errors, whereas this one
    is handled by ``app.py`` rerunning the page, which then reads the new publication throughout.
    """


@dataclass(frozen=True)
class DbVersion:
    """Identity of one published database file: the cache key of every query.

    ``publication_id`` comes from the file's ``meta.publication_manifest``; it is None for a file
    written by hand or by an older pipeline, which is then read without the consistency check.
    """

    path: str
    mtime_ns: int
    publication_id: str | None = None


@dataclass(frozen=True)
class Freshness:
    """One row of ``marts.source_freshness``."""

    source: str
    label: str
    is_synthetic: bool
    data_from: date
    data_to: date
    refreshed_at: datetime
    row_count: int
    source_url: str


@dataclass(frozen=True)
class Publication:
    """The single row of ``marts.publication``: how the pipeline published this file."""

    region_label: str
    region_areas: str
    suppress_below: int
    provisional_months: int
    published_at: datetime


# --------------------------------------------------------------------------------------------
# Database access
# --------------------------------------------------------------------------------------------


_MANIFEST = "meta.publication_manifest"
_MANIFEST_EXISTS = (
    "SELECT count(*) FROM information_schema.tables "
    "WHERE table_schema = 'meta' AND table_name = 'publication_manifest'"
)
# Publication ids by file identity (inode, mtime, size), so a rerun on an unchanged file costs a
# stat, not a connection.
_publication_ids: dict[tuple[str, int, int, int], str | None] = {}
_UNSEEN = object()




def _publication_id(con: duckdb.DuckDBPyConnection) -> str | None:
    """The publication id of the file ``con`` has open, or None for a file without a manifest."""
    if not con.execute(_MANIFEST_EXISTS).fetchall()[0][0]:
        return None
    rows = con.execute(f"SELECT DISTINCT publication_id FROM {_MANIFEST}").fetchall()
    return rows[0][0] if len(rows) == 1 else None


def _unreadable(path: str, exc: Exception) -> AppDbUnavailable:
    return AppDbUnavailable(
        f"The dashboard database `{path}` could not be read ({type(exc).__name__}). "
        "Run `make pipeline` to publish it again, then reload this page."
    )


def db_version(app_db: Path) -> DbVersion:
    """Return the cache identity of ``app_db``; raise :class:`AppDbUnavailable` if it is absent."""
    for _attempt in range(5):
        try:
            before = app_db.stat()
        except FileNotFoundError:
            raise AppDbUnavailable(
                f"The dashboard database `{app_db}` does not exist yet. "
                "Run `make pipeline` to build and publish it, then reload this page."
            ) from None
        key = (str(app_db), before.st_ino, before.st_mtime_ns, before.st_size)
        known = _publication_ids.get(key, _UNSEEN)  # one lookup: other sessions' threads share it
        if known is not _UNSEEN:
            return DbVersion(str(app_db), before.st_mtime_ns, known)
        try:
            with open_published(app_db) as con:
                publication_id = _publication_id(con)
        except duckdb.Error as exc:
            raise _unreadable(str(app_db), exc) from exc
        after = app_db.stat()
        # The same file before and after opening it: the id read belongs to this file.
        if (after.st_ino, after.st_mtime_ns, after.st_size) == key[1:]:
            if len(_publication_ids) > 64:  # one entry per publication seen: keep it small
                _publication_ids.clear()
            _publication_ids[key] = publication_id
            return DbVersion(str(app_db), before.st_mtime_ns, publication_id)
    raise AppDbUnavailable(
        f"The dashboard database `{app_db}` is being republished continuously; reload in a minute."
    )


def read_frame(version: DbVersion, sql: str, params: Sequence[object] | dict | None = None) -> pl.DataFrame:
    """Run one query (values bound as ``params``) on a short-lived read-only connection.

    Raises :class:`PublicationChanged` when the file no longer holds ``version``'s publication,
    and :class:`AppDbUnavailable` when it cannot be read.
    """
    try:
        with open_published(version.path) as con:
            if version.publication_id is not None and _publication_id(con) != version.publication_id:
                raise PublicationChanged(
                    f"`{version.path}` was republished while this page was reading it."
                )
            return con.sql(sql, params=params).pl()
    except duckdb.Error as exc:
        raise _unreadable(version.path, exc) from exc


_read = read_frame


@st.cache_data(show_spinner=False, max_entries=8)
def load_community_areas(version: DbVersion) -> pl.DataFrame:
    """All 77 community areas with population, region flag, geometry and centroid."""
    return _read(
        version,
        """
        SELECT community_area_number, community_area, population_2020, in_region,
               geometry_geojson, centroid_lon, centroid_lat
        FROM marts.community_areas
        ORDER BY community_area_number
        """,
    )


@st.cache_data(show_spinner=False, max_entries=8)
def load_monthly(version: DbVersion) -> pl.DataFrame:
    """Deaths per community area and month (zero-filled), with the provisional flag."""
    return _read(
        version,
        """
        SELECT month, community_area_number, community_area, in_region,
               overdose_deaths, opioid_deaths, fentanyl_deaths, is_provisional
        FROM marts.me_monthly_by_area
        ORDER BY month, community_area_number
        """,
    )


@st.cache_data(show_spinner=False, max_entries=8)
def load_not_placed_monthly(version: DbVersion) -> pl.DataFrame:
    """Chicago deaths not placed in a community area per month, with the count columns of
    :func:`load_monthly` (every month with at least one)."""
    return _read(
        version,
        """
        SELECT month,
               coalesce(sum(deaths) FILTER (WHERE drug = 'all'), 0)::INTEGER AS overdose_deaths,
               coalesce(sum(deaths) FILTER (WHERE drug = 'any_opioid'), 0)::INTEGER AS opioid_deaths,
               coalesce(sum(deaths) FILTER (WHERE drug = 'fentanyl'), 0)::INTEGER AS fentanyl_deaths
        FROM marts.overdose_deaths_monthly
        WHERE place = 'Chicago' AND community_area_number IS NULL
        GROUP BY month
        ORDER BY month
        """,
    )


@st.cache_data(show_spinner=False, max_entries=8)
def load_freshness(version: DbVersion) -> Freshness:
    """Freshness of the Medical Examiner source."""
    frame = _read(
        version,
        """
        SELECT source, label, is_synthetic, data_from, data_to, refreshed_at, row_count, source_url
        FROM marts.source_freshness
        WHERE source = 'medical_examiner'
        """,
    )
    if frame.is_empty():
        raise AppDbUnavailable(
            f"`{version.path}` has no Medical Examiner freshness record. Run `make pipeline` again."
        )
    return Freshness(**frame.row(0, named=True))


@st.cache_data(show_spinner=False, max_entries=8)
def load_publication(version: DbVersion) -> Publication:
    """The publication record (region label, suppression threshold used by the pipeline)."""
    frame = _read(
        version,
        """
        SELECT region_label, region_areas, suppress_below, provisional_months, published_at
        FROM marts.publication
        """,
    )
    if frame.is_empty():
        raise AppDbUnavailable(
            f"`{version.path}` has no publication record. Run `make pipeline` again."
        )
    return Publication(**frame.row(0, named=True))


@st.cache_data(show_spinner=False, max_entries=8)
def load_filter_options(version: DbVersion) -> FilterOptions:
    """What the shared filters can offer: data months, area numbers, demographic categories.

    One query on one connection (months, areas, and every demographic column unpivoted from a
    single scan of ``marts.overdose_deaths_monthly``), since this runs on every page's first
    render after a publication.
    """
    # The column names come from the fixed DEMOGRAPHICS table, never from the user.
    columns = ", ".join(column for _param, column, _label in DEMOGRAPHICS.values())
    options = _read(
        version,
        f"""
        SELECT 'month' AS kind, CAST(month AS VARCHAR) AS value
        FROM (SELECT DISTINCT month FROM marts.me_monthly_by_area)
        UNION ALL
        SELECT 'area', CAST(community_area_number AS VARCHAR) FROM marts.community_areas
        UNION ALL
        SELECT DISTINCT kind, value
        FROM (UNPIVOT (SELECT DISTINCT {columns} FROM marts.overdose_deaths_monthly)
              ON {columns} INTO NAME kind VALUE value)
        """,
    )

    def values(kind: str) -> pl.Series:
        return options.filter(pl.col("kind") == kind).get_column("value")

    return FilterOptions(
        months=tuple(values("month").str.to_date("%Y-%m-%d").sort().to_list()),
        area_numbers=tuple(values("area").cast(pl.Int64).sort().to_list()),
        demographic_values={
            key: tuple(values(column).sort().to_list())
            for key, (_param, column, _label) in DEMOGRAPHICS.items()
        },
    )


def _one_decimal(label: str) -> dict:
    return st.column_config.NumberColumn(label, format="%.1f")


#: On-screen headers of the display frames' columns. The frames keep their machine-readable
#: names, which are the CSV downloads' headers (stable for spreadsheets and scripts); a data grid
#: shows these instead.
COLUMN_LABELS: dict[str, str | dict] = {
    "area": "Area",
    "area_number": "Area no.",
    "community_area": "Community area",
    "part_of_city": "Part of city",
    "series": "Series",
    "period": "Period",
    "period_start": "Period start",
    "year": "Year",
    "months_covered": "Months of data",
    "deaths": "Deaths",
    "rate_per_100k_per_year": _one_decimal("Crude rate per 100,000/yr"),
    "rate_95ci_lower": _one_decimal("Crude 95% CI low"),
    "rate_95ci_upper": _one_decimal("Crude 95% CI high"),
    "rate_change_pct": st.column_config.NumberColumn("Crude rate change (%)", format="%+.1f"),
    "rate_unstable_under_20_deaths": "Crude unstable (<20 deaths)",
    "age_adjusted_rate_per_100k_per_year": _one_decimal("Age-adjusted rate per 100,000/yr"),
    "age_adjusted_95ci_lower": _one_decimal("Age-adjusted 95% CI low"),
    "age_adjusted_95ci_upper": _one_decimal("Age-adjusted 95% CI high"),
    "age_adjusted_unstable_under_20_deaths": "Age-adjusted unstable (<20 deaths)",
    "deaths_unknown_age": st.column_config.TextColumn(
        "Unknown age", help="Deaths of unknown age: counted in the crude rate, left out of the age-adjusted rate."
    ),
    "population_2020": "Population (2020)",
    "provisional": "Provisional",
    "measure": "Measure",
    "window_label": "Window",
    "gi_class": "Gi* class",
    "gi_confidence_bin": "Gi* confidence bin",
    "moran_cluster": "Moran cluster",
    "strip_type": "Strip type",
    "tests_read": "Strips read",
    "positives": "Positive strips",
    "positivity_pct": _one_decimal("Positivity (%)"),
    "positivity_95ci_lower_pct": _one_decimal("95% CI low (%)"),
    "positivity_95ci_upper_pct": _one_decimal("95% CI high (%)"),
    "source": "Source",
    "rows_in": st.column_config.NumberColumn("Rows in", format="localized"),
    "rows_loaded": st.column_config.NumberColumn("Loaded", format="localized"),
    "rows_quarantined": st.column_config.NumberColumn("Quarantined", format="localized"),
}


def table_column_config(columns: Sequence[str], column_config: dict | None = None) -> dict:
    """The grid headers of ``columns``: :data:`COLUMN_LABELS` for those it names, overridden by
    the table's own ``column_config``."""
    return {name: COLUMN_LABELS[name] for name in columns if name in COLUMN_LABELS} | (column_config or {})


def show_table(frame: pl.DataFrame, *, column_config: dict | None = None, **options) -> object:
    """``st.dataframe`` as every data-grid table of the dashboard draws it (short tables are
    Markdown: :func:`show_small_table`): without the index column, with readable headers
    (:func:`table_column_config`). A hidden (suppressed) value is a missing cell; the caption
    under each table says why values are hidden."""
    return st.dataframe(
        frame, hide_index=True, column_config=table_column_config(frame.columns, column_config), **options
    )


def expander_table(
    label: str, frame: pl.DataFrame, *, key: str, expanded: bool = False, caption: str = "", **options
) -> None:
    """:func:`show_table` in an expander (with ``caption`` under the table), drawn only while the
    expander is open.

    A closed expander's table would still be sent and drawn, and ``st.dataframe``'s data grid is
    the largest piece of code the browser loads for a page: ~1.2 MB of JavaScript, ~0.6 s of a
    new session's first render in ``bench/dashboard_speed.py``.
    Opening the expander reruns the page, which then draws the table; ``key`` keeps it open
    across reruns.
    """
    box = st.expander(label, expanded=expanded, key=key, on_change="rerun")
    if box.open:
        with box:
            show_table(frame, **options)
            if caption:
                st.caption(caption)


#: Characters Markdown (and Streamlit's LaTeX, emoji-shortcode and autolink extensions: bare
#: ``www.x.org``, ``name@host.org``, ``https://``) would interpret.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~$:.@])")


def markdown_table(frame: pl.DataFrame, right: Sequence[str] = ()) -> str:
    """``frame`` as a Markdown table: every cell escaped, a missing value as an em dash, whole
    numbers with thousands separators; numeric columns and those named in ``right`` (numbers
    held as text, such as suppressed counts) right-aligned."""
    numeric = [dtype.is_numeric() or name in right for name, dtype in frame.schema.items()]

    def cell(value: object) -> str:
        if value is None:
            return "—"
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{value:,}"
        text = value.isoformat() if isinstance(value, (date, datetime)) else str(value)
        return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))

    lines = [
        "| " + " | ".join(cell(name) for name in frame.columns) + " |",
        "|" + "|".join("---:" if is_numeric else "---" for is_numeric in numeric) + "|",
    ]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in frame.iter_rows()]
    return "\n".join(lines)


def show_small_table(frame: pl.DataFrame, right: Sequence[str] = ()) -> object:
    """A short reference table (a few rows, nothing to sort or search) drawn as Markdown, for a
    page that would otherwise load the data grid for it alone (see :func:`expander_table`);
    ``right`` as in :func:`markdown_table`."""
    return st.markdown(markdown_table(frame, right))


# --------------------------------------------------------------------------------------------
# Periods and labels
# --------------------------------------------------------------------------------------------


def month_options(monthly: pl.DataFrame) -> list[date]:
    """Every month present in the monthly mart, oldest first."""
    return monthly.get_column("month").unique().sort().to_list()


def default_period(months: Sequence[date], length: int = 12) -> tuple[date, date]:
    """The ``length`` months ending with the latest data month (provisional months included).

    With fewer months available the whole range is returned.
    """
    if not months:
        raise ValueError("no months to choose from")
    ordered = sorted(months)
    return ordered[max(0, len(ordered) - length)], ordered[-1]


def month_count(start: date, end: date) -> int:
    """Number of calendar months from ``start`` to ``end``, both included (the length the city
    total's rule reads, :func:`pipelines.defs.epidemiology.city_total.period_months`)."""
    return ct.period_months(start, end)


def next_month(month: date) -> date:
    """First day of the month after ``month`` (the exclusive end of a period ending in ``month``)."""
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)





def source_text(freshness: Freshness) -> str:
    """Source credit for chart subtitles, flagged when the numbers are synthetic."""
    name = SOURCE_NAMES.get(freshness.source, freshness.label)
    return f"{name} — synthetic demo data" if freshness.is_synthetic else name


def provisional_months(monthly: pl.DataFrame) -> list[date]:
    """Months the pipeline flagged provisional (toxicology still pending), oldest first."""
    return monthly.filter(pl.col("is_provisional")).get_column("month").unique().sort().to_list()


def format_rate(value: float | None) -> str:
    """One decimal, or an em dash when there is no rate to show."""
    return "—" if value is None else f"{value:,.1f}"


def format_rate_ci(rate: float | None, lower: float | None, upper: float | None) -> str:
    """``"45.2 (95% CI 38.1–53.3)"``; an em dash when the rate is suppressed."""
    if rate is None:
        return "—"
    if lower is None or upper is None:
        return format_rate(rate)
    return f"{rate:,.1f} (95% CI {lower:,.1f}–{upper:,.1f})"


# --------------------------------------------------------------------------------------------
# Aggregation and metrics (pure)
# --------------------------------------------------------------------------------------------


def _in_period(monthly: pl.DataFrame, start: date, end: date) -> pl.DataFrame:
    return monthly.filter(pl.col("month").is_between(start, end, closed="both"))


def _part_of_city(region_label: str) -> pl.Expr:
    """The region label for region rows, "Rest of Chicago" for the others."""
    return pl.when(pl.col("in_region")).then(pl.lit(region_label)).otherwise(pl.lit(REST_LABEL))


def area_period_metrics(
    monthly: pl.DataFrame,
    areas: pl.DataFrame,
    start: date,
    end: date,
    drug: str,
    *,
    threshold: int,
) -> pl.DataFrame:
    """Deaths and annualised rate per community area over ``start``..``end``, suppressed.

    Columns: community_area_number, community_area, in_region, population, deaths (null when
    suppressed), deaths_display, deaths_suppressed, rate, rate_lower, rate_upper, rate_unstable.
    Suppression is complementary within the region and within the rest of the city, because the
    page also publishes the region total and the city total (a single hidden area could
    otherwise be recovered by subtraction).
    """
    count_col = DRUGS[drug][1]
    years = period_years(start, next_month(end))
    totals = (
        _in_period(monthly, start, end)
        .group_by("community_area_number")
        .agg(pl.col(count_col).sum().cast(pl.Int64).alias("deaths"))
    )
    frame = (
        areas.select(
            "community_area_number",
            "community_area",
            "in_region",
            pl.col("population_2020").cast(pl.Int64).alias("population"),
        )
        .join(totals, on="community_area_number", how="left")
        .with_columns(pl.col("deaths").fill_null(0), pl.lit(years).alias("years"))
        .sort("community_area_number")
    )
    frame = with_rates(frame, count_col="deaths", population_col="population", years_col="years")
    return suppress(
        frame,
        "deaths",
        threshold=threshold,
        rate_cols=("rate",),
        complementary_by=["in_region"],
    ).drop("years", "deaths_group_total_suppressed")


def group_period_metrics(
    monthly: pl.DataFrame,
    areas: pl.DataFrame,
    start: date,
    end: date,
    drug: str,
    *,
    not_placed: pl.DataFrame,
    region_label: str,
    threshold: int,
) -> pl.DataFrame:
    """Deaths and annualised rate for the region, the rest of the city, the Chicago deaths not
    placed in an area (deaths only: no population) and the whole city.

    One row per ``group`` (region label, "Rest of Chicago", "Not placed in an area", "Chicago"),
    suppressed. ``not_placed`` is :func:`load_not_placed_monthly` (month and the count columns of
    ``monthly``). The three parts add up to the city: its total, or the rest of the city, is
    hidden by the city total's rule, which reads the areas' counts of the same period and its
    length (:func:`pipelines.defs.epidemiology.city_total.city_rule`; ``start``..``end`` are
    months of data).
    """
    count_col = DRUGS[drug][1]
    years = period_years(start, next_month(end))
    period = _in_period(monthly, start, end)
    population = areas.group_by("in_region").agg(pl.col("population_2020").sum().cast(pl.Int64))
    deaths = period.group_by("in_region").agg(
        pl.col(count_col).sum().cast(pl.Int64).alias("deaths")
    )
    parts = (
        population.join(deaths, on="in_region", how="left")
        .select(
            _part_of_city(region_label).alias("group"),
            pl.col("population_2020").alias("population"),
            pl.col("deaths").fill_null(0),
            pl.lit(years).alias("years"),
        )
        .sort(pl.col("group") != region_label)
    )
    unplaced = int(_in_period(not_placed, start, end).get_column(count_col).sum())
    parts = pl.concat(
        [parts, pl.DataFrame({"group": [ct.NOT_PLACED_LABEL], "population": [None], "deaths": [unplaced],
                              "years": [years]}, schema=parts.schema)]
    )  # fmt: skip
    city = parts.select(
        pl.lit(CITY_LABEL).alias("group"),
        pl.col("population").sum(),
        pl.col("deaths").sum(),
        pl.lit(years).alias("years"),
    )
    table = with_rates(
        pl.concat([parts, city]), count_col="deaths", population_col="population", years_col="years"
    )
    table = suppress(table, "deaths", threshold=threshold, rate_cols=("rate",))
    rest_areas = period.filter(~pl.col("in_region")).group_by("community_area_number").agg(pl.col(count_col).sum())
    counts = dict(zip(parts.get_column("group"), parts.get_column("deaths"), strict=True))
    rule = ct.city_rule(
        counts[region_label],
        counts[REST_LABEL],
        unplaced,
        rest_has_hidden_area=ct.rest_has_hidden_area(rest_areas.get_column(count_col).to_list(), threshold=threshold),
        months=ct.period_months(start, end),
        threshold=threshold,
    )
    group = pl.col("group")
    table = ct.withhold(
        table,
        ((group == CITY_LABEL) & pl.lit(rule.city_withheld)) | ((group == REST_LABEL) & pl.lit(rule.rest_withheld)),
    )
    return table.select(
        "group",
        "population",
        "deaths",
        "deaths_display",
        "deaths_suppressed",
        "rate",
        "rate_lower",
        "rate_upper",
        "rate_unstable",
    )


def monthly_group_metrics(
    monthly: pl.DataFrame,
    areas: pl.DataFrame,
    start: date,
    end: date,
    drug: str,
    *,
    region_label: str,
    threshold: int,
) -> pl.DataFrame:
    """Monthly deaths and rate per 100,000 per year-equivalent, region vs the rest of the city.

    Columns: month, group, is_provisional, population, deaths (null when suppressed),
    deaths_display, deaths_suppressed, rate (null when suppressed), rate_lower, rate_upper,
    rate_unstable.
    """
    count_col = DRUGS[drug][1]
    population = areas.group_by("in_region").agg(
        pl.col("population_2020").sum().cast(pl.Int64).alias("population")
    )
    frame = (
        _in_period(monthly, start, end)
        .group_by("month", "in_region")
        .agg(pl.col(count_col).sum().cast(pl.Int64).alias("deaths"), pl.col("is_provisional").any())
        .join(population, on="in_region", how="left")
        .with_columns(
            _part_of_city(region_label).alias("group"),
            # A single month annualised: the rate a full year at this month's pace would give.
            pl.lit(1 / 12).alias("years"),
        )
        .sort("in_region", "month", descending=[True, False])
        .drop("in_region")
    )
    frame = with_rates(frame, count_col="deaths", population_col="population", years_col="years")
    frame = suppress(frame, "deaths", threshold=threshold, rate_cols=("rate",))
    return frame.select(
        "month",
        "group",
        "is_provisional",
        "population",
        "deaths",
        "deaths_display",
        "deaths_suppressed",
        "rate",
        "rate_lower",
        "rate_upper",
        "rate_unstable",
    )


def region_share(groups: pl.DataFrame, region_label: str) -> float | None:
    """Region deaths as a fraction of Chicago deaths; None when either is suppressed or zero."""
    by_group = {row["group"]: row["deaths"] for row in groups.iter_rows(named=True)}
    region, city = by_group.get(region_label), by_group.get(CITY_LABEL)
    if region is None or not city:
        return None
    return region / city


def adjusted_display_columns(frame: pl.DataFrame) -> list[pl.Expr]:
    """The age-adjusted columns of a display table (rounded, CSV names), when ``frame`` has them
    (``dashboards.components.adjusted_rates``; already hidden where the crude count is)."""
    if "age_adjusted_rate" not in frame.columns:
        return []
    return [
        pl.col("age_adjusted_rate").round(1).alias("age_adjusted_rate_per_100k_per_year"),
        pl.col("age_adjusted_lower").round(1).alias("age_adjusted_95ci_lower"),
        pl.col("age_adjusted_upper").round(1).alias("age_adjusted_95ci_upper"),
        pl.col("age_adjusted_unstable").alias("age_adjusted_unstable_under_20_deaths"),
        pl.col("deaths_unknown_age_display").alias("deaths_unknown_age"),
    ]


def area_display_frame(
    metrics: pl.DataFrame, region_label: str, totals: pl.DataFrame | None = None
) -> pl.DataFrame:
    """The community-area table as shown (and downloaded): display counts, rounded crude rates
    and, when ``metrics`` has them, the age-adjusted rates beside them.

    Suppressed areas carry their display mark ("<10" or "*") and empty rate cells. ``totals``
    (rows ``group``: region, rest of Chicago, not placed in an area, Chicago, as
    :func:`dashboards.components.trend_data.period_totals` gives them) are added below the areas,
    without an area number: each part's areas add up to its row, and the three parts to Chicago;
    with their age-adjusted rates when the areas have them (none for the deaths not placed).
    """
    table = metrics.sort("community_area_number").select(
        pl.col("community_area_number").alias("area_number"),
        pl.col("community_area").alias("community_area"),
        _part_of_city(region_label).alias("part_of_city"),
        pl.col("deaths_display").alias("deaths"),
        pl.col("rate").round(1).alias("rate_per_100k_per_year"),
        pl.col("rate_lower").round(1).alias("rate_95ci_lower"),
        pl.col("rate_upper").round(1).alias("rate_95ci_upper"),
        pl.when(pl.col("deaths_suppressed"))
        .then(None)
        .otherwise(pl.col("rate_unstable"))
        .alias("rate_unstable_under_20_deaths"),
        *adjusted_display_columns(metrics),
        pl.col("population").alias("population_2020"),
    )
    if totals is None:
        return table
    rows = totals.select(
        pl.lit(None, dtype=table.schema["area_number"]).alias("area_number"),
        pl.col("group").alias("community_area"),
        pl.lit(None, dtype=pl.String).alias("part_of_city"),
        pl.col("deaths_display").alias("deaths"),
        pl.col("rate").round(1).alias("rate_per_100k_per_year"),
        pl.col("rate_lower").round(1).alias("rate_95ci_lower"),
        pl.col("rate_upper").round(1).alias("rate_95ci_upper"),
        pl.when(pl.col("rate").is_null()).then(None).otherwise(pl.col("rate_unstable"))
        .alias("rate_unstable_under_20_deaths"),
        *adjusted_display_columns(totals),
        pl.col("population").cast(table.schema["population_2020"]).alias("population_2020"),
    )
    if rows.columns != table.columns:
        raise ValueError("the totals need the age-adjusted rates the areas have (adjusted_rates.with_group_adjusted)")
    return pl.concat([table, rows], how="vertical_relaxed")


# --------------------------------------------------------------------------------------------
# CSV export
# --------------------------------------------------------------------------------------------


def to_csv_bytes(frame: pl.DataFrame) -> bytes:
    """UTF-8 CSV (with BOM, so Excel reads the dashes and apostrophes) of every cell, escaped.

    Written by :func:`pipelines.csv_export.csv_export_bytes`, the one CSV writer of every export.
    """
    return csv_export_bytes(frame.columns, frame.iter_rows())


def csv_download(label: str, frame: pl.DataFrame, *, file_name: str, key: str) -> None:
    """A download button for the CSV of exactly the (suppressed) numbers a chart or table shows."""
    st.download_button(
        label,
        data=to_csv_bytes(frame),
        file_name=file_name,
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
        key=key,
    )

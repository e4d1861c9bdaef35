"""Read-only access to the published app database: its version, and the cached loaders every page
shares.

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

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl
import streamlit as st

from dashboards.components.filters import DEMOGRAPHICS, FilterOptions
from pipelines.csv_export import escape_csv_cell  # noqa: F401 - re-exported

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
#: The count and rate columns of a suppressed rate table (``with_rates`` then ``suppress``), in order.
COUNT_AND_RATE_COLUMNS = (
    "deaths", "deaths_display", "deaths_suppressed", "rate", "rate_lower", "rate_upper", "rate_unstable",
)
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

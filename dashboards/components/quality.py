"""The Data quality page's logic: quarantine reasons, row reconciliation, freshness, placement.

Pure functions over the published tables (tested directly); the asset checks' results from
Dagster's run history are read in :mod:`dashboards.components.check_results`.
Nothing here shows a row's values: quarantined rows are listed by file, row number, field and
reason, and the reasons themselves only ever echo values that cannot identify anyone (the
pipeline's rule, see ``pipelines/defs/field_data/validation.py``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl

from pipelines.defs.epidemiology.suppression import suppress
from pipelines.formatting import format_day, format_refreshed


#: Source keys -> names shown on the page.
SOURCE_LABELS = {
    "medical_examiner": "Medical Examiner",
    "test_strips": "Test strips",
    "outreach": "Outreach logs",
    "hotspots": "Hot-spot list",
}

#: Quarantine rules, in the words of the validation table (docs/data/field-data.md), with the phrases of the
#: reasons that belong to them (checked in order; the first match wins).
RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("File refused", ("file refused:",)),
    ("Duplicate", ("exact duplicate", "is already defined", "already has a", "duplicate casenumber")),
    ("Required value missing", (" is missing", "missing casenumber", "death_date missing")),
    ("Formula or overlong text", ("spreadsheet formula", "is longer than")),
    ("Negative or implausible count", ("is negative", "implausibly large")),
    ("Future or implausibly old date", ("is in the future", "(a typing error?)", "outside the plausible range")),
    ("Value not readable", ("is not a date", "is not a whole number", "is not a number", "is not one of", "unparseable")),
    ("Coordinates outside Cook County", ("outside Cook County", "given without")),
    ("Unknown hot spot", ("not in the hot-spot list",)),
    ("Unknown community area", ("is not a Chicago community area",)),
    ("No location or conflicting locations", ("no location:", "location conflict:")),
    ("Values past the last column", ("to the right of the last column",)),
)
OTHER_RULE = "Other"

_SHEET_PREFIX = re.compile(r"^sheet '[^']*': ")
_FIELD_TOKEN = re.compile(r"^([a-z][a-z0-9_]*)\b")

#: Outcomes of a check, most urgent first (the order of the status table).
OUTCOME_ORDER = ("failed", "did not run", "running", "no result", "passed")


# --------------------------------------------------------------------------------------------
# Quarantine reasons
# --------------------------------------------------------------------------------------------


def split_problems(reason: str) -> list[str]:
    """The separate problems in one quarantine reason (the pipeline joins them with "; ").

    A workbook's sheet prefix is dropped; a file refusal is one problem even though its advice
    contains a semicolon.
    """
    text = _SHEET_PREFIX.sub("", reason.strip())
    if text.startswith("file refused:"):
        return [text]
    return [part.strip() for part in text.split("; ") if part.strip()]


def problem_rule(problem: str) -> str:
    """The validation rule a problem breaks, e.g. ``"contacts -3 is negative"`` -> ``"Negative or
    implausible count"``; :data:`OTHER_RULE` when no rule's phrase matches."""
    for rule, phrases in RULES:
        if any(phrase in problem for phrase in phrases):
            return rule
    return OTHER_RULE


def problem_field(problem: str, fields: Sequence[str]) -> str | None:
    """The field a problem names, when it names one of ``fields`` (``"tested_on 2062-02-14 is in
    the future"`` -> ``"tested_on"``); coordinates -> ``"latitude, longitude"``; else None."""
    if problem.startswith("coordinates "):
        return "latitude, longitude"
    if problem.startswith("location conflict: community_area"):
        return "community_area"
    if "casenumber" in problem:
        return "casenumber"
    match = _FIELD_TOKEN.match(problem)
    if match and match.group(1) in fields:
        return match.group(1)
    return None


def _join_unique(values: Sequence[str | None]) -> str | None:
    seen = [v for v in dict.fromkeys(values) if v]
    return ", ".join(seen) if seen else None


def quarantine_listing(
    me_quarantine: pl.DataFrame,
    field_quarantine: pl.DataFrame,
    fields: Sequence[str],
    *,
    include_case_numbers: bool,
) -> pl.DataFrame:
    """Every quarantined row, newest first: source, stage, file, row, field(s), rule(s), reason.

    ``me_quarantine`` is ``marts.me_quarantine``, ``field_quarantine`` is
    ``marts.field_data_quarantine``. Case numbers (Medical Examiner only) are kept only when
    ``include_case_numbers`` (member mode); no other identifier and no row value is ever shown.
    """
    me = me_quarantine.select(
        pl.lit("medical_examiner").alias("source"),
        "stage",
        "file",
        "row_number",
        "reason",
        "quarantined_at",
        pl.col("case_number").cast(pl.String),
    )
    field_rows = field_quarantine.select(
        "source",
        "stage",
        "file",
        "row_number",
        "reason",
        "quarantined_at",
        pl.lit(None, dtype=pl.String).alias("case_number"),
    )
    rows = pl.concat([me, field_rows], how="vertical_relaxed")
    # A Medical Examiner reason is always one problem (and may contain "; " itself).
    problems = [
        [reason] if source == "medical_examiner" else split_problems(reason)
        for source, reason in rows.select("source", "reason").iter_rows()
    ]
    listing = rows.with_columns(
        pl.Series("field", [_join_unique([problem_field(p, fields) for p in ps]) for ps in problems], dtype=pl.String),
        pl.Series("rule", [_join_unique([problem_rule(p) for p in ps]) for ps in problems], dtype=pl.String),
        pl.col("source").replace_strict(SOURCE_LABELS, default=pl.col("source")).alias("source"),
    ).sort(["quarantined_at", "source", "file", "row_number"], descending=[True, False, False, False], nulls_last=True)
    columns = ["source", "file", "row_number", "field", "reason", "rule", "stage", "quarantined_at"]
    if include_case_numbers:
        columns.insert(3, "case_number")
    return listing.select(columns)


def quarantine_by_rule(listing: pl.DataFrame) -> pl.DataFrame:
    """Quarantined rows per source and rule (a row breaking two rules counts under both).

    Columns: source, rule, rows; most frequent first.
    """
    if listing.is_empty():
        return pl.DataFrame(schema={"source": pl.String, "rule": pl.String, "rows": pl.Int64})
    return (
        listing.select("source", pl.col("rule").str.split(", ").alias("rule"))
        .explode("rule")
        .group_by("source", "rule")
        .agg(pl.len().cast(pl.Int64).alias("rows"))
        .sort(["rows", "source", "rule"], descending=[True, False, False])
    )


# --------------------------------------------------------------------------------------------
# Rows in = loaded + quarantined
# --------------------------------------------------------------------------------------------


def reconciliation(
    data_quality: pl.DataFrame,
    me_freshness: pl.DataFrame,
    field_files: pl.DataFrame,
    field_sources: pl.DataFrame,
    field_quarantine: pl.DataFrame,
) -> pl.DataFrame:
    """Rows in against rows loaded + rows quarantined, one row per source, each counted apart.

    Medical Examiner: records in the archive (``data_quality`` ``quarantined_share``
    denominator) against cases staged (``source_freshness.row_count``) and records quarantined at
    staging (its numerator). Field data, for the files present now: rows in from the ingest log
    (``field_data_files``) against rows in the staging table (``field_data_sources.row_count``)
    and quarantined rows with a row number (``field_data_quarantine``; a file that could not be
    read far enough to count rows has a single entry without one and 0 rows in).
    Columns: source, rows_in, rows_loaded, rows_quarantined, difference, adds_up.
    """
    parts: list[dict[str, object]] = []
    share = data_quality.filter(pl.col("metric") == "quarantined_share")
    if not share.is_empty() and not me_freshness.is_empty():
        parts.append(
            {
                "source": "medical_examiner",
                "rows_in": int(share.get_column("denominator")[0]),
                "rows_loaded": int(me_freshness.get_column("row_count")[0]),
                "rows_quarantined": int(share.get_column("numerator")[0]),
            }
        )
    loaded = dict(field_sources.select("source", "row_count").iter_rows())
    rows_in = dict(field_files.group_by("source").agg(pl.col("rows_in").sum()).iter_rows())
    quarantined = dict(
        field_quarantine.filter(pl.col("row_number").is_not_null())
        .group_by("source")
        .agg(pl.len())
        .iter_rows()
    )
    for source in sorted(set(loaded) | set(rows_in) | set(quarantined), key=list(SOURCE_LABELS).index):
        parts.append(
            {
                "source": source,
                "rows_in": int(rows_in.get(source, 0) or 0),
                "rows_loaded": int(loaded.get(source, 0) or 0),
                "rows_quarantined": int(quarantined.get(source, 0)),
            }
        )
    schema = {"source": pl.String, "rows_in": pl.Int64, "rows_loaded": pl.Int64, "rows_quarantined": pl.Int64}
    frame = pl.DataFrame(parts, schema=schema)
    difference = pl.col("rows_in") - pl.col("rows_loaded") - pl.col("rows_quarantined")
    return frame.with_columns(
        pl.col("source").replace_strict(SOURCE_LABELS, default=pl.col("source")),
        difference.alias("difference"),
        (difference == 0).alias("adds_up"),
    )


# --------------------------------------------------------------------------------------------
# Freshness and the Medical Examiner quality metrics
# --------------------------------------------------------------------------------------------


def freshness_table(sources: pl.DataFrame, now_utc: datetime) -> pl.DataFrame:
    """One row per source (``marts.source_freshness`` stacked on ``marts.field_data_sources``):
    label, period covered, rows, last refresh (UTC) and its age in days at ``now_utc``."""
    now = now_utc.astimezone(UTC).replace(tzinfo=None) if now_utc.tzinfo else now_utc
    return sources.sort(pl.col("source").replace_strict(
        {k: i for i, k in enumerate(SOURCE_LABELS)}, default=len(SOURCE_LABELS), return_dtype=pl.Int32
    )).select(
        pl.col("source").replace_strict(SOURCE_LABELS, default=pl.col("source")).alias("source"),
        "label",
        pl.col("data_from").cast(pl.Date),
        pl.col("data_to").cast(pl.Date),
        pl.col("row_count").cast(pl.Int64).alias("rows"),
        "refreshed_at",
        ((pl.lit(now) - pl.col("refreshed_at")).dt.total_hours() / 24).round(1).alias("age_days"),
    )


def freshness_display(freshness: pl.DataFrame) -> pl.DataFrame:
    """:func:`freshness_table` as the page shows it: labelled text columns (dates as "1 Jan 2016",
    the refresh in Chicago time, the age to a tenth of a day); a missing value stays missing."""
    return freshness.select(
        pl.col("source").alias("Source"),
        pl.col("label").alias("Label"),
        pl.col("data_from").map_elements(format_day, return_dtype=pl.String).alias("Data from"),
        pl.col("data_to").map_elements(format_day, return_dtype=pl.String).alias("Data to"),
        pl.col("rows").alias("Rows"),
        pl.col("refreshed_at").map_elements(format_refreshed, return_dtype=pl.String).alias("Last refreshed"),
        pl.col("age_days").map_elements(lambda d: f"{d:,.1f}", return_dtype=pl.String).alias("Age (days)"),
    )


def reconciliation_display(recon: pl.DataFrame) -> pl.DataFrame:
    """:func:`reconciliation` as the page shows it: labelled columns, "✔ yes" / "✖ no" for whether
    a source's rows add up."""
    return recon.select(
        pl.col("source").alias("Source"),
        pl.col("rows_in").alias("Rows in"),
        pl.col("rows_loaded").alias("Loaded"),
        pl.col("rows_quarantined").alias("Quarantined"),
        pl.col("difference").alias("Difference"),
        pl.when(pl.col("adds_up")).then(pl.lit("✔ yes")).otherwise(pl.lit("✖ no")).alias("Adds up"),
    )


@dataclass(frozen=True)
class QualityMetric:
    """One row of ``marts.data_quality`` judged against its threshold (None: no threshold)."""

    metric: str
    description: str
    numerator: int
    denominator: int
    value: float | None
    minimum: float | None = None
    higher_is_better: bool = True

    @property
    def meets_threshold(self) -> bool | None:
        """Whether the share meets its threshold; None when there is no threshold or no value."""
        if self.minimum is None or self.value is None:
            return None
        shown = self.value if self.higher_is_better else 1 - self.value
        return shown >= self.minimum


def quality_metric(
    data_quality: pl.DataFrame, metric: str, *, minimum: float | None = None, higher_is_better: bool = True
) -> QualityMetric | None:
    """The named metric of ``marts.data_quality``, or None when it was not published."""
    rows = data_quality.filter(pl.col("metric") == metric)
    if rows.is_empty():
        return None
    row = rows.row(0, named=True)
    return QualityMetric(
        metric=metric,
        description=row["description"],
        numerator=int(row["numerator"]),
        denominator=int(row["denominator"]),
        value=row["value"],
        minimum=minimum,
        higher_is_better=higher_is_better,
    )


#: The columns of ``marts.me_placement_annual`` the page shows, with their headers.
PLACEMENT_COLUMNS = {
    "placed": "By archive",
    "geocoded": "Geocoded",
    "unplaced": "Unplaced",
}


def placement_by_year(annual: pl.DataFrame, threshold: int) -> pl.DataFrame:
    """``marts.me_placement_annual`` as the page shows it: per year, the cases in Chicago (or of
    unknown place) and each way they were placed as ``"count (share)"``.

    Small counts are suppressed within each year (``suppression.suppress``): 1 to ``threshold - 1``
    as ``"<10"`` with no share, and, where one cell of a year is hidden, another as ``"*"`` so that
    it cannot be worked out from the year's total (or the total withheld). Columns: Year,
    Cases, then one per :data:`PLACEMENT_COLUMNS`; oldest year first.
    """
    headers = ["Year", "Cases", *PLACEMENT_COLUMNS.values()]
    if annual.is_empty():
        return pl.DataFrame(schema=dict.fromkeys(headers, pl.String))
    cells = (
        annual.unpivot(index=["year", "cases"], on=list(PLACEMENT_COLUMNS), variable_name="how", value_name="count")
        .with_columns((pl.col("count") / pl.col("cases")).alias("share"))
    )
    hidden = suppress(
        cells, "count", threshold=threshold, rate_cols=["share"], complementary_by=["year"], total_col="cases"
    )
    # Shares as the page's cards show them (f"{share:.1%}").
    shares = hidden.get_column("share").map_elements(lambda v: f" ({v:.1%})", return_dtype=pl.String)
    shown = hidden.with_columns(pl.concat_str(pl.col("count_display"), shares.fill_null("")).alias("text"))
    wide = shown.pivot(on="how", index=["year", "cases_display"], values="text").sort("year")
    return wide.select(
        pl.col("year").cast(pl.String).alias("Year"),
        pl.col("cases_display").alias("Cases"),
        *(pl.col(key).alias(label) for key, label in PLACEMENT_COLUMNS.items()),
    )

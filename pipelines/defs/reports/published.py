"""What the published database says, read for the reports and suppressed.

Everything here reads the dashboard's published database (``settings.app_db``) read-only through
the SQL files in ``sql/reports/``, so the reports see exactly the public marts the dashboard shows.
Those marts hold raw counts; every count that leaves this module is passed through the project's
suppression (:mod:`pipelines.defs.epidemiology.suppression`) first: a count from 1 to
``suppress_below - 1`` becomes ``"<10"`` and any rate or share derived from it is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import polars as pl

from pipelines.defs.epidemiology import city_total
from pipelines.defs.epidemiology.age_adjusted import age_adjusted_rates
from pipelines.defs.epidemiology.provisional import provisional_start
from pipelines.defs.epidemiology.rates import period_years, with_rates
from pipelines.defs.epidemiology.suppression import display_count, suppress
from pipelines.defs.field_data.metrics import suppress_proportion
from pipelines.defs.reports.wording import add_months
from pipelines.formatting import format_refreshed
from pipelines.warehouse import query_sql_file

#: Months of the trend chart and of the "last 12 months" figures.
TREND_MONTHS = 24
WINDOW_MONTHS = 12
#: Drug groups on the drug-involvement slide, in display order, with their labels.
DRUG_LABELS: dict[str, str] = {
    "fentanyl": "Fentanyl",
    "any_opioid": "Any opioid",
    "cocaine": "Cocaine",
    "opioid_stimulant": "Opioid + stimulant",
    "xylazine": "Xylazine",
    "ethanol": "Alcohol (with a drug)",
    "rx_opioid": "Prescription opioids",
    "methamphetamine": "Methamphetamine",
    "benzodiazepine": "Benzodiazepines",
    "heroin": "Heroin",
    "nitazene": "Nitazenes",
}
SERIES_NAMES = {"overdose_deaths": "Overdose deaths", "positive_test_strips": "Positive test strips"}
FIELD_TABLES = ("test_strip_positivity", "outreach_monthly", "naloxone_cumulative", "field_data_sources")


class ReportDataUnavailable(RuntimeError):
    """The published database is missing or lacks what a report needs; the message says why."""


@dataclass(frozen=True)
class Meta:
    """Where the numbers come from and how they were published."""

    region_label: str
    source: str
    is_synthetic: bool
    data_from: date
    data_to: date
    refreshed: str
    threshold: int
    provisional_months: int
    field_source: str | None
    field_refreshed: str | None
    field_is_synthetic: bool

    @property
    def any_synthetic(self) -> bool:
        """Whether any number shown comes from synthetic demo data."""
        return self.is_synthetic or self.field_is_synthetic


    @property
    def provisional_from(self) -> date:
        """First provisional month (the last ``provisional_months`` months of data)."""
        return provisional_start(self.data_to, self.provisional_months)


@dataclass(frozen=True)
class Alert:
    """One public spike-alert badge."""

    week: date
    area: str
    series: str
    observed: str
    alert_type: str
    severity: str


def report_rows(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> pl.DataFrame:
    return query_sql_file(con, f"reports/{name}.sql", params).pl()


def read_meta(con: duckdb.DuckDBPyConnection) -> Meta:
    """Source labels, period, refresh time and the publication's suppression settings."""
    frame = report_rows(con, "freshness")
    if frame.is_empty():
        raise ReportDataUnavailable("the published database has no Medical Examiner freshness record")
    row = frame.row(0, named=True)
    field_source = field_refreshed = None
    field_synthetic = False
    if has_field_data(con):
        # A source with no files yet has a row but no refresh time: it has nothing to report.
        sources = report_rows(con, "field_freshness").drop_nulls("refreshed_at")
        if not sources.is_empty():
            field_synthetic = bool(sources.get_column("is_synthetic").any())
            field_source = "Task force test-strip and outreach logs" + (
                " — synthetic demo data" if field_synthetic else ""
            )
            field_refreshed = format_refreshed(sources.get_column("refreshed_at").max())
    source = "Cook County Medical Examiner" + (" — synthetic demo data" if row["is_synthetic"] else "")
    return Meta(
        region_label=row["region_label"],
        source=source,
        is_synthetic=bool(row["is_synthetic"]),
        data_from=row["data_from"],
        data_to=row["data_to"],
        refreshed=format_refreshed(row["refreshed_at"]),
        threshold=int(row["suppress_below"]),
        provisional_months=int(row["provisional_months"]),
        field_source=field_source,
        field_refreshed=field_refreshed,
        field_is_synthetic=field_synthetic,
    )


def has_field_data(con: duckdb.DuckDBPyConnection) -> bool:
    present = set(report_rows(con, "table_names").get_column("table_name").to_list())
    return set(FIELD_TABLES) <= present


def region_monthly(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return report_rows(con, "monthly_by_part")


def trend_frame(monthly: pl.DataFrame, end: date, threshold: int, months: int = TREND_MONTHS) -> pl.DataFrame:
    """Region deaths (all overdoses and fentanyl-involved) per month for ``months`` months to ``end``."""
    start = add_months(end, -(months - 1))
    region = (
        monthly.filter(pl.col("in_region"), pl.col("month").is_between(start, end))
        .sort("month")
        .select(
            "month",
            "is_provisional",
            pl.col("overdose_deaths").alias("deaths"),
            pl.col("fentanyl_deaths").alias("fentanyl"),
            # 12-month blocks ending at ``end``: the pack shows each block's total (the "last 12
            # months" figures), so the months of a block are one complementary-suppression group —
            # otherwise a single hidden month would be the total minus the months shown.
            ((pl.col("month").dt.year() * 12 + pl.col("month").dt.month() - end.year * 12 - end.month)
             .abs() // WINDOW_MONTHS).alias("block"),
        )
    )
    region = suppress(region, "deaths", threshold=threshold, complementary_by=["block"])
    region = suppress(region, "fentanyl", threshold=threshold, complementary_by=["block"])
    return region.select("month", "deaths", "deaths_display", "fentanyl", "fentanyl_display", "is_provisional")


def parts_metrics(monthly: pl.DataFrame, start: date, end: date, threshold: int) -> dict[bool, dict]:
    """Deaths and annualised rate of the region (True) and the rest of Chicago (False), suppressed.

    Both parts add up to the city, so they are one complementary group: a hidden region count can
    never be recovered from the city total minus the rest.
    """
    years = period_years(start, add_months(end, 1))
    parts = (
        monthly.filter(pl.col("month").is_between(start, end))
        .group_by("in_region")
        .agg(pl.col("overdose_deaths").sum().alias("deaths"), pl.col("population").first())
        .with_columns(pl.lit(years).alias("years"))
        .sort("in_region", descending=True)
    )
    parts = with_rates(parts, count_col="deaths", population_col="population", years_col="years")
    parts = suppress(parts, "deaths", threshold=threshold, rate_cols=["rate"], complementary_by=[])
    return {row["in_region"]: row for row in parts.iter_rows(named=True)}


def with_age_adjusted(parts: dict[bool, dict], cells: pl.DataFrame, years: float, threshold: int) -> dict[bool, dict]:
    """Each part's age-adjusted rate (``cells``: ``sql/reports/age_band_cells.sql``) added to its
    :func:`_parts_metrics` row: hidden when the part's count is, and its deaths of unknown age
    (left out of the adjusted rate) as a suppressed count in ``deaths_unknown_age_display``."""
    adjusted = age_adjusted_rates(cells.with_columns(pl.lit(years).alias("years")), keys=["in_region"], years_col="years")
    adjusted = suppress(adjusted, "deaths_unknown_age", threshold=threshold)
    out = {}
    for in_region, row in parts.items():
        extra = adjusted.filter(pl.col("in_region") == in_region).row(0, named=True)
        hidden = bool(row["deaths_suppressed"])
        out[in_region] = {
            **row,
            **{
                key: None if hidden else extra[key]
                for key in ("age_adjusted_rate", "age_adjusted_lower", "age_adjusted_upper",
                            "age_adjusted_unstable", "deaths_unknown_age_display")
            },
        }
    return out


def rest_withheld(con: duckdb.DuckDBPyConnection, start: date, end: date, threshold: int) -> bool:
    """Whether the city total's rule hides the rest of Chicago over the months ``start``..``end``
    of data (:func:`pipelines.defs.epidemiology.city_total.city_rule`; the pack's 12 months keep
    Chicago's total): the Map shows Chicago's total for the same months, so a rest shown here
    would give the deaths not placed in an area back."""
    areas = report_rows(con, "area_period", {"start_month": start, "end_month": end})
    not_placed = int(report_rows(con, "not_placed_period", {"start_month": start, "end_month": end}).item())
    rest_areas = areas.filter(~pl.col("in_region")).get_column("deaths")
    rule = city_total.city_rule(
        int(areas.filter(pl.col("in_region")).get_column("deaths").sum()),
        int(rest_areas.sum()),
        not_placed,
        rest_has_hidden_area=city_total.rest_has_hidden_area(rest_areas.to_list(), threshold=threshold),
        months=city_total.period_months(start, end),
        threshold=threshold,
    )
    return rule.rest_withheld


def withheld(row: dict) -> dict:
    """A part's :func:`with_age_adjusted` row hidden ("*"): its count and every rate."""
    hidden = {key: None for key in row if key.startswith(("rate", "age_adjusted", "deaths"))}
    return {**row, **hidden, "deaths_display": "*", "deaths_suppressed": True}


def area_frame(con: duckdb.DuckDBPyConnection, start: date, end: date, threshold: int) -> pl.DataFrame:
    """Deaths and annualised rate per community area over ``start``..``end``, suppressed.

    Complementary within the region and within the rest of the city, because the region total is
    shown on the same slide.
    """
    frame = report_rows(con, "area_period", {"start_month": start, "end_month": end})
    frame = frame.with_columns(pl.lit(period_years(start, add_months(end, 1))).alias("years"))
    frame = with_rates(frame, count_col="deaths", population_col="population", years_col="years")
    frame = suppress(frame, "deaths", threshold=threshold, rate_cols=["rate"], complementary_by=["in_region"])
    return frame.drop("years", "deaths_group_total_suppressed")


def drug_frame(con: duckdb.DuckDBPyConnection, start: date, end: date, threshold: int) -> tuple[pl.DataFrame, str]:
    """Share of the region's overdose deaths involving each drug group over ``start``..``end``.

    Returns the frame (drug, label, deaths, deaths_display, share, previous_share for the 12 months
    before) and the display of the total. Drug groups overlap (one death can involve several), so
    they do not add up to the total and only primary suppression applies.
    """

    def one(window_start: date, window_end: date) -> tuple[pl.DataFrame, int]:
        rows = report_rows(con, "drug_period", {"start_month": window_start, "end_month": window_end})
        total = int(rows.filter(pl.col("drug") == "all").get_column("deaths").sum())
        labels = pl.DataFrame({"drug": list(DRUG_LABELS), "label": list(DRUG_LABELS.values()),
                               "order": list(range(len(DRUG_LABELS)))})
        frame = labels.join(rows, on="drug", how="left").with_columns(pl.col("deaths").fill_null(0))
        frame = frame.with_columns(
            (pl.col("deaths") / total if total else pl.lit(None, dtype=pl.Float64)).alias("share")
        )
        return suppress(frame, "deaths", threshold=threshold, rate_cols=["share"]).sort("order"), total

    current, total = one(start, end)
    previous, previous_total = one(add_months(start, -12), add_months(end, -12))
    if 1 <= total < threshold:
        current = current.with_columns(pl.lit(None, dtype=pl.Float64).alias("share"))
    if 1 <= previous_total < threshold:
        previous = previous.with_columns(pl.lit(None, dtype=pl.Float64).alias("share"))
    current = current.join(
        previous.select("drug", pl.col("share").alias("previous_share")), on="drug", how="left"
    ).sort("order")
    return current.drop("order"), display_count(total, threshold)


def strips_frame(con: duckdb.DuckDBPyConnection, threshold: int) -> pl.DataFrame:
    """Monthly fentanyl and xylazine strip positivity with Wilson 95% CIs; hidden where the strips
    read or the positive strips are under the threshold (``suppress_proportion``)."""
    frame = report_rows(con, "strip_positivity")
    frame = suppress_proportion(
        frame, successes_col="positives", trials_col="tests_read", prefix="positivity", threshold=threshold
    )
    return frame.select(
        "month", "strip_type", "tests_read", "tests_read_display", "positives_display", "positivity",
        "positivity_lower", "positivity_upper",
    )


OUTREACH_MEASURES = {
    "naloxone_kits_distributed": "Naloxone kits distributed",
    "people_trained_naloxone": "People trained in naloxone",
    "naloxone_administrations": "Overdose reversals (naloxone given)",
    "warm_handoffs_total": "Warm hand-offs to care",
    "test_strips_distributed": "Test strips handed out",
}


def outreach_frame(con: duckdb.DuckDBPyConnection, threshold: int) -> pl.DataFrame:
    """Monthly outreach counts; every count gets a ``{measure}_display`` ("<10" when 1–9)."""
    frame = report_rows(con, "outreach_monthly")
    for measure in (*OUTREACH_MEASURES, "contacts"):
        frame = suppress(frame.with_columns(pl.col(measure).cast(pl.Int64)), measure, threshold=threshold)
    return frame


def alerts_between(con: duckdb.DuckDBPyConnection, first_day: date, last_day: date) -> tuple[Alert, ...]:
    """Weekly spike alerts whose week ends in ``first_day``..``last_day`` (public badges)."""
    rows = report_rows(con, "weekly_alerts", {"start_day": first_day, "end_day": last_day})
    return tuple(
        Alert(
            week=row["period"],
            area=row["area"],
            series=SERIES_NAMES.get(row["series"], row["series"]),
            observed=row["observed_display"],
            alert_type=row["alert_type"],
            severity=row["severity"],
        )
        for row in rows.iter_rows(named=True)
    )


def hot_spots(con: duckdb.DuckDBPyConnection) -> tuple[tuple[str, ...], str | None]:
    """Region community areas that are hot spots of deaths in the latest window, and its label."""
    present = set(report_rows(con, "table_names").get_column("table_name").to_list())
    if "area_hotspots" not in present:
        return (), None
    rows = report_rows(con, "hot_spots")
    window = rows.get_column("window_label")[0] if not rows.is_empty() else None
    return tuple(rows.get_column("community_area").to_list()), window



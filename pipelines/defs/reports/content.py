"""The numbers of the meeting pack and the e-blast, read from the published marts and suppressed.

Everything here reads the dashboard's published database (``settings.app_db``) read-only through
the SQL files in ``sql/reports/``, so the reports see exactly the public marts the dashboard shows.
Those marts hold raw counts; every count that leaves this module is passed through the project's
suppression (:mod:`pipelines.defs.epidemiology.suppression`) first: a count from 1 to
``suppress_below - 1`` becomes ``"<10"`` and any rate or share derived from it is dropped. The
renderers (:mod:`.figures`, :mod:`.pack`, :mod:`.eblast`) only ever receive display text and
numbers that are safe to show.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb
import polars as pl

from pipelines.defs.epidemiology import city_total
from pipelines.defs.epidemiology.age_adjusted import age_adjusted_rates
from pipelines.defs.epidemiology.rates import period_years, with_rates
from pipelines.defs.epidemiology.suppression import display_count, suppress
from pipelines.defs.field_data.metrics import suppress_proportion
from pipelines.formatting import format_period, format_refreshed, format_short_month
from pipelines.warehouse import open_published, query_sql_file

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


# ---- Dates -------------------------------------------------------------------------------------


def add_months(month: date, months: int) -> date:
    """First day of the month ``months`` after (negative: before) the month of ``month``."""
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def last_complete_month(data_to: date) -> date:
    """First day of the latest calendar month the data cover in full (data up to ``data_to``)."""
    if (data_to + timedelta(days=1)).month != data_to.month:
        return data_to.replace(day=1)
    return add_months(data_to, -1)


def last_complete_week(data_to: date) -> date:
    """Monday of the latest Monday–Sunday week that ends on or before ``data_to``."""
    sunday = data_to - timedelta(days=(data_to.weekday() + 1) % 7)
    return sunday - timedelta(days=6)


def format_month(month: date) -> str:
    """``date(2026, 10, 1)`` -> ``"October 2026"``."""
    return month.strftime("%B %Y")




def format_week(monday: date) -> str:
    """``"19–25 Oct 2026"`` (or ``"28 Sep – 4 Oct 2026"`` across months)."""
    sunday = monday + timedelta(days=6)
    if monday.month == sunday.month:
        return f"{monday.day}–{sunday.day} {sunday:%b %Y}"
    if monday.year == sunday.year:
        return f"{monday.day} {monday:%b} – {sunday.day} {sunday:%b %Y}"
    return f"{monday.day} {monday:%b %Y} – {sunday.day} {sunday:%b %Y}"



def format_pct(value: float | None) -> str:
    """A share as a whole percentage, or an em dash."""
    return "—" if value is None else f"{value:.0%}"


def format_rate(rate: float | None, lower: float | None = None, upper: float | None = None) -> str:
    """``"45.2 (95% CI 38.1–53.3)"``, ``"45.2"`` without limits, an em dash without a rate."""
    if rate is None:
        return "—"
    if lower is None or upper is None:
        return f"{rate:,.1f}"
    return f"{rate:,.1f} (95% CI {lower:,.1f}–{upper:,.1f})"


def _with_ci(rate: float | None, lower: float | None, upper: float | None) -> str:
    if rate is None:
        return "—"
    return f"{rate:,.1f}" if lower is None or upper is None else f"{rate:,.1f} ({lower:,.1f}–{upper:,.1f})"


def both_rates(row: dict | None) -> str:
    """``"Crude rate 45.2 (38.1–53.3); age-adjusted 47.0 (40.0–55.0)"`` (per 100,000 per year, 95%
    CIs) for a part's row (:func:`_parts_metrics`); an em dash when the count is hidden."""
    if row is None or row["rate"] is None:
        return "—"
    return (
        f"Crude rate {_with_ci(row['rate'], row['rate_lower'], row['rate_upper'])}; age-adjusted "
        f"{_with_ci(row['age_adjusted_rate'], row['age_adjusted_lower'], row['age_adjusted_upper'])}"
    )


# ---- Content -----------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class Kpi:
    """One headline number: label, display value (already suppressed) and a one-line detail."""

    key: str
    label: str
    value: str
    detail: str
    provisional: bool = False


@dataclass(frozen=True)
class Alert:
    """One public spike-alert badge."""

    week: date
    area: str
    series: str
    observed: str
    alert_type: str
    severity: str


@dataclass(frozen=True)
class PackContent:
    """Everything the monthly meeting pack shows, suppressed."""

    month: date
    meta: Meta
    window_start: date
    kpis: tuple[Kpi, ...]
    #: month, deaths, deaths_display, fentanyl, fentanyl_display, is_provisional (region, 24 months).
    trend: pl.DataFrame
    #: one row per Chicago community area over the 12-month window: deaths (null when suppressed),
    #: deaths_display, rate, rate_lower, rate_upper, in_region, geometry_geojson, centroid.
    areas: pl.DataFrame
    #: drug, label, deaths_display, share (null when suppressed), previous-window share.
    drugs: pl.DataFrame
    drug_total_display: str
    #: month, strip_type, tests_read_display, positivity, positivity_lower/upper (None: no field data).
    strips: pl.DataFrame | None
    #: month and activity counts as display text plus numbers safe to plot (None: no field data).
    outreach: pl.DataFrame | None
    alerts: tuple[Alert, ...]
    hot_spots: tuple[str, ...]
    hot_spot_window: str | None
    headline: dict[str, str] = field(default_factory=dict)
    #: The region's deaths of unknown age in the window, left out of its age-adjusted rate
    #: (suppressed display; None when the region's count is hidden).
    region_unknown_age: str | None = None

    @property
    def provisional_from(self) -> date:
        """First provisional month (the last ``provisional_months`` months of data)."""
        return add_months(self.meta.data_to, -(self.meta.provisional_months - 1))


@dataclass(frozen=True)
class EblastContent:
    """Everything the weekly e-blast shows, suppressed."""

    week: date
    meta: Meta
    week_deaths: str
    week_provisional: bool
    previous_weeks: str
    alerts: tuple[Alert, ...]
    month: date
    kpis: tuple[Kpi, ...]
    trend: pl.DataFrame
    hot_spots: tuple[str, ...]
    hot_spot_window: str | None


def _rows(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> pl.DataFrame:
    return query_sql_file(con, f"reports/{name}.sql", params).pl()


@contextmanager
def connect(app_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the published database; raises :class:`ReportDataUnavailable`."""
    if not app_db.exists():
        raise ReportDataUnavailable(f"{app_db} does not exist: run `make pipeline` first")
    with open_published(app_db) as con:
        yield con


def read_meta(con: duckdb.DuckDBPyConnection) -> Meta:
    """Source labels, period, refresh time and the publication's suppression settings."""
    frame = _rows(con, "freshness")
    if frame.is_empty():
        raise ReportDataUnavailable("the published database has no Medical Examiner freshness record")
    row = frame.row(0, named=True)
    field_source = field_refreshed = None
    field_synthetic = False
    if _has_field_data(con):
        # A source with no files yet has a row but no refresh time: it has nothing to report.
        sources = _rows(con, "field_freshness").drop_nulls("refreshed_at")
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


def _has_field_data(con: duckdb.DuckDBPyConnection) -> bool:
    present = set(_rows(con, "table_names").get_column("table_name").to_list())
    return set(FIELD_TABLES) <= present


def _region_monthly(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return _rows(con, "monthly_by_part")


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


def _parts_metrics(monthly: pl.DataFrame, start: date, end: date, threshold: int) -> dict[bool, dict]:
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


def _with_age_adjusted(parts: dict[bool, dict], cells: pl.DataFrame, years: float, threshold: int) -> dict[bool, dict]:
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


def _rest_withheld(con: duckdb.DuckDBPyConnection, start: date, end: date, threshold: int) -> bool:
    """Whether the city total's rule hides the rest of Chicago over ``start``..``end``
    (:func:`pipelines.defs.epidemiology.city_total.city_rule`): the Map shows Chicago's total for
    the same months, so a rest shown here would give the deaths not placed in an area back."""
    areas = _rows(con, "area_period", {"start_month": start, "end_month": end})
    not_placed = int(_rows(con, "not_placed_period", {"start_month": start, "end_month": end}).item())
    rest_areas = areas.filter(~pl.col("in_region")).get_column("deaths")
    rule = city_total.city_rule(
        int(areas.filter(pl.col("in_region")).get_column("deaths").sum()),
        int(rest_areas.sum()),
        not_placed,
        rest_has_hidden_area=city_total.rest_has_hidden_area(rest_areas.to_list(), threshold=threshold),
        threshold=threshold,
    )
    return rule.rest_withheld


def _withheld(row: dict) -> dict:
    """A part's :func:`_with_age_adjusted` row hidden ("*"): its count and every rate."""
    hidden = {key: None for key in row if key.startswith(("rate", "age_adjusted", "deaths"))}
    return {**row, **hidden, "deaths_display": "*", "deaths_suppressed": True}


def area_frame(con: duckdb.DuckDBPyConnection, start: date, end: date, threshold: int) -> pl.DataFrame:
    """Deaths and annualised rate per community area over ``start``..``end``, suppressed.

    Complementary within the region and within the rest of the city, because the region total is
    shown on the same slide.
    """
    frame = _rows(con, "area_period", {"start_month": start, "end_month": end})
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
        rows = _rows(con, "drug_period", {"start_month": window_start, "end_month": window_end})
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
    frame = _rows(con, "strip_positivity")
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
    frame = _rows(con, "outreach_monthly")
    for measure in (*OUTREACH_MEASURES, "contacts"):
        frame = suppress(frame.with_columns(pl.col(measure).cast(pl.Int64)), measure, threshold=threshold)
    return frame


def alerts_between(con: duckdb.DuckDBPyConnection, first_day: date, last_day: date) -> tuple[Alert, ...]:
    """Weekly spike alerts whose week ends in ``first_day``..``last_day`` (public badges)."""
    rows = _rows(con, "weekly_alerts", {"start_day": first_day, "end_day": last_day})
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
    present = set(_rows(con, "table_names").get_column("table_name").to_list())
    if "area_hotspots" not in present:
        return (), None
    rows = _rows(con, "hot_spots")
    window = rows.get_column("window_label")[0] if not rows.is_empty() else None
    return tuple(rows.get_column("community_area").to_list()), window


def _value(frame: pl.DataFrame, month: date, column: str):
    rows = frame.filter(pl.col("month") == month)
    return rows.get_column(column)[0] if not rows.is_empty() else None


def _field_kpis(strips: pl.DataFrame | None, outreach: pl.DataFrame | None, month: date,
                threshold: int) -> list[Kpi]:
    """Fentanyl-strip positivity and naloxone distribution in ``month`` (field data)."""
    kpis = []
    label = format_short_month(month)
    if strips is not None:
        fentanyl = strips.filter(pl.col("strip_type") == "fentanyl", pl.col("month") == month)
        row = None if fentanyl.is_empty() else fentanyl.row(0, named=True)
        if row is None or row["tests_read_display"] == "0" or row["positivity"] is None:
            if row is None or row["tests_read_display"] == "0":
                detail = "No strips read"
            elif row["tests_read"] is None:
                detail = f"Not shown: fewer than {threshold} strips read"
            else:
                detail = f"Not shown: fewer than {threshold} positive strips of {row['tests_read_display']} read"
            kpis.append(Kpi("fentanyl_positivity", f"Fentanyl test strips positive, {label}", "—", detail))
        else:
            kpis.append(Kpi(
                "fentanyl_positivity",
                f"Fentanyl test strips positive, {label}",
                format_pct(row["positivity"]),
                f"95% CI {format_pct(row['positivity_lower'])}–{format_pct(row['positivity_upper'])} "
                f"· {row['tests_read_display']} strips read",
            ))
    if outreach is not None:
        kits = _value(outreach, month, "naloxone_kits_distributed_display")
        trained = _value(outreach, month, "people_trained_naloxone_display")
        cumulative = _value(outreach, month, "people_trained_cumulative")
        goal = _value(outreach, month, "people_trained_goal")
        detail = f"{trained or '—'} people trained in naloxone"
        if cumulative is not None and goal:
            detail += f"; {display_count(cumulative, threshold)} of {goal:,} goal"
        kpis.append(Kpi("naloxone_kits", f"Naloxone kits distributed, {label}", kits or "—", detail))
    return kpis


def build_pack_content(con: duckdb.DuckDBPyConnection, month: date | None = None) -> PackContent:
    """Gather and suppress every number of the meeting pack for ``month`` (default: last complete).

    Raises :class:`ReportDataUnavailable` when ``month`` is outside the data.
    """
    meta = read_meta(con)
    latest = last_complete_month(meta.data_to)
    month = (month or latest).replace(day=1)
    if not meta.data_from.replace(day=1) <= month <= latest:
        raise ReportDataUnavailable(
            f"{format_month(month)} is not a complete month of data "
            f"({format_short_month(meta.data_from)} to {format_short_month(latest)})"
        )
    threshold = meta.threshold
    window_start = add_months(month, -(WINDOW_MONTHS - 1))
    monthly = _region_monthly(con)
    trend = trend_frame(monthly, month, threshold)
    parts = _with_age_adjusted(
        _parts_metrics(monthly, window_start, month, threshold),
        _rows(con, "age_band_cells", {"start_month": window_start, "end_month": month}),
        period_years(window_start, add_months(month, 1)),
        threshold,
    )
    region, rest = parts.get(True), parts.get(False)
    if rest is not None and _rest_withheld(con, window_start, month, threshold):
        rest = _withheld(rest)
    year_ago = add_months(month, -12)
    this_month = trend.filter(pl.col("month") == month).row(0, named=True)
    year_ago_rows = trend.filter(pl.col("month") == year_ago)
    provisional = bool(this_month["is_provisional"])
    month_detail = (
        "Provisional: toxicology pending, the count will rise" if provisional else "Final count"
    )
    if not year_ago_rows.is_empty():
        month_detail += f" · {format_short_month(year_ago)}: {year_ago_rows.get_column('deaths_display')[0]}"
    drugs, drug_total = drug_frame(con, window_start, month, threshold)
    fentanyl = drugs.filter(pl.col("drug") == "fentanyl").row(0, named=True)
    field = _has_field_data(con)
    strips = strips_frame(con, threshold) if field else None
    outreach = outreach_frame(con, threshold) if field else None
    alerts = alerts_between(con, month, add_months(month, 1) - timedelta(days=1))
    spots, spot_window = hot_spots(con)
    window = format_period(window_start, month)
    kpis = [
        Kpi("month_deaths", f"Overdose deaths, {meta.region_label}, {format_month(month)}",
            this_month["deaths_display"], month_detail, provisional),
        *_last_final_kpi(trend, meta.region_label),
        Kpi("window_deaths", f"Overdose deaths, {meta.region_label}, {window}",
            region["deaths_display"] if region else "—",
            both_rates(region),
            month >= add_months(meta.data_to, -(meta.provisional_months - 1))),
        Kpi("rest_rate", f"Rest of Chicago, {window}",
            format_rate(rest["rate"]) if rest else "—",
            both_rates(rest)),
        Kpi("fentanyl_share", f"Deaths involving fentanyl, {window}",
            format_pct(fentanyl["share"]), f"{fentanyl['deaths_display']} of {drug_total} overdose deaths"),
        *_field_kpis(strips, outreach, month, threshold),
        Kpi("alerts", f"Spike alerts in {format_month(month)}", f"{len(alerts):,}",
            _alert_summary(alerts)),
    ]
    headline = {k.key: k.value for k in kpis}
    return PackContent(
        month=month, meta=meta, window_start=window_start, kpis=tuple(kpis), trend=trend,
        areas=area_frame(con, window_start, month, threshold), drugs=drugs,
        drug_total_display=drug_total, strips=strips, outreach=outreach, alerts=alerts,
        hot_spots=spots, hot_spot_window=spot_window, headline=headline,
        region_unknown_age=region["deaths_unknown_age_display"] if region else None,
    )


def _last_final_kpi(trend: pl.DataFrame, region_label: str) -> list[Kpi]:
    """The latest month whose count is final, when the pack's month is still provisional."""
    final = trend.filter(~pl.col("is_provisional"))
    if final.is_empty() or not trend.get_column("is_provisional")[-1]:
        return []
    row = final.row(-1, named=True)
    return [Kpi("last_final_deaths", f"Overdose deaths, {region_label}, {format_month(row['month'])}",
                row["deaths_display"], "Latest month with final counts")]


def _alert_summary(alerts: tuple[Alert, ...]) -> str:
    if not alerts:
        return "No weekly spike alert"
    areas = sorted({a.area for a in alerts})
    shown = ", ".join(areas[:3]) + (f" and {len(areas) - 3} more" if len(areas) > 3 else "")
    return f"Weekly alerts in {shown}"


def build_eblast_content(con: duckdb.DuckDBPyConnection, week: date | None = None) -> EblastContent:
    """Gather and suppress the e-blast's numbers for the week starting ``week`` (default: latest)."""
    meta = read_meta(con)
    week = week or last_complete_week(meta.data_to)
    week = week - timedelta(days=week.weekday())
    threshold = meta.threshold
    first = week - timedelta(weeks=4)
    weekly = _rows(con, "weekly_region", {"first_week": first, "last_week": week})
    this = weekly.filter(pl.col("week") == week)
    deaths = int(this.get_column("deaths").sum()) if not this.is_empty() else 0
    before = int(weekly.filter(pl.col("week") < week).get_column("deaths").sum())
    provisional_start = add_months(meta.data_to, -(meta.provisional_months - 1))
    month = week.replace(day=1) if week.replace(day=1) <= last_complete_month(meta.data_to) else \
        last_complete_month(meta.data_to)
    field = _has_field_data(con)
    strips = strips_frame(con, threshold) if field else None
    outreach = outreach_frame(con, threshold) if field else None
    spots, spot_window = hot_spots(con)
    monthly = _region_monthly(con)
    return EblastContent(
        week=week,
        meta=meta,
        week_deaths=display_count(deaths, threshold),
        week_provisional=week + timedelta(days=6) >= provisional_start,
        previous_weeks=display_count(before, threshold),
        alerts=alerts_between(con, week + timedelta(days=6), week + timedelta(days=6)),
        month=month,
        kpis=tuple(_field_kpis(strips, outreach, month, threshold)),
        trend=trend_frame(monthly, last_complete_month(meta.data_to), threshold, months=13),
        hot_spots=spots,
        hot_spot_window=spot_window,
    )

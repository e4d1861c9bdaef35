"""What the meeting pack and the e-blast say: their headline numbers (KPIs), trend, maps and tables.

Built from the published database (read and suppressed in :mod:`.published`; :func:`connect`
opens it). The renderers (:mod:`.figures`, :mod:`.pack`, :mod:`.eblast`) only ever receive display
text and numbers that are safe to show.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb
import polars as pl

from pipelines.defs.epidemiology.rates import period_years
from pipelines.defs.epidemiology.suppression import display_count
from pipelines.defs.reports.published import (
    WINDOW_MONTHS,
    Alert,
    Meta,
    ReportDataUnavailable,
    alerts_between,
    area_frame,
    drug_frame,
    has_field_data,
    hot_spots,
    outreach_frame,
    parts_metrics,
    read_meta,
    region_monthly,
    report_rows,
    rest_withheld,
    strips_frame,
    trend_frame,
    with_age_adjusted,
    withheld,
)
from pipelines.defs.reports.nowcast_lines import region_nowcast, with_expected
from pipelines.defs.reports.wording import (
    add_months,
    both_rates,
    format_month,
    format_pct,
    format_rate,
    last_complete_month,
    last_complete_week,
)
from pipelines.formatting import format_period, format_short_month
from pipelines.warehouse import open_published


@dataclass(frozen=True)
class Kpi:
    """One headline number: label, display value (already suppressed) and a one-line detail."""

    key: str
    label: str
    value: str
    detail: str
    provisional: bool = False


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


@contextmanager
def connect(app_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the published database; raises :class:`ReportDataUnavailable`."""
    if not app_db.exists():
        raise ReportDataUnavailable(f"{app_db} does not exist: run `make pipeline` first")
    with open_published(app_db) as con:
        yield con


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
    monthly = region_monthly(con)
    trend = with_expected(trend_frame(monthly, month, threshold), region_nowcast(con), threshold)
    parts = with_age_adjusted(
        parts_metrics(monthly, window_start, month, threshold),
        report_rows(con, "age_band_cells", {"start_month": window_start, "end_month": month}),
        period_years(window_start, add_months(month, 1)),
        threshold,
    )
    region, rest = parts.get(True), parts.get(False)
    # The rule reads the months of data the window covers (an archive shorter than the window).
    if rest is not None and rest_withheld(con, max(window_start, meta.data_from.replace(day=1)), month, threshold):
        rest = withheld(rest)
    year_ago = add_months(month, -12)
    this_month = trend.filter(pl.col("month") == month).row(0, named=True)
    year_ago_rows = trend.filter(pl.col("month") == year_ago)
    provisional = bool(this_month["is_provisional"])
    month_detail = (
        "Provisional: toxicology pending, the count will rise" if provisional else "Final count"
    )
    if provisional and this_month["expected_display"]:
        month_detail = f"Provisional: toxicology pending; {this_month['expected_display']}"
    if not year_ago_rows.is_empty():
        month_detail += f" · {format_short_month(year_ago)}: {year_ago_rows.get_column('deaths_display')[0]}"
    drugs, drug_total = drug_frame(con, window_start, month, threshold)
    fentanyl = drugs.filter(pl.col("drug") == "fentanyl").row(0, named=True)
    field = has_field_data(con)
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
            month >= meta.provisional_from),
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
    weekly = report_rows(con, "weekly_region", {"first_week": first, "last_week": week})
    this = weekly.filter(pl.col("week") == week)
    deaths = int(this.get_column("deaths").sum()) if not this.is_empty() else 0
    before = int(weekly.filter(pl.col("week") < week).get_column("deaths").sum())
    provisional_start = meta.provisional_from
    month = week.replace(day=1) if week.replace(day=1) <= last_complete_month(meta.data_to) else \
        last_complete_month(meta.data_to)
    field = has_field_data(con)
    strips = strips_frame(con, threshold) if field else None
    outreach = outreach_frame(con, threshold) if field else None
    spots, spot_window = hot_spots(con)
    monthly = region_monthly(con)
    return EblastContent(
        week=week,
        meta=meta,
        week_deaths=display_count(deaths, threshold),
        week_provisional=week + timedelta(days=6) >= provisional_start,
        previous_weeks=display_count(before, threshold),
        alerts=alerts_between(con, week + timedelta(days=6), week + timedelta(days=6)),
        month=month,
        kpis=tuple(_field_kpis(strips, outreach, month, threshold)),
        trend=with_expected(trend_frame(monthly, last_complete_month(meta.data_to), threshold, months=13),
                            region_nowcast(con), threshold),
        hot_spots=spots,
        hot_spot_window=spot_window,
    )

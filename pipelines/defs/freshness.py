"""Freshness of each source: a visible, failed asset check when the data is stale.

Two questions per source (Medical Examiner, test strips, outreach), two checks each:

* ``loaded_recently`` — *did the pipeline load the source recently?* The time of the source
  asset's last materialization (or observation: a pull that brought nothing new) in Dagster's run
  history, against ``ODW_FRESHNESS_ME_MAX_HOURS``
  (30: a daily pull plus slack) or ``ODW_FRESHNESS_FIELD_MAX_DAYS`` (35: field files arrive
  monthly and are loaded when they change). It reads only the Dagster instance, never the
  warehouse, so the hourly ``source_freshness_job`` can run it while nothing else runs: that is
  what notices a schedule that is off or failing.
* ``newest_record_recent`` — *is the newest record as recent as the source normally is?* The
  newest death date (ME) or test / shift date (field data) in the warehouse, against
  ``ODW_FRESHNESS_ME_MAX_RECORD_AGE_DAYS`` (14: the archive normally lags a few days) or
  ``ODW_FRESHNESS_FIELD_MAX_RECORD_AGE_DAYS`` (45: monthly spreadsheets). It runs with every run
  that rebuilds the source's staging table: a pipeline that runs fine on a portal that stopped
  publishing is caught here.

Synthetic demo data has no real calendar: it is judged as of the end of its own period (the first
day after ``ODW_DEMO_END_MONTH``, default the month before this one), so the demo passes when it is
current and fails — with a hint to regenerate it — when it is months old. Real data is judged
against today in Chicago.

Severity: stale *live* Medical Examiner data is an **ERROR** (the dashboard's main numbers stop
moving); field data and synthetic data are a **WARN** (a team may simply be late with a
spreadsheet). The checks never block: the dashboard keeps publishing what there is, and shows each
source's period itself.

Why own checks rather than Dagster's: ``build_last_update_freshness_checks`` and its sensor are
superseded in Dagster 1.13, and a ``FreshnessPolicy`` gives a UI state without a severity, a
plain-words reason or the record-age half; these checks give all three and are testable in process.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.defs.resources import SettingsResource, warehouse
from pipelines.demo.months import default_end_month
from pipelines.settings import Settings
from pipelines.warehouse import query_sql_file

CHICAGO = ZoneInfo("America/Chicago")


@dataclass(frozen=True)
class Verdict:
    """Outcome of one freshness assessment, ready to become an ``AssetCheckResult``."""

    passed: bool
    severity: dg.AssetCheckSeverity
    description: str
    metadata: dict

    def result(self) -> dg.AssetCheckResult:
        """The Dagster check result (its severity only matters when it failed)."""
        return dg.AssetCheckResult(
            passed=self.passed, severity=self.severity, description=self.description, metadata=self.metadata
        )


@dataclass(frozen=True)
class SourceFreshness:
    """One source: the asset the pipeline loads it into, its staging table and its thresholds."""

    source: str
    label: str
    loaded_asset: dg.AssetKey
    record_asset: dg.AssetKey
    record_sql: str
    record_name: str
    max_hours: Callable[[Settings], int]
    max_hours_setting: str
    max_record_age_days: Callable[[Settings], int]
    max_record_age_setting: str


SOURCES: tuple[SourceFreshness, ...] = (
    SourceFreshness(
        source="medical_examiner",
        label="Medical Examiner case archive",
        loaded_asset=dg.AssetKey(["raw", "me_records"]),
        record_asset=dg.AssetKey(["staging", "me_cases"]),
        record_sql="freshness/me_newest_record.sql",
        record_name="death date",
        max_hours=lambda s: s.freshness_me_max_hours,
        max_hours_setting="ODW_FRESHNESS_ME_MAX_HOURS",
        max_record_age_days=lambda s: s.freshness_me_max_record_age_days,
        max_record_age_setting="ODW_FRESHNESS_ME_MAX_RECORD_AGE_DAYS",
    ),
    SourceFreshness(
        source="test_strips",
        label="Test-strip results",
        loaded_asset=dg.AssetKey(["staging", "test_strips"]),
        record_asset=dg.AssetKey(["staging", "test_strips"]),
        record_sql="freshness/test_strips_newest_record.sql",
        record_name="test date",
        max_hours=lambda s: 24 * s.freshness_field_max_days,
        max_hours_setting="ODW_FRESHNESS_FIELD_MAX_DAYS",
        max_record_age_days=lambda s: s.freshness_field_max_record_age_days,
        max_record_age_setting="ODW_FRESHNESS_FIELD_MAX_RECORD_AGE_DAYS",
    ),
    SourceFreshness(
        source="outreach",
        label="Street-outreach logs",
        loaded_asset=dg.AssetKey(["staging", "outreach"]),
        record_asset=dg.AssetKey(["staging", "outreach"]),
        record_sql="freshness/outreach_newest_record.sql",
        record_name="shift date",
        max_hours=lambda s: 24 * s.freshness_field_max_days,
        max_hours_setting="ODW_FRESHNESS_FIELD_MAX_DAYS",
        max_record_age_days=lambda s: s.freshness_field_max_record_age_days,
        max_record_age_setting="ODW_FRESHNESS_FIELD_MAX_RECORD_AGE_DAYS",
    ),
)


def _span(delta: timedelta) -> str:
    """``timedelta`` in the unit a person would use: hours under three days, else days."""
    hours = delta.total_seconds() / 3600
    return f"{hours:.1f} hours" if hours < 72 else f"{hours / 24:.1f} days"


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def severity_for(source: str, synthetic: bool) -> dg.AssetCheckSeverity:
    """ERROR for stale live Medical Examiner data, WARN for field data and synthetic data."""
    return dg.AssetCheckSeverity.ERROR if source == "medical_examiner" and not synthetic else dg.AssetCheckSeverity.WARN


def assess_last_load(
    label: str,
    last_loaded: datetime | None,
    now: datetime,
    max_age: timedelta,
    setting: str,
    severity: dg.AssetCheckSeverity,
) -> Verdict:
    """Was the source loaded within ``max_age`` before ``now``? (times timezone-aware)."""
    base = {"max_age_hours": max_age.total_seconds() / 3600, "threshold_setting": setting}
    if last_loaded is None:
        return Verdict(
            False,
            severity,
            f"{label}: never loaded by the pipeline in this Dagster instance. Run the full build "
            "(`make pipeline`) or turn the schedules on.",
            {**base, "last_loaded": "never"},
        )
    age = now - last_loaded
    metadata = {
        **base,
        "last_loaded": dg.MetadataValue.timestamp(last_loaded),
        "hours_since_load": round(age.total_seconds() / 3600, 2),
    }
    when = last_loaded.astimezone(CHICAGO).strftime("%Y-%m-%d %H:%M %Z")
    if age <= max_age:
        return Verdict(
            True, severity, f"{label}: loaded {_span(age)} ago ({when}), within {_span(max_age)}.", metadata
        )
    return Verdict(
        False,
        severity,
        f"{label}: STALE — last loaded {_span(age)} ago ({when}); expected within {_span(max_age)} "
        f"({setting}). Is its schedule or sensor on, and are its runs succeeding?",
        metadata,
    )


def demo_as_of(settings: Settings, today: date) -> date:
    """The day synthetic demo data is judged on: the first day after its last month."""
    last = settings.demo_end_month or default_end_month(today)
    return date(last.year + 1, 1, 1) if last.month == 12 else date(last.year, last.month + 1, 1)


def assess_record_age(
    label: str,
    record_name: str,
    newest: date | None,
    as_of: date,
    max_days: int,
    setting: str,
    severity: dg.AssetCheckSeverity,
    synthetic: bool,
    row_count: int,
) -> Verdict:
    """Is the newest record at most ``max_days`` older than ``as_of``?"""
    judged = "the end of the synthetic demo period" if synthetic else "today (America/Chicago)"
    metadata = {
        "as_of": as_of.isoformat(),
        "judged_against": judged,
        "max_age_days": max_days,
        "threshold_setting": setting,
        "rows": row_count,
        "synthetic": synthetic,
    }
    if newest is None:
        return Verdict(
            False, severity, f"{label}: no records at all, so no {record_name} to judge.",
            {**metadata, "newest_record": "none"},
        )
    age = (as_of - newest).days
    metadata.update({"newest_record": newest.isoformat(), "age_days": age})
    if age <= max_days:
        return Verdict(
            True,
            severity,
            f"{label}: newest {record_name} {newest} is {_days(age)} before {as_of} ({judged}), "
            f"within {_days(max_days)}.",
            metadata,
        )
    hint = (
        " Regenerate the demo data (`make demo-data`) or set ODW_DEMO_END_MONTH."
        if synthetic
        else " Check that the source is still publishing and that new files or pulls arrive."
    )
    return Verdict(
        False,
        severity,
        f"{label}: STALE — newest {record_name} {newest} is {_days(age)} before {as_of} ({judged}); "
        f"expected within {_days(max_days)} ({setting}).{hint}",
        metadata,
    )


def _now() -> datetime:
    return datetime.now(UTC)


def last_loaded(instance: dg.DagsterInstance, key: dg.AssetKey) -> datetime | None:
    """When the pipeline last loaded ``key``: its latest materialisation, or its latest observation
    (a pull that brought nothing new is observed, not materialised), whichever is later."""
    times = []
    event = instance.get_latest_materialization_event(key)
    if event is not None:
        times.append(event.timestamp)
    observed = instance.fetch_observations(key, limit=1).records
    if observed:
        times.append(observed[0].timestamp)
    return datetime.fromtimestamp(max(times), UTC) if times else None


def _last_update_check(spec: SourceFreshness) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=spec.loaded_asset,
        name="loaded_recently",
        blocking=False,
        description=f"{spec.label}: the pipeline loaded it within {spec.max_hours_setting} "
        "(reads Dagster's run history only).",
    )
    def loaded_recently(context: dg.AssetCheckExecutionContext, settings: SettingsResource) -> dg.AssetCheckResult:
        cfg = settings.get()
        last = last_loaded(context.instance, spec.loaded_asset)
        synthetic = spec.source == "medical_examiner" and cfg.me_source == "demo"
        return assess_last_load(
            spec.label,
            last,
            _now(),
            timedelta(hours=spec.max_hours(cfg)),
            spec.max_hours_setting,
            severity_for(spec.source, synthetic),
        ).result()

    return loaded_recently


def _record_age_check(spec: SourceFreshness) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=spec.record_asset,
        name="newest_record_recent",
        blocking=False,
        description=f"{spec.label}: the newest {spec.record_name} is at most "
        f"{spec.max_record_age_setting} days old (synthetic data: as of the end of its period).",
    )
    def newest_record_recent(duckdb: DuckDBResource, settings: SettingsResource) -> dg.AssetCheckResult:
        cfg = settings.get()
        with warehouse(duckdb, cfg) as con:
            row = query_sql_file(con, spec.record_sql).fetchall()[0]
        newest, row_count = row[0], int(row[1])
        synthetic = cfg.me_source == "demo" if spec.source == "medical_examiner" else bool(row[2])
        today = _now().astimezone(CHICAGO).date()
        as_of = demo_as_of(cfg, today) if synthetic else today
        return assess_record_age(
            spec.label,
            spec.record_name,
            newest,
            as_of,
            spec.max_record_age_days(cfg),
            spec.max_record_age_setting,
            severity_for(spec.source, synthetic),
            synthetic,
            row_count,
        ).result()

    return newest_record_recent


#: Checks on when each source was last loaded (Dagster history only; safe to run any time).
LAST_LOAD_CHECKS: Sequence[dg.AssetChecksDefinition] = [_last_update_check(s) for s in SOURCES]
#: Checks on the newest record of each source (read the warehouse; run with the source's runs).
RECORD_AGE_CHECKS: Sequence[dg.AssetChecksDefinition] = [_record_age_check(s) for s in SOURCES]
FRESHNESS_CHECKS = [*LAST_LOAD_CHECKS, *RECORD_AGE_CHECKS]

"""Settings read from the environment (and an optional `.env` file) — the only place that reads it.

Every path and switch the pipeline and the dashboard use comes from one `Settings` object, so a
deployment changes behaviour by environment variables alone. Each setting is declared once, below,
with its variable, its default as one would write it, its parser, its group and what it means; the
configuration reference (``python -m pipelines.settings_reference``) is generated from these
declarations, and :func:`load_settings` reads the environment through them.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from dotenv import load_dotenv

from pipelines.setting_spec import GROUPS, Setting, setting
from pipelines.setting_values import (
    AREAS,
    COLUMN_MAP,
    FLAG,
    ITEMS,
    MEMORY_SIZE,
    MONTH,
    MUNICIPALITIES,
    PATH,
    PROJECT_ROOT,
    SECRET,
    TEXT,
    above_zero,
    choice,
    http_url,
    parse_area_list,
    parse_municipalities,
    whole,
)

__all__ = [
    "GROUPS",
    "PROJECT_ROOT",
    "SETTINGS",
    "Setting",
    "Settings",
    "load_settings",
    "parse_area_list",
    "parse_municipalities",
]

# Short names of the groups above, in the same order, for the declarations below.
PATHS, ME, GEO, REGION, CHECKS, FIELD, HOTSPOTS, MAIL, UNATTENDED, MEMORY = GROUPS


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Resolved configuration. Build it with :func:`load_settings`."""

    # --- Paths --------------------------------------------------------------------------------------
    warehouse: Path = setting(
        "ODW_WAREHOUSE", "data/warehouse.duckdb", PATH, PATHS,
        "The DuckDB warehouse the pipeline writes. Only the pipeline opens it; the dashboard reads a copy.",
    )
    app_db: Path = setting(
        "ODW_APP_DB", None, PATH, PATHS,
        "The copy of the published tables that the dashboard reads, read-only. The pipeline replaces it "
        "in one step at the end of a run, so readers never see a half-written database.",
        default_text="`app.duckdb` beside `ODW_WAREHOUSE`",
        derive=lambda s: s["warehouse"].with_name("app.duckdb"),
    )
    raw_dir: Path = setting(
        "ODW_RAW_DIR", "data_raw", PATH, PATHS,
        "Inputs exactly as received: Medical Examiner pulls (`medical_examiner/`), every geocoder answer "
        "(`geocoder/`), the field-data folders (`test_strips/`, `outreach/`, `hotspots/`) and the demo "
        "inputs (`demo/`). Keep it: it is the record of what came in.",
    )
    refused_dir: Path = setting(
        "ODW_REFUSED_DIR", "data/refused", PATH, PATHS,
        "Where a field-data file refused by the pipeline (personal data, unreadable) is moved out of "
        "`ODW_RAW_DIR`, readable by the pipeline's user only, until `ODW_REFUSED_RETENTION_DAYS` have passed. "
        "Keep it outside `ODW_RAW_DIR`.",
    )
    output_dir: Path = setting(
        "ODW_OUTPUT_DIR", "output", PATH, PATHS,
        "Generated reports: the monthly meeting pack (`meeting_pack/`) and the weekly e-blast (`eblast/`).",
    )
    dagster_home: Path = setting(
        "DAGSTER_HOME", ".dagster_home", PATH, PATHS,
        "Where Dagster keeps run history, schedule on/off state and sensor cursors, and `make pipeline` "
        "its DEBUG logs (`run_logs/`); on a server it must persist. The Makefile sets it; the dashboard's Data quality page reads check results from it, "
        "read-only. Dagster's own name, hence no `ODW_` prefix.",
    )
    # --- Medical Examiner source ---------------------------------------------------------------------
    me_source: str = setting(
        "ODW_ME_SOURCE", "demo", choice("demo", "live"), ME,
        "`demo` reads the synthetic archive of the demo generator; `live` pulls the real archive from "
        "the Socrata portal.",
    )
    socrata_base_url: str = setting(
        "ODW_SOCRATA_BASE_URL", "https://datacatalog.cookcountyil.gov", http_url(strip_slash=True), ME,
        "The portal the archive is pulled from (any server speaking SODA 2.1).",
    )
    socrata_app_token: str | None = setting(
        "SOCRATA_APP_TOKEN", None, SECRET, ME,
        "Socrata app token, sent in the `X-App-Token` header so the portal does not throttle the pulls. "
        "Optional; never logged or stored. Socrata's own name, hence no `ODW_` prefix.",
        secret=True,
    )
    me_dataset_id: str = setting(
        "ODW_ME_DATASET_ID", "cjeq-bs86", TEXT, ME,
        "The portal's identifier of the Medical Examiner case archive.",
    )
    socrata_page_size: int = setting(
        "ODW_SOCRATA_PAGE_SIZE", "50000", whole(1, 50_000, "the SODA 2.1 maximum"), ME,
        "Records asked for per request (`$limit`).",
    )
    socrata_max_retries: int = setting(
        "ODW_SOCRATA_MAX_RETRIES", "6", whole(0), ME,
        "Retries of one request after a 429, a 5xx answer, a time-out or invalid JSON, with growing, "
        "randomised pauses.",
    )
    me_full_refresh: bool = setting(
        "ODW_ME_FULL_REFRESH", "false", FLAG, ME,
        "`true` pulls the whole archive again instead of only what changed since the last pull.",
    )
    rebuild_unchanged: bool = setting(
        "ODW_REBUILD_UNCHANGED", "false", FLAG, ME,
        "`true` rebuilds what is otherwise skipped when its inputs are unchanged: the steps after a "
        "Medical Examiner pull with no new record, and the meeting pack (see Performance).",
    )
    demo_end_month: date | None = setting(
        "ODW_DEMO_END_MONTH", None, MONTH, ME,
        "Last month of the synthetic demo data (Medical Examiner archive and field data).",
        default_text="last month",
    )
    demo_pulls: int = setting(
        "ODW_DEMO_PULLS", "40", whole(0, 240), ME,
        "Monthly pulls in the synthetic demo's history (ending in its last month); 0 gives the demo file "
        "alone, as one pull.",
    )
    # --- Geocoding ------------------------------------------------------------------------------------
    geocoder: str = setting(
        "ODW_GEOCODER", "off", choice("off", "census"), GEO,
        "`off` sends nothing anywhere. `census` sends the street, city, state and ZIP of Chicago deaths "
        "that have neither coordinates nor a community area to the US Census Bureau's batch geocoder, "
        "and places them from its answer.",
    )
    geocoder_url: str = setting(
        "ODW_GEOCODER_URL", "https://geocoding.geo.census.gov/geocoder", http_url(strip_slash=True), GEO,
        "The geocoder's base URL (any server answering `POST …/locations/addressbatch` as the Census "
        "batch service does).",
    )
    geocoder_benchmark: str = setting(
        "ODW_GEOCODER_BENCHMARK", "Public_AR_Current", TEXT, GEO,
        "The Census benchmark (edition of the address ranges) asked for; recorded with every answer.",
    )
    geocoder_batch_size: int = setting(
        "ODW_GEOCODER_BATCH_SIZE", "1000", whole(1, 10_000, "the service's limit"), GEO,
        "Addresses per batch request; the answers are saved after every batch.",
    )
    geocoder_timeout_seconds: float = setting(
        "ODW_GEOCODER_TIMEOUT_SECONDS", "300", above_zero(3600.0), GEO,
        "Seconds to wait for one batch answer (the service can take minutes for a large batch).",
    )
    geocoder_max_retries: int = setting(
        "ODW_GEOCODER_MAX_RETRIES", "6", whole(0, 20), GEO,
        "Retries of one batch request after a 429, a 5xx answer, a time-out, a dropped connection or a "
        "garbled answer, with growing, randomised pauses.",
    )
    # --- Region and publication -----------------------------------------------------------------------
    boundaries_source: str = setting(
        "ODW_BOUNDARIES_SOURCE", "bundled", choice("bundled", "portal"), REGION,
        "`bundled` uses the community-area boundaries shipped with the project (libpysal `Chicago77`); "
        "`portal` downloads them from the City of Chicago and falls back to the bundled ones, with a "
        "warning, when it cannot.",
    )
    boundaries_url: str = setting(
        "ODW_BOUNDARIES_URL", "https://data.cityofchicago.org/resource/igwz-8jzy.geojson", http_url(), REGION,
        "Where `portal` boundaries are downloaded from (GeoJSON).",
    )
    region_areas: tuple[int, ...] = setting(
        "ODW_REGION_AREAS", "23-31", AREAS, REGION,
        "The region's Chicago community areas; the West Side is 23–31.",
    )
    region_municipalities: tuple[str, ...] = setting(
        "ODW_REGION_MUNICIPALITIES", "", MUNICIPALITIES, REGION,
        "Suburbs added to the region by name, e.g. `Cicero,Oak Park,Berwyn`. Their deaths are counted, "
        "but no rates are given for them: the population reference covers Chicago only.",
    )
    suppress_below: int = setting(
        "ODW_SUPPRESS_BELOW", "10", whole(1), REGION,
        "Public views hide counts from 1 up to one less than this (shown as \"<10\" with the default), "
        "and any figure that would reveal them.",
    )
    provisional_months: int = setting(
        "ODW_PROVISIONAL_MONTHS", "3", whole(0), REGION,
        "The latest months marked provisional: toxicology is still pending for many deaths, so their "
        "counts are too low and will rise.",
    )
    nowcast_complete_months: int = setting(
        "ODW_NOWCAST_COMPLETE_MONTHS", "12", whole(1, 36), REGION,
        "Nowcast: a death month's count is taken as final this many months after the month ends (the "
        "count the nowcast predicts and the backtest scores against).",
    )
    nowcast_window_months: int = setting(
        "ODW_NOWCAST_WINDOW_MONTHS", "12", whole(3, 60), REGION,
        "Nowcast: the most recent death months each reporting-delay factor is estimated from.",
    )
    nowcast_method: str = setting(
        "ODW_NOWCAST_METHOD", "pending", choice("pending", "chain_ladder"), REGION,
        "Nowcast: `pending` expects a learnt share of the cases still pending investigation to join "
        "each count (beta-binomial ranges); `chain_ladder` scales each count by its learnt completeness "
        "(negative-binomial ranges). The Data quality page shows the backtest of the one in use.",
    )
    nowcast_min_vintages: int = setting(
        "ODW_NOWCAST_MIN_VINTAGES", "12", whole(1), REGION,
        "Nowcast: backtested pulls needed before the public views show expected counts.",
    )
    nowcast_coverage_min: float = setting(
        "ODW_NOWCAST_COVERAGE_MIN", "0.80", above_zero(1.0), REGION,
        "Nowcast: lowest backtest coverage of the 90% ranges at which the expected counts are shown.",
    )
    nowcast_coverage_max: float = setting(
        "ODW_NOWCAST_COVERAGE_MAX", "0.97", above_zero(1.0), REGION,
        "Nowcast: highest backtest coverage of the 90% ranges at which the expected counts are shown "
        "(higher means the ranges are wider than they need be).",
    )
    # --- Data-quality and freshness checks ------------------------------------------------------------
    min_placed_share: float = setting(
        "ODW_MIN_PLACED_SHARE", "0.85", above_zero(1.0), CHECKS,
        "Data-quality check: at least this share of Chicago deaths must be placed in a community area "
        "(by the archive or by geocoding).",
    )
    min_opioid_flag_agreement: float = setting(
        "ODW_MIN_OPIOID_FLAG_AGREEMENT", "0.85", above_zero(1.0), CHECKS,
        "Data-quality check (a warning): the archive's opioid flag must agree with the project's text "
        "classification on at least this share of overdose deaths.",
    )
    freshness_me_max_hours: int = setting(
        "ODW_FRESHNESS_ME_MAX_HOURS", "30", whole(1), CHECKS,
        "Freshness check: the Medical Examiner archive must have been loaded within this many hours "
        "(a daily pull plus slack).",
    )
    freshness_me_max_record_age_days: int = setting(
        "ODW_FRESHNESS_ME_MAX_RECORD_AGE_DAYS", "14", whole(1), CHECKS,
        "Freshness check: the newest death in the archive may be at most this many days old.",
    )
    freshness_field_max_days: int = setting(
        "ODW_FRESHNESS_FIELD_MAX_DAYS", "35", whole(1), CHECKS,
        "Freshness check: test strips and outreach logs must have been loaded within this many days.",
    )
    freshness_field_max_record_age_days: int = setting(
        "ODW_FRESHNESS_FIELD_MAX_RECORD_AGE_DAYS", "45", whole(1), CHECKS,
        "Freshness check: the newest test-strip or outreach row may be at most this many days old.",
    )
    # --- Field data -----------------------------------------------------------------------------------
    field_max_bytes: int = setting(
        "ODW_FIELD_MAX_BYTES", "20000000", whole(1), FIELD,
        "Field-data files larger than this many bytes are refused unread.",
    )
    field_max_rows: int = setting(
        "ODW_FIELD_MAX_ROWS", "100000", whole(1), FIELD,
        "Field-data files with more data rows than this are refused (this bounds spreadsheets too).",
    )
    refused_retention_days: int = setting(
        "ODW_REFUSED_RETENTION_DAYS", "7", whole(0, 365), FIELD,
        "Refused field-data files are deleted from `ODW_REFUSED_DIR` this many days after the refusal.",
    )
    upload_max_bytes: int = setting(
        "ODW_UPLOAD_MAX_BYTES", "5000000", whole(1000, 200_000_000), FIELD,
        "The largest file a member may submit on the dashboard's Submit field data page, in bytes. "
        "Streamlit's own upload limit (`server.maxUploadSize` in `.streamlit/config.toml`, in MB) must not be lower.",
    )
    field_drop_columns: tuple[str, ...] = setting(
        "ODW_FIELD_DROP_COLUMNS", "", ITEMS, FIELD,
        "Column headers dropped on arrival and never read, e.g. `Notes,Staff initials`.",
    )
    field_column_map: tuple[tuple[str, str], ...] = setting(
        "ODW_FIELD_COLUMN_MAP", "", COLUMN_MAP, FIELD,
        "Extra names for template columns, e.g. `Site code=hotspot_id, Kits=naloxone_kits_distributed`.",
    )
    naloxone_trained_goal: int = setting(
        "ODW_NALOXONE_TRAINED_GOAL", "18000", whole(1), FIELD,
        "The task force's milestone of people trained to use naloxone (cumulative).",
    )
    naloxone_trained_baseline: int = setting(
        "ODW_NALOXONE_TRAINED_BASELINE", "0", whole(0), FIELD,
        "People trained before the first outreach log the pipeline holds; added to the cumulative count.",
    )
    # --- Hot spots and alerts -------------------------------------------------------------------------
    h3_resolution: int = setting(
        "ODW_H3_RESOLUTION", "8", whole(5, 10), HOTSPOTS,
        "Size of the hexagons of the map and of the hot-spot analysis (H3 resolution; 8: about 0.74 km² each).",
    )
    hotspot_permutations: int = setting(
        "ODW_HOTSPOT_PERMUTATIONS", "999", whole(999, 99_999), HOTSPOTS,
        "Random reshuffles behind every hot-spot p-value; more give steadier p-values and take longer.",
    )
    hotspot_fdr: float = setting(
        "ODW_HOTSPOT_FDR", "0.05", above_zero(0.5), HOTSPOTS,
        "False-discovery rate: among the places called hot or cold, at most about this share are expected "
        "to be so by chance.",
    )
    hotspot_window_months: int = setting(
        "ODW_HOTSPOT_WINDOW_MONTHS", "3", whole(1, 12), HOTSPOTS,
        "Length in months of each hot-spot time window.",
    )
    emerging_steps: int = setting(
        "ODW_EMERGING_STEPS", "12", whole(4, 40), HOTSPOTS,
        "Consecutive windows the emerging-hot-spot trend looks at (12 windows of 3 months: three years).",
    )
    alert_min_sigma: float = setting(
        "ODW_ALERT_MIN_SIGMA", "1.0", above_zero(100.0), HOTSPOTS,
        "The smallest standard deviation the spike alerts use, so that a baseline of zeros cannot alarm "
        "on a single death.",
    )
    alert_min_count: int = setting(
        "ODW_ALERT_MIN_COUNT", "3", whole(1), HOTSPOTS,
        "No spike alert for a period with fewer deaths (or positive strips) than this.",
    )
    # --- E-mail and webhooks --------------------------------------------------------------------------
    alert_webhook_url: str | None = setting(
        "ODW_ALERT_WEBHOOK_URL", None, http_url(), MAIL,
        "New spike alerts are POSTed here as JSON with a `text` field (a Slack- or Teams-style incoming "
        "webhook). A secret: such URLs carry their token.",
        secret=True,
    )
    smtp_host: str | None = setting(
        "ODW_SMTP_HOST", None, TEXT, MAIL,
        "The mail server for alert, e-blast and failure e-mails. E-mail is off unless this and the "
        "recipients are set.",
    )
    smtp_port: int = setting(
        "ODW_SMTP_PORT", "587", whole(1, 65535), MAIL,
        "The mail server's port.",
    )
    smtp_user: str | None = setting(
        "ODW_SMTP_USER", None, TEXT, MAIL,
        "User name for logging in to the mail server; no login when unset.",
    )
    smtp_password: str | None = setting(
        "SMTP_PASSWORD", None, SECRET, MAIL,
        "Password for logging in to the mail server. Never logged.",
        secret=True,
    )
    smtp_from: str = setting(
        "ODW_SMTP_FROM", "overdose-watch@localhost", TEXT, MAIL,
        "Sender address of every e-mail.",
    )
    smtp_to: tuple[str, ...] = setting(
        "ODW_SMTP_TO", "", ITEMS, MAIL,
        "Recipients of spike-alert e-mails.",
    )
    smtp_starttls: bool = setting(
        "ODW_SMTP_STARTTLS", "true", FLAG, MAIL,
        "Encrypt the connection (STARTTLS) before logging in; turn off only for a local relay.",
    )
    eblast_send: bool = setting(
        "ODW_EBLAST_SEND", "false", FLAG, MAIL,
        "`true` e-mails each week's e-blast once, through the `ODW_SMTP_*` server.",
    )
    eblast_to: tuple[str, ...] = setting(
        "ODW_EBLAST_TO", None, ITEMS, MAIL,
        "Recipients of the weekly e-blast.",
        default_text="the `ODW_SMTP_TO` recipients",
        derive=lambda s: s["smtp_to"],
    )
    failure_webhook_url: str | None = setting(
        "ODW_FAILURE_WEBHOOK_URL", None, http_url(), MAIL,
        "Failed pipeline runs are POSTed here as JSON with a `text` field; off when unset. A secret: such "
        "URLs carry their token.",
        secret=True,
    )
    failure_email_to: tuple[str, ...] = setting(
        "ODW_FAILURE_EMAIL_TO", "", ITEMS, MAIL,
        "Failed pipeline runs are e-mailed to these addresses through the `ODW_SMTP_*` server; off when unset.",
    )
    # --- Running unattended ---------------------------------------------------------------------------
    schedules_running: bool = setting(
        "ODW_SCHEDULES_RUNNING", "false", FLAG, UNATTENDED,
        "`true`: the schedules start switched on (a server). Off, a laptop never starts pulling or "
        "e-mailing by itself. A toggle made in the Dagster UI wins over this.",
    )
    pull_step_retries: int = setting(
        "ODW_PULL_STEP_RETRIES", "3", whole(0, 10), UNATTENDED,
        "A Medical Examiner pull that failed on a network error is retried this many times.",
    )
    pull_step_retry_delay_seconds: float = setting(
        "ODW_PULL_STEP_RETRY_DELAY_SECONDS", "60", above_zero(3600.0), UNATTENDED,
        "First pause before such a retry, in seconds; it grows with each retry (about 1, 3, 7 minutes).",
    )
    dagster_url: str | None = setting(
        "ODW_DAGSTER_URL", None, http_url(strip_slash=True), UNATTENDED,
        "Address of the Dagster UI, e.g. `http://watch.example.org:3000`, so failure notices link to the run "
        "and members can start the field-data job from the dashboard's Submit field data page (GraphQL API).",
    )
    signin_max_failures_per_minute: int = setting(
        "ODW_SIGNIN_MAX_FAILURES_PER_MINUTE", "30", whole(1, 1000), UNATTENDED,
        "Dashboard member sign-in: at most this many wrong passwords a minute for the whole app (every "
        "address and session together); beyond that, password sign-in pauses for everyone until the minute "
        "has room again. Each address is also locked after 5 wrong passwords, for a doubling time.",
    )
    # --- Memory -------------------------------------------------------------------------------------
    warehouse_memory_limit: str = setting(
        "ODW_WAREHOUSE_MEMORY_LIMIT", "700MB", MEMORY_SIZE, MEMORY,
        "DuckDB's memory limit in every pipeline step; larger work spills to a temporary folder beside the "
        "warehouse instead of growing the process.",
    )

    @property
    def geocoder_dir(self) -> Path:
        """Where every geocoder answer is kept (survives a rebuild of the warehouse)."""
        return self.raw_dir / "geocoder"

    @property
    def me_raw_dir(self) -> Path:
        """Where Medical Examiner pulls are kept as received (one folder per pull)."""
        return self.raw_dir / "medical_examiner"

    @property
    def demo_dir(self) -> Path:
        """Where the deterministic demo generator writes its inputs."""
        return self.raw_dir / "demo"


#: Every setting, in declaration order, with its ``Settings`` attribute name.
SETTINGS: tuple[Setting, ...] = tuple(
    dataclasses.replace(f.metadata["setting"], name=f.name) for f in dataclasses.fields(Settings)
)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read settings from ``environ`` (default: the process environment plus an optional ``.env``).

    A variable that is unset or blank takes its default. A bad value raises ``ValueError`` naming the
    variable, what it accepts and the value found.
    """
    if environ is None:
        load_dotenv(PROJECT_ROOT / ".env", override=False)
        environ = os.environ
    values: dict[str, object] = {}
    # Derived defaults read other settings, so those are resolved first.
    for spec in sorted(SETTINGS, key=lambda s: s.derive is not None):
        values[spec.name] = spec.value(environ.get(spec.env), values)
    return Settings(**values)

"""Settings read from the environment (and an optional `.env` file) — the only place that reads it.

Every path and switch the pipeline and the dashboard use comes from one `Settings` object, so a
deployment changes behaviour by environment variables alone (see README, "Configuration").
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from dotenv import load_dotenv

#: The repository root: relative paths in the environment are resolved against it.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

ME_DATASET_ID = "cjeq-bs86"
DEFAULT_SOCRATA_BASE_URL = "https://datacatalog.cookcountyil.gov"
DEFAULT_BOUNDARIES_URL = "https://data.cityofchicago.org/resource/igwz-8jzy.geojson"
DEFAULT_REGION = "23-31"
DEFAULT_GEOCODER_URL = "https://geocoding.geo.census.gov/geocoder"
DEFAULT_GEOCODER_BENCHMARK = "Public_AR_Current"


def parse_area_list(spec: str) -> tuple[int, ...]:
    """Parse a community-area list such as ``"23-31"`` or ``"23,24,28-31"`` into sorted numbers.

    Raises ``ValueError`` naming the bad part when a number is outside 1–77.
    """
    numbers: set[int] = set()
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        match = re.fullmatch(r"(\d+)\s*(?:-\s*(\d+))?", part)
        if not match:
            raise ValueError(f"bad community-area list part {part!r} (expected e.g. '23-31' or '23,25')")
        low = int(match.group(1))
        high = int(match.group(2) or low)
        if not (1 <= low <= high <= 77):
            raise ValueError(f"community areas must be 1-77, got {part!r}")
        numbers.update(range(low, high + 1))
    if not numbers:
        raise ValueError("the region names no community area")
    return tuple(sorted(numbers))


def parse_municipalities(spec: str) -> tuple[str, ...]:
    """Parse ``"Cicero, oak park"`` into title-cased municipality names, as staging spells them."""
    names = {" ".join(part.split()).title() for part in spec.split(",") if part.strip()}
    return tuple(sorted(names))


def _path(value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else PROJECT_ROOT / path


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    value = value.strip().lower()
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
    return value


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _positive_int(name: str, value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(f"{name} must be a positive whole number, got {value!r}")
    return number


def _list(value: str) -> tuple[str, ...]:
    """Comma-separated items, stripped, empty ones left out."""
    return tuple(item.strip() for item in value.split(",") if item.strip())


def _bounded_int(name: str, value: str, low: int, high: int) -> int:
    number = int(value)
    if not low <= number <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}, got {value!r}")
    return number


def _fraction(name: str, value: str, high: float = 1.0) -> float:
    number = float(value)
    if not 0.0 < number <= high:
        raise ValueError(f"{name} must be above 0 and at most {high}, got {value!r}")
    return number


def _webhook_url(value: str | None, name: str = "ODW_ALERT_WEBHOOK_URL") -> str | None:
    """An http(s) URL, or None when unset — any other scheme is a configuration error."""
    if not value or not value.strip():
        return None
    url = value.strip()
    if not re.match(r"https?://[^\s/]+", url):
        raise ValueError(f"{name} must be an http:// or https:// URL, got {url!r}")
    return url


def _http_url(value: str, name: str) -> str:
    """A required http(s) base URL, without a trailing slash."""
    url = _webhook_url(value, name)
    if url is None:
        raise ValueError(f"{name} must be an http:// or https:// URL, got {value!r}")
    return url.rstrip("/")


def _memory_size(name: str, value: str) -> str:
    """A DuckDB memory size such as ``1GB``, ``768MB`` or ``1.5GiB`` (at least 100 MB)."""
    text = value.strip().replace(" ", "")
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(KB|MB|GB|KiB|MiB|GiB)", text, flags=re.IGNORECASE)
    if not match:
        raise ValueError(f"{name} must be a size such as 1GB or 768MB, got {value!r}")
    factor = {"kb": 1e3, "mb": 1e6, "gb": 1e9, "kib": 2**10, "mib": 2**20, "gib": 2**30}[match.group(2).lower()]
    if float(match.group(1)) * factor < 100e6:
        raise ValueError(f"{name} must be at least 100MB, got {value!r}")
    return text


def _column_map(value: str) -> tuple[tuple[str, str], ...]:
    """``"Site code=hotspot_id, Kits=naloxone_kits_distributed"`` as ``(header, field)`` pairs."""
    pairs = []
    for item in _list(value):
        header, sep, target = item.partition("=")
        if not sep or not header.strip() or not target.strip():
            raise ValueError(f"ODW_FIELD_COLUMN_MAP item {item!r} must look like 'Header=field'")
        pairs.append((header.strip(), target.strip()))
    return tuple(pairs)


@dataclass(frozen=True)
class Settings:
    """Resolved configuration. Build it with :func:`load_settings`."""

    warehouse: Path
    app_db: Path
    raw_dir: Path
    output_dir: Path
    me_source: str
    socrata_base_url: str
    socrata_app_token: str | None = field(repr=False)
    me_dataset_id: str
    socrata_page_size: int
    socrata_max_retries: int
    me_full_refresh: bool
    boundaries_source: str
    boundaries_url: str
    region_areas: tuple[int, ...]
    region_municipalities: tuple[str, ...]
    suppress_below: int
    provisional_months: int
    min_placed_share: float
    min_opioid_flag_agreement: float
    demo_end_month: date | None
    #: Field-data files (test strips, outreach, hot spots) larger than this are refused unread.
    field_max_bytes: int = 20_000_000
    #: Field-data files with more data rows than this are refused (bounds XLSX decompression too).
    field_max_rows: int = 100_000
    #: Field-data column headers configured to be dropped on ingest (never read into the warehouse).
    field_drop_columns: tuple[str, ...] = ()
    #: Extra field-data header synonyms: ``(header, field)`` pairs, e.g. ``("Site code", "hotspot_id")``.
    field_column_map: tuple[tuple[str, str], ...] = ()
    #: The task force's naloxone-training milestone (people trained, cumulative).
    naloxone_trained_goal: int = 18_000
    #: People trained before the first outreach log the pipeline holds (added to the cumulative count).
    naloxone_trained_baseline: int = 0
    # --- Hot spots and spike alerts (pipelines/defs/hotspots; README "Hot spots and spike alerts") -----------------
    #: H3 grid resolution of the hex layer and the hex hot-spot analysis (8: cells of ~0.74 km²).
    h3_resolution: int = 8
    #: Conditional permutations behind every hot-spot p-value (the pipeline never uses fewer than 999).
    hotspot_permutations: int = 999
    #: False-discovery rate (Benjamini–Hochberg) at which a hot or cold spot is called significant.
    hotspot_fdr: float = 0.05
    #: Length in months of each hot-spot time window.
    hotspot_window_months: int = 3
    #: Number of consecutive windows the emerging-hot-spot classification looks at.
    emerging_steps: int = 12
    #: Smallest standard deviation EARS C1/C2/C3 use, so a flat baseline of zeros cannot alert on one death.
    alert_min_sigma: float = 1.0
    #: No spike alert for a period with fewer deaths (or positive strips) than this.
    alert_min_count: int = 3
    #: Webhook that new alerts are POSTed to (JSON); None = off. Kept out of repr: webhook URLs
    #: usually carry their secret in the path.
    alert_webhook_url: str | None = field(default=None, repr=False)
    #: SMTP server for alert e-mails; e-mail is off unless both host and recipients are set.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_from: str = "overdose-watch@localhost"
    smtp_to: tuple[str, ...] = ()
    #: Upgrade the SMTP connection with STARTTLS before logging in (turn off only for a local relay).
    smtp_starttls: bool = True
    #: Weekly e-blast (pipelines/defs/reports): send it by e-mail (through ODW_SMTP_*); off by default.
    eblast_send: bool = False
    #: E-blast recipients; empty means the alert recipients ``smtp_to``.
    eblast_to: tuple[str, ...] = ()
    # --- Running unattended (pipelines/defs/schedules.py, freshness.py, retries.py, run_failure.py) ------
    #: Schedules start switched on where Dagster holds no state for them yet (a server); off on a laptop.
    schedules_running: bool = False
    #: Freshness: the Medical Examiner pull must have run within this many hours (daily pull + slack).
    freshness_me_max_hours: int = 30
    #: Freshness: the newest Medical Examiner death date may be at most this many days old.
    freshness_me_max_record_age_days: int = 14
    #: Freshness: test strips / outreach must have been loaded within this many days.
    freshness_field_max_days: int = 35
    #: Freshness: the newest test-strip / outreach row may be at most this many days old.
    freshness_field_max_record_age_days: int = 45
    #: A Medical Examiner pull that failed on a network error is retried this many times by Dagster.
    pull_step_retries: int = 3
    #: Base delay of those retries; it grows exponentially (1×, 3×, 7× …) with ± jitter.
    pull_step_retry_delay_seconds: float = 60.0
    #: Webhook that failed pipeline runs are POSTed to (JSON with ``text``); None = off.
    failure_webhook_url: str | None = field(default=None, repr=False)
    #: Recipients of failed-run e-mails (through the ``ODW_SMTP_*`` server); empty = off.
    failure_email_to: tuple[str, ...] = ()
    #: Base URL of the Dagster UI, for a link to the failed run in notifications (optional).
    dagster_url: str | None = None
    #: Dagster's home (run history, check results): the Data quality page reads the latest asset-check
    #: results from it, read-only. ``make`` sets ``DAGSTER_HOME``; the default matches the Makefile.
    dagster_home: Path = PROJECT_ROOT / ".dagster_home"
    #: DuckDB's memory limit in every pipeline step (e.g. ``700MB``): larger work spills to a temporary
    #: folder beside the warehouse instead of growing the process (issue #8: rebuild peak ≤ 1.5 GB).
    warehouse_memory_limit: str = "700MB"
    # --- Geocoding address-only Chicago deaths (pipelines/defs/geography/geocoder.py; README) ------
    #: ``off``: nothing is sent anywhere; ``census``: street, city, state and ZIP of Chicago deaths
    #: without coordinates or area go to the US Census Bureau's batch geocoder.
    geocoder: str = "off"
    geocoder_url: str = DEFAULT_GEOCODER_URL
    geocoder_benchmark: str = DEFAULT_GEOCODER_BENCHMARK
    #: Addresses per batch request (the Census batch service takes at most 10,000).
    geocoder_batch_size: int = 1000
    #: Seconds to wait for one batch answer (the service can take minutes for a large batch).
    geocoder_timeout_seconds: float = 300.0
    #: Retries per batch request (429, 5xx, time-outs, garbled answers), with backoff and jitter.
    geocoder_max_retries: int = 6

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


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read settings from ``environ`` (default: the process environment plus an optional ``.env``)."""
    if environ is None:
        load_dotenv(PROJECT_ROOT / ".env", override=False)
        environ = dict(os.environ)
    env = environ.get
    warehouse = _path(env("ODW_WAREHOUSE", "data/warehouse.duckdb"))
    page_size = int(env("ODW_SOCRATA_PAGE_SIZE", "50000"))
    if not 1 <= page_size <= 50000:
        raise ValueError("ODW_SOCRATA_PAGE_SIZE must be between 1 and 50000 (the SODA 2.1 maximum)")
    demo_end = env("ODW_DEMO_END_MONTH")
    return Settings(
        warehouse=warehouse,
        app_db=_path(env("ODW_APP_DB", str(warehouse.with_name("app.duckdb")))),
        raw_dir=_path(env("ODW_RAW_DIR", "data_raw")),
        output_dir=_path(env("ODW_OUTPUT_DIR", "output")),
        me_source=_choice("ODW_ME_SOURCE", env("ODW_ME_SOURCE", "demo"), ("demo", "live")),
        socrata_base_url=env("ODW_SOCRATA_BASE_URL", DEFAULT_SOCRATA_BASE_URL).rstrip("/"),
        socrata_app_token=env("SOCRATA_APP_TOKEN") or None,
        me_dataset_id=env("ODW_ME_DATASET_ID", ME_DATASET_ID),
        socrata_page_size=page_size,
        socrata_max_retries=int(env("ODW_SOCRATA_MAX_RETRIES", "6")),
        me_full_refresh=_bool(env("ODW_ME_FULL_REFRESH", "false")),
        boundaries_source=_choice(
            "ODW_BOUNDARIES_SOURCE", env("ODW_BOUNDARIES_SOURCE", "bundled"), ("bundled", "portal")
        ),
        boundaries_url=env("ODW_BOUNDARIES_URL", DEFAULT_BOUNDARIES_URL),
        region_areas=parse_area_list(env("ODW_REGION_AREAS", DEFAULT_REGION)),
        region_municipalities=parse_municipalities(env("ODW_REGION_MUNICIPALITIES", "")),
        suppress_below=int(env("ODW_SUPPRESS_BELOW", "10")),
        provisional_months=int(env("ODW_PROVISIONAL_MONTHS", "3")),
        min_placed_share=float(env("ODW_MIN_PLACED_SHARE", "0.85")),
        min_opioid_flag_agreement=float(env("ODW_MIN_OPIOID_FLAG_AGREEMENT", "0.85")),
        demo_end_month=date.fromisoformat(demo_end + "-01") if demo_end else None,
        field_max_bytes=_positive_int("ODW_FIELD_MAX_BYTES", env("ODW_FIELD_MAX_BYTES", "20000000")),
        field_max_rows=_positive_int("ODW_FIELD_MAX_ROWS", env("ODW_FIELD_MAX_ROWS", "100000")),
        field_drop_columns=_list(env("ODW_FIELD_DROP_COLUMNS", "")),
        field_column_map=_column_map(env("ODW_FIELD_COLUMN_MAP", "")),
        naloxone_trained_goal=_positive_int(
            "ODW_NALOXONE_TRAINED_GOAL", env("ODW_NALOXONE_TRAINED_GOAL", "18000")
        ),
        naloxone_trained_baseline=int(env("ODW_NALOXONE_TRAINED_BASELINE", "0")),
        h3_resolution=_bounded_int("ODW_H3_RESOLUTION", env("ODW_H3_RESOLUTION", "8"), 5, 10),
        hotspot_permutations=_bounded_int(
            "ODW_HOTSPOT_PERMUTATIONS", env("ODW_HOTSPOT_PERMUTATIONS", "999"), 999, 99_999
        ),
        hotspot_fdr=_fraction("ODW_HOTSPOT_FDR", env("ODW_HOTSPOT_FDR", "0.05"), high=0.5),
        hotspot_window_months=_bounded_int(
            "ODW_HOTSPOT_WINDOW_MONTHS", env("ODW_HOTSPOT_WINDOW_MONTHS", "3"), 1, 12
        ),
        emerging_steps=_bounded_int("ODW_EMERGING_STEPS", env("ODW_EMERGING_STEPS", "12"), 4, 40),
        alert_min_sigma=_fraction(
            "ODW_ALERT_MIN_SIGMA", env("ODW_ALERT_MIN_SIGMA", "1.0"), high=100.0
        ),
        alert_min_count=_positive_int("ODW_ALERT_MIN_COUNT", env("ODW_ALERT_MIN_COUNT", "3")),
        alert_webhook_url=_webhook_url(env("ODW_ALERT_WEBHOOK_URL")),
        smtp_host=(env("ODW_SMTP_HOST") or "").strip() or None,
        smtp_port=_bounded_int("ODW_SMTP_PORT", env("ODW_SMTP_PORT", "587"), 1, 65535),
        smtp_user=(env("ODW_SMTP_USER") or "").strip() or None,
        smtp_password=env("SMTP_PASSWORD") or None,
        smtp_from=(env("ODW_SMTP_FROM") or "").strip() or "overdose-watch@localhost",
        smtp_to=_list(env("ODW_SMTP_TO", "")),
        smtp_starttls=_bool(env("ODW_SMTP_STARTTLS", "true")),
        eblast_send=_bool(env("ODW_EBLAST_SEND", "false")),
        eblast_to=_list(env("ODW_EBLAST_TO", "")),
        schedules_running=_bool(env("ODW_SCHEDULES_RUNNING", "false")),
        freshness_me_max_hours=_positive_int(
            "ODW_FRESHNESS_ME_MAX_HOURS", env("ODW_FRESHNESS_ME_MAX_HOURS", "30")
        ),
        freshness_me_max_record_age_days=_positive_int(
            "ODW_FRESHNESS_ME_MAX_RECORD_AGE_DAYS", env("ODW_FRESHNESS_ME_MAX_RECORD_AGE_DAYS", "14")
        ),
        freshness_field_max_days=_positive_int(
            "ODW_FRESHNESS_FIELD_MAX_DAYS", env("ODW_FRESHNESS_FIELD_MAX_DAYS", "35")
        ),
        freshness_field_max_record_age_days=_positive_int(
            "ODW_FRESHNESS_FIELD_MAX_RECORD_AGE_DAYS", env("ODW_FRESHNESS_FIELD_MAX_RECORD_AGE_DAYS", "45")
        ),
        pull_step_retries=_bounded_int("ODW_PULL_STEP_RETRIES", env("ODW_PULL_STEP_RETRIES", "3"), 0, 10),
        pull_step_retry_delay_seconds=_fraction(
            "ODW_PULL_STEP_RETRY_DELAY_SECONDS", env("ODW_PULL_STEP_RETRY_DELAY_SECONDS", "60"), high=3600.0
        ),
        failure_webhook_url=_webhook_url(env("ODW_FAILURE_WEBHOOK_URL"), "ODW_FAILURE_WEBHOOK_URL"),
        failure_email_to=_list(env("ODW_FAILURE_EMAIL_TO", "")),
        dagster_url=(env("ODW_DAGSTER_URL") or "").strip().rstrip("/") or None,
        dagster_home=_path(env("DAGSTER_HOME", ".dagster_home")),
        warehouse_memory_limit=_memory_size(
            "ODW_WAREHOUSE_MEMORY_LIMIT", env("ODW_WAREHOUSE_MEMORY_LIMIT", "700MB")
        ),
        geocoder=_choice("ODW_GEOCODER", env("ODW_GEOCODER", "off"), ("off", "census")),
        geocoder_url=_http_url(env("ODW_GEOCODER_URL", DEFAULT_GEOCODER_URL), "ODW_GEOCODER_URL"),
        geocoder_benchmark=(env("ODW_GEOCODER_BENCHMARK") or "").strip() or DEFAULT_GEOCODER_BENCHMARK,
        geocoder_batch_size=_bounded_int(
            "ODW_GEOCODER_BATCH_SIZE", env("ODW_GEOCODER_BATCH_SIZE", "1000"), 1, 10_000
        ),
        geocoder_timeout_seconds=_fraction(
            "ODW_GEOCODER_TIMEOUT_SECONDS", env("ODW_GEOCODER_TIMEOUT_SECONDS", "300"), high=3600.0
        ),
        geocoder_max_retries=_bounded_int("ODW_GEOCODER_MAX_RETRIES", env("ODW_GEOCODER_MAX_RETRIES", "6"), 0, 20),
    )

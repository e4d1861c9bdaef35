"""Medical Examiner assets: raw records (pulled or demo), geocoded addresses, typed and classified cases."""


from datetime import UTC, datetime, timedelta

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.defs.geography.assets import community_areas
from pipelines.defs.geography.geocode_cache import GeocodeCache
from pipelines.defs.geography.geocoder import CensusGeocoder
from pipelines.defs.medical_examiner.client import SocrataClient, SocrataError
from pipelines.defs.medical_examiner.geocodes import build_me_geocodes
from pipelines.defs.medical_examiner.ingest import SOURCE, ingest_demo, ingest_live
from pipelines.defs.medical_examiner.refresh_skip import decide_skip, downstream_materialisations
from pipelines.defs.medical_examiner.staging import MIN_DEATH_DATE, stage_cases_in_warehouse
from pipelines.defs.resources import SettingsResource, warehouse
from pipelines.defs.retries import retry_pull
from pipelines.settings import Settings
from pipelines.warehouse import fetch_row, query_sql_file


def socrata_client(settings: Settings) -> SocrataClient:
    """The portal client configured from settings (base URL, dataset, token, page size)."""
    return SocrataClient(
        settings.socrata_base_url,
        settings.me_dataset_id,
        app_token=settings.socrata_app_token,
        page_size=settings.socrata_page_size,
        max_retries=settings.socrata_max_retries,
    )


def census_geocoder(settings: Settings) -> CensusGeocoder | None:
    """The Census batch geocoder configured from settings, or None when ``ODW_GEOCODER=off``."""
    if settings.geocoder != "census":
        return None
    return CensusGeocoder(
        settings.geocoder_url,
        settings.geocoder_benchmark,
        batch_size=settings.geocoder_batch_size,
        timeout=settings.geocoder_timeout_seconds,
        max_retries=settings.geocoder_max_retries,
    )


def _death_date_range() -> tuple[datetime, datetime]:
    """The plausible death dates: from MIN_DEATH_DATE to a day from now (later is an error in the record)."""
    return MIN_DEATH_DATE, datetime.now(UTC).replace(tzinfo=None) + timedelta(days=1)


@dg.asset(
    key=["raw", "me_records"],
    group_name="medical_examiner",
    kinds={"duckdb", "socrata"},
    # A live pull that brings nothing new yields no output, so the steps after it are skipped.
    output_required=False,
    description="Cook County Medical Examiner case archive (Socrata cjeq-bs86) as received, one "
    "row per casenumber, latest version wins. Live: incremental pulls saved as immutable "
    "snapshots under ODW_RAW_DIR/medical_examiner; demo: the synthetic demo file. A live pull "
    "with no new record is recorded as an observation and the steps after it are skipped, once "
    "they are current (ODW_REBUILD_UNCHANGED=true rebuilds them anyway).",
)
def me_records(context: dg.AssetExecutionContext, duckdb: DuckDBResource, settings: SettingsResource):
    cfg = settings.get()
    with warehouse(duckdb, cfg) as con:
        if cfg.me_source == "live":
            try:
                reports = ingest_live(con, cfg, socrata_client(cfg))
            except SocrataError as exc:
                if not exc.transient:
                    raise
                # The portal is down or throttling: try the whole pull again in a few minutes.
                retry_pull(context.retry_number, cfg, exc)
        else:
            reports = ingest_demo(con, cfg)
        total = fetch_row(con, "SELECT count(*) FROM raw.me_records")[0]
        last_change = query_sql_file(con, "raw/me_last_change.sql", {"source": SOURCE}).fetchall()[0][0]
    for r in reports:
        context.log.info(
            "%s (%s): %d rows in, %d loaded, %d quarantined",
            r.pull_id, r.mode, r.rows_in, r.rows_loaded, r.rows_quarantined,
        )
    metadata = {
        "source": cfg.me_source,
        "pulls_merged": len(reports),
        "rows_in": sum(r.rows_in for r in reports),
        "rows_loaded": sum(r.rows_loaded for r in reports),
        "rows_quarantined": sum(r.rows_quarantined for r in reports),
        "records_in_archive": total,
    }
    # Demo mode always rebuilds: `make pipeline` means "build everything".
    if cfg.me_source == "live":
        built, unfinished = downstream_materialisations(context)
        decision = decide_skip(
            [r.rows_in for r in reports], last_change, built,
            rebuild_unchanged=cfg.rebuild_unchanged, unfinished=unfinished,
        )
        context.log.info("Medical Examiner pull: %s", decision.reason)
        if decision.skip:
            # Observed, not materialised: the pull happened (the freshness check counts it), and
            # the data did not change.
            yield dg.AssetObservation(
                asset_key=context.asset_key, metadata={**metadata, "new_records": 0, "downstream": "skipped"}
            )
            return
    yield dg.MaterializeResult(metadata=metadata)


@dg.asset(
    key=["staging", "me_geocodes"],
    deps=[me_records, community_areas],
    group_name="medical_examiner",
    kinds={"duckdb", "census_geocoder"},
    description="A point for the street address of each Chicago death without coordinates or "
    "community area: normalised address, Match/No_Match/Tie, latitude/longitude, benchmark and "
    "time. Answers come from the cache under ODW_RAW_DIR/geocoder; only with ODW_GEOCODER=census "
    "are addresses never asked about sent to the US Census Bureau's geocoder (street, city, state "
    "and ZIP only). Empty when ODW_GEOCODER=off (the default).",
)
def me_geocodes(
    context: dg.AssetExecutionContext, duckdb: DuckDBResource, settings: SettingsResource
) -> dg.MaterializeResult:
    cfg = settings.get()
    first, last = _death_date_range()
    geocoder = census_geocoder(cfg)
    try:
        with warehouse(duckdb, cfg) as con:
            report = build_me_geocodes(
                con,
                cache=GeocodeCache(cfg.geocoder_dir),
                geocoder=geocoder,
                min_death_date=first,
                max_death_date=last,
            )
    finally:
        if geocoder is not None:
            geocoder.close()
    context.log.info(
        "geocoder %s: %d candidate cases (%d without an address), %d addresses: %d cache hits, %d sent; "
        "%d matched, %d no match, %d tie, %d unanswered",
        report.geocoder, report.candidates, report.not_an_address, report.addresses, report.cache_hits,
        report.sent, report.matched, report.no_match, report.tie, report.unanswered,
    )
    if report.error:
        context.log.warning(
            "the geocoder failed after its retries; %d addresses stay unplaced until the next run: %s",
            report.unanswered, report.error,
        )
    return dg.MaterializeResult(metadata=report.metadata())


@dg.asset(
    key=["staging", "me_cases"],
    deps=[me_records, community_areas, me_geocodes],
    group_name="medical_examiner",
    kinds={"duckdb", "polars", "geopandas"},
    description="One typed row per Medical Examiner case with the overdose case definition, drug "
    "involvement flags and the community area of occurrence.",
)
def me_cases(
    context: dg.AssetExecutionContext, duckdb: DuckDBResource, settings: SettingsResource
) -> dg.MaterializeResult:
    cfg = settings.get()
    first, last = _death_date_range()
    with warehouse(duckdb, cfg) as con:
        report = stage_cases_in_warehouse(
            con,
            min_death_date=first,
            max_death_date=last,
            now=datetime.now(UTC).replace(tzinfo=None),
            source=SOURCE,
        )
    context.log.info(
        "%d distinct cause combinations classified, %d points placed by coordinates, "
        "%d candidate addresses placed by their geocoded point",
        report.distinct_causes, report.points_looked_up, report.addresses_placed,
    )
    return dg.MaterializeResult(
        metadata={
            "rows_in": report.rows_in,
            "cases": report.cases,
            "quarantined": report.quarantined,
            "overdose_deaths": report.overdose_deaths,
            "placement": dg.MetadataValue.json(report.placement),
            "death_dates": f"{report.first_death} – {report.last_death}",
        }
    )

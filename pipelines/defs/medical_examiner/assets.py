"""Medical Examiner assets: raw records (pulled or demo), typed and classified cases."""


from datetime import UTC, datetime, timedelta

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.defs.geography.assets import community_areas
from pipelines.defs.medical_examiner.client import SocrataClient, SocrataError
from pipelines.defs.medical_examiner.ingest import SOURCE, ingest_demo, ingest_live
from pipelines.defs.medical_examiner.staging import MIN_DEATH_DATE, stage_cases_in_warehouse
from pipelines.defs.resources import SettingsResource, warehouse
from pipelines.defs.retries import retry_pull
from pipelines.settings import Settings
from pipelines.warehouse import fetch_row


def socrata_client(settings: Settings) -> SocrataClient:
    """The portal client configured from settings (base URL, dataset, token, page size)."""
    return SocrataClient(
        settings.socrata_base_url,
        settings.me_dataset_id,
        app_token=settings.socrata_app_token,
        page_size=settings.socrata_page_size,
        max_retries=settings.socrata_max_retries,
    )


@dg.asset(
    key=["raw", "me_records"],
    group_name="medical_examiner",
    kinds={"duckdb", "socrata"},
    description="Cook County Medical Examiner case archive (Socrata cjeq-bs86) as received, one "
    "row per casenumber, latest version wins. Live: incremental pulls saved as immutable "
    "snapshots under ODW_RAW_DIR/medical_examiner; demo: the synthetic demo file.",
)
def me_records(
    context: dg.AssetExecutionContext, duckdb: DuckDBResource, settings: SettingsResource
) -> dg.MaterializeResult:
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
    for r in reports:
        context.log.info(
            "%s (%s): %d rows in, %d loaded, %d quarantined",
            r.pull_id, r.mode, r.rows_in, r.rows_loaded, r.rows_quarantined,
        )
    return dg.MaterializeResult(
        metadata={
            "source": cfg.me_source,
            "pulls_merged": len(reports),
            "rows_in": sum(r.rows_in for r in reports),
            "rows_loaded": sum(r.rows_loaded for r in reports),
            "rows_quarantined": sum(r.rows_quarantined for r in reports),
            "records_in_archive": total,
        }
    )


@dg.asset(
    key=["staging", "me_cases"],
    deps=[me_records, community_areas],
    group_name="medical_examiner",
    kinds={"duckdb", "polars", "geopandas"},
    description="One typed row per Medical Examiner case with the overdose case definition, drug "
    "involvement flags and the community area of occurrence.",
)
def me_cases(
    context: dg.AssetExecutionContext, duckdb: DuckDBResource, settings: SettingsResource
) -> dg.MaterializeResult:
    cfg = settings.get()
    with warehouse(duckdb, cfg) as con:
        # A death date more than a day in the future is an error in the record.
        latest = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=1)
        report = stage_cases_in_warehouse(
            con,
            min_death_date=MIN_DEATH_DATE,
            max_death_date=latest,
            now=datetime.now(UTC).replace(tzinfo=None),
            source=SOURCE,
        )
    context.log.info(
        "%d distinct cause combinations classified, %d points placed by coordinates",
        report.distinct_causes, report.points_looked_up,
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

"""The Dagster code location: every asset, check, job and resource of West Side Overdose Watch."""


import dagster as dg

from pipelines.defs.epidemiology import assets as epidemiology_assets
from pipelines.defs.epidemiology import checks as epidemiology_checks
from pipelines.defs.field_data import assets as field_assets
from pipelines.defs.field_data import checks as field_checks
from pipelines.defs.field_data.sensors import field_data_sensor
from pipelines.defs.freshness import FRESHNESS_CHECKS
from pipelines.defs.geography import assets as geography_assets
from pipelines.defs.hotspots import assets as hotspot_assets
from pipelines.defs.hotspots import checks as hotspot_checks
from pipelines.defs.hotspots.sensors import new_alert_sensor
from pipelines.defs.marts import assets as mart_assets
from pipelines.defs.medical_examiner import assets as me_assets
from pipelines.defs.medical_examiner import checks as me_checks
from pipelines.defs.reports import assets as report_assets
from pipelines.defs.resources import build_resources
from pipelines.defs.run_failure import run_failure_notifier
from pipelines.defs.schedules import SCHEDULED_JOBS, build_schedules
from pipelines.settings import load_settings

ALL_ASSETS = dg.load_assets_from_modules(
    [
        geography_assets, me_assets, epidemiology_assets, field_assets, hotspot_assets, mart_assets,
        report_assets,
    ]
)
ALL_CHECKS = [
    *dg.load_asset_checks_from_modules([me_checks, epidemiology_checks, field_checks, hotspot_checks]),
    *FRESHNESS_CHECKS,
]

#: The main job: materialise everything (what `make pipeline` runs). In-process, because the
#: steps share one DuckDB file and a process per step would only add start-up time.
overdose_watch_job = dg.define_asset_job(
    "overdose_watch_job",
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    description="Ingest every source, rebuild staging and marts, publish the dashboard database.",
)


@dg.definitions
def defs() -> dg.Definitions:
    """Definitions loaded by ``workspace.yaml`` and ``dagster job execute``."""
    return dg.Definitions(
        assets=ALL_ASSETS,
        asset_checks=ALL_CHECKS,
        jobs=[overdose_watch_job, *SCHEDULED_JOBS],
        schedules=build_schedules(load_settings()),
        sensors=[field_data_sensor, new_alert_sensor, run_failure_notifier],
        resources=build_resources(),
    )

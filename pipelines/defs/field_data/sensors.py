"""Sensor: a coordinator drops a file into a field-data folder → the field-data assets run.

Every evaluation fingerprints the files under ``ODW_RAW_DIR/hotspots|test_strips|outreach/`` by
content (SHA-256; a file over the size limit by size and modification time instead, since it is
refused unread anyway). The cursor is the JSON ``{"<source>/<file>": fingerprint}`` of the last run
requested; a run is requested once whenever that set changes — a new file, a changed file or a
removed one — and never again for the same change. The run covers the field-data assets and
everything downstream of them, so the dashboard's database is republished too: the job
``field_data_job``, which the dashboard's Submit field data page can also start (through Dagster's
GraphQL API). Every tick also deletes refused files past their retention (``refused_files.py``).
"""

import hashlib
import json
from datetime import UTC, datetime

import dagster as dg

from pipelines.defs.field_data.assets import FIELD_DATA_ASSETS
from pipelines.defs.field_data.ingest import discover, file_fingerprint, source_dir
from pipelines.defs.field_data.refused_files import purge_refused
from pipelines.defs.field_data.schema import SOURCES
from pipelines.defs.resources import SettingsResource
from pipelines.settings import Settings

#: What a field-data run materialises: the field-data assets and everything downstream of them.
FIELD_DATA_SELECTION = dg.AssetSelection.assets(*FIELD_DATA_ASSETS).downstream()

#: The field-data run as a named job, so it can be launched by name (the dashboard, ``dg launch``).
#: In-process like the main job: the steps share one DuckDB file.
field_data_job = dg.define_asset_job(
    "field_data_job",
    selection=FIELD_DATA_SELECTION,
    executor_def=dg.in_process_executor,
    description="Ingest the field-data folders (test strips, outreach, hot spots), rebuild their marts "
    "and everything downstream, and republish the dashboard database.",
)


def fingerprint_files(settings: Settings) -> dict[str, str]:
    """``{"<source>/<file>": fingerprint}`` of every field-data file present now."""
    prints: dict[str, str] = {}
    for source in SOURCES:
        for name, path in discover(source_dir(settings, source)):
            prints[f"{source}/{name}"] = file_fingerprint(path, settings.field_max_bytes)
    return prints


def changes(previous: dict[str, str], current: dict[str, str]) -> dict[str, list[str]]:
    """Files added, changed and removed between two fingerprint sets."""
    return {
        "added": sorted(set(current) - set(previous)),
        "changed": sorted(k for k in current if k in previous and previous[k] != current[k]),
        "removed": sorted(set(previous) - set(current)),
    }


@dg.sensor(
    name="field_data_files",
    job=field_data_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Runs the field-data assets (and the dashboard publication) when a test-strip, "
    "outreach or hot-spot file is added, changed (by content) or removed.",
)
def field_data_sensor(context: dg.SensorEvaluationContext, settings: SettingsResource):
    """Request one run per change of the field-data folders' contents."""
    cfg = settings.get()
    for path in purge_refused(cfg, datetime.now(UTC)):
        context.log.info("deleted refused file %s (past ODW_REFUSED_RETENTION_DAYS)", path.name)
    current = fingerprint_files(cfg)
    previous = json.loads(context.cursor) if context.cursor else {}
    if current == previous:
        return dg.SkipReason("no new, changed or removed field-data files")
    diff = changes(previous, current)
    state = json.dumps(current, sort_keys=True)
    # Keyed on the transition, not the state: going back to an earlier set of files (a file
    # removed, then put back) is a change that must run again.
    run_key = hashlib.sha256((json.dumps(previous, sort_keys=True) + state).encode()).hexdigest()[:24]
    summary = ", ".join(f"{len(v)} {k}" for k, v in diff.items() if v)
    context.log.info("field-data files: %s", summary)
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=run_key, tags={"field_data_changes": summary})],
        cursor=state,
    )

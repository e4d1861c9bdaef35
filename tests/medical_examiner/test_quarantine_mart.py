"""Bad Medical Examiner records reach the dashboard's quarantine and ingest-log marts — as
identifiers and reasons only, never their values.

The demo archive has no bad record, so the real assets run here on the ugly fixture (one record
without a casenumber, one superseded duplicate, one unreadable death date) saved as the demo file.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.defs.geography.assets import community_areas
from pipelines.defs.marts.assets import ingest_log, me_quarantine
from pipelines.defs.medical_examiner.assets import me_cases, me_records
from pipelines.defs.medical_examiner.ingest import demo_path
from pipelines.defs.resources import build_resources
from pipelines.settings import load_settings

FIXTURE = Path(__file__).parent.parent / "fixtures" / "me_ugly.json"


def test_injected_bad_records_are_published_without_their_values(isolated_env: dict[str, str]) -> None:
    settings = load_settings()
    path = demo_path(settings)
    path.parent.mkdir(parents=True)
    shutil.copy(FIXTURE, path)

    result = dg.materialize(
        [community_areas, me_records, me_cases, me_quarantine, ingest_log],
        resources=build_resources(),
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success

    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        rows = con.execute(
            "SELECT stage, file, row_number, case_number, reason FROM marts.me_quarantine "
            "ORDER BY stage, row_number"
        ).fetchall()
        columns = [r[0] for r in con.execute("DESCRIBE marts.me_quarantine").fetchall()]
        log = con.execute(
            "SELECT source, mode, rows_in, rows_loaded, rows_quarantined FROM marts.ingest_log"
        ).fetchall()
        staged = con.execute("SELECT count(*) FROM staging.me_cases").fetchall()[0][0]

    demo_file = "medical_examiner/cjeq-bs86.json"  # the last two path parts, not the server's path
    assert rows == [
        ("raw", demo_file, 1, "ME2022-01001", "duplicate casenumber in the same pull; a later version was loaded"),
        ("raw", demo_file, 7, None, "missing casenumber"),
        ("staging", demo_file, 6, "ME2023-00006", "death_date missing or unparseable"),
    ]
    # Only where the record is and why: no field of the record itself.
    assert columns == ["stage", "file", "row_number", "case_number", "reason", "quarantined_at"]
    # 9 records in the pull: 7 merged + 2 quarantined; of the 7, 6 staged + 1 quarantined.
    assert log == [("medical_examiner", "full", 9, 7, 2)]
    assert staged == 6

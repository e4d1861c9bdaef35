"""Running everything again changes nothing — and the dashboard keeps reading while it runs.

The whole ``overdose_watch_job`` runs a second time on the demo warehouse (the session's
``demo_pipeline``) while a dashboard-like process queries the published app database in a loop.
Afterwards every table of the warehouse and of the app database has the same rows (checksum of
every row) as before, except the columns that only say *when* a run happened
(``reliability.helpers.TIMESTAMP_COLUMNS``: ``marts.publication.published_at``,
``quarantined_at`` of the quarantine tables, and the manifest's publication id and time).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main_job
from reliability.helpers import TIMESTAMP_COLUMNS, dashboard_reader, database_checksums


@pytest.mark.timeout(900)  # the session's demo pipeline may be built in this test's setup
def test_a_second_run_gives_identical_tables_while_the_dashboard_reads(demo_pipeline, tmp_path: Path) -> None:
    before = {p.name: database_checksums(p) for p in (demo_pipeline.warehouse, demo_pipeline.app_db)}
    with dashboard_reader(demo_pipeline.app_db, tmp_path) as log:
        result = run_main_job()
    (reader,) = log
    after = {p.name: database_checksums(p) for p in (demo_pipeline.warehouse, demo_pipeline.app_db)}

    assert result.success
    assert reader.errors == []
    assert len(reader.renders) > 0
    for name in before:
        changed = sorted(t for t in before[name] if before[name][t] != after[name].get(t))
        assert changed == [], f"{name}: tables changed by a second run: {changed}"
        assert sorted(after[name]) == sorted(before[name])
    # The app database was republished (a new publication), with the same content.
    log = demo_pipeline.query("SELECT count(*) FROM staging.ingest_log WHERE source = 'medical_examiner'")
    # One row per pull of the demo's history (ODW_DEMO_PULLS, 40), none of them merged twice.
    assert log == [(40,)], "the unchanged demo pulls are not merged twice"
    marts = [t for t in after["warehouse.duckdb"] if t.startswith("marts.")]
    assert len(marts) >= 10 and set(TIMESTAMP_COLUMNS) & set(after["app.duckdb"])

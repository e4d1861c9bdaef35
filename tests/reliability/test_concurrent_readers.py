"""Readers never block writers, and never see a half-written or mixed publication.

A *torn read* is a page render whose tables do not all come from one publication. Each published
file carries ``meta.publication_manifest`` (a publication id, and per table its row count and
checksum); the writer here records, for every publication it makes, the id, the
``marts.publication.published_at`` stamp and the row counts. A render is torn when any of the
values it read (from its separate per-query connections) differs from the writer's record for
the publication id it started with, or from that publication's own manifest.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from reliability.helpers import dashboard_reader

from dashboards.components import data
from pipelines.defs.marts.assets import PUBLISHED_TABLES, published_db, source_freshness
from pipelines.defs.resources import WarehouseLocked, warehouse
from pipelines.settings import load_settings
from pipelines.warehouse import publish_tables

GENERATIONS = 4


def publication_truth(app_db: Path) -> dict:
    """What the writer knows it published: id, ``published_at`` and row counts."""
    with duckdb.connect(str(app_db), read_only=True) as con:
        (pid,), = con.execute("SELECT DISTINCT publication_id FROM meta.publication_manifest").fetchall()
        (published_at,), = con.execute("SELECT published_at FROM marts.publication").fetchall()
        (monthly, deaths), = con.execute(
            "SELECT count(*), sum(overdose_deaths) FROM marts.me_monthly_by_area"
        ).fetchall()
        (areas,), = con.execute("SELECT count(*) FROM marts.community_areas").fetchall()
        (cases,), = con.execute("SELECT row_count FROM marts.source_freshness").fetchall()
    return {
        "publication_id": pid,
        "published_at": published_at.isoformat(),
        "monthly_rows": monthly,
        "monthly_deaths": int(deaths),
        "area_rows": areas,
        "freshness_rows": cases,
        "manifest_monthly_rows": monthly,
        "manifest_area_rows": areas,
    }


@pytest.fixture
def copied_warehouse(demo_pipeline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the demo warehouse, with the settings pointing at it."""
    for key, value in demo_pipeline.env.items():
        monkeypatch.setenv(key, value)
    target = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_pipeline.warehouse, target)
    monkeypatch.setenv("ODW_WAREHOUSE", str(target))
    monkeypatch.setenv("ODW_APP_DB", str(tmp_path / "app.duckdb"))
    return target


def publish_with_dagster() -> None:
    """The pipeline's own publication steps: the freshness/publication record, then the swap."""
    from pipelines.definitions import defs

    result = dg.materialize([source_freshness, published_db], resources=defs().resources)
    assert result.success


@pytest.mark.timeout(900)  # the session's demo pipeline may be built in this test's setup
def test_publishing_while_the_dashboard_reads_has_no_errors_and_no_torn_reads(
    copied_warehouse: Path, tmp_path: Path
) -> None:
    app_db = load_settings().app_db
    publish_with_dagster()
    truth = {}
    first = publication_truth(app_db)
    truth[first["publication_id"]] = first
    with dashboard_reader(app_db, tmp_path) as log:
        for _ in range(GENERATIONS):
            # New data arrives: each generation has one month fewer, so every publication differs
            # from the previous one in row counts, death totals and its published_at stamp.
            with duckdb.connect(str(copied_warehouse)) as con:
                con.execute(
                    "DELETE FROM marts.me_monthly_by_area "
                    "WHERE month = (SELECT max(month) FROM marts.me_monthly_by_area)"
                )
            publish_with_dagster()  # succeeds although the reader holds the old file open
            now = publication_truth(app_db)
            truth[now["publication_id"]] = now
            time.sleep(0.3)  # let the reader render the new publication a few times
    (reader,) = log

    assert reader.errors == []
    assert len(truth) == GENERATIONS + 1
    torn = [r for r in reader.renders if r != truth.get(r["publication_id"])]
    assert torn == []
    seen = {r["publication_id"] for r in reader.renders}
    assert len(seen) >= 3, "the reader must have rendered several publications for this to test anything"
    assert reader.held_reads > len(reader.renders) / 2


@pytest.fixture
def two_publications(copied_warehouse: Path, tmp_path: Path) -> tuple[Path, Path]:
    """Two published files of different content (the second lacks the last month)."""
    old, new = tmp_path / "old.duckdb", tmp_path / "new.duckdb"
    with duckdb.connect(str(copied_warehouse)) as con:
        publish_tables(con, old, PUBLISHED_TABLES)
        con.execute(
            "DELETE FROM marts.me_monthly_by_area "
            "WHERE month = (SELECT max(month) FROM marts.me_monthly_by_area)"
        )
        publish_tables(con, new, PUBLISHED_TABLES)
    return old, new


def test_a_swap_between_two_queries_of_a_page_is_detected_not_mixed(
    two_publications: tuple[Path, Path], tmp_path: Path
) -> None:
    old, new = two_publications
    app_db = tmp_path / "app.duckdb"
    shutil.copy(old, app_db)
    version = data.db_version(app_db)
    before = data.load_monthly(version)
    os.replace(new, app_db)  # the pipeline publishes between two queries of one page render
    with pytest.raises(data.PublicationChanged):
        data.load_community_areas(version)
    with pytest.raises(data.PublicationChanged):
        data.load_monthly(data.DbVersion(version.path, version.mtime_ns + 1, version.publication_id))
    # The rerun reads the new publication throughout.
    fresh = data.db_version(app_db)
    assert fresh.publication_id != version.publication_id
    assert data.load_monthly(fresh).height == before.height - 77
    assert data.load_community_areas(fresh).height == 77


def test_a_file_without_manifest_is_still_readable(two_publications, tmp_path: Path) -> None:
    old, _ = two_publications
    legacy = tmp_path / "legacy.duckdb"
    shutil.copy(old, legacy)
    with duckdb.connect(str(legacy)) as con:
        con.execute("DROP TABLE meta.publication_manifest")
    version = data.db_version(legacy)
    assert version.publication_id is None
    assert data.load_community_areas(version).height == 77


def test_the_app_reruns_when_a_publication_lands_mid_page(
    two_publications, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    old, new = two_publications
    app_db = tmp_path / "app.duckdb"
    shutil.copy(old, app_db)
    monkeypatch.setenv("ODW_APP_DB", str(app_db))
    with duckdb.connect(str(new), read_only=True) as con:
        (new_id,), = con.execute("SELECT DISTINCT publication_id FROM meta.publication_manifest").fetchall()
    versions: list[data.DbVersion] = []
    real_load_publication = data.load_publication

    def publish_during_first_render(version: data.DbVersion):
        # Every page reads the publication record; the first time, the pipeline swaps in the
        # new file just before that read.
        versions.append(version)
        if len(versions) == 1:
            os.replace(new, app_db)
        return real_load_publication(version)

    monkeypatch.setattr(data, "load_publication", publish_during_first_render)
    at = AppTest.from_file(str(Path(data.__file__).parents[1] / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert [e.value for e in at.error] == []
    assert [v.publication_id for v in versions][-1] == new_id
    assert versions[0].publication_id != new_id


def test_a_second_writer_gets_a_clear_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """DuckDB allows one writing process per file; the pipeline says so instead of a raw IO error."""
    import dagster_duckdb.resource
    from dagster_duckdb import DuckDBResource

    path = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(path)).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ok', flush=True); "
         "sys.stdin.read()", str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ok"
        # One attempt instead of Dagster's ten retries over ~100 s.
        monkeypatch.setattr(
            dagster_duckdb.resource, "backoff", lambda fn, retry_on, kwargs, max_retries: fn(**kwargs)
        )
        monkeypatch.setenv("ODW_WAREHOUSE", str(path))
        settings = load_settings()
        with pytest.raises(WarehouseLocked) as caught:
            with warehouse(DuckDBResource(database=str(path)), settings):
                pass
    finally:
        holder.communicate("", timeout=10)
    message = str(caught.value)
    assert str(path) in message and f"PID {holder.pid}" in message
    assert "one writing process" in message and "run again" in message

"""The lean ingest path (issue #8): the two-read merge, and staging inside DuckDB with the per-row
rules run once per distinct input, checked row by row (staging_oracle) on ugly fixtures, generated
archives and the demo pipeline's data."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from pipelines.defs.geography.placement import point_in_area
from pipelines.defs.medical_examiner.ingest import merge_files
from pipelines.defs.medical_examiner.staging import casenumber_batches, coordinate_lookup
from pipelines.demo.medical_examiner import write_me_demo
from tests.medical_examiner.conftest import AREA_COLUMNS, NOW, stage_in_warehouse
from tests.medical_examiner.staging_oracle import assert_staged_as_defined

FIXTURE = Path(__file__).parent.parent / "fixtures" / "me_ugly.json"
REJECT_COLUMNS = ["source_file", "source_row", "casenumber", "reject_reason"]


def typed_rejects(typed: pl.DataFrame) -> pl.DataFrame:
    """The typed rows staging must quarantine, as the quarantine holds them."""
    return typed.filter(pl.col("reject_reason").is_not_null()).select(REJECT_COLUMNS).sort("source_row")


def staged_quarantine(con) -> pl.DataFrame:
    return con.sql(
        "SELECT file AS source_file, row_number AS source_row, record_key AS casenumber, reason AS reject_reason, "
        "quarantined_at FROM staging.quarantine WHERE source = 'medical_examiner' AND stage = 'staging' "
        "ORDER BY source_row"
    ).pl()


def test_ugly_records_stage_as_defined(con, areas, typed_rows):
    merge_files(con, [FIXTURE], pull_id="fixture", mode="full", checksum=None, watermark=None)
    typed = typed_rows(con)

    report = stage_in_warehouse(con)

    staged = con.sql("SELECT * FROM staging.me_cases").pl()
    assert_staged_as_defined(staged, typed, areas)
    assert staged.height == 6 and report.cases == 6
    assert (report.rows_in, report.quarantined) == (7, 1)
    quarantine = staged_quarantine(con)
    assert quarantine.drop("quarantined_at").equals(typed_rejects(typed))
    assert quarantine["quarantined_at"].to_list() == [NOW]
    assert report.placement == {"archive": 3, "coordinates": 1, "outside_chicago": 1, "unplaced": 1}


def test_generated_archive_stages_as_defined_in_one_go_or_in_batches(con, areas, tmp_path, typed_rows):
    # 3,000 synthetic records (every cause template, suburbs named only by ZIP, cases placed by
    # coordinates) and the ugly fixture; staged twice, the second time in batches of ~500 cases:
    # the same table in the same order, and the quarantine replaced, not added to.
    path = tmp_path / "archive.json"
    write_me_demo(path, n=3000, seed=11, end_month=date(2026, 10, 1))
    merged = merge_files(con, [path, FIXTURE], pull_id="generated", mode="full", checksum=None, watermark=None)
    # Four generated casenumbers reappear in the fixture (the later file's version wins), and the
    # fixture has a duplicate and a row without casenumber of its own.
    assert (merged.rows_in, merged.rows_loaded, merged.rows_quarantined) == (3009, 3003, 6)
    typed = typed_rows(con)

    stage_in_warehouse(con)
    whole = con.sql("SELECT * FROM staging.me_cases").pl()
    assert_staged_as_defined(whole, typed, areas)
    report = stage_in_warehouse(con, batch_rows=500)

    assert con.sql("SELECT * FROM staging.me_cases").pl().equals(whole)
    assert staged_quarantine(con).drop("quarantined_at").equals(typed_rejects(typed))
    assert (report.rows_in, report.cases, report.quarantined) == (3003, 3002, 1)
    assert whole.height == 3002
    assert set(report.placement) == {"archive", "coordinates", "outside_chicago", "unplaced"}
    assert report.distinct_causes < report.cases  # the classification ran on distinct inputs
    assert con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'me_typed'").fetchall() == [(0,)]


def test_casenumber_batches_cover_the_archive_in_order(con, tmp_path):
    assert casenumber_batches(con, 10) == [("", "")]  # empty archive: one (empty) batch
    rows = [{"casenumber": f"ME-{n:02d}"} for n in range(10)]
    merge_files(con, [_page(tmp_path / "p.json", rows)], pull_id="p", mode="full", checksum=None, watermark=None)
    assert casenumber_batches(con, 100) == [("", "ME-09")]
    assert casenumber_batches(con, 4) == [("", "ME-03"), ("ME-03", "ME-06"), ("ME-06", "ME-09")]


def test_coordinate_lookup_in_chunks_matches_one_spatial_join(areas):
    austin = areas.filter(pl.col("community_area_number") == 25).row(0, named=True)
    egp = areas.filter(pl.col("community_area_number") == 27).row(0, named=True)
    points = pl.DataFrame(
        {
            "latitude": [austin["centroid_lat"], egp["centroid_lat"], 41.90, 41.885, 41.8857],
            "longitude": [austin["centroid_lon"], egp["centroid_lon"], -87.55, -87.79, -87.7176],
        }
    )
    chunked = coordinate_lookup(points, areas.select(AREA_COLUMNS), chunk=2)
    whole = point_in_area(points["latitude"].to_numpy(), points["longitude"].to_numpy(), areas)
    assert chunked["area"].to_list()[:4] == [25, 27, -1, -1]
    assert np.array_equal(chunked["area"].to_numpy(), whole)
    assert coordinate_lookup(points.clear(), areas.select(AREA_COLUMNS)).height == 0


def _page(path: Path, rows: list[dict]) -> Path:
    path.write_text(json.dumps(rows))
    return path


def test_merge_over_several_files_ranks_versions_and_numbers_rows_across_files(con, tmp_path):
    first = _page(
        tmp_path / "page_0001.json",
        [
            {"casenumber": "ME-A", ":updated_at": "2026-01-01T00:00:00.000Z", "age": "1"},
            {"casenumber": " ME-B ", ":updated_at": "2026-01-02T00:00:00.000Z", "age": "2"},
            {"casenumber": "  ", "age": "99"},
        ],
    )
    second = _page(
        tmp_path / "page_0002.json",
        [
            # Same :updated_at as in the first file: the later file wins.
            {"casenumber": "ME-A", ":updated_at": "2026-01-01T00:00:00.000Z", "age": "3"},
            # Older than the first file's version: loses although it comes later.
            {"casenumber": "ME-B", ":updated_at": "2026-01-01T00:00:00.000Z", "age": "4"},
            {"casenumber": "ME-C", "age": "5"},
        ],
    )
    report = merge_files(con, [first, second], pull_id="pull-1", mode="full", checksum=None, watermark=None)

    assert (report.rows_in, report.rows_loaded, report.rows_quarantined) == (6, 3, 3)
    loaded = con.execute(
        "SELECT casenumber, age, source_file, source_row FROM raw.me_records ORDER BY casenumber"
    ).fetchall()
    assert loaded == [
        ("ME-A", "3", str(second), 4),
        ("ME-B", "2", str(first), 2),
        ("ME-C", "5", str(second), 6),
    ]
    quarantined = con.execute(
        "SELECT file, row_number, record_key, reason FROM staging.quarantine ORDER BY row_number"
    ).fetchall()
    superseded = "duplicate casenumber in the same pull; a later version was loaded"
    assert quarantined == [
        (str(first), 1, "ME-A", superseded),
        (str(first), 3, None, "missing casenumber"),
        (str(second), 5, "ME-B", superseded),
    ]
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name IN ('me_keys', 'me_superseded')").fetchall() == [(0,)]

    # An incremental pull replaces only the casenumbers it carries.
    update = _page(tmp_path / "page_0003.json", [{"casenumber": "ME-B", ":updated_at": "2026-02-01T00:00:00.000Z", "age": "7"}])
    merge_files(con, [update], pull_id="pull-2", mode="incremental", checksum=None, watermark=None)
    ages = con.execute("SELECT casenumber, age, pull_id FROM raw.me_records ORDER BY casenumber").fetchall()
    assert ages == [("ME-A", "3", "pull-1"), ("ME-B", "7", "pull-2"), ("ME-C", "5", "pull-1")]


def test_demo_pipeline_staging_is_as_defined(demo_pipeline, typed_rows):
    with duckdb.connect(str(demo_pipeline.warehouse), read_only=True) as con:
        latest = datetime.now() + timedelta(days=1)
        typed = typed_rows(con, max_death_date=latest)
        areas = con.sql(f"SELECT {', '.join(AREA_COLUMNS)} FROM staging.community_areas").pl()
        staged = con.sql("SELECT * FROM staging.me_cases").pl()
    assert staged.height == 25_000 and typed_rejects(typed).height == 0
    assert_staged_as_defined(staged, typed, areas)
    assert set(staged["placement"]) == {"archive", "coordinates", "outside_chicago", "unplaced"}

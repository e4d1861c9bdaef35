"""The meeting pack is not built again when its inputs are unchanged: same numbers and same code
write nothing and report "unchanged"; a changed number, a missing file or ODW_REBUILD_UNCHANGED
build it again."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest
from conftest import pipeline_env

from pipelines.defs.reports import content as report_content
from pipelines.defs.reports.pack_inputs import content_digest, pack_digest, renderer_digest, sidecar

STEM = "overdose_watch_meeting_pack_2026-10"


@pytest.fixture
def pack_env(demo_app_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the demo app database and an empty output folder; returns the pack folder."""
    shutil.copyfile(demo_app_db, tmp_path / "app.duckdb")
    for key, value in pipeline_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("ODW_REBUILD_UNCHANGED", raising=False)
    return tmp_path / "output" / "meeting_pack"


def _run_pack() -> dict:
    from pipelines.definitions import defs

    result = defs().resolve_job_def("monthly_pack_job").execute_in_process(instance=dg.DagsterInstance.ephemeral())
    (event,) = result.get_asset_materialization_events()
    return {k: v.value for k, v in event.materialization.metadata.items()}


def _stamps(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}


def test_unchanged_inputs_write_nothing_and_changed_ones_rebuild(pack_env: Path, monkeypatch) -> None:
    first = _run_pack()
    assert first["pack"] == "built"
    assert sidecar(pack_env, STEM).read_text() == first["inputs_sha256"]
    before = _stamps(pack_env)
    assert set(before) == {f"{STEM}.pptx", f"{STEM}.pdf", f"{STEM}.inputs.sha256"}

    second = _run_pack()
    assert second["pack"] == "unchanged" and second["inputs_sha256"] == first["inputs_sha256"]
    assert second["pptx"] == first["pptx"] and second["slides"] == first["slides"]
    assert _stamps(pack_env) == before, "an unchanged pack must re-write nothing"

    # A missing file is built again even though the inputs are the same.
    (pack_env / f"{STEM}.pdf").unlink()
    assert _run_pack()["pack"] == "built" and (pack_env / f"{STEM}.pdf").is_file()

    # Forced.
    monkeypatch.setenv("ODW_REBUILD_UNCHANGED", "true")
    assert _run_pack()["pack"] == "built"
    monkeypatch.delenv("ODW_REBUILD_UNCHANGED")

    # A published number that changes (here the region's name) changes the pack.
    with duckdb.connect(str(pack_env.parent.parent / "app.duckdb")) as con:
        con.execute("UPDATE marts.publication SET region_label = 'West Side test region'")
    changed = _run_pack()
    assert changed["pack"] == "built" and changed["inputs_sha256"] != first["inputs_sha256"]


def test_the_digest_follows_every_part_of_the_content(demo_app_db: Path) -> None:
    with report_content.connect(demo_app_db) as con:
        content = report_content.build_pack_content(con)
    base = content_digest(content)
    assert base == content_digest(content) and len(base) == 64
    with report_content.connect(demo_app_db) as con:
        assert content_digest(report_content.build_pack_content(con)) == base, "same database, same digest"
    trend = content.trend.with_columns(pl.col("deaths_display").str.replace(r"^(\d)", "9$1"))
    assert content_digest(dataclasses.replace(content, trend=trend)) != base
    assert content_digest(dataclasses.replace(content, month=date(2026, 9, 1))) != base
    assert content_digest(dataclasses.replace(content, headline={**content.headline, "x": "1"})) != base
    assert content_digest(dataclasses.replace(content, meta=dataclasses.replace(content.meta, threshold=11))) != base
    assert pack_digest(content) != base and len(renderer_digest()) == 64


def test_a_value_it_cannot_hash_is_refused() -> None:
    with pytest.raises(TypeError, match="cannot hash"):
        content_digest({"x": object()})

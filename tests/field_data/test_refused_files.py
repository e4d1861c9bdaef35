"""A refused file dropped by hand into a raw folder: moved out, kept privately, deleted after the
retention — and no cell value of it anywhere under ODW_RAW_DIR, the refused folder, the warehouse
or Dagster's storage and logs afterwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
from field_data.helpers import write_csv
from field_data.test_field_end_to_end import run_assets_on, seed_me_cases

from pipelines.defs.field_data.refused_files import purge_refused
from pipelines.defs.field_data.sensors import field_data_sensor
from pipelines.defs.resources import SettingsResource
from pipelines.settings import load_settings

#: A value that occurs nowhere else: if these bytes are found in a file, the refused data leaked.
PLANTED = "Zebulon Quetzalcoatl-Okonkwo 4471"
HOTSPOTS = [["hotspot_id", "name", "latitude", "longitude", "active"], ["HS-01", "Madison & Pulaski", "41.88105",
                                                                         "-87.72590", "yes"]]
STRIPS = [
    ["tested_on", "team", "hotspot_id", "strip_type", "result", "client_name"],
    ["2026-03-01", "Austin Team", "HS-01", "fentanyl", "positive", PLANTED],
    ["2026-03-02", "Austin Team", "HS-01", "fentanyl", "negative", PLANTED],
]


def _holding(root: Path, needle: bytes) -> list[str]:
    """Every file under ``root`` whose bytes contain ``needle`` (also UTF-16, as some stores keep text)."""
    forms = (needle, needle.decode().encode("utf-16-le"))
    return [str(p) for p in root.rglob("*") if p.is_file() and any(f in p.read_bytes() for f in forms)]


def test_refused_file_leaves_the_raw_tree_and_nothing_of_it_survives_the_retention(isolated_env, tmp_path) -> None:
    raw = Path(isolated_env["ODW_RAW_DIR"])
    refused = Path(isolated_env["ODW_REFUSED_DIR"])
    write_csv(raw / "hotspots" / "spots.csv", HOTSPOTS)
    write_csv(raw / "test_strips" / "march.csv", STRIPS)
    seed_me_cases(isolated_env)
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    with dg.DagsterInstance.local_temp(str(dagster_home)) as instance:
        result = run_assets_on(instance)
        assert result.success
    needle = PLANTED.encode()
    assert _holding(raw, needle) == [], "the refused file left ODW_RAW_DIR"
    (kept,) = [p for p in refused.rglob("*") if p.is_file()]
    assert kept.parent == refused / "test_strips" and kept.name.endswith("__march.csv")
    assert kept.stat().st_mode & 0o777 == 0o600 and refused.stat().st_mode & 0o777 == 0o700
    assert _holding(refused, needle) == [str(kept)], "the search finds the planted value where it is"
    with duckdb.connect(isolated_env["ODW_WAREHOUSE"], read_only=True) as con:
        log = con.execute("SELECT file, mode, checksum, reason FROM staging.ingest_log WHERE source = 'test_strips'").fetchall()
    (file, mode, checksum, reason), = log
    assert (file, mode) == ("march.csv", "refused") and len(checksum) == 64
    assert reason.startswith("column 'client_name' looks like a person's name")

    # Within the retention it stays; after it, the next purge deletes it.
    settings = load_settings()
    assert purge_refused(settings, datetime.now(UTC) + timedelta(days=6)) == []
    assert purge_refused(settings, datetime.now(UTC) + timedelta(days=settings.refused_retention_days, hours=1)) == [kept]
    leaks = _holding(tmp_path, needle)
    assert leaks == [], f"the refused file's values survive in {leaks}"


def test_the_sensor_tick_deletes_refused_files_past_the_retention(isolated_env, monkeypatch) -> None:
    refused = Path(isolated_env["ODW_REFUSED_DIR"]) / "outreach"
    refused.mkdir(parents=True)
    old, recent = refused / "20260101T000000__old.csv", refused / "20260320T000000__recent.csv"
    for path in (old, recent):
        path.write_text("x")
    eight_days_ago = (datetime.now(UTC) - timedelta(days=8)).timestamp()
    import os

    os.utime(old, (eight_days_ago, eight_days_ago))
    field_data_sensor(dg.build_sensor_context(resources={"settings": SettingsResource()}))
    assert not old.exists() and recent.exists()

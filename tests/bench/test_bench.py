"""The benchmark's pure helpers, its pandas reference implementation, and the scaled generators.

The benchmark itself (minutes of pipeline runs) is not run here; its arithmetic and report are,
and the pandas baseline is checked against the pipeline's own numbers on the demo warehouse.
"""

import math
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from bench.pandas_baseline import (
    _python_regex,
    normalise_mart,
    pandas_monthly_mart,
    pipeline_monthly_mart,
)
from bench.pipeline_runs import day_batch_size, parse_max_rss_kib
from bench.results import (
    ScaleResult,
    growth_exponent,
    mark,
    percentile,
    results_markdown,
    steps_table,
    summary_table,
    targets_table,
    write_results,
)
from pipelines.defs.medical_examiner.staging import MIN_DEATH_DATE, typed_cases
from pipelines.demo.field_data import write_field_demo
from pipelines.warehouse import run_sql_file


def test_percentile_interpolates_like_numpy():
    values = [10.0, 20.0, 30.0, 40.0, 50.0]
    assert percentile(values, 0.5) == 30.0
    assert percentile(values, 0.95) == pytest.approx(48.0)
    assert percentile([7.0], 0.95) == 7.0
    assert percentile([3.0, 1.0, 2.0], 0.0) == 1.0
    with pytest.raises(ValueError):
        percentile([], 0.5)


def test_parse_max_rss_reads_the_wrappers_last_line():
    stderr = "some log\nBENCH_MAXRSS_KIB 123\nmore\nBENCH_MAXRSS_KIB 1572864\n"
    assert parse_max_rss_kib(stderr) == 1572864
    assert parse_max_rss_kib("no such line") is None


def test_growth_exponent_recovers_the_power_law():
    rows = [25_000, 250_000, 2_500_000]
    assert growth_exponent(rows, [2.0 * (r / 1000) for r in rows]) == pytest.approx(1.0)
    assert growth_exponent(rows, [5.0, 5.0, 5.0]) == pytest.approx(0.0)
    assert growth_exponent(rows, [0.001 * r**0.5 for r in rows]) == pytest.approx(0.5)
    assert growth_exponent([1000], [1.0]) is None


def test_day_batch_is_one_day_of_the_archive():
    # 25,000 records over 130 months: about 6 a day; a hundred times that at 100×.
    assert day_batch_size(25_000, 130) == 6
    assert day_batch_size(2_500_000, 130) == 632
    assert day_batch_size(10, 130) == 1


def test_marks_and_tables_show_the_figures():
    assert mark(19.9, 20) == "✔" and mark(20.1, 20) == "✘" and mark(None, 20) == "–"
    small = ScaleResult(1, me_records=25_000, rebuild_s=30.0, rebuild_peak_mib=700, pipeline_s=0.5, pandas_s=12.0,
                        query_p95_ms=40.0, incremental_s=8.0, steps_ms={"hotspots": 5000.0, "raw__me_records": 1000.0})
    big = ScaleResult(100, me_records=2_500_000, rebuild_s=80.0, rebuild_peak_mib=1400, pipeline_s=5.0,
                      pandas_s=None, query_p95_ms=60.0, incremental_s=9.0,
                      steps_ms={f"step_{i}": float(i) for i in range(20)})
    assert small.ratio == pytest.approx(24.0) and big.ratio is None
    table = summary_table([small, big])
    assert "| 1× | 25,000 |" in table and "| 100× | 2,500,000 |" in table and "24×" in table
    targets = targets_table(big)
    assert "| full rebuild (Dagster included) | ≤ 20 s | 80.0 s | ✘ |" in targets
    assert "| peak memory of the rebuild | ≤ 1,536 MiB | 1,400 MiB | ✔ |" in targets
    steps = steps_table(big, top=3)
    assert "`step_19`" in steps and "17 other steps" in steps and "**0.19**" in steps
    assert steps_table(small).index("`hotspots`") < steps_table(small).index("`raw__me_records`")
    report = results_markdown([small, big], {"CPU": "test CPU", "cores": "2"})
    assert "- **CPU:** test CPU" in report and "## Targets at 100×" in report
    # rebuild time grows as rows^k with k = log(80/30)/log(100)
    assert f"{math.log(80 / 30) / math.log(100):.2f}" in report


def test_write_results_keeps_the_hand_written_text(tmp_path: Path):
    path = tmp_path / "RESULTS.md"
    write_results(path, "first\n")
    assert "first" in path.read_text()
    path.write_text("# Title\n\nAnalysis above.\n\n" + path.read_text().split("\n", 2)[2] + "\nNotes below.\n")
    write_results(path, "second\n")
    text = path.read_text()
    assert "second" in text and "first" not in text
    assert text.startswith("# Title\n\nAnalysis above.") and text.rstrip().endswith("Notes below.")


def test_python_regex_keeps_word_boundaries():
    assert _python_regex(r"(?-u:\b)(?:FENTANYL)(?-u:\b)") == r"\b(?:FENTANYL)\b"


def _warehouse_slice(source: duckdb.DuckDBPyConnection, casenumbers: list[str]) -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse holding ``casenumbers`` of ``source``'s raw records, its areas and geocodes."""
    con = duckdb.connect()
    run_sql_file(con, "raw/schema.sql")
    for table in ("staging.community_areas", "staging.me_geocodes"):
        con.register("part", source.sql(f"SELECT * FROM {table}").arrow())
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM part")
        con.unregister("part")
    records = source.sql("SELECT * FROM raw.me_records WHERE list_contains($cases, casenumber)", params={"cases": casenumbers})
    con.register("part", records.arrow())
    con.execute("INSERT INTO raw.me_records SELECT * FROM part")
    return con


def test_pandas_baseline_equals_the_pipeline_mart(demo_pipeline):
    """The pandas reference and the pipeline's own staging give the same monthly numbers.

    On a slice of the real demo archive (pandas is slow by design): the pipeline's staging and
    monthly mart run on the slice's raw records, pandas on the same records typed.
    """
    latest = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=1)
    with duckdb.connect(str(demo_pipeline.warehouse), read_only=True) as source:
        typed = typed_cases(source, min_death_date=MIN_DEATH_DATE, max_death_date=latest).pl().slice(0, 3000)
        areas = source.sql("SELECT community_area_number, community_area, geometry_wkt FROM staging.community_areas").pl()
        con = _warehouse_slice(source, typed["casenumber"].to_list())
    with con:
        ours = normalise_mart(pipeline_monthly_mart(con))
        assert con.execute("SELECT count(*) FROM staging.me_cases").fetchall() == [(3000,)]
    theirs = normalise_mart(pl.from_pandas(pandas_monthly_mart(typed.to_pandas(), areas.to_pandas())))
    assert ours.height > 100 and ours["overdose_deaths"].sum() > 0 and ours["fentanyl_deaths"].sum() > 0
    assert theirs.equals(ours)


def test_field_demo_scale_multiplies_the_volume(tmp_path: Path):
    end = date(2026, 10, 1)
    base = write_field_demo(tmp_path / "one", end_month=end)
    triple = write_field_demo(tmp_path / "three", end_month=end, scale=3)
    assert triple["hotspots"] == base["hotspots"] == 18
    assert 2.5 * base["test_strips"] < triple["test_strips"] < 3.5 * base["test_strips"]
    # At 1× a day drawn twice is one shift; scaled up it is two, so shifts grow a little faster.
    assert 3 * base["outreach"] < triple["outreach"] < 4.5 * base["outreach"]
    with pytest.raises(ValueError):
        write_field_demo(tmp_path / "zero", end_month=end, scale=0)

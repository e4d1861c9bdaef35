"""The dashboard's queries and the staging transforms, measured on a built warehouse."""

from __future__ import annotations

import json
import shutil
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.pipeline_runs import ROOT, pipeline_environment, timed
from bench.results import ScaleResult


def dashboard_queries(app_db: Path, repeats: int) -> tuple[list[float], list[float]]:
    """Milliseconds per dashboard query and per map-page refresh, uncached, for every drug filter.

    A query is one loader call (a short-lived read-only connection and its SQL) or one shaping
    call (KPIs, map, trend); a page refresh is all of them, as the map page runs them on a cold
    cache.
    """
    from dashboards.components import data, period_labels, period_metrics

    queries: list[float] = []
    pages: list[float] = []

    def clock(function, *args, **kwargs):
        started = time.perf_counter()
        value = function(*args, **kwargs)
        queries.append((time.perf_counter() - started) * 1000)
        return value

    for _ in range(repeats):
        for drug in data.DRUGS:
            started = time.perf_counter()
            version = data.db_version(app_db)
            areas = clock(data.load_community_areas.__wrapped__, version)
            monthly = clock(data.load_monthly.__wrapped__, version)
            clock(data.load_freshness.__wrapped__, version)
            publication = clock(data.load_publication.__wrapped__, version)
            clock(data.load_filter_options.__wrapped__, version)
            start, end = period_labels.default_period(period_labels.month_options(monthly))
            threshold, region = publication.suppress_below, publication.region_label
            not_placed = clock(data.load_not_placed_monthly.__wrapped__, version)
            clock(period_metrics.group_period_metrics, monthly, areas, start, end, drug, not_placed=not_placed,
                  region_label=region, threshold=threshold)
            clock(period_metrics.area_period_metrics, monthly, areas, start, end, drug, threshold=threshold)
            clock(period_metrics.monthly_group_metrics, monthly, areas, start, end, drug, region_label=region,
                  threshold=threshold)
            pages.append((time.perf_counter() - started) * 1000)
    return queries, pages


def transforms(work: Path, result: ScaleResult, with_pandas: bool) -> None:
    """The pipeline's staging transforms vs pandas; their monthly marts must be equal.

    The pipeline side rebuilds ``staging.me_cases`` and the monthly mart in a copy of the built
    warehouse (from ``raw.me_records``, typing included); pandas starts from the typed rows.
    """
    import duckdb
    import polars as pl

    from bench.pandas_baseline import MART_COLUMNS, normalise_mart
    from pipelines.defs.medical_examiner.staging import MIN_DEATH_DATE, typed_cases

    typed_path, areas_path, copy = work / "typed.parquet", work / "areas.parquet", work / "transform.duckdb"
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        latest = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=1)
        typed_cases(con, min_death_date=MIN_DEATH_DATE, max_death_date=latest).pl().write_parquet(typed_path)
        con.sql("SELECT community_area_number, community_area, geometry_wkt FROM staging.community_areas") \
            .pl().write_parquet(areas_path)
        published = con.sql(
            f"SELECT {', '.join(MART_COLUMNS)} FROM marts.me_monthly_by_area WHERE all_me_cases > 0"
        ).pl()
    shutil.copyfile(work / "warehouse.duckdb", copy)
    inputs = {
        "pipeline": ["--warehouse", str(copy)],
        "pandas": ["--typed", str(typed_path), "--areas", str(areas_path)],
    }
    marts = {}
    try:
        for engine in ("pipeline", "pandas") if with_pandas else ("pipeline",):
            out, report = work / f"mart_{engine}.parquet", work / f"transform_{engine}.json"
            command = [sys.executable, str(ROOT / "bench" / "pandas_baseline.py"), "--engine", engine,
                       *inputs[engine], "--out", str(out), "--json", str(report)]
            # Through the RSS wrapper: a process forked straight from this one would inherit this
            # process's peak RSS as its own (Linux keeps ru_maxrss across fork and exec).
            _, peak, code = timed(command, pipeline_environment(work), work / f"transform_{engine}.log")
            if code != 0:
                raise RuntimeError(f"{engine} transforms failed at {result.scale:g}×")
            figures = json.loads(report.read_text())
            setattr(result, f"{engine}_s", figures["transform_s"])
            setattr(result, f"{engine}_peak_mib", peak)
            marts[engine] = pl.read_parquet(out)
    finally:
        copy.unlink(missing_ok=True)
    # The benchmark's pipeline side must give the published numbers, and pandas must agree.
    if not marts["pipeline"].equals(normalise_mart(published)):
        raise AssertionError(f"the pipeline's transforms differ from marts.me_monthly_by_area at {result.scale:g}×")
    if with_pandas:
        result.marts_equal = marts["pandas"].equals(marts["pipeline"])
        if not result.marts_equal:
            raise AssertionError(f"pandas and pipeline monthly marts differ at {result.scale:g}×")

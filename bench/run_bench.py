"""`make bench`: time and memory of the pipeline at 1×, 10× and 100× the demo volume.

For each scale, in its own work folder under ``--bench-dir`` (default ``.bench/``, git-ignored):

1. **Data.** The synthetic Medical Examiner archive (``pipelines.demo.medical_examiner``, 25,000
   records × scale) and the field-data files (``pipelines.demo.field_data``, scaled alike for
   scales ≥ 1) are generated. Not part of any timing below.
2. **Full rebuild.** ``dg launch --job overdose_watch_job --config deploy/run_config/quiet.yaml``
   as a real subprocess on an empty warehouse (exactly what ``make pipeline`` runs, Dagster's
   start-up included), with a persistent ``DAGSTER_HOME`` per scale. Wall time, and the peak
   resident memory of the process tree (``RUSAGE_CHILDREN`` of a small wrapper process, which
   waits for nothing else). Per-step times come from the run's event log (``STEP_SUCCESS``
   durations read back through ``DagsterInstance``); wall time minus the run's own start-to-end
   time is Dagster's start-up and teardown (loading the code location, the instance, the run).
3. **Incremental daily refresh.** Demo mode has no increments (a changed demo file is reloaded
   whole), so the daily refresh is measured on the live path, as production runs it: the archive
   as a full pull snapshot (written with the pipeline's own ``save_snapshot``) is merged once
   (untimed), then a local SODA-2.1 server (``tests/soda_server.py``, 127.0.0.1) serves the day's
   new records — about one day of the archive's volume, with a later ``:updated_at`` — and the
   timed run pulls them with ``$where=:updated_at > watermark``, merges them and rebuilds
   everything downstream. The server holds only the new records: for the one query the pipeline
   sends (``:updated_at`` after the watermark) that is the same answer a server holding the whole
   archive gives, without a Python server scanning millions of rows per request in the timing.
   The job is ``me_daily_job`` when the code location defines it, else ``overdose_watch_job``.
4. **Dashboard queries.** The map page's real loaders (``dashboards.components.data``, called
   uncached through ``__wrapped__``) and its shaping functions (KPIs, map, trend) on the published
   ``app.duckdb``, repeated; p50/p95 of one page's worth of data per drug filter.
5. **Transforms vs pandas.** ``bench/pandas_baseline.py`` runs the pipeline's staging transforms
   (Polars) and a straightforward pandas implementation on the same typed cases, each in its own
   process; their monthly marts must be equal (asserted) before the ratio is reported.

Prints a table and writes ``bench/RESULTS.md`` (``--results``). See ``--help`` for the options.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: Demo end month used at every scale, so the runs are comparable and repeatable.
END_MONTH = "2026-10"
#: Targets from issue #8 (2-core machine).
TARGET_REBUILD_S = 20.0
TARGET_PEAK_MIB = 1536.0
TARGET_INCREMENTAL_S = 5.0
TARGET_QUERY_P95_MS = 200.0
TARGET_TRANSFORM_RATIO = 20.0
#: The watermark of the seeded full pull and the time the day's batch was updated.
SEED_UPDATED_AT = "2026-11-01T06:00:00.000Z"
BATCH_UPDATED_AT = "2026-11-02T06:00:00.000Z"
#: Libraries whose versions the results name.
LIBRARIES = ("dagster", "duckdb", "polars", "pandas", "geopandas", "numpy", "esda", "streamlit")
#: Wrapper that runs a command and reports the peak RSS of everything it waited for (KiB on Linux).
_RSS_WRAPPER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[1:])\n"
    "print('BENCH_MAXRSS_KIB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


# ------------------------------------------------------------------------------------------------
# Pure helpers (tested directly)
# ------------------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0–1) of ``values`` with linear interpolation (NumPy's default)."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def parse_max_rss_kib(stderr: str) -> int | None:
    """The peak RSS the wrapper printed, or None when it is missing."""
    for line in reversed(stderr.splitlines()):
        if line.startswith("BENCH_MAXRSS_KIB "):
            return int(line.split()[1])
    return None


def growth_exponent(rows: list[float], seconds: list[float]) -> float | None:
    """Least-squares slope of log(time) on log(rows): 1 is linear growth, below 1 sub-linear."""
    points = [(math.log(r), math.log(s)) for r, s in zip(rows, seconds, strict=True) if r > 0 and s > 0]
    if len(points) < 2:
        return None
    mean_x = statistics.fmean(x for x, _ in points)
    mean_y = statistics.fmean(y for _, y in points)
    denominator = sum((x - mean_x) ** 2 for x, _ in points)
    if denominator == 0:
        return None
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / denominator


def day_batch_size(records: int, months: int) -> int:
    """New Medical Examiner records in one day of an archive of ``records`` over ``months``."""
    return max(1, round(records / (months * 30.44)))


def mark(value: float | None, target: float) -> str:
    """✔ when a measured ``value`` is within ``target`` (lower is better), ✘ otherwise, – when absent."""
    if value is None:
        return "–"
    return "✔" if value <= target else "✘"


def fmt(value: float | None, digits: int = 1) -> str:
    """A number for the tables ("–" when absent)."""
    return "–" if value is None else f"{value:,.{digits}f}"


@dataclass
class ScaleResult:
    """Everything measured at one scale."""

    scale: float
    me_records: int = 0
    field_rows: int = 0
    generate_s: float | None = None
    rebuild_s: float | None = None
    rebuild_peak_mib: float | None = None
    dagster_overhead_s: float | None = None
    steps_ms: dict[str, float] = field(default_factory=dict)
    incremental_job: str | None = None
    incremental_batch: int | None = None
    incremental_s: float | None = None
    incremental_peak_mib: float | None = None
    incremental_steps_ms: dict[str, float] = field(default_factory=dict)
    query_p50_ms: float | None = None
    query_p95_ms: float | None = None
    query_samples: int = 0
    page_p50_ms: float | None = None
    page_p95_ms: float | None = None
    load_average: str | None = None
    polars_s: float | None = None
    polars_peak_mib: float | None = None
    pandas_s: float | None = None
    pandas_peak_mib: float | None = None
    marts_equal: bool | None = None

    @property
    def ratio(self) -> float | None:
        """pandas time / Polars time on the transforms."""
        if self.pandas_s is None or not self.polars_s:
            return None
        return self.pandas_s / self.polars_s


def summary_table(results: list[ScaleResult]) -> str:
    """The per-scale table (Markdown, also what ``make bench`` prints)."""
    head = (
        "| scale | ME records | field rows | full rebuild s | peak MiB | Dagster start-up s "
        "| incremental s | query p50 ms | query p95 ms | page p95 ms | transforms Polars s | pandas s | ratio "
        "| load avg 1/5/15 min |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    rows = [
        f"| {r.scale:g}× | {r.me_records:,} | {r.field_rows:,} | {fmt(r.rebuild_s)} | {fmt(r.rebuild_peak_mib, 0)} "
        f"| {fmt(r.dagster_overhead_s)} | {fmt(r.incremental_s)} | {fmt(r.query_p50_ms)} "
        f"| {fmt(r.query_p95_ms)} | {fmt(r.page_p95_ms)} | {fmt(r.polars_s, 2)} | {fmt(r.pandas_s, 1)} "
        f"| {'–' if r.ratio is None else f'{r.ratio:,.0f}×'} | {r.load_average or '–'} |"
        for r in results
    ]
    return head + "\n".join(rows) + "\n"


def steps_table(result: ScaleResult, top: int = 15) -> str:
    """The slowest steps of the full rebuild at one scale (Markdown)."""
    ordered = sorted(result.steps_ms.items(), key=lambda kv: kv[1], reverse=True)
    total = sum(result.steps_ms.values())
    lines = ["| step | s | share of step time |", "|---|---|---|"]
    for key, ms in ordered[:top]:
        lines.append(f"| `{key}` | {ms / 1000:,.2f} | {ms / total:.0%} |")
    rest = ordered[top:]
    if rest:
        rest_ms = sum(ms for _, ms in rest)
        lines.append(f"| {len(rest)} other steps (checks, small marts) | {rest_ms / 1000:,.2f} | {rest_ms / total:.0%} |")
    lines.append(f"| **all steps** | **{total / 1000:,.2f}** | |")
    return "\n".join(lines) + "\n"


def targets_table(result: ScaleResult) -> str:
    """Targets of issue #8 against the figures at ``result``'s scale (Markdown)."""
    ratio = result.ratio
    rows = [
        ("full rebuild (Dagster included)", f"≤ {TARGET_REBUILD_S:g} s", fmt(result.rebuild_s) + " s",
         mark(result.rebuild_s, TARGET_REBUILD_S)),
        ("peak memory of the rebuild", f"≤ {TARGET_PEAK_MIB:,.0f} MiB", fmt(result.rebuild_peak_mib, 0) + " MiB",
         mark(result.rebuild_peak_mib, TARGET_PEAK_MIB)),
        ("incremental daily refresh", f"≤ {TARGET_INCREMENTAL_S:g} s", fmt(result.incremental_s) + " s",
         mark(result.incremental_s, TARGET_INCREMENTAL_S)),
        ("dashboard query p95", f"≤ {TARGET_QUERY_P95_MS:g} ms", fmt(result.query_p95_ms) + " ms",
         mark(result.query_p95_ms, TARGET_QUERY_P95_MS)),
        ("transforms vs pandas", f"≥ {TARGET_TRANSFORM_RATIO:g}×", "–" if ratio is None else f"{ratio:,.0f}×",
         "–" if ratio is None else ("✔" if ratio >= TARGET_TRANSFORM_RATIO else "✘")),
    ]
    lines = [f"| target (at {result.scale:g}×) | goal | measured | met |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines) + "\n"


def growth_text(results: list[ScaleResult]) -> str:
    """How cost grows with rows: the log-log slope of each measured time."""
    rows = [r.me_records for r in results]
    lines = []
    for label, values in (
        ("full rebuild", [r.rebuild_s for r in results]),
        ("full rebuild minus Dagster start-up",
         [None if r.rebuild_s is None or r.dagster_overhead_s is None else r.rebuild_s - r.dagster_overhead_s
          for r in results]),
        ("incremental refresh", [r.incremental_s for r in results]),
        ("transforms, Polars", [r.polars_s for r in results]),
        ("transforms, pandas", [r.pandas_s for r in results]),
        ("dashboard query p95", [r.query_p95_ms for r in results]),
    ):
        pairs = [(n, v) for n, v in zip(rows, values, strict=True) if v is not None]
        slope = growth_exponent([p[0] for p in pairs], [p[1] for p in pairs]) if len(pairs) >= 2 else None
        lines.append(f"| {label} | {'–' if slope is None else f'{slope:.2f}'} |")
    return "| measure | growth exponent (time ∝ rows^k) |\n|---|---|\n" + "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------------
# Machine
# ------------------------------------------------------------------------------------------------


def machine_details() -> dict[str, str]:
    """CPU model, cores, memory, OS, Python and library versions of this machine."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    versions = []
    for name in LIBRARIES:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "memory": memory,
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "libraries": ", ".join(versions),
    }


# ------------------------------------------------------------------------------------------------
# Measurements
# ------------------------------------------------------------------------------------------------


def pipeline_environment(work: Path, **overrides: str) -> dict[str, str]:
    """A child environment whose every pipeline path lives under ``work`` (demo mode)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ODW_")}
    env.update(
        {
            "ODW_WAREHOUSE": str(work / "warehouse.duckdb"),
            "ODW_APP_DB": str(work / "app.duckdb"),
            "ODW_RAW_DIR": str(work / "raw"),
            "ODW_OUTPUT_DIR": str(work / "output"),
            "ODW_ME_SOURCE": "demo",
            "ODW_BOUNDARIES_SOURCE": "bundled",
            "ODW_DEMO_END_MONTH": END_MONTH,
            "DAGSTER_HOME": str(work / "dagster_home"),
            "PYTHONPATH": str(ROOT),
            # `dg` runs in the project's environment, as `make` runs it.
            "VIRTUAL_ENV": sys.prefix,
        }
    )
    env.update(overrides)
    return env


def timed(command: list[str], env: dict[str, str], log: Path) -> tuple[float, float | None, int]:
    """Run ``command`` under the RSS wrapper; return (wall s, peak MiB, exit code); output to ``log``."""
    started = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.run(
            [sys.executable, "-c", _RSS_WRAPPER, *command],
            env=env, cwd=ROOT, stdout=out, stderr=subprocess.PIPE, text=True,
        )
        out.write(proc.stderr)
    wall = time.perf_counter() - started
    kib = parse_max_rss_kib(proc.stderr)
    return wall, None if kib is None else kib / 1024, proc.returncode


def generate(work: Path, scale: float) -> tuple[int, int, float]:
    """Write the demo inputs for ``scale`` under ``work/raw``; return (ME records, field rows, s)."""
    from pipelines.demo.field_data import write_field_demo
    from pipelines.demo.medical_examiner import write_me_demo

    started = time.perf_counter()
    end = date.fromisoformat(END_MONTH + "-01")
    raw = work / "raw"
    me_path = raw / "demo" / "medical_examiner" / "cjeq-bs86.json"
    me_path.parent.mkdir(parents=True, exist_ok=True)
    records = write_me_demo(me_path, scale=scale, end_month=end)
    # The field generator plants one bad row of each kind in fixed months; below 1× there would be
    # too few rows to plant them in, and 1× field data are tiny anyway.
    counts = write_field_demo(raw, end_month=end, scale=max(scale, 1.0))
    return records, counts["test_strips"] + counts["outreach"], time.perf_counter() - started


def run_record(dagster_home: Path) -> tuple[float, dict[str, float]]:
    """(run start-to-end s, step key → ms) of the latest run in ``dagster_home``."""
    import dagster as dg
    from dagster._core.events import DagsterEventType

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        record = instance.get_run_records(limit=1)[0]
        run_id = record.dagster_run.run_id
        stats = instance.get_run_stats(run_id)
        steps = {
            entry.step_key: entry.dagster_event.event_specific_data.duration_ms
            for entry in instance.all_logs(run_id, of_type=DagsterEventType.STEP_SUCCESS)
        }
        if record.dagster_run.status.value != "SUCCESS":
            raise RuntimeError(f"run {run_id} ended {record.dagster_run.status.value}")
    return stats.end_time - stats.start_time, steps


def job_command(job: str) -> list[str]:
    """``make pipeline``'s command for ``job`` (run from the project root, with ``VIRTUAL_ENV``)."""
    dg = str(Path(sys.executable).parent / "dg")
    return [dg, "launch", "--job", job, "--config", str(ROOT / "deploy" / "run_config" / "quiet.yaml")]


def full_rebuild(work: Path, result: ScaleResult) -> None:
    """Time the full rebuild on an empty warehouse (demo mode)."""
    for stale in ("warehouse.duckdb", "app.duckdb", "dagster_home"):
        path = work / stale
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    (work / "dagster_home").mkdir()
    (work / "dagster_home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = pipeline_environment(work)
    wall, peak, code = timed(job_command("overdose_watch_job"), env, work / "rebuild.log")
    if code != 0:
        raise RuntimeError(f"full rebuild failed at {result.scale:g}×: see {work / 'rebuild.log'}")
    run_s, steps = run_record(work / "dagster_home")
    result.rebuild_s, result.rebuild_peak_mib = wall, peak
    result.dagster_overhead_s = wall - run_s
    result.steps_ms = steps


def _defined_jobs() -> set[str]:
    from pipelines.definitions import defs

    definitions = defs()
    return {job.name for job in definitions.resolve_all_job_defs()}


def _seed_full_snapshot(work: Path) -> int:
    """Save the demo archive as the live path's full pull snapshot (pages of 50,000, as pulled)."""
    import duckdb

    from pipelines.defs.medical_examiner.client import Page, PullResult
    from pipelines.defs.medical_examiner.snapshots import save_snapshot
    from pipelines.settings import load_settings

    demo = work / "raw" / "demo" / "medical_examiner" / "cjeq-bs86.json"
    pages_dir = work / "seed_pages"
    shutil.rmtree(pages_dir, ignore_errors=True)
    pages_dir.mkdir()
    with duckdb.connect() as con:
        con.execute("SET preserve_insertion_order = true")
        con.execute(
            # sample_size = -1: fields absent from the first records (covid_related) must still be found.
            "CREATE TABLE archive AS SELECT *, row_number() OVER () AS rn "
            "FROM read_json($path, format = 'array', sample_size = -1)",
            {"path": str(demo)},
        )
        total = con.execute("SELECT count(*) FROM archive").fetchall()[0][0]
        page_size = 50_000
        for number, offset in enumerate(range(0, total, page_size), start=1):
            target = pages_dir / f"{number:04d}.json"
            # The system fields a real pull carries; page files are JSON arrays as SODA sends them.
            con.execute(
                "COPY (SELECT * EXCLUDE (rn), 'row-' || lpad(CAST(rn AS VARCHAR), 8, '0') AS \":id\", "
                f"'{SEED_UPDATED_AT}' AS \":updated_at\" FROM archive "
                f"WHERE rn > {offset} AND rn <= {offset + page_size} ORDER BY rn) "
                f"TO '{target}' (FORMAT json, ARRAY true)"
            )
    settings = load_settings()
    pages = []
    for number, path in enumerate(sorted(pages_dir.glob("*.json")), start=1):
        body = path.read_bytes()
        rows = min(page_size, total - (number - 1) * page_size)
        pages.append(Page(number, f"seed://{demo.name}#page{number}", body, [{}] * rows))
    now = datetime.now(UTC)
    result = PullResult(pages=pages, requests=len(pages), retries=0, started_at=now, finished_at=now,
                        updated_since=None, max_updated_at=SEED_UPDATED_AT)
    save_snapshot(work / "raw" / "medical_examiner", result, mode="full",
                  dataset_id=settings.me_dataset_id, base_url="seed://bench")
    shutil.rmtree(pages_dir)
    return total


def _day_batch(scale: float, size: int) -> list[dict]:
    """``size`` new synthetic records (new case numbers) for the day after the archive ends."""
    from pipelines.demo.medical_examiner import generate_me_records

    records = generate_me_records(n=size, seed=20261102, end_month=date.fromisoformat(END_MONTH + "-01"))
    for number, record in enumerate(records):
        record["casenumber"] = f"ME2026-NEW-{number:06d}"
    return records


def incremental_refresh(work: Path, result: ScaleResult) -> None:
    """Time the live-path daily refresh after a full build (see the module docstring)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from soda_server import SodaServer

    jobs = _defined_jobs()
    job = "me_daily_job" if "me_daily_job" in jobs else "overdose_watch_job"
    result.incremental_job = job
    shutil.rmtree(work / "raw" / "medical_examiner", ignore_errors=True)
    _seed_full_snapshot(work)
    batch = _day_batch(result.scale, day_batch_size(result.me_records, 130))
    result.incremental_batch = len(batch)
    with SodaServer([]) as server:
        env = pipeline_environment(work, ODW_ME_SOURCE="live", ODW_SOCRATA_BASE_URL=server.base_url,
                                   ODW_SOCRATA_MAX_RETRIES="1")
        # Untimed: merge the seeded full snapshot (the state after the previous day's run).
        _, _, code = timed(job_command("overdose_watch_job"), env, work / "seed.log")
        if code != 0:
            raise RuntimeError(f"live seed run failed at {result.scale:g}×: see {work / 'seed.log'}")
        server.upsert(batch, updated_at=BATCH_UPDATED_AT)
        wall, peak, code = timed(job_command(job), env, work / "incremental.log")
        if code != 0:
            raise RuntimeError(f"incremental run failed at {result.scale:g}×: see {work / 'incremental.log'}")
        served = sum(1 for params in server.data_requests() if params.get("$where"))
    if served == 0:
        raise RuntimeError("the incremental run sent no :updated_at query")
    _, steps = run_record(work / "dagster_home")
    result.incremental_s, result.incremental_peak_mib, result.incremental_steps_ms = wall, peak, steps


def dashboard_queries(app_db: Path, repeats: int) -> tuple[list[float], list[float]]:
    """Milliseconds per dashboard query and per map-page refresh, uncached, for every drug filter.

    A query is one loader call (a short-lived read-only connection and its SQL) or one shaping
    call (KPIs, map, trend); a page refresh is all of them, as the map page runs them on a cold
    cache.
    """
    from dashboards.components import data

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
            start, end = data.default_period(data.month_options(monthly))
            threshold, region = publication.suppress_below, publication.region_label
            not_placed = clock(data.load_not_placed_monthly.__wrapped__, version)
            clock(data.group_period_metrics, monthly, areas, start, end, drug, not_placed=not_placed,
                  region_label=region, threshold=threshold)
            clock(data.area_period_metrics, monthly, areas, start, end, drug, threshold=threshold)
            clock(data.monthly_group_metrics, monthly, areas, start, end, drug, region_label=region,
                  threshold=threshold)
            pages.append((time.perf_counter() - started) * 1000)
    return queries, pages


def transforms(work: Path, result: ScaleResult, with_pandas: bool) -> None:
    """Polars vs pandas on the same typed cases; their monthly marts must be equal."""
    import duckdb
    import polars as pl

    from pipelines.defs.medical_examiner.staging import MIN_DEATH_DATE
    from pipelines.warehouse import query_sql_file

    typed_path, areas_path = work / "typed.parquet", work / "areas.parquet"
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        latest = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=1)
        params = {"min_death_date": MIN_DEATH_DATE, "max_death_date": latest}
        query_sql_file(con, "staging/me_cases_typed.sql", params).pl().write_parquet(typed_path)
        con.sql("SELECT community_area_number, community_area, geometry_wkt FROM staging.community_areas") \
            .pl().write_parquet(areas_path)
        published = con.sql(
            "SELECT month, community_area_number, overdose_deaths, opioid_deaths, fentanyl_deaths, all_me_cases "
            "FROM marts.me_monthly_by_area WHERE all_me_cases > 0"
        ).pl()
    from bench.pandas_baseline import normalise_mart

    marts = {}
    for engine in ("polars", "pandas") if with_pandas else ("polars",):
        out, report = work / f"mart_{engine}.parquet", work / f"transform_{engine}.json"
        command = [sys.executable, str(ROOT / "bench" / "pandas_baseline.py"), "--engine", engine,
                   "--typed", str(typed_path), "--areas", str(areas_path), "--out", str(out), "--json", str(report)]
        # Through the RSS wrapper: a process forked straight from this one would inherit this
        # process's peak RSS as its own (Linux keeps ru_maxrss across fork and exec).
        _, peak, code = timed(command, pipeline_environment(work), work / f"transform_{engine}.log")
        if code != 0:
            raise RuntimeError(f"{engine} transforms failed at {result.scale:g}×")
        figures = json.loads(report.read_text())
        setattr(result, f"{engine}_s", figures["transform_s"])
        setattr(result, f"{engine}_peak_mib", peak)
        marts[engine] = pl.read_parquet(out)
    # The benchmark's Polars side must be the pipeline's own numbers, and pandas must agree.
    if not marts["polars"].equals(normalise_mart(published)):
        raise AssertionError(f"Polars transforms differ from marts.me_monthly_by_area at {result.scale:g}×")
    if with_pandas:
        result.marts_equal = marts["pandas"].equals(marts["polars"])
        if not result.marts_equal:
            raise AssertionError(f"pandas and Polars monthly marts differ at {result.scale:g}×")


def bench_scale(
    bench_dir: Path, scale: float, *, pandas: bool, repeats: int, incremental: bool, reuse: bool = False
) -> ScaleResult:
    """Every measurement at one scale."""
    work = bench_dir / f"scale_{scale:g}"
    work.mkdir(parents=True, exist_ok=True)
    saved = work / "result.json"
    if reuse and saved.exists():
        print(f"[{scale:g}×] reusing {saved}", file=sys.stderr, flush=True)
        return ScaleResult(**json.loads(saved.read_text()))
    result = ScaleResult(scale)
    print(f"[{scale:g}×] generating demo data …", file=sys.stderr, flush=True)
    result.me_records, result.field_rows, result.generate_s = generate(work, scale)
    result.load_average = " / ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"[{scale:g}×] full rebuild ({result.me_records:,} ME records) …", file=sys.stderr, flush=True)
    full_rebuild(work, result)
    print(f"[{scale:g}×] {result.rebuild_s:.1f} s; dashboard queries …", file=sys.stderr, flush=True)
    queries, pages = dashboard_queries(work / "app.duckdb", repeats)
    result.query_samples = len(queries)
    result.query_p50_ms, result.query_p95_ms = percentile(queries, 0.5), percentile(queries, 0.95)
    result.page_p50_ms, result.page_p95_ms = percentile(pages, 0.5), percentile(pages, 0.95)
    print(f"[{scale:g}×] transforms (pandas: {pandas}) …", file=sys.stderr, flush=True)
    transforms(work, result, pandas)
    if incremental:
        print(f"[{scale:g}×] incremental refresh …", file=sys.stderr, flush=True)
        incremental_refresh(work, result)
    (work / "result.json").write_text(json.dumps(asdict(result), indent=2))
    return result


# ------------------------------------------------------------------------------------------------
# Report
# ------------------------------------------------------------------------------------------------


def results_markdown(results: list[ScaleResult], machine: dict[str, str], notes: str = "") -> str:
    """The generated part of ``bench/RESULTS.md``."""
    largest = max(results, key=lambda r: r.scale)
    lines = [
        "## Machine",
        "",
        *(f"- **{k}:** {v}" for k, v in machine.items()),
        f"- **date:** {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        "## Per scale",
        "",
        summary_table(results),
        "Full rebuild: `dg launch --job overdose_watch_job` (as `make pipeline`) on an empty warehouse, wall time "
        "of the subprocess; peak MiB: peak resident memory of that process tree. Dagster start-up: wall "
        "time minus the run's own start-to-end time. Incremental: the live-path daily refresh "
        f"(job `{largest.incremental_job or '–'}`, {largest.incremental_batch or '–'} new records at "
        f"{largest.scale:g}×). Query: one loader (uncached, own read-only connection) or one shaping "
        f"call of the map page, p50/p95 over {largest.query_samples} samples; page: all of them for "
        "one cold map-page refresh. Load average: of the machine when the scale started (it is shared). Transforms: `stage_cases` + monthly mart (Polars) vs "
        "`bench/pandas_baseline.py`; monthly marts asserted equal.",
        "",
        f"## Per step, full rebuild at {largest.scale:g}×",
        "",
        steps_table(largest),
        "## How cost grows with rows",
        "",
        growth_text(results),
        f"## Targets at {largest.scale:g}×",
        "",
        targets_table(largest),
    ]
    if notes:
        lines += [notes]
    return "\n".join(lines) + "\n"


def write_results(path: Path, generated: str) -> None:
    """Replace the generated block of ``path`` (between markers), keeping the hand-written rest."""
    begin, end = "<!-- BEGIN bench results (bench/run_bench.py) -->", "<!-- END bench results -->"
    block = f"{begin}\n{generated}{end}"
    if path.exists() and begin in path.read_text() and end in path.read_text():
        text = path.read_text()
        head, rest = text.split(begin, 1)
        tail = rest.split(end, 1)[1]
        path.write_text(head + block + tail)
    else:
        path.write_text("# Benchmark results (`make bench`)\n\n" + block + "\n")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: run the benchmark, print the table, write the results."""
    parser = argparse.ArgumentParser(prog="python bench/run_bench.py", description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,10,100", help="comma-separated scales (default 1,10,100)")
    parser.add_argument("--bench-dir", type=Path, default=ROOT / ".bench", help="work folder (default .bench/)")
    parser.add_argument("--skip-pandas-above", type=float, default=None,
                        help="run the pandas baseline only up to this scale (default: every scale)")
    parser.add_argument("--repeats", type=int, default=20, help="dashboard query repetitions per drug (default 20)")
    parser.add_argument("--no-incremental", action="store_true", help="skip the incremental refresh")
    parser.add_argument("--reuse", action="store_true",
                        help="take a scale's figures from its result.json of an earlier run when present")
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "RESULTS.md",
                        help="Markdown file to update (default bench/RESULTS.md); '-' to write none")
    args = parser.parse_args(argv)
    scales = [float(s) for s in args.scales.split(",") if s.strip()]
    results = []
    for scale in scales:
        pandas = args.skip_pandas_above is None or scale <= args.skip_pandas_above
        results.append(bench_scale(args.bench_dir.resolve(), scale, pandas=pandas, repeats=args.repeats,
                                   incremental=not args.no_incremental, reuse=args.reuse))
    print(summary_table(results))
    largest = max(results, key=lambda r: r.scale)
    print(steps_table(largest))
    print(targets_table(largest))
    if str(args.results) != "-":
        write_results(args.results, results_markdown(results, machine_details()))
        print(f"wrote {args.results}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

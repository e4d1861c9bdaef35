"""Running the pipeline as ``make pipeline`` does, in a work folder of its own, and timing it.

The full rebuild runs ``dg launch --job …`` (as ``make pipeline``) as a real subprocess on an empty warehouse
(Dagster's start-up included), under a small wrapper that reports the peak resident memory of the
process tree. The incremental daily refresh seeds the live path with the archive as a full pull,
then runs the daily job twice against a local SODA-2.1 server (``tests/soda_server.py``): once with
nothing new (its later steps skipped), once with one day's new records. The floor, a bare Dagster
job (``bench/bare_dagster.py``), is launched the same way between those runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

from bench.results import ScaleResult

ROOT = Path(__file__).resolve().parents[1]
#: Demo end month used at every scale, so the runs are comparable and repeatable.
END_MONTH = "2026-10"
#: Monthly pulls of the demo history at 1× (as `make demo`); none at larger scales.
DEMO_PULLS = 40
#: The watermark of the seeded full pull and the time the day's batch was updated.
SEED_UPDATED_AT = "2026-11-01T06:00:00.000Z"
BATCH_UPDATED_AT = "2026-11-02T06:00:00.000Z"
#: Wrapper that runs a command and reports the peak RSS of everything it waited for (KiB on Linux).
_RSS_WRAPPER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[1:])\n"
    "print('BENCH_MAXRSS_KIB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def parse_max_rss_kib(stderr: str) -> int | None:
    """The peak RSS the wrapper printed, or None when it is missing."""
    for line in reversed(stderr.splitlines()):
        if line.startswith("BENCH_MAXRSS_KIB "):
            return int(line.split()[1])
    return None


def day_batch_size(records: int, months: int) -> int:
    """New Medical Examiner records in one day of an archive of ``records`` over ``months``."""
    return max(1, round(records / (months * 30.44)))


def pipeline_environment(work: Path, **overrides: str) -> dict[str, str]:
    """A child environment whose every pipeline path lives under ``work`` (demo mode)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ODW_")}
    env.update(
        {
            "ODW_WAREHOUSE": str(work / "warehouse.duckdb"),
            "ODW_APP_DB": str(work / "app.duckdb"),
            "ODW_RAW_DIR": str(work / "raw"),
            "ODW_REFUSED_DIR": str(work / "refused"),
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
    from pipelines.demo.medical_examiner.history import write_me_demo_history

    started = time.perf_counter()
    end = date.fromisoformat(END_MONTH + "-01")
    raw = work / "raw"
    me_path = raw / "demo" / "medical_examiner" / "cjeq-bs86.json"
    me_path.parent.mkdir(parents=True, exist_ok=True)
    # 1×: the demo as `make demo` writes it, with its 40 monthly pulls (replayed by the ingest, read
    # by the nowcast; 23 MB beside the 17 MB file). Larger scales write the final state only: at 100×
    # the pulls would add ~2.3 GB and minutes of writing; the nowcast then has no history to learn from.
    records = write_me_demo_history(me_path, pulls=DEMO_PULLS if scale <= 1 else 0, scale=scale, end_month=end)
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


def bare_dagster(work: Path, result: ScaleResult) -> float:
    """Time the floor once: the bare Dagster job (``bench/bare_dagster.py``), launched as the real
    jobs are (``dg launch --job`` as a subprocess, in-process executor, a ``DAGSTER_HOME`` of its own);
    the sample is added to ``result.floor_samples_s``."""
    home = work / "bare_dagster_home"
    if not home.is_dir():
        home.mkdir(parents=True)
        (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = pipeline_environment(work, DAGSTER_HOME=str(home))
    dg = str(Path(sys.executable).parent / "dg")
    command = [dg, "launch", "--job", "bare_dagster_job", "-f", str(ROOT / "bench" / "bare_dagster.py")]
    wall, _peak, code = timed(command, env, work / "bare_dagster.log")
    if code != 0:
        raise RuntimeError(f"the bare Dagster job failed at {result.scale:g}×: see {work / 'bare_dagster.log'}")
    result.floor_samples_s.append(wall)
    return wall


def skipped_steps(dagster_home: Path) -> int:
    """How many steps the latest run in ``dagster_home`` skipped."""
    import dagster as dg
    from dagster._core.events import DagsterEventType

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        run_id = instance.get_run_records(limit=1)[0].dagster_run.run_id
        return len(instance.all_logs(run_id, of_type=DagsterEventType.STEP_SKIPPED))


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
        bare_dagster(work, result)
        # A day whose pull brings nothing new: the steps after the pull are skipped.
        wall, peak, code = timed(job_command(job), env, work / "nothing_new.log")
        if code != 0:
            raise RuntimeError(f"nothing-new run failed at {result.scale:g}×: see {work / 'nothing_new.log'}")
        result.nothing_new_s, result.nothing_new_peak_mib = wall, peak
        result.nothing_new_skipped = skipped_steps(work / "dagster_home")
        server.upsert(batch, updated_at=BATCH_UPDATED_AT)
        bare_dagster(work, result)
        wall, peak, code = timed(job_command(job), env, work / "incremental.log")
        if code != 0:
            raise RuntimeError(f"incremental run failed at {result.scale:g}×: see {work / 'incremental.log'}")
        served = sum(1 for params in server.data_requests() if params.get("$where"))
    if served == 0:
        raise RuntimeError("the incremental run sent no :updated_at query")
    _, steps = run_record(work / "dagster_home")
    result.incremental_s, result.incremental_peak_mib, result.incremental_steps_ms = wall, peak, steps

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
   **Floor.** A bare Dagster job with one no-op asset (``bench/bare_dagster.py``), launched the same
   way (``dg launch --job``, in-process executor, a ``DAGSTER_HOME`` of its own), before and after
   the rebuild and before each timed daily run; the floor is the median of those samples. Every
   pipeline time is printed also as a ratio to it and as the time above it (``bench/floors.py``).
3. **Incremental daily refresh.** Demo mode has no increments (a changed demo file is reloaded
   whole), so the daily refresh is measured on the live path, as production runs it: the archive
   as a full pull snapshot (written with the pipeline's own ``save_snapshot``) is merged once
   (untimed), then a local SODA-2.1 server (``tests/soda_server.py``, 127.0.0.1) serves the day's
   new records — about one day of the archive's volume, with a later ``:updated_at`` — and the
   timed run pulls them with ``$where=:updated_at > watermark``, merges them and rebuilds
   everything downstream. Before that, a timed run whose pull brings nothing new (the server holds
   nothing after the watermark): its steps after the pull are skipped. The server holds only the
   new records: for the one query the pipeline sends (``:updated_at`` after the watermark) that is
   the same answer a server holding the whole archive gives, without a Python server scanning
   millions of rows per request in the timing.
   The job is ``me_daily_job`` when the code location defines it, else ``overdose_watch_job``.
4. **Dashboard queries.** The map page's real loaders (``dashboards.components.data``, called
   uncached through ``__wrapped__``) and its shaping functions (KPIs, map, trend) on the published
   ``app.duckdb``, repeated; p50/p95 of one page's worth of data per drug filter.
5. **Transforms vs pandas.** ``bench/pandas_baseline.py`` runs the pipeline's staging transforms
   (``stage_cases_in_warehouse`` and the monthly mart, in a copy of the warehouse, from the raw
   records) and a straightforward pandas implementation on the typed cases, each in its own
   process; their monthly marts must be equal (asserted) before the ratio is reported.

Prints a table and writes ``bench/RESULTS.md`` (``--results``). See ``--help`` for the options.
The steps live in :mod:`bench.pipeline_runs` (1-3), :mod:`bench.measurements` (4-5) and
:mod:`bench.results` (figures and report).
"""

from __future__ import annotations


from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.measurements import dashboard_queries, transforms  # noqa: E402
from bench.pipeline_runs import bare_dagster, full_rebuild, generate, incremental_refresh  # noqa: E402
from bench.results import (  # noqa: E402
    ScaleResult,
    floor_targets_table,
    floors_table,
    machine_details,
    percentile,
    results_markdown,
    steps_table,
    summary_table,
    targets_table,
    write_results,
)


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
    print(f"[{scale:g}×] bare Dagster job (the floor) …", file=sys.stderr, flush=True)
    bare_dagster(work, result)
    print(f"[{scale:g}×] full rebuild ({result.me_records:,} ME records) …", file=sys.stderr, flush=True)
    full_rebuild(work, result)
    bare_dagster(work, result)
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
    print(floors_table(results))
    print(floor_targets_table(results))
    if str(args.results) != "-":
        write_results(args.results, results_markdown(results, machine_details()))
        print(f"wrote {args.results}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


if __name__ == "__main__":
    raise SystemExit(main())

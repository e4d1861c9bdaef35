"""What the benchmark measured at each scale, and how it is reported (tables, ``bench/RESULTS.md``)."""

from __future__ import annotations

import math
import os
import platform
import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from bench.floors import floor_of, pipeline_verdicts, verdict_table, with_floor

#: Targets from issue #8 (2-core machine).
TARGET_REBUILD_S = 20.0
TARGET_PEAK_MIB = 1536.0
TARGET_INCREMENTAL_S = 5.0
TARGET_QUERY_P95_MS = 200.0
TARGET_TRANSFORM_RATIO = 20.0
#: Libraries whose versions the results name.
LIBRARIES = ("dagster", "duckdb", "polars", "pandas", "geopandas", "numpy", "esda", "streamlit")


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0–1) of ``values`` with linear interpolation (NumPy's default)."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


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
    pipeline_s: float | None = None
    pipeline_peak_mib: float | None = None
    pandas_s: float | None = None
    pandas_peak_mib: float | None = None
    marts_equal: bool | None = None
    #: The floor: wall times of the bare Dagster job (``bench/bare_dagster.py``) in this run.
    floor_samples_s: list[float] = field(default_factory=list)
    #: The daily job when the pull brings nothing new (its later steps skipped).
    nothing_new_s: float | None = None
    nothing_new_peak_mib: float | None = None
    nothing_new_skipped: int | None = None

    @property
    def floor_s(self) -> float | None:
        """The floor of this scale's pipeline figures: the median of its samples."""
        return floor_of(self.floor_samples_s)

    @property
    def ratio(self) -> float | None:
        """pandas time / the pipeline's time on the transforms."""
        if self.pandas_s is None or not self.pipeline_s:
            return None
        return self.pandas_s / self.pipeline_s


def floors_table(results: list[ScaleResult]) -> str:
    """Each scale's pipeline runs beside the floor: seconds, ratio to the floor, seconds above it."""
    lines = [
        "| scale | bare Dagster s (samples) | full rebuild | daily, nothing new | steps skipped "
        "| daily, a day's new records |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        floor = r.floor_s
        cells = []
        for value in (r.rebuild_s, r.nothing_new_s, r.incremental_s):
            gap = None if value is None or floor is None else value - floor
            cells.append(with_floor(value, floor, "s") + ("" if gap is None else f", +{gap:,.1f} s"))
        samples = ", ".join(f"{v:.1f}" for v in r.floor_samples_s) or "–"
        skipped = "–" if r.nothing_new_skipped is None else f"{r.nothing_new_skipped}"
        lines.append(f"| {r.scale:g}× | {fmt(floor)} ({samples}) | {cells[0]} | {cells[1]} | {skipped} | {cells[2]} |")
    return "\n".join(lines) + "\n"


def floor_targets_table(results: list[ScaleResult]) -> str:
    """Issue #21's pipeline targets (1×: above the floor; 100×: time and memory), pass or fail."""
    verdicts = [
        v
        for r in results
        for v in pipeline_verdicts(
            r.scale,
            floor_s=r.floor_s,
            rebuild_s=r.rebuild_s,
            rebuild_peak_mib=r.rebuild_peak_mib,
            nothing_new_s=r.nothing_new_s,
            new_day_s=r.incremental_s,
        )
    ]
    if not verdicts:
        return "No target of issue #21 applies at these scales (they are set at 1× and 100×).\n"
    return verdict_table(verdicts, "target (issue #21)")


def summary_table(results: list[ScaleResult]) -> str:
    """The per-scale table (Markdown, also what ``make bench`` prints)."""
    head = (
        "| scale | ME records | field rows | full rebuild s | peak MiB | Dagster start-up s "
        "| incremental s | query p50 ms | query p95 ms | page p95 ms | transforms pipeline s | pandas s | ratio "
        "| load avg 1/5/15 min |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    rows = [
        f"| {r.scale:g}× | {r.me_records:,} | {r.field_rows:,} | {fmt(r.rebuild_s)} | {fmt(r.rebuild_peak_mib, 0)} "
        f"| {fmt(r.dagster_overhead_s)} | {fmt(r.incremental_s)} | {fmt(r.query_p50_ms)} "
        f"| {fmt(r.query_p95_ms)} | {fmt(r.page_p95_ms)} | {fmt(r.pipeline_s, 2)} | {fmt(r.pandas_s, 1)} "
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
        ("transforms, pipeline", [r.pipeline_s for r in results]),
        ("transforms, pandas", [r.pandas_s for r in results]),
        ("dashboard query p95", [r.query_p95_ms for r in results]),
    ):
        pairs = [(n, v) for n, v in zip(rows, values, strict=True) if v is not None]
        slope = growth_exponent([p[0] for p in pairs], [p[1] for p in pairs]) if len(pairs) >= 2 else None
        lines.append(f"| {label} | {'–' if slope is None else f'{slope:.2f}'} |")
    return "| measure | growth exponent (time ∝ rows^k) |\n|---|---|\n" + "\n".join(lines) + "\n"


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
        "one cold map-page refresh. Load average: of the machine when the scale started (it is shared). Transforms: the "
        "pipeline's `stage_cases_in_warehouse` + `me_monthly_by_area.sql` from raw records (typing included) vs "
        "`bench/pandas_baseline.py` from typed rows; monthly marts asserted equal.",
        "",
        "## Beside the floor",
        "",
        floors_table(results),
        "Floor: a bare Dagster job with one no-op asset (`bench/bare_dagster.py`), launched as the real "
        "jobs are (`dg launch --job`, in-process executor), timed in the same run between the pipeline's "
        "runs; the floor is the median of its samples. Each figure: seconds, (ratio to the floor), "
        "seconds above the floor. Nothing new: the daily job when the pull brings no record (the steps "
        "after it skipped); a day's new records: as in the incremental column above.",
        "",
        floor_targets_table(results),
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

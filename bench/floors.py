"""Floors and targets: every figure beside what the framework alone costs, judged against issue #21.

A *floor* is the same measurement of a program with nothing of the project in it, timed in the
same run: a bare Dagster job with one no-op asset (``bench/bare_dagster.py``) for the pipeline's
runs, and the reference app's pages (``bench/reference_app``) for the dashboard's first renders.
A figure is shown in its unit, as the ratio to its floor (``×``) and, for the pipeline, as the time
above it. Targets are checked here, once, by the tools that print them (never by timed unit
tests), as ``pass``/``fail`` with the goal beside the figure.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

#: Pipeline at 1×: seconds allowed above the bare Dagster job.
REBUILD_ABOVE_FLOOR_S = 8.0
NOTHING_NEW_ABOVE_FLOOR_S = 2.0
NEW_DAY_ABOVE_FLOOR_S = 5.0
#: Pipeline at 100×: absolute limits.
REBUILD_AT_100X_S = 90.0
PEAK_AT_100X_MIB = 1536.0
#: Dashboard: first render of a page against its reference page, switching and interactions.
FIRST_RENDER_FLOOR_RATIO = 1.15
SWITCH_MEDIAN_MS = 1000.0
SWITCH_P95_MS = 1500.0
INTERACTION_P95_MS = 500.0
#: Which reference page is each dashboard page's floor: pages that draw a map or a chart are
#: measured against the reference page with one of its kind; the others against the title alone.
FLOOR_PAGES = {"Map": "One-point map", "Trends": "Three-point chart"}
TITLE_ONLY = "Title only"


def ratio(value: float | None, floor: float | None) -> float | None:
    """``value`` / ``floor``; None when either is missing or the floor is not positive."""
    if value is None or floor is None or floor <= 0:
        return None
    return value / floor


def above(value: float | None, floor: float | None) -> float | None:
    """``value`` − ``floor`` (what the project adds to the framework); None when either is missing."""
    if value is None or floor is None:
        return None
    return value - floor


def floor_of(samples: Sequence[float]) -> float | None:
    """The floor from its samples in one run: their median (None without samples)."""
    return statistics.median(samples) if samples else None


def floor_page(title: str) -> str:
    """The reference page a dashboard page is compared with."""
    return FLOOR_PAGES.get(title, TITLE_ONLY)


def with_floor(value: float | None, floor: float | None, unit: str, digits: int = 1) -> str:
    """A figure in its unit with its ratio to the floor, e.g. ``"12.3 s (3.5×)"``; "–" when absent."""
    if value is None:
        return "–"
    times = ratio(value, floor)
    return f"{value:,.{digits}f} {unit}" + ("" if times is None else f" ({times:,.2f}×)")


@dataclass(frozen=True)
class Verdict:
    """One target: what is judged, the goal in words, the figure in words, and the outcome."""

    label: str
    goal: str
    measured: str
    met: bool | None

    @property
    def outcome(self) -> str:
        """``pass``, ``fail``, or ``–`` when the figure was not measured."""
        return "–" if self.met is None else ("pass" if self.met else "fail")


def at_most(label: str, value: float | None, limit: float | None, goal: str, measured: str) -> Verdict:
    """A lower-is-better target: met when ``value`` ≤ ``limit`` (unknown when either is missing)."""
    met = None if value is None or limit is None else value <= limit
    return Verdict(label, goal, measured, met)


def pipeline_verdicts(
    scale: float,
    *,
    floor_s: float | None,
    rebuild_s: float | None,
    rebuild_peak_mib: float | None,
    nothing_new_s: float | None,
    new_day_s: float | None,
) -> list[Verdict]:
    """The pipeline targets that apply at ``scale`` (those of 1× and of 100×; none at others)."""
    verdicts = []
    if scale == 1:
        floor_text = "–" if floor_s is None else f"{floor_s:,.1f} s"
        for label, value, allowed in (
            ("full rebuild", rebuild_s, REBUILD_ABOVE_FLOOR_S),
            ("daily refresh, nothing new", nothing_new_s, NOTHING_NEW_ABOVE_FLOOR_S),
            ("daily refresh, a day's new records", new_day_s, NEW_DAY_ABOVE_FLOOR_S),
        ):
            limit = None if floor_s is None else floor_s + allowed
            gap = above(value, floor_s)
            measured = with_floor(value, floor_s, "s") + ("" if gap is None else f", floor + {gap:,.1f} s")
            verdicts.append(at_most(f"{label} at 1×", value, limit,
                                    f"≤ bare Dagster ({floor_text}) + {allowed:g} s", measured))
    if scale == 100:
        verdicts.append(at_most("full rebuild at 100×", rebuild_s, REBUILD_AT_100X_S,
                                f"≤ {REBUILD_AT_100X_S:g} s", with_floor(rebuild_s, floor_s, "s")))
        verdicts.append(at_most("peak memory of the rebuild at 100×", rebuild_peak_mib, PEAK_AT_100X_MIB,
                                f"≤ {PEAK_AT_100X_MIB:,.0f} MiB (1.5 GiB)",
                                "–" if rebuild_peak_mib is None else f"{rebuild_peak_mib:,.0f} MiB"))
    return verdicts


def first_render_verdict(title: str, page_ms: float | None, floor_ms: float | None) -> Verdict:
    """A page's median first render against ``FIRST_RENDER_FLOOR_RATIO`` × its reference page's."""
    times = ratio(page_ms, floor_ms)
    measured = with_floor(page_ms, floor_ms, "ms", 0)
    if page_ms is not None and floor_ms is not None:
        measured += f" of {floor_ms:,.0f} ms"
    return at_most(
        f"{title}: first render",
        times,
        FIRST_RENDER_FLOOR_RATIO,
        f"≤ {FIRST_RENDER_FLOOR_RATIO:g}× {floor_page(title)}",
        measured,
    )


def switch_verdicts(title: str, median_ms: float | None, p95_ms: float | None) -> list[Verdict]:
    """Switching onto a page: median and p95 against their limits."""
    return [
        at_most(f"{title}: switching median", median_ms, SWITCH_MEDIAN_MS, f"≤ {SWITCH_MEDIAN_MS:,.0f} ms",
                "–" if median_ms is None else f"{median_ms:,.0f} ms"),
        at_most(f"{title}: switching p95", p95_ms, SWITCH_P95_MS, f"≤ {SWITCH_P95_MS:,.0f} ms",
                "–" if p95_ms is None else f"{p95_ms:,.0f} ms"),
    ]


def interaction_verdict(title: str, p95_ms: float | None) -> Verdict:
    """A page's filter interactions: p95 against its limit."""
    return at_most(f"{title}: filter interaction p95", p95_ms, INTERACTION_P95_MS, f"≤ {INTERACTION_P95_MS:,.0f} ms",
                   "–" if p95_ms is None else f"{p95_ms:,.0f} ms")


def verdict_table(verdicts: Sequence[Verdict], heading: str = "target") -> str:
    """The verdicts as a Markdown table."""
    lines = [f"| {heading} | goal | measured | result |", "|---|---|---|---|"]
    lines += [f"| {v.label} | {v.goal} | {v.measured} | {v.outcome} |" for v in verdicts]
    return "\n".join(lines) + "\n"


def dashboard_verdicts(
    first_render_ms: dict[str, float],
    reference_ms: dict[str, float],
    switch_ms: dict[str, list[float]],
    interaction_ms: dict[str, list[float] | None],
    p95: Callable[[list[float]], float],
) -> list[Verdict]:
    """Every dashboard target: each page's median first render against its reference page's,
    switching onto each page (median, p95), and each page's filter interactions (p95).

    ``first_render_ms`` / ``reference_ms``: median first render by page title; ``switch_ms`` and
    ``interaction_ms``: the samples by page title (None: the page has no filter to change).
    """
    verdicts = [
        first_render_verdict(title, ms, reference_ms.get(floor_page(title)))
        for title, ms in first_render_ms.items()
    ]
    for title, samples in switch_ms.items():
        verdicts += switch_verdicts(
            title, statistics.median(samples) if samples else None, p95(samples) if samples else None
        )
    for title, samples in interaction_ms.items():
        if samples is not None:
            verdicts.append(interaction_verdict(title, p95(samples) if samples else None))
    return verdicts

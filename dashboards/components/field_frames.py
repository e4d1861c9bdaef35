"""Tables and KPI text of the Test strips & outreach page: monthly activity, the hand-off funnel,
coverage, positivity and totals over chosen areas, suppressed before display (pure functions).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from dashboards.components.selection import SelectionTotal, hidden_areas, selection_total
from dashboards.components.strip_tables import pct
from pipelines.defs.epidemiology.suppression import suppress
from pipelines.defs.field_data.metrics import wilson_ci


#: Monthly activity measures: column of ``marts.outreach_monthly`` -> chart label.
ACTIVITY = {
    "naloxone_kits_distributed": "Naloxone kits distributed",
    "people_trained_naloxone": "People trained in naloxone",
    "warm_handoffs_total": "Warm hand-offs",
    "naloxone_administrations": "Reversals (naloxone given)",
}
# The individual hand-off kinds add up to "Any warm hand-off", so they are suppressed as one group.
HANDOFF_KINDS = ("MOUD", "Detox", "Mental health", "Housing", "Medical")


# ---- Shaping (suppressed display frames: what is shown is what is downloaded) ----------------


def activity_frame(outreach: pl.DataFrame, start: date, end: date, threshold: int) -> pl.DataFrame:
    """Monthly all-areas activity in long form; small counts hidden (one group per measure)."""
    long = (
        outreach.filter(pl.col("month").is_between(start, end))
        .unpivot(index="month", on=list(ACTIVITY), variable_name="measure", value_name="count")
        .with_columns(pl.col("measure").replace_strict(ACTIVITY), pl.col("count").cast(pl.Int64))
        .sort("measure", "month")
    )
    long = suppress(long, "count", threshold=threshold, complementary_by=["measure"])
    return long.select(
        pl.col("month").dt.strftime("%Y-%m").alias("month"),
        "measure",
        pl.col("count_display").alias("count"),
    )


def funnel_frame(funnel: pl.DataFrame, start: date, end: date, threshold: int) -> pl.DataFrame:
    """Contacts → any warm hand-off → each kind, summed over the period, suppressed."""
    totals = (
        funnel.filter(pl.col("month").is_between(start, end))
        .group_by("stage_order", "stage")
        .agg(pl.col("stage_count").sum().cast(pl.Int64).alias("people"))
        .sort("stage_order")
    )
    contacts = totals.filter(pl.col("stage") == "Contacts").get_column("people").sum()
    kinds = totals.filter(pl.col("stage").is_in(HANDOFF_KINDS))
    head = totals.filter(~pl.col("stage").is_in(HANDOFF_KINDS))
    shown = pl.concat(
        [
            suppress(head, "people", threshold=threshold, complementary_by=None),
            suppress(kinds, "people", threshold=threshold, complementary_by=[]).drop(
                "people_group_total_suppressed"
            ),
        ]
    ).sort("stage_order")
    share = pl.col("people") / contacts if contacts else pl.lit(None, dtype=pl.Float64)
    return shown.select(
        "stage",
        pl.col("people_display").alias("people"),
        pct(share).alias("share_of_contacts_pct"),
        pl.col("people").alias("plotted"),
    )


def coverage_frame(coverage: pl.DataFrame, threshold: int) -> pl.DataFrame:
    """Kits per overdose death: the region, its areas and any other area with kits, suppressed.

    The region's areas are one complementary group whose total (the region row) is shown.
    """
    areas = coverage.filter(pl.col("area_level") == "community_area").filter(
        pl.col("in_region") | (pl.col("naloxone_kits_distributed") > 0)
    )
    region = coverage.filter(pl.col("area_level") == "region")
    in_region = suppress(
        areas.filter(pl.col("in_region")),
        "overdose_deaths",
        threshold=threshold,
        rate_cols=["kits_per_death"],
        complementary_by=[],
    ).drop("overdose_deaths_group_total_suppressed")
    others = suppress(
        areas.filter(~pl.col("in_region")),
        "overdose_deaths",
        threshold=threshold,
        rate_cols=["kits_per_death"],
    )
    top = suppress(region, "overdose_deaths", threshold=threshold, rate_cols=["kits_per_death"])
    # Kits are a small count too (1–9 → "<10", with the ratio); the region row is their total.
    in_region = suppress(
        in_region, "naloxone_kits_distributed", threshold=threshold, rate_cols=["kits_per_death"],
        complementary_by=[],
    ).drop("naloxone_kits_distributed_group_total_suppressed")
    others = suppress(others, "naloxone_kits_distributed", threshold=threshold, rate_cols=["kits_per_death"])
    top = suppress(top, "naloxone_kits_distributed", threshold=threshold, rate_cols=["kits_per_death"])
    return pl.concat([top, in_region, others]).select(
        pl.col("community_area").alias("area"),
        pl.col("naloxone_kits_distributed_display").alias("kits_distributed"),
        pl.col("overdose_deaths_display").alias("overdose_deaths"),
        pl.col("kits_per_death").round(1).alias("kits_per_death"),
    )


def proportion_text(successes: int, trials: int, threshold: int) -> tuple[str, str]:
    """KPI value and caption for a positivity: hidden when the strips read or the positive strips
    are 1 to ``threshold - 1`` (a shown share and total would give the positives back), else the
    share with its Wilson CI."""
    if trials == 0:
        return "—", "No strips read in this period"
    if trials < threshold:
        return "—", f"Not shown: fewer than {threshold} strips read"
    if 0 < successes < threshold:
        return "—", f"Not shown: fewer than {threshold} positive strips of {trials:,} read"
    lower, upper = wilson_ci(successes, trials)
    return (
        f"{successes / trials:.0%}",
        f"95% CI {float(lower):.0%}–{float(upper):.0%} · {trials:,} strips read",
    )


def strip_totals(
    positivity: pl.DataFrame, strip: str, start: date, end: date
) -> tuple[int, int, int]:
    """All-areas strips used, read and positive for one strip type over the period."""
    rows = positivity.filter(
        pl.col("area_level") == "all",
        pl.col("strip_type") == strip,
        pl.col("month").is_between(start, end),
    )
    return (
        int(rows.get_column("strips_used").sum()),
        int(rows.get_column("tests_read").sum()),
        int(rows.get_column("positives").sum()),
    )


def area_totals(frame: pl.DataFrame, column: str, start: date, end: date) -> dict[int, int]:
    """Per-community-area totals of ``column`` over the period (rows without an area left out)."""
    period = frame.filter(
        pl.col("month").is_between(start, end), pl.col("community_area_number").is_not_null()
    )
    return dict(period.group_by("community_area_number").agg(pl.col(column).sum()).iter_rows())


def chosen_total(per_area: dict[int, int], areas: tuple[int, ...], threshold: int) -> SelectionTotal:
    """Total over the chosen areas, withheld when it would give away an area the per-area views
    hide (the all-areas total is published too; see ``components/selection.py``)."""
    every = set(per_area) | set(areas)
    full = {a: int(per_area.get(a, 0)) for a in every}
    return selection_total(
        full,
        areas,
        threshold,
        hidden=hidden_areas(full, dict.fromkeys(every, "all"), threshold),
        wholes=(every,),
    )


def selection_strip_totals(
    positivity: pl.DataFrame, strip: str, start: date, end: date, areas: tuple[int, ...], threshold: int
) -> tuple[SelectionTotal, SelectionTotal]:
    """Strips read and positive strips for one strip type in the chosen areas (suppressed totals)."""
    rows = positivity.filter(pl.col("area_level") != "all", pl.col("strip_type") == strip)
    read = chosen_total(area_totals(rows, "tests_read", start, end), areas, threshold)
    positives = chosen_total(area_totals(rows, "positives", start, end), areas, threshold)
    return read, positives


def selection_proportion_text(
    read: SelectionTotal, positives: SelectionTotal, threshold: int
) -> tuple[str, str]:
    """Positivity KPI for an area selection: hidden with its strips-read or positive-strips total."""
    if read.value == 0:
        return "—", "No strips read in this period"
    if not read.shown:
        return "—", f"Not shown: fewer than {threshold} strips read, or it would reveal an area"
    if not positives.shown:
        return "—", f"Not shown: fewer than {threshold} positive strips, or it would reveal an area"
    return proportion_text(positives.value, read.value, threshold)


def total_and_areas(frame: pl.DataFrame, column: str, names: list[str]) -> pl.DataFrame:
    """``frame``'s first row (the total, kept as context) and its rows for the areas ``names``,
    suppressed as in the all-areas view (nothing is recomputed for the selection)."""
    return frame.head(1).vstack(frame.slice(1).filter(pl.col(column).is_in(names)))

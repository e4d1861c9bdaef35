"""Totals over a user-chosen set of community areas, without giving a suppressed area away.

The shared *areas* filter lets anyone choose any set of areas, while the per-area counts are
published elsewhere (the map, tables) with small-number and complementary suppression. A total
over the chosen areas adds a new sum to what is public, and a sum can be differenced: with area
A hidden and area B shown as 50, a total of 57 for {A, B} gives A = 7 back; the region total minus
"every region area but A" is A again.

Rule (:func:`selection_total`): take the areas that the per-area view hides
(:func:`hidden_areas`: primary 1 to ``threshold - 1`` and complementary cells, as
``suppress(..., complementary_by=...)`` hides them). In the chosen areas — and in the areas left
out of every published total that contains the selection (region, city) — the hidden cells must
be none, or at least two whose sum is not itself 1 to ``threshold - 1``. Otherwise the total is
withheld and shown as :data:`WITHHELD`. A total that is itself 1 to ``threshold - 1`` is "<10" as usual.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass

import polars as pl

from pipelines.defs.epidemiology.suppression import display_count, suppress

#: Display of a total withheld because it would reveal a suppressed area.
WITHHELD = "*"
WITHHELD_NOTE = "* Not shown: with the per-area figures it would reveal a count below {t}."


@dataclass(frozen=True)
class SelectionTotal:
    """A total over the chosen areas: the raw value (never display it directly) and its text."""

    value: int
    display: str
    shown: bool


def hidden_areas(
    counts: Mapping[int, int], groups: Mapping[int, Hashable], threshold: int
) -> frozenset[int]:
    """Areas whose count a per-area view hides: primary and complementary suppression within each
    group (``groups``: area -> group key, e.g. in the region or not)."""
    if not counts:
        return frozenset()
    # In area-number order, as the Map's table: a tie for the complementary cell goes to the same area.
    areas = sorted(counts)
    frame = pl.DataFrame(
        {
            "area": areas,
            "count": [int(counts[a]) for a in areas],
            "group": [str(groups.get(a)) for a in areas],
        },
        schema={"area": pl.Int64, "count": pl.Int64, "group": pl.String},
    )
    out = suppress(frame, "count", threshold=threshold, complementary_by=["group"])
    return frozenset(out.filter(pl.col("count_suppressed")).get_column("area").to_list())


def _reveals(values: list[int], threshold: int) -> bool:
    hidden = [v for v in values if v > 0]
    return len(hidden) == 1 or 1 <= sum(hidden) < threshold


def selection_total(
    counts: Mapping[int, int],
    chosen: Collection[int],
    threshold: int,
    *,
    hidden: Collection[int] = frozenset(),
    wholes: Iterable[Collection[int]] = (),
) -> SelectionTotal:
    """Total of ``counts`` (area -> count; missing areas count 0) over ``chosen``, suppressed by the
    rule above. ``hidden``: areas the per-area view hides; ``wholes``: the area sets of published
    totals (region, city). With no ``hidden`` only the usual 1-to-``threshold - 1`` rule applies."""
    chosen_set = set(chosen)
    total = sum(int(counts.get(a, 0)) for a in chosen_set)
    display = display_count(total, threshold)
    if 1 <= total < threshold:
        return SelectionTotal(total, display, False)
    parts = [chosen_set] + [set(w) - chosen_set for w in wholes if chosen_set < set(w)]
    for part in parts:
        if _reveals([int(counts.get(a, 0)) for a in part if a in hidden], threshold):
            return SelectionTotal(total, WITHHELD, False)
    return SelectionTotal(total, display, True)

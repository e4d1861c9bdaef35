"""Shared pieces of the city-total tests: a hand-made city of seven areas, its published annual
table, and the checkers that look for a hidden count the shown numbers give away.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from pipelines.defs.epidemiology import city_total as ct
from pipelines.defs.epidemiology.annual import annual_rates
from pipelines.defs.epidemiology.suppression import suppress


THRESHOLD = 10
REGION_AREAS = {1: ("A", 40_000), 2: ("B", 30_000), 3: ("C", 30_000)}
REST_AREAS = {4: ("D", 50_000), 5: ("E", 60_000), 6: ("F", 40_000), 7: ("G", 50_000)}
COLUMNS = ["year", "months_covered", "geography_type", "geography", "community_area_number",
           "in_region", "population", "deaths"]  # fmt: skip


def counts_frame(
    years: dict[int, tuple[dict[int, int], int]], *, with_city: bool = True, months: dict[int, int] | None = None
) -> pl.DataFrame:
    """``overdose_counts_annual.sql``-shaped rows: per year, deaths per area and not placed;
    ``months`` gives a year's ``months_covered`` (12 unless said)."""
    rows = []
    for year, (per_area, not_placed) in years.items():
        covered = (months or {}).get(year, 12)
        for areas, in_region, label in ((REGION_AREAS, True, "Region"), (REST_AREAS, False, "Rest of Chicago")):
            for number, (name, population) in areas.items():
                rows.append((year, covered, "community_area", name, number, in_region, population, per_area[number]))
            rows.append((year, covered, "region", label, None, in_region, sum(p for _, p in areas.values()),
                         sum(per_area[n] for n in areas)))  # fmt: skip
        if with_city:
            rows.append((year, covered, ct.NOT_PLACED_TYPE, ct.NOT_PLACED_LABEL, None, None, None, not_placed))
            population = sum(p for _, p in (*REGION_AREAS.values(), *REST_AREAS.values()))
            rows.append((year, covered, "city", "Chicago", None, None, population,
                         sum(per_area.values()) + not_placed))  # fmt: skip
    return pl.DataFrame(rows, schema=COLUMNS, orient="row")


def publish(frame: pl.DataFrame) -> pl.DataFrame:
    return annual_rates(frame, threshold=THRESHOLD, provisional_from=date(2030, 1, 1))


def row(frame: pl.DataFrame, year: int, geography: str) -> dict:
    return frame.filter(pl.col("year") == year, pl.col("geography") == geography).row(0, named=True)


BUSY = {1: 40, 2: 25, 3: 31, 4: 60, 5: 44, 6: 12, 7: 70}


#: BUSY with a rest-of-Chicago area of 5 (area F): the map hides it ("<10") and, beside it, E (44).
REST_HIDDEN = {**BUSY, 6: 5}


# ---- no hidden count can be worked out --------------------------------------------------------


def derivable_hidden_cells(published: pl.DataFrame, year: int) -> list[str]:
    """Hidden cells of ``year`` that the shown cells determine, through the table's own sums:
    each part of the city is the sum of its areas (every area row is published, shown or hidden),
    and the city is region + rest + not placed.

    A hidden cell is determined exactly when its unit vector lies in the row space of the
    equations restricted to the hidden cells (the shown cells only move to the right-hand side).
    """
    frame = published.filter(pl.col("year") == year)
    cells = frame.get_column("geography").to_list()
    hidden = set(frame.filter(pl.col("deaths_suppressed")).get_column("geography").to_list())
    for name in cells:
        shown = frame.filter(pl.col("geography") == name).row(0, named=True)
        if name not in hidden:
            assert shown["deaths"] is not None
        else:
            assert shown["deaths"] is None and shown["rate"] is None, name
    region_areas = [name for name, _ in REGION_AREAS.values()]
    rest_areas = [name for name, _ in REST_AREAS.values()]
    assert set(region_areas + rest_areas) <= set(cells)  # the area rows are part of the system
    equations = [
        {"Region": 1, **{a: -1 for a in region_areas}},
        {"Rest of Chicago": 1, **{a: -1 for a in rest_areas}},
        {"Chicago": 1, "Region": -1, "Rest of Chicago": -1, ct.NOT_PLACED_LABEL: -1},
    ]
    unknowns = sorted(hidden)
    if not unknowns:
        return []
    matrix = np.array([[eq.get(u, 0) for u in unknowns] for eq in equations], dtype=float)
    rank = np.linalg.matrix_rank(matrix)
    found = []
    for i, name in enumerate(unknowns):
        unit = np.zeros(len(unknowns))
        unit[i] = 1
        if np.linalg.matrix_rank(np.vstack([matrix, unit])) == rank:
            found.append(name)
    return found


def small_hidden(published: pl.DataFrame, year: int, raw: pl.DataFrame) -> set[str]:
    """The hidden cells of ``year`` whose true count is 1-9 (the ones that must stay unknown)."""
    true = dict(raw.filter(pl.col("year") == year).select("geography", "deaths").iter_rows())
    hidden = published.filter(pl.col("year") == year, pl.col("deaths_suppressed")).get_column("geography")
    return {name for name in hidden if 1 <= true[name] < THRESHOLD}


# ---- a page's own split of the city -------------------------------------------------------------

CITY = {**REGION_AREAS, **REST_AREAS}


def area_hidden(counts: dict[int, int]) -> frozenset[int]:
    """Areas the Map hides: primary and complementary within the region and within the rest."""
    frame = pl.DataFrame(
        {"area": sorted(counts), "count": [counts[a] for a in sorted(counts)],
         "in_region": [a in REGION_AREAS for a in sorted(counts)]}  # fmt: skip
    )
    out = suppress(frame, "count", threshold=THRESHOLD, complementary_by=["in_region"])
    return frozenset(out.filter(pl.col("count_suppressed")).get_column("area").to_list())


def leaks(counts: dict[int, int], not_placed: int, selection: frozenset[int], decision: ct.SplitDecision) -> list[str]:
    """Small hidden counts that the figures a page and the Map publish for one period determine:
    every area (shown or hidden), region, rest of Chicago, not placed, Chicago as the decision shows
    them, and the page's selection and the rest of the city. Independent of ``city_total``'s own
    algebra: one unknown per hidden cell, numpy ranks."""
    hidden = area_hidden(counts)
    small = lambda v: 1 <= v < THRESHOLD  # noqa: E731
    region, rest = frozenset(REGION_AREAS), frozenset(REST_AREAS)
    others = frozenset(CITY) - selection
    total = lambda cells: sum(counts[a] for a in cells)  # noqa: E731
    unknowns = [*sorted(hidden), *(["N"] if small(not_placed) else [])]
    sums = {  # name -> (cells, value, shown)
        "region": (region, total(region), not small(total(region))),
        "rest of Chicago": (rest, total(rest), not small(total(rest)) and not decision.rest_of_city_withheld),
        "Chicago": (frozenset(CITY) | {"N"}, total(CITY) + not_placed,
                    not small(total(CITY) + not_placed) and not decision.city_withheld),
        "selection": (selection, total(selection), not small(total(selection)) and ct.SELECTION not in decision.hide),
        "rest of the city": (others, total(others), not small(total(others)) and ct.REST not in decision.hide),
    }  # fmt: skip
    rows = [[1.0 if u in cells else 0.0 for u in unknowns] for cells, _, shown in sums.values() if shown]
    matrix = np.array(rows or [[0.0] * len(unknowns)])
    rank = np.linalg.matrix_rank(matrix)
    targets = {f"area {a}": [1.0 if u == a else 0.0 for u in unknowns] for a in hidden if small(counts[a])}
    if small(not_placed):
        targets["not placed"] = [1.0 if u == "N" else 0.0 for u in unknowns]
    # The Map's own sums (region, rest, Chicago) may already give a page's small total (the sum of
    # a group's hidden areas): no page's choice protects that one, so it is not the page's leak.
    on_map = [[1.0 if u in cells else 0.0 for u in unknowns] for name, (cells, _, shown) in sums.items()
              if shown and name in ("region", "rest of Chicago", "Chicago")]  # fmt: skip
    map_rank = np.linalg.matrix_rank(np.array(on_map)) if on_map else 0
    for name, (cells, value, shown) in sums.items():
        target = [1.0 if u in cells else 0.0 for u in unknowns]
        page_total = name in ("selection", "rest of the city")
        if page_total and on_map and np.linalg.matrix_rank(np.array([*on_map, target])) == map_rank:
            continue
        if small(value) and not shown:
            targets[name] = target
    return [
        name for name, target in targets.items()
        if not unknowns or np.linalg.matrix_rank(np.vstack([matrix, target])) == rank
    ]  # fmt: skip


def decide(
    counts: dict[int, int], not_placed: int, selection: frozenset[int], months: int = 12
) -> ct.SplitDecision:
    return ct.protect_split(
        counts, area_hidden(counts), region=REGION_AREAS, not_placed=not_placed, months=months, threshold=THRESHOLD,
        selection=selection,
    )  # fmt: skip

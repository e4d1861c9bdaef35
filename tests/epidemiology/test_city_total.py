"""Chicago's total and its parts: known answers on hand-made frames, and a proof by linear algebra
that no hidden count of the published annual table can be worked out from the numbers shown."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest

from pipelines.defs.epidemiology import city_total as ct
from pipelines.defs.epidemiology.annual import annual_rates
from pipelines.defs.epidemiology.suppression import suppress

THRESHOLD = 10
REGION_AREAS = {1: ("A", 40_000), 2: ("B", 30_000), 3: ("C", 30_000)}
REST_AREAS = {4: ("D", 50_000), 5: ("E", 60_000), 6: ("F", 40_000), 7: ("G", 50_000)}
COLUMNS = ["year", "months_covered", "geography_type", "geography", "community_area_number",
           "in_region", "population", "deaths"]  # fmt: skip


def counts_frame(years: dict[int, tuple[dict[int, int], int]], *, with_city: bool = True) -> pl.DataFrame:
    """``overdose_counts_annual.sql``-shaped rows: per year, deaths per area and not placed."""
    rows = []
    for year, (per_area, not_placed) in years.items():
        for areas, in_region, label in ((REGION_AREAS, True, "Region"), (REST_AREAS, False, "Rest of Chicago")):
            for number, (name, population) in areas.items():
                rows.append((year, 12, "community_area", name, number, in_region, population, per_area[number]))
            rows.append((year, 12, "region", label, None, in_region, sum(p for _, p in areas.values()),
                         sum(per_area[n] for n in areas)))  # fmt: skip
        if with_city:
            rows.append((year, 12, ct.NOT_PLACED_TYPE, ct.NOT_PLACED_LABEL, None, None, None, not_placed))
            population = sum(p for _, p in (*REGION_AREAS.values(), *REST_AREAS.values()))
            rows.append((year, 12, "city", "Chicago", None, None, population, sum(per_area.values()) + not_placed))
    return pl.DataFrame(rows, schema=COLUMNS, orient="row")


def publish(frame: pl.DataFrame) -> pl.DataFrame:
    return annual_rates(frame, threshold=THRESHOLD, provisional_from=date(2030, 1, 1))


def row(frame: pl.DataFrame, year: int, geography: str) -> dict:
    return frame.filter(pl.col("year") == year, pl.col("geography") == geography).row(0, named=True)


BUSY = {1: 40, 2: 25, 3: 31, 4: 60, 5: 44, 6: 12, 7: 70}


def test_the_city_counts_every_death_and_the_areas_do_not_change() -> None:
    published = publish(counts_frame({2024: (BUSY, 17)}))
    city = row(published, 2024, "Chicago")
    not_placed = row(published, 2024, ct.NOT_PLACED_LABEL)
    # Chicago = placed (282) + not placed (17); the rate is over the city's whole population.
    assert city["deaths"] == 299 and city["deaths_display"] == "299"
    assert city["rate"] == pytest.approx(299 / 300_000 * 100_000)
    assert not_placed["deaths"] == 17 and not_placed["rate"] is None and not_placed["population"] is None
    region, rest = row(published, 2024, "Region"), row(published, 2024, "Rest of Chicago")
    assert region["deaths"] + rest["deaths"] + not_placed["deaths"] == city["deaths"]
    # Areas, the region and the rest are exactly what they were without the not-placed deaths.
    without = publish(counts_frame({2024: (BUSY, 0)}, with_city=False))
    kept = pl.col("geography_type").is_in(["community_area", "region"])
    assert published.filter(kept).sort("geography").equals(without.filter(kept).sort("geography"))


def test_a_small_not_placed_count_is_hidden_and_so_is_the_city() -> None:
    published = publish(counts_frame({2023: (BUSY, 20), 2024: (BUSY, 4), 2025: (BUSY, 15)}))
    assert row(published, 2024, ct.NOT_PLACED_LABEL)["deaths_display"] == "<10"
    assert row(published, 2024, ct.NOT_PLACED_LABEL)["deaths"] is None
    city = row(published, 2024, "Chicago")
    # 286 - 96 - 186 would give the 4 back: the city's total is withheld, with its rate.
    assert city["deaths_display"] == "*" and city["deaths_suppressed"]
    assert city["deaths"] is None and city["rate"] is None and city["rate_lower"] is None
    assert city["rate_change_pct"] is None
    # The change from the withheld year would give it back too.
    assert row(published, 2025, "Chicago")["rate_change_pct"] is None
    assert row(published, 2023, "Chicago")["deaths_display"] == "302"
    # The region and the rest are not hidden to protect it.
    assert row(published, 2024, "Region")["deaths_display"] == "96"
    assert row(published, 2024, "Rest of Chicago")["deaths_display"] == "186"
    # Zero not placed: shown as 0, the city total shown.
    zero = publish(counts_frame({2024: (BUSY, 0)}))
    assert row(zero, 2024, ct.NOT_PLACED_LABEL)["deaths_display"] == "0"
    assert row(zero, 2024, "Chicago")["deaths_display"] == "282"


def test_two_hidden_parts_leave_the_city_total_shown() -> None:
    quiet = {1: 3, 2: 2, 3: 0, 4: 60, 5: 44, 6: 12, 7: 70}
    published = publish(counts_frame({2024: (quiet, 6)}))
    assert row(published, 2024, "Region")["deaths_display"] == "<10"
    assert row(published, 2024, ct.NOT_PLACED_LABEL)["deaths_display"] == "<10"
    # Region + not placed = 197 - 186 = 11: two unknowns, neither found.
    assert row(published, 2024, "Chicago")["deaths_display"] == "197"


def test_the_rule_on_raw_counts() -> None:
    assert ct.city_withheld(96, 186, 4, threshold=10)
    assert ct.city_withheld(5, 186, 40, threshold=10)
    assert not ct.city_withheld(5, 186, 4, threshold=10)
    assert not ct.city_withheld(96, 186, 0, threshold=10)
    assert not ct.city_withheld(96, 186, 10, threshold=10)
    assert ct.city_withheld(0, 0, 3, threshold=10)  # and the total (3) is "<10" on its own


# ---- no hidden count can be worked out --------------------------------------------------------


def derivable_hidden_cells(published: pl.DataFrame, year: int) -> list[str]:
    """Hidden cells of ``year`` that the shown cells determine, through the table's own sums:
    each part of the city is the sum of its areas, and the city is region + rest + not placed.

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


def test_no_hidden_count_is_derivable_in_random_tables() -> None:
    rng = np.random.default_rng(20261208)
    scenarios = 0
    for _ in range(400):
        def draw() -> int:
            kind = rng.choice(3, p=[0.25, 0.4, 0.35])
            return 0 if kind == 0 else int(rng.integers(1, 10)) if kind == 1 else int(rng.integers(10, 80))

        per_area = {n: draw() for n in (*REGION_AREAS, *REST_AREAS)}
        published = publish(counts_frame({2024: (per_area, draw())}))
        assert derivable_hidden_cells(published, 2024) == [], (per_area, published)
        shown = published.get_column("deaths_display").to_list()
        assert not [s for s in shown if s is not None and s.isdigit() and 1 <= int(s) < THRESHOLD]
        scenarios += bool(published.filter(pl.col("geography") == "Chicago", pl.col("deaths_suppressed")).height)
    assert scenarios > 20  # the rule was exercised, not only the easy cases


def test_the_checker_finds_a_leak() -> None:
    """Without the city's rule (areas and parts suppressed on their own), the not-placed count
    would be the city minus the region and the rest: the checker must say so."""
    frame = counts_frame({2024: (BUSY, 4)})
    leaky = suppress(frame, "deaths", threshold=THRESHOLD, rate_cols=[]).with_columns(pl.lit(None).alias("rate"))
    assert derivable_hidden_cells(leaky, 2024) == [ct.NOT_PLACED_LABEL]


# ---- a split by another set of areas --------------------------------------------------------


def split(selection: int, rest: int, not_placed: int, *, city_shown: bool) -> pl.DataFrame:
    parts = pl.DataFrame(
        {"part": [ct.SELECTION, ct.REST, ct.NOT_PLACED], "deaths": [selection, rest, not_placed],
         "rate": [1.0, 1.0, None]}  # fmt: skip
    )
    parts = suppress(parts, "deaths", threshold=THRESHOLD, rate_cols=["rate"])
    return ct.hide_split_complement(parts, by=[], city_shown=pl.lit(city_shown))


def test_a_split_with_one_hidden_part_hides_the_rest_of_the_city() -> None:
    # The not placed (4) are hidden everywhere; the city is shown (the region's own split has a
    # second hidden part), so this split hides the rest of the city as well.
    out = split(120, 300, 4, city_shown=True)
    assert out.get_column("deaths_display").to_list() == ["120", "*", "<10"]
    assert out.get_column("rate").to_list() == [1.0, None, None]
    assert not out.get_column("city_withheld").any()
    # A selection that is the hidden part: the rest goes too.
    assert split(6, 300, 40, city_shown=True).get_column("deaths_display").to_list() == ["<10", "*", "40"]
    # No rest to hide: the selection, never the not placed (every page shows them alike).
    assert split(120, 0, 4, city_shown=True).get_column("deaths_display").to_list() == ["*", "0", "<10"]
    # Nothing left to hide: the city total must be withheld after all.
    assert split(6, 0, 40, city_shown=True).get_column("city_withheld").all()
    # The city already withheld, or two parts hidden: nothing more.
    assert split(120, 300, 4, city_shown=False).get_column("deaths_display").to_list() == ["120", "300", "<10"]
    assert split(6, 300, 4, city_shown=True).get_column("deaths_display").to_list() == ["<10", "300", "<10"]


# ---- deaths of unknown age beside the age-adjusted rates ---------------------------------------


def with_ages(per_area: dict[int, int], not_placed: int, unknown: tuple[int, int, int]) -> pl.DataFrame:
    """2024 published with its age-adjusted rates: every geography shaped like the standard, known
    ages all 35-49; ``unknown`` = deaths of unknown age in the region (area 1), the rest of Chicago
    (area 4) and among the deaths not placed in an area."""
    from pipelines.defs.epidemiology.age_adjusted import STANDARD_POPULATION_2000
    from pipelines.defs.epidemiology.annual import with_age_adjusted

    region_unknown, rest_unknown, np_unknown = unknown
    unknown_of = {1: region_unknown, 4: rest_unknown}
    everyone = {**REGION_AREAS, **REST_AREAS}
    geographies = [("community_area", name, [n], pop) for n, (name, pop) in everyone.items()]
    geographies += [
        ("region", "Region", list(REGION_AREAS), sum(p for _, p in REGION_AREAS.values())),
        ("region", "Rest of Chicago", list(REST_AREAS), sum(p for _, p in REST_AREAS.values())),
        ("city", "Chicago", [*everyone, None], sum(p for _, p in everyone.values())),
    ]
    population = pl.DataFrame(
        [(kind, name, band, pop * share / 1e6) for kind, name, _, pop in geographies
         for band, share in STANDARD_POPULATION_2000.items()],
        schema=["geography_type", "geography", "age_band", "population"], orient="row",
    )  # fmt: skip
    deaths = []
    for kind, name, members, _ in geographies:
        unknown_here = sum(np_unknown if n is None else unknown_of.get(n, 0) for n in members)
        total = sum(not_placed if n is None else per_area[n] for n in members)
        deaths += [(2024, kind, name, "35-49", total - unknown_here), (2024, kind, name, "Unknown", unknown_here)]
    deaths_by_band = pl.DataFrame(deaths, schema=["year", "geography_type", "geography", "age_band", "deaths"],
                                  orient="row")  # fmt: skip
    return with_age_adjusted(publish(counts_frame({2024: (per_area, not_placed)})), deaths_by_band, population,
                             threshold=THRESHOLD)  # fmt: skip


def test_the_citys_age_adjusted_rate_counts_every_chicago_death() -> None:
    published = with_ages(BUSY, 17, (0, 12, 15))
    city, not_placed = row(published, 2024, "Chicago"), row(published, 2024, ct.NOT_PLACED_LABEL)
    # Standard-shaped: the adjusted rate is the crude rate of the deaths of known age, all 299 less
    # the 27 of unknown age, the not-placed ones included.
    assert city["age_adjusted_rate"] == pytest.approx((299 - 27) / 300_000 * 100_000)
    assert city["deaths_unknown_age"] == 27 and city["deaths_unknown_age_display"] == "27"
    assert not any(not_placed[c] is not None for c in (
        "rate", "age_adjusted_rate", "age_adjusted_lower", "age_adjusted_upper", "age_adjusted_unstable",
        "deaths_unknown_age", "deaths_unknown_age_display",
    ))  # fmt: skip
    assert not_placed["deaths_display"] == "17"


def test_the_citys_unknown_age_count_follows_the_city_total_rule() -> None:
    def shown(unknown: tuple[int, int, int]) -> tuple[str, str, str]:
        published = with_ages(BUSY, 17, unknown)
        return tuple(row(published, 2024, g)["deaths_unknown_age_display"] for g in ("Region", "Rest of Chicago", "Chicago"))

    # The region's 3 would be Chicago's 15 minus the rest's 12 (nothing unknown among the unplaced).
    assert shown((3, 12, 0)) == ("<10", "12", "*")
    # The 4 not placed (never shown) would be 16 minus 0 minus 12.
    assert shown((0, 12, 4)) == ("0", "12", "*")
    # Two small parts: two unknowns, one equation.
    assert shown((3, 12, 4)) == ("<10", "12", "19")
    # What Chicago gives back is not small.
    assert shown((0, 12, 15)) == ("0", "12", "27")
    # The adjusted rate itself stays: only the count is withheld.
    assert row(with_ages(BUSY, 17, (3, 12, 0)), 2024, "Chicago")["age_adjusted_rate"] is not None


def test_a_withheld_city_total_hides_the_age_adjusted_rate_too() -> None:
    published = with_ages(BUSY, 4, (0, 12, 0))
    city = row(published, 2024, "Chicago")
    assert city["deaths_display"] == "*"
    assert all(city[c] is None for c in ("rate", "age_adjusted_rate", "age_adjusted_lower", "age_adjusted_upper",
                                         "deaths_unknown_age", "deaths_unknown_age_display"))  # fmt: skip
    assert row(published, 2024, "Region")["age_adjusted_rate"] is not None

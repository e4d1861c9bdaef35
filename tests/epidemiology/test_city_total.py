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


def test_a_small_not_placed_count_with_every_rest_area_shown_withholds_the_city() -> None:
    # The rest's areas are 60, 44, 12 and 70: all shown, so the rest is their sum, whatever is hidden.
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
    # Hiding the rest would hide nothing: it is the sum of its four shown areas.
    assert row(published, 2024, "Region")["deaths_display"] == "96"
    assert row(published, 2024, "Rest of Chicago")["deaths_display"] == "186"
    # Zero not placed: shown as 0, the city total shown.
    zero = publish(counts_frame({2024: (BUSY, 0)}))
    assert row(zero, 2024, ct.NOT_PLACED_LABEL)["deaths_display"] == "0"
    assert row(zero, 2024, "Chicago")["deaths_display"] == "282"


#: BUSY with a rest-of-Chicago area of 5 (area F): the map hides it ("<10") and, beside it, E (44).
REST_HIDDEN = {**BUSY, 6: 5}


def test_a_small_not_placed_count_beside_a_hidden_rest_area_hides_the_rest_and_shows_the_city() -> None:
    published = publish(counts_frame({2023: (REST_HIDDEN, 20), 2024: (REST_HIDDEN, 4), 2025: (REST_HIDDEN, 15)}))
    assert [row(published, 2024, a)["deaths_display"] for a in "DEFG"] == ["60", "*", "<10", "70"]
    # Chicago = 96 + 179 + 4 is shown, with its rate; the rest is hidden instead ("*", no rate):
    # it is 60 + 70 + two hidden areas, so 279 - 96 - rest has two unknowns.
    city = row(published, 2024, "Chicago")
    assert city["deaths"] == 279 and city["deaths_display"] == "279" and not city["deaths_suppressed"]
    assert city["rate"] == pytest.approx(279 / 300_000 * 100_000)
    rest = row(published, 2024, "Rest of Chicago")
    assert rest["deaths_display"] == "*" and rest["deaths"] is None and rest["deaths_suppressed"]
    assert rest["rate"] is None and rest["rate_lower"] is None and rest["rate_change_pct"] is None
    assert row(published, 2024, "Region")["deaths_display"] == "96"
    assert row(published, 2024, ct.NOT_PLACED_LABEL)["deaths_display"] == "<10"
    # The change of the rest from the hidden year would give it back; the city's changes are shown.
    assert row(published, 2025, "Rest of Chicago")["rate_change_pct"] is None
    assert row(published, 2025, "Rest of Chicago")["deaths_display"] == "179"
    assert row(published, 2024, "Chicago")["rate_change_pct"] is not None
    assert row(published, 2025, "Chicago")["rate_change_pct"] is not None
    # Years whose not-placed count is shown hide nothing.
    assert row(published, 2023, "Rest of Chicago")["deaths_display"] == "179"
    assert row(published, 2023, "Chicago")["deaths_display"] == "295"


def test_a_partial_year_keeps_the_rest_and_withholds_the_city_as_any_short_period() -> None:
    """The same counts over a year of 10 months of data (the archive's last year): a period
    shorter than 12 months keeps the rest of Chicago, so Chicago's total is withheld — as the Map
    and Trends decide for the same ten months, which they can show as a period."""
    frame = counts_frame({2024: (REST_HIDDEN, 20), 2025: (REST_HIDDEN, 4)}, months={2025: 10})
    published = publish(frame)
    city, rest = row(published, 2025, "Chicago"), row(published, 2025, "Rest of Chicago")
    assert city["deaths_display"] == "*" and city["deaths"] is None and city["rate"] is None
    assert rest["deaths_display"] == "179" and rest["rate"] is not None
    assert row(published, 2025, ct.NOT_PLACED_LABEL)["deaths_display"] == "<10"
    # The full year beside it keeps Chicago's total and hides nothing (20 not placed).
    assert row(published, 2024, "Chicago")["deaths_display"] == "295"
    assert derivable_hidden_cells(published, 2025) == []
    # Twelve months of the same counts: the rest is hidden and Chicago shown.
    full = publish(counts_frame({2025: (REST_HIDDEN, 4)}))
    assert (row(full, 2025, "Chicago")["deaths_display"], row(full, 2025, "Rest of Chicago")["deaths_display"]) == (
        "279", "*",
    )  # fmt: skip


def test_a_small_region_or_rest_alone_withholds_the_city() -> None:
    # The region alone hidden (5), though the rest has a hidden area: the city is withheld.
    quiet_region = {**REST_HIDDEN, 1: 3, 2: 2, 3: 0}
    published = publish(counts_frame({2024: (quiet_region, 17)}))
    assert row(published, 2024, "Region")["deaths_display"] == "<10"
    assert row(published, 2024, "Rest of Chicago")["deaths_display"] == "179"
    assert row(published, 2024, "Chicago")["deaths_display"] == "*"
    # The rest alone hidden (5).
    quiet_rest = {**BUSY, 4: 3, 5: 2, 6: 0, 7: 0}
    published = publish(counts_frame({2024: (quiet_rest, 17)}))
    assert row(published, 2024, "Rest of Chicago")["deaths_display"] == "<10"
    assert row(published, 2024, "Region")["deaths_display"] == "96"
    assert row(published, 2024, "Chicago")["deaths_display"] == "*"


def test_two_hidden_parts_leave_the_city_total_shown() -> None:
    quiet = {1: 3, 2: 2, 3: 0, 4: 60, 5: 44, 6: 12, 7: 70}
    published = publish(counts_frame({2024: (quiet, 6)}))
    assert row(published, 2024, "Region")["deaths_display"] == "<10"
    assert row(published, 2024, ct.NOT_PLACED_LABEL)["deaths_display"] == "<10"
    # Region + not placed = 197 - 186 = 11: two unknowns, neither found.
    assert row(published, 2024, "Chicago")["deaths_display"] == "197"
    assert row(published, 2024, "Rest of Chicago")["deaths_display"] == "186"


@pytest.mark.parametrize(
    ("region", "rest", "not_placed", "rest_has_hidden_area", "over_a_year", "under_a_year"),
    [
        # (city withheld, rest withheld) for 12 months or more, and for fewer.
        (96, 186, 4, True, (False, True), (True, False)),  # the not placed alone: the policy decides
        (96, 186, 4, False, (True, False), (True, False)),  # ... every rest area shown: the city
        (5, 186, 40, True, (True, False), (True, False)),  # the region alone
        (96, 5, 40, True, (True, False), (True, False)),  # the rest alone
        (5, 186, 4, True, (False, False), (False, False)),  # two hidden
        (5, 5, 4, True, (False, False), (False, False)),  # three hidden
        (96, 186, 0, True, (False, False), (False, False)),  # none hidden
        (96, 186, 10, False, (False, False), (False, False)),
        (0, 0, 3, False, (True, False), (True, False)),  # and the total (3) is "<10" on its own
    ],
)
@pytest.mark.parametrize("months", [1, 3, 11, 12, 13, 36])
def test_the_rule_on_raw_counts(region, rest, not_placed, rest_has_hidden_area, over_a_year, under_a_year, months):
    expected = over_a_year if months >= 12 else under_a_year
    kwargs = {"rest_has_hidden_area": rest_has_hidden_area, "months": months, "threshold": THRESHOLD}
    rule = ct.city_rule(region, rest, not_placed, **kwargs)
    assert (rule.city_withheld, rule.rest_withheld) == expected
    assert ct.city_withheld(region, rest, not_placed, **kwargs) == expected[0]
    frame = pl.DataFrame({"r": [region], "s": [rest], "n": [not_placed], "h": [rest_has_hidden_area], "m": [months]})
    for length in (months, pl.col("m")):  # a number, or a column of them
        kwargs = {"rest_has_hidden_area": pl.col("h"), "months": length, "threshold": THRESHOLD}
        exprs = (ct.city_withheld_expr(pl.col("r"), pl.col("s"), pl.col("n"), **kwargs),
                 ct.rest_withheld_expr(pl.col("r"), pl.col("s"), pl.col("n"), **kwargs))  # fmt: skip
        assert frame.select(*(e.alias(str(i)) for i, e in enumerate(exprs))).row(0) == expected


def test_a_periods_length_is_its_months_both_included() -> None:
    assert ct.period_months(date(2026, 3, 1), date(2026, 3, 1)) == 1
    assert ct.period_months(date(2025, 11, 1), date(2026, 10, 1)) == 12
    assert ct.period_months(date(2016, 1, 1), date(2026, 10, 1)) == 130
    assert [ct.prefers_city(m) for m in (1, 11, 12, 130)] == [False, False, True, True]


def test_a_rest_area_is_hidden_exactly_when_one_is_small() -> None:
    assert ct.rest_has_hidden_area([60, 44, 5, 70], threshold=THRESHOLD)
    assert not ct.rest_has_hidden_area([60, 44, 0, 70, 10], threshold=THRESHOLD)
    assert not ct.rest_has_hidden_area([], threshold=THRESHOLD)


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


def test_no_hidden_count_is_derivable_in_random_tables() -> None:
    rng = np.random.default_rng(20261208)
    city_withheld = rest_hides_it = 0
    short_city_withheld = 0
    for _ in range(500):
        def draw() -> int:
            kind = rng.choice(3, p=[0.25, 0.4, 0.35])
            return 0 if kind == 0 else int(rng.integers(1, 10)) if kind == 1 else int(rng.integers(10, 80))

        per_area = {n: draw() for n in (*REGION_AREAS, *REST_AREAS)}
        covered = int(rng.choice([12, 12, 7]))  # a full year, or a partial one
        raw = counts_frame({2024: (per_area, draw())}, months={2024: covered})
        published = publish(raw)
        # No small count can be worked out (a hidden "*" of 10 or more may be: it reveals no small count).
        found = set(derivable_hidden_cells(published, 2024)) & small_hidden(published, 2024, raw)
        assert not found, (per_area, published)
        shown = published.get_column("deaths_display").to_list()
        assert not [s for s in shown if s is not None and s.isdigit() and 1 <= int(s) < THRESHOLD]
        city, rest = row(published, 2024, "Chicago"), row(published, 2024, "Rest of Chicago")
        city_withheld += city["deaths_display"] == "*"
        rest_hides_it += rest["deaths_display"] == "*" and not city["deaths_suppressed"]
        if covered < 12:  # a short period never hides the rest for the rule
            assert not (rest["deaths_display"] == "*" and not city["deaths_suppressed"]), per_area
            short_city_withheld += city["deaths_display"] == "*"
    # Every branch of the rule was exercised, not only the easy cases.
    assert city_withheld > 10 and rest_hides_it > 10 and short_city_withheld > 5, (
        city_withheld, rest_hides_it, short_city_withheld,
    )  # fmt: skip


def test_the_checker_finds_a_leak() -> None:
    """Without the city's rule (areas and parts suppressed on their own), the not-placed count
    would be the city minus the region and the rest: the checker must say so."""
    frame = counts_frame({2024: (BUSY, 4)})
    leaky = suppress(frame, "deaths", threshold=THRESHOLD, rate_cols=[]).with_columns(pl.lit(None).alias("rate"))
    assert derivable_hidden_cells(leaky, 2024) == [ct.NOT_PLACED_LABEL]


def test_hiding_a_rest_whose_areas_are_all_shown_protects_nothing() -> None:
    """Why the rule withholds the city when every rest area is shown: hiding the rest instead
    would leave it the sum of its areas, and the not-placed count the city minus the parts."""
    frame = counts_frame({2024: (BUSY, 4)})
    leaky = suppress(frame, "deaths", threshold=THRESHOLD, rate_cols=[]).with_columns(pl.lit(None).alias("rate"))
    leaky = ct.withhold(leaky, pl.col("geography") == "Rest of Chicago", rate_cols=())
    assert derivable_hidden_cells(leaky, 2024) == [ct.NOT_PLACED_LABEL, "Rest of Chicago"]
    # With a hidden rest area (F = 5, E beside it) the same move protects it: the rule's choice.
    published = publish(counts_frame({2024: (REST_HIDDEN, 4)}))
    assert derivable_hidden_cells(published, 2024) == []


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


def test_a_selection_that_is_exactly_the_hidden_rest_is_hidden_itself() -> None:
    """The rule hid the rest of Chicago (179) to protect the 4 not placed. A page comparing the
    rest's four areas with everything else would publish it again, and hiding that page's own
    "rest" — here the region, 59 — protects nothing, since the Map shows the region: so the
    selection is hidden. The region holds hidden areas (A = 3, B beside it), so the rule "hide
    the other part when it holds a hidden area" would have chosen it, and leaked."""
    counts = {**REST_HIDDEN, 1: 3}
    assert area_hidden(counts) == {1, 2, 5, 6}
    rest = frozenset(REST_AREAS)
    decision = decide(counts, 4, rest)
    assert not decision.city_withheld and decision.rest_of_city_withheld
    assert decision.hide == {ct.SELECTION}
    assert leaks(counts, 4, rest, decision) == []
    naive = ct.SplitDecision(False, True, frozenset({ct.REST}))
    assert leaks(counts, 4, rest, naive) == ["not placed"]
    # Over a month the rule keeps the rest and withholds Chicago: the same choice is the rest
    # again, shown on the Map too, and the page's split hides nothing.
    by_month = decide(counts, 4, rest, months=1)
    assert by_month == ct.SplitDecision(True, False, frozenset()) and leaks(counts, 4, rest, by_month) == []


def test_the_region_split_hides_the_rest_exactly_as_the_rule_says() -> None:
    region = frozenset(REGION_AREAS)
    assert decide(REST_HIDDEN, 4, region) == ct.SplitDecision(False, True, frozenset({ct.REST}))
    assert decide(BUSY, 4, region) == ct.SplitDecision(True, False, frozenset())
    assert decide(BUSY, 17, region) == ct.SplitDecision(False, False, frozenset())
    # Shorter than 12 months: the rest is kept, Chicago withheld.
    for months in (1, 3, 11):
        assert decide(REST_HIDDEN, 4, region, months) == ct.SplitDecision(True, False, frozenset())
        assert decide(BUSY, 4, region, months) == ct.SplitDecision(True, False, frozenset())


def test_a_chosen_split_hides_as_little_as_it_can() -> None:
    # Areas A and D against the rest: with the rest of Chicago hidden by the rule, one part must go.
    chosen = frozenset({1, 4})
    decision = decide(REST_HIDDEN, 4, chosen)
    assert decision.hide == {ct.REST} and leaks(REST_HIDDEN, 4, chosen, decision) == []
    # Nothing small to protect: both parts shown.
    assert decide(BUSY, 17, chosen).hide == frozenset()
    # The city withheld by the rule: the split adds no equation with the not placed in it.
    assert decide(BUSY, 4, chosen) == ct.SplitDecision(True, False, frozenset())
    # So over a month, when the rule keeps the rest: both parts shown.
    by_month = decide(REST_HIDDEN, 4, chosen, months=1)
    assert by_month == ct.SplitDecision(True, False, frozenset()) and leaks(REST_HIDDEN, 4, chosen, by_month) == []


def test_a_page_total_the_map_already_gives_hides_nothing_more() -> None:
    """Areas A, D and G against the rest: the region is 8 (C alone), the rest of Chicago 85 with D
    = 1 and G = 8 hidden, so the Map's rest total already gives D + G = 9 — the page's selection
    (A is 0). No choice of this page protects that sum; the page hides what protects the rest
    (here the split's "rest", which would give C back) and Chicago follows the rule."""
    counts = {1: 0, 2: 0, 3: 8, 4: 1, 5: 0, 6: 76, 7: 8}
    chosen = frozenset({1, 4, 7})
    decision = decide(counts, 3, chosen, months=24)
    assert not decision.city_withheld and leaks(counts, 3, chosen, decision) == []
    assert decision.hide == {ct.REST}


def test_no_hidden_count_is_derivable_from_a_page_split_in_random_tables() -> None:
    rng = np.random.default_rng(20260417)
    hid = {frozenset(h): 0 for h in ((), (ct.REST,), (ct.SELECTION,), (ct.SELECTION, ct.REST))}
    for _ in range(800):
        def draw() -> int:
            kind = rng.choice(3, p=[0.25, 0.4, 0.35])
            return 0 if kind == 0 else int(rng.integers(1, 10)) if kind == 1 else int(rng.integers(10, 80))

        counts = {n: draw() for n in CITY}
        not_placed = draw()
        chosen = rng.choice(3)
        selection = (
            frozenset(REST_AREAS) if chosen == 0
            else frozenset(REGION_AREAS) if chosen == 1
            else frozenset(int(a) for a in rng.choice(list(CITY), size=int(rng.integers(1, len(CITY))), replace=False))
        )  # fmt: skip
        months = int(rng.choice([1, 3, 12, 24]))
        decision = decide(counts, not_placed, selection, months)
        assert leaks(counts, not_placed, selection, decision) == [], (counts, not_placed, selection, decision)
        # The city follows the rule alone, whatever the page's split.
        rule = ct.city_rule(
            sum(counts[a] for a in REGION_AREAS), sum(counts[a] for a in REST_AREAS), not_placed,
            rest_has_hidden_area=bool(area_hidden(counts) & set(REST_AREAS)), months=months, threshold=THRESHOLD,
        )  # fmt: skip
        assert (decision.city_withheld, decision.rest_of_city_withheld) == (rule.city_withheld, rule.rest_withheld)
        hid[decision.hide] += 1
    assert min(hid.values()) > 5, hid  # every choice was needed somewhere


# ---- deaths of unknown age beside the age-adjusted rates ---------------------------------------


def with_ages(
    per_area: dict[int, int],
    not_placed: int,
    unknown: tuple[int, int, int],
    rest_split: dict[int, int] | None = None,
    months: int = 12,
) -> pl.DataFrame:
    """2024 published with its age-adjusted rates: every geography shaped like the standard, known
    ages all 35-49; ``unknown`` = deaths of unknown age in the region (area 1), the rest of Chicago
    (area 4, or as ``rest_split`` spreads them over the rest's areas) and among the deaths not
    placed in an area."""
    from pipelines.defs.epidemiology.age_adjusted import STANDARD_POPULATION_2000
    from pipelines.defs.epidemiology.annual import with_age_adjusted

    region_unknown, rest_unknown, np_unknown = unknown
    unknown_of = {1: region_unknown, **(rest_split or {4: rest_unknown})}
    assert sum(v for a, v in unknown_of.items() if a in REST_AREAS) == rest_unknown
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
    published = publish(counts_frame({2024: (per_area, not_placed)}, months={2024: months}))
    return with_age_adjusted(published, deaths_by_band, population, threshold=THRESHOLD)


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


PARTS = ("Region", "Rest of Chicago", "Chicago")


def test_the_citys_unknown_age_count_follows_the_city_total_rule() -> None:
    def shown(unknown: tuple[int, int, int]) -> tuple[str, str, str]:
        published = with_ages(BUSY, 17, unknown)
        return tuple(row(published, 2024, g)["deaths_unknown_age_display"] for g in PARTS)

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


def test_a_hidden_rest_area_lets_the_rest_hide_the_unplaced_unknown_age_count() -> None:
    # The rest's 15 of unknown age: 12 in area D, 3 in area E — E is "<10", D "*" beside it, so
    # the rest's 15 is no longer their sum: hiding it protects the 4 not placed, and Chicago's 19
    # is shown.
    published = with_ages(BUSY, 17, (0, 15, 4), rest_split={4: 12, 5: 3})
    assert [row(published, 2024, a)["deaths_unknown_age_display"] for a in "DEFG"] == ["*", "<10", "0", "0"]
    shown = tuple(row(published, 2024, g)["deaths_unknown_age_display"] for g in PARTS)
    assert shown == ("0", "*", "19")
    rest = row(published, 2024, "Rest of Chicago")
    assert rest["deaths_unknown_age"] is None and rest["age_adjusted_rate"] is not None
    # Every rest area shown (15 in D alone): Chicago's count is withheld instead.
    alone = with_ages(BUSY, 17, (0, 15, 4), rest_split={4: 15})
    assert [row(alone, 2024, g)["deaths_unknown_age_display"] for g in ("Rest of Chicago", "Chicago")] == ["15", "*"]
    # A partial year (fewer than 12 months) keeps the rest's count and withholds Chicago's.
    partial = with_ages(BUSY, 17, (0, 15, 4), rest_split={4: 12, 5: 3}, months=9)
    assert tuple(row(partial, 2024, g)["deaths_unknown_age_display"] for g in PARTS) == ("0", "15", "*")


def test_a_withheld_city_total_hides_the_age_adjusted_rate_too() -> None:
    published = with_ages(BUSY, 4, (0, 12, 0))
    city = row(published, 2024, "Chicago")
    assert city["deaths_display"] == "*"
    assert all(city[c] is None for c in ("rate", "age_adjusted_rate", "age_adjusted_lower", "age_adjusted_upper",
                                         "deaths_unknown_age", "deaths_unknown_age_display"))  # fmt: skip
    assert row(published, 2024, "Region")["age_adjusted_rate"] is not None


def test_a_chosen_total_holding_every_hidden_area_is_hidden_beside_the_city() -> None:
    """The region is 5 (area A alone) and the not placed 4: two parts hidden, so Chicago (309) is
    shown. A scope {A, D, E} holds every hidden area (A; D = 3 and E = 20 in the rest): its
    total 28 minus the rest's hidden 23 (the rest, 300, is shown) would give the region's 5, and
    Chicago - 5 - 300 the 4. The per-area check alone (two hidden areas or more, not small) lets
    it through; the split's check hides it, on the Overview (no "rest" shown) as on Trends."""
    counts = {1: 5, 2: 0, 3: 0, 4: 3, 5: 20, 6: 150, 7: 127}
    assert area_hidden(counts) == {1, 4, 5}
    scope = frozenset({1, 4, 5})
    naive = ct.SplitDecision(False, False, frozenset({ct.REST}))
    assert leaks(counts, 4, scope, naive) == ["area 1", "not placed", "region"]
    overview = ct.protect_split(
        counts, area_hidden(counts), region=REGION_AREAS, not_placed=4, months=12, threshold=THRESHOLD,
        selection=scope, show_rest=False,
    )  # fmt: skip
    assert not overview.city_withheld and ct.SELECTION in overview.hide
    trends = decide(counts, 4, scope)
    assert trends.hide == {ct.SELECTION} and leaks(counts, 4, scope, trends) == []

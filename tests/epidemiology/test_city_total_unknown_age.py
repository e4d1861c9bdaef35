"""Deaths of unknown age beside the age-adjusted rates: the city's rate counts every Chicago death,
and the unknown-age counts follow the city total's rule.
"""

from __future__ import annotations

import polars as pl
import pytest

from pipelines.defs.epidemiology import city_total as ct
from tests.epidemiology.city_total_support import (
    BUSY,
    REGION_AREAS,
    REST_AREAS,
    THRESHOLD,
    area_hidden,
    counts_frame,
    decide,
    leaks,
    publish,
    row,
)


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

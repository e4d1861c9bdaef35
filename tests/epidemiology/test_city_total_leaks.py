"""No hidden count can be worked out: a proof by linear algebra that no hidden count of the
published annual table follows from the numbers shown, in hand-made and random tables, and the
same for a page's own split of the city.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.defs.epidemiology import city_total as ct
from pipelines.defs.epidemiology.suppression import suppress
from tests.epidemiology.city_total_support import (
    BUSY,
    CITY,
    REGION_AREAS,
    REST_AREAS,
    REST_HIDDEN,
    THRESHOLD,
    area_hidden,
    counts_frame,
    decide,
    derivable_hidden_cells,
    leaks,
    publish,
    row,
    small_hidden,
)


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

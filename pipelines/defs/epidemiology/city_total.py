"""Chicago's total and its parts: the region, the rest of Chicago and the deaths not placed in an area.

**A Chicago death** is one that occurred in Chicago: ``staging.me_cases.in_chicago``, i.e. placed in
a community area, or in Chicago by its incident city (or its ZIP's city) though no area could be
found for it. The city's count is every Chicago death, as the City of Chicago counts them; a
community area — and so the region and the rest of Chicago, which are sums of areas — holds only
the deaths placed in it. The difference is its own row, :data:`NOT_PLACED_LABEL`, so the parts
always add up: region + rest of Chicago + not placed = Chicago. It has no population and no rate.

**The city total's rule** (:func:`city_rule`). Each part is a count like any other (1–9 → "<10").
Because the parts add up to the city, one hidden part alone would be the city minus the others:

* exactly one part hidden, and it is the not-placed count, while at least one community area of
  the rest of Chicago is hidden in the same period and table → for a period of 12 months or more
  (:func:`prefers_city`) the **rest of Chicago is hidden** ("*", with its rates) and the city's
  total is **shown**; for a shorter period the rest is shown and the city's total **withheld**
  ("*", with its rates). Either protects the not-placed count: the rest is one more unknown when
  hidden, since it is the sum of its areas and one of those is hidden;
* exactly one part hidden, and it is the not-placed count, while every area of the rest is shown
  (0 or 10 and more) → the city's total is **withheld** ("*", with its rates): hiding the rest
  would hide nothing, since the sum of its areas gives it back;
* exactly one part hidden, and it is the region or the rest → the city's total is withheld (rare
  at city scale; the other parts are again sums of published areas);
* two or three parts hidden → the city's total is shown (one equation, two unknowns).

**Policy: which of the two the first case hides, by period length** (:func:`prefers_city`). The
not-placed count is 1–9 far more often over a month than over a year, so the choice matters most
by month. For a period **shorter than 12 months** (a month, a quarter, any few months) the rest of
Chicago is kept and Chicago's total withheld: by month the comparison of the region with the rest
of Chicago is what the figures are for (Trends' monthly chart would otherwise lose its rest line in
nearly every month). For a period of **12 months or more** (a year, the last 12 months, several
years) Chicago's total is kept and the rest hidden: Chicago's count over a year is the figure set
beside the City of Chicago's own reports. The length is the number of months of data the period
covers (:func:`period_months`), so a **partial calendar year** (the last year of the archive, or
the first) is a period of the months it has: a year with 10 months of data follows the short
periods' preference. It must be: the Map and Trends can show those same months as a period, and
the same figures published with Chicago shown on one page and the rest shown on another would give
the not-placed count back (Chicago − region − rest).

A rest-of-Chicago area is hidden in a period exactly when one of them is 1–9 in it (a
complementary "*" is only ever added beside a "<10" of the same group), and the preference depends
on the period's months alone, so every page, whatever it shows, reaches the same decision for the
same period and filters: the city's total, and the rest of Chicago, are shown or hidden alike on
the Map, Trends, the Overview, the meeting pack and in ``marts.overdose_rates_annual``.

**Another split of the city.** A page that compares another set of areas (the *selection*) with
the rest of the city shows a different split of the same total, and a chosen total is a new sum
over the areas the Map publishes: the selection could be exactly the rest of Chicago that the rule
hid. :func:`protect_split` checks the whole system — the areas, the three parts and the city as
the rule shows them, and the page's own totals — by exact linear algebra
(:mod:`.derivation`), and hides as few of the page's parts as needed ("*"): none, else the rest of
the city (no other page shows it for that selection), else the selection, else both. The city's
total is never withheld by a page's split: it follows the rule everywhere.

**Deaths of unknown age** (left out of the age-adjusted rates and counted beside them,
:mod:`.age_adjusted`) add up the same way: the city's count is the region's + the rest of
Chicago's + that of the deaths not placed in an area, the last never shown. Unknown-age counts are
published per community area (the Map and the annual mart), suppressed like the deaths and hidden
wherever an area's deaths are, so the same rule applies to them
(:func:`withhold_city_unknown_age`), with "a rest area hidden" meaning its unknown-age count is.

Limits, as for :mod:`.suppression`: sums published for other periods or filters (e.g. the months of
a hidden year, or all deaths and one sex) can still be differenced; that is not modelled here. The
policy makes one such case systematic: a period of 12 months or more whose rest of Chicago the rule
hides is the sum of the rests its months show (they keep the rest), and with it the not-placed
count is Chicago − region − rest again. It needs a not-placed count of 1–9 over the whole period.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl

from pipelines.defs.epidemiology.derivation import Sum, derivable
from pipelines.defs.epidemiology.suppression import SECONDARY_MARK

#: Label of the Chicago deaths not placed in a community area, wherever they are a row or a line.
NOT_PLACED_LABEL = "Not placed in an area"
#: ``geography_type`` of that row in ``marts.overdose_rates_annual``.
NOT_PLACED_TYPE = "not_placed"
#: Parts of the city in a split: the selection (or region), the rest of Chicago, not placed.
SELECTION, REST, NOT_PLACED = "selection", "rest", "not_placed"
#: Names of the totals of the city's own table, for :func:`protect_split`'s ``hidden_totals``.
REGION_TOTAL, REST_OF_CITY_TOTAL, CITY_TOTAL = "region", "rest_of_city", "city"

#: Periods of this many months of data or more keep Chicago's total and hide the rest of Chicago
#: instead, when the rule can do either; shorter ones keep the rest (:func:`prefers_city`).
CITY_FIRST_FROM_MONTHS = 12

_NOT_PLACED_CELL = "__not_placed"


def period_months(first: date, last: date) -> int:
    """The length the rule reads: calendar months from the month of ``first`` to that of ``last``,
    both included. Pass the months of data the period covers (a period reaching before the first
    month of data counts from that month)."""
    return (last.year - first.year) * 12 + last.month - first.month + 1


def prefers_city(months: int | pl.Expr) -> bool | pl.Expr:
    """Whether a period of ``months`` months keeps Chicago's total, hiding the rest of Chicago
    instead, where the rule can protect the not-placed count either way (policy: module
    docstring). ``months`` is a number, or an expression of a column of them."""
    return months >= CITY_FIRST_FROM_MONTHS


def _over(expr: pl.Expr, by: Sequence[str]) -> pl.Expr:
    """``expr`` per group ``by``, or over the whole frame when ``by`` is empty."""
    return expr.over(list(by)) if by else expr


def _small(count: pl.Expr, threshold: int) -> pl.Expr:
    return count.is_between(1, threshold - 1).fill_null(False)


def _is_small(count: int, threshold: int) -> bool:
    return 1 <= count < threshold


# --------------------------------------------------------------------------------------------
# The rule
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CityRule:
    """What the city total's rule hides for one period: the city's total, or the rest of Chicago."""

    city_withheld: bool
    rest_withheld: bool


def city_rule_exprs(
    region_hidden: pl.Expr,
    rest_hidden: pl.Expr,
    not_placed_hidden: pl.Expr,
    rest_has_hidden_area: pl.Expr,
    *,
    months: int | pl.Expr,
) -> tuple[pl.Expr, pl.Expr]:
    """(city withheld, rest of Chicago withheld) from whether each part is hidden as a small count,
    whether an area of the rest of Chicago is hidden in the same period and the period's length
    in months (module docstring)."""
    parts = [h.fill_null(False) for h in (region_hidden, rest_hidden, not_placed_hidden)]
    one_hidden = pl.sum_horizontal(p.cast(pl.Int8) for p in parts) == 1
    prefer_city = prefers_city(months if isinstance(months, pl.Expr) else pl.lit(months)).fill_null(False)
    rest_hides_it = one_hidden & parts[2] & rest_has_hidden_area.fill_null(False) & prefer_city
    return one_hidden & ~rest_hides_it, rest_hides_it


def city_withheld_expr(
    region: pl.Expr,
    rest: pl.Expr,
    not_placed: pl.Expr,
    *,
    rest_has_hidden_area: pl.Expr,
    months: int | pl.Expr,
    threshold: int,
) -> pl.Expr:
    """Whether the city's total is withheld, from the raw counts of the configured region, the rest
    of Chicago and the deaths not placed in an area (:func:`city_rule`)."""
    small = [_small(part, threshold) for part in (region, rest, not_placed)]
    return city_rule_exprs(*small, rest_has_hidden_area, months=months)[0]


def rest_withheld_expr(
    region: pl.Expr,
    rest: pl.Expr,
    not_placed: pl.Expr,
    *,
    rest_has_hidden_area: pl.Expr,
    months: int | pl.Expr,
    threshold: int,
) -> pl.Expr:
    """Whether the rest of Chicago is hidden to protect the not-placed count (:func:`city_rule`)."""
    small = [_small(part, threshold) for part in (region, rest, not_placed)]
    return city_rule_exprs(*small, rest_has_hidden_area, months=months)[1]


def city_rule(
    region: int, rest: int, not_placed: int, *, rest_has_hidden_area: bool, months: int, threshold: int
) -> CityRule:
    """The rule for one period: raw counts of the configured region, the rest of Chicago and the
    deaths not placed in an area, whether an area of the rest is hidden in that period (true
    exactly when one of them is 1 to ``threshold - 1``, see :func:`rest_has_hidden_area`) and the
    period's length in months of data (:func:`period_months`, :func:`prefers_city`)."""
    hidden = [_is_small(c, threshold) for c in (region, rest, not_placed)]
    one_hidden = sum(hidden) == 1
    rest_hides_it = one_hidden and hidden[2] and rest_has_hidden_area and bool(prefers_city(months))
    return CityRule(city_withheld=one_hidden and not rest_hides_it, rest_withheld=rest_hides_it)


def rest_has_hidden_area(rest_area_counts: Collection[int], *, threshold: int) -> bool:
    """Whether an area of the rest of Chicago is hidden: one of them is 1 to ``threshold - 1``
    (complementary suppression only hides a cell beside a small one of its own group)."""
    return any(_is_small(int(c), threshold) for c in rest_area_counts)


def city_withheld(
    region: int, rest: int, not_placed: int, *, rest_has_hidden_area: bool, months: int, threshold: int
) -> bool:
    """:func:`city_rule`'s ``city_withheld`` for one set of counts."""
    return city_rule(
        region, rest, not_placed, rest_has_hidden_area=rest_has_hidden_area, months=months, threshold=threshold
    ).city_withheld


# --------------------------------------------------------------------------------------------
# Applying it to suppressed frames
# --------------------------------------------------------------------------------------------


def withhold(
    frame: pl.DataFrame, rows: pl.Expr, *, count_col: str = "deaths", rate_cols: Sequence[str] = ("rate",)
) -> pl.DataFrame:
    """Hide ``rows`` of an already suppressed frame as :data:`SECONDARY_MARK` (a "<10" stays "<10"):
    the count, ``{count}_suppressed``, ``{count}_display`` and each rate with its interval."""
    rows = rows.fill_null(False)
    targets = [c for rate in rate_cols for c in (rate, f"{rate}_lower", f"{rate}_upper") if c in frame.columns]
    return frame.with_columns(
        pl.when(rows).then(None).otherwise(pl.col(count_col)).alias(count_col),
        (pl.col(f"{count_col}_suppressed") | rows).alias(f"{count_col}_suppressed"),
        pl.when(rows & ~pl.col(f"{count_col}_display").str.starts_with("<"))
        .then(pl.lit(SECONDARY_MARK))
        .otherwise(pl.col(f"{count_col}_display"))
        .alias(f"{count_col}_display"),
        *(pl.when(rows).then(None).otherwise(pl.col(c)).alias(c) for c in targets),
    )


def withhold_city_total(
    frame: pl.DataFrame,
    *,
    by: Sequence[str],
    region: pl.Expr,
    rest: pl.Expr,
    not_placed: pl.Expr,
    city: pl.Expr,
    rest_area: pl.Expr,
    months: int | pl.Expr,
    count_col: str = "deaths",
    rate_cols: Sequence[str] = ("rate",),
) -> pl.DataFrame:
    """:func:`city_rule` on an already suppressed frame, per group ``by``.

    ``region``, ``rest``, ``not_placed`` and ``city`` select the rows of the three parts and of the
    city (the parts suppressed on their own, so hidden = small); ``rest_area`` selects the rows
    of the rest of Chicago's community areas, suppressed as published (a frame without them counts
    as having no hidden rest area: the city is withheld rather than the rest hidden); ``months``
    is the period's length in months of data (a column, e.g. ``months_covered``, or a number). The
    city row is withheld, or the rest's row hidden, with their rates.
    """
    hidden = pl.col(f"{count_col}_suppressed")

    def any_row(selected: pl.Expr) -> pl.Expr:
        return _over((selected.fill_null(False) & hidden).any(), by)

    length = _over(months.max(), by) if isinstance(months, pl.Expr) else months
    city_out, rest_out = city_rule_exprs(
        any_row(region), any_row(rest), any_row(not_placed), any_row(rest_area), months=length
    )
    rows = (city.fill_null(False) & city_out) | (rest.fill_null(False) & rest_out)
    work = frame.with_columns(rows.alias("__rule_hides"))
    return withhold(work, pl.col("__rule_hides"), count_col=count_col, rate_cols=rate_cols).drop("__rule_hides")


def withhold_city_unknown_age(
    frame: pl.DataFrame,
    *,
    city: pl.Expr,
    rest_row: pl.Expr,
    region: pl.Expr,
    rest: pl.Expr,
    not_placed: pl.Expr,
    rest_has_hidden_area: pl.Expr,
    months: int | pl.Expr,
    threshold: int,
    count_col: str = "deaths_unknown_age",
) -> pl.DataFrame:
    """The rule on deaths of unknown age: ``frame`` is already suppressed (``{count}_suppressed``,
    ``{count}_display``); ``region``, ``rest`` and ``not_placed`` are the raw unknown-age counts of
    the configured region, the rest of Chicago and the deaths not placed in an area (the last is
    never shown), ``rest_has_hidden_area`` whether an area's unknown-age count in the rest is
    hidden, ``months`` the period's length in months of data. The ``city`` row's count is
    withheld, or the ``rest_row``'s hidden, as :func:`city_rule` says."""
    kwargs = {"rest_has_hidden_area": rest_has_hidden_area, "months": months, "threshold": threshold}
    rows = (city.fill_null(False) & city_withheld_expr(region, rest, not_placed, **kwargs)) | (
        rest_row.fill_null(False) & rest_withheld_expr(region, rest, not_placed, **kwargs)
    )
    work = frame.with_columns(rows.alias("__rule_hides"))
    return withhold(work, pl.col("__rule_hides"), count_col=count_col, rate_cols=()).drop("__rule_hides")


# --------------------------------------------------------------------------------------------
# A page's own split of the city
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SplitDecision:
    """What one period's figures hide beyond each count's own suppression: the city's total and the
    rest of Chicago by :func:`city_rule`, and the page's parts (:data:`SELECTION`, :data:`REST`)
    hidden as "*" so that no hidden count can be worked out."""

    city_withheld: bool
    rest_of_city_withheld: bool
    hide: frozenset[str]


def protect_split(
    counts: Mapping[int, int],
    hidden: Collection[int],
    *,
    region: Collection[int],
    not_placed: int,
    months: int,
    threshold: int,
    selection: Collection[int] | None = None,
    show_rest: bool = True,
    hidden_totals: Collection[str] = (),
    not_placed_shown: bool = True,
) -> SplitDecision:
    """The city total's rule for one period, and the parts of a page's split that must be hidden.

    ``counts``: raw count per community area of the city (every area: a missing one counts 0);
    ``hidden``: the areas the per-area figures hide for the same period and filters (primary and
    complementary, as the Map suppresses them); ``region``: the configured region's areas;
    ``not_placed``: the deaths not placed in an area; ``months``: the period's length in months of
    data (:func:`period_months`, :func:`prefers_city`). ``selection``: the page's chosen areas; the
    page shows their total and, with ``show_rest``, the total of every other area (the "rest of
    Chicago" of that page), beside the not-placed count and the city. ``hidden_totals`` names
    totals already hidden for another reason (:data:`SELECTION`, :data:`REST`, or the city table's
    :data:`REGION_TOTAL`, :data:`REST_OF_CITY_TOTAL`, :data:`CITY_TOTAL`); ``not_placed_shown``
    False when the not-placed count is never shown (deaths of unknown age).

    The city's own table (areas, region, rest of Chicago, not placed, city) follows
    :func:`city_rule`; the page's parts are then hidden as few as possible — none, the rest, the
    selection, or both — so that no small count (a hidden area, the not-placed count, a hidden
    small total) follows from the published sums (:func:`.derivation.derivable`). A small total
    of the page that the city's table alone already determines (the sum of a group's hidden
    areas, which complementary suppression leaves known) is not one of them: no choice of this
    page could protect it.
    """
    city_areas = frozenset(int(a) for a in counts)
    region_areas = frozenset(int(a) for a in region) & city_areas
    rest_areas = city_areas - region_areas
    hidden_areas = frozenset(int(a) for a in hidden) & city_areas

    def total(areas: Collection[int]) -> int:
        return sum(int(counts.get(a, 0)) for a in areas)

    region_count, rest_count = total(region_areas), total(rest_areas)
    rule = city_rule(
        region_count,
        rest_count,
        not_placed,
        rest_has_hidden_area=bool(hidden_areas & rest_areas),
        months=months,
        threshold=threshold,
    )
    already = frozenset(hidden_totals)
    cells: dict[object, bool] = {a: _is_small(int(counts.get(a, 0)), threshold) for a in hidden_areas}
    if not (not_placed_shown and not _is_small(not_placed, threshold)):
        cells[_NOT_PLACED_CELL] = _is_small(not_placed, threshold)

    def part(areas: frozenset, value: int, name: str, withheld: bool = False) -> Sum:
        small = _is_small(value, threshold)
        return Sum(frozenset(areas), published=not (small or withheld or name in already), small=small)

    city_cells = city_areas | {_NOT_PLACED_CELL}
    table = [
        part(region_areas, region_count, REGION_TOTAL),
        part(rest_areas, rest_count, REST_OF_CITY_TOTAL, rule.rest_withheld),
        part(city_cells, region_count + rest_count + not_placed, CITY_TOTAL, rule.city_withheld),
    ]
    if selection is None:
        return SplitDecision(rule.city_withheld, rule.rest_withheld, frozenset())
    chosen = frozenset(int(a) for a in selection) & city_areas
    others = city_areas - chosen

    def known_from_table(areas: frozenset[int]) -> bool:
        # A sum the city's own table already gives (e.g. exactly the hidden areas of the rest of
        # Chicago, whose total is shown) is no secret of this page: nothing it hides protects it.
        return derivable([*table, Sum(areas, published=False, small=True)], dict.fromkeys(cells, False))

    def page_part(areas: frozenset[int], name: str, withheld: bool) -> Sum:
        shown = part(areas, total(areas), name, withheld)
        return Sum(shown.cells, shown.published, shown.small and not known_from_table(areas))

    def page(hide: frozenset[str]) -> list[Sum]:
        return [page_part(chosen, SELECTION, SELECTION in hide), page_part(others, REST, REST in hide or not show_rest)]

    for hide in ((), (REST,), (SELECTION,), (SELECTION, REST)):
        if not derivable([*table, *page(frozenset(hide))], cells):
            return SplitDecision(rule.city_withheld, rule.rest_withheld, frozenset(hide))
    # Never reached on a table the rule built (the property tests check it); kept so that a
    # mistake withholds the city rather than publishing a derivable count.
    return SplitDecision(True, rule.rest_withheld, frozenset((SELECTION, REST)))

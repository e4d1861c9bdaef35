"""Chicago's total and its parts: the region, the rest of Chicago and the deaths not placed in an area.

**A Chicago death** is one that occurred in Chicago: ``staging.me_cases.in_chicago``, i.e. placed in
a community area, or in Chicago by its incident city (or its ZIP's city) though no area could be
found for it. The city's count is every Chicago death, as the City of Chicago counts them; a
community area — and so the region and the rest of Chicago, which are sums of areas — holds only
the deaths placed in it. The difference is its own row, :data:`NOT_PLACED_LABEL`, so the parts
always add up: region + rest of Chicago + not placed = Chicago. It has no population and no rate.

**Suppression.** Each part is a count like any other (1–9 → "<10"). Because the parts add up to
the city, one hidden part alone would be the city minus the others, so when exactly one of the
three is hidden the city's total is withheld too ("*", with its rate) — never another part: the
region and the rest of Chicago are each also the sum of community areas the map publishes one by
one, so hiding one of them would hide nothing (:func:`city_withheld_expr`). With two or three
parts hidden the total is shown (one equation, two unknowns). The rule uses the configured
region's parts, so the city's total for a period is shown or withheld alike on every page,
whatever set of areas a page compares.

A page that compares another set of areas (the *selection*) with the rest of the city shows a
different split of the same total. When that total is shown and exactly one part of the split is
hidden, one more part is hidden as "*" (:func:`hide_split_complement`): the rest of the city
first (no other page shows it for that selection), else the selection — never the not-placed
count, which every page shows alike. (On Trends the per-area check of a chosen set of areas,
``trend_data.revealing_periods``, usually withholds both parts first; this is the safety net.)

**Deaths of unknown age** (left out of the age-adjusted rates and counted beside them,
:mod:`.age_adjusted`) add up the same way: the city's count is the region's + the rest of
Chicago's + that of the deaths not placed in an area, the last never shown. The same rule applies
to them (:func:`withhold_city_unknown_age`): the city's count is withheld ("*") when exactly one of
those three counts is 1 to ``threshold - 1``, on every page alike; a page showing another split of
the city hides one more part of it when needed (:func:`hide_split_complement` on those counts).

Limits, as for :mod:`.suppression`: a city total published under two filters (e.g. all deaths and
one sex) can still be differenced across them; that is not modelled here either.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from pipelines.defs.epidemiology.suppression import SECONDARY_MARK

#: Label of the Chicago deaths not placed in a community area, wherever they are a row or a line.
NOT_PLACED_LABEL = "Not placed in an area"
#: ``geography_type`` of that row in ``marts.overdose_rates_annual``.
NOT_PLACED_TYPE = "not_placed"
#: Parts of the city in a split: the selection (or region), the rest of Chicago, not placed.
SELECTION, REST, NOT_PLACED = "selection", "rest", "not_placed"

_ROW = "__city_row"


def _over(expr: pl.Expr, by: Sequence[str]) -> pl.Expr:
    """``expr`` per group ``by``, or over the whole frame when ``by`` is empty."""
    return expr.over(list(by)) if by else expr


def _small(count: pl.Expr, threshold: int) -> pl.Expr:
    return count.is_between(1, threshold - 1).fill_null(False)


def city_withheld_expr(region: pl.Expr, rest: pl.Expr, not_placed: pl.Expr, *, threshold: int) -> pl.Expr:
    """Whether the city's total must be withheld: exactly one of its three parts (raw counts of the
    configured region, the rest of Chicago and the deaths not placed in an area) is 1 to
    ``threshold - 1``. A city total that is itself that small is suppressed as a count anyway."""
    hidden = [_small(part, threshold).cast(pl.Int8) for part in (region, rest, not_placed)]
    return pl.sum_horizontal(hidden) == 1


def city_withheld(region: int, rest: int, not_placed: int, *, threshold: int) -> bool:
    """:func:`city_withheld_expr` for one set of counts."""
    frame = pl.DataFrame({"region": [region], "rest": [rest], "not_placed": [not_placed]})
    return bool(
        frame.select(
            city_withheld_expr(pl.col("region"), pl.col("rest"), pl.col("not_placed"), threshold=threshold)
        ).item()
    )


def withhold_city_unknown_age(
    frame: pl.DataFrame,
    *,
    city: pl.Expr,
    region: pl.Expr,
    rest: pl.Expr,
    not_placed: pl.Expr,
    threshold: int,
    count_col: str = "deaths_unknown_age",
) -> pl.DataFrame:
    """Withhold the ``city`` rows' count of deaths of unknown age (already suppressed:
    ``{count}_suppressed``, ``{count}_display``) where :func:`city_withheld_expr` says so for the
    raw unknown-age counts of the configured region, the rest of Chicago and the deaths not placed
    in an area (the last is never shown, so the city minus the others would give it back)."""
    withheld = city.fill_null(False) & city_withheld_expr(region, rest, not_placed, threshold=threshold)
    return withhold(frame, withheld, count_col=count_col, rate_cols=())


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
    part: pl.Expr,
    city: pl.Expr,
    count_col: str = "deaths",
    rate_cols: Sequence[str] = ("rate",),
) -> pl.DataFrame:
    """Withhold the city row of every group ``by`` in which exactly one ``part`` row is hidden.

    ``frame`` is already suppressed (:func:`~.suppression.suppress`: ``{count}_suppressed`` and
    ``{count}_display``); its ``part`` rows are the configured region, the rest of Chicago and the
    deaths not placed in an area, so this is :func:`city_withheld_expr` on the frame's own parts.
    """
    hidden_parts = _over((part.fill_null(False) & pl.col(f"{count_col}_suppressed")).cast(pl.Int32).sum(), by)
    return withhold(frame, city.fill_null(False) & (hidden_parts == 1), count_col=count_col, rate_cols=rate_cols)


def hide_split_complement(
    parts: pl.DataFrame,
    *,
    by: Sequence[str],
    city_shown: pl.Expr,
    part_col: str = "part",
    count_col: str = "deaths",
    rate_cols: Sequence[str] = ("rate",),
) -> pl.DataFrame:
    """Protect a split of the city (``part_col`` = :data:`SELECTION`, :data:`REST`,
    :data:`NOT_PLACED`; one row each per group ``by``) whose city total is shown.

    ``parts`` is already suppressed; ``city_shown`` says per row whether the group's city total is
    shown. Where it is and exactly one part is hidden, the rest of the city is hidden too when it
    is a non-zero visible count, else the selection; when neither can be, the city total must be
    withheld after all. Adds ``city_withheld`` (bool per row): the group's city total may not be
    shown (``city_shown`` false, or no complement available).
    """
    suppressed = pl.col(f"{count_col}_suppressed")
    movable = pl.col(part_col).is_in([REST, SELECTION])
    candidate = movable & ~suppressed & (pl.col(count_col) > 0).fill_null(False)
    need = city_shown.fill_null(False) & (_over(suppressed.cast(pl.Int32).sum(), by) == 1)
    # The rest of the city first: no other page shows it for this selection.
    preference = pl.when(pl.col(part_col) == REST).then(0).otherwise(1)
    first_choice = _over(pl.when(candidate).then(preference).min(), by)
    work = parts.with_columns(pl.int_range(pl.len()).alias(_ROW))
    chosen_row = _over(pl.when(candidate & (preference == first_choice)).then(pl.col(_ROW)).min(), by)
    work = work.with_columns(
        (need & candidate & (pl.col(_ROW) == chosen_row)).alias("__complement"),
        (~city_shown.fill_null(False) | (need & ~_over(candidate.any(), by))).alias("city_withheld"),
    )
    return withhold(work, pl.col("__complement"), count_col=count_col, rate_cols=rate_cols).drop(
        _ROW, "__complement"
    )

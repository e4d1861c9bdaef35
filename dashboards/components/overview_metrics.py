"""The Overview page's KPI numbers: pure, suppressed metrics (its cached loaders are in
:mod:`dashboards.components.overview_loaders`).

Every function here is pure: it takes frames and returns numbers with their display
text already suppressed (counts 1 to ``threshold - 1`` shown as ``"<10"``; totals over chosen
areas that would reveal a hidden area withheld as ``"*"``, see ``selection.py``), so the page only
lays them out and the tests check them against the app database directly.

Scope: the KPI cards follow the shared *areas* filter (empty = the configured region) and, for
death counts and rates, the *drug* filter. The scope's deaths are those placed in its community
areas; "Chicago" is every death that occurred in Chicago, including those that could not be placed
in an area (:mod:`pipelines.defs.epidemiology.city_total`). Suburban Cook County is in neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import polars as pl

from dashboards.components import adjusted_rates, data, period_labels
from dashboards.components.selection import WITHHELD, SelectionTotal, hidden_areas, selection_total
from pipelines.defs.epidemiology.city_total import SELECTION, period_months, protect_split
from pipelines.defs.epidemiology.rates import period_years, with_rates
from pipelines.defs.epidemiology.suppression import SECONDARY_MARK, display_count


#: Drugs whose share of deaths the Overview shows: key of ``overdose_deaths_monthly.drug`` -> label.
SHARE_DRUGS = {"fentanyl": "Fentanyl involved", "xylazine": "Xylazine involved"}
#: Outreach KPIs: column of ``marts.outreach_monthly`` -> card label.
FIELD_KPIS = {
    "naloxone_kits_distributed": "Naloxone kits distributed",
    "people_trained_naloxone": "People trained in naloxone",
    "naloxone_administrations": "Reversals (naloxone given)",
    "warm_handoffs_total": "Warm hand-offs",
}
HIDDEN_SHARE = "—"


# --------------------------------------------------------------------------------------------
# Periods
# --------------------------------------------------------------------------------------------


def last_complete_month(data_to: date, provisional: Sequence[date] = ()) -> date:
    """The latest month that is complete: covered to its last day and no longer provisional.

    ``data_to`` is the newest day the source covers; ``provisional`` the months the pipeline
    flags as provisional (toxicology pending — their counts are still far too low, so comparing
    them with a closed month would show a fall that is not real).
    """
    month = data_to.replace(day=1)
    if data_to + timedelta(days=1) != period_labels.next_month(month):
        month = shift_months(month, -1)
    pending = set(provisional)
    while month in pending:
        month = shift_months(month, -1)
    return month


def shift_months(month: date, months: int) -> date:
    """``month`` moved by ``months`` calendar months (negative = earlier)."""
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


# --------------------------------------------------------------------------------------------
# Deaths
# --------------------------------------------------------------------------------------------


def in_scope(frame: pl.DataFrame, areas: Sequence[int]) -> pl.DataFrame:
    """Rows of the chosen community areas, or of the region when ``areas`` is empty."""
    if areas:
        return frame.filter(pl.col("community_area_number").is_in(list(areas)))
    return frame.filter(pl.col("in_region"))


@dataclass(frozen=True)
class Geography:
    """The community areas of the region and of the city: the published totals a selection sits in."""

    region: frozenset[int]
    city: frozenset[int]

    @classmethod
    def from_areas(cls, community_areas: pl.DataFrame) -> Geography:
        numbers = community_areas.get_column("community_area_number").to_list()
        region = community_areas.filter(pl.col("in_region")).get_column("community_area_number").to_list()
        return cls(frozenset(region), frozenset(numbers))


def scope_total(
    counts: dict[int, int],
    areas: Sequence[int],
    geography: Geography,
    threshold: int,
    *,
    not_placed: int | None = None,
    months: int | None = None,
) -> SelectionTotal:
    """The scope's total of per-area ``counts`` (area -> count), suppressed so that neither it nor
    the areas left out of the region/city totals give an area hidden on the map away
    (see :mod:`dashboards.components.selection`).

    For deaths, ``not_placed`` (the Chicago deaths not placed in an area, same period and drug)
    adds the city's table: Chicago's total and the parts of the city the city total's rule hides
    for a period of ``months`` months of data (:func:`months_of_data`), as on every page. The scope's total is then withheld too when, beside them, it would
    give the not-placed count (or another hidden count) back — a scope that is exactly the rest of
    Chicago the rule hid, for one (:func:`pipelines.defs.epidemiology.city_total.protect_split`)."""
    groups = {a: a in geography.region for a in geography.city}
    full = {a: int(counts.get(a, 0)) for a in geography.city}
    hidden = hidden_areas(full, groups, threshold)
    if not areas:
        total = selection_total(counts, geography.region, threshold)
    else:
        total = selection_total(full, areas, threshold, hidden=hidden, wholes=(geography.region, geography.city))
    if not_placed is None or not total.shown:
        return total
    if months is None:
        raise ValueError("the city total's rule needs the period's length in months")
    split = protect_split(
        full, hidden, region=geography.region, not_placed=not_placed, months=months, threshold=threshold,
        selection=areas or geography.region, show_rest=False,
    )  # fmt: skip
    if SELECTION in split.hide:
        return SelectionTotal(total.value, WITHHELD, False)
    return total


def months_of_data(deaths: pl.DataFrame, start: date, end: date) -> int:
    """The length of ``start``..``end`` for the city total's rule: its months of data (a window
    reaching before the first month of ``deaths`` counts from that month, as the Map would show
    the same deaths)."""
    first = deaths.get_column("month").min()
    return period_months(start if first is None else max(start, first), end)


def area_counts(deaths: pl.DataFrame, drug: str, start: date, end: date) -> dict[int, int]:
    """Deaths involving ``drug`` per community area over the months ``start``..``end``."""
    placed = pl.col("community_area_number").is_not_null()
    period = deaths.filter((pl.col("drug") == drug) & pl.col("month").is_between(start, end) & placed)
    totals = period.group_by("community_area_number").agg(pl.col("deaths").sum())
    return dict(totals.iter_rows())


def not_placed_deaths(deaths: pl.DataFrame, drug: str, start: date, end: date) -> int:
    """Chicago deaths involving ``drug`` not placed in an area over the months ``start``..``end``."""
    unplaced = pl.col("community_area_number").is_null()
    period = deaths.filter((pl.col("drug") == drug) & pl.col("month").is_between(start, end) & unplaced)
    return int(period.get_column("deaths").sum())


def scope_deaths(deaths: pl.DataFrame, areas: Sequence[int], drug: str, start: date, end: date) -> int:
    """Deaths involving ``drug`` in the scope over the months ``start``..``end`` (raw count)."""
    period = in_scope(deaths, areas).filter(
        (pl.col("drug") == drug) & pl.col("month").is_between(start, end)
    )
    return int(period.get_column("deaths").sum())


@dataclass(frozen=True)
class CountChange:
    """A count now and in the prior period, with display text and the change when it may be shown."""

    current: int
    previous: int
    current_display: str
    previous_display: str
    change: int | None
    change_pct: float | None


def count_change(current: SelectionTotal, previous: SelectionTotal) -> CountChange:
    """Compare two totals; the change is withheld when either is hidden, since the change and the
    visible total would give the hidden one back."""
    hidden = not (current.shown and previous.shown)
    change = None if hidden else current.value - previous.value
    pct = None if hidden or previous.value == 0 else 100.0 * (current.value - previous.value) / previous.value
    return CountChange(current.value, previous.value, current.display, previous.display, change, pct)


def period_total(
    deaths: pl.DataFrame, areas: Sequence[int], drug: str, start: date, end: date, geography: Geography, threshold: int
) -> SelectionTotal:
    """Suppressed deaths involving ``drug`` in the scope over ``start``..``end``."""
    return scope_total(
        area_counts(deaths, drug, start, end), areas, geography, threshold,
        not_placed=not_placed_deaths(deaths, drug, start, end), months=months_of_data(deaths, start, end),
    )  # fmt: skip


def deaths_changes(
    deaths: pl.DataFrame, areas: Sequence[int], drug: str, last_month: date, geography: Geography, threshold: int
) -> tuple[CountChange, CountChange]:
    """(last month vs the month before, last 12 months vs the 12 before), for the scope and drug."""

    def total(start: date, end: date) -> SelectionTotal:
        return period_total(deaths, areas, drug, start, end, geography, threshold)

    before = shift_months(last_month, -1)
    month = count_change(total(last_month, last_month), total(before, before))
    year = count_change(
        total(shift_months(last_month, -11), last_month),
        total(shift_months(last_month, -23), shift_months(last_month, -12)),
    )
    return month, year


def change_text(change: CountChange, prior_label: str) -> str | None:
    """Delta text for ``st.metric``: ``"+12 (+8%) vs Sep 2026"``; None when withheld."""
    if change.change is None:
        return None
    pct = "" if change.change_pct is None else f" ({change.change_pct:+.0f}%)"
    return f"{change.change:+,}{pct} vs {prior_label}"


def rate_comparison(
    deaths: pl.DataFrame,
    community_areas: pl.DataFrame,
    areas: Sequence[int],
    drug: str,
    start: date,
    end: date,
    *,
    scope_label: str,
    threshold: int,
    band_deaths: pl.DataFrame | None = None,
    band_population: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Annualised death rate per 100,000 (2020 population) with exact Poisson 95% CIs, and the
    age-adjusted rate beside it when ``band_deaths`` (``drug``'s deaths by month, area and age
    band) and ``band_population`` are given.

    Rows ``group`` = ``scope_label`` and ``"Chicago"``; columns deaths (null when hidden),
    deaths_display, population, rate, rate_lower, rate_upper (null when the deaths are hidden:
    rate × population gives the count back), rate_unstable (fewer than 20 deaths); with the
    bands also the age-adjusted columns (:data:`adjusted_rates.ADJUSTED_COLUMNS`) and
    deaths_unknown_age / deaths_unknown_age_display, hidden with the crude count. Chicago counts
    every death in the city, placed in an area or not, in both rates, and is withheld ("*", both
    rates hidden) by the city total's rule, as on every page
    (:func:`pipelines.defs.epidemiology.city_total.city_rule`).
    """
    geography = Geography.from_areas(community_areas)
    counts = area_counts(deaths, drug, start, end)
    unplaced = not_placed_deaths(deaths, drug, start, end)
    months = months_of_data(deaths, start, end)
    scope = scope_total(counts, areas, geography, threshold, not_placed=unplaced, months=months)
    full = {a: int(counts.get(a, 0)) for a in geography.city}
    rule = protect_split(
        full,
        hidden_areas(full, {a: a in geography.region for a in geography.city}, threshold),
        region=geography.region,
        not_placed=unplaced,
        months=months,
        threshold=threshold,
    )
    city_deaths = sum(full.values()) + unplaced
    if rule.city_withheld:
        city = SelectionTotal(city_deaths, SECONDARY_MARK, False)
    else:
        display = display_count(city_deaths, threshold)
        city = SelectionTotal(city_deaths, display, not 1 <= city_deaths < threshold)
    chosen = set(areas) if areas else geography.region
    population = dict(
        community_areas.select("community_area_number", "population_2020").iter_rows()
    )
    frame = pl.DataFrame(
        {
            "group": [scope_label, data.CITY_LABEL],
            "deaths": [scope.value, city.value],
            "deaths_display": [scope.display, city.display],
            "shown": [scope.shown, city.shown],
            "population": [
                sum(population[a] for a in chosen),
                sum(population[a] for a in geography.city),
            ],
            "years": [period_years(start, period_labels.next_month(end))] * 2,
        },
        schema_overrides={"deaths": pl.Int64, "population": pl.Int64},
    )
    frame = with_rates(frame, years_col="years")
    hidden = ~pl.col("shown")
    crude = frame.select(
        "group",
        pl.when(hidden).then(None).otherwise(pl.col("deaths")).alias("deaths"),
        "deaths_display",
        "population",
        *(pl.when(hidden).then(None).otherwise(pl.col(c)).alias(c) for c in ("rate", "rate_lower", "rate_upper")),
        "rate_unstable",
    )
    if band_deaths is None or band_population is None:
        return crude
    # Hidden with the crude rate, which is null wherever the count is hidden or withheld.
    return adjusted_rates.with_group_adjusted(
        crude,
        adjusted_rates.in_months(band_deaths, start, end),
        band_population,
        {scope_label: sorted(chosen), data.CITY_LABEL: None},
        years=period_years(start, period_labels.next_month(end)),
        threshold=threshold,
        split={scope_label: SELECTION},
    )


@dataclass(frozen=True)
class Share:
    """Deaths involving one drug as a share of all overdose deaths in the scope and period."""

    drug: str
    involved: int
    total: int
    share: float | None
    display: str
    note: str


def involvement_share(
    deaths: pl.DataFrame,
    areas: Sequence[int],
    drug: str,
    start: date,
    end: date,
    geography: Geography,
    threshold: int,
) -> Share:
    """Share of the scope's overdose deaths involving ``drug`` (e.g. fentanyl) over the period.

    Withheld when the deaths with the drug, all deaths, or the deaths without the drug would be
    hidden (see :func:`scope_total`): with the total shown, the share would give them back.
    """
    all_counts = area_counts(deaths, "all", start, end)
    drug_counts = area_counts(deaths, drug, start, end)
    without_counts = {a: all_counts.get(a, 0) - drug_counts.get(a, 0) for a in all_counts}
    all_unplaced = not_placed_deaths(deaths, "all", start, end)
    drug_unplaced = not_placed_deaths(deaths, drug, start, end)
    months = months_of_data(deaths, start, end)
    total = scope_total(all_counts, areas, geography, threshold, not_placed=all_unplaced, months=months)
    involved = scope_total(drug_counts, areas, geography, threshold, not_placed=drug_unplaced, months=months)
    without = scope_total(
        without_counts, areas, geography, threshold, not_placed=all_unplaced - drug_unplaced, months=months
    )
    if total.value == 0:
        return Share(drug, involved.value, 0, None, HIDDEN_SHARE, "No overdose deaths in this period")
    if not (total.shown and involved.shown and without.shown):
        return Share(
            drug, involved.value, total.value, None, HIDDEN_SHARE, "Not shown: too few deaths to share safely"
        )
    share = involved.value / total.value
    return Share(
        drug, involved.value, total.value, share, f"{share:.0%}", f"{involved.display} of {total.display} deaths"
    )


# --------------------------------------------------------------------------------------------
# Field data
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldKpi:
    """One outreach total over the period, suppressed."""

    column: str
    label: str
    value: int
    display: str


def field_period(outreach: pl.DataFrame, length: int = 12) -> tuple[date, date] | None:
    """The latest ``length`` months of outreach data (None when there is none)."""
    months = outreach.get_column("month").unique().sort().to_list()
    if not months:
        return None
    return period_labels.default_period(months, length)


def field_kpis(
    outreach: pl.DataFrame,
    areas: Sequence[int],
    start: date,
    end: date,
    geography: Geography,
    threshold: int,
) -> dict[str, FieldKpi]:
    """Kits, people trained, reversals, warm hand-offs and overdoses responded in the scope,
    each suppressed like a death count (see :func:`scope_total`)."""
    period = outreach.filter(pl.col("month").is_between(start, end))
    labels = {**FIELD_KPIS, "overdoses_responded": "Overdoses responded"}
    out: dict[str, FieldKpi] = {}
    for column, label in labels.items():
        per_area = dict(
            period.group_by("community_area_number").agg(pl.col(column).sum()).iter_rows()
        )
        total = scope_total(per_area, areas, geography, threshold)
        out[column] = FieldKpi(column, label, total.value, total.display)
    return out


# --------------------------------------------------------------------------------------------
# Freshness
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaleRule:
    """How old a source may be: since its last load, and its newest record."""

    max_refresh_age: timedelta
    max_record_age: timedelta


def freshness_table(sources: pl.DataFrame, now: datetime, rules: dict[str, StaleRule]) -> pl.DataFrame:
    """One row per source with ``stale`` (bool) and ``warning`` (why, or null).

    ``now`` and ``refreshed_at`` are naive UTC. Sources without a rule (e.g. the hot-spot list,
    which has no dates) are never stale.
    """
    rows = []
    for row in sources.iter_rows(named=True):
        rule = rules.get(row["source"])
        reasons = []
        if rule is not None:
            refreshed = row["refreshed_at"]
            if refreshed is None or now - refreshed > rule.max_refresh_age:
                reasons.append(f"not loaded for over {_age_text(rule.max_refresh_age)}")
            newest = row["data_to"]
            if newest is None or now - datetime.combine(newest, datetime.min.time()) > rule.max_record_age:
                reasons.append(f"newest record older than {_age_text(rule.max_record_age)}")
        rows.append({**row, "stale": bool(reasons), "warning": "; ".join(reasons) or None})
    schema = {**sources.schema, "stale": pl.Boolean, "warning": pl.String}
    return pl.DataFrame(rows, schema=schema)


def _age_text(age: timedelta) -> str:
    if age < timedelta(days=2):
        return f"{int(age.total_seconds() // 3600)} hours"
    return f"{age.days} days"

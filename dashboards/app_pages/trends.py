"""Trends: is it getting worse? Overdose deaths over time for the region (or the areas chosen)
against the rest of Chicago — weekly to yearly, year over year, by drug, by age, sex,
race/ethnicity and intent.

Every number comes from ``dashboards/components/trend_data.py`` (pure, tested functions) and is
suppressed there: counts of 1–9 show as "<10", complements as "*", and charts leave them out.
Only the selected tab is computed (lazy tabs), so a filter change redraws one tab.
"""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from dashboards.components import adjusted_rates, charts, data, filters
from dashboards.components import trend_charts as tc
from dashboards.components import trend_data as td
from pipelines.defs.epidemiology import city_total as ct
from pipelines.defs.epidemiology.rates import period_years
from pipelines.defs.epidemiology.suppression import SECONDARY_FOOTNOTE
from pipelines.settings import load_settings

settings = load_settings()
try:
    version = data.db_version(settings.app_db)
    community_areas = data.load_community_areas(version)
    monthly_areas = data.load_monthly(version)
    freshness = data.load_freshness(version)
    publication = data.load_publication(version)
    options = data.load_filter_options(version)
    deaths = td.load_deaths_monthly(version)
    weekly = td.load_deaths_weekly(version)
    suburbs = td.load_region_suburbs(version)
except data.AppDbUnavailable as exc:
    st.title("Trends", anchor=False)
    st.error(str(exc), icon=":material/database_off:")
    st.stop()

if deaths.is_empty() or not options.months:
    st.title("Trends", anchor=False)
    st.error("The published database holds no death counts yet. Run `make pipeline` again.")
    st.stop()

# The stricter of the local setting and the publication's threshold, as on every page.
threshold = max(settings.suppress_below, publication.suppress_below)
region = publication.region_label
area_names = dict(
    zip(
        community_areas.get_column("community_area_number").to_list(),
        community_areas.get_column("community_area").to_list(),
        strict=True,
    )
)
view = filters.render_sidebar(
    options,
    area_names=area_names,
    region_label=region,
    show=("period", "areas", "drug", "demographics", "rate"),
)
scope = filters.area_scope_label(view, area_names, region)
selection = td.make_selection(view, community_areas, scope)
drug_label = filters.DRUG_LABELS.get(view.drug, view.drug)
described = filters.describe(view, area_names, region)
data_months = list(options.months)
provisional = data.provisional_months(monthly_areas)
start, end = view.start, view.end
period_text = data.format_period(start, end)
source = data.source_text(freshness)
refreshed = data.format_refreshed(freshness.refreshed_at)
# Rates need a population: there is none by age, sex or race/ethnicity.
rates_ok = not view.has_demographic_filter
series_order = [selection.label, td.REST_LABEL, td.CITY_LABEL]
# Tables add the Chicago deaths not placed in an area, so that their rows add up to Chicago.
table_order = [selection.label, td.REST_LABEL, td.NOT_PLACED_LABEL, td.CITY_LABEL]
HIDDEN_MARKS = (f"<{threshold}", "*")
NOT_PLACED_NOTE = (
    f"Chicago counts every death that occurred in the city, in its deaths and in both its rates; "
    f"those that could not be placed in a community area are the \u201c{td.NOT_PLACED_LABEL}\u201d "
    f"row (no rate, crude or age-adjusted: no population), so {selection.label}, {td.REST_LABEL} "
    "and that row add up to Chicago."
)
# Crude or age-adjusted (the shared "Death rates" filter): which rate the cards and the annual chart show.
adjusted = view.rate == "adjusted"
rate_label = adjusted_rates.RATE_LABELS[view.rate]
RATE_COLS = (
    ("age_adjusted_rate", "age_adjusted_lower", "age_adjusted_upper", "age_adjusted_unstable")
    if adjusted
    else ("rate", "rate_lower", "rate_upper", "rate_unstable")
)
all_areas = community_areas.get_column("community_area_number").to_list()
# Each series' areas, for the age-adjusted rates (grouped as the crude ones; None = the whole city:
# every Chicago death, placed in an area or not). The deaths not placed in an area are no group:
# they have no population, so no rate of either kind.
series_areas = {
    selection.label: selection.areas,
    td.REST_LABEL: sorted(set(all_areas) - set(selection.areas)),
    td.CITY_LABEL: None,
}
# The two groups that, with the deaths not placed in an area, split Chicago on this page.
series_split = {selection.label: ct.SELECTION, td.REST_LABEL: ct.REST}
if rates_ok:
    band_deaths = adjusted_rates.load_band_deaths(version, view.drug)
    band_population = adjusted_rates.load_band_population(version)


def subtitle(period: str = period_text, filter_line: str = described) -> list[str]:
    """The house subtitle (source, period, refresh time) plus the active filters."""
    return [*charts.chart_subtitle(source, period, refreshed), f"Showing: {filter_line}"]


def hidden_caption(items: list[str], what: str = "points") -> str:
    """A sentence naming the values not drawn because their counts are hidden."""
    if not items:
        return ""
    shown = ", ".join(items[:12]) + (f" and {len(items) - 12} more" if len(items) > 12 else "")
    return (
        f"Not plotted to protect privacy ({len(items)} {what} with 1–{threshold - 1} deaths, or "
        f"hidden so that a small count cannot be worked out from a total): {shown}."
    )


def footnotes(*frames: pl.DataFrame) -> str:
    """The "*" footnote when any frame shows a complementary-suppressed value."""
    for frame in frames:
        if "deaths" in frame.columns and frame.get_column("deaths").eq("*").any():
            # Escaped: a caption starting with "* " would render as a bullet list.
            return SECONDARY_FOOTNOTE.replace("*", "\\*", 1)
    return ""


def note(*parts: str) -> None:
    """One caption from the non-empty ``parts``."""
    text = " ".join(p for p in parts if p)
    if text:
        st.caption(text)


def plot_rows(display: pl.DataFrame, x_col: str) -> pl.DataFrame:
    """Display frame + numeric columns the line charts draw (hidden counts become nulls)."""
    return display.with_columns(
        pl.col(x_col).alias("x"),
        pl.col("deaths").str.replace_all(",", "").cast(pl.Int64, strict=False).alias("deaths_n"),
    )


# ---- Header -----------------------------------------------------------------------------------
with st.container(horizontal=True, vertical_alignment="center", gap="medium"):
    st.title(f"{scope}: trends", anchor=False, width="content")
    if freshness.is_synthetic:
        st.badge(
            "Synthetic demo data",
            icon=":material/science:",
            color="orange",
            help="Every number here is generated for demonstration; none describes a real person.",
        )
st.caption(
    f"Overdose deaths by Chicago community area of occurrence · {described} · {period_text} · "
    f"{source} · data refreshed {refreshed}. Chicago counts every death that occurred in the city, "
    f"including those that could not be placed in an area. Counts of 1–{threshold - 1} are shown as "
    f"\u201c<{threshold}\u201d."
)

# ---- KPIs: the period against the same months a year earlier -------------------------------------
rows = td.filter_rows(deaths, view)
before_start, before_end = td.same_months_last_year(start, end)
current = td.period_totals(rows, selection, start, end, threshold=threshold)
if rates_ok:
    current = adjusted_rates.with_group_adjusted(
        current, adjusted_rates.in_months(band_deaths, start, end), band_population, series_areas,
        years=period_years(start, data.next_month(end)), threshold=threshold, split=series_split,
    )  # fmt: skip
previous = td.period_totals(rows, selection, before_start, before_end, threshold=threshold)
compared = td.compare_periods(current, previous)
by_group = {row["group"]: row for row in compared.iter_rows(named=True)}
sel_row, rest_row = by_group[selection.label], by_group[td.REST_LABEL]
has_year_before = before_start >= data_months[0]

kpi_deaths, kpi_rate, kpi_yoy, kpi_rest = st.columns(4)
with kpi_deaths.container(border=True):
    st.metric(f"Deaths, {selection.label}", sel_row["deaths_display"] or "—")
    st.caption(f"{drug_label} · {period_text}")
with kpi_rate.container(border=True):
    if rates_ok:
        value, lower, upper, unstable = (sel_row[c] for c in RATE_COLS)
        st.metric(f"{rate_label} per 100,000 per year", data.format_rate(value))
        rate_note = (
            f"95% CI {lower:,.1f}–{upper:,.1f}" if value is not None else f"Not shown: fewer than {threshold} deaths"
        )
        if value is not None and unstable:
            rate_note += " · unstable (<20 deaths)"
        if adjusted and value is not None:
            rate_note += f" · crude {data.format_rate(sel_row['rate'])}"
        elif value is not None:
            rate_note += f" · age-adjusted {data.format_rate(sel_row['age_adjusted_rate'])}"
        st.caption(rate_note)
    else:
        st.metric("Rate per 100,000 per year", "—")
        st.caption("No rate with a demographic filter: no population by age group, sex or race.")
# A period with provisional months is still filling in: a change against a closed year would
# show a fall that is only pending toxicology, so none is shown (as on the Overview).
period_is_provisional = any(start <= m <= end for m in provisional)
with kpi_yoy.container(border=True):
    change = sel_row["deaths_change_pct"] if has_year_before and not period_is_provisional else None
    st.metric(
        "Same months a year earlier",
        (sel_row["deaths_before_display"] or "—") if has_year_before else "—",
        delta=None if change is None else f"{change:+.0f}% now",
        delta_color="inverse",
    )
    st.caption(
        (
            data.format_period(before_start, before_end)
            + (" · no change shown: this period has provisional months" if period_is_provisional else "")
        )
        if has_year_before
        else "Before the first month of data"
    )
with kpi_rest.container(border=True):
    if rates_ok:
        st.metric(f"{td.REST_LABEL}, {rate_label.lower()}", data.format_rate(rest_row[RATE_COLS[0]]))
        st.caption(f"{rest_row['deaths_display'] or '—'} deaths · per 100,000 per year")
    else:
        st.metric(f"{td.REST_LABEL}, deaths", rest_row["deaths_display"] or "—")
        st.caption(period_text)

in_period = [m for m in provisional if start <= m <= end]
notes = []
if provisional:
    notes.append(
        f":material/hourglass_top: {data.format_period(provisional[0], provisional[-1])} "
        "is provisional (toxicology pending): counts will rise as cases close; "
        "provisional periods are dashed and shaded."
        + (" The selected period includes it." if in_period else "")
    )
if suburbs and not view.areas:
    notes.append(
        f"The {region} also counts deaths in {', '.join(suburbs)}; they are not included here, "
        "where the region is compared with the rest of Chicago (population figures cover Chicago only)."
    )
if rates_ok and adjusted:
    notes.append(
        f"{adjusted_rates.ADJUSTED_NOTE} "
        + adjusted_rates.unknown_age_note(sel_row["deaths_unknown_age_display"], where=f" in {selection.label}")
    )
note(*notes)

tab_names = ["Over time", "Year over year", "Drugs", "Age, sex, race", "Intent"]
tabs = st.tabs(tab_names, key="trends_tab", on_change="rerun")
open_tab = {name: tab for name, tab in zip(tab_names, tabs, strict=True)}

# ---- Over time ------------------------------------------------------------------------------
with open_tab["Over time"]:
    if open_tab["Over time"].open:
        steps = [s for s in td.TIME_STEPS if rates_ok or s != "week"]
        step_col, metric_col = st.columns([1.3, 1], vertical_alignment="bottom")
        step = step_col.segmented_control(
            "Time step",
            options=steps,
            format_func=td.TIME_STEPS.get,
            default="month",
            required=True,
            key="trends_step",
        )
        metric = metric_col.segmented_control(
            "Measure",
            options=["count", "rate"] if rates_ok else ["count"],
            format_func={"count": "Deaths", "rate": "Crude rate per 100,000 per year"}.get,
            default="count",
            required=True,
            key="trends_metric",
        )
        if step not in steps:
            step = "month"
        if metric == "rate" and not rates_ok:
            metric = "count"
        if step == "week":
            periods = td.week_periods(weekly, start, end, data_months)
            source_rows = td.filter_rows(weekly, view)
            within = (periods.get_column("period").min(), data.next_month(end))
            time_col = "week"
        else:
            chosen = [m for m in data_months if start <= m <= end]
            periods = td.month_periods(chosen, provisional, step)
            source_rows = rows
            within = (start, data.next_month(end))
            time_col = "month"
        series = td.time_series(
            source_rows, periods, selection, time_col=time_col, step=step, within=within, threshold=threshold
        )
        display = td.series_display(series, with_rates=rates_ok)
        step_word = td.TIME_STEPS[step].lower()
        title = [
            f"{drug_label} per {step_word}"
            if metric == "count"
            else f"{drug_label} per 100,000 per year (crude), by {step_word}",
            f"{selection.label} vs {td.REST_LABEL}",
        ]
        plot = plot_rows(display, "period_start")
        tooltip = [
            alt.Tooltip("period:N", title="Period"),
            alt.Tooltip("series:N", title="Series"),
            alt.Tooltip("deaths:N", title="Deaths"),
        ]
        if rates_ok:
            tooltip += [
                alt.Tooltip("rate_per_100k_per_year:Q", title="Rate per 100,000/yr", format=",.1f"),
                alt.Tooltip("rate_95ci_lower:Q", title="95% CI low", format=",.1f"),
                alt.Tooltip("rate_95ci_upper:Q", title="95% CI high", format=",.1f"),
            ]
        chart = tc.line_chart(
            plot,
            value_col="deaths_n" if metric == "count" else "rate_per_100k_per_year",
            step=step,
            series_order=series_order[:2],
            colours=tc.series_colours(series_order[:2], selection.label, td.REST_LABEL, td.CITY_LABEL),
            title=title,
            subtitle=subtitle(),
            y_title=f"Deaths per {step_word}" if metric == "count" else "Crude rate per 100,000 per year",
            y_format=",.0f" if metric == "count" else ",.1f",
            tooltip=tooltip,
            ci=("rate_95ci_lower", "rate_95ci_upper") if metric == "rate" else None,
        )
        st.altair_chart(chart, width="stretch")
        charts.chart_downloads(
            chart, display, file_stem=f"trend_{step}_{view.drug}_{start:%Y-%m}_{end:%Y-%m}", key="trends_over_time"
        )
        hidden = td.hidden_points(display, threshold)
        own_hidden = display.filter(
            (pl.col("series") == selection.label) & pl.col("deaths").is_in(list(HIDDEN_MARKS))
        ).height
        own_total = display.filter(pl.col("series") == selection.label).height
        if own_total and own_hidden * 2 > own_total and step != "year":
            st.info(
                f"Most {step_word}s of {selection.label} are hidden (fewer than {threshold} deaths, or "
                "withheld so that a hidden count cannot be worked out). Choose a longer time step "
                "(quarter or year) or a longer period.",
                icon=":material/info:",
            )
        note(
            "Crude rates are per 100,000 residents (2020 census) per year: a shorter period is scaled to "
            "a full year; the band is the exact 95% confidence interval." if metric == "rate" else "",
            "Age-adjusted rates are given for the whole period (cards above) and per year (Year over "
            "year): by month or week they would rest on a handful of deaths per age band."
            if metric == "rate" and adjusted else "",
            "Weekly counts have no demographic breakdown; the week step is offered without a "
            "demographic filter." if not rates_ok else "",
            "Weeks run Monday–Sunday; the first and last week may be partial." if step == "week" else "",
            hidden_caption(hidden),
            footnotes(display),
        )
        data.expander_table("The numbers behind the chart", display, key="trends_numbers_table", width="stretch")

# ---- Year over year -----------------------------------------------------------------------------
with open_tab["Year over year"]:
    if open_tab["Year over year"].open:
        default_view = not view.areas and view.drug == filters.ALL and not view.has_demographic_filter
        if default_view:
            # The published mart itself: the same numbers as every other product of the pipeline.
            annual = td.load_rates_annual(version)
            annual = annual.with_columns(
                pl.when(pl.col("geography") == region).then(pl.lit(selection.label)).otherwise(pl.col("geography")).alias("geography")
            )
        else:
            annual = td.annual_series(rows, selection, data_months, provisional, threshold=threshold)
            if rates_ok:
                annual = adjusted_rates.with_group_adjusted(
                    annual,
                    band_deaths.with_columns(pl.col("month").dt.year().cast(pl.Int64).alias("year")),
                    band_population,
                    series_areas,
                    years=annual.select("year", (pl.col("months_covered") / 12).alias("years")).unique(),
                    threshold=threshold,
                    key="geography",
                    by=["year"],
                    split=series_split,
                )
        annual_table = td.annual_display(annual, table_order, with_rates=rates_ok)
        rate_col, low_col, high_col = (
            ("age_adjusted_rate_per_100k_per_year", "age_adjusted_95ci_lower", "age_adjusted_95ci_upper")
            if adjusted
            else ("rate_per_100k_per_year", "rate_95ci_lower", "rate_95ci_upper")
        )
        first_year, last_year = annual_table.get_column("year").min(), annual_table.get_column("year").max()
        annual_period = f"{first_year}–{last_year} (every year of data)"
        # The deaths not placed in an area are in the table (they complete Chicago) but not drawn:
        # they have no population, so no rate, and no place.
        plot = plot_rows(
            annual_table.filter(pl.col("series") != td.NOT_PLACED_LABEL).with_columns(
                pl.format("{}-01-01", pl.col("year")).alias("x_date")
            ),
            "x_date",
        )
        tooltip = [
            alt.Tooltip("year:O", title="Year"),
            alt.Tooltip("series:N", title="Series"),
            alt.Tooltip("months_covered:Q", title="Months of data"),
            alt.Tooltip("deaths:N", title="Deaths"),
        ]
        if rates_ok:
            tooltip += [
                alt.Tooltip(f"{rate_col}:Q", title=f"{rate_label} per 100,000/yr", format=",.1f"),
                alt.Tooltip(f"{low_col}:Q", title="95% CI low", format=",.1f"),
                alt.Tooltip(f"{high_col}:Q", title="95% CI high", format=",.1f"),
            ]
            if adjusted:
                tooltip.append(alt.Tooltip("rate_per_100k_per_year:Q", title="Crude rate per 100,000/yr", format=",.1f"))
            else:
                tooltip.append(alt.Tooltip("rate_change_pct:Q", title="Change on previous year (%)", format="+.1f"))
        chart = tc.line_chart(
            plot,
            value_col=rate_col if rates_ok else "deaths_n",
            step="year",
            series_order=series_order,
            colours=tc.series_colours(series_order, selection.label, td.REST_LABEL, td.CITY_LABEL),
            title=[
                f"{drug_label} per 100,000 per year, {rate_label.lower().removesuffix(' rate')}"
                if rates_ok
                else f"{drug_label} per year",
                f"{selection.label}, {td.REST_LABEL} and {td.CITY_LABEL}",
            ],
            subtitle=subtitle(annual_period, filters.describe(view, area_names, region)),
            y_title=f"{rate_label} per 100,000 per year" if rates_ok else "Deaths per year",
            y_format=",.1f" if rates_ok else ",.0f",
            tooltip=tooltip,
            ci=(low_col, high_col) if rates_ok else None,
            height=430,
        )
        st.altair_chart(chart, width="stretch")
        charts.chart_downloads(chart, annual_table, file_stem=f"annual_{view.drug}", key="trends_annual")
        partial = annual_table.filter(pl.col("months_covered") < 12).get_column("year").unique().sort().to_list()
        note(
            "From the published annual rates (marts.overdose_rates_annual)."
            if default_view
            else "Computed from the monthly counts exactly as the published annual rates are.",
            f"Partial years ({', '.join(map(str, partial))}) are annualised over the months they cover."
            if partial and rates_ok
            else "",
            "Change is the crude rate against the previous year; it is not shown next to a hidden count."
            if rates_ok
            else "Counts only: there is no population by age group, sex or race/ethnicity.",
            NOT_PLACED_NOTE,
            f"{adjusted_rates.ADJUSTED_NOTE} Deaths of unknown age are left out of them and counted "
            "in the table's \u201cUnknown age\u201d column; the crude rates count them."
            if rates_ok and adjusted
            else "",
            hidden_caption(td.hidden_points(annual_table.with_columns(pl.col("year").cast(pl.String).alias("period")), threshold), "years"),
        )
        data.expander_table(
            "Annual table",
            annual_table.sort("year", descending=True, maintain_order=True),
            key="trends_annual_table",
            width="stretch",
        )

        st.markdown(f"##### {period_text} against the same months a year earlier", anchors=False)
        if has_year_before:
            table = td.comparison_display(compared, with_rates=rates_ok)
            st.caption(
                " · ".join(subtitle(f"{period_text} vs {data.format_period(before_start, before_end)}"))
            )
            data.show_table(
                table,
                width="stretch",
                # The other headers (area, rates and their change) are the shared glossary's.
                column_config={
                    "deaths": st.column_config.TextColumn("Deaths", help=period_text),
                    "deaths_year_earlier": st.column_config.TextColumn(
                        "A year earlier", help=data.format_period(before_start, before_end)
                    ),
                    "deaths_change_pct": st.column_config.NumberColumn("Change (%)", format="%+.1f"),
                    "rate_year_earlier": st.column_config.NumberColumn("Rate a year earlier", format="%.1f"),
                },
            )
            data.csv_download(
                "Download comparison (CSV)",
                table,
                file_name=f"same_months_last_year_{view.drug}_{start:%Y-%m}_{end:%Y-%m}.csv",
                key="trends_compare_csv",
            )
            note(
                "Provisional months are compared with final ones: the latest change will shrink as "
                "cases close." if in_period else "",
                NOT_PLACED_NOTE,
                footnotes(table),
            )
        else:
            st.caption("The same months a year earlier are before the first month of data.")

# ---- Drugs ---------------------------------------------------------------------------------------
with open_tab["Drugs"]:
    if open_tab["Drugs"].open:
        drug_choices = [d for d in filters.DRUG_LABELS if d != filters.ALL]
        default_drugs = list(td.DEFAULT_DRUGS)
        if view.drug != filters.ALL and view.drug not in default_drugs:
            default_drugs.append(view.drug)
        chosen_drugs = st.multiselect(
            "Drugs to compare",
            options=drug_choices,
            default=default_drugs,
            format_func=filters.DRUG_LABELS.get,
            max_selections=8,
            key="trends_drugs",
        ) or default_drugs
        every_drug = td.filter_rows(deaths, view, every_drug=True)
        labels = {d: filters.DRUG_LABELS[d] for d in chosen_drugs}
        # This tab compares drugs, so the drug filter is left out of its subtitle.
        drug_filter_line = " · ".join(
            part
            for part in filters.describe(view, area_names, region).split(" · ")
            if part != drug_label
        )

        period_drugs = td.drug_period(every_drug, selection, chosen_drugs, start, end, threshold=threshold)
        period_table = td.breakdown_display(period_drugs, "drug", labels)
        bars = tc.bar_chart(
            period_table,
            category="drug",
            order=[labels[d] for d in chosen_drugs],
            title=[f"Drugs involved in overdose deaths, {selection.label}", "deaths (share of all overdose deaths)"],
            subtitle=subtitle(period_text, drug_filter_line),
        )
        st.altair_chart(bars, width="stretch")
        charts.chart_downloads(bars, period_table, file_stem=f"drugs_{start:%Y-%m}_{end:%Y-%m}", key="trends_drugs_period")

        history = td.drug_by_year(every_drug, selection, chosen_drugs, data_months, provisional, threshold=threshold)
        history_table = td.breakdown_display(history, "drug", labels)
        measure = st.segmented_control(
            "Show",
            options=["share", "count"],
            format_func={"share": "Share of overdose deaths", "count": "Deaths"}.get,
            default="share",
            required=True,
            key="trends_drug_measure",
        ) or "share"
        plot = plot_rows(
            history_table.with_columns(
                pl.format("{}-01-01", pl.col("year")).alias("x_date"),
                pl.col("drug").alias("series"),
                (pl.col("share_pct") / 100).alias("share"),
            ),
            "x_date",
        )
        order = [labels[d] for d in chosen_drugs]
        chart = tc.line_chart(
            plot,
            value_col="share" if measure == "share" else "deaths_n",
            step="year",
            series_order=order,
            colours=tc.category_colours(order),
            title=[
                "Share of overdose deaths involving each drug" if measure == "share" else "Deaths involving each drug",
                f"{selection.label}, by year",
            ],
            subtitle=subtitle(f"{min(data_months).year}–{max(data_months).year} (every year of data)", drug_filter_line),
            y_title="Share of overdose deaths" if measure == "share" else "Deaths per year",
            y_format=".0%" if measure == "share" else ",.0f",
            tooltip=[
                alt.Tooltip("year:O", title="Year"),
                alt.Tooltip("series:N", title="Drug"),
                alt.Tooltip("deaths:N", title="Deaths"),
                alt.Tooltip("share_pct:Q", title="Share (%)", format=".1f"),
            ],
            height=430,
        )
        st.altair_chart(chart, width="stretch")
        charts.chart_downloads(chart, history_table, file_stem="drugs_by_year", key="trends_drugs_history")
        note(
            "A death often involves several drugs, so the shares add up to more than 100%. "
            "The drug filter does not apply here: this tab compares drugs. The last year is "
            "provisional and partial.",
            hidden_caption(
                td.hidden_points(history_table.rename({"drug": "series"}).with_columns(pl.col("year").cast(pl.String).alias("period")), threshold),
                "values",
            ),
            footnotes(period_table, history_table),
        )

# ---- Demographic and intent breakdowns ----------------------------------------------------------


def breakdown_section(dimension: str, scope: td.Selection, *, key: str, colour: str) -> None:
    """Period bars for one dimension (other filters applied, its own filter not)."""
    label = td.DIMENSIONS[dimension][1]
    base = td.filter_rows(deaths, view, skip=(dimension,))
    frame = td.breakdown_period(base, scope, dimension, start, end, threshold=threshold)
    table = td.breakdown_display(frame, "category").rename({"category": dimension})
    order = table.get_column(dimension).to_list()
    own = view.demographic(dimension) if dimension in filters.DEMOGRAPHICS else filters.ALL
    line = filters.describe(view, area_names, region)
    if scope.label == td.CITY_LABEL:
        line = line.replace(selection.label, td.CITY_LABEL, 1)
    if own != filters.ALL:
        line = line.replace(f" · {filters.DEMOGRAPHICS[dimension][2]}: {own}", "")
    chart = tc.bar_chart(
        table,
        category=dimension,
        order=order,
        title=[f"Deaths by {label.lower()}", f"{scope.label} (share of deaths)"],
        subtitle=subtitle(period_text, line),
        colour=colour,
    )
    st.altair_chart(chart, width="stretch")
    charts.chart_downloads(chart, table, file_stem=f"{dimension}_{start:%Y-%m}_{end:%Y-%m}", key=f"{key}_period")
    note(
        f"The {label.lower()} filter ({own}) is not applied to this chart." if own != filters.ALL else "",
        footnotes(table),
    )


def history_section(dimension: str, scope: td.Selection, *, key: str) -> None:
    """Share of each category of ``dimension`` per year (every year of data)."""
    label = td.DIMENSIONS[dimension][1]
    base = td.filter_rows(deaths, view, skip=(dimension,))
    frame = td.breakdown_by_year(base, scope, dimension, data_months, provisional, threshold=threshold)
    table = td.breakdown_display(frame, "category").rename({"category": dimension})
    order = td.order_categories(table.get_column(dimension).unique().to_list(), dimension)
    plot = plot_rows(
        table.with_columns(
            pl.format("{}-01-01", pl.col("year")).alias("x_date"),
            pl.col(dimension).alias("series"),
            (pl.col("share_pct") / 100).alias("share"),
        ),
        "x_date",
    )
    own = view.demographic(dimension) if dimension in filters.DEMOGRAPHICS else filters.ALL
    line = filters.describe(view, area_names, region)
    if scope.label == td.CITY_LABEL:
        line = line.replace(selection.label, td.CITY_LABEL, 1)
    if own != filters.ALL:
        line = line.replace(f" · {filters.DEMOGRAPHICS[dimension][2]}: {own}", "")
    chart = tc.line_chart(
        plot,
        value_col="share",
        step="year",
        series_order=order,
        colours=tc.category_colours(order),
        title=[f"Share of deaths by {label.lower()}", f"{scope.label}, by year"],
        subtitle=subtitle(f"{min(data_months).year}–{max(data_months).year} (every year of data)", line),
        y_title="Share of the year's deaths",
        y_format=".0%",
        tooltip=[
            alt.Tooltip("year:O", title="Year"),
            alt.Tooltip("series:N", title=label),
            alt.Tooltip("deaths:N", title="Deaths"),
            alt.Tooltip("share_pct:Q", title="Share (%)", format=".1f"),
        ],
        height=440,
    )
    st.altair_chart(chart, width="stretch")
    charts.chart_downloads(chart, table, file_stem=f"{dimension}_by_year", key=f"{key}_history")
    note(
        hidden_caption(
            td.hidden_points(
                table.rename({dimension: "series"}).with_columns(pl.col("year").cast(pl.String).alias("period")),
                threshold,
            ),
            "values",
        ),
        footnotes(table),
    )


city = td.Selection(
    label=td.CITY_LABEL,
    areas=tuple(community_areas.get_column("community_area_number").to_list()),
    population=selection.city_population,
    city_population=selection.city_population,
    not_placed=True,
    config_region=frozenset(community_areas.filter(pl.col("in_region")).get_column("community_area_number").to_list()),
)

with open_tab["Age, sex, race"]:
    if open_tab["Age, sex, race"].open:
        st.caption(
            "Counts and shares of deaths only: no population by these age groups, sex or "
            "race/ethnicity is published, so there are no rates for these groups. Small groups are hidden; the bars "
            "cover the whole period and the lines whole years, so that they carry information."
        )
        dimension = st.segmented_control(
            "Breakdown by",
            options=["age_group", "sex", "race_ethnicity"],
            format_func=lambda k: td.DIMENSIONS[k][1],
            default="age_group",
            required=True,
            key="trends_dimension",
        ) or "age_group"
        left, right = st.columns([1, 1.25])
        with left:
            breakdown_section(dimension, selection, key="trends_demographic", colour=tc.OKABE_ITO[0])
        with right:
            history_section(dimension, selection, key="trends_demographic")

with open_tab["Intent"]:
    if open_tab["Intent"].open:
        st.caption(
            "Manner of death as the Medical Examiner recorded it: accident, suicide or "
            "undetermined. Suicides and undetermined deaths are few in a small area: compare with "
            "all of Chicago to see their trend."
        )
        where = st.segmented_control(
            "Area",
            options=["selection", "city"],
            format_func={"selection": selection.label, "city": td.CITY_LABEL}.get,
            default="selection",
            required=True,
            key="trends_intent_scope",
        ) or "selection"
        scope_for_intent = selection if where == "selection" else city
        left, right = st.columns([1, 1.25])
        with left:
            breakdown_section("intent", scope_for_intent, key="trends_intent", colour=tc.OKABE_ITO[0])
        with right:
            history_section("intent", scope_for_intent, key="trends_intent")

"""The Trends page's tabs: over time, year over year, drugs, and the demographic and intent
breakdowns. Each draws from the page's shared :class:`dashboards.components.trend_page.TrendsPage`;
every number comes suppressed from the ``trend_*`` data modules.
"""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from dashboards.components import (
    adjusted_rates,
    charts,
    data,
    filters,
    period_labels,
    table_display,
    trend_annual,
    trend_breakdowns,
    trend_charts as tc,
    trend_periods,
    trend_queries,
    trend_selection,
    trend_series,
)
from dashboards.components.trend_page import TrendsPage, footnotes, note, plot_rows


def over_time_tab(page: TrendsPage) -> None:
    """The "Over time" tab: deaths or rates by week, month, quarter or year, with its table."""
    steps = [s for s in trend_periods.TIME_STEPS if page.rates_ok or s != "week"]
    step_col, metric_col = st.columns([1.3, 1], vertical_alignment="bottom")
    step = step_col.segmented_control(
        "Time step",
        options=steps,
        format_func=trend_periods.TIME_STEPS.get,
        default="month",
        required=True,
        key="trends_step",
    )
    metric = metric_col.segmented_control(
        "Measure",
        options=["count", "rate"] if page.rates_ok else ["count"],
        format_func={"count": "Deaths", "rate": "Crude rate per 100,000 per year"}.get,
        default="count",
        required=True,
        key="trends_metric",
    )
    if step not in steps:
        step = "month"
    if metric == "rate" and not page.rates_ok:
        metric = "count"
    if step == "week":
        periods = trend_periods.week_periods(page.weekly, page.start, page.end, page.data_months)
        source_rows = trend_selection.filter_rows(page.weekly, page.view)
        within = (periods.get_column("period").min(), period_labels.next_month(page.end))
        time_col = "week"
    else:
        chosen = [m for m in page.data_months if page.start <= m <= page.end]
        periods = trend_periods.month_periods(chosen, page.provisional, step)
        source_rows = page.rows
        within = (page.start, period_labels.next_month(page.end))
        time_col = "month"
    series = trend_series.time_series(
        source_rows, periods, page.selection, time_col=time_col, step=step, within=within, threshold=page.threshold
    )
    display = trend_series.series_display(series, with_rates=page.rates_ok)
    step_word = trend_periods.TIME_STEPS[step].lower()
    title = [
        f"{page.drug_label} per {step_word}"
        if metric == "count"
        else f"{page.drug_label} per 100,000 per year (crude), by {step_word}",
        f"{page.selection.label} vs {trend_selection.REST_LABEL}",
    ]
    plot = plot_rows(display, "period_start")
    tooltip = [
        alt.Tooltip("period:N", title="Period"),
        alt.Tooltip("series:N", title="Series"),
        alt.Tooltip("deaths:N", title="Deaths"),
    ]
    if page.rates_ok:
        tooltip += [
            alt.Tooltip("rate_per_100k_per_year:Q", title="Rate per 100,000/yr", format=",.1f"),
            alt.Tooltip("rate_95ci_lower:Q", title="95% CI low", format=",.1f"),
            alt.Tooltip("rate_95ci_upper:Q", title="95% CI high", format=",.1f"),
        ]
    chart = tc.line_chart(
        plot,
        value_col="deaths_n" if metric == "count" else "rate_per_100k_per_year",
        step=step,
        series_order=page.series_order[:2],
        colours=tc.series_colours(page.series_order[:2], page.selection.label, trend_selection.REST_LABEL, trend_selection.CITY_LABEL),
        title=title,
        subtitle=page.subtitle(),
        y_title=f"Deaths per {step_word}" if metric == "count" else "Crude rate per 100,000 per year",
        y_format=",.0f" if metric == "count" else ",.1f",
        tooltip=tooltip,
        ci=("rate_95ci_lower", "rate_95ci_upper") if metric == "rate" else None,
    )
    st.altair_chart(chart, width="stretch")
    charts.chart_downloads(
        chart, display, file_stem=f"trend_{step}_{page.view.drug}_{page.start:%Y-%m}_{page.end:%Y-%m}", key="trends_over_time"
    )
    hidden = trend_series.hidden_points(display, page.threshold)
    own_hidden = display.filter(
        (pl.col("series") == page.selection.label) & pl.col("deaths").is_in(list(page.hidden_marks))
    ).height
    own_total = display.filter(pl.col("series") == page.selection.label).height
    if own_total and own_hidden * 2 > own_total and step != "year":
        st.info(
            f"Most {step_word}s of {page.selection.label} are hidden (fewer than {page.threshold} deaths, or "
            "withheld so that a hidden count cannot be worked out). Choose a longer time step "
            "(quarter or year) or a longer period.",
            icon=":material/info:",
        )
    note(
        "Crude rates are per 100,000 residents (2020 census) per year: a shorter period is scaled to "
        "a full year; the band is the exact 95% confidence interval." if metric == "rate" else "",
        "Age-adjusted rates are given for the whole period (cards above) and per year (Year over "
        "year): by month or week they would rest on a handful of deaths per age band."
        if metric == "rate" and page.adjusted else "",
        "Weekly counts have no demographic breakdown; the week step is offered without a "
        "demographic filter." if not page.rates_ok else "",
        "Weeks run Monday–Sunday; the first and last week may be partial." if step == "week" else "",
        page.hidden_caption(hidden),
        footnotes(display),
    )
    table_display.expander_table("The numbers behind the chart", display, key="trends_numbers_table", width="stretch")


def year_over_year_tab(page: TrendsPage) -> None:
    """The "Year over year" tab: annual rates and the period against the same months a year earlier."""
    default_view = not page.view.areas and page.view.drug == filters.ALL and not page.view.has_demographic_filter
    if default_view:
        # The published mart itself: the same numbers as every other product of the pipeline.
        annual = trend_queries.load_rates_annual(page.version)
        annual = annual.with_columns(
            pl.when(pl.col("geography") == page.region).then(pl.lit(page.selection.label)).otherwise(pl.col("geography")).alias("geography")
        )
    else:
        annual = trend_annual.annual_series(page.rows, page.selection, page.data_months, page.provisional, threshold=page.threshold)
        if page.rates_ok:
            annual = adjusted_rates.with_group_adjusted(
                annual,
                page.band_deaths.with_columns(pl.col("month").dt.year().cast(pl.Int64).alias("year")),
                page.band_population,
                page.series_areas,
                years=annual.select("year", (pl.col("months_covered") / 12).alias("years")).unique(),
                threshold=page.threshold,
                key="geography",
                by=["year"],
                split=page.series_split,
            )
    annual_table = trend_annual.annual_display(annual, page.table_order, with_rates=page.rates_ok)
    rate_col, low_col, high_col = (
        ("age_adjusted_rate_per_100k_per_year", "age_adjusted_95ci_lower", "age_adjusted_95ci_upper")
        if page.adjusted
        else ("rate_per_100k_per_year", "rate_95ci_lower", "rate_95ci_upper")
    )
    first_year, last_year = annual_table.get_column("year").min(), annual_table.get_column("year").max()
    annual_period = f"{first_year}–{last_year} (every year of data)"
    # The deaths not placed in an area are in the table (they complete Chicago) but not drawn:
    # they have no population, so no rate, and no place.
    plot = plot_rows(
        annual_table.filter(pl.col("series") != trend_selection.NOT_PLACED_LABEL).with_columns(
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
    if page.rates_ok:
        tooltip += [
            alt.Tooltip(f"{rate_col}:Q", title=f"{page.rate_label} per 100,000/yr", format=",.1f"),
            alt.Tooltip(f"{low_col}:Q", title="95% CI low", format=",.1f"),
            alt.Tooltip(f"{high_col}:Q", title="95% CI high", format=",.1f"),
        ]
        if page.adjusted:
            tooltip.append(alt.Tooltip("rate_per_100k_per_year:Q", title="Crude rate per 100,000/yr", format=",.1f"))
        else:
            tooltip.append(alt.Tooltip("rate_change_pct:Q", title="Change on previous year (%)", format="+.1f"))
    chart = tc.line_chart(
        plot,
        value_col=rate_col if page.rates_ok else "deaths_n",
        step="year",
        series_order=page.series_order,
        colours=tc.series_colours(page.series_order, page.selection.label, trend_selection.REST_LABEL, trend_selection.CITY_LABEL),
        title=[
            f"{page.drug_label} per 100,000 per year, {page.rate_label.lower().removesuffix(' rate')}"
            if page.rates_ok
            else f"{page.drug_label} per year",
            f"{page.selection.label}, {trend_selection.REST_LABEL} and {trend_selection.CITY_LABEL}",
        ],
        subtitle=page.subtitle(annual_period, filters.describe(page.view, page.area_names, page.region)),
        y_title=f"{page.rate_label} per 100,000 per year" if page.rates_ok else "Deaths per year",
        y_format=",.1f" if page.rates_ok else ",.0f",
        tooltip=tooltip,
        ci=(low_col, high_col) if page.rates_ok else None,
        height=430,
    )
    st.altair_chart(chart, width="stretch")
    charts.chart_downloads(chart, annual_table, file_stem=f"annual_{page.view.drug}", key="trends_annual")
    partial = annual_table.filter(pl.col("months_covered") < 12).get_column("year").unique().sort().to_list()
    note(
        "From the published annual rates (marts.overdose_rates_annual)."
        if default_view
        else "Computed from the monthly counts exactly as the published annual rates are.",
        f"Partial years ({', '.join(map(str, partial))}) are annualised over the months they cover."
        if partial and page.rates_ok
        else "",
        "Change is the crude rate against the previous year; it is not shown next to a hidden count."
        if page.rates_ok
        else "Counts only: there is no population by age group, sex or race/ethnicity.",
        page.not_placed_note,
        f"{adjusted_rates.ADJUSTED_NOTE} Deaths of unknown age are left out of them and counted "
        "in the table's \u201cUnknown age\u201d column; the crude rates count them."
        if page.rates_ok and page.adjusted
        else "",
        page.hidden_caption(trend_series.hidden_points(annual_table.with_columns(pl.col("year").cast(pl.String).alias("period")), page.threshold), "years"),
    )
    table_display.expander_table(
        "Annual table",
        annual_table.sort("year", descending=True, maintain_order=True),
        key="trends_annual_table",
        width="stretch",
    )

    st.markdown(f"##### {page.period_text} against the same months a year earlier", anchors=False)
    if page.has_year_before:
        table = trend_series.comparison_display(page.compared, with_rates=page.rates_ok)
        st.caption(
            " · ".join(page.subtitle(f"{page.period_text} vs {data.format_period(page.before_start, page.before_end)}"))
        )
        table_display.show_table(
            table,
            width="stretch",
            # The other headers (area, rates and their change) are the shared glossary's.
            column_config={
                "deaths": st.column_config.TextColumn("Deaths", help=page.period_text),
                "deaths_year_earlier": st.column_config.TextColumn(
                    "A year earlier", help=data.format_period(page.before_start, page.before_end)
                ),
                "deaths_change_pct": st.column_config.NumberColumn("Change (%)", format="%+.1f"),
                "rate_year_earlier": st.column_config.NumberColumn("Rate a year earlier", format="%.1f"),
            },
        )
        table_display.csv_download(
            "Download comparison (CSV)",
            table,
            file_name=f"same_months_last_year_{page.view.drug}_{page.start:%Y-%m}_{page.end:%Y-%m}.csv",
            key="trends_compare_csv",
        )
        note(
            "Provisional months are compared with final ones: the latest change will shrink as "
            "cases close." if page.in_period else "",
            page.not_placed_note,
            footnotes(table),
        )
    else:
        st.caption("The same months a year earlier are before the first month of data.")


def drugs_tab(page: TrendsPage) -> None:
    """The "Drugs" tab: deaths involving each drug over the period and by year."""
    drug_choices = [d for d in filters.DRUG_LABELS if d != filters.ALL]
    default_drugs = list(trend_breakdowns.DEFAULT_DRUGS)
    if page.view.drug != filters.ALL and page.view.drug not in default_drugs:
        default_drugs.append(page.view.drug)
    chosen_drugs = st.multiselect(
        "Drugs to compare",
        options=drug_choices,
        default=default_drugs,
        format_func=filters.DRUG_LABELS.get,
        max_selections=8,
        key="trends_drugs",
    ) or default_drugs
    every_drug = trend_selection.filter_rows(page.deaths, page.view, every_drug=True)
    labels = {d: filters.DRUG_LABELS[d] for d in chosen_drugs}
    # This tab compares drugs, so the drug filter is left out of its subtitle.
    drug_filter_line = " · ".join(
        part
        for part in filters.describe(page.view, page.area_names, page.region).split(" · ")
        if part != page.drug_label
    )

    period_drugs = trend_breakdowns.drug_period(every_drug, page.selection, chosen_drugs, page.start, page.end, threshold=page.threshold)
    period_table = trend_breakdowns.breakdown_display(period_drugs, "drug", labels)
    bars = tc.bar_chart(
        period_table,
        category="drug",
        order=[labels[d] for d in chosen_drugs],
        title=[f"Drugs involved in overdose deaths, {page.selection.label}", "deaths (share of all overdose deaths)"],
        subtitle=page.subtitle(page.period_text, drug_filter_line),
    )
    st.altair_chart(bars, width="stretch")
    charts.chart_downloads(bars, period_table, file_stem=f"drugs_{page.start:%Y-%m}_{page.end:%Y-%m}", key="trends_drugs_period")

    history = trend_breakdowns.drug_by_year(every_drug, page.selection, chosen_drugs, page.data_months, page.provisional, threshold=page.threshold)
    history_table = trend_breakdowns.breakdown_display(history, "drug", labels)
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
            f"{page.selection.label}, by year",
        ],
        subtitle=page.subtitle(f"{min(page.data_months).year}–{max(page.data_months).year} (every year of data)", drug_filter_line),
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
        page.hidden_caption(
            trend_series.hidden_points(history_table.rename({"drug": "series"}).with_columns(pl.col("year").cast(pl.String).alias("period")), page.threshold),
            "values",
        ),
        footnotes(period_table, history_table),
    )


def breakdown_section(page: TrendsPage, dimension: str, scope: trend_selection.Selection, *, key: str, colour: str) -> None:
    """Period bars for one dimension (other filters applied, its own filter not)."""
    label = trend_breakdowns.DIMENSIONS[dimension][1]
    base = trend_selection.filter_rows(page.deaths, page.view, skip=(dimension,))
    frame = trend_breakdowns.breakdown_period(base, scope, dimension, page.start, page.end, threshold=page.threshold)
    table = trend_breakdowns.breakdown_display(frame, "category").rename({"category": dimension})
    order = table.get_column(dimension).to_list()
    own = page.view.demographic(dimension) if dimension in filters.DEMOGRAPHICS else filters.ALL
    line = filters.describe(page.view, page.area_names, page.region)
    if scope.label == trend_selection.CITY_LABEL:
        line = line.replace(page.selection.label, trend_selection.CITY_LABEL, 1)
    if own != filters.ALL:
        line = line.replace(f" · {filters.DEMOGRAPHICS[dimension][2]}: {own}", "")
    chart = tc.bar_chart(
        table,
        category=dimension,
        order=order,
        title=[f"Deaths by {label.lower()}", f"{scope.label} (share of deaths)"],
        subtitle=page.subtitle(page.period_text, line),
        colour=colour,
    )
    st.altair_chart(chart, width="stretch")
    charts.chart_downloads(chart, table, file_stem=f"{dimension}_{page.start:%Y-%m}_{page.end:%Y-%m}", key=f"{key}_period")
    note(
        f"The {label.lower()} filter ({own}) is not applied to this chart." if own != filters.ALL else "",
        footnotes(table),
    )


def history_section(page: TrendsPage, dimension: str, scope: trend_selection.Selection, *, key: str) -> None:
    """Share of each category of ``dimension`` per year (every year of data)."""
    label = trend_breakdowns.DIMENSIONS[dimension][1]
    base = trend_selection.filter_rows(page.deaths, page.view, skip=(dimension,))
    frame = trend_breakdowns.breakdown_by_year(base, scope, dimension, page.data_months, page.provisional, threshold=page.threshold)
    table = trend_breakdowns.breakdown_display(frame, "category").rename({"category": dimension})
    order = trend_breakdowns.order_categories(table.get_column(dimension).unique().to_list(), dimension)
    plot = plot_rows(
        table.with_columns(
            pl.format("{}-01-01", pl.col("year")).alias("x_date"),
            pl.col(dimension).alias("series"),
            (pl.col("share_pct") / 100).alias("share"),
        ),
        "x_date",
    )
    own = page.view.demographic(dimension) if dimension in filters.DEMOGRAPHICS else filters.ALL
    line = filters.describe(page.view, page.area_names, page.region)
    if scope.label == trend_selection.CITY_LABEL:
        line = line.replace(page.selection.label, trend_selection.CITY_LABEL, 1)
    if own != filters.ALL:
        line = line.replace(f" · {filters.DEMOGRAPHICS[dimension][2]}: {own}", "")
    chart = tc.line_chart(
        plot,
        value_col="share",
        step="year",
        series_order=order,
        colours=tc.category_colours(order),
        title=[f"Share of deaths by {label.lower()}", f"{scope.label}, by year"],
        subtitle=page.subtitle(f"{min(page.data_months).year}–{max(page.data_months).year} (every year of data)", line),
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
        page.hidden_caption(
            trend_series.hidden_points(
                table.rename({dimension: "series"}).with_columns(pl.col("year").cast(pl.String).alias("period")),
                page.threshold,
            ),
            "values",
        ),
        footnotes(table),
    )

"""Pure functions building the Altair charts (each with a title and a source/period subtitle).

Each chart is built from a *display frame*: the exact rounded numbers (and "<10" strings) the
chart shows. The page offers that same frame as the chart's CSV download, so what is downloaded
is what is seen.
"""

from __future__ import annotations

from datetime import date

import altair as alt
import polars as pl

from dashboards.components.period_labels import next_month

FINAL = "Final"
PROVISIONAL = "Provisional (toxicology pending)"
#: The region's colour: its series in charts and its outline on the map (orange does not occur in
#: viridis, so the outline stays visible on every class).
REGION_OUTLINE_COLOUR = "#e8590c"
REST_COLOUR = "#3b528b"

#: Display-frame columns, in CSV order.
TREND_COLUMNS = ("month", "series", "deaths", "rate_per_100k_per_year", "provisional")


def chart_subtitle(source: str, period: str, refreshed: str) -> list[str]:
    """Subtitle lines shared by every chart and the map: source, period, refresh time.

    One fact per line, so each line still fits a phone-width chart (Vega truncates, not wraps).
    """
    return [f"Source: {source}", f"Period: {period}", f"Data refreshed {refreshed}"]


def trend_display_frame(monthly_metrics: pl.DataFrame) -> pl.DataFrame:
    """Rounded, suppression-safe rows of the trend chart (one per month and series).

    ``monthly_metrics`` is :func:`dashboards.components.period_metrics.monthly_group_metrics` output.
    ``deaths`` is the display string ("<10" when suppressed) and the rate is rounded to one
    decimal and null when suppressed.
    """
    return monthly_metrics.sort("group", "month").select(
        pl.col("month").dt.strftime("%Y-%m").alias("month"),
        pl.col("group").alias("series"),
        pl.col("deaths_display").alias("deaths"),
        pl.col("rate").round(1).alias("rate_per_100k_per_year"),
        pl.col("is_provisional").alias("provisional"),
    )


def _plot_rows(display: pl.DataFrame, value_col: str) -> pl.DataFrame:
    """Rows to draw: numeric value (null = gap), status, and a connector into the provisional part.

    The provisional segment is drawn as its own dashed line; repeating each series' last final
    month in it joins the dashed line to the solid one instead of leaving a false gap.
    """
    if value_col == "deaths":
        value = pl.col("deaths").cast(pl.Int64, strict=False).cast(pl.Float64)
    else:
        value = pl.col("rate_per_100k_per_year")
    rows = display.with_columns(
        value.alias("value"),
        pl.when(pl.col("provisional")).then(pl.lit(PROVISIONAL)).otherwise(pl.lit(FINAL)).alias("status"),
        (pl.col("month") + "-01").alias("month_start"),
        pl.col("month").str.to_date("%Y-%m").dt.strftime("%b %Y").alias("month_label"),
        pl.lit(False).alias("connector"),
    )
    connectors = (
        rows.filter(pl.col("status") == FINAL)
        .group_by("series")
        .agg(pl.all().sort_by("month").last())
        .join(rows.filter(pl.col("status") == PROVISIONAL).select("series").unique(), on="series")
        .with_columns(pl.lit(PROVISIONAL).alias("status"), pl.lit(True).alias("connector"))
        .select(rows.columns)
    )
    return pl.concat([rows, connectors]).sort("series", "status", "month")


def trend_chart(
    display: pl.DataFrame,
    *,
    metric: str,
    title: str | list[str],
    subtitle: list[str],
    region_label: str,
    rest_label: str,
) -> alt.LayerChart:
    """Monthly line chart, region vs rest of the city, with provisional months dashed and shaded.

    ``metric`` is ``"count"`` (deaths per month) or ``"rate"`` (per 100,000 per year-equivalent);
    ``title`` may be a list of lines. Suppressed months have no value and show as gaps.
    """
    value_col = "deaths" if metric == "count" else "rate_per_100k_per_year"
    y_title = "Deaths per month" if metric == "count" else "Rate per 100,000 per year"
    rows = _plot_rows(display, value_col)
    x = alt.X(
        "utcyearmonth(month_start):T",
        title=None,
        axis=alt.Axis(format="%b %Y", labelAngle=0, labelOverlap=True, tickCount="month"),
    )
    series_scale = alt.Scale(domain=[region_label, rest_label], range=[REGION_OUTLINE_COLOUR, REST_COLOUR])
    colour = alt.Color(
        "series:N",
        title=None,
        scale=series_scale,
        legend=alt.Legend(orient="top", direction="horizontal", symbolType="stroke", symbolStrokeWidth=3),
    )
    # Below the plot rather than beside the series legend: side by side they overflow a phone.
    status_legend = alt.Legend(
        orient="bottom",
        direction="horizontal",
        symbolType="stroke",
        symbolStrokeColor="#555555",
        symbolStrokeWidth=2.5,
        labelLimit=260,
    )
    dash = alt.StrokeDash(
        "status:O",
        title=None,
        scale=alt.Scale(domain=[FINAL, PROVISIONAL], range=[[1, 0], [5, 4]]),
        legend=status_legend,
    )
    tooltip = [
        alt.Tooltip("month_label:N", title="Month"),
        alt.Tooltip("series:N", title="Series"),
        alt.Tooltip("deaths:N", title="Deaths"),
        alt.Tooltip("rate_per_100k_per_year:Q", title="Rate per 100,000/yr", format=",.1f"),
        alt.Tooltip("status:N", title="Status"),
    ]
    base = alt.Chart(rows)
    lines = base.mark_line(strokeWidth=2.5, invalid="break-paths-show-domains").encode(
        x=x,
        y=alt.Y("value:Q", title=y_title, scale=alt.Scale(zero=True)),
        color=colour,
        strokeDash=dash,
    )
    points = (
        base.transform_filter("datum.value != null && !datum.connector")
        .mark_point(filled=True, size=28)
        .encode(
            x=x,
            y="value:Q",
            color=colour,
            tooltip=tooltip,
        )
    )
    layers: list[alt.Chart] = []
    provisional = rows.filter(pl.col("provisional"))
    if not provisional.is_empty():
        first = provisional.get_column("month_start").min()
        last = date.fromisoformat(provisional.get_column("month_start").max())
        band = pl.DataFrame(
            {
                "start": [first],
                # The band ends at the close of the last month so its final point sits inside it.
                "end": [next_month(last).isoformat()],
                "label": ["provisional"],
            }
        )
        band_chart = alt.Chart(band)
        layers.append(
            band_chart.mark_rect(color="#9e9e9e", opacity=0.16).encode(
                x=alt.X("utcyearmonth(start):T"), x2="utcyearmonth(end):T"
            )
        )
        layers.append(
            band_chart.mark_text(align="left", baseline="top", dx=4, dy=4, color="#555555", fontSize=11)
            .encode(x=alt.X("utcyearmonth(start):T"), y=alt.value(0), text="label:N")
        )
    layers += [lines, points]
    return (
        alt.layer(*layers)
        .properties(
            title=chart_title(title, subtitle),
            # Streamlit fits the whole chart (titles and legends included) into this height.
            height=440,
        )
        .resolve_scale(x="shared")
    )


def chart_title(title: str | list[str], subtitle: str | list[str]) -> alt.Title:
    """The house chart title: large title lines, then the source/period/refresh subtitle."""
    return alt.Title(
        title,
        subtitle=subtitle,
        anchor="start",
        fontSize=16,
        subtitleFontSize=12,
        subtitleColor="#555555",
        offset=10,
    )


#: Width in CSS pixels of exported chart images: a 16:9 slide at 2x scale stays sharp.
EXPORT_WIDTH = 960


def export_spec(chart: alt.TopLevelMixin, width: int = EXPORT_WIDTH) -> str:
    """The chart's Vega-Lite JSON at a fixed width, white background, for image export.

    On the page charts stretch to the container; an exported file needs a definite size.
    """
    concatenated = isinstance(chart, (alt.HConcatChart, alt.VConcatChart, alt.ConcatChart))
    sized = chart if concatenated else chart.properties(width=width)
    return sized.configure(background="white").to_json()


def chart_png(chart: alt.TopLevelMixin, scale: float = 2.0) -> bytes:
    """PNG of ``chart`` rendered server-side (vl-convert; no browser, no network)."""
    import vl_convert as vlc

    return vlc.vegalite_to_png(export_spec(chart), scale=scale)


def chart_svg(chart: alt.TopLevelMixin) -> str:
    """SVG of ``chart`` rendered server-side."""
    import vl_convert as vlc

    return vlc.vegalite_to_svg(export_spec(chart))


def chart_downloads(chart: alt.TopLevelMixin, frame: pl.DataFrame, *, file_stem: str, key: str) -> None:
    """PNG, SVG and CSV download buttons for a chart, side by side under it.

    Images are rendered only when a button is clicked (deferred callables), so they cost the
    page nothing; the CSV is exactly the suppressed display frame the chart was drawn from.
    """
    import streamlit as st

    from dashboards.components.table_display import to_csv_bytes

    with st.container(horizontal=True, gap="small"):
        st.download_button(
            "PNG",
            data=lambda: chart_png(chart),
            file_name=f"{file_stem}.png",
            mime="image/png",
            icon=":material/image:",
            on_click="ignore",
            key=f"{key}_png",
            help="The chart as an image, for slides (1920 px wide).",
        )
        st.download_button(
            "SVG",
            data=lambda: chart_svg(chart),
            file_name=f"{file_stem}.svg",
            mime="image/svg+xml",
            icon=":material/draw:",
            on_click="ignore",
            key=f"{key}_svg",
            help="The chart as a scalable vector image.",
        )
        st.download_button(
            "CSV",
            data=to_csv_bytes(frame),
            file_name=f"{file_stem}.csv",
            mime="text/csv",
            icon=":material/download:",
            on_click="ignore",
            key=f"{key}_csv",
            help="The numbers behind the chart, as shown (small counts suppressed).",
        )

"""Altair chart builders of the Trends page (pure: display frame in, chart out).

Colours are colour-blind safe: the region/selection in the map's orange against the map's blue
for the rest of Chicago (distinct in every common colour-vision deficiency) and dark grey for
Chicago; categories (drugs, age groups, …) take the Okabe–Ito palette (Okabe & Ito 2008, "Color
Universal Design"), which stays distinguishable for protan, deutan and tritan vision. Provisional
periods are dashed and shaded as on the Map page (:func:`dashboards.components.charts.trend_chart`),
and suppressed values are never plotted (gaps / no bar, with the "<10" mark as text).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import altair as alt
import polars as pl

from dashboards.components.charts import FINAL, PROVISIONAL, REGION_OUTLINE_COLOUR, REST_COLOUR, chart_title
from dashboards.components.period_labels import next_month

CITY_COLOUR = "#333333"
#: Okabe–Ito, without yellow (too light on white for thin lines) and black (used for Chicago).
OKABE_ITO: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#000000",
    "#F0E442",
)

#: How far the provisional band extends past the start of its last period, per time step.
_BAND_END = {
    "week": lambda d: d + timedelta(days=7),
    "month": next_month,
    "quarter": lambda d: next_month(d),
    "year": lambda d: next_month(next_month(d)),
}
_AXIS_FORMAT = {"week": "%d %b %Y", "month": "%b %Y", "quarter": "%Y Q%q", "year": "%Y"}
#: Ticks on period starts, so a label sits under its point.
_TICKS = {
    "week": alt.TimeIntervalStep(interval="week", step=1),
    "month": alt.TimeIntervalStep(interval="month", step=1),
    "quarter": alt.TimeIntervalStep(interval="month", step=3),
    "year": alt.TimeIntervalStep(interval="year", step=1),
}


def series_colours(labels: Sequence[str], selection: str, rest: str, city: str) -> list[str]:
    """Colours for the selection / rest of Chicago / Chicago series, in ``labels`` order."""
    fixed = {selection: REGION_OUTLINE_COLOUR, rest: REST_COLOUR, city: CITY_COLOUR}
    return [fixed.get(label, OKABE_ITO[i % len(OKABE_ITO)]) for i, label in enumerate(labels)]


def category_colours(labels: Sequence[str]) -> list[str]:
    """Okabe–Ito colours for up to eight categories (repeats beyond that)."""
    return [OKABE_ITO[i % len(OKABE_ITO)] for i in range(len(labels))]


def _with_status(rows: pl.DataFrame, value_col: str) -> pl.DataFrame:
    """Plot rows: numeric ``value`` (null = gap), status, and connectors into the provisional part.

    Repeating each series' last final point in the provisional segment joins the dashed line to
    the solid one instead of leaving a false gap (as on the Map page).
    """
    rows = rows.with_columns(
        pl.col(value_col).cast(pl.Float64).alias("value"),
        pl.when(pl.col("provisional")).then(pl.lit(PROVISIONAL)).otherwise(pl.lit(FINAL)).alias("status"),
        pl.lit(False).alias("connector"),
    )
    connectors = (
        rows.filter(pl.col("status") == FINAL)
        .group_by("series")
        .agg(pl.all().sort_by("x").last())
        .join(rows.filter(pl.col("status") == PROVISIONAL).select("series").unique(), on="series")
        .with_columns(pl.lit(PROVISIONAL).alias("status"), pl.lit(True).alias("connector"))
        .select(rows.columns)
    )
    return pl.concat([rows, connectors]).sort("series", "status", "x")


def line_chart(
    rows: pl.DataFrame,
    *,
    value_col: str,
    step: str,
    series_order: Sequence[str],
    colours: Sequence[str],
    title: str | list[str],
    subtitle: list[str],
    y_title: str,
    y_format: str = ",.0f",
    tooltip: Sequence[alt.Tooltip] = (),
    ci: tuple[str, str] | None = None,
    height: int = 400,
) -> alt.LayerChart:
    """Lines over time per ``series``; provisional periods dashed and shaded; null = gap.

    ``rows`` needs ``x`` (ISO date of the period start), ``series``, ``provisional`` and
    ``value_col``, plus any tooltip fields. ``ci`` names lower/upper columns drawn as a band.
    """
    plot = _with_status(rows, value_col)
    x = alt.X(
        "x:T",
        title=None,
        axis=alt.Axis(format=_AXIS_FORMAT[step], labelAngle=0, labelOverlap=True, tickCount=_TICKS[step]),
    )
    colour = alt.Color(
        "series:N",
        title=None,
        sort=list(series_order),
        scale=alt.Scale(domain=list(series_order), range=list(colours)),
        legend=alt.Legend(orient="top", direction="horizontal", symbolType="stroke", symbolStrokeWidth=3, symbolOpacity=1,
                          columns=4, labelLimit=220),
    )
    dash = alt.StrokeDash(
        "status:O",
        title=None,
        scale=alt.Scale(domain=[FINAL, PROVISIONAL], range=[[1, 0], [5, 4]]),
        legend=alt.Legend(orient="bottom", direction="horizontal", symbolType="stroke",
                          symbolStrokeColor="#555555", symbolStrokeWidth=2.5, labelLimit=260),
    )
    base = alt.Chart(plot)
    y = alt.Y("value:Q", title=y_title, scale=alt.Scale(zero=True), axis=alt.Axis(format=y_format))
    layers: list[alt.Chart] = []
    provisional = rows.filter(pl.col("provisional"))
    if not provisional.is_empty():
        first = provisional.get_column("x").min()
        last = date.fromisoformat(provisional.get_column("x").max())
        band = alt.Chart(
            pl.DataFrame({"start": [first], "end": [_BAND_END[step](last).isoformat()], "label": ["provisional"]})
        )
        layers.append(band.mark_rect(color="#9e9e9e", opacity=0.16).encode(x="start:T", x2="end:T"))
        layers.append(
            band.mark_text(align="left", baseline="top", dx=4, dy=4, color="#555555", fontSize=11).encode(
                x="start:T", y=alt.value(0), text="label:N"
            )
        )
    if ci is not None:
        layers.append(
            base.transform_filter("!datum.connector")
            .mark_area(opacity=0.14, invalid="break-paths-show-domains")
            .encode(x=x, y=alt.Y(f"{ci[0]}:Q"), y2=f"{ci[1]}:Q", color=colour)
        )
    layers.append(
        base.mark_line(strokeWidth=2.5, invalid="break-paths-show-domains").encode(
            x=x, y=y, color=colour, strokeDash=dash, detail="status:N"
        )
    )
    layers.append(
        base.transform_filter("datum.value != null && !datum.connector")
        .mark_point(filled=True, size=30)
        .encode(x=x, y="value:Q", color=colour, tooltip=list(tooltip))
    )
    return alt.layer(*layers).properties(title=chart_title(title, subtitle), height=height)


def bar_chart(
    rows: pl.DataFrame,
    *,
    category: str,
    order: Sequence[str],
    title: str | list[str],
    subtitle: list[str],
    x_title: str = "Deaths",
    colour: str = REGION_OUTLINE_COLOUR,
    height: int | None = None,
) -> alt.LayerChart:
    """Horizontal bars of ``deaths`` per ``category``, labelled "n (share %)".

    ``rows`` are a breakdown display frame (``deaths`` text, ``share_pct``). Hidden counts get no
    bar; their label reads "<10" (or "*") at zero.
    """
    plot = rows.with_columns(
        pl.col("deaths").str.replace_all(",", "").cast(pl.Int64, strict=False).alias("value"),
    ).with_columns(
        pl.when(pl.col("share_pct").is_not_null())
        .then(pl.col("deaths") + " (" + pl.col("share_pct").round(0).cast(pl.Int64).cast(pl.String) + "%)")
        .otherwise(pl.col("deaths"))
        .alias("text")
    )
    y = alt.Y(f"{category}:N", title=None, sort=list(order), axis=alt.Axis(labelLimit=160))
    # Room to the right of the longest bar for its label.
    top = max(float(plot.get_column("value").max() or 0), 1.0) * 1.35
    base = alt.Chart(plot)
    bars = base.mark_bar(color=colour, height={"band": 0.7}).encode(
        y=y,
        x=alt.X("value:Q", title=x_title, scale=alt.Scale(domain=[0, top], nice=False)),
        tooltip=[
            alt.Tooltip(f"{category}:N", title="Group"),
            alt.Tooltip("deaths:N", title="Deaths"),
            alt.Tooltip("share_pct:Q", title="Share (%)", format=".1f"),
        ],
    )
    labels = base.mark_text(align="left", dx=4, fontSize=12, color="#222222").encode(
        y=y, x=alt.X("label_x:Q"), text="text:N"
    ).transform_calculate(label_x="datum.value == null ? 0 : datum.value")
    return alt.layer(bars, labels).properties(
        # A fixed step per bar: Streamlit's fit-to-height autosize squeezes a discrete axis.
        title=chart_title(title, subtitle), height=alt.Step(height or 32)
    )

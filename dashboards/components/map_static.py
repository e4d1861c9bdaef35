"""A static image of the area map for downloads (Altair; no browser needed).
"""

from __future__ import annotations

from collections.abc import Sequence

from dashboards.components.charts import REGION_OUTLINE_COLOUR, chart_title
from dashboards.components.map_classes import LegendBin
from dashboards.components.map_labels import frame_feature
from dashboards.components.map_style import SELECTED_OUTLINE_COLOUR, rgba_to_hex


def static_map_chart(
    features: Sequence[dict],
    outline: dict,
    bins: Sequence[LegendBin],
    *,
    title: str | list[str],
    subtitle: list[str],
    legend_title: str,
    selected: Sequence[dict] = (),
    width: int = 760,
    height: int = 620,
):
    """An Altair geoshape map of the same area colours, framed on the region, for PNG export.

    Colours come from the features (so the image matches the screen); the legend maps each
    colour back to its label in ``bins``.
    """
    import altair as alt

    by_colour = {b.colour.lower(): b.label for b in bins}
    values = []
    for feature in features:
        colour = rgba_to_hex(feature["properties"]["fill_color"]).lower()
        values.append(
            {
                "type": "Feature",
                "geometry": feature["geometry"],
                "properties": {
                    "name": feature["properties"]["community_area"],
                    "legend": by_colour.get(colour, feature["properties"].get("line1", "")),
                },
            }
        )
    frame = frame_feature(outline)
    domain = [b.label for b in bins]
    colours = [b.colour for b in bins]
    areas_chart = (
        alt.Chart(alt.Data(values=values))
        .mark_geoshape(stroke="#ffffff", strokeWidth=0.8, clip=True)
        .encode(
            color=alt.Color(
                "properties.legend:N",
                title=legend_title,
                scale=alt.Scale(domain=domain, range=colours),
                legend=alt.Legend(orient="right", labelLimit=260, symbolType="square", symbolSize=180),
            ),
        )
        .project(type="mercator", fit=frame)
    )
    layers = [areas_chart]
    layers.append(
        alt.Chart(alt.Data(values=[outline]))
        .mark_geoshape(filled=False, stroke=REGION_OUTLINE_COLOUR, strokeWidth=3.5, clip=True)
        .project(type="mercator", fit=frame)
    )
    if selected:
        layers.append(
            alt.Chart(alt.Data(values=list(selected)))
            .mark_geoshape(filled=False, stroke=SELECTED_OUTLINE_COLOUR, strokeWidth=3, clip=True)
            .project(type="mercator", fit=frame)
        )
    return alt.layer(*layers).properties(
        title=chart_title(title, subtitle), width=width, height=height
    )

"""The Map page's pydeck Deck: the layers stacked in order, and which area a click selected.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import pydeck as pdk

from dashboards.components.charts import REGION_OUTLINE_COLOUR
from dashboards.components.map_style import (
    ALERT_LAYER_ID,
    AREA_BORDER_COLOUR,
    CHOROPLETH_LAYER_ID,
    HEX_LAYER_ID,
    LABEL_LAYER_ID,
    OUTLINE_LAYER_ID,
    SELECTED_LAYER_ID,
    SELECTED_OUTLINE_COLOUR,
    TOOLTIP_HTML,
    hex_to_rgba,
)


def build_deck(
    features: list[dict],
    outline: dict,
    labels: list[dict],
    view_state: pdk.ViewState,
    *,
    overlays: Sequence[pdk.Layer] = (),
    selected: Sequence[dict] = (),
    markers: Sequence[pdk.Layer] = (),
) -> pdk.Deck:
    """The map: area fill, region outline, ``overlays`` (hexagons), selection, labels, markers.

    No basemap: ``map_provider=None`` leaves pydeck's "no style chosen" sentinel in the spec, which
    Streamlit reads as "no basemap" (``map_style=None`` would make it fetch a Carto style from the
    network). Every layer has an ``id`` so a click on an area comes back as a selection.
    """
    choropleth = pdk.Layer(
        "GeoJsonLayer",
        id=CHOROPLETH_LAYER_ID,
        data={"type": "FeatureCollection", "features": features},
        pickable=True,
        stroked=True,
        filled=True,
        get_fill_color="properties.fill_color",
        get_line_color=hex_to_rgba(AREA_BORDER_COLOUR),
        # Widths in metres with a pixel floor: deck.gl's "pixels" width units render as a canvas
        # filled with the line colour under software WebGL (SwiftShader, headless Chromium).
        get_line_width=25,
        line_width_min_pixels=1,
        auto_highlight=True,
        highlight_color=[255, 255, 255, 90],
    )
    outline_layer = pdk.Layer(
        "GeoJsonLayer",
        id=OUTLINE_LAYER_ID,
        data={"type": "FeatureCollection", "features": [outline]},
        pickable=False,
        stroked=True,
        filled=False,
        get_line_color=hex_to_rgba(REGION_OUTLINE_COLOUR),
        get_line_width=140,
        line_width_min_pixels=3,
        line_width_max_pixels=6,
        line_joint_rounded=True,
    )
    layers = [choropleth, outline_layer, *overlays]
    if selected:
        layers.append(
            pdk.Layer(
                "GeoJsonLayer",
                id=SELECTED_LAYER_ID,
                data={"type": "FeatureCollection", "features": list(selected)},
                pickable=False,
                stroked=True,
                filled=False,
                get_line_color=hex_to_rgba(SELECTED_OUTLINE_COLOUR),
                get_line_width=120,
                line_width_min_pixels=3,
                line_width_max_pixels=5,
                line_joint_rounded=True,
            )
        )
    label_layer = pdk.Layer(
        "TextLayer",
        id=LABEL_LAYER_ID,
        data=labels,
        pickable=False,
        get_position="position",
        get_text="name",
        get_pixel_offset="offset",
        get_alignment_baseline="anchor",
        # Metres with pixel bounds: labels shrink when the map is zoomed out to the whole city,
        # where the small West Side areas' names would otherwise run into each other.
        get_size=12,
        get_color=[25, 25, 25, 255],
        # A white halo (signed-distance-field font) keeps dark text legible on every palette
        # class; the text "background" option is avoided because it draws garbage under
        # software WebGL.
        font_settings={"sdf": True},
        outline_width=3,
        outline_color=[255, 255, 255, 235],
        # deck.gl's default font family: a named family renders nothing when deck.gl builds its
        # glyph atlas before the web font is ready.
        font_weight=600,
        line_height=1.0,
    )
    layers += [label_layer, *markers]
    return pdk.Deck(
        layers=layers,
        initial_view_state=view_state,
        map_provider=None,
        tooltip={
            "html": TOOLTIP_HTML,
            "style": {
                "backgroundColor": "#ffffff",
                "color": "#1f1f1f",
                "fontSize": "13px",
                "border": "1px solid #bdbdbd",
                "borderRadius": "4px",
                "padding": "6px 8px",
                "maxWidth": "340px",
            },
        },
    )


#: Layers whose objects carry the area they belong to, in the order a click is looked up.
SELECTABLE_LAYERS = (CHOROPLETH_LAYER_ID, HEX_LAYER_ID, ALERT_LAYER_ID)


def selected_area(selection: Mapping | None) -> int | None:
    """The community-area number a map click selected, from ``st.pydeck_chart``'s selection state.

    ``selection`` is the chart's session-state value (``{"selection": {"objects": {layer: [...]}}}``).
    A click on an area selects it; a click on a hexagon or an alert marker selects the area the
    hexagon or marker belongs to (hexagons outside Chicago select nothing).
    """
    if not selection:
        return None
    objects = (selection.get("selection") or {}).get("objects") or {}
    for layer_id in SELECTABLE_LAYERS:
        picked = objects.get(layer_id) or []
        if not picked or not isinstance(picked[0], Mapping):
            continue
        properties = picked[0].get("properties", picked[0])
        number = properties.get("community_area_number") if isinstance(properties, Mapping) else None
        return int(number) if isinstance(number, (int, float)) else None
    return None

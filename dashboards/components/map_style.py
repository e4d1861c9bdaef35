"""Shared style of the Map page's layers: palettes, colours, layer ids and the one tooltip.

The map modules (``map_*.py``) are pure: nothing in them touches Streamlit or the database, so
every rule (binning, what a suppressed area shows, which hexagons a public view may draw) is
unit-tested on plain inputs.

Every pickable object carries the same six tooltip slots (``title``, ``line1``..``line4``,
``note``) as *display strings*: one tooltip template serves every layer, and a suppressed count
can never reach the browser as a number hidden in the map data.

Palettes (all colour-blind safe, and ordered by lightness so they survive greyscale printing):

* deaths (count or rate) — viridis, light = few, dark = many;
* test-strip positivity — cividis (blue–yellow; readable with any colour-vision deficiency);
* hexagon counts — ColorBrewer YlOrRd, drawn over dimmed areas with a dark outline;
* Gi* hot/cold spots and Local Moran clusters — ColorBrewer RdBu (diverging red = hot/high,
  blue = cold/low), with "not significant" a light grey; no red–green pairs anywhere.
"""

from __future__ import annotations

from collections.abc import Sequence


#: Viridis, 5 classes, light (few deaths) to dark (many): colour-blind safe and still ordered
#: when printed in greyscale.
VIRIDIS_5: tuple[str, ...] = ("#fde725", "#5ec962", "#21918c", "#3b528b", "#440154")
#: Cividis, 5 classes, light (low positivity) to dark (high).
CIVIDIS_5: tuple[str, ...] = ("#fee838", "#c3b369", "#7f7c75", "#4a5a7a", "#00224e")
#: ColorBrewer YlOrRd, 5 classes, for hexagon counts.
YLORRD_5: tuple[str, ...] = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
#: Areas whose count is suppressed (1 to threshold-1 deaths): a neutral grey, outside the palette.
SUPPRESSED_COLOUR = "#a3a3a3"
#: Areas with no deaths in the period: near-white so they read as "nothing" rather than "low".
NO_DEATHS_COLOUR = "#f2f2f2"
#: The outline of areas chosen in the shared area filter (or clicked on the map).
SELECTED_OUTLINE_COLOUR = "#111111"
AREA_BORDER_COLOUR = "#ffffff"
NOT_SIGNIFICANT_COLOUR = "#e3e3e3"

CHOROPLETH_LAYER_ID = "community-areas"
OUTLINE_LAYER_ID = "region-outline"
LABEL_LAYER_ID = "region-labels"
SELECTED_LAYER_ID = "selected-areas"
HEX_LAYER_ID = "hex-cells"
ALERT_LAYER_ID = "alert-markers"
ALERT_LABEL_LAYER_ID = "alert-labels"

#: Gi* classes: key -> (colour, legend label). Bins follow the pipeline (±3: q ≤ 0.01, ±2: ≤ 0.05).
GI_STYLES: dict[str, tuple[str, str]] = {
    "hot99": ("#b2182b", "Hot spot, 99% confidence"),
    "hot95": ("#ef8a62", "Hot spot, 95% confidence"),
    "not significant": (NOT_SIGNIFICANT_COLOUR, "Not significant"),
    "cold95": ("#67a9cf", "Cold spot, 95% confidence"),
    "cold99": ("#2166ac", "Cold spot, 99% confidence"),
}
#: Local Moran cluster types (as published) -> (colour, legend label), GeoDa's usual scheme.
MORAN_STYLES: dict[str, tuple[str, str]] = {
    "high-high": ("#b2182b", "High-high: high among high neighbours"),
    "high-low": ("#f4a582", "High-low: high among low (outlier)"),
    "low-high": ("#92c5de", "Low-high: low among high (outlier)"),
    "low-low": ("#2166ac", "Low-low: low among low neighbours"),
    "not significant": (NOT_SIGNIFICANT_COLOUR, "Not significant"),
}

#: One tooltip for every layer; each pickable object fills the same slots with display strings.
#: Empty slots are hidden by the page's CSS (``.deck-tooltip div:empty``).
TOOLTIP_HTML = (
    '<div style="font-weight:600">{title}</div>'
    "<div>{line1}</div><div>{line2}</div><div>{line3}</div><div>{line4}</div>"
    '<div style="font-style:italic">{note}</div>'
)
TOOLTIP_SLOTS = ("title", "line1", "line2", "line3", "line4", "note")


def hex_to_rgba(colour: str, alpha: int = 255) -> list[int]:
    """``"#fde725"`` -> ``[253, 231, 37, alpha]`` (deck.gl colour accessor format)."""
    value = colour.lstrip("#")
    return [int(value[i : i + 2], 16) for i in (0, 2, 4)] + [alpha]


def rgba_to_hex(colour: Sequence[int]) -> str:
    """``[253, 231, 37, 235]`` -> ``"#fde725"`` (alpha dropped)."""
    return "#" + "".join(f"{int(c):02x}" for c in colour[:3])


def tooltip_fields(title: str, lines: Sequence[str] = (), note: str = "") -> dict[str, str]:
    """The tooltip slots: a title, up to four lines and an italic note (missing ones empty)."""
    padded = [*lines, "", "", "", ""][:4]
    return {"title": title, **{f"line{i + 1}": text for i, text in enumerate(padded)}, "note": note}

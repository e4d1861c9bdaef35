"""Charts of the meeting pack and the e-blast, drawn with matplotlib (no browser) as PNG bytes.

Every function takes already-suppressed content (:mod:`.content`) and a size in inches — the size
the picture occupies on the slide — so the font sizes set here are the sizes the audience sees
(≥ 14 pt for axis text, larger for titles). Every chart carries its own title and a subtitle with
source, period and refresh time, so it stands on its own when pasted elsewhere. Colours are the
Okabe–Ito palette (distinguishable with the common colour-vision deficiencies) and viridis for the
map; suppressed values are never drawn as a quantity, only labelled ("<10", "*").
"""

from __future__ import annotations

import functools
import io
import json
import math
from datetime import date
from types import ModuleType
from typing import TYPE_CHECKING

import polars as pl
from shapely.geometry import shape

from pipelines.defs.epidemiology.suppression import display_count
from pipelines.defs.reports.published import OUTREACH_MEASURES, Meta
from pipelines.formatting import format_period

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Okabe–Ito colours.
BLUE, ORANGE, VERMILLION, GREEN, SKY, GREY = "#0072B2", "#E69F00", "#D55E00", "#009E73", "#56B4E9", "#6b6b6b"
INK = "#1a1a1a"
#: Viridis, 5 classes (as the dashboard map), and the grey of suppressed areas.
VIRIDIS_5 = ("#fde725", "#5ec962", "#21918c", "#3b528b", "#440154")
SUPPRESSED_COLOUR = "#a3a3a3"
CONTEXT_COLOUR = "#ececec"
REGION_OUTLINE = "#e8590c"
DPI = 200
FONT = ["Liberation Sans", "DejaVu Sans"]

#: The charts' style (set on pyplot when it is first imported, see :func:`pyplot`).
STYLE = {
    "font.family": "sans-serif",
    "font.sans-serif": FONT,
    "font.size": 15,
    "axes.titlesize": 20,
    "axes.labelsize": 15,
    "xtick.labelsize": 14,
    "ytick.labelsize": 14,
    "legend.fontsize": 14,
    "axes.edgecolor": "#555555",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "text.color": INK,
    "axes.labelcolor": INK,
    "xtick.color": INK,
    "ytick.color": INK,
    "svg.hashsalt": "odw",
    "pdf.fonttype": 42,
}


@functools.cache
def pyplot() -> ModuleType:
    """matplotlib's pyplot, headless (Agg) and in the charts' style, imported on first use:
    matplotlib is a large share of the code location's load time, and only drawing needs it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(STYLE)
    return plt


def subtitle(source: str, period: str, refreshed: str) -> str:
    """The chart subtitle: source on one line, period and refresh time on the next."""
    return f"Source: {source}\nPeriod: {period} · Data refreshed {refreshed}"


def _figure(size: tuple[float, float], title: str, sub: str) -> Figure:
    fig = pyplot().figure(figsize=size, dpi=DPI)
    fig.text(0.01, 0.985, title, fontsize=19, fontweight="bold", va="top", ha="left")
    fig.text(0.01, 0.985 - 0.32 / size[1], sub, fontsize=12.5, color="#444444", va="top", ha="left",
             linespacing=1.3)
    return fig


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    # No metadata: the same content gives the same bytes (reproducible files, stable tests).
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    pyplot().close(fig)
    return buffer.getvalue()


def _top(size: tuple[float, float]) -> float:
    """Figure fraction below the title and subtitle."""
    return 1 - 0.98 / size[1]


def _month_ticks(ax, months: list[date]) -> None:
    positions = [i for i, m in enumerate(months) if m.month in (1, 4, 7, 10)]
    ax.set_xticks(positions, [f"{months[i]:%b}\n{months[i]:%Y}" for i in positions])


def _expected_marks(ax, trend: pl.DataFrame) -> float:
    """The nowcast's expected counts (diamonds) and 90% ranges over the provisional months; returns
    the highest value drawn (0: none). Hidden numbers are null and not drawn."""
    if "expected_plot" not in trend.columns:
        return 0.0
    highest = 0.0
    for i, row in enumerate(trend.iter_rows(named=True)):
        if row["expected_plot"] is None:
            continue
        if row["lower_plot"] is not None and row["upper_plot"] is not None:
            ax.plot([i, i], [row["lower_plot"], row["upper_plot"]], color=INK, lw=2, zorder=5)
            highest = max(highest, row["upper_plot"])
        ax.plot([i], [row["expected_plot"]], color=INK, marker="D", ms=7, zorder=6)
        highest = max(highest, row["expected_plot"])
    return highest


def _shade_provisional(ax, flags: list[bool], label: str = "Provisional") -> None:
    if not any(flags):
        return
    first = flags.index(True)
    ax.axvspan(first - 0.5, len(flags) - 0.5, color="#e0e0e0", zorder=0, lw=0)
    ax.text(len(flags) - 0.5, 1.0, label, transform=ax.get_xaxis_transform(), va="bottom", ha="right",
            fontsize=13, color="#333333", fontstyle="italic")


def trend_chart(trend: pl.DataFrame, meta: Meta, size: tuple[float, float], *, title: str | None = None) -> bytes:
    """Monthly overdose deaths in the region (bars) with fentanyl-involved deaths (line).

    Provisional months are shaded, their bars hatched and the line dashed; a suppressed month has no
    bar, only its mark ("<10" or "*") at the baseline.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    months = trend.get_column("month").to_list()
    period = format_period(months[0], months[-1])
    fig = _figure(size, title or f"Overdose deaths per month, {meta.region_label}",
                  subtitle(meta.source, period, meta.refreshed))
    ax = fig.add_axes((0.085, 0.22, 0.9, _top(size) - 0.27))
    flags = trend.get_column("is_provisional").to_list()
    _shade_provisional(ax, flags)
    top = max([v for v in trend.get_column("deaths").to_list() if v is not None] + [10])
    for i, row in enumerate(trend.iter_rows(named=True)):
        provisional = row["is_provisional"]
        if row["deaths"] is None:
            ax.text(i, top * 0.02, row["deaths_display"], ha="center", va="bottom", fontsize=13,
                    fontweight="bold", color=VERMILLION)
            continue
        ax.bar(i, row["deaths"], width=0.75, color="white" if provisional else BLUE,
               edgecolor=BLUE, hatch="///" if provisional else None, lw=1.5, zorder=2)
        ax.text(i, row["deaths"] + top * 0.015, row["deaths_display"], ha="center", va="bottom",
                fontsize=12 if len(months) > 15 else 14, color=INK)
    fentanyl = [row["fentanyl"] for row in trend.iter_rows(named=True)]
    # Segments join consecutive shown months only: a line across a hidden month would suggest a value.
    for i in range(len(fentanyl)):
        if fentanyl[i] is None:
            continue
        ax.plot([i], [fentanyl[i]], color=ORANGE, marker="o", ms=7, mfc="white" if flags[i] else ORANGE,
                zorder=4)
        if i + 1 < len(fentanyl) and fentanyl[i + 1] is not None:
            ax.plot([i, i + 1], [fentanyl[i], fentanyl[i + 1]], color=ORANGE, lw=3,
                    ls="--" if flags[i + 1] else "-", zorder=3)
    handles = [Patch(color=BLUE, label="All overdose deaths"),
               Patch(facecolor="white", edgecolor=BLUE, hatch="///", label="Provisional month"),
               Line2D([], [], color=ORANGE, lw=3, marker="o", label="Fentanyl involved")]
    top = max(top, _expected_marks(ax, trend))
    if "expected_plot" in trend.columns and trend.get_column("expected_plot").is_not_null().any():
        handles.append(Line2D([], [], color=INK, marker="D", ls="none", label="Expected, 90% range"))
    ax.set_ylim(0, top * 1.18)
    ax.set_xlim(-0.6, len(months) - 0.4)
    _month_ticks(ax, months)
    ax.set_ylabel("Deaths")
    ax.grid(axis="y", color="#dddddd", zorder=0)
    ax.legend(
        handles=handles,
        loc="upper left", bbox_to_anchor=(-0.08, -0.15), ncol=len(handles), frameon=False, handlelength=1.6,
        columnspacing=1.0,
    )
    fig.text(0.01, 0.012, f"1–{meta.threshold - 1} deaths shown as <{meta.threshold}; * hidden so that a "
             "small count cannot be worked out from the 12-month total.",
             ha="left", va="bottom", fontsize=11.5, color="#444444")
    return _png(fig)


def _classes(values: list[float]) -> list[float]:
    """Up to five quantile classes of the positive values (edges rounded to whole numbers)."""
    clean = sorted(v for v in values if v and v > 0)
    if not clean:
        return []
    edges = [math.floor(clean[0])]
    for k in range(1, 5):
        q = clean[min(len(clean) - 1, round((len(clean) - 1) * k / 5))]
        if edges[-1] < round(q) < clean[-1]:
            edges.append(round(q))
    edges.append(math.ceil(clean[-1]))
    return edges


def area_map(areas: pl.DataFrame, meta: Meta, size: tuple[float, float], period: str) -> bytes:
    """Choropleth of the region's community areas by annualised rate, labelled with deaths.

    Areas outside the region are drawn light grey for orientation; suppressed areas are grey with
    "<10" (or "*"), never coloured by a rate.
    """
    from matplotlib.patches import Rectangle

    fig = _figure(size, f"Overdose deaths by community area, {meta.region_label}",
                  subtitle(meta.source, period, meta.refreshed))
    ax = fig.add_axes((0.0, 0.0, 0.68, _top(size) - 0.02))
    ax.set_axis_off()
    region = areas.filter(pl.col("in_region"))
    shapes = {row["community_area_number"]: shape(json.loads(row["geometry_geojson"]))
              for row in areas.iter_rows(named=True)}
    minx, miny, maxx, maxy = (
        min(shapes[n].bounds[0] for n in region["community_area_number"]),
        min(shapes[n].bounds[1] for n in region["community_area_number"]),
        max(shapes[n].bounds[2] for n in region["community_area_number"]),
        max(shapes[n].bounds[3] for n in region["community_area_number"]),
    )
    edges = _classes(region.get_column("rate").to_list())
    colours = list(VIRIDIS_5[: max(len(edges) - 1, 0)])

    def colour(rate: float | None, suppressed: bool) -> str:
        if suppressed:
            return SUPPRESSED_COLOUR
        if not rate:
            return "#f7f7f7"
        for i in range(len(edges) - 1):
            if rate < edges[i + 1] or i == len(edges) - 2:
                return colours[i]
        return colours[-1]

    def draw(geom, face: str, edge: str, lw: float, z: int) -> None:
        for poly in getattr(geom, "geoms", [geom]):
            x, y = poly.exterior.xy
            ax.fill(x, y, facecolor=face, edgecolor=edge, lw=lw, zorder=z)

    for row in areas.filter(~pl.col("in_region")).iter_rows(named=True):
        draw(shapes[row["community_area_number"]], CONTEXT_COLOUR, "white", 1.0, 1)
    for row in region.iter_rows(named=True):
        draw(shapes[row["community_area_number"]], colour(row["rate"], row["deaths_suppressed"]),
             "white", 2.0, 2)
    outline = None
    for n in region["community_area_number"]:
        outline = shapes[n] if outline is None else outline.union(shapes[n])
    for poly in getattr(outline, "geoms", [outline]):
        x, y = poly.exterior.xy
        ax.plot(x, y, color=REGION_OUTLINE, lw=3, zorder=3)
    for row in region.iter_rows(named=True):
        point = shapes[row["community_area_number"]].representative_point()
        dark = colour(row["rate"], row["deaths_suppressed"]) in VIRIDIS_5[2:]
        geom = shapes[row["community_area_number"]]
        narrow = (geom.bounds[2] - geom.bounds[0]) < (maxx - minx) * 0.2
        # Narrow areas (the Garfield Parks) get one word per line so neighbouring labels do not touch.
        name = row["community_area"].replace(" ", "\n") if narrow else (
            row["community_area"].replace(" ", "\n", 1) if len(row["community_area"]) > 12 else row["community_area"])
        ax.text(point.x, point.y, f"{name}\n{row['deaths_display']}", ha="center", va="center",
                fontsize=11 if narrow else 12.5, fontweight="bold", color="white" if dark else INK, zorder=4,
                linespacing=1.0)
    pad_x, pad_y = (maxx - minx) * 0.04, (maxy - miny) * 0.04
    ax.set_xlim(minx - pad_x, maxx + pad_x)
    ax.set_ylim(miny - pad_y, maxy + pad_y)
    ax.set_aspect(1 / math.cos(math.radians((miny + maxy) / 2)))
    legend = fig.add_axes((0.70, 0.08, 0.29, _top(size) - 0.12))
    legend.set_axis_off()
    legend.text(0, 1, "Rate per 100,000\nper year", fontsize=15, fontweight="bold", va="top")
    entries = [(colours[i], f"{edges[i]:,}–{edges[i + 1]:,}") for i in range(len(edges) - 1)]
    entries += [(SUPPRESSED_COLOUR, f"1–{meta.threshold - 1} deaths\n(shown as <{meta.threshold})"),
                (CONTEXT_COLOUR, "Outside the region")]
    y = 0.80
    for face, label in entries:
        legend.add_patch(Rectangle((0, y - 0.035), 0.16, 0.06, facecolor=face, edgecolor="#888888",
                                       transform=legend.transAxes))
        legend.text(0.21, y, label, fontsize=14, va="center", transform=legend.transAxes)
        y -= 0.115 if "\n" in label else 0.09
    legend.text(0, 0.0, "Numbers: overdose deaths\nby area of occurrence.",
                fontsize=12.5, color="#444444", va="bottom")
    return _png(fig)


def drug_chart(drugs: pl.DataFrame, meta: Meta, size: tuple[float, float], period: str,
               previous_period: str) -> bytes:
    """Share of the region's overdose deaths involving each drug group, with the year before."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    fig = _figure(size, f"Drugs involved in overdose deaths, {meta.region_label}",
                  subtitle(meta.source, period, meta.refreshed))
    ax = fig.add_axes((0.26, 0.17, 0.70, _top(size) - 0.21))
    rows = list(drugs.iter_rows(named=True))
    ys = list(range(len(rows)))[::-1]
    for y, row in zip(ys, rows):
        # Labels start right of both the bar and the year-before marker, so neither hides them.
        end = max(row["share"] or 0, row["previous_share"] or 0) * 100 + 2.5
        if row["share"] is None:
            ax.text(end, y, f"{row['deaths_display']} deaths — share not shown", va="center", fontsize=13,
                    color=VERMILLION, fontweight="bold")
        else:
            ax.barh(y, row["share"] * 100, height=0.62, color=BLUE, zorder=2)
            ax.text(end, y, f"{row['share']:.0%} ({row['deaths_display']})", va="center",
                    fontsize=14, zorder=3)
        if row["previous_share"] is not None:
            ax.plot(row["previous_share"] * 100, y, marker="D", ms=9, color=ORANGE, mec=INK, zorder=4)
    ax.set_yticks(ys, [r["label"] for r in rows], fontsize=15)
    ax.set_xlim(0, 112)
    ax.set_xticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"])
    ax.grid(axis="x", color="#dddddd", zorder=0)
    ax.legend(handles=[Patch(color=BLUE, label=f"{period} (deaths in brackets)"),
                       Line2D([], [], color=ORANGE, marker="D", ls="", ms=9, mec=INK,
                                  label=previous_period)],
              loc="upper left", bbox_to_anchor=(-0.33, -0.08), ncol=2, frameon=False)
    return _png(fig)


def strips_chart(strips: pl.DataFrame, meta: Meta, size: tuple[float, float]) -> bytes:
    """Monthly fentanyl and xylazine test-strip positivity with Wilson 95% intervals."""
    from matplotlib.patches import Patch

    months = sorted(strips.get_column("month").unique().to_list())
    fig = _figure(size, "Test strips positive, all outreach areas",
                  subtitle(meta.field_source or "—", format_period(months[0], months[-1]),
                           meta.field_refreshed or "—"))
    ax = fig.add_axes((0.085, 0.22, 0.86, _top(size) - 0.27))
    index = {m: i for i, m in enumerate(months)}
    for strip, colour, label in (("fentanyl", VERMILLION, "Fentanyl strips"), ("xylazine", BLUE, "Xylazine strips")):
        rows = strips.filter(pl.col("strip_type") == strip, pl.col("positivity").is_not_null()).sort("month")
        x = [index[m] for m in rows.get_column("month")]
        ax.fill_between(x, rows.get_column("positivity_lower") * 100, rows.get_column("positivity_upper") * 100,
                        color=colour, alpha=0.15, lw=0)
        ax.plot(x, rows.get_column("positivity") * 100, color=colour, lw=3, marker="o", ms=7, label=label)
        if len(x):
            ax.text(x[-1] + 0.15, rows.get_column("positivity")[-1] * 100,
                    f"{rows.get_column('positivity')[-1]:.0%}", va="center", fontsize=15,
                    fontweight="bold", color=colour)
    ax.set_ylim(0, 100)
    ax.set_yticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"])
    ax.set_xticks(range(len(months)), [f"{m:%b}\n{m:%Y}" if m.month == 1 or i == 0 else f"{m:%b}"
                                       for i, m in enumerate(months)])
    ax.set_xlim(-0.4, len(months) - 0.2)
    ax.grid(axis="y", color="#dddddd")
    ax.legend(loc="upper left", bbox_to_anchor=(-0.08, -0.15), ncol=3, frameon=False,
              handles=[*ax.get_legend_handles_labels()[0], Patch(color="#999999", alpha=0.3, label="95% CI (Wilson)")])
    fig.text(0.01, 0.012, f"Months with fewer than {meta.threshold} strips read or positive are left out. "
             "Invalid strips are not counted.", ha="left", va="bottom", fontsize=11.5, color="#444444")
    return _png(fig)


def outreach_chart(outreach: pl.DataFrame, meta: Meta, size: tuple[float, float]) -> bytes:
    """Monthly naloxone kits and people trained (bars) and progress to the training goal."""
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter

    months = outreach.get_column("month").to_list()
    fig = _figure(size, "Outreach activity, all outreach areas",
                  subtitle(meta.field_source or "—", format_period(months[0], months[-1]),
                           meta.field_refreshed or "—"))
    ax = fig.add_axes((0.09, 0.22, 0.62, _top(size) - 0.33))
    width = 0.4
    for offset, measure, colour in ((-width / 2, "naloxone_kits_distributed", BLUE),
                                    (width / 2, "people_trained_naloxone", GREEN)):
        for i, value in enumerate(outreach.get_column(measure).to_list()):
            if value is None:
                ax.text(i + offset, 0, outreach.get_column(f"{measure}_display")[i], ha="center",
                        va="bottom", fontsize=11, color=VERMILLION)
            else:
                ax.bar(i + offset, value, width=width, color=colour, zorder=2)
    ax.set_xticks(range(len(months)), [f"{m:%b}\n{m:%Y}" if m.month == 1 or i == 0 else f"{m:%b}"
                                       for i, m in enumerate(months)])
    ax.grid(axis="y", color="#dddddd", zorder=0)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.legend(handles=[Patch(color=BLUE, label=OUTREACH_MEASURES["naloxone_kits_distributed"]),
                       Patch(color=GREEN, label=OUTREACH_MEASURES["people_trained_naloxone"])],
              loc="upper left", bbox_to_anchor=(-0.1, -0.15), ncol=2, frameon=False)
    goal_ax = fig.add_axes((0.80, 0.22, 0.07, _top(size) - 0.33))
    last = outreach.row(-1, named=True)
    goal = last["people_trained_goal"] or 0
    done = last["people_trained_cumulative"] or 0
    goal_ax.bar(0, goal, width=0.8, color="#eeeeee", edgecolor=GREY)
    goal_ax.bar(0, min(done, goal), width=0.8, color=GREEN)
    goal_ax.set_xticks([])
    goal_ax.set_ylim(0, goal * 1.02 if goal else 1)
    goal_ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    goal_ax.spines["bottom"].set_visible(False)
    fig.text(0.835, _top(size) - 0.09, "People trained,\ncumulative", ha="center", va="bottom",
             fontsize=14, fontweight="bold")
    share = done / goal if goal else 0
    goal_ax.text(0.5, min(done, goal), f" {display_count(done, meta.threshold)}\n ({share:.0%} of\n {goal:,})", va="center",
                 ha="left", fontsize=13, transform=goal_ax.transData, clip_on=False)
    return _png(fig)

"""The weekly team brief: one letter page per outreach team, for print in black and white.

Built on Monday with the e-blast from the published ``marts.outreach_priorities``,
``marts.priority_teams`` and ``marts.hotspot_coverage`` (member content: places finer than a
community area — the files go to members only, ``ODW_OUTPUT_DIR/briefs/<week>/``). A team's places
are the West Side cells of the community areas it logged visits in over 12 weeks, ranked by the
forecast. Large type (≥ 14 pt body), greys and hatching instead of colour, no basemap (no network),
no person's data: counts, places and reasons only.
"""

from __future__ import annotations

import io
import logging
import re
import textwrap
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import h3
import polars as pl

from pipelines.defs.reports.figures import pyplot
from pipelines.defs.reports.pack import write_atomic

#: Letter paper, portrait, in inches; margins.
PAGE_W, PAGE_H, MARGIN = 8.5, 11.0, 0.6
TITLE_PT, HEAD_PT, BODY_PT, SMALL_PT = 24, 17, 14, 12
#: Places listed per team.
TOP_PLACES = 5
BRIEFS_FOLDER = "briefs"
ALL_TEAMS = "all_teams"


@dataclass(frozen=True)
class Place:
    """One place on a brief: rank in the team's list and citywide, where, and why."""

    number: int
    city_rank: int
    h3_cell: str
    where: str
    forecast: float
    fentanyl: str
    xylazine: str
    coverage_gap: bool
    reasons: str


@dataclass(frozen=True)
class TeamBrief:
    """Everything one page shows."""

    team: str
    week_start: date
    areas: list[str]
    places: list[Place]
    cells: pl.DataFrame
    hotspots: pl.DataFrame
    visits: int
    contacts: int
    kits: int
    reversals: int
    alerts: list[str]


def slug(team: str) -> str:
    """A file name for a team: ``Lawndale Team`` → ``lawndale_team``."""
    return re.sub(r"[^a-z0-9]+", "_", team.lower()).strip("_") or "team"


def _ratio(positive: int, tested: int) -> str:
    return f"{positive} of {tested}" if tested else "none tested"


def build_briefs(priorities: pl.DataFrame, teams: pl.DataFrame, hotspots: pl.DataFrame) -> list[TeamBrief]:
    """One :class:`TeamBrief` per team of ``marts.priority_teams``, in team order."""
    names = dict(zip(hotspots["hotspot_id"].to_list(), hotspots["name"].to_list(), strict=True))
    briefs = []
    for team in teams.sort("team").iter_rows(named=True):
        areas = list(team["community_area_numbers"] or [])
        cells = priorities.filter(pl.col("in_region") & pl.col("community_area_number").is_in(areas)).sort("forecast_rank")
        places = []
        for i, r in enumerate(cells.head(TOP_PLACES).iter_rows(named=True), start=1):
            near = r["nearest_hotspot_id"]
            where = (f"{r['community_area']}, near {names.get(near, near)} ({near})" if near
                     else f"{r['community_area']}, around {r['cell_lat']:.4f}, {r['cell_lon']:.4f}")
            places.append(Place(i, r["forecast_rank"], r["h3_cell"], where, r["forecast_deaths"],
                                _ratio(r["fentanyl_positive_8w"], r["fentanyl_tested_8w"]),
                                _ratio(r["xylazine_positive_8w"], r["xylazine_tested_8w"]),
                                bool(r["coverage_gap"]), r["reasons"]))
        alerts = sorted({a for a in cells.get_column("alert").drop_nulls().to_list()})
        briefs.append(TeamBrief(
            team=team["team"],
            week_start=team["week_start"],
            areas=sorted(set(cells.get_column("community_area").drop_nulls().to_list())),
            places=places,
            cells=cells,
            hotspots=hotspots.filter(pl.col("community_area_number").is_in(areas)),
            visits=team["visits_4w"], contacts=team["contacts_4w"], kits=team["naloxone_kits_4w"],
            reversals=team["reversals_4w"], alerts=alerts,
        ))
    return briefs


def _wrapped(text: str, width: float, size: float) -> list[str]:
    """Lines of ``text`` that fit ``width`` inches at ``size`` pt (average glyph ≈ 0.48 em in
    Helvetica and DejaVu Sans alike)."""
    return textwrap.wrap(text, max(10, int(width / (0.48 * size / 72)))) or [""]


def _text(fig, x: float, y: float, text: str, size: float, *, bold: bool = False, width: float | None = None) -> float:
    """Draw ``text`` from (x, y) inches from the top-left, wrapped to ``width`` inches; returns the next y."""
    for line in _wrapped(text, width, size) if width else [text]:
        y += size / 72 * 1.3
        # Regular text takes the font's own regular weight (Helvetica's is "medium", DejaVu's "normal").
        fig.text(x / PAGE_W, 1 - y / PAGE_H, line, fontsize=size, color="black", va="baseline", ha="left",
                 **({"fontweight": "bold"} if bold else {}))
    return y


def _map(ax, brief: TeamBrief) -> None:
    from matplotlib.patches import Polygon

    """The team's cells: grey by forecast (darker = more), coverage gaps hatched, hot spots as
    triangles, the listed places numbered."""
    top = max(brief.cells.get_column("forecast_deaths").max() or 0.0, 1e-9)
    for r in brief.cells.iter_rows(named=True):
        ring = [(lng, lat) for lat, lng in h3.cell_to_boundary(r["h3_cell"])]
        shade = 1.0 - 0.75 * (r["forecast_deaths"] / top)
        ax.add_patch(Polygon(ring, closed=True, facecolor=(shade, shade, shade), edgecolor="black",
                             linewidth=1.6 if r["coverage_gap"] else 0.3, hatch="///" if r["coverage_gap"] else None))
    for h in brief.hotspots.iter_rows(named=True):
        ax.plot(h["longitude"], h["latitude"], marker="^", markersize=9, markerfacecolor="white",
                markeredgecolor="black", markeredgewidth=1.4)
    for place in brief.places:
        lat, lng = h3.cell_to_latlng(place.h3_cell)
        ax.text(lng, lat, str(place.number), fontsize=13, fontweight="bold", ha="center", va="center",
                bbox={"boxstyle": "circle,pad=0.15", "facecolor": "white", "edgecolor": "black"})
    ax.autoscale_view()
    ax.set_aspect(1 / 0.745)  # degrees of longitude are shorter at 41.9° N
    ax.set_axis_off()


def _page(brief: TeamBrief, generated: str):
    """One brief's page as a matplotlib figure (the caller saves and closes it)."""
    fig = pyplot().figure(figsize=(PAGE_W, PAGE_H))
    x, width = MARGIN, PAGE_W - 2 * MARGIN
    end = brief.week_start + timedelta(days=6)
    y = _text(fig, x, MARGIN - 0.1, f"{brief.team}: where to go next week", TITLE_PT, bold=True, width=width)
    y = _text(fig, x, y, f"Week of {brief.week_start:%B %-d} – {end:%B %-d, %Y}. "
              f"Areas: {', '.join(brief.areas) or 'none logged'}.", BODY_PT, width=width)
    y = _text(fig, x, y, "Task-force members only. Do not post or share.", BODY_PT, bold=True)
    map_top, map_size = y + 0.2, 3.3
    if brief.cells.height:
        ax = fig.add_axes((x / PAGE_W, 1 - (map_top + map_size) / PAGE_H, map_size / PAGE_W, map_size / PAGE_H))
        _map(ax, brief)
    side = x + map_size + 0.3
    side_w = PAGE_W - MARGIN - side
    sy = _text(fig, side, map_top - 0.1, "Your last 4 weeks", HEAD_PT, bold=True)
    for line in (f"{brief.visits:,} visits, {brief.contacts:,} people reached",
                 f"{brief.kits:,} naloxone kits given", f"{brief.reversals:,} reversals reported"):
        sy = _text(fig, side, sy, line, BODY_PT, width=side_w)
    sy = _text(fig, side, sy + 0.1, "Spike alerts", HEAD_PT, bold=True)
    for alert in brief.alerts[:3] or ["None in your areas in the last 2 weeks."]:
        sy = _text(fig, side, sy, alert, SMALL_PT + 1, width=side_w)
    sy = _text(fig, side, sy + 0.1, "Map: darker = more expected deaths; hatched = no team visit "
               "in 4 weeks; triangle = coalition hot spot.", SMALL_PT, width=side_w)
    y = max(map_top + map_size, sy) + 0.15
    y = _text(fig, x, y, "Top places (expected deaths, next 4 weeks)", HEAD_PT, bold=True)
    bottom = PAGE_H - MARGIN - 0.45
    for place in brief.places:
        gap = " (no team visit in 4 weeks)" if place.coverage_gap else ""
        head = f"{place.number}. {place.where}{gap}"
        body = (f"Expected {place.forecast:.1f} deaths, #{place.city_rank} in Chicago. "
                f"{place.reasons[0].upper() + place.reasons[1:]}.")
        lines = len(_wrapped(head, width, BODY_PT)) + len(_wrapped(body, width - 0.3, BODY_PT))
        if y + 0.05 + lines * BODY_PT / 72 * 1.3 > bottom:
            break
        y = _text(fig, x, y + 0.05, head, BODY_PT, bold=True, width=width)
        y = _text(fig, x + 0.3, y, body, BODY_PT, width=width - 0.3)
    if not brief.places:
        _text(fig, x, y, "No West Side places in this team's areas.", BODY_PT)
    _text(fig, x, PAGE_H - MARGIN - 0.25, f"West Side Overdose Watch · forecast tested weekly against two naive "
          f"baselines (Data quality page) · deaths 1–9 shown as <10 · {generated}", 10, width=width)
    return fig


def _metadata(title: str) -> dict:
    return {"Title": title, "Author": "West Side Overdose Watch", "CreationDate": None}


def _words(brief: TeamBrief) -> list[str]:
    return [brief.team, *brief.areas, *brief.alerts, *(t for p in brief.places for t in (p.where, p.reasons))]


def core_fonts_fit(briefs: list[TeamBrief]) -> bool:
    """Whether every text fits the standard PDF fonts' encoding (Windows-1252): then Helvetica is
    used without embedding (4× faster to write, every PDF reader has it); otherwise DejaVu Sans is
    embedded, so a team or place name in any script still prints."""
    try:
        for brief in briefs:
            for text in _words(brief):
                text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def render_briefs(briefs: list[TeamBrief], generated: str) -> tuple[bytes, list[bytes]]:
    """The briefs as one PDF (a letter page per brief) and as one PDF per brief, each page drawn once."""
    # Helvetica's regular face is "medium" in its metrics; the font manager's notes on matching
    # weights (and on its own math fonts) are not news, so it is quiet meanwhile.
    fonts = ({"pdf.use14corefonts": True, "font.family": "sans-serif", "font.sans-serif": ["Helvetica"],
              "font.weight": "medium"} if core_fonts_fit(briefs) else {})
    font_log = logging.getLogger("matplotlib.font_manager")
    level = font_log.level
    font_log.setLevel(logging.ERROR)
    try:
        with pyplot().rc_context(fonts):
            return _render(briefs, generated)
    finally:
        font_log.setLevel(level)


def _render(briefs: list[TeamBrief], generated: str) -> tuple[bytes, list[bytes]]:
    from matplotlib.backends.backend_pdf import PdfPages

    combined = io.BytesIO()
    singles = []
    with PdfPages(combined, metadata=_metadata("Team briefs")) as everything:
        for brief in briefs:
            fig = _page(brief, generated)
            everything.savefig(fig)
            single = io.BytesIO()
            with PdfPages(single, metadata=_metadata(f"Team brief: {brief.team}")) as one:
                one.savefig(fig)
            pyplot().close(fig)
            singles.append(single.getvalue())
    return combined.getvalue(), singles


def write_briefs(briefs: list[TeamBrief], folder: Path, generated: str) -> dict[str, Path]:
    """``<folder>/<week>/<team>.pdf`` for each team and ``all_teams.pdf``; returns the paths by team."""
    if not briefs:
        return {}
    week = folder / f"{briefs[0].week_start:%Y-%m-%d}"
    combined, singles = render_briefs(briefs, generated)
    paths = {b.team: write_atomic(week / f"{slug(b.team)}.pdf", pdf) for b, pdf in zip(briefs, singles, strict=True)}
    paths[ALL_TEAMS] = write_atomic(week / f"{ALL_TEAMS}.pdf", combined)
    return paths


def latest_briefs(output_dir: Path) -> tuple[str | None, list[Path]]:
    """The newest week folder under ``ODW_OUTPUT_DIR/briefs`` and its PDFs (all-teams first)."""
    root = output_dir / BRIEFS_FOLDER
    weeks = sorted(p for p in root.glob("????-??-??") if p.is_dir()) if root.exists() else []
    if not weeks:
        return None, []
    files = sorted(weeks[-1].glob("*.pdf"), key=lambda p: (p.stem != ALL_TEAMS, p.stem))
    return weeks[-1].name, files

"""The monthly meeting pack: one list of slides, rendered twice — PowerPoint and PDF.

:func:`pack_slides` turns :class:`~.content.PackContent` into :class:`Slide` objects (text and
chart pictures, nothing else); :func:`render_pptx` lays them out with python-pptx and
:func:`render_pdf` draws the same layout, page for page, with matplotlib (python-pptx cannot
export PDF and no office suite is installed). Both renderers use the same geometry, so the PDF is
the deck as projected. 16:9, large type (≥ 18 pt body text, 40 pt headline numbers), dark text on
white, and a "Synthetic demo data" badge on every slide when any number is synthetic.
"""

from __future__ import annotations

import io
import os
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402
from pptx import Presentation  # noqa: E402
from pptx.dml.color import RGBColor  # noqa: E402
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN  # noqa: E402
from pptx.util import Inches, Pt  # noqa: E402

from pipelines.defs.epidemiology.suppression import SECONDARY_FOOTNOTE, SECONDARY_MARK  # noqa: E402
from pipelines.defs.reports import figures  # noqa: E402
from pipelines.defs.reports.content import (  # noqa: E402
    OUTREACH_MEASURES,
    Kpi,
    PackContent,
    add_months,
    format_month,
    format_pct,
    format_period,
    format_short_month,
    format_week,
)

SLIDE_W, SLIDE_H = 40 / 3, 7.5  # 16:9 (PowerPoint's widescreen size)
MARGIN = 0.45
TITLE_TOP, TITLE_H = 0.3, 0.85
BODY_TOP = 1.3
BODY_H = 5.55
FOOTER_TOP = 7.0
SIDE_IMAGE = (8.7, BODY_H)
FULL_IMAGE = (SLIDE_W - 2 * MARGIN, BODY_H)
SIDE_LEFT = MARGIN + SIDE_IMAGE[0] + 0.25
SIDE_W = SLIDE_W - SIDE_LEFT - MARGIN
FONT = "Arial"
TITLE_PT, BODY_PT, KPI_VALUE_PT, KPI_LABEL_PT, KPI_DETAIL_PT, FOOTER_PT = 32, 20, 40, 18, 15, 12
INK = (0x1A, 0x1A, 0x1A)
MUTED = (0x44, 0x44, 0x44)
ACCENT = (0x00, 0x72, 0xB2)
BADGE = (0xB3, 0x3C, 0x00)
PROVISIONAL = (0xB3, 0x3C, 0x00)
TILE = (0xF1, 0xF5, 0xF9)

SLIDE_TITLES = (
    "Monthly meeting pack",
    "Headline numbers",
    "Where: the West Side map",
    "Trend: overdose deaths per month",
    "Drugs involved",
    "Fentanyl and xylazine test strips",
    "Outreach activity",
    "Current alerts and hot spots",
    "Definitions and sources",
)


@dataclass(frozen=True)
class Slide:
    """One slide (= one PDF page): a title and at most one of each kind of content."""

    title: str
    kpis: tuple[Kpi, ...] = ()
    image: bytes | None = None
    full_width: bool = False
    bullets: tuple[str, ...] = ()
    table: tuple[tuple[str, ...], ...] = ()
    cover: tuple[str, ...] = ()
    note: str = ""
    #: Font size of the bullets of a text-only slide (the definitions need the smaller 18 pt to fit).
    bullet_pt: float = BODY_PT


@dataclass(frozen=True)
class Pack:
    """The slides with the labels every slide repeats."""

    slides: tuple[Slide, ...]
    footer: str
    badge: str | None
    title: str
    created: datetime


def pack_file_stem(content: PackContent) -> str:
    """``overdose_watch_meeting_pack_2026-10``."""
    return f"overdose_watch_meeting_pack_{content.month:%Y-%m}"


def pack_slides(content: PackContent) -> Pack:
    """The meeting pack's slides for ``content`` (pure: same content, same slides)."""
    meta = content.meta
    month = format_month(content.month)
    window = format_period(content.window_start, content.month)
    previous_window = format_period(add_months(content.window_start, -12), add_months(content.month, -12))
    threshold = meta.threshold
    provisional_from = add_months(meta.data_to, -(meta.provisional_months - 1))
    slides: list[Slide] = []
    cover = (
        f"{meta.region_label} Heroin/Opioid Task Force",
        f"{month}",
        f"Medical Examiner data {format_short_month(meta.data_from)} to {meta.data_to:%-d %b %Y}, "
        f"refreshed {meta.refreshed}",
    )
    if meta.any_synthetic:
        cover += ("SYNTHETIC DEMO DATA — these numbers describe no real person.",)
    slides.append(Slide(SLIDE_TITLES[0], cover=cover))

    unknown = content.region_unknown_age
    slides.append(Slide(
        SLIDE_TITLES[1], kpis=content.kpis,
        note=f"Provisional: {format_period(provisional_from, meta.data_to.replace(day=1))} "
             f"(toxicology pending; counts will rise). Counts of 1–{threshold - 1} are shown as "
             f"<{threshold}. Rates per 100,000 residents (2020 Census) per year, 95% CI in brackets; "
             "age-adjusted to the 2000 US standard population"
             + (f" ({unknown} {meta.region_label} deaths of unknown age left out)." if unknown not in (None, "0")
                else "."),
    ))

    region = content.areas.filter(content.areas.get_column("in_region"))
    ranked = region.filter(region.get_column("rate").is_not_null()).sort("rate", descending=True)
    map_bullets = [f"{meta.region_label}: {content.headline['window_deaths']} overdose deaths, {window}."]
    if not ranked.is_empty():
        top = ranked.head(3)
        map_bullets.append("Highest rates: " + "; ".join(
            f"{r['community_area']} {r['rate']:,.0f}" for r in top.iter_rows(named=True)) + " per 100,000.")
    if content.hot_spots:
        map_bullets.append(f"Hot spots of deaths ({content.hot_spot_window}): {', '.join(content.hot_spots)}.")
    map_bullets.append(f"Grey areas: 1–{threshold - 1} deaths, shown as <{threshold}.")
    slides.append(Slide(
        SLIDE_TITLES[2],
        image=figures.area_map(content.areas, meta, SIDE_IMAGE, window),
        bullets=tuple(map_bullets),
    ))

    trend = content.trend
    final = trend.filter(~trend.get_column("is_provisional"))
    trend_bullets = []
    if not final.is_empty():
        last = final.row(-1, named=True)
        trend_bullets.append(f"Latest final month, {format_month(last['month'])}: {last['deaths_display']} deaths.")
    trend_bullets.append(
        f"{format_period(provisional_from, meta.data_to.replace(day=1))} are provisional: "
        "deaths waiting for toxicology are not counted yet."
    )
    trend_bullets.append(f"Fentanyl was involved in {content.headline['fentanyl_share']} of deaths, {window}.")
    slides.append(Slide(
        SLIDE_TITLES[3],
        image=figures.trend_chart(trend, meta, SIDE_IMAGE),
        bullets=tuple(trend_bullets),
    ))

    drug_bullets = [f"{content.drug_total_display} overdose deaths, {window}."]
    for row in content.drugs.head(3).iter_rows(named=True):
        if row["share"] is not None:
            change = ""
            if row["previous_share"] is not None:
                change = f" (year before: {format_pct(row['previous_share'])})"
            drug_bullets.append(f"{row['label']}: {format_pct(row['share'])}{change}.")
    drug_bullets.append("One death can involve several drugs, so shares add up to more than 100%.")
    slides.append(Slide(
        SLIDE_TITLES[4],
        image=figures.drug_chart(content.drugs, meta, SIDE_IMAGE, window, previous_window),
        bullets=tuple(drug_bullets),
    ))

    slides.append(_strips_slide(content))
    slides.append(_outreach_slide(content))
    slides.append(_alerts_slide(content))
    slides.append(Slide(SLIDE_TITLES[8], bullets=definitions(content), bullet_pt=18))
    return Pack(
        slides=tuple(slides),
        footer=f"West Side Overdose Watch · Meeting pack {month}"
               + (" · Synthetic demo data" if meta.any_synthetic else ""),
        badge="SYNTHETIC DEMO DATA" if meta.any_synthetic else None,
        title=f"West Side Overdose Watch — meeting pack {month}",
        created=datetime.combine(meta.data_to, datetime.min.time()),
    )


def _strips_slide(content: PackContent) -> Slide:
    strips = content.strips
    if strips is None or strips.is_empty():
        return Slide(SLIDE_TITLES[5], bullets=("No test-strip results have been published yet.",))
    month = strips.filter(strips.get_column("month") == content.month)
    bullets = []
    for strip in ("fentanyl", "xylazine"):
        rows = month.filter(month.get_column("strip_type") == strip)
        name = strip.capitalize()
        if rows.is_empty():
            bullets.append(f"{name}: no strips read in {format_short_month(content.month)}.")
        elif rows.get_column("positivity")[0] is None:
            read, positive = rows.get_column("tests_read_display")[0], rows.get_column("positives_display")[0]
            few = "" if read.startswith("<") or read == SECONDARY_MARK else f", {positive} positive"
            bullets.append(f"{name}: {read} strips read{few} "
                           f"in {format_short_month(content.month)} — too few to show.")
        else:
            r = rows.row(0, named=True)
            bullets.append(
                f"{name}, {format_short_month(content.month)}: {format_pct(r['positivity'])} positive "
                f"(95% CI {format_pct(r['positivity_lower'])}–{format_pct(r['positivity_upper'])}) "
                f"of {r['tests_read_display']} strips read."
            )
    bullets.append("A positive strip means the drug was found in the sample people were about to use.")
    return Slide(SLIDE_TITLES[5], image=figures.strips_chart(strips, content.meta, SIDE_IMAGE),
                 bullets=tuple(bullets))


def _outreach_slide(content: PackContent) -> Slide:
    outreach = content.outreach
    if outreach is None or outreach.is_empty():
        return Slide(SLIDE_TITLES[6], bullets=("No outreach logs have been published yet.",))
    month = outreach.filter(outreach.get_column("month") == content.month)
    label = format_short_month(content.month)
    bullets = [f"{label}:"] if not month.is_empty() else [f"No outreach logged in {label}."]
    if not month.is_empty():
        row = month.row(0, named=True)
        bullets.append(f"{row['contacts_display']} contacts")
        for measure, name in OUTREACH_MEASURES.items():
            bullets.append(f"{row[f'{measure}_display']} {name[0].lower() + name[1:]}")
    return Slide(SLIDE_TITLES[6], image=figures.outreach_chart(outreach, content.meta, SIDE_IMAGE),
                 bullets=tuple(bullets))


def _alerts_slide(content: PackContent) -> Slide:
    header = ("Week", "Place", "Series", "Count", "Alert", "Severity")
    rows = [
        (format_week(a.week), a.area, a.series, a.observed, a.alert_type, a.severity)
        for a in content.alerts[:7]
    ]
    bullets = []
    if len(content.alerts) > 7:
        bullets.append(f"… and {len(content.alerts) - 7} more alerts in {format_month(content.month)} "
                       "(see the dashboard).")
    if not content.alerts:
        bullets.append(f"No weekly spike alert in {format_month(content.month)}.")
    if content.hot_spots:
        bullets.append(f"Hot spots of overdose deaths ({content.hot_spot_window}): {', '.join(content.hot_spots)}.")
    bullets.append("Alerts are a screening tool: check them against what outreach teams see.")
    return Slide(SLIDE_TITLES[7], table=(header, *rows) if rows else (), bullets=tuple(bullets))


def definitions(content: PackContent) -> tuple[str, ...]:
    """The definitions-and-sources slide's lines."""
    meta = content.meta
    lines = [
        f"Overdose death: a death the Medical Examiner attributes to drug poisoning (any intent), by "
        f"community area of occurrence. {meta.region_label}: the task-force region's areas; "
        "rest of Chicago: the other areas; Chicago: every death in the city, placed in an area or not.",
        "Crude rate: deaths per 100,000 residents per year (2020 Census), exact Poisson 95% CI; "
        "unreliable below 20 deaths.",
        "Age-adjusted rate: as if the area had the ages of the 2000 US standard population (eight "
        "bands; ACS 2016–2020 shares), Fay–Feuer 95% CI: compares areas with older or younger "
        "residents fairly. Deaths of unknown age are left out of it.",
        f"Provisional: the latest {meta.provisional_months} months of data; counts rise as toxicology "
        "results come in.",
        f"Privacy: counts of 1–{meta.threshold - 1} are shown as <{meta.threshold}. " + SECONDARY_FOOTNOTE,
        "Test-strip positivity: positive / strips read (invalid ones excluded), Wilson 95% CI.",
        f"Sources: {meta.source} (refreshed {meta.refreshed})"
        + (f"; {meta.field_source} (refreshed {meta.field_refreshed})" if meta.field_source else "")
        + ". Dashboard: West Side Overdose Watch.",
    ]
    return tuple(lines)


# ---- PowerPoint ---------------------------------------------------------------------------------


def _rgb(colour: tuple[int, int, int]) -> RGBColor:
    return RGBColor(*colour)


def _textbox(slide, left, top, width, height, paragraphs: Sequence[tuple[str, float, bool, tuple]],
             *, align=PP_ALIGN.LEFT, anchor=MSO_ANCHOR.TOP, bullets: bool = False, fill=None, name=None):
    box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
    if name:
        box.name = name
    frame = box.text_frame
    frame.word_wrap = True
    frame.vertical_anchor = anchor
    frame.margin_left = frame.margin_right = Inches(0.08)
    if fill is not None:
        box.fill.solid()
        box.fill.fore_color.rgb = _rgb(fill)
    for i, (text, size, bold, colour) in enumerate(paragraphs):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        paragraph.alignment = align
        paragraph.space_after = Pt(size * 0.45 if bullets else 2)
        run = paragraph.add_run()
        run.text = ("• " if bullets else "") + text
        run.font.size = Pt(size)
        run.font.bold = bold
        run.font.name = FONT
        run.font.color.rgb = _rgb(colour)
    return box


def _kpi_grid(kpis: Sequence[Kpi]) -> list[tuple[float, float, float, float]]:
    """Tile boxes (left, top, width, height) in inches: up to four per row."""
    per_row = 4 if len(kpis) > 6 else 3
    rows = (len(kpis) + per_row - 1) // per_row
    gap = 0.2
    width = (SLIDE_W - 2 * MARGIN - gap * (per_row - 1)) / per_row
    height = (BODY_H - 0.55 - gap * (rows - 1)) / rows
    return [
        (MARGIN + (i % per_row) * (width + gap), BODY_TOP + (i // per_row) * (height + gap), width, height)
        for i in range(len(kpis))
    ]


def render_pptx(pack: Pack) -> bytes:
    """The pack as a 16:9 PowerPoint file (bytes)."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(SLIDE_W), Inches(SLIDE_H)
    prs.core_properties.title = pack.title
    prs.core_properties.author = "West Side Overdose Watch"
    prs.core_properties.created = pack.created
    prs.core_properties.modified = pack.created
    blank = prs.slide_layouts[6]
    for number, spec in enumerate(pack.slides, start=1):
        slide = prs.slides.add_slide(blank)
        if spec.cover:
            _textbox(slide, MARGIN + 0.3, 1.6, SLIDE_W - 2 * MARGIN - 0.6, 1.2,
                     [("West Side Overdose Watch", 44, True, INK)])
            _textbox(slide, MARGIN + 0.3, 2.7, SLIDE_W - 2 * MARGIN - 0.6, 3.6,
                     [(spec.title, 30, False, ACCENT)]
                     + [(line, 22 if i < 2 else 18, i == 1, BADGE if line.startswith("SYNTHETIC") else INK)
                        for i, line in enumerate(spec.cover)], name="Title")
        else:
            _textbox(slide, MARGIN, TITLE_TOP, SLIDE_W - 2 * MARGIN - (2.9 if pack.badge else 0), TITLE_H,
                     [(spec.title, TITLE_PT, True, INK)], anchor=MSO_ANCHOR.MIDDLE, name="Title")
        if pack.badge:
            _textbox(slide, SLIDE_W - MARGIN - 2.7, TITLE_TOP + 0.15, 2.7, 0.55,
                     [(pack.badge, 16, True, (0xFF, 0xFF, 0xFF))], align=PP_ALIGN.CENTER,
                     anchor=MSO_ANCHOR.MIDDLE, fill=BADGE, name="Badge")
        _layout_body(slide, spec)
        _textbox(slide, MARGIN, FOOTER_TOP, SLIDE_W - 2 * MARGIN, 0.4,
                 [(f"{pack.footer} · {number}/{len(pack.slides)}", FOOTER_PT, False, MUTED)])
        if spec.note:
            slide.notes_slide.notes_text_frame.text = spec.note
    buffer = io.BytesIO()
    prs.save(buffer)
    return buffer.getvalue()


def _layout_body(slide, spec: Slide) -> None:
    if spec.kpis:
        for kpi, (left, top, width, height) in zip(spec.kpis, _kpi_grid(spec.kpis)):
            value_colour = PROVISIONAL if kpi.provisional else ACCENT
            _textbox(slide, left, top, width, height,
                     [(kpi.label, KPI_LABEL_PT, True, INK), (kpi.value, KPI_VALUE_PT, True, value_colour),
                      (kpi.detail, KPI_DETAIL_PT, False, MUTED)], fill=TILE, name=f"KPI {kpi.key}")
        if spec.note:
            _textbox(slide, MARGIN, BODY_TOP + BODY_H - 0.5, SLIDE_W - 2 * MARGIN, 0.5,
                     [(spec.note, 14, False, MUTED)])
        return
    if spec.image is not None:
        size = FULL_IMAGE if spec.full_width else SIDE_IMAGE
        slide.shapes.add_picture(io.BytesIO(spec.image), Inches(MARGIN), Inches(BODY_TOP),
                                 Inches(size[0]), Inches(size[1]))
        if spec.bullets:
            _textbox(slide, SIDE_LEFT, BODY_TOP + 0.1, SIDE_W, BODY_H - 0.1,
                     [(b, 18, False, INK) for b in spec.bullets], bullets=True)
        return
    top = BODY_TOP
    if spec.table:
        rows, cols = len(spec.table), len(spec.table[0])
        height = 0.52 * rows
        shape = slide.shapes.add_table(rows, cols, Inches(MARGIN), Inches(top),
                                       Inches(SLIDE_W - 2 * MARGIN), Inches(height))
        table = shape.table
        for c, width in enumerate(_table_widths(cols)):
            table.columns[c].width = Inches(width)
        for r, row in enumerate(spec.table):
            for c, value in enumerate(row):
                cell = table.cell(r, c)
                cell.text = value
                font = cell.text_frame.paragraphs[0].runs[0].font
                font.size = Pt(18)
                font.name = FONT
                font.bold = r == 0
        top += height + 0.25
    if spec.bullets:
        _textbox(slide, MARGIN, top, SLIDE_W - 2 * MARGIN, BODY_TOP + BODY_H - top,
                 [(b, spec.bullet_pt if not spec.table else 18, False, INK) for b in spec.bullets], bullets=True)


def _table_widths(cols: int) -> list[float]:
    total = SLIDE_W - 2 * MARGIN
    weights = [2.4, 2.6, 2.6, 1.0, 2.2, 1.4][:cols]
    return [total * w / sum(weights) for w in weights]


# ---- PDF ----------------------------------------------------------------------------------------


def _wrap(text: str, width_in: float, size_pt: float) -> list[str]:
    """Lines of ``text`` that fit ``width_in`` inches at ``size_pt`` (average glyph ≈ 0.5 em)."""
    chars = max(8, int(width_in / (0.5 * size_pt / 72)))
    return textwrap.wrap(text, chars) or [""]


def _pdf_text(fig, left, top, width, paragraphs, *, bullets=False, line=1.2) -> float:
    """Draw wrapped paragraphs from (left, top) in inches; returns the bottom in inches."""
    y = top
    for text, size, bold, colour in paragraphs:
        prefix = "• " if bullets else ""
        lines = _wrap(prefix + text, width - 0.16, size)
        for i, part in enumerate(lines):
            y += size / 72 * line
            fig.text((left + 0.08 + (0.25 if bullets and i else 0)) / SLIDE_W, 1 - y / SLIDE_H, part,
                     fontsize=size, fontweight="bold" if bold else "normal",
                     color=tuple(c / 255 for c in colour), va="baseline", ha="left")
        y += size / 72 * (0.45 if bullets else 0.1)
    return y


def _pdf_box(fig, left, top, width, height, colour) -> None:
    fig.patches.append(plt.Rectangle((left / SLIDE_W, 1 - (top + height) / SLIDE_H), width / SLIDE_W,
                                     height / SLIDE_H, transform=fig.transFigure,
                                     facecolor=tuple(c / 255 for c in colour), edgecolor="none"))


def render_pdf(pack: Pack) -> bytes:
    """The pack as a PDF, one 16:9 page per slide, same layout and numbers as the deck."""
    buffer = io.BytesIO()
    metadata = {"Title": pack.title, "Author": "West Side Overdose Watch", "CreationDate": None}
    with PdfPages(buffer, metadata=metadata) as pdf:
        for number, spec in enumerate(pack.slides, start=1):
            fig = plt.figure(figsize=(SLIDE_W, SLIDE_H), dpi=100)
            if spec.cover:
                _pdf_text(fig, MARGIN + 0.3, 1.6, SLIDE_W - 2 * MARGIN - 0.6,
                          [("West Side Overdose Watch", 44, True, INK)])
                _pdf_text(fig, MARGIN + 0.3, 2.7, SLIDE_W - 2 * MARGIN - 0.6,
                          [(spec.title, 30, False, ACCENT)]
                          + [(line, 22 if i < 2 else 18, i == 1,
                              BADGE if line.startswith("SYNTHETIC") else INK)
                             for i, line in enumerate(spec.cover)])
            else:
                _pdf_text(fig, MARGIN, TITLE_TOP + 0.1, SLIDE_W - 2 * MARGIN - 2.9,
                          [(spec.title, TITLE_PT, True, INK)])
            if pack.badge:
                _pdf_box(fig, SLIDE_W - MARGIN - 2.7, TITLE_TOP + 0.15, 2.7, 0.55, BADGE)
                fig.text((SLIDE_W - MARGIN - 1.35) / SLIDE_W, 1 - (TITLE_TOP + 0.425) / SLIDE_H, pack.badge,
                         fontsize=16, fontweight="bold", color="white", ha="center", va="center")
            _pdf_body(fig, spec)
            _pdf_text(fig, MARGIN, FOOTER_TOP, SLIDE_W - 2 * MARGIN,
                      [(f"{pack.footer} · {number}/{len(pack.slides)}", FOOTER_PT, False, MUTED)])
            pdf.savefig(fig)
            plt.close(fig)
    return buffer.getvalue()


def _pdf_body(fig, spec: Slide) -> None:
    if spec.kpis:
        for kpi, (left, top, width, height) in zip(spec.kpis, _kpi_grid(spec.kpis)):
            _pdf_box(fig, left, top, width, height, TILE)
            _pdf_text(fig, left, top + 0.02, width,
                      [(kpi.label, KPI_LABEL_PT, True, INK),
                       (kpi.value, KPI_VALUE_PT, True, PROVISIONAL if kpi.provisional else ACCENT),
                       (kpi.detail, KPI_DETAIL_PT, False, MUTED)])
        if spec.note:
            _pdf_text(fig, MARGIN, BODY_TOP + BODY_H - 0.5, SLIDE_W - 2 * MARGIN, [(spec.note, 14, False, MUTED)])
        return
    if spec.image is not None:
        size = FULL_IMAGE if spec.full_width else SIDE_IMAGE
        ax = fig.add_axes((MARGIN / SLIDE_W, 1 - (BODY_TOP + size[1]) / SLIDE_H, size[0] / SLIDE_W,
                           size[1] / SLIDE_H))
        ax.imshow(mpimg.imread(io.BytesIO(spec.image), format="png"), interpolation="none")
        ax.set_axis_off()
        if spec.bullets:
            _pdf_text(fig, SIDE_LEFT, BODY_TOP + 0.1, SIDE_W, [(b, 18, False, INK) for b in spec.bullets],
                      bullets=True)
        return
    top = BODY_TOP
    if spec.table:
        widths = _table_widths(len(spec.table[0]))
        for r, row in enumerate(spec.table):
            row_top = top + r * 0.52
            _pdf_box(fig, MARGIN, row_top, SLIDE_W - 2 * MARGIN, 0.52, ACCENT if r == 0 else
                     (TILE if r % 2 else (0xFF, 0xFF, 0xFF)))
            left = MARGIN
            for value, width in zip(row, widths):
                fig.text((left + 0.1) / SLIDE_W, 1 - (row_top + 0.34) / SLIDE_H, value, fontsize=18,
                         fontweight="bold" if r == 0 else "normal",
                         color="white" if r == 0 else tuple(c / 255 for c in INK), va="baseline")
                left += width
        top += 0.52 * len(spec.table) + 0.25
    if spec.bullets:
        _pdf_text(fig, MARGIN, top, SLIDE_W - 2 * MARGIN,
                  [(b, spec.bullet_pt if not spec.table else 18, False, INK) for b in spec.bullets], bullets=True)


# ---- Files --------------------------------------------------------------------------------------


def write_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and ``os.replace`` (readers never see half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return path


def write_pack(content: PackContent, folder: Path) -> dict[str, Path]:
    """Build the deck and the PDF for ``content`` into ``folder``; returns ``{"pptx": ..., "pdf": ...}``."""
    pack = pack_slides(content)
    stem = pack_file_stem(content)
    return {
        "pptx": write_atomic(folder / f"{stem}.pptx", render_pptx(pack)),
        "pdf": write_atomic(folder / f"{stem}.pdf", render_pdf(pack)),
    }

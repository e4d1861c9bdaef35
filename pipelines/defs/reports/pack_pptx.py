"""The meeting pack as a PowerPoint deck (python-pptx), laid out on :mod:`.slide_layout`'s geometry."""

from __future__ import annotations

import io
from collections.abc import Sequence

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.util import Inches, Pt

from pipelines.defs.reports.slide_layout import (
    ACCENT,
    BADGE,
    BODY_H,
    BODY_TOP,
    FONT,
    FOOTER_PT,
    FOOTER_TOP,
    FULL_IMAGE,
    INK,
    KPI_DETAIL_PT,
    KPI_LABEL_PT,
    KPI_VALUE_PT,
    MARGIN,
    MUTED,
    PROVISIONAL,
    SIDE_IMAGE,
    SIDE_LEFT,
    SIDE_W,
    SLIDE_H,
    SLIDE_W,
    TILE,
    TITLE_H,
    TITLE_PT,
    TITLE_TOP,
    Pack,
    Slide,
    kpi_grid,
    table_widths,
)


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
        for kpi, (left, top, width, height) in zip(spec.kpis, kpi_grid(spec.kpis)):
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
        for c, width in enumerate(table_widths(cols)):
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



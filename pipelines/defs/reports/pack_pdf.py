"""The meeting pack as a PDF, drawn page for page with matplotlib on :mod:`.slide_layout`'s geometry
(python-pptx cannot export PDF and no office suite is installed)."""

from __future__ import annotations

import io
import textwrap

from pipelines.defs.reports.figures import pyplot
from pipelines.defs.reports.slide_layout import (
    ACCENT,
    BADGE,
    BODY_H,
    BODY_TOP,
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
    TITLE_PT,
    TITLE_TOP,
    Pack,
    Slide,
    kpi_grid,
    table_widths,
)


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
    from matplotlib.patches import Rectangle

    fig.patches.append(Rectangle((left / SLIDE_W, 1 - (top + height) / SLIDE_H), width / SLIDE_W,
                                 height / SLIDE_H, transform=fig.transFigure,
                                 facecolor=tuple(c / 255 for c in colour), edgecolor="none"))


def render_pdf(pack: Pack) -> bytes:
    """The pack as a PDF, one 16:9 page per slide, same layout and numbers as the deck."""
    # Imported here: matplotlib is a large share of the code location's load time (figures.pyplot).
    from matplotlib.backends.backend_pdf import PdfPages

    plt = pyplot()
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
        for kpi, (left, top, width, height) in zip(spec.kpis, kpi_grid(spec.kpis)):
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
        from matplotlib.image import imread

        ax.imshow(imread(io.BytesIO(spec.image), format="png"), interpolation="none")
        ax.set_axis_off()
        if spec.bullets:
            _pdf_text(fig, SIDE_LEFT, BODY_TOP + 0.1, SIDE_W, [(b, 18, False, INK) for b in spec.bullets],
                      bullets=True)
        return
    top = BODY_TOP
    if spec.table:
        widths = table_widths(len(spec.table[0]))
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


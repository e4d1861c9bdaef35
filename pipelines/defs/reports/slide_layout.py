"""The meeting pack's slide model and the geometry both renderers share (inches, points, colours),
so the PDF (:mod:`.pack_pdf`) is the deck (:mod:`.pack_pptx`) as projected."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pipelines.defs.reports.content import Kpi

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


def kpi_grid(kpis: Sequence[Kpi]) -> list[tuple[float, float, float, float]]:
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


def table_widths(cols: int) -> list[float]:
    total = SLIDE_W - 2 * MARGIN
    weights = [2.4, 2.6, 2.6, 1.0, 2.2, 1.4][:cols]
    return [total * w / sum(weights) for w in weights]


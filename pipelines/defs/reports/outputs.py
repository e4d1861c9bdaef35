"""Finding the reports the pipeline wrote under ``ODW_OUTPUT_DIR`` (for the dashboard's downloads)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PACK_FOLDER = "meeting_pack"
EBLAST_FOLDER = "eblast"
PACK_PREFIX = "overdose_watch_meeting_pack_"
EBLAST_PREFIX = "overdose_watch_eblast_"


@dataclass(frozen=True)
class LatestReports:
    """The newest meeting pack and e-blast files (None where none was written yet)."""

    pack_pptx: Path | None
    pack_pdf: Path | None
    eblast_html: Path | None
    eblast_txt: Path | None


def _latest(folder: Path, prefix: str, suffix: str) -> Path | None:
    # The date in the name (YYYY-MM or YYYY-MM-DD) sorts as text; temporary files start with ".".
    files = sorted(p for p in folder.glob(f"{prefix}*{suffix}") if p.is_file())
    return files[-1] if files else None


def latest_reports(output_dir: Path) -> LatestReports:
    """The newest pack (.pptx and .pdf of the same month) and e-blast (.html, .txt) in ``output_dir``."""
    pptx = _latest(output_dir / PACK_FOLDER, PACK_PREFIX, ".pptx")
    pdf = pptx.with_suffix(".pdf") if pptx else None
    html = _latest(output_dir / EBLAST_FOLDER, EBLAST_PREFIX, ".html")
    txt = html.with_suffix(".txt") if html else None
    return LatestReports(
        pack_pptx=pptx,
        pack_pdf=pdf if pdf and pdf.exists() else None,
        eblast_html=html,
        eblast_txt=txt if txt and txt.exists() else None,
    )

"""Fixtures of the report tests: the demo pipeline's report files."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DEMO_END_MONTH, PipelineRun


@pytest.fixture(scope="session")
def report_dir(demo_pipeline: PipelineRun) -> Path:
    """``ODW_OUTPUT_DIR`` of the demo pipeline run (which built ``meeting_pack`` and ``weekly_eblast``)."""
    return Path(demo_pipeline.env["ODW_OUTPUT_DIR"])


@pytest.fixture(scope="session")
def pack_pptx(report_dir: Path) -> Path:
    return report_dir / "meeting_pack" / f"overdose_watch_meeting_pack_{DEMO_END_MONTH}.pptx"


@pytest.fixture(scope="session")
def pack_pdf(pack_pptx: Path) -> Path:
    return pack_pptx.with_suffix(".pdf")

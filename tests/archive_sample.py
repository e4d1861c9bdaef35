"""The real Medical Examiner sample (``tests/fixtures/me_archive_sample.json``) for tests."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import polars as pl

from pipelines.defs.epidemiology.classify import ARCHIVE_OPIOID_FIELD, CAUSE_FIELDS, MANNER_FIELD

SAMPLE_PATH = Path(__file__).parent / "fixtures" / "me_archive_sample.json"


@lru_cache(maxsize=1)
def _records() -> tuple[dict, ...]:
    return tuple(json.loads(SAMPLE_PATH.read_text(encoding="utf-8")))


def sample_records() -> list[dict]:
    """The 1,234 archive records as parsed from the SODA JSON (absent fields absent), in file order."""
    return [dict(r) for r in _records()]


def sample_causes() -> pl.DataFrame:
    """``casenumber``, the cause fields, ``manner`` and the archive's ``opioids`` flag, one row per record."""
    columns = ("casenumber", *CAUSE_FIELDS, MANNER_FIELD)
    schema = {c: pl.String for c in columns} | {ARCHIVE_OPIOID_FIELD: pl.Boolean}
    return pl.DataFrame([{c: r.get(c) for c in schema} for r in _records()], schema=schema)

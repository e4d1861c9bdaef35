"""Templates, the docs' column reference and the demo generator stay in step with the specs."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from pipelines.defs.field_data.reading import read_file
from pipelines.defs.field_data.schema import SPECS, header_key
from pipelines.defs.field_data.templates import (
    COLUMN_REFERENCE_DOC,
    TEMPLATE_DIR,
    column_reference_markdown,
    generated_block,
    write_templates,
)
from pipelines.demo.field_data import write_field_demo
from pipelines.settings import PROJECT_ROOT


def test_committed_templates_are_the_generated_ones(tmp_path: Path) -> None:
    for path in write_templates(tmp_path):
        assert (TEMPLATE_DIR / path.name).read_bytes() == path.read_bytes(), (
            f"{path.name} is stale: run python -m pipelines.defs.field_data.templates"
        )


@pytest.mark.parametrize("source", sorted(SPECS))
def test_templates_read_back_as_empty_files_with_every_column(source: str) -> None:
    spec = SPECS[source]
    for extension in ("csv", "xlsx"):
        result = read_file(TEMPLATE_DIR / f"{source}.{extension}", spec.header_map(), max_bytes=10**6, max_rows=10)
        [table] = result.tables
        assert table.headers == spec.names and result.rows == 0


def test_xlsx_template_has_drop_downs_for_every_list() -> None:
    workbook = openpyxl.load_workbook(TEMPLATE_DIR / "test_strips.xlsx")
    data = workbook["Test strips"]
    lists = {str(dv.sqref).split(":")[0].rstrip("0123456789"): dv for dv in data.data_validations.dataValidation}
    letters = {name: openpyxl.utils.get_column_letter(i) for i, name in enumerate(SPECS["test_strips"].names, start=1)}
    for name in ("substance_as_sold", "strip_type", "result", "community_area"):
        assert lists[letters[name]].type == "list", name
    assert lists[letters["tested_on"]].type == "date"
    assert workbook["lists"].sheet_state == "hidden"
    values = [c.value for c in workbook["lists"]["B"][1:] if c.value]
    assert values == list(SPECS["test_strips"].column("strip_type").allowed)


def test_the_docs_page_has_the_current_column_reference() -> None:
    text = COLUMN_REFERENCE_DOC.read_text(encoding="utf-8")
    assert generated_block(text) == column_reference_markdown(), (
        f"the column reference in {COLUMN_REFERENCE_DOC.relative_to(PROJECT_ROOT)} is stale: "
        "run python -m pipelines.defs.field_data.templates"
    )
    # The page's own sections, one per template, sit under its title.
    assert [line for line in text.splitlines() if line.startswith("#")][:4] == [
        "# Field-data template columns",
        *(f"## {SPECS[s].label} — `ODW_RAW_DIR/{s}/` ({SPECS[s].row_meaning})" for s in ("test_strips", "outreach", "hotspots")),
    ]


def test_no_header_synonym_means_two_columns() -> None:
    for spec in SPECS.values():
        seen: dict[str, str] = {}
        for column in spec.columns:
            for header in (column.name, *column.synonyms):
                assert seen.setdefault(header_key(header), column.name) == column.name, header


def test_demo_generator_is_deterministic_and_labelled(tmp_path: Path) -> None:
    from datetime import date

    first, second = tmp_path / "a", tmp_path / "b"
    counts = write_field_demo(first, end_month=date(2026, 10, 1))
    write_field_demo(second, end_month=date(2026, 10, 1))
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert len(files) == 1 + 12 + 13
    assert all(p.name.startswith("synthetic_demo_") for p in files)
    assert all((first / p).read_bytes() == (second / p).read_bytes() for p in files)
    assert counts["hotspots"] == 18 and counts["test_strips"] > 1000 and counts["outreach"] > 800
    # A real file in the same folder survives a re-run; stale synthetic files do not.
    (first / "outreach" / "real_week.csv").write_text("date,team\n")
    write_field_demo(first, end_month=date(2026, 9, 1))
    assert (first / "outreach" / "real_week.csv").exists()
    assert not (first / "outreach" / "synthetic_demo_outreach_2026-10.csv").exists()

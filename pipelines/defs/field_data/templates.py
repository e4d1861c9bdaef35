"""The coordinators' templates (CSV and XLSX with drop-downs) and the docs' column reference.

Both are generated from the specs in ``schema.py``, so the templates, the documentation and the
validation always agree. The committed copies live in ``data_raw/templates/``; regenerate them with::

    python -m pipelines.defs.field_data.templates [--out data_raw/templates]

Workbooks are written byte-for-byte reproducibly (fixed document dates and zip timestamps), so an
unchanged spec gives unchanged files in git.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from pipelines.defs.field_data.schema import MIN_FIELD_DATE, SPECS, Column, SourceSpec
from pipelines.csv_export import csv_export_bytes
from pipelines.defs.field_data.writing import workbook_bytes
from pipelines.settings import PROJECT_ROOT

TEMPLATE_DIR = PROJECT_ROOT / "data_raw" / "templates"
#: Rows of the data sheet that carry the drop-downs and input checks.
VALIDATED_ROWS = 2000
_EXCEL_EPOCH = date(1899, 12, 30)
_SHEET_TITLES = {"hotspots": "Hot spots", "test_strips": "Test strips", "outreach": "Outreach log"}
_KIND_TEXT = {
    "date": "date",
    "text": "text",
    "id": "text (id)",
    "latitude": "decimal degrees",
    "longitude": "decimal degrees",
    "area": "name or number 1–77",
    "enum": "one of a list",
    "count": "whole number ≥ 0",
    "bool": "yes / no",
}


def community_area_names() -> list[str]:
    """The 77 community-area names, in number order (from the bundled census table)."""
    # Imported here: the geography module loads GeoPandas and libpysal, which only building the
    # templates needs — not the demo generator, which imports this module's neighbours.
    from pipelines.defs.geography.boundaries import load_population

    return load_population().sort("community_area_number")["community_area"].to_list()


def _excel_serial(day: date) -> int:
    return (day - _EXCEL_EPOCH).days


def _validation_for(column: Column, letter: str, lists: dict[str, str]) -> DataValidation | None:
    cells = f"{letter}2:{letter}{VALIDATED_ROWS + 1}"
    prompt = column.description[:255]
    common = {"showInputMessage": True, "showErrorMessage": True, "prompt": prompt, "promptTitle": column.name[:32]}
    if column.name in lists:
        dv = DataValidation(type="list", formula1=lists[column.name], allow_blank=True,
                            error=f"Pick a value from the list for {column.name}.", errorTitle="Not in the list",
                            **common)
        # A typed community-area number or alternative spelling is still accepted by the pipeline.
        if column.kind == "area":
            dv.errorStyle = "warning"
    elif column.kind == "date":
        dv = DataValidation(type="date", operator="between", formula1=str(_excel_serial(MIN_FIELD_DATE)),
                            formula2=str(_excel_serial(date(2099, 12, 31))), allow_blank=not column.required,
                            error="Enter a date (e.g. 2026-03-14).", errorTitle="Not a date", **common)
    elif column.kind == "count":
        dv = DataValidation(type="whole", operator="between", formula1="0", formula2=str(column.max_value),
                            allow_blank=True, error=f"Enter a whole number from 0 to {column.max_value:,}.",
                            errorTitle="Not a count", **common)
    elif column.kind in ("latitude", "longitude"):
        from pipelines.defs.geography.placement import COOK_COUNTY_BOUNDS

        low, high = COOK_COUNTY_BOUNDS["lat" if column.kind == "latitude" else "lon"]
        dv = DataValidation(type="decimal", operator="between", formula1=str(low), formula2=str(high),
                            allow_blank=not column.required,
                            error=f"Enter decimal degrees between {low} and {high} (Cook County).",
                            errorTitle="Outside Cook County", **common)
    else:
        dv = DataValidation(type="textLength", operator="lessThanOrEqual",
                            formula1=str(column.max_length or 255), allow_blank=not column.required,
                            error="Too long.", errorTitle="Too long", **common)
    dv.add(cells)
    return dv


def build_workbook(spec: SourceSpec) -> Workbook:
    """The XLSX template of a source: a data sheet with drop-downs, instructions, hidden lists."""
    workbook = Workbook()
    data = workbook.active
    data.title = _SHEET_TITLES[spec.source]
    instructions = workbook.create_sheet("Instructions")
    lists_sheet = workbook.create_sheet("lists")
    lists_sheet.sheet_state = "hidden"

    lists: dict[str, str] = {}
    list_values: list[tuple[str, list[str]]] = [
        (c.name, list(c.allowed)) for c in spec.columns if c.kind in ("enum", "bool")
    ]
    if any(c.kind == "area" for c in spec.columns):
        list_values.append(("community_area", community_area_names()))
    for index, (name, values) in enumerate(list_values, start=1):
        letter = get_column_letter(index)
        # Not a field name on its own, so this sheet is never mistaken for data.
        lists_sheet.cell(row=1, column=index, value=f"allowed values: {name}")
        for row, value in enumerate(values, start=2):
            lists_sheet.cell(row=row, column=index, value=value)
        lists[name] = f"={quote_sheetname(lists_sheet.title)}!${letter}$2:${letter}${len(values) + 1}"

    header_font = Font(bold=True, color="FFFFFF")
    required_fill = PatternFill("solid", fgColor="1F4E79")
    optional_fill = PatternFill("solid", fgColor="5B7FA6")
    for index, column in enumerate(spec.columns, start=1):
        letter = get_column_letter(index)
        cell = data.cell(row=1, column=index, value=column.name)
        cell.font = header_font
        cell.fill = required_fill if column.required else optional_fill
        cell.alignment = Alignment(horizontal="center")
        data.column_dimensions[letter].width = max(12, len(column.name) + 4)
        if column.kind == "date":
            data.column_dimensions[letter].number_format = "yyyy-mm-dd"
        validation = _validation_for(column, letter, lists)
        if validation is not None:
            data.add_data_validation(validation)
    data.freeze_panes = "A2"

    instructions.append([f"{spec.label}: {spec.row_meaning}. Dark blue columns are required."])
    instructions.append([
        "Never enter a person's name, birth date, phone number, e-mail, home address or free-text "
        "notes: a file with such a column is refused whole."
    ])
    instructions.append([])
    instructions.append(["Column", "Required", "Kind", "What to enter", "Example", "Also accepted as header"])
    for cell in instructions[4]:
        cell.font = Font(bold=True)
    for column in spec.columns:
        instructions.append([
            column.name,
            "yes" if column.required else "",
            _KIND_TEXT[column.kind],
            column.description + (f" Allowed: {', '.join(column.allowed)}." if column.allowed else ""),
            column.example,
            "; ".join(column.synonyms),
        ])
    for letter, width in zip("ABCDEF", (30, 10, 18, 90, 20, 60), strict=True):
        instructions.column_dimensions[letter].width = width
    return workbook


def write_templates(folder: Path = TEMPLATE_DIR) -> list[Path]:
    """Write ``<source>.csv`` and ``<source>.xlsx`` for every source into ``folder``; return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for spec in SPECS.values():
        csv_path = folder / f"{spec.source}.csv"
        csv_path.write_bytes(csv_export_bytes(spec.names, []))
        xlsx_path = folder / f"{spec.source}.xlsx"
        xlsx_path.write_bytes(workbook_bytes(build_workbook(spec)))
        written += [csv_path, xlsx_path]
    return written


def _values_text(column: Column) -> str:
    if not column.values:
        return ""
    parts = []
    for canonical, spellings in column.values.items():
        shown = ", ".join(f"`{s}`" for s in spellings)
        parts.append(f"`{canonical}`" + (f" (also {shown})" if spellings else ""))
    return "; ".join(parts)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


#: The docs page that holds the column reference (between the markers below).
COLUMN_REFERENCE_DOC = PROJECT_ROOT / "docs" / "data" / "field-data-columns.md"


def column_reference_markdown() -> str:
    """The column-by-column reference of the three templates (Markdown, one section per template)."""
    out = []
    for spec in (SPECS["test_strips"], SPECS["outreach"], SPECS["hotspots"]):
        out.append(f"## {spec.label} — `ODW_RAW_DIR/{spec.source}/` ({spec.row_meaning})")
        out.append("")
        out.append("| column | required | kind | what to enter | allowed values | also accepted as header |")
        out.append("|---|---|---|---|---|---|")
        for column in spec.columns:
            kind = _KIND_TEXT[column.kind]
            if column.kind == "count":
                kind += f", at most {column.max_value:,} per row"
            synonyms = ", ".join(f"`{s}`" for s in column.synonyms)
            out.append(
                f"| `{column.name}` | {'yes' if column.required else ''} | {kind} | "
                f"{_cell(column.description)} | {_cell(_values_text(column))} | {_cell(synonyms)} |"
            )
        out.append("")
    return "\n".join(out).rstrip() + "\n"


_BEGIN = "<!-- BEGIN generated column reference (pipelines/defs/field_data/templates.py) -->"
_END = "<!-- END generated column reference -->"


def update_doc(path: Path) -> bool:
    """Replace the generated block of ``path`` with the current reference; True when it changed."""
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(_BEGIN) + r".*?" + re.escape(_END), re.S)
    new = pattern.sub(lambda _: f"{_BEGIN}\n{column_reference_markdown()}{_END}", text)
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def generated_block(text: str) -> str | None:
    """The generated block found in a document's text (without the markers), or ``None``."""
    match = re.search(re.escape(_BEGIN) + r"\n(.*?)" + re.escape(_END), text, re.S)
    return match.group(1) if match else None


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write the templates, and refresh the column reference in the docs."""
    parser = argparse.ArgumentParser(prog="python -m pipelines.defs.field_data.templates", description=__doc__)
    parser.add_argument("--out", type=Path, default=TEMPLATE_DIR, help="folder for the templates")
    parser.add_argument("--doc", type=Path, default=COLUMN_REFERENCE_DOC)
    args = parser.parse_args(argv)
    for path in write_templates(args.out):
        print(f"wrote {path}", file=sys.stderr)
    if args.doc.exists() and update_doc(args.doc):
        print(f"updated the column reference in {args.doc}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

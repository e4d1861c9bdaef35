"""Writing spreadsheet files reproducibly: CSV bytes and XLSX workbooks with fixed timestamps.

Used by the templates and the demo generator, so equal content always gives byte-identical files.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Sequence
from datetime import datetime

from openpyxl import Workbook

#: The document date written into every workbook, so equal content gives equal bytes.
FIXED_TIMESTAMP = datetime(2026, 1, 1)
_ZIP_TIME = (2026, 1, 1, 0, 0, 0)


def workbook_bytes(workbook: Workbook) -> bytes:
    """Serialise ``workbook`` reproducibly: fixed document dates and zip entry timestamps."""
    workbook.properties.created = FIXED_TIMESTAMP
    workbook.properties.modified = FIXED_TIMESTAMP
    buffer = io.BytesIO()
    workbook.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                # openpyxl stamps the save time here whatever the properties say.
                content = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + FIXED_TIMESTAMP.strftime("%Y-%m-%dT%H:%M:%SZ").encode() + rb"\g<2>",
                    content,
                )
            target.writestr(entry, content)
    return out.getvalue()


def csv_bytes(rows: Sequence[Sequence[object]], *, delimiter: str = ",", encoding: str = "utf-8-sig") -> bytes:
    """Rows as CSV bytes (CRLF line ends, as spreadsheet programs write them), cells verbatim.

    For writing field files as a coordinator would send them (demo inputs, tests) — never for
    something handed to a person: exports go through :mod:`pipelines.csv_export`, which escapes
    formulas.
    """
    text = io.StringIO(newline="")
    csv.writer(text, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return text.getvalue().encode(encoding)

"""Streaming the cell values of an XLSX worksheet exactly as openpyxl's read-only mode gives them, faster.

openpyxl's read-only reader builds an XML element and a dictionary for every cell and a rich-text
object for every inline string, through the pure-Python XML parser that defusedxml substitutes for
the C one: about half a millisecond per row. That made workbooks the slowest part of field-data
ingest (at 100× the demo volume, reading the ~50,000 workbook rows of a source was most of the
step's time, although workbooks hold only a third of the rows).

:func:`sheet_values` parses the sheet's XML with expat event handlers instead, keeps only what a
cell value needs, and converts values with openpyxl's own functions and the workbook's own date
styles, epoch and shared strings — so it yields what ``sheet.reset_dimensions()`` followed by
``sheet.iter_rows(values_only=True)`` yields, row for row. Elements outside the rows (sheet views,
column widths, merged cells, …) go to openpyxl's own parsers, so a malformed one fails as before.
Anything the fast path does not handle itself — rich-text or phonetic inline strings, unexpected
elements in a row, entity declarations or references, malformed XML, a value openpyxl would warn
about or fail on — hands the rest of the sheet to openpyxl, which reads (or rejects) it exactly as
it always did: the fast path never decides anything openpyxl would decide differently.
"""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from xml.parsers import expat

from openpyxl.utils import column_index_from_string, coordinate_to_tuple
from openpyxl.utils.datetime import from_excel, from_ISO8601
from openpyxl.worksheet import _reader as openpyxl_reader

#: Bytes of sheet XML parsed between two hand-overs of finished rows.
CHUNK_BYTES = 1 << 16

_NS = openpyxl_reader.SHEET_MAIN_NS
_ROW, _CELL = openpyxl_reader.ROW_TAG, openpyxl_reader.CELL_TAG
_VALUE, _FORMULA, _INLINE = openpyxl_reader.VALUE_TAG, openpyxl_reader.FORMULA_TAG, openpyxl_reader.INLINE_STRING
_TEXT = f"{{{_NS}}}t"
# A plain cell reference ("B12"): its column is looked up once per column letters; anything else
# goes through openpyxl's coordinate_to_tuple (which may reject it).
_PLAIN_COORDINATE = re.compile(r"([A-Z]{1,3})[1-9][0-9]*")

#: openpyxl's sheet-level properties (``WorkSheetParser.parse``): parsed with the same classes.
_PROPERTIES = {
    openpyxl_reader.PRINT_TAG: openpyxl_reader.PrintOptions,
    openpyxl_reader.MARGINS_TAG: openpyxl_reader.PageMargins,
    openpyxl_reader.PAGE_TAG: openpyxl_reader.PrintPageSetup,
    openpyxl_reader.HEADER_TAG: openpyxl_reader.HeaderFooter,
    openpyxl_reader.FILTER_TAG: openpyxl_reader.AutoFilter,
    openpyxl_reader.VALIDATION_TAG: openpyxl_reader.DataValidationList,
    openpyxl_reader.PROPERTIES_TAG: openpyxl_reader.WorksheetProperties,
    openpyxl_reader.VIEWS_TAG: openpyxl_reader.SheetViewList,
    openpyxl_reader.FORMAT_TAG: openpyxl_reader.SheetFormatProperties,
    openpyxl_reader.SCENARIOS_TAG: openpyxl_reader.ScenarioList,
    openpyxl_reader.TABLE_TAG: openpyxl_reader.TablePartList,
    openpyxl_reader.HYPERLINK_TAG: openpyxl_reader.HyperlinkList,
    openpyxl_reader.MERGE_TAG: openpyxl_reader.MergeCells,
}


class _Unusual(Exception):
    """Something the fast path leaves to openpyxl."""


def _name(raw: str) -> str:
    # expat reports "namespace}local" (namespace_separator="}"); ElementTree writes "{namespace}local".
    return "{" + raw if "}" in raw else raw


def _refuse_entities(*_args) -> None:
    # defusedxml, which openpyxl uses when it is installed, rejects entity declarations: let it.
    raise _Unusual("entity declaration")


class _SheetHandler:
    """expat handlers that collect finished rows (openpyxl's ``values_only`` rows) in ``ready``."""

    def __init__(self, sheet) -> None:
        workbook = sheet.parent
        self.shared_strings = sheet._shared_strings
        self.epoch = workbook.epoch
        self.date_formats = workbook._date_formats
        self.timedelta_formats = workbook._timedelta_formats
        parser = openpyxl_reader.WorkSheetParser(
            None, self.shared_strings, data_only=True, epoch=self.epoch,
            date_formats=self.date_formats, timedelta_formats=self.timedelta_formats,
        )
        self.dispatch = {
            openpyxl_reader.COL_TAG: parser.parse_column_dimensions,
            openpyxl_reader.PROT_TAG: parser.parse_sheet_protection,
            openpyxl_reader.EXT_TAG: parser.parse_extensions,
            openpyxl_reader.CF_TAG: parser.parse_formatting,
            openpyxl_reader.LEGACY_TAG: parser.parse_legacy,
            openpyxl_reader.ROW_BREAK_TAG: parser.parse_row_breaks,
            openpyxl_reader.COL_BREAK_TAG: parser.parse_col_breaks,
            openpyxl_reader.CUSTOM_VIEWS_TAG: parser.parse_custom_views,
        }
        self.ready: list = []
        self.names: dict[str, str] = {}
        self.columns: dict[str, int] = {}
        self.elements: list[ET.Element] = []  # open elements outside rows
        # Row bookkeeping of openpyxl's parse_row and _cells_by_row (min_row 1, no dimensions).
        self.counter = 1
        self.row_counter = 0
        self.col_counter = 0
        self.in_row = False
        self.depth = 0  # inside a row: 1 = cell, 2 = v / f / is, 3 = t of an inline string
        self.cells: list[tuple[int, object]] = []
        self.cell_attrs: dict[str, str] = {}
        self.child = ""  # the cell child (depth 2) open now
        self.value: list[str] | None = None  # text of the cell's first <v>
        self.inline: list[str] | None = None  # text of the <t> of the cell's first <is>
        self.inline_seen = False
        self.collect: list[str] | None = None  # where character data goes now

    # --- expat callbacks -------------------------------------------------------------------------

    def start(self, raw: str, attrs: dict[str, str]) -> None:
        """StartElementHandler."""
        tag = self.names.get(raw)
        if tag is None:
            tag = self.names[raw] = _name(raw)
        if self.in_row:
            self.depth += 1
            if self.depth == 1:
                if tag != _CELL:
                    raise _Unusual(tag)
                self.cell_attrs = attrs
                self.value = self.inline = None
                self.inline_seen = False
            elif self.depth == 2:
                self.child = tag
                if tag == _VALUE:
                    if self.value is None:
                        self.value = []
                        self.collect = self.value
                elif tag == _INLINE:
                    if self.inline_seen or attrs:
                        raise _Unusual("inline string")
                    self.inline_seen = True
                elif tag != _FORMULA:
                    raise _Unusual(tag)
            elif self.depth == 3 and self.child == _INLINE and tag == _TEXT and self.inline is None:
                self.inline = []
                self.collect = self.inline
            else:
                raise _Unusual(tag)  # rich text, phonetic runs, anything nested deeper
            return
        if tag == _ROW:
            self._start_row(attrs)
            return
        element = ET.Element(tag, {_name(k): v for k, v in attrs.items()})
        if self.elements:
            self.elements[-1].append(element)
        self.elements.append(element)

    def end(self, _raw: str) -> None:
        """EndElementHandler."""
        if self.in_row:
            if self.depth == 0:
                self._end_row()
            elif self.depth == 1:
                self._end_cell()
            self.depth -= 1
            self.collect = None
            return
        self._end_element(self.elements.pop())

    def data(self, text: str) -> None:
        """CharacterDataHandler."""
        if self.collect is not None:
            self.collect.append(text)
        elif not self.in_row and self.elements:
            # Text and tails only matter to openpyxl's parsers of the elements outside rows.
            element = self.elements[-1]
            if len(element):
                element[-1].tail = (element[-1].tail or "") + text
            else:
                element.text = (element.text or "") + text

    @staticmethod
    def default(text: str) -> None:
        """DefaultHandlerExpand: an entity reference expat could not expand."""
        if text.startswith("&"):
            raise _Unusual("entity reference")

    # --- rows and cells: openpyxl's parse_row, parse_cell (data_only) and _get_row ----------------

    def _start_row(self, attrs: dict[str, str]) -> None:
        if "r" in attrs:
            try:
                self.row_counter = int(attrs["r"])
            except ValueError:
                number = float(attrs["r"])
                if not number.is_integer():
                    raise _Unusual("row number") from None
                self.row_counter = int(number)
        else:
            self.row_counter += 1
        self.col_counter = 0
        self.cells = []
        self.in_row = True
        self.depth = 0
        self.collect = None

    def _end_cell(self) -> None:
        attrs = self.cell_attrs
        data_type = attrs.get("t", "n")
        coordinate = attrs.get("r")
        style_id = attrs.get("s", 0)
        if style_id:
            style_id = int(style_id)
        if coordinate:
            plain = _PLAIN_COORDINATE.fullmatch(coordinate)
            if plain is None:
                self.col_counter = coordinate_to_tuple(coordinate)[1]
            else:
                letters = plain.group(1)
                column = self.columns.get(letters)
                if column is None:
                    column = self.columns[letters] = column_index_from_string(letters)
                self.col_counter = column
        else:
            self.col_counter += 1
        value = None
        if data_type == "inlineStr":
            if self.inline_seen:
                if self.inline is None:
                    raise _Unusual("inline string without text element")
                value = "".join(self.inline)
        elif self.value:
            value = "".join(self.value)
            if data_type == "n":
                value = openpyxl_reader._cast_number(value)
                if style_id in self.date_formats:
                    try:
                        value = from_excel(value, self.epoch, timedelta=style_id in self.timedelta_formats)
                    except (OverflowError, ValueError):
                        raise _Unusual("date out of range") from None  # openpyxl warns and marks it
            elif data_type == "s":
                value = self.shared_strings[int(value)]
            elif data_type == "b":
                value = bool(int(value))
            elif data_type == "d":
                value = from_ISO8601(value)
        self.cells.append((self.col_counter, value))

    def _end_row(self) -> None:
        self.in_row = False
        index = self.row_counter
        while self.counter < index:  # rows missing from the file
            self.counter += 1
            self.ready.append([])
        if self.counter <= index:
            self.counter += 1
            if not self.cells:
                self.ready.append(())
                return
            width = self.cells[-1][0]
            row = [None] * width
            for column, value in self.cells:
                if 1 <= column <= width:
                    row[column - 1] = value
            self.ready.append(tuple(row))

    def _end_element(self, element: ET.Element) -> None:
        handler = self.dispatch.get(element.tag)
        if handler is not None:
            handler(element)
            element.clear()
        elif element.tag in _PROPERTIES:
            _PROPERTIES[element.tag].from_tree(element)
            element.clear()


def _parser(handler: _SheetHandler) -> expat.XMLParserType:
    parser = expat.ParserCreate(None, "}")
    parser.buffer_text = True
    parser.StartElementHandler = handler.start
    parser.EndElementHandler = handler.end
    parser.CharacterDataHandler = handler.data
    parser.DefaultHandlerExpand = handler.default
    parser.EntityDeclHandler = _refuse_entities
    parser.UnparsedEntityDeclHandler = _refuse_entities
    parser.ExternalEntityRefHandler = _refuse_entities
    return parser


def sheet_values(sheet) -> Iterator[tuple | list]:
    """The rows of a read-only openpyxl worksheet as tuples of cell values, lazily.

    Equal to ``sheet.reset_dimensions(); sheet.iter_rows(values_only=True)`` (rows as long as their
    last cell, missing rows empty), including where openpyxl fails: see the module docstring.
    """
    handler = _SheetHandler(sheet)
    parser = _parser(handler)
    handed = 0
    failed = False
    with sheet.parent._archive.open(sheet._worksheet_path) as source:
        while not failed:
            chunk = source.read(CHUNK_BYTES)
            try:
                parser.Parse(chunk, not chunk)
            except Exception:
                # The rows finished before the problem are what openpyxl yields before it too.
                failed = True
            ready, handler.ready = handler.ready, []
            for row in ready:
                handed += 1
                yield row
            if not chunk:
                break
    if failed:
        sheet.reset_dimensions()
        yield from itertools.islice(sheet.iter_rows(values_only=True), handed, None)

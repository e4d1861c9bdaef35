"""The PII guard: map a table's columns to the source's fields, and refuse files carrying personal data.

Only columns mapped to a known field ever leave this module; every other column is dropped here, in
memory, before anything is written. A column that *looks* personal — by its header (a person's name,
birth date, phone, e-mail, street address, ID number, free-text notes) or by its content (e-mail
addresses, phone or social-security numbers anywhere; street addresses or sentences in an unmapped
column) — makes the whole file refused with a message naming the column, so the coordinator fixes the
file instead of the pipeline silently loading half of it. The exceptions are the documented escape
hatches: a column mapped to an allowed field (a synonym or ``ODW_FIELD_COLUMN_MAP``), a column
configured to be dropped (``ODW_FIELD_DROP_COLUMNS``), and a personal-looking column that is
entirely blank (it carries nothing, so it is dropped and listed).

Refusal messages name columns and row numbers, never cell values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import polars as pl

from pipelines.defs.field_data.tables import TOTALS_REASON, ReadResult, Refused, Table
from pipelines.defs.field_data.schema import LOCATION_FIELDS, SourceSpec, header_key

NAME = "a person's name"
BIRTH_DATE = "a birth date"
PHONE = "a phone number"
EMAIL = "an e-mail address"
ADDRESS = "a street address"
NOTES = "free-text notes"
PERSONAL_ID = "a personal identifier (ID number)"

# Header words that make "... name" a place or a thing rather than a person.
_PLACE_WORDS = {
    "site", "location", "place", "spot", "hotspot", "street", "area", "community", "neighborhood",
    "team", "program", "agency", "organization", "org", "partner", "clinic", "hospital", "shelter",
    "facility", "business", "store", "park", "building", "intersection", "corner", "block", "drug",
    "substance", "brand", "stamp", "product", "event", "file", "sheet", "strip", "test",
}
_NAME_HEADERS = {
    "name", "names", "fullname", "firstname", "lastname", "givenname", "familyname", "middlename",
    "surname", "fname", "lname", "initials", "signature", "alias", "nickname", "aka", "client",
    "clients", "participant", "patient", "patients", "person", "individual", "staff", "worker",
    "volunteer", "tester", "outreachworker", "peer", "peerworker", "contactperson",
}
# Words that name a person wherever they stand in a header ("Staff initials", "Client surname").
_NAME_WORDS = {"initials", "signature", "surname", "fname", "lname", "firstname", "lastname", "fullname", "nickname"}
_NOTE_WORDS = {
    "note", "notes", "comment", "comments", "remark", "remarks", "narrative", "observation",
    "observations", "memo", "memos", "description", "details", "story", "freetext", "explanation",
    "summary", "feedback",
}
_ID_FRAGMENTS = (
    "ssn", "socialsecurity", "medicaid", "medicare", "mrn", "medicalrecord", "driverslicense",
    "licensenumber", "passport", "stateid", "clientid", "patientid", "participantid", "personid",
    "insurance",
)

EMAIL_PATTERN = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
# Ten-digit North American numbers with or without separators; a digit or a decimal point right
# before the run (coordinates such as -87.7234567890) does not count.
PHONE_PATTERN = (
    r"(^|[^0-9.])(\+?1[ .\-]?)?(\([2-9][0-9]{2}\)|[2-9][0-9]{2})[ .\-]?[2-9][0-9]{2}[ .\-]?[0-9]{4}($|[^0-9])"
)
SSN_PATTERN = r"(^|[^0-9])[0-9]{3}-[0-9]{2}-[0-9]{4}($|[^0-9])"
ADDRESS_PATTERN = (
    r"(?i)(^|[^0-9])[0-9]{1,5}\s+([nsew]\.?\s+|north\s+|south\s+|east\s+|west\s+)?[a-z0-9.' ]+\s"
    r"(st|street|ave|av|avenue|blvd|boulevard|rd|road|dr|drive|ct|court|pl|place|pkwy|parkway|ter|"
    r"terrace|ln|lane|way|hwy|highway)\.?($|[\s,#])"
)
#: A cell with this many words or characters in a column no field accounts for is free text.
FREE_TEXT_WORDS = 6
FREE_TEXT_CHARS = 60


def pii_category(header: str) -> str | None:
    """What personal data a column header suggests (one of the module constants), or ``None``."""
    words = re.sub(r"[^a-z0-9]+", "_", header.lower()).strip("_")
    tokens = set(words.split("_")) - {""}
    compact = header_key(header)
    if not compact:
        return None
    if tokens & _NOTE_WORDS or any(w in compact for w in ("note", "comment", "remark", "narrative", "freetext")):
        return NOTES
    if tokens & {"dob", "born", "bday"} or "birth" in compact:
        return BIRTH_DATE
    if "phone" in compact or tokens & {"tel", "telephone", "cell", "mobile", "fax", "whatsapp"}:
        return PHONE
    if "email" in compact or "mail" in tokens:
        return EMAIL
    if "address" in compact or tokens & {"addr", "residence", "home", "apt", "apartment"} or compact in {
        "street", "streetnumber", "housenumber",
    }:
        return ADDRESS
    if any(fragment in compact for fragment in _ID_FRAGMENTS):
        return PERSONAL_ID
    if compact in _NAME_HEADERS or tokens & _NAME_WORDS or re.search(r"(^|_)by$", words):
        return NAME
    if (compact.endswith("name") or compact.endswith("names")) and not (tokens & _PLACE_WORDS):
        return NAME
    return None


@dataclass(frozen=True)
class Mapped:
    """A file's rows with only the source's fields kept, all text.

    ``frame`` columns: ``sheet``, ``row_number``, ``extra_values`` (non-blank cells to the right of
    the last header column), then every column of the spec (null where the file has none).
    ``totals`` (``row_number``, ``reason``): the totals rows, left out of ``frame`` and quarantined as
    such — the guard has checked them like every other row.
    """

    frame: pl.DataFrame
    ignored_columns: tuple[str, ...]
    dropped_columns: tuple[str, ...]
    blank_rows: int
    totals: pl.DataFrame


def _label(header: str, index: int) -> str:
    text = header.strip() or f"(column {index + 1}, no header)"
    return f"'{text[:40]}'" if header.strip() else text


def _cleaned(expr: pl.Expr) -> pl.Expr:
    text = expr.str.strip_chars()
    return pl.when(text.str.len_chars() > 0).then(text)


#: Content checks of every column, and (after them) those of columns no field accounts for.
_ANY_COLUMN = (EMAIL, PHONE, PERSONAL_ID)
_UNMAPPED_ONLY = (ADDRESS, NOTES)


def _content_masks(value: pl.Expr) -> dict[str, pl.Expr]:
    return {
        EMAIL: value.str.contains(EMAIL_PATTERN),
        PHONE: value.str.contains(PHONE_PATTERN),
        PERSONAL_ID: value.str.contains(SSN_PATTERN),
        ADDRESS: value.str.contains(ADDRESS_PATTERN),
        NOTES: (value.str.split(" ").list.len() >= FREE_TEXT_WORDS) | (value.str.len_chars() >= FREE_TEXT_CHARS),
    }


def _scan(cells: pl.DataFrame, categories: dict[int, Sequence[str]]) -> dict[str, object]:
    """In one pass over a table: per column, whether it has any value and the first row of each
    kind of personal content asked for (keys ``"<index>|any"`` and ``"<index>|<category>"``)."""
    exprs = []
    for index, wanted in categories.items():
        value = _cleaned(pl.col("cells").list.get(index, null_on_oob=True))
        exprs.append(value.is_not_null().any().alias(f"{index}|any"))
        masks = _content_masks(value)
        for category in wanted:
            exprs.append(
                pl.col("row_number").filter(masks[category].fill_null(False)).first().alias(f"{index}|{category}")
            )
    return cells.select(exprs).row(0, named=True) if exprs else {}


def _categories_to_scan(header: str, header_map: dict[str, str]) -> tuple[str, ...]:
    """The content checks :func:`guard_table` can act on for a column: those of every column for a
    mapped one, none for one refused or dropped by its header alone, all for any other column."""
    if header_map.get(header_key(header)) is not None:
        return _ANY_COLUMN
    if pii_category(header) is not None:
        return ()
    return _ANY_COLUMN + _UNMAPPED_ONLY


def _content_problem(scan: dict[str, object], index: int) -> tuple[str, int] | None:
    """The first kind of personal content found in a column, with its row, from :func:`_scan`
    (which ran only the checks :func:`_categories_to_scan` chose for the column)."""
    for category in _ANY_COLUMN + _UNMAPPED_ONLY:
        row = scan.get(f"{index}|{category}")
        if row is not None:
            return category, int(row)
    return None


def _how_to_fix(label: str) -> str:
    return (
        f"remove column {label} and send the file again, or ask the data manager to list it in "
        "ODW_FIELD_DROP_COLUMNS (or map it to a field with ODW_FIELD_COLUMN_MAP)"
    )


def guard_table(
    table: Table,
    spec: SourceSpec,
    *,
    column_map: Iterable[tuple[str, str]] = (),
    drop_columns: Sequence[str] = (),
) -> tuple[pl.DataFrame, list[str], list[str]]:
    """Map one table's columns and apply the PII guard; raise :class:`Refused` (without a row count).

    Returns the mapped frame (see :class:`Mapped`), the ignored and the dropped column labels.
    """
    header_map = spec.header_map(column_map)
    drop_keys = {header_key(h) for h in drop_columns}
    cells = table.cells
    mapped: dict[str, int] = {}
    ignored: list[str] = []
    dropped: list[str] = []
    keep = [i for i, h in enumerate(table.headers) if not (header_key(h) and header_key(h) in drop_keys)]
    # Only the checks a column's outcome can depend on are run: the address and free-text
    # patterns are the costly ones, and matter only for columns no field accounts for.
    scan = _scan(cells, {i: _categories_to_scan(table.headers[i], header_map) for i in keep})
    for index, header in enumerate(table.headers):
        key = header_key(header)
        label = _label(header, index)
        if index not in keep:
            dropped.append(label)
            continue
        has_values = bool(scan[f"{index}|any"])
        target = header_map.get(key)
        if target is not None:
            if target in mapped:
                first = _label(table.headers[mapped[target]], mapped[target])
                raise Refused(f"columns {first} and {label} both mean {target} — keep only one of them")
            problem = _content_problem(scan, index)
            if problem:
                category, row = problem
                raise Refused(f"column {label} contains what looks like {category} (row {row}); {_how_to_fix(label)}")
            mapped[target] = index
            continue
        category = pii_category(header)
        if category is not None:
            if has_values:
                raise Refused(f"column {label} looks like {category}; {_how_to_fix(label)}")
            dropped.append(f"{label} (empty)")
            continue
        if not has_values:
            continue
        problem = _content_problem(scan, index)
        if problem:
            category, row = problem
            raise Refused(f"column {label} contains what looks like {category} (row {row}); {_how_to_fix(label)}")
        ignored.append(label)
    _check_columns(spec, mapped)
    width = len(table.headers)
    frame = cells.filter(~pl.col("is_totals")).select(
        pl.lit(table.sheet, dtype=pl.String).alias("sheet"),
        pl.col("row_number"),
        pl.col("cells")
        .list.slice(width)
        .list.eval(pl.element().str.strip_chars().str.len_chars() > 0)
        .list.sum()
        .fill_null(0)
        .cast(pl.Int32)
        .alias("extra_values"),
        *(
            (
                _cleaned(pl.col("cells").list.get(mapped[name], null_on_oob=True))
                if name in mapped
                else pl.lit(None, dtype=pl.String)
            ).alias(name)
            for name in spec.names
        ),
    )
    return frame, ignored, dropped


def _accepted(spec: SourceSpec, name: str) -> str:
    column = spec.column(name)
    return ", ".join([name, *column.synonyms][:6])


def _check_columns(spec: SourceSpec, mapped: dict[str, int]) -> None:
    missing = [name for name in spec.required if name not in mapped]
    if missing:
        parts = [f"{name} (e.g. {_accepted(spec, name)})" for name in missing]
        raise Refused(f"no column for {'; '.join(parts)}")
    if ("latitude" in mapped) != ("longitude" in mapped):
        have, lack = ("latitude", "longitude") if "latitude" in mapped else ("longitude", "latitude")
        raise Refused(f"the file has a {have} column but no {lack} column")
    if spec.needs_location and not any(name in mapped for name in LOCATION_FIELDS):
        raise Refused(
            "no location column: give hotspot_id, latitude and longitude, or community_area"
        )


def _totals(result: ReadResult) -> pl.DataFrame:
    """The totals rows of every table, with their quarantine reason (naming the sheet when several)."""
    several = len(result.tables) > 1
    frames = [
        t.cells.filter(pl.col("is_totals")).select(
            "row_number",
            pl.lit(f"sheet '{t.sheet}': {TOTALS_REASON}" if several and t.sheet else TOTALS_REASON).alias("reason"),
        )
        for t in result.tables
    ]
    return pl.concat(frames) if frames else pl.DataFrame(schema={"row_number": pl.Int64, "reason": pl.String})


def guard(
    result: ReadResult,
    spec: SourceSpec,
    *,
    column_map: Iterable[tuple[str, str]] = (),
    drop_columns: Sequence[str] = (),
) -> Mapped:
    """Map every table of a read file and apply the PII guard; raise :class:`Refused` with its rows.

    Sheets of one workbook are concatenated (the ``sheet`` column tells them apart).
    """
    frames, ignored, dropped = [], [], []
    column_map = tuple(column_map)
    for table in result.tables:
        try:
            frame, ign, drp = guard_table(table, spec, column_map=column_map, drop_columns=drop_columns)
        except Refused as exc:
            where = f"sheet '{table.sheet}': " if table.sheet and len(result.tables) > 1 else ""
            raise Refused(where + exc.reason, result.row_numbers()) from exc
        frames.append(frame)
        ignored += [i for i in ign if i not in ignored]
        dropped += [d for d in drp if d not in dropped]
    return Mapped(
        frame=pl.concat(frames, how="vertical"),
        ignored_columns=tuple(ignored),
        dropped_columns=tuple(dropped),
        blank_rows=sum(t.blank_rows for t in result.tables),
        totals=_totals(result),
    )

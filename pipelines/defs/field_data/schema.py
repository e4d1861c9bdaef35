"""What the field-data spreadsheets hold: one spec per source, its columns, synonyms and allowed values.

Three sources, each in its own folder under ``ODW_RAW_DIR``:

* ``test_strips`` — one row per fentanyl/xylazine test strip used on a drug sample;
* ``outreach`` — one row per street-outreach team shift and location;
* ``hotspots`` — the task force's list of outreach hot spots (the ``hotspot_id`` the other two use).

Everything that matches a header, maps a value or documents a column reads these specs, so the
templates, the docs' column reference and the validation cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

#: Dates before this are taken for typing errors (the task force's field work began later).
MIN_FIELD_DATE = date(2010, 1, 1)

#: File name prefix of the files the demo generator writes: their rows are synthetic.
SYNTHETIC_PREFIX = "synthetic_demo_"

#: Columns that say where a test or a shift took place; at least one of them must be filled.
LOCATION_FIELDS = ("hotspot_id", "latitude", "longitude", "community_area")


def header_key(header: str | None) -> str:
    """Match key of a column header: lower case, letters and digits only.

    ``"Tested On"``, ``"tested_on"``, ``" TESTED-ON "`` and ``"TestedOn"`` all give ``"testedon"``,
    which is what "case- and space-insensitive" header matching compares.
    """
    if header is None:
        return ""
    return re.sub(r"[^a-z0-9]", "", header.replace("\ufeff", "").lower())


def value_key(value: str) -> str:
    """Match key of an enumerated cell value: lower case, runs of other characters as one space.

    ``"+"`` and ``"-"`` are kept because people write test results that way, and ``"?"`` so that a
    hedged ``"pos?"`` is not read as positive. The same rule is applied to cells in Polars by
    :func:`pipelines.defs.field_data.value_rules.value_key_expr`.
    """
    return re.sub(r"[^a-z0-9+\-?]+", " ", value.lower()).strip()


@dataclass(frozen=True)
class Column:
    """One column of a field-data file: its canonical name, how its cells are read, and its doc."""

    name: str
    kind: str
    """``date``, ``text``, ``id``, ``latitude``, ``longitude``, ``area``, ``enum``, ``count``, ``bool``."""
    description: str
    example: str
    required: bool = False
    synonyms: tuple[str, ...] = ()
    values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """For ``enum``/``bool``: canonical value → the spellings accepted for it (besides itself)."""
    max_value: int | None = None
    """For ``count``: the largest plausible value in one row; above it the row is quarantined."""
    max_length: int | None = None
    """For ``text``/``id``: the longest value accepted."""

    @property
    def allowed(self) -> tuple[str, ...]:
        """The canonical values of an enumeration, in documentation order."""
        return tuple(self.values)

    def value_map(self) -> dict[str, str]:
        """Every accepted spelling (as :func:`value_key`) → its canonical value."""
        mapping: dict[str, str] = {}
        for canonical, spellings in self.values.items():
            for spelling in (canonical, *spellings):
                mapping[value_key(spelling)] = canonical
        return mapping


@dataclass(frozen=True)
class SourceSpec:
    """A field-data source: its folder name, what one row is, and its columns."""

    source: str
    label: str
    row_meaning: str
    columns: tuple[Column, ...]
    table: str
    needs_location: bool

    @property
    def names(self) -> tuple[str, ...]:
        """Canonical column names, in template order."""
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        """The column called ``name``."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.source} has no column {name!r}")

    def of_kind(self, *kinds: str) -> tuple[Column, ...]:
        """Columns of the given kinds, in template order."""
        return tuple(c for c in self.columns if c.kind in kinds)

    @property
    def required(self) -> tuple[str, ...]:
        """Columns that must be present in the header (and filled in every row)."""
        return tuple(c.name for c in self.columns if c.required)

    def header_map(self, extra: Iterable[tuple[str, str]] = ()) -> dict[str, str]:
        """Header match key → canonical column, for the names, their synonyms and ``extra`` pairs.

        ``extra`` holds configured ``(header, column)`` pairs (``ODW_FIELD_COLUMN_MAP``); pairs
        naming a column this source does not have are ignored, so one setting serves all sources.
        """
        mapping: dict[str, str] = {}
        for column in self.columns:
            for header in (column.name, *column.synonyms):
                mapping[header_key(header)] = column.name
        for header, target in extra:
            if target in self.names:
                mapping[header_key(header)] = target
        return mapping


_TEAM = Column(
    "team",
    "text",
    "The outreach team or program that did the work — a team name, never a person's name.",
    "Austin Team",
    required=True,
    synonyms=("team name", "outreach team", "crew", "program", "team / program"),
    max_length=80,
)
_HOTSPOT_ID = Column(
    "hotspot_id",
    "id",
    "The hot spot's id from the hot-spot list (case does not matter).",
    "HS-01",
    synonyms=(
        "hotspot", "hot spot", "hot spot id", "hotspot code", "spot id", "site id", "site code",
        "location id",
    ),
    max_length=40,
)
_LATITUDE = Column(
    "latitude",
    "latitude",
    "Decimal degrees north (WGS 84), e.g. from a phone's map; must lie in Cook County.",
    "41.88105",
    synonyms=("lat", "gps lat", "gps latitude", "y"),
)
_LONGITUDE = Column(
    "longitude",
    "longitude",
    "Decimal degrees east (WGS 84) — negative in Chicago; must lie in Cook County.",
    "-87.72551",
    synonyms=("lon", "lng", "long", "gps lon", "gps long", "gps longitude", "x"),
)
_COMMUNITY_AREA = Column(
    "community_area",
    "area",
    "Chicago community-area name (any case and spacing, \"O'Hare\" = \"OHARE\") or number 1–77.",
    "West Garfield Park",
    synonyms=(
        "area", "community", "community area name", "community area number", "area number",
        "comm area", "neighborhood", "neighbourhood", "ca",
    ),
)

TEST_STRIPS = SourceSpec(
    source="test_strips",
    label="Fentanyl and xylazine test-strip results",
    row_meaning="one row per test strip used on a drug sample",
    table="staging.test_strips",
    needs_location=True,
    columns=(
        Column(
            "tested_on",
            "date",
            "Day of the test: YYYY-MM-DD, MM/DD/YYYY or an Excel date.",
            "2026-03-14",
            required=True,
            synonyms=("date", "test date", "date tested", "testing date", "date of test", "tested"),
        ),
        _TEAM,
        _HOTSPOT_ID,
        _LATITUDE,
        _LONGITUDE,
        _COMMUNITY_AREA,
        Column(
            "substance_as_sold",
            "enum",
            "What the drug was sold or bought as. Blank counts as unknown.",
            "heroin",
            synonyms=(
                "substance", "sold as", "bought as", "drug", "drug sold as", "substance sold as",
                "expected substance", "drug type",
            ),
            values={
                "heroin": ("dope", "heroin/dope", "heroin dope", "h", "boy", "diesel"),
                "fentanyl": ("fent", "fetty", "fentanyl powder"),
                "crack/cocaine": ("crack", "cocaine", "coke", "crack cocaine", "powder cocaine", "rock"),
                "pills": ("pill", "pressed pill", "pressed pills", "percs", "perc", "oxy", "xanax", "bars"),
                "meth": ("methamphetamine", "crystal", "crystal meth", "ice", "tina"),
                "other": ("other drug",),
                "unknown": ("unk", "not sure", "don't know", "dont know", "?", "n/a", "na"),
            },
        ),
        Column(
            "strip_type",
            "enum",
            "Which strip was used.",
            "fentanyl",
            required=True,
            synonyms=("strip", "test type", "test", "strip used", "test strip", "test strip type"),
            values={
                "fentanyl": ("fent", "fts", "fentanyl strip", "fentanyl test strip", "fentanyl fts"),
                "xylazine": ("xyl", "xts", "xylazine strip", "xylazine test strip", "tranq"),
                "other": ("other strip", "benzo", "benzodiazepine", "nitazene"),
            },
        ),
        Column(
            "result",
            "enum",
            "What the strip showed. On fentanyl and xylazine strips one line means positive, two "
            "lines negative, and no control line invalid.",
            "positive",
            required=True,
            synonyms=("test result", "strip result", "outcome", "results"),
            values={
                "positive": ("pos", "+", "p", "detected", "one line", "1 line", "yes"),
                "negative": ("neg", "-", "n", "not detected", "two lines", "2 lines", "no"),
                "invalid": ("inv", "void", "error", "no control line", "inconclusive"),
            },
        ),
        Column(
            "sample_id",
            "id",
            "Optional: your number for the drug sample. Give the fentanyl and the xylazine strip "
            "of the same sample the same sample_id (same day and team) — that is how co-detection "
            "is counted — and it keeps two otherwise identical tests from being taken for a "
            "duplicate row.",
            "S-0142",
            synonyms=("sample", "sample no", "sample number", "sample code", "test id", "test number"),
            max_length=40,
        ),
    ),
)

_COUNT_DOC = "Blank means none recorded (counted as 0 in totals)."

OUTREACH = SourceSpec(
    source="outreach",
    label="Street-outreach logs",
    row_meaning="one row per team shift and location",
    table="staging.outreach",
    needs_location=True,
    columns=(
        Column(
            "date",
            "date",
            "Day of the shift: YYYY-MM-DD, MM/DD/YYYY or an Excel date.",
            "2026-03-14",
            required=True,
            synonyms=("shift date", "outreach date", "date of shift", "date of outreach", "day"),
        ),
        _TEAM,
        _HOTSPOT_ID,
        _LATITUDE,
        _LONGITUDE,
        _COMMUNITY_AREA,
        Column(
            "contacts",
            "count",
            f"People engaged at this location during the shift. {_COUNT_DOC}",
            "34",
            synonyms=(
                "people contacted", "contacts made", "total contacts", "encounters", "people reached",
                "engagements",
            ),
            max_value=2000,
        ),
        Column(
            "people_trained_naloxone",
            "count",
            f"People trained to use naloxone (Narcan). {_COUNT_DOC}",
            "9",
            synonyms=(
                "people trained", "naloxone trained", "narcan trained", "trained", "naloxone trainings",
                "people trained in naloxone", "trained naloxone",
            ),
            max_value=1000,
        ),
        Column(
            "naloxone_kits_distributed",
            "count",
            f"Naloxone kits handed out. {_COUNT_DOC}",
            "20",
            synonyms=(
                "naloxone kits", "narcan kits", "narcan kits distributed", "kits distributed",
                "naloxone distributed", "narcan distributed",
            ),
            max_value=2000,
        ),
        Column(
            "naloxone_administrations",
            "count",
            f"Times naloxone was given to reverse an overdose (reversals). {_COUNT_DOC}",
            "1",
            synonyms=(
                "reversals", "overdose reversals", "naloxone administered", "narcan administered",
                "narcan administrations", "narcan used", "saves",
            ),
            max_value=50,
        ),
        Column(
            "overdoses_responded",
            "count",
            f"Overdoses the team responded to. {_COUNT_DOC}",
            "1",
            synonyms=("overdoses", "overdose responses", "overdoses responded to", "ods", "ods responded"),
            max_value=50,
        ),
        Column(
            "warm_handoffs_moud",
            "count",
            f"Warm hand-offs to medication for opioid use disorder (buprenorphine, methadone, "
            f"naltrexone). {_COUNT_DOC}",
            "2",
            synonyms=("moud", "moud handoffs", "handoffs moud", "warm handoff moud", "mat", "mat referrals"),
            max_value=100,
        ),
        Column(
            "warm_handoffs_detox",
            "count",
            f"Warm hand-offs to detox / withdrawal management. {_COUNT_DOC}",
            "1",
            synonyms=("detox", "detox handoffs", "handoffs detox", "warm handoff detox"),
            max_value=100,
        ),
        Column(
            "warm_handoffs_mental_health",
            "count",
            f"Warm hand-offs to mental-health care. {_COUNT_DOC}",
            "0",
            synonyms=(
                "mental health", "mental health handoffs", "handoffs mental health", "mh", "mh handoffs",
                "warm handoff mental health",
            ),
            max_value=100,
        ),
        Column(
            "warm_handoffs_housing",
            "count",
            f"Warm hand-offs to housing services. {_COUNT_DOC}",
            "0",
            synonyms=("housing", "housing handoffs", "handoffs housing", "warm handoff housing"),
            max_value=100,
        ),
        Column(
            "warm_handoffs_medical",
            "count",
            f"Warm hand-offs to medical care (wound care, primary care, ER). {_COUNT_DOC}",
            "1",
            synonyms=("medical", "medical handoffs", "handoffs medical", "warm handoff medical"),
            max_value=100,
        ),
        Column(
            "test_strips_distributed",
            "count",
            f"Fentanyl/xylazine test strips handed out. {_COUNT_DOC}",
            "15",
            synonyms=(
                "test strips", "strips distributed", "test strips given", "fts distributed",
                "fentanyl test strips distributed",
            ),
            max_value=5000,
        ),
        Column(
            "deactivation_kits_distributed",
            "count",
            f"Drug deactivation / disposal kits handed out. {_COUNT_DOC}",
            "2",
            synonyms=(
                "deactivation kits", "drug deactivation kits", "disposal kits", "deterra", "deterra bags",
            ),
            max_value=2000,
        ),
    ),
)

HOTSPOTS = SourceSpec(
    source="hotspots",
    label="Outreach hot spots",
    row_meaning="one row per hot spot",
    table="staging.hotspots",
    needs_location=False,
    columns=(
        Column(
            "hotspot_id",
            "id",
            "Short unique id the test-strip and outreach files refer to (case does not matter).",
            "HS-01",
            required=True,
            synonyms=_HOTSPOT_ID.synonyms,
            max_length=40,
        ),
        Column(
            "name",
            "text",
            "A public place name, usually an intersection — never a person or a home address.",
            "Madison & Pulaski",
            synonyms=("hotspot name", "hot spot name", "site name", "location name", "spot name"),
            max_length=100,
        ),
        Column(
            "latitude",
            "latitude",
            _LATITUDE.description,
            _LATITUDE.example,
            required=True,
            synonyms=_LATITUDE.synonyms,
        ),
        Column(
            "longitude",
            "longitude",
            _LONGITUDE.description,
            _LONGITUDE.example,
            required=True,
            synonyms=_LONGITUDE.synonyms,
        ),
        Column(
            "community_area",
            "area",
            "Optional: filled in from the coordinates when blank; when given it must agree with them.",
            "West Garfield Park",
            synonyms=_COMMUNITY_AREA.synonyms,
        ),
        Column(
            "active",
            "bool",
            "Whether the team still works there. Blank counts as yes.",
            "yes",
            synonyms=("is active", "status", "in use", "current"),
            values={
                "yes": ("y", "true", "1", "active", "current", "open", "x"),
                "no": ("n", "false", "0", "inactive", "closed", "retired"),
            },
        ),
    ),
)

#: Every source, in the order they are ingested (hot spots first: the others refer to them).
SPECS: dict[str, SourceSpec] = {s.source: s for s in (HOTSPOTS, TEST_STRIPS, OUTREACH)}
SOURCES = tuple(SPECS)

#: Columns every staging table adds to the spec's (all derived; none carries personal data).
DERIVED_COLUMNS = ("community_area_number", "is_synthetic", "source_file", "source_row")
#: Further derived columns of the tables whose rows happen somewhere on some day.
EVENT_COLUMNS = ("month", "location_source")


def staging_columns(spec: SourceSpec) -> tuple[str, ...]:
    """The complete column list of a source's staging table (the PII check compares against it)."""
    extra = EVENT_COLUMNS if spec.needs_location else ()
    return (*spec.names, *extra, *DERIVED_COLUMNS)

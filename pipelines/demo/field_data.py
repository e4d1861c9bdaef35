"""Deterministic SYNTHETIC field data: a year of test-strip results and street-outreach logs.

Writes what coordinators would drop into the field-data folders — synthetic demo data, describing no
real test, shift or person — so the field-data pipeline, its quarantine and its marts have something
to show offline and in tests:

* ``ODW_RAW_DIR/hotspots/synthetic_demo_hotspots.csv`` — 18 West Side hot spots (intersections);
* ``ODW_RAW_DIR/test_strips/synthetic_demo_test_strips_YYYY-MM.<csv|xlsx>`` — one file per month;
* ``ODW_RAW_DIR/outreach/synthetic_demo_outreach_YYYY-MM.<csv|xlsx>`` — one file per month, plus
  ``synthetic_demo_outreach_late_entries.csv``, which carries a notes column and is refused whole.

Every file name starts with ``synthetic_demo_`` (the pipeline labels such data "synthetic demo
data"); re-running removes earlier ``synthetic_demo_`` files first and never touches other files.

The files are as messy as real ones, in three rotating styles: XLSX with the template's headers and
Excel date cells; UTF-8 CSV (with BOM) with other accepted headers and ISO dates; Windows-1252
semicolon CSV with US dates (some ISO), decimal-comma coordinates and a team name with accents.
A few rows are bad on purpose, one rule each (future date, typo'd community area, unknown hot spot,
missing result, duplicate row, positive longitude, unreadable result, negative / absurd / unreadable
count, missing team, impossible date), and one file has blank rows.

Model (synthetic, plausible for Chicago's West Side around 2025–26): five teams with their own hot
spots; each sample is tested with a fentanyl strip and, with a probability rising from 45 % to 75 %
over the year, also a xylazine strip. Fentanyl positivity by substance as sold: heroin/"dope" 93 %,
fentanyl 97 %, pills 35 %, crack/cocaine 15 %, meth 10 %, other 30 %, unknown 60 %; xylazine among
fentanyl-positive samples rising from 30 % to 45 %, 3 % otherwise; 2 % of strips invalid. Outreach
shifts: ~12 per team and month, 1–3 locations each, ~25 contacts per location, a quarter of them
trained in naloxone, occasional reversals and warm hand-offs.

Determinism: only ``numpy.random.default_rng(seed)``; same arguments → byte-identical files.

Command line::

    python -m pipelines.demo.field_data [--raw-dir DIR] [--end-month 2026-10] [--seed 20260314]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from openpyxl import Workbook

from pipelines.defs.field_data.schema import OUTREACH, SYNTHETIC_PREFIX, TEST_STRIPS
from pipelines.defs.field_data.writing import csv_bytes, workbook_bytes
from pipelines.demo.months import default_end_month, parse_month
from pipelines.settings import load_settings

DEFAULT_SEED = 20260314
MONTHS = 12

#: (hotspot_id, name, latitude, longitude, community area, active) — public intersections.
HOTSPOTS = (
    ("HS-01", "Madison & Pulaski", 41.88105, -87.72590, "West Garfield Park", True),
    ("HS-02", "Jackson & Kostner", 41.87710, -87.73550, "West Garfield Park", True),
    ("HS-03", "Chicago & Central", 41.89545, -87.76520, "Austin", True),
    ("HS-04", "North & Laramie", 41.90945, -87.75590, "Austin", True),
    ("HS-05", "Madison & Cicero", 41.88075, -87.74520, "Austin", True),
    ("HS-06", "Augusta & Cicero", 41.89890, -87.74540, "Austin", True),
    ("HS-07", "Division & Kedzie", 41.90300, -87.70720, "Humboldt Park", True),
    ("HS-08", "Chicago & Pulaski", 41.89555, -87.72600, "Humboldt Park", True),
    ("HS-09", "Roosevelt & Homan", 41.86630, -87.71130, "North Lawndale", False),
    ("HS-10", "16th & Pulaski", 41.85960, -87.72530, "North Lawndale", True),
    ("HS-11", "Ogden & Kostner", 41.85670, -87.73500, "North Lawndale", True),
    ("HS-12", "Lake & Kedzie", 41.88460, -87.70610, "East Garfield Park", True),
    ("HS-13", "Madison & Western", 41.88150, -87.68650, "Near West Side", True),
    ("HS-14", "26th & Kedzie", 41.84440, -87.70510, "South Lawndale", True),
    ("HS-15", "Cermak & Pulaski", 41.85200, -87.72500, "North Lawndale", True),
    ("HS-16", "Chicago & Damen", 41.89620, -87.67680, "West Town", True),
    ("HS-17", "18th & Ashland", 41.85770, -87.66640, "Lower West Side", True),
    ("HS-18", "Cermak & Kedzie", 41.85180, -87.70550, "South Lawndale", True),
)


@dataclass(frozen=True)
class Team:
    """A synthetic outreach team: its name, sample-id prefix and the hot spots it works."""

    name: str
    code: str
    hotspots: tuple[str, ...]


TEAMS = (
    Team("Austin Team", "AUS", ("HS-03", "HS-04", "HS-05", "HS-06")),
    Team("Garfield Park Team", "GPK", ("HS-01", "HS-02", "HS-12", "HS-13")),
    Team("Lawndale Team", "LAW", ("HS-09", "HS-10", "HS-11", "HS-15")),
    Team("Equipo La Villita – Pilsen", "VIL", ("HS-14", "HS-17", "HS-18")),
    Team("Mobile Van", "VAN", ("HS-07", "HS-08", "HS-16", "HS-01")),
)

SUBSTANCES = ("heroin", "fentanyl", "crack/cocaine", "pills", "meth", "other", "unknown")
SUBSTANCE_WEIGHTS = (0.48, 0.10, 0.20, 0.08, 0.05, 0.03, 0.06)
FENTANYL_POSITIVE = {"heroin": 0.93, "fentanyl": 0.97, "crack/cocaine": 0.15, "pills": 0.35,
                     "meth": 0.10, "other": 0.30, "unknown": 0.60}
# How coordinators write the same thing in the free-typed (CSV) styles.
SPELLINGS = {
    "heroin": ("heroin", "dope", "Dope", "heroin/dope", "Heroin"),
    "fentanyl": ("fentanyl", "fent", "Fentanyl"),
    "crack/cocaine": ("crack/cocaine", "crack", "Crack", "cocaine", "coke"),
    "pills": ("pills", "pressed pill", "Pills", "percs"),
    "meth": ("meth", "Meth", "crystal"),
    "other": ("other", "Other"),
    "unknown": ("unknown", "", "unk", "Unknown"),
    "positive": ("positive", "pos", "Positive", "+", "POS"),
    "negative": ("negative", "neg", "Negative", "-", "NEG"),
    "invalid": ("invalid", "Invalid", "inv"),
    "fentanyl_strip": ("fentanyl", "FTS", "fent"),
    "xylazine_strip": ("xylazine", "XTS", "xyl"),
}

TEST_STRIP_HEADERS = {
    "xlsx": TEST_STRIPS.names,
    "utf8": ("Date", "Team", "Hot spot", "Lat", "Lon", "Area", "Sold as", "Strip", "Result", "Sample #"),
    "ansi": ("Test date", "Team name", "Hotspot ID", "Latitude", "Longitude", "Community area",
             "Substance", "Test type", "Test result", "Sample number"),
}
OUTREACH_HEADERS = {
    "xlsx": OUTREACH.names,
    "utf8": ("Date", "Team", "Hot spot", "Lat", "Lon", "Area", "People contacted", "Narcan trained",
             "Narcan kits", "Reversals", "Overdoses", "MOUD", "Detox", "Mental health", "Housing",
             "Medical", "Test strips", "Deactivation kits"),
    "ansi": ("Shift date", "Outreach team", "Site code", "GPS lat", "GPS lon", "Neighborhood",
             "Contacts made", "People trained", "Kits distributed", "Naloxone administered",
             "Overdose responses", "MOUD handoffs", "Detox handoffs", "MH handoffs", "Housing handoffs",
             "Medical handoffs", "Strips distributed", "Deterra bags"),
}
STYLES = ("xlsx", "utf8", "ansi")
_HOTSPOT_BY_ID = {h[0]: h for h in HOTSPOTS}


def demo_months(end_month: date | None = None) -> list[date]:
    """The first days of the :data:`MONTHS` months ending with ``end_month`` (default: last month)."""
    end = end_month or default_end_month()
    months = []
    year, month = end.year, end.month
    for _ in range(MONTHS):
        months.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months[::-1]


def _days_in(month: date) -> list[date]:
    nxt = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return [month + timedelta(days=i) for i in range((nxt - month).days)]


def _pick(rng: np.random.Generator, options: Sequence[str]) -> str:
    return options[int(rng.integers(len(options)))]


def _location(rng: np.random.Generator, team: Team, month_index: int) -> dict:
    """Where a test or shift happened: mostly a hot spot id, sometimes GPS or a community area."""
    spots = [h for h in team.hotspots if _HOTSPOT_BY_ID[h][5] or month_index < MONTHS // 2]
    spot = _HOTSPOT_BY_ID[_pick(rng, spots)]
    kind = rng.choice(3, p=(0.78, 0.14, 0.08))
    if kind == 0:
        return {"hotspot_id": spot[0] if rng.random() < 0.85 else spot[0].lower()}
    if kind == 1:
        # GPS readings within ~100 m of the corner; no area named, so a reading across the street
        # from an area boundary is simply placed where it fell.
        return {"latitude": round(spot[2] + rng.normal(0, 0.0006), 5),
                "longitude": round(spot[3] + rng.normal(0, 0.0008), 5)}
    return {"community_area": _pick(rng, (spot[4], spot[4].upper(), spot[4].lower()))}


def _weekday(rng: np.random.Generator, month: date) -> date:
    days = [d for d in _days_in(month) if d.weekday() < 5 or rng.random() < 0.3]
    return days[int(rng.integers(len(days)))]


def generate_test_strips(rng: np.random.Generator, months: list[date], scale: float = 1.0) -> list[list[dict]]:
    """Per month, one dict per strip with canonical values (location keys as in :func:`_location`).

    ``scale`` multiplies the expected number of samples per team and month (benchmarks).
    """
    per_month = []
    for index, month in enumerate(months):
        progress = index / max(1, len(months) - 1)
        xylazine_tested = 0.45 + 0.30 * progress
        xylazine_given_fentanyl = 0.30 + 0.15 * progress
        rows: list[dict] = []
        for team in TEAMS:
            for n in range(int(rng.poisson(16 * scale))):
                day = _weekday(rng, month)
                where = _location(rng, team, index)
                substance = SUBSTANCES[int(rng.choice(len(SUBSTANCES), p=SUBSTANCE_WEIGHTS))]
                fentanyl = rng.random() < FENTANYL_POSITIVE[substance]
                xylazine = rng.random() < (xylazine_given_fentanyl if fentanyl else 0.03)
                sample = f"{team.code}-{month:%y%m}-{n + 1:03d}"
                strips = [("fentanyl", fentanyl)]
                if rng.random() < xylazine_tested:
                    strips.append(("xylazine", xylazine))
                for strip, positive in strips:
                    result = "invalid" if rng.random() < 0.02 else ("positive" if positive else "negative")
                    rows.append({"tested_on": day, "team": team.name, **where, "substance_as_sold": substance,
                                 "strip_type": strip, "result": result, "sample_id": sample})
        rows.sort(key=lambda r: (r["tested_on"], r["team"], r["sample_id"], r["strip_type"]))
        per_month.append(rows)
    return per_month


def generate_outreach(rng: np.random.Generator, months: list[date], scale: float = 1.0) -> list[list[dict]]:
    """Per month, one dict per team shift and location with every count.

    ``scale`` multiplies the expected number of shifts per team and month (benchmarks). At the
    default a team works each drawn day once; scaled up, a day can carry several shifts, since a
    month has too few days to hold a hundred times the shifts.
    """
    per_month = []
    for index, month in enumerate(months):
        rows: list[dict] = []
        for team in TEAMS:
            drawn = [_weekday(rng, month) for _ in range(int(rng.poisson(12 * scale)))]
            days = sorted(set(drawn)) if scale == 1 else sorted(drawn)
            for day in days:
                for _ in range(1 + int(rng.choice(3, p=(0.35, 0.45, 0.20)))):
                    contacts = int(rng.poisson(25))
                    trained = int(rng.binomial(contacts, 0.25))
                    reversals = int(rng.poisson(0.12))
                    rows.append({
                        "date": day, "team": team.name, **_location(rng, team, index),
                        "contacts": contacts,
                        "people_trained_naloxone": trained,
                        "naloxone_kits_distributed": trained + int(rng.poisson(8)),
                        "naloxone_administrations": reversals,
                        "overdoses_responded": reversals + int(rng.poisson(0.05)),
                        "warm_handoffs_moud": int(rng.poisson(0.6)),
                        "warm_handoffs_detox": int(rng.poisson(0.35)),
                        "warm_handoffs_mental_health": int(rng.poisson(0.3)),
                        "warm_handoffs_housing": int(rng.poisson(0.3)),
                        "warm_handoffs_medical": int(rng.poisson(0.4)),
                        "test_strips_distributed": int(rng.poisson(14)),
                        # Left blank on some rows, as coordinators do when they gave none out.
                        "deactivation_kits_distributed": int(rng.poisson(2)) if rng.random() < 0.8 else None,
                    })
        rows.sort(key=lambda r: (r["date"], r["team"]))
        per_month.append(rows)
    return per_month


def _bad_test_strips(per_month: list[list[dict]], months: list[date]) -> None:
    """Append one bad row per rule to a few months (deterministic, documented in the module doc)."""
    def base(i: int) -> dict:
        return dict(per_month[i][0])

    def put(i: int, row: dict) -> None:
        per_month[i].append(row)

    row = base(3)
    year = str(months[3].year)
    row["tested_on"] = f"{year[:2]}{year[3]}{year[2]}-{months[3].month:02d}-14"  # 2026 typed as 2062
    put(3, row)
    row = {k: v for k, v in base(2).items() if k not in ("hotspot_id", "latitude", "longitude")}
    row["community_area"] = "Austn"
    put(2, row)
    row = {k: v for k, v in base(4).items() if k not in ("latitude", "longitude", "community_area")}
    row["hotspot_id"] = "HS-99"
    put(4, row)
    row = base(5)
    row["result"] = None
    row["sample_id"] = None
    put(5, row)
    put(7, dict(per_month[7][3]))  # the same strip entered twice
    row = {k: v for k, v in base(8).items() if k not in ("hotspot_id", "community_area")}
    row["latitude"], row["longitude"], row["sample_id"] = 41.87990, 87.72710, None
    put(8, row)
    row = base(10)
    row["result"], row["sample_id"] = "pos?", None
    put(10, row)


def _bad_outreach(per_month: list[list[dict]], months: list[date]) -> None:
    for i, change in ((0, {"contacts": "-3"}), (3, {"contacts": "25000"}), (6, {"naloxone_kits_distributed": "lots"}),
                      (9, {"team": None}), (11, {"date": f"13/45/{months[11].year}"})):
        row = dict(per_month[i][0])
        row.update(change)
        per_month[i].append(row)


def _cell(value: object, column: str, style: str, rng: np.random.Generator) -> object:
    """How one value is written in a style (XLSX keeps types; CSVs are free text)."""
    if value is None:
        return None if style == "xlsx" else ""
    if isinstance(value, date):
        if style == "xlsx":
            return value
        if style == "ansi" and rng.random() < 0.8:
            return f"{value.month}/{value.day}/{value.year}"
        return value.isoformat()
    if isinstance(value, float):
        if style == "xlsx":
            return value
        text = f"{value:.5f}"
        return text.replace(".", ",") if style == "ansi" else text
    if style == "xlsx" or not isinstance(value, str):
        return value
    if column == "substance_as_sold":
        return _pick(rng, SPELLINGS[value])
    if column == "result" and value in SPELLINGS:
        return _pick(rng, SPELLINGS[value])
    if column == "strip_type":
        return _pick(rng, SPELLINGS[f"{value}_strip"])
    return value


def _render(rows: list[dict], names: Sequence[str], headers: Sequence[str], style: str,
            rng: np.random.Generator) -> list[list[object]]:
    body = [[_cell(row.get(name), name, style, rng) for name in names] for row in rows]
    return [list(headers), *body]


def _file_bytes(table: list[list[object]], style: str, title: str) -> bytes:
    if style == "xlsx":
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = title
        for row in table:
            sheet.append(row)
        for cell in sheet["A"][1:]:
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
        return workbook_bytes(workbook)
    if style == "utf8":
        return csv_bytes(table)
    return csv_bytes(table, delimiter=";", encoding="cp1252")


def _write(path: Path, content: bytes) -> None:
    # Written aside and moved into place, so a sensor never hashes a half-written file.
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _clear(folder: Path) -> None:
    if folder.is_dir():
        for path in folder.glob(f"{SYNTHETIC_PREFIX}*"):
            if path.is_file():
                path.unlink()


def write_field_demo(
    raw_dir: Path, *, end_month: date | None = None, seed: int = DEFAULT_SEED, scale: float = 1.0
) -> dict[str, int]:
    """Write the synthetic field-data files under ``raw_dir``; return data rows written per source.

    Earlier ``synthetic_demo_*`` files in the three folders are removed first; other files are
    left alone. Equal arguments give byte-identical files. ``scale`` multiplies the test-strip
    and outreach volume (the hot-spot list and the deliberately bad rows stay as they are).
    """
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale}")
    rng = np.random.default_rng(seed)
    months = demo_months(end_month)
    for source in ("hotspots", "test_strips", "outreach"):
        _clear(raw_dir / source)
    counts = {"hotspots": len(HOTSPOTS), "test_strips": 0, "outreach": 0}

    hotspot_rows = [["hotspot_id", "name", "latitude", "longitude", "community_area", "active"]]
    hotspot_rows += [[h[0], h[1], f"{h[2]:.5f}", f"{h[3]:.5f}", h[4], "yes" if h[5] else "no"] for h in HOTSPOTS]
    _write(raw_dir / "hotspots" / f"{SYNTHETIC_PREFIX}hotspots.csv", csv_bytes(hotspot_rows))

    strips = generate_test_strips(rng, months, scale)
    shifts = generate_outreach(rng, months, scale)
    _bad_test_strips(strips, months)
    _bad_outreach(shifts, months)
    for index, month in enumerate(months):
        style = STYLES[index % len(STYLES)]
        extension = "xlsx" if style == "xlsx" else "csv"
        table = _render(strips[index], TEST_STRIPS.names, TEST_STRIP_HEADERS[style], style, rng)
        if index == 2:
            table.insert(5, [""] * len(table[0]))  # a blank row, skipped on ingest
        _write(raw_dir / "test_strips" / f"{SYNTHETIC_PREFIX}test_strips_{month:%Y-%m}.{extension}",
               _file_bytes(table, style, "Test strips"))
        counts["test_strips"] += len(strips[index])
        table = _render(shifts[index], OUTREACH.names, OUTREACH_HEADERS[style], style, rng)
        _write(raw_dir / "outreach" / f"{SYNTHETIC_PREFIX}outreach_{month:%Y-%m}.{extension}",
               _file_bytes(table, style, "Outreach log"))
        counts["outreach"] += len(shifts[index])

    # Late entries with a free-text notes column: refused whole by the PII guard.
    late = [dict(r) for r in shifts[-1][:3]]
    notes = ("quiet shift, rain", "handed out kits at the bus stop", "follow up next week")
    table = _render(late, OUTREACH.names, OUTREACH_HEADERS["utf8"], "utf8", rng)
    table[0].append("Notes")
    for row, note in zip(table[1:], notes, strict=True):
        row.append(note)
    _write(raw_dir / "outreach" / f"{SYNTHETIC_PREFIX}outreach_late_entries.csv", csv_bytes(table))
    counts["outreach"] += len(late)
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: write the synthetic field-data files and report the counts."""
    settings = load_settings()
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.demo.field_data",
        description="Write a year of SYNTHETIC test-strip, outreach and hot-spot files (deterministic).",
    )
    parser.add_argument("--raw-dir", type=Path, default=settings.raw_dir, help="default: ODW_RAW_DIR")
    parser.add_argument("--end-month", type=parse_month, default=settings.demo_end_month,
                        help="last month, YYYY-MM (default: ODW_DEMO_END_MONTH or last month)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiplies the test-strip and outreach volume (default 1)")
    args = parser.parse_args(argv)
    counts = write_field_demo(args.raw_dir, end_month=args.end_month, seed=args.seed, scale=args.scale)
    print(
        "wrote synthetic demo data under "
        f"{args.raw_dir}: {counts['hotspots']} hot spots, {counts['test_strips']} test-strip rows, "
        f"{counts['outreach']} outreach rows",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

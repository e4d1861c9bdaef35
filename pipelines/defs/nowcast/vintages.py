"""Vintages: when each case first appeared in the pulls as an overdose death, and with which drugs.

Every pull is kept as an immutable snapshot (``medical_examiner/snapshots.py``), so the count known
at any past pull can be recovered: all page files of all snapshots are read at once (DuckDB
``read_json``), the case definition is applied to each distinct cause combination once
(:func:`~pipelines.defs.epidemiology.classify.classify_cases`, as staging does), and window
functions keep, per case, the versions whose counted state changed (``sql/nowcast/me_vintages.sql``).

Seeding from ``:created_at``. The portal dates each row's creation. Where those dates are genuine
the first pull's versions are dated from their ``:updated_at`` (each has read so since then), which
gives history from before the first pull. A portal that re-created every row at one moment (a full
replace) makes the dates worthless: :func:`seeding_mode` detects it, and history then starts with
the first pull.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb

from pipelines.defs.epidemiology.classify import OUTPUT_COLUMNS, classify_cases
from pipelines.defs.medical_examiner.snapshots import Snapshot
from pipelines.defs.medical_examiner.staging import CAUSE_KEY
from pipelines.warehouse import query_sql_file, run_sql_file

#: A full replace re-creates rows at one moment: this share of rows sharing one minute betrays it.
REPLACE_SHARE = 0.5
#: Rows that died this long before the first pull but were "created" after it betray one too.
OLD_DEATH = timedelta(days=365)


@dataclass(frozen=True)
class Seeding:
    """Whether history is seeded from ``:created_at`` and why (shown on the Data quality page)."""

    usable: bool
    reason: str

    @property
    def mode(self) -> str:
        """``created_at`` (history before the first pull) or ``first_pull`` (history starts there)."""
        return "created_at" if self.usable else "first_pull"


def seeding_mode(created_at: list[datetime | None], death_date: list[datetime | None],
                 first_pull: datetime | None) -> Seeding:
    """Judge whether the first pull's ``:created_at`` dates can seed history (pure).

    Not usable when the pull is empty, when a tenth of the rows lack the field, when half of the
    rows share one creation minute (a full replace), or when most of the rows that died more than
    a year before the first pull were created within a year before it or later (re-created).
    """
    if first_pull is None or not created_at:
        return Seeding(False, "no pulls yet")
    present = [c for c in created_at if c is not None]
    if len(present) < 0.9 * len(created_at):
        return Seeding(False, "the first pull lacks :created_at on many rows")
    minutes: dict[datetime, int] = {}
    for c in present:
        key = c.replace(second=0, microsecond=0)
        minutes[key] = minutes.get(key, 0) + 1
    top = max(minutes.values())
    if top >= REPLACE_SHARE * len(present):
        return Seeding(False, f"{top / len(present):.0%} of the rows share one :created_at minute "
                              "(the dataset was re-created by a full replace)")
    old = [(c, d) for c, d in zip(created_at, death_date)
           if c is not None and d is not None and d < first_pull - OLD_DEATH]
    late = sum(1 for c, _ in old if c >= first_pull - OLD_DEATH)
    if old and late > 0.5 * len(old):
        return Seeding(False, f"{late / len(old):.0%} of the older deaths were created in the last year "
                              "before the first pull (re-created rows)")
    return Seeding(True, ":created_at dates are spread out and follow the deaths")


def page_files(snapshots: list[Snapshot]) -> tuple[list[str], list[datetime], list[bool]]:
    """Every page file of ``snapshots`` with its pull's time (UTC, naive) and whether it was full."""
    files, pulled, full = [], [], []
    for snapshot in snapshots:
        at = datetime.fromisoformat(snapshot.manifest["pulled_at"]).replace(tzinfo=None)
        for path in snapshot.page_files:
            files.append(str(path))
            pulled.append(at)
            full.append(snapshot.mode == "full")
    return files, pulled, full


def build_vintages(con: duckdb.DuckDBPyConnection, snapshots: list[Snapshot]) -> Seeding:
    """Write ``staging.me_vintages`` from ``snapshots`` (needs ``staging.me_cases``); return the seeding.

    With no snapshots (the demo file alone) the table is created empty.
    """
    files, pulled, full = page_files(snapshots)
    if not files:
        _empty_vintages(con)
        return Seeding(False, "no pulls yet")
    run_sql_file(con, "nowcast/me_pull_rows.sql", {"files": files, "file_pulled_at": pulled, "file_full": full})
    first = min(pulled)
    sample = con.execute(
        "SELECT created_at, death_date FROM nowcast_pull_rows WHERE pulled_at = $first", {"first": first}
    ).fetchall()
    seeding = seeding_mode([r[0] for r in sample], [r[1] for r in sample], first)
    causes = query_sql_file(con, "nowcast/cause_combinations.sql").pl()
    if set(causes.columns) != {"cause_key", *CAUSE_KEY}:
        raise RuntimeError("sql/nowcast/cause_combinations.sql must select cause_key and CAUSE_KEY")
    classified = classify_cases(causes).select("cause_key", *OUTPUT_COLUMNS)
    con.register("nowcast_causes_frame", classified)
    con.execute("CREATE OR REPLACE TEMP TABLE nowcast_causes AS SELECT * FROM nowcast_causes_frame")
    con.unregister("nowcast_causes_frame")
    run_sql_file(con, "nowcast/me_vintages.sql", {"seed": seeding.usable})
    con.execute("DROP TABLE IF EXISTS nowcast_states")
    con.execute("DROP TABLE IF EXISTS nowcast_pull_rows")
    con.execute("DROP TABLE IF EXISTS nowcast_causes")
    con.execute("DROP TABLE IF EXISTS nowcast_pages")
    return seeding


def _empty_vintages(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "CREATE OR REPLACE TABLE staging.me_vintages (casenumber VARCHAR, death_month DATE, "
        "community_area_number INTEGER, municipality VARCHAR, in_chicago BOOLEAN, valid_from TIMESTAMP, "
        "valid_to TIMESTAMP, first_pull_at TIMESTAMP, is_overdose BOOLEAN, is_pending BOOLEAN, "
        "fentanyl BOOLEAN, heroin BOOLEAN, rx_opioid BOOLEAN, nitazene BOOLEAN, any_opioid BOOLEAN, "
        "xylazine BOOLEAN, cocaine BOOLEAN, methamphetamine BOOLEAN, benzodiazepine BOOLEAN, "
        "ethanol BOOLEAN, opioid_stimulant BOOLEAN)"
    )

"""The benchmark's reference point: the same transforms written the straightforward pandas way.

``make bench`` compares the pipeline's staging transforms with this module, each in its own
process (so each has its own peak memory):

* **pipeline** — what the pipeline runs, on a copy of the warehouse:
  :func:`~pipelines.defs.medical_examiner.staging.stage_cases_in_warehouse` (typing in DuckDB; the
  case definition, demographics and point-in-polygon once per distinct input; placement in SQL)
  and ``sql/marts/me_monthly_by_area.sql``. It starts from ``raw.me_records``, so its time
  includes the typing that the pandas side is given ready-made.
* **pandas** — from the typed cases (``sql/staging/me_cases_typed.sql``), the same case definition
  from the same dictionary (``drug_terms.csv``, the same regular expressions), written as one would
  in pandas: every cause field of every row goes through ``Series.str.replace`` /
  ``Series.str.contains``, drug classes are found with one ``str.contains`` per drug term, the
  placement is a GeoPandas spatial join, the monthly mart a ``groupby``. No work is shared across
  repeated texts — that is the difference measured. It is a second implementation on purpose, a
  benchmark's comparator: :mod:`bench.run_bench` asserts both marts are equal before it reports a
  speed ratio.

Both write the monthly mart (month × community area: overdose, opioid and fentanyl deaths, all
cases).

Command line (used by ``bench/run_bench.py``)::

    python bench/pandas_baseline.py --engine pandas --typed typed.parquet --areas areas.parquet \
        --out mart.parquet --json result.json
    python bench/pandas_baseline.py --engine pipeline --warehouse copy.duckdb \
        --out mart.parquet --json result.json
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

#: Columns of the monthly mart both engines produce, in order.
MART_COLUMNS = ("month", "community_area_number", "overdose_deaths", "opioid_deaths",
                "fentanyl_deaths", "all_me_cases")


def _python_regex(pattern: str) -> str:
    """A pipeline regex (Rust ``regex`` syntax) in Python ``re`` syntax.

    The only construct the dictionary's regexes use that ``re`` lacks is the ASCII word boundary
    ``(?-u:\\b)``; the texts are upper-cased ASCII by then, so ``\\b`` means the same.
    """
    return pattern.replace(r"(?-u:\b)", r"\b")


def _field_roles_pandas(series, vocab, drug_terms):
    """Roles of one cause field for every row (pandas, row by row through ``.str``)."""
    import pandas as pd

    from pipelines.defs.epidemiology import classify as c
    from pipelines.defs.epidemiology.cause_text import DELIMITER_RUN, JUNK_RUN

    clauses = series.str.upper().str.replace(JUNK_RUN, " ", regex=True)
    normal = clauses.str.replace(DELIMITER_RUN, " ", regex=True).str.strip()
    normal = normal.where(normal != "")
    candidate = normal.str.contains(_python_regex(vocab.candidate_re), regex=True).fillna(False).astype(bool)
    text = clauses.where(candidate)
    text = (
        text.str.replace(_python_regex(vocab.clause_re), " ", regex=True)
        .str.replace(_python_regex(vocab.nondrug_re), c.NONDRUG_MASK, regex=True)
        .str.replace(DELIMITER_RUN, " ", regex=True)
        .str.replace(_python_regex(vocab.use_re), " ", regex=True)
    )

    def contains(pattern: str) -> pd.Series:
        return text.str.contains(_python_regex(pattern), regex=True).fillna(False).astype(bool)

    toxicity = contains(vocab.toxicity_re)
    named = contains(vocab.drug_re)
    nonethanol = contains(vocab.nonethanol_re)
    generic = contains(vocab.generic_re)
    only_drugs = named & contains(vocab.only_drugs_re)
    drug_toxicity = (toxicity & (nonethanol | generic)) | (only_drugs & nonethanol)
    context = toxicity | only_drugs
    ethanol_only = context & named & ~drug_toxicity
    # One str.contains per drug term, OR-ed into its class.
    classes: dict[str, pd.Series] = {}
    for pattern, drug_class in drug_terms:
        hit = contains(rf"\b(?:{pattern})\b")
        classes[drug_class] = hit if drug_class not in classes else classes[drug_class] | hit
    return {"drug_toxicity": drug_toxicity, "context": context, "ethanol_only": ethanol_only,
            "classes": classes}


def pandas_monthly_mart(typed, areas):
    """The monthly mart from typed cases, the straightforward pandas way (returns a pandas frame)."""
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import shapely

    from pipelines.defs.epidemiology import classify as c
    from pipelines.defs.epidemiology.drug_dictionary import DrugVocabulary, load_drug_terms

    cases = typed[typed["reject_reason"].isna()].reset_index(drop=True)
    vocab = DrugVocabulary.build(load_drug_terms())
    drug_terms = list(vocab.drugs.select("pattern", "drug_class").iter_rows())
    roles = {f: _field_roles_pandas(cases[f].astype("object"), vocab, drug_terms) for f in c.CAUSE_FIELDS}
    false = pd.Series(False, index=cases.index)
    primary_drug, primary_ethanol = false.copy(), false.copy()
    for f in c.PRIMARY_FIELDS:
        primary_drug |= roles[f]["drug_toxicity"]
        primary_ethanol |= roles[f]["ethanol_only"]
    is_overdose = primary_drug | (primary_ethanol & roles[c.SECONDARY_FIELD]["drug_toxicity"])
    fentanyl, any_opioid = false.copy(), false.copy()
    for f in c.CAUSE_FIELDS:
        involved = is_overdose & roles[f]["context"]
        field_classes = roles[f]["classes"]
        fentanyl |= involved & field_classes.get("fentanyl", false)
        for opioid_class in c.OPIOID_CLASSES:
            any_opioid |= involved & field_classes.get(opioid_class, false)

    # Placement: the archive's community area wins, else a point-in-polygon join (the typed rows
    # say which coordinates are valid).
    lookup = cases[cases["commarea_from_archive"].isna() & cases["coordinates_valid"]]
    polygons = gpd.GeoDataFrame(
        {"community_area_number": areas["community_area_number"].to_numpy()},
        geometry=shapely.from_wkt(areas["geometry_wkt"].to_numpy()),
        crs="EPSG:4326",
    )
    points = gpd.GeoDataFrame(
        {"row": lookup.index.to_numpy()},
        geometry=gpd.points_from_xy(lookup["longitude"], lookup["latitude"]),
        crs="EPSG:4326",
    )
    joined = gpd.sjoin(points, polygons, how="inner", predicate="within")
    found = joined.groupby("row")["community_area_number"].min()
    area = cases["commarea_from_archive"].astype("float64")
    area = area.fillna(pd.Series(found, dtype="float64").reindex(cases.index))

    frame = pd.DataFrame({
        "month": cases["death_date"].dt.to_period("M").dt.to_timestamp().dt.date,
        "community_area_number": area,
        "overdose_deaths": is_overdose.astype(np.int64),
        "opioid_deaths": (is_overdose & any_opioid).astype(np.int64),
        "fentanyl_deaths": (is_overdose & fentanyl).astype(np.int64),
        "all_me_cases": np.ones(len(cases), dtype=np.int64),
    })
    frame = frame[frame["community_area_number"].notna()]
    mart = frame.groupby(["month", "community_area_number"], as_index=False).sum()
    mart["community_area_number"] = mart["community_area_number"].astype("int32")
    return mart.sort_values(["month", "community_area_number"]).reset_index(drop=True)


def pipeline_monthly_mart(con) -> pl.DataFrame:
    """The monthly mart as the pipeline builds it, on ``con`` (a warehouse holding ``raw.me_records``,
    ``staging.community_areas`` and ``staging.me_geocodes``): ``staging.me_cases`` rebuilt by
    ``stage_cases_in_warehouse``, then ``marts/me_monthly_by_area.sql``. Its rows with cases."""
    from pipelines.defs.marts.regions import region_params
    from pipelines.defs.medical_examiner.staging import MIN_DEATH_DATE, stage_cases_in_warehouse
    from pipelines.settings import load_settings
    from pipelines.warehouse import run_sql_file

    now = datetime.now(UTC).replace(tzinfo=None)
    stage_cases_in_warehouse(
        con, min_death_date=MIN_DEATH_DATE, max_death_date=now + timedelta(days=1), now=now, source="medical_examiner"
    )
    run_sql_file(con, "marts/me_monthly_by_area.sql", region_params(load_settings()))
    return con.sql(f"SELECT {', '.join(MART_COLUMNS)} FROM marts.me_monthly_by_area WHERE all_me_cases > 0").pl()


def normalise_mart(frame: pl.DataFrame) -> pl.DataFrame:
    """A mart in one comparable shape: the columns of :data:`MART_COLUMNS`, typed, sorted."""
    return frame.select(
        pl.col("month").cast(pl.Date),
        pl.col("community_area_number").cast(pl.Int32),
        *(pl.col(c).cast(pl.Int64) for c in MART_COLUMNS[2:]),
    ).sort("month", "community_area_number")


def peak_rss_mib() -> float:
    """This process's peak resident set size in MiB (Linux reports ``ru_maxrss`` in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(engine: str, out: Path, *, typed_path: Path | None = None, areas_path: Path | None = None,
        warehouse: Path | None = None) -> dict:
    """Run one engine; write its mart to ``out``; return its rows, timings and memory.

    ``pandas`` reads ``typed_path`` and ``areas_path``; ``pipeline`` works in ``warehouse`` (a copy:
    it rewrites ``staging.me_cases`` and the marts there).
    """
    # Imports happen before the clock starts: both engines pay the same library start-up.
    import duckdb
    import geopandas  # noqa: F401
    import pandas  # noqa: F401

    import pipelines.defs.medical_examiner.staging  # noqa: F401
    if engine == "pandas":
        import pandas as pd

        started = time.perf_counter()
        typed = pd.read_parquet(typed_path)
        areas = pd.read_parquet(areas_path)
        loaded = time.perf_counter()
        mart = pl.from_pandas(pandas_monthly_mart(typed, areas))
        rows = typed.shape[0]
    elif engine == "pipeline":
        with duckdb.connect(str(warehouse)) as con:
            rows = con.execute("SELECT count(*) FROM raw.me_records").fetchall()[0][0]
            started = loaded = time.perf_counter()
            mart = pipeline_monthly_mart(con)
    else:
        raise ValueError(f"engine must be pandas or pipeline, got {engine!r}")
    finished = time.perf_counter()
    normalise_mart(mart).write_parquet(out)
    return {
        "engine": engine,
        "rows": rows,
        "read_s": loaded - started,
        "transform_s": finished - loaded,
        "peak_rss_mib": peak_rss_mib(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python bench/pandas_baseline.py", description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("pandas", "pipeline"), required=True)
    parser.add_argument("--typed", type=Path, help="typed cases (parquet), for pandas")
    parser.add_argument("--areas", type=Path, help="community areas (parquet), for pandas")
    parser.add_argument("--warehouse", type=Path, help="a copy of the warehouse, for the pipeline")
    parser.add_argument("--out", type=Path, required=True, help="where to write the monthly mart")
    parser.add_argument("--json", type=Path, required=True, help="where to write timings")
    args = parser.parse_args(argv)
    if args.engine == "pandas" and not (args.typed and args.areas):
        parser.error("--engine pandas needs --typed and --areas")
    if args.engine == "pipeline" and not args.warehouse:
        parser.error("--engine pipeline needs --warehouse")
    result = run(args.engine, args.out, typed_path=args.typed, areas_path=args.areas, warehouse=args.warehouse)
    args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    raise SystemExit(main())

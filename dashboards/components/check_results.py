"""The asset checks' latest results for the Data quality page.

:func:`read_check_results` is the one reader of Dagster's run history (``settings.dagster_home``),
which the page calls read-only; the rest shapes its results into the status table (pure).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from dashboards.components.quality import OUTCOME_ORDER


@dataclass(frozen=True)
class CheckResult:
    """The latest execution of one asset check, as plain values (cacheable, testable)."""

    asset: str
    check_name: str
    outcome: str  # "passed" | "failed" | "did not run" | "running"
    severity: str | None  # "ERROR" | "WARN" for an evaluated check
    evaluated_at: datetime | None  # UTC, naive
    run_id: str
    description: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckHistory:
    """What Dagster's run history says about the checks; ``message`` explains an absent history."""

    available: bool
    results: dict[tuple[str, str], CheckResult]
    message: str = ""


def format_metadata_value(value: object) -> str:
    """A check's metadata value as short text: thousands separators, shares to 4 digits, JSON."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.1f}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)


def check_status_table(catalogue: pl.DataFrame, history: CheckHistory) -> pl.DataFrame:
    """Every check of the catalogue (``marts.asset_checks``) with its latest result, most urgent
    first: failed ERROR, failed WARN, did not run, running, no result, passed.

    Columns: outcome, severity, asset, check_name, blocking, description, evaluated_at, details
    (the result's own description and metadata as ``key: value`` text), run_id.
    """
    rows = []
    for entry in catalogue.iter_rows(named=True):
        result = history.results.get((entry["asset"], entry["check_name"]))
        details = ""
        if result is not None:
            pieces = ([result.description] if result.description else []) + [
                f"{k}: {v}" for k, v in result.metadata.items()
            ]
            details = "; ".join(pieces)
        rows.append(
            {
                "outcome": result.outcome if result else "no result",
                "severity": result.severity if result and result.outcome == "failed" else None,
                "asset": entry["asset"],
                "check_name": entry["check_name"],
                "blocking": entry["blocking"],
                "description": entry["description"],
                "evaluated_at": result.evaluated_at if result else None,
                "details": details,
                "run_id": result.run_id if result else None,
            }
        )
    schema = {
        "outcome": pl.String, "severity": pl.String, "asset": pl.String, "check_name": pl.String,
        "blocking": pl.Boolean, "description": pl.String, "evaluated_at": pl.Datetime("us"),
        "details": pl.String, "run_id": pl.String,
    }  # fmt: skip
    frame = pl.DataFrame(rows, schema=schema)
    rank = pl.col("outcome").replace_strict(
        {o: i for i, o in enumerate(OUTCOME_ORDER)}, default=len(OUTCOME_ORDER), return_dtype=pl.Int32
    )
    warn_last = pl.col("severity").eq("WARN").fill_null(False)
    return frame.sort([rank, warn_last, "asset", "check_name"])


def check_counts(status: pl.DataFrame) -> dict[str, int]:
    """How many checks have each outcome (every outcome present, zero when none)."""
    counts = dict(status.group_by("outcome").agg(pl.len()).iter_rows())
    return {outcome: int(counts.get(outcome, 0)) for outcome in OUTCOME_ORDER}


_FINISHED_RUN = {"SUCCESS", "FAILURE", "CANCELED"}
_ENV_LOCK = threading.Lock()


@contextmanager
def _dagster_home_env(dagster_home: Path) -> Iterator[None]:
    """``DAGSTER_HOME`` set to ``dagster_home`` while an instance is loaded from it.

    The shipped ``dagster.yaml`` (``deploy/dagster.yaml``) puts run storage at
    ``{env: DAGSTER_HOME}``; the dashboard may be started without that variable (``streamlit run``
    directly, where the settings fall back to ``.dagster_home``), and Dagster would then refuse
    the file. Sessions run in threads, hence the lock; the previous value is restored.
    """
    with _ENV_LOCK:
        before = os.environ.get("DAGSTER_HOME")
        os.environ["DAGSTER_HOME"] = str(dagster_home.resolve())
        try:
            yield
        finally:
            if before is None:
                del os.environ["DAGSTER_HOME"]
            else:
                os.environ["DAGSTER_HOME"] = before


def read_check_results(dagster_home: Path, checks: Sequence[tuple[str, str]]) -> CheckHistory:
    """The latest execution of each ``(asset, check_name)`` in the Dagster instance at
    ``dagster_home`` (the one ``make pipeline`` and ``make dagster`` use), read-only.

    A home without run storage is reported (``available=False``) rather than created. A check
    planned in a run that finished without evaluating it (its step failed, or an upstream
    blocking check stopped it) is "did not run"; in a run still going, "running".
    """
    if not dagster_home.is_dir() or not (
        (dagster_home / "dagster.yaml").is_file() or (dagster_home / "storage").is_dir()
    ):
        return CheckHistory(
            available=False,
            results={},
            message="No Dagster run history found (DAGSTER_HOME), so no check result can be shown: "
            "the pipeline has not run on this machine, or the dashboard runs elsewhere. Run "
            "`make pipeline`, or point DAGSTER_HOME at the pipeline's Dagster home.",
        )
    # Imported here: Dagster is heavy, and only this page needs it. PyYAML is Dagster's own
    # dependency: it parses dagster.yaml, and its errors are the "not YAML at all" case.
    import dagster as dg
    import yaml

    keys = [dg.AssetCheckKey(dg.AssetKey.from_user_string(asset), name) for asset, name in checks]
    try:
        with _dagster_home_env(dagster_home):
            instance = dg.DagsterInstance.from_config(str(dagster_home))
    except (dg.DagsterInvalidConfigError, yaml.YAMLError, OSError) as exc:
        # No path in the message: the page adds the server's paths for members only.
        return CheckHistory(
            available=False,
            results={},
            message="The Dagster instance (DAGSTER_HOME) could not be read, so no check result can be "
            f"shown: its dagster.yaml is not valid ({type(exc).__name__}).",
        )
    with instance:
        records = instance.event_log_storage.get_latest_asset_check_execution_by_key(keys)
        run_ids = sorted({record.run_id for record in records.values()})
        runs = {
            r.dagster_run.run_id: r.dagster_run.status.value
            for r in instance.get_run_records(filters=dg.RunsFilter(run_ids=run_ids))
        } if run_ids else {}
    results: dict[tuple[str, str], CheckResult] = {}
    for key, record in records.items():
        asset = key.asset_key.to_user_string()
        evaluation = record.evaluation
        if evaluation is not None:
            timestamp = record.event.timestamp if record.event else record.create_timestamp
            results[(asset, key.name)] = CheckResult(
                asset=asset,
                check_name=key.name,
                outcome="passed" if evaluation.passed else "failed",
                severity=evaluation.severity.value,
                evaluated_at=datetime.fromtimestamp(timestamp, UTC).replace(tzinfo=None),
                run_id=record.run_id,
                description=evaluation.description,
                metadata={k: format_metadata_value(v.value) for k, v in evaluation.metadata.items()},
            )
        else:
            finished = runs.get(record.run_id) in _FINISHED_RUN or record.run_id not in runs
            results[(asset, key.name)] = CheckResult(
                asset=asset,
                check_name=key.name,
                outcome="did not run" if finished else "running",
                severity=None,
                evaluated_at=datetime.fromtimestamp(record.create_timestamp, UTC).replace(tzinfo=None),
                run_id=record.run_id,
                description=f"planned in run {record.run_id[:8]} ({runs.get(record.run_id, 'unknown').lower()}) "
                "but not evaluated",
            )
    return CheckHistory(available=True, results=results)

"""Dagster loggers of a run: a quiet progress view on the terminal, the full log in a file.

Chosen by the run config (``deploy/run_config/``): ``make pipeline`` configures ``progress`` and
``file``, ``VERBOSE=1 make pipeline`` configures ``console`` and ``file``. A run whose config names
no logger (the UI, schedules, sensors, tests) gets Dagster's default console logger, as before.

* ``progress`` prints one line per finished step (``pipelines/run_log/summary.py``) and, when the
  run ends, a summary: rows loaded and quarantined per source, asset checks passed and failed,
  where the app database, meeting pack, e-blast and log file were written.
* ``file`` writes every event at DEBUG (stack traces included) to
  ``$DAGSTER_HOME/run_logs/pipeline-<UTC time>-<run id>.log`` (not ``logs/``: Dagster keeps its
  telemetry log there).

Both run in the process that executes the steps: the jobs use the in-process executor.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import dagster as dg

from pipelines.defs.run_failure import innermost_error
from pipelines.run_log.summary import (
    NO_NEW_RECORDS,
    CheckOutcome,
    RunOutcome,
    StepOutcome,
    checks_line,
    display_path,
    single_asset_checks,
    step_line,
    summary_lines,
)
from pipelines.settings import load_settings

Event = dg.DagsterEventType
STEP_ENDS = {Event.STEP_SUCCESS: "ok", Event.STEP_FAILURE: "failed", Event.STEP_UP_FOR_RETRY: "retry"}
RUN_ENDS = {Event.RUN_SUCCESS: "succeeded", Event.RUN_FAILURE: "failed", Event.RUN_CANCELED: "canceled"}

# Dagster builds a run's loggers more than once (for the run, then for its steps): each run id
# keeps one handler of each kind, so the step lines and the summary see every event of the run
# and the run has one log file.
_PROGRESS_HANDLERS: dict[str, "ProgressHandler"] = {}
_FILE_HANDLERS: dict[str, logging.FileHandler] = {}

LOG_FORMAT = "%(asctime)s - %(name)s - %(levelname)s - %(message)s"


def log_file_path(directory: Path, run_id: str, now: datetime) -> Path:
    """``<directory>/pipeline-20261208T014210Z-45713b63.log``: sorted by time, tied to the run."""
    return directory / f"pipeline-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{run_id[:8]}.log"


def process_seconds() -> float | None:
    """Seconds since this process started (Linux ``/proc``), or None where that is unknown."""
    try:
        stat = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return uptime - int(stat[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def terminal() -> TextIO:
    """Where the progress view writes: standard output."""
    return sys.stdout


def _plain(value: object) -> object:
    """A metadata value as the plain Python value it holds (``IntMetadataValue(3)`` → 3)."""
    return getattr(value, "value", value)


class ProgressHandler(logging.Handler):
    """Turns the run's Dagster events into step lines and a closing summary on ``stream``."""

    def __init__(
        self,
        run: RunOutcome,
        stream: TextIO | None,
        cwd: Path,
        job_def: dg.JobDefinition | None = None,
    ):
        super().__init__(logging.DEBUG)
        self.run = run
        self.job_def = job_def
        self.stream = stream
        self.cwd = cwd
        self.started = time.monotonic()
        self.step_started: dict[str, float] = {}
        #: Passing check-only steps of one asset, printed as one line when another step ends.
        self.held: list[StepOutcome] = []
        self.held_asset: str | None = None

    def write(self, line: str) -> None:
        """Print ``line``; a terminal that is gone (closed pipe) is left alone, the run goes on."""
        if self.stream is None:
            return
        try:
            self.stream.write(line + "\n")
            self.stream.flush()
        except (OSError, ValueError):
            self.stream = None

    def emit(self, record: logging.LogRecord) -> None:
        # A fault of the progress view (an event of an unexpected shape) is reported by logging
        # and never fails the run.
        try:
            self._take(record)
        except Exception:
            self.handleError(record)

    def _take(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        if event is None:
            step_key = meta.get("step_key")
            if step_key and record.levelno >= logging.ERROR and step_key not in self.step_started:
                # Dagster abandons each step downstream of a failure with an error logged on it.
                self.run.skipped.append(step_key)
            elif record.levelno >= logging.WARNING:
                self.run.warnings.append(meta.get("orig_message") or record.getMessage())
            return
        kind = event.event_type
        data = event.event_specific_data
        step = self.run.step(event.step_key) if event.step_key else None
        if kind == Event.STEP_START:
            self.step_started[event.step_key] = time.monotonic()
            step.planned_assets, step.planned_checks = self._targets(event.node_handle)
        elif kind == Event.ASSET_MATERIALIZATION:
            materialization = data.materialization
            step.assets[materialization.asset_key.to_user_string()] = {
                key: _plain(value) for key, value in materialization.metadata.items()
            }
        elif kind == Event.ASSET_OBSERVATION:
            # A pull that brought nothing new is observed instead of materialised (refresh_skip.py).
            if data.asset_observation.metadata.get("downstream") is not None:
                self.run.notes.append(NO_NEW_RECORDS)
        elif kind == Event.ASSET_CHECK_EVALUATION:
            step.checks.append(
                CheckOutcome(
                    asset=data.asset_key.to_user_string(),
                    name=data.check_name,
                    passed=data.passed,
                    severity=data.severity.value,
                    blocking=bool(data.blocking),
                )
            )
        elif kind in STEP_ENDS:
            step.status = STEP_ENDS[kind]
            step.seconds = self._step_seconds(event.step_key, getattr(data, "duration_ms", None))
            if kind != Event.STEP_SUCCESS:
                error = innermost_error(getattr(data, "error", None))
                step.error = error.message if error is not None else event.message
            self._finished(step)
        elif kind == Event.STEP_SKIPPED:  # skipped because an optional upstream output was not made
            self.run.skipped.append(event.step_key)
        elif kind in RUN_ENDS:
            self.run.status = RUN_ENDS[kind]
            if kind != Event.RUN_SUCCESS:
                self.run.error = event.message
            self.run.run_seconds = time.monotonic() - self.started
            self.run.total_seconds = process_seconds()
            file = _FILE_HANDLERS.get(self.run.run_id)
            self.run.log_file = Path(file.baseFilename) if file else None
            self._flush()
            for line in summary_lines(self.run, self.cwd):
                self.write(line)

    def _finished(self, step: StepOutcome) -> None:
        """Print a finished step's line; an asset's passing checks wait to share one line."""
        asset = single_asset_checks(step)
        if asset is None or asset != self.held_asset:
            self._flush()
        if asset is None:
            self.write(step_line(step))
            return
        self.held.append(step)
        self.held_asset = asset

    def _flush(self) -> None:
        if self.held:
            self.write(checks_line(self.held_asset, self.held))
        self.held, self.held_asset = [], None

    def _targets(self, node: object) -> tuple[list[str], list[str]]:
        """The assets ("staging/me_cases") and checks ("staging/me_cases:x") a step is to run."""
        if self.job_def is None or node is None:
            return [], []
        keys = self.job_def.asset_layer.get_selected_entity_keys_for_node(node)
        assets = sorted(k.to_user_string() for k in keys if isinstance(k, dg.AssetKey))
        checks = sorted(f"{k.asset_key.to_user_string()}:{k.name}" for k in keys if isinstance(k, dg.AssetCheckKey))
        return assets, checks

    def _step_seconds(self, step_key: str, duration_ms: float | None) -> float | None:
        if duration_ms is not None:
            return duration_ms / 1000
        started = self.step_started.get(step_key)
        return time.monotonic() - started if started is not None else None


@dg.logger(
    config_schema={},
    description="One line per finished step and a summary of the run, on standard output.",
)
def progress_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    run_id = init_context.run_id or "?"
    logger = logging.Logger("odw.progress", logging.DEBUG)
    if run_id not in _PROGRESS_HANDLERS:
        job = init_context.job_def.name if init_context.job_def else "run"
        handler = ProgressHandler(RunOutcome(job, run_id), terminal(), Path.cwd(), init_context.job_def)
        file = _FILE_HANDLERS.get(run_id)
        where = f"; full log: {display_path(file.baseFilename, Path.cwd())}" if file else ""
        handler.write(f"{job}: run {run_id[:8]} — one line per step as it finishes (an asset's passing checks share one){where}")
        _PROGRESS_HANDLERS[run_id] = handler
    logger.addHandler(_PROGRESS_HANDLERS[run_id])
    return logger


@dg.logger(
    config_schema={"log_level": dg.Field(str, is_required=False, default_value="DEBUG")},
    description="Every event of the run, stack traces included, to "
    "$DAGSTER_HOME/run_logs/pipeline-<UTC time>-<run id>.log.",
)
def file_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    run_id = init_context.run_id or "no-run-id"
    if run_id not in _FILE_HANDLERS:
        path = log_file_path(load_settings().dagster_home / "run_logs", run_id, datetime.now(UTC))
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        _FILE_HANDLERS[run_id] = handler
    logger = logging.Logger("dagster", init_context.logger_config["log_level"].upper())
    logger.addHandler(_FILE_HANDLERS[run_id])
    return logger


#: ``file`` before ``progress``: Dagster starts them in this order, and the progress header names
#: the log file.
RUN_LOGGERS: dict[str, dg.LoggerDefinition] = {
    "console": dg.colored_console_logger,
    "file": file_logger,
    "progress": progress_logger,
}

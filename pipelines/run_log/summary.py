"""What `make pipeline` prints: one line per finished step, then a summary of the run.

Pure functions over plain records, so every wording has a known-answer test; the Dagster logger
that collects the records from the run's events is in ``pipelines/run_log/loggers.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
import re
from pathlib import Path

from pipelines.formatting import plural

#: Widest asset, check or step name in a step line before it is cut (the longest check name of
#: the code location fits).
NAME_WIDTH = 58
#: Longest warning or error text in the terminal output (the log file has it whole).
TEXT_WIDTH = 160
#: Warnings listed in the summary; the rest are counted and left to the log file.
MAX_WARNINGS = 5

#: The figure a step line shows for an asset: the first of these metadata keys it has.
ROW_FIGURES: tuple[tuple[str, str], ...] = (
    ("cases", "cases"),
    ("rows_loaded", "rows loaded"),
    ("rows", "rows"),
    ("entries", "entries"),
    ("files", "files"),
    ("years", "years"),
    ("slides", "slides"),
)
#: Metadata keys of the publication's per-table row counts (``rows:marts.community_areas``).
TABLE_ROWS_PREFIX = "rows:"


@dataclass(frozen=True)
class SourceSpec:
    """Where the summary finds a source's row accounting: an asset and its metadata keys."""

    label: str
    asset: str
    loaded: str
    quarantined: str
    unit: str


#: The sources of the summary, as their staging assets report them.
SOURCES: tuple[SourceSpec, ...] = (
    SourceSpec("Medical Examiner", "staging/me_cases", "cases", "quarantined", "cases"),
    SourceSpec("Test strips", "staging/test_strips", "rows_loaded", "rows_quarantined", "rows"),
    SourceSpec("Outreach", "staging/outreach", "rows_loaded", "rows_quarantined", "rows"),
    SourceSpec("Hot spots", "staging/hotspots", "rows_loaded", "rows_quarantined", "rows"),
)
#: The asset of the Medical Examiner pull (its own quarantine: records refused on the way in).
ME_PULL = "raw/me_records"

#: Files the summary points to: (label, asset, metadata key, companion key shown as "+ .ext").
OUTPUTS: tuple[tuple[str, str, str, str | None], ...] = (
    ("app database", "app/published_db", "path", None),
    ("meeting pack", "meeting_pack", "pptx", "pdf"),
    ("e-blast", "weekly_eblast", "html", "txt"),
    ("team briefs", "team_briefs", "pdf", None),
)


@dataclass(frozen=True)
class CheckOutcome:
    """One asset check evaluation."""

    asset: str
    name: str
    passed: bool
    severity: str
    blocking: bool = False

    @property
    def label(self) -> str:
        return f"{self.asset}:{self.name}"


@dataclass
class StepOutcome:
    """One step of the run: what it materialised and checked, how long it took, how it ended."""

    key: str
    status: str = "running"  # running | ok | failed | retry
    seconds: float | None = None
    assets: dict[str, Mapping[str, object]] = field(default_factory=dict)
    checks: list[CheckOutcome] = field(default_factory=list)
    error: str | None = None
    #: What the step is to materialise and check, known when it starts (named even if it fails).
    planned_assets: list[str] = field(default_factory=list)
    planned_checks: list[str] = field(default_factory=list)


#: The note of a run whose Medical Examiner pull brought nothing new (its later steps skipped).
NO_NEW_RECORDS = "no new records"


@dataclass
class RunOutcome:
    """Everything the summary reports about one run."""

    job: str
    run_id: str
    status: str = "running"  # running | succeeded | failed | canceled
    steps: dict[str, StepOutcome] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    #: Why steps were skipped on purpose (e.g. "no new records"), for the summary's first line.
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    run_seconds: float | None = None
    total_seconds: float | None = None
    log_file: Path | None = None

    def step(self, key: str) -> StepOutcome:
        """The step of that key, created on first mention."""
        return self.steps.setdefault(key, StepOutcome(key))

    def metadata(self, asset: str) -> Mapping[str, object] | None:
        """The metadata of the last materialisation of ``asset`` in this run, if any."""
        found = None
        for step in self.steps.values():
            found = step.assets.get(asset, found)
        return found

    @property
    def checks(self) -> list[CheckOutcome]:
        return [check for step in self.steps.values() for check in step.checks]


def shorten(text: str | None, width: int = TEXT_WIDTH) -> str:
    """The first non-empty line of ``text``, at most ``width`` characters (cut with "…")."""
    line = next((part.strip() for part in (text or "").splitlines() if part.strip()), "")
    return line if len(line) <= width else line[: width - 1] + "…"


def error_line(message: str | None, width: int = TEXT_WIDTH) -> str:
    """An exception message on one line: ``"dagster._core.errors.XError: text:\n detail"`` →
    ``"XError: text: detail"`` (the class without its module; a first line ending in ":" joined
    with what follows it)."""
    lines = [part.strip() for part in (message or "").splitlines() if part.strip()]
    if not lines:
        return ""
    head = re.sub(r"^(?:[A-Za-z_]\w*\.)+(?=[A-Za-z_]\w*(?:Error|Exception|Warning)?:)", "", lines[0])
    text = " ".join([head, *lines[1:]]) if head.endswith(":") else head
    return shorten(text, width)


def display_path(path: str | Path, cwd: Path) -> str:
    """``path`` relative to ``cwd`` when it lies under it, else as given."""
    try:
        return str(Path(path).resolve().relative_to(cwd.resolve()))
    except ValueError:
        return str(path)


def _count(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def row_figure(metadata: Mapping[str, object]) -> str | None:
    """The asset's row figure for its step line, e.g. ``"25,000 cases"``; None without one."""
    for key, unit in ROW_FIGURES:
        if key in metadata:
            text = f"{_count(metadata[key])} {unit}"
            quarantined = metadata.get("rows_quarantined", metadata.get("quarantined"))
            return f"{text}, {_count(quarantined)} quarantined" if quarantined else text
    tables = [key for key in metadata if key.startswith(TABLE_ROWS_PREFIX)]
    return f"{len(tables)} tables" if tables else None


def _checks_text(checks: Sequence[CheckOutcome]) -> str:
    failed = [c for c in checks if not c.passed]
    if not failed:
        return f"{plural(len(checks), 'check')} passed"
    names = ", ".join(f"{c.name} ({c.severity})" for c in failed)
    return f"{len(failed)} of {plural(len(checks), 'check')} FAILED: {names}"


def step_name(step: StepOutcome) -> str:
    """What the step line calls the step: its asset, its check, or its key and asset count."""
    assets = step.planned_assets or list(step.assets)
    checks = step.planned_checks or [check.label for check in step.checks]
    if len(assets) == 1:
        return assets[0]
    if assets:
        return f"{step.key} ({plural(len(assets), 'asset')})"
    if len(checks) == 1:
        return checks[0]
    return f"{step.key} ({plural(len(checks), 'check')})" if checks else step.key


def step_line(step: StepOutcome) -> str:
    """One line for a finished step: mark, name, seconds, row figures and checks (or the error).

    """
    mark = {"ok": "ok", "failed": "FAIL", "retry": "RETRY"}.get(step.status, step.status)
    name = step_name(step)
    if len(name) > NAME_WIDTH:
        name = name[: NAME_WIDTH - 1] + "…"
    seconds = f"{step.seconds:5.1f} s" if step.seconds is not None else "    – s"
    if step.status in {"failed", "retry"}:
        details = [error_line(step.error) or "no error message"]
    else:
        figures = [f for f in (row_figure(m) for m in step.assets.values()) if f]
        details = ["; ".join(figures)] if figures else []
        if step.checks and not (len(step.checks) == 1 and not step.assets):
            details.append(_checks_text(step.checks))
        elif step.checks:
            check = step.checks[0]
            details.append("check passed" if check.passed else f"check FAILED ({check.severity})")
    return f"{mark:>5} {name:<{NAME_WIDTH}} {seconds}  {' · '.join(d for d in details if d)}".rstrip()


def single_asset_checks(step: StepOutcome) -> str | None:
    """The asset whose checks a passing check-only step ran (all of them on one asset), else None.

    Such steps are folded into one line per asset (:func:`checks_line`): an asset's checks run one
    after another, and a line each would push the run's output past a screen.
    """
    if step.status != "ok" or step.assets or step.planned_assets or not step.checks:
        return None
    if not all(check.passed for check in step.checks):
        return None
    assets = {check.asset for check in step.checks}
    return assets.pop() if len(assets) == 1 else None


def checks_line(asset: str, steps: Sequence[StepOutcome]) -> str:
    """One line for consecutive passing check-only steps on ``asset`` (one step: its own line)."""
    if len(steps) == 1:
        return step_line(steps[0])
    checks = [check for step in steps for check in step.checks]
    name = f"{asset}: {plural(len(checks), 'check')}"
    if len(name) > NAME_WIDTH:
        name = name[: NAME_WIDTH - 1] + "…"
    seconds = sum(step.seconds or 0.0 for step in steps)
    return f"{'ok':>5} {name:<{NAME_WIDTH}} {seconds:5.1f} s  all passed"


#: Width of the summary's left column ("Loaded", "Checks", …).
LABEL_WIDTH = 9


def _block(label: str, lines: Sequence[str]) -> list[str]:
    """``lines`` under a left-column label shown on the first one only."""
    return [f"{label if i == 0 else '':<{LABEL_WIDTH}} {line}".rstrip() for i, line in enumerate(lines)]


def source_lines(run: RunOutcome) -> list[str]:
    """Per source: rows (cases) loaded and quarantined, as the staging assets reported them."""
    width = max(len(s.label) for s in SOURCES)
    lines = []
    for spec in SOURCES:
        metadata = run.metadata(spec.asset)
        if metadata is None:
            pulled_nothing = spec.asset == "staging/me_cases" and NO_NEW_RECORDS in run.notes
            state = "no new records; unchanged" if pulled_nothing else "not loaded in this run"
            lines.append(f"{spec.label:<{width}}  {state}")
            continue
        text = (
            f"{_count(metadata.get(spec.loaded, '?')):>7} {spec.unit}, "
            f"{_count(metadata.get(spec.quarantined, '?'))} quarantined"
        )
        if spec.asset == "staging/me_cases" and (pull := run.metadata(ME_PULL)) is not None:
            # A replay of several pulls (the demo's history, or a backlog) counts a case in each pull.
            pulls = pull.get("pulls_merged", 1)
            merged = "this pull" if pulls in (None, 1, "?") else f"{_count(pulls)} pulls merged"
            text += (
                f" ({merged}: {_count(pull.get('rows_in', '?'))} records in, "
                f"{_count(pull.get('rows_quarantined', '?'))} quarantined)"
            )
        elif "files" in metadata:
            text += f" ({plural(metadata['files'], 'file')}, {_count(metadata.get('files_refused', 0))} refused)"
        lines.append(f"{spec.label:<{width}}  {text}")
    return lines


def check_lines(checks: Sequence[CheckOutcome]) -> list[str]:
    """Asset checks passed and failed, each failure named with its severity."""
    failed = [c for c in checks if not c.passed]
    lines = [f"{len(checks) - len(failed)} passed, {len(failed)} failed"]
    lines += [f"FAILED {c.label} ({c.severity}{', blocking' if c.blocking else ''})" for c in failed]
    return lines


def output_lines(run: RunOutcome, cwd: Path) -> list[str]:
    """Where the app database, meeting pack, e-blast and the full log were written."""
    lines = []
    for label, asset, key, companion in OUTPUTS:
        metadata = run.metadata(asset)
        if metadata is None or key not in metadata:
            lines.append(f"{label:<12}  not written in this run")
            continue
        text = display_path(str(metadata[key]), cwd)
        if companion and companion in metadata:
            text += f" (+ .{companion})"
        lines.append(f"{label:<12}  {text}")
    log = display_path(run.log_file, cwd) if run.log_file else "none (the run config has no file logger)"
    lines.append(f"{'full log':<12}  {log}")
    return lines


def _duration(run: RunOutcome) -> str:
    if run.run_seconds is None:
        return ""
    text = f" in {run.run_seconds:.1f} s"
    if run.total_seconds is not None and run.total_seconds > run.run_seconds:
        text += f" ({run.total_seconds:.1f} s since the command started)"
    return text


def summary_lines(run: RunOutcome, cwd: Path) -> list[str]:
    """The summary printed when the run ends: outcome, sources, checks, warnings, files."""
    done = [s for s in run.steps.values() if s.status == "ok"]
    failed = [s for s in run.steps.values() if s.status == "failed"]
    if run.status == "succeeded":
        head = [f"{run.job} succeeded: {plural(len(done), 'step')}{_duration(run)}."]
        if run.skipped:
            reasons = [*dict.fromkeys(run.notes), f"{plural(len(run.skipped), 'step')} skipped"]
            head = [f"{run.job} succeeded: {plural(len(done), 'step')}{_duration(run)}; {'; '.join(reasons)}."]
    else:
        counts = [f"{plural(len(done), 'step')} done", f"{len(failed)} failed"]
        if run.skipped:
            counts.append(f"{len(run.skipped)} skipped")
        head = [f"{run.job} {run.status.upper()}{_duration(run)}: {', '.join(counts)}."]
        head += [f"  FAILED {step_name(step)}: {error_line(step.error)}" for step in failed]
        if run.error and not failed:
            head.append(f"  {shorten(run.error)}")
    lines = ["", *head]
    lines += _block("Loaded", source_lines(run))
    lines += _block("Checks", check_lines(run.checks))
    if run.warnings:
        shown = [shorten(w) for w in run.warnings[:MAX_WARNINGS]]
        if len(run.warnings) > MAX_WARNINGS:
            shown.append(f"… and {len(run.warnings) - MAX_WARNINGS} more")
        lines += _block("Warnings", [f"{len(run.warnings)} (whole text in the log file)", *shown])
    lines += _block("Written", output_lines(run, cwd))
    return lines

"""What `make pipeline` prints: step lines and the run summary (known answers), and the loggers
fed by a real Dagster run in process."""

from __future__ import annotations

import io
import logging
import re
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from pipelines.run_log import loggers
from pipelines.run_log.summary import (
    NAME_WIDTH,
    NO_NEW_RECORDS,
    CheckOutcome,
    RunOutcome,
    StepOutcome,
    checks_line,
    display_path,
    row_figure,
    shorten,
    single_asset_checks,
    step_line,
    summary_lines,
)

CWD = Path("/srv/odw")


def test_shorten_keeps_the_first_line_and_cuts_it():
    assert shorten("\n  ValueError: bad\nTraceback ...") == "ValueError: bad"
    assert shorten("x" * 10, width=6) == "xxxxx…"
    assert shorten(None) == ""


def test_display_path_is_relative_under_the_working_folder():
    assert display_path("/srv/odw/data/app.duckdb", CWD) == "data/app.duckdb"
    assert display_path("/tmp/x/app.duckdb", CWD) == "/tmp/x/app.duckdb"


def test_row_figure_prefers_cases_then_rows_and_names_quarantine():
    assert row_figure({"rows_in": 25_000, "cases": 24_990, "quarantined": 10, "rows": 1}) == (
        "24,990 cases, 10 quarantined"
    )
    assert row_figure({"rows_loaded": 1_462, "rows_quarantined": 0}) == "1,462 rows loaded"
    assert row_figure({"rows": 77}) == "77 rows"
    assert row_figure({"path": "/x", "rows:marts.a": 1, "rows:marts.b": 2}) == "2 tables"
    assert row_figure({"synthetic": True}) is None


def test_step_lines_for_an_asset_a_check_a_multi_asset_and_a_failure():
    asset = StepOutcome(
        "staging__test_strips", "ok", 0.46,
        {"staging/test_strips": {"rows_in": 1469, "rows_loaded": 1462, "rows_quarantined": 7}},
    )
    assert step_line(asset) == (
        f"   ok {'staging/test_strips':<{NAME_WIDTH}}   0.5 s  1,462 rows loaded, 7 quarantined"
    )
    check = StepOutcome(
        "staging__me_cases_me_cases_rows_add_up", "ok", 0.1,
        checks=[CheckOutcome("staging/me_cases", "me_cases_rows_add_up", False, "ERROR", True)],
    )
    assert step_line(check) == (
        f"   ok {'staging/me_cases:me_cases_rows_add_up':<{NAME_WIDTH}}   0.1 s  check FAILED (ERROR)"
    )
    multi = StepOutcome(
        "spike_alerts", "ok", 12.25, {"marts/alerts": {"rows": 788}, "marts/alert_badges": {"rows": 490}},
        checks=[
            CheckOutcome("marts/alerts", "a", True, "ERROR"),
            CheckOutcome("marts/alerts", "b", False, "WARN"),
        ],
    )
    assert step_line(multi) == (
        f"   ok {'spike_alerts (2 assets)':<{NAME_WIDTH}}  12.2 s  788 rows; 490 rows · 1 of 2 checks FAILED: b (WARN)"
    )
    failed = StepOutcome(
        "raw__me_records", "failed", 2.0, error="InvalidInputException: Malformed JSON\n  at line 1"
    )
    assert step_line(failed) == (
        f" FAIL {'raw__me_records':<{NAME_WIDTH}}   2.0 s  InvalidInputException: Malformed JSON"
    )
    long = StepOutcome("k", "ok", None, {"a/" + "x" * 80: {}})
    assert step_line(long) == f"   ok {'a/' + 'x' * (NAME_WIDTH - 3) + '…'}     – s"


def _check_step(key: str, asset: str, name: str, passed: bool = True, seconds: float = 0.1) -> StepOutcome:
    return StepOutcome(key, "ok", seconds, checks=[CheckOutcome(asset, name, passed, "ERROR")])


def test_passing_check_steps_of_one_asset_share_a_line():
    a = _check_step("a1", "staging/me_cases", "me_cases_rows_add_up")
    b = _check_step("a2", "staging/me_cases", "me_cases_unique_casenumber", seconds=0.25)
    assert single_asset_checks(a) == "staging/me_cases"
    assert checks_line("staging/me_cases", [a, b]) == (
        f"   ok {'staging/me_cases: 2 checks':<{NAME_WIDTH}}   0.3 s  all passed"
    )
    assert checks_line("staging/me_cases", [a]) == step_line(a)  # one step keeps its own line
    # A failed check, a step that also materialises, or checks on two assets keep their own lines.
    assert single_asset_checks(_check_step("f", "staging/me_cases", "x", passed=False)) is None
    mixed = StepOutcome("m", "ok", 0.1, {"marts/a": {"rows": 1}}, [CheckOutcome("marts/a", "c", True, "ERROR")])
    assert single_asset_checks(mixed) is None
    two = StepOutcome("t", "ok", 0.1, checks=[CheckOutcome("a/x", "c", True, "ERROR"), CheckOutcome("b/y", "d", True, "WARN")])
    assert single_asset_checks(two) is None


def _run(status: str = "succeeded") -> RunOutcome:
    run = RunOutcome("overdose_watch_job", "45713b63-500f", status=status, run_seconds=23.4, total_seconds=31.9)
    run.log_file = CWD / ".dagster_home/logs/pipeline-20261208T014210Z-45713b63.log"
    run.step("raw__me_records").assets["raw/me_records"] = {"rows_in": 25_000, "rows_loaded": 24_998, "rows_quarantined": 2}
    me = run.step("staging__me_cases")
    me.status = "ok"
    me.assets["staging/me_cases"] = {"rows_in": 24_998, "cases": 24_990, "quarantined": 8}
    me.checks += [
        CheckOutcome("staging/me_cases", "me_cases_rows_add_up", True, "ERROR", True),
        CheckOutcome("staging/me_cases", "newest_record_recent", False, "WARN"),
    ]
    strips = run.step("staging__test_strips")
    strips.status = "ok"
    strips.assets["staging/test_strips"] = {"files": 12, "files_refused": 0, "rows_loaded": 1462, "rows_quarantined": 7}
    outreach = run.step("staging__outreach")
    outreach.status = "ok"
    outreach.assets["staging/outreach"] = {"files": 1, "files_refused": 1, "rows_loaded": 0, "rows_quarantined": 3}
    published = run.step("app__published_db")
    published.status = "ok"
    published.assets["app/published_db"] = {"path": "/srv/odw/data/app.duckdb", "rows:marts.a": 3}
    run.step("meeting_pack").assets["meeting_pack"] = {
        "pptx": "/srv/odw/output/meeting_pack/p.pptx", "pdf": "/srv/odw/output/meeting_pack/p.pdf",
    }
    run.warnings.append("outreach/late.csv refused: column 'Notes' looks like free-text notes\nmore")
    return run


def test_summary_names_a_replay_of_several_pulls():
    run = _run()
    run.step("raw__me_records").assets["raw/me_records"] = {
        "pulls_merged": 40, "rows_in": 29_746, "rows_loaded": 29_746, "rows_quarantined": 0,
    }
    loaded = next(line for line in summary_lines(run, CWD) if "Medical Examiner" in line)
    assert loaded.endswith("24,990 cases, 8 quarantined (40 pulls merged: 29,746 records in, 0 quarantined)")


def test_summary_of_a_successful_run():
    assert summary_lines(_run(), CWD) == [
        "",
        "overdose_watch_job succeeded: 4 steps in 23.4 s (31.9 s since the command started).",
        "Loaded    Medical Examiner   24,990 cases, 8 quarantined (this pull: 25,000 records in, 2 quarantined)",
        "          Test strips         1,462 rows, 7 quarantined (12 files, 0 refused)",
        "          Outreach                0 rows, 3 quarantined (1 file, 1 refused)",
        "          Hot spots         not loaded in this run",
        "Checks    1 passed, 1 failed",
        "          FAILED staging/me_cases:newest_record_recent (WARN)",
        "Warnings  1 (whole text in the log file)",
        "          outreach/late.csv refused: column 'Notes' looks like free-text notes",
        "Written   app database  data/app.duckdb",
        "          meeting pack  output/meeting_pack/p.pptx (+ .pdf)",
        "          e-blast       not written in this run",
        "          team briefs   not written in this run",
        "          full log      .dagster_home/logs/pipeline-20261208T014210Z-45713b63.log",
    ]


def test_summary_of_a_daily_run_whose_pull_brought_nothing_new():
    run = RunOutcome("me_daily_job", "r", status="succeeded", run_seconds=2.5)
    run.step("raw__me_records").status = "ok"
    run.notes.append(NO_NEW_RECORDS)
    run.skipped += ["staging__me_cases", "marts__a", "app__published_db"]
    lines = summary_lines(run, CWD)
    assert lines[1] == "me_daily_job succeeded: 1 step in 2.5 s; no new records; 3 steps skipped."
    assert "Loaded    Medical Examiner  no new records; unchanged" in lines
    assert "Written   app database  not written in this run" in lines


def test_summary_of_a_failed_run_names_the_failed_step_and_blocking_check():
    run = _run(status="failed")
    failed = run.step("staging__me_cases_me_cases_unique_casenumber")
    failed.status = "failed"
    failed.checks.append(CheckOutcome("staging/me_cases", "me_cases_unique_casenumber", False, "ERROR", True))
    failed.error = "DagsterAssetCheckFailedError: 1 blocking check failed"
    run.skipped += ["marts__a", "marts__b"]
    run.warnings += [f"warning {i}" for i in range(6)]
    run.log_file = None
    lines = summary_lines(run, CWD)
    assert lines[1:3] == [
        "overdose_watch_job FAILED in 23.4 s (31.9 s since the command started): 4 steps done, 1 failed, 2 skipped.",
        "  FAILED staging/me_cases:me_cases_unique_casenumber: DagsterAssetCheckFailedError: 1 blocking check failed",
    ]
    assert "          FAILED staging/me_cases:me_cases_unique_casenumber (ERROR, blocking)" in lines
    assert "Checks    1 passed, 2 failed" in lines
    assert "Warnings  7 (whole text in the log file)" in lines
    assert "          … and 2 more" in lines
    assert lines[-1] == "          full log      none (the run config has no file logger)"


def test_summary_of_a_run_that_failed_outside_any_step():
    run = RunOutcome("overdose_watch_job", "r", status="failed", error="Execution of run failed.\nTrace")
    lines = summary_lines(run, CWD)
    assert lines[1:3] == ["overdose_watch_job FAILED: 0 steps done, 0 failed.", "  Execution of run failed."]


def test_log_file_path_sorts_by_utc_time_and_names_the_run():
    when = datetime(2026, 12, 8, 1, 42, 10, tzinfo=UTC)
    assert loggers.log_file_path(Path("/h/logs"), "45713b63-500f", when) == Path(
        "/h/logs/pipeline-20261208T014210Z-45713b63.log"
    )


def test_process_seconds_is_the_age_of_this_process():
    age = loggers.process_seconds()
    assert age is None or 0 < age < 24 * 3600


@dg.asset(key=["staging", "tiny"])
def _tiny() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"rows": 3})


@dg.asset_check(asset=_tiny, blocking=True)
def _tiny_has_rows() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=False, metadata={"why": "on purpose"})


@dg.asset(key=["marts", "after_tiny"], deps=[_tiny])
def _after() -> None:
    logging.getLogger("never").info("not run: its parent's blocking check failed")


def test_the_loggers_report_a_real_run(tmp_path, monkeypatch, capsys):
    """A real (tiny) job run with the quiet run config: step lines, a blocking check failure,
    the skipped step and the summary on stdout; every event at DEBUG in the log file."""
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    defs = dg.Definitions(assets=[_tiny, _after], asset_checks=[_tiny_has_rows], loggers=loggers.RUN_LOGGERS)
    job = defs.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(
        run_config={"loggers": {"progress": {}, "file": {"config": {"log_level": "DEBUG"}}}},
        raise_on_error=False,
    )
    assert not result.success
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(
        f"__ASSET_JOB: run {result.run_id[:8]} — one line per step as it finishes (an asset's passing checks "
        "share one); full log: "
    )
    steps = [line for line in out if line.startswith((" FAIL ", "   ok "))]
    assert [line.split()[:2] for line in steps] == [["ok", "staging/tiny"], ["FAIL", "staging/tiny:_tiny_has_rows"]]
    failure = "DagsterAssetCheckFailedError: 1 blocking asset check failed with ERROR severity: staging/tiny: _tiny_has_rows"
    assert re.search(rf" \d+\.\d s  {re.escape(failure)}$", steps[1])
    summary = out[out.index("") + 1 :]
    assert summary[0].startswith("__ASSET_JOB FAILED in ")
    assert summary[0].endswith(": 1 step done, 1 failed, 1 skipped.")  # marts/after_tiny never ran
    assert summary[1] == f"  FAILED staging/tiny:_tiny_has_rows: {failure}"
    assert "Checks    0 passed, 1 failed" in summary
    assert "          FAILED staging/tiny:_tiny_has_rows (ERROR, blocking)" in summary
    assert not any(line.startswith("Warnings") for line in summary)
    (log_file,) = (tmp_path / "run_logs").iterdir()  # one file, though Dagster built the loggers twice
    assert log_file.name.startswith("pipeline-") and log_file.name.endswith(f"-{result.run_id[:8]}.log")
    assert summary[-1] == f"          full log      {log_file}"
    assert sum(line.startswith("__ASSET_JOB: run") for line in out) == 1
    text = log_file.read_text()
    assert " - DEBUG - " in text and "STEP_SUCCESS" in text and "ASSET_CHECK_EVALUATION" in text
    assert "raise DagsterAssetCheckFailedError(" in text  # the stack, which the terminal leaves out


@dg.asset_check(asset=_tiny, blocking=True)
def _tiny_is_tiny() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


@dg.asset_check(asset=_tiny)
def _tiny_is_staged() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


def test_a_real_run_folds_an_assets_passing_checks_into_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    defs = dg.Definitions(assets=[_tiny], asset_checks=[_tiny_is_tiny, _tiny_is_staged], loggers=loggers.RUN_LOGGERS)
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        run_config={"loggers": {"progress": {}, "file": {}}}
    )
    assert result.success
    steps = [line for line in capsys.readouterr().out.splitlines() if line.startswith("   ok ")]
    assert [line.split()[1] for line in steps] == ["staging/tiny", "staging/tiny:"]
    assert steps[1].split()[2:4] == ["2", "checks"] and steps[1].endswith("all passed")


def test_a_closed_terminal_does_not_fail_the_run(tmp_path, monkeypatch):
    """The progress view writes to standard output; when that is gone (`make pipeline | head`),
    the run still succeeds and the log file is still written."""
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))

    class ClosedTerminal(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(loggers, "terminal", ClosedTerminal)
    defs = dg.Definitions(assets=[_tiny], loggers=loggers.RUN_LOGGERS)
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        run_config={"loggers": {"progress": {}, "file": {}}}
    )
    assert result.success
    (log_file,) = (tmp_path / "run_logs").iterdir()
    assert "RUN_SUCCESS" in log_file.read_text()

"""`make pipeline` as a person runs it: `dg launch` on demo data in an isolated environment.

Quiet by default — one line per step and a summary whose figures are the warehouse's, under 80
lines in all — with the full DEBUG log in a file; a failed run names the failure and exits
non-zero; VERBOSE=1 prints Dagster's full log.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from conftest import DEMO_END_MONTH, pipeline_env

from pipelines.settings import PROJECT_ROOT

STEP_LINE = re.compile(r"^ {3}ok |^ FAIL |^RETRY ")
#: Variables of an outer `make` (e.g. `make test`): a nested make would print its directory.
OUTER_MAKE = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"}


def isolated(root: Path, **overrides: str) -> dict[str, str]:
    """The process environment with every file of the run under ``root`` (demo data)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ODW_") and k not in OUTER_MAKE}
    env.update(pipeline_env(root, DAGSTER_HOME=str(root / "dagster_home"), **overrides))
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        args, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=900
    )


def make(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    # `-o .venv/.synced`: the environment running the tests is taken as it is (not synced again
    # mid-suite when the Makefile is newer than the last `make setup`).
    return run(["make", "-o", ".venv/.synced", *args], env)


def with_field_demo(root: Path) -> Path:
    from pipelines.demo.field_data import write_field_demo

    write_field_demo(root / "raw", end_month=date.fromisoformat(DEMO_END_MONTH + "-01"))
    return root


def _summary_value(lines: list[str], pattern: str) -> re.Match:
    found = [m for m in (re.search(pattern, line) for line in lines) if m]
    assert len(found) == 1, (pattern, lines)
    return found[0]


def _int(text: str) -> int:
    return int(text.replace(",", ""))


#: A line for an asset's consecutive passing check steps: "   ok staging/me_cases: 6 checks …".
FOLDED = re.compile(r"^ {3}ok \S+: (\d+) checks ")


def steps_shown(step_lines: list[str]) -> int:
    """How many steps the step lines stand for (a folded line stands for one step per check)."""
    return sum(int(m.group(1)) if (m := FOLDED.match(line)) else 1 for line in step_lines)


@pytest.fixture(scope="module")
def quiet_run(tmp_path_factory: pytest.TempPathFactory):
    root = with_field_demo(tmp_path_factory.mktemp("make_pipeline"))
    env = isolated(root)
    result = make("pipeline", env=env)
    return root, env, result


def test_make_pipeline_is_quiet_and_one_line_per_step(quiet_run):
    root, env, result = quiet_run
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    lines = (result.stdout + result.stderr).splitlines()
    assert len(lines) < 80, "\n".join(lines)
    assert result.stderr == ""  # no warning, no make echo
    assert lines[0].startswith("overdose_watch_job: run ")
    step_lines = [line for line in lines if STEP_LINE.match(line)]
    assert all(line.startswith("   ok ") for line in step_lines)
    # One line per step of the run, as Dagster's run history records them.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", env["DAGSTER_HOME"])  # its dagster.yaml reads it
        with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
            (record,) = instance.get_run_records()
            events = instance.all_logs(record.dagster_run.run_id)
    finished = [e.step_key for e in events if e.dagster_event and e.dagster_event.is_step_success]
    assert steps_shown(step_lines) == len(finished) == len(set(finished)) >= 50
    assert any(FOLDED.match(line) for line in step_lines)  # e.g. staging/me_cases' six checks
    names = [line.split()[1] for line in step_lines]
    assert len(set(names)) == len(names)
    assert {"raw/me_records", "staging/me_cases", "app/published_db", "meeting_pack"} <= set(names)
    me = next(line for line in step_lines if line.split()[1] == "staging/me_cases")
    assert re.search(r" \d+\.\d s  [\d,]+ cases", me)
    assert _summary_value(lines, r"^overdose_watch_job succeeded: (\d+) steps in [\d.]+ s").group(1) == str(
        len(finished)
    )


def test_summary_figures_are_the_warehouses(quiet_run):
    root, env, result = quiet_run
    lines = result.stdout.splitlines()
    with duckdb.connect(env["ODW_WAREHOUSE"], read_only=True) as con:
        def count(sql: str) -> int:
            return con.execute(sql).fetchall()[0][0]

        me = _summary_value(lines, r"Medical Examiner +([\d,]+) cases, ([\d,]+) quarantined")
        assert _int(me.group(1)) == count("SELECT count(*) FROM staging.me_cases") > 20_000
        assert _int(me.group(2)) == count(
            "SELECT count(*) FROM staging.quarantine WHERE source = 'medical_examiner' AND stage = 'staging'"
        )
        for label, source in (("Test strips", "test_strips"), ("Outreach", "outreach"), ("Hot spots", "hotspots")):
            found = _summary_value(lines, rf"{label} +([\d,]+) rows, ([\d,]+) quarantined")
            assert _int(found.group(1)) == count(f"SELECT count(*) FROM staging.{source}") > 0
            assert _int(found.group(2)) == count(
                f"SELECT count(*) FROM staging.quarantine WHERE source = '{source}'"
            )
    checks = _summary_value(lines, r"^Checks +(\d+) passed, (\d+) failed$")
    with duckdb.connect(env["ODW_APP_DB"], read_only=True) as con:
        catalogue = con.execute("SELECT count(*) FROM marts.asset_checks").fetchall()[0][0]
    assert (int(checks.group(1)), int(checks.group(2))) == (catalogue, 0)
    app = _summary_value(lines, r"app database +(\S+)$").group(1)
    assert Path(app) == Path(env["ODW_APP_DB"])
    pack = Path(_summary_value(lines, r"meeting pack +(\S+\.pptx) \(\+ \.pdf\)$").group(1))
    eblast = Path(_summary_value(lines, r"e-blast +(\S+\.html) \(\+ \.txt\)$").group(1))
    assert pack.is_file() and pack.with_suffix(".pdf").is_file() and pack.is_relative_to(root)
    assert eblast.is_file() and eblast.with_suffix(".txt").is_file() and eblast.is_relative_to(root)
    briefs = Path(_summary_value(lines, r"team briefs +(\S+\.pdf)$").group(1))
    assert briefs.name == "all_teams.pdf" and briefs.is_file() and briefs.is_relative_to(root)


def test_the_full_debug_log_is_in_the_named_file(quiet_run):
    root, env, result = quiet_run
    log_file = Path(_summary_value(result.stdout.splitlines(), r"full log +(\S+)$").group(1))
    assert log_file.parent == Path(env["DAGSTER_HOME"]) / "run_logs"
    assert log_file.name in result.stdout.splitlines()[0]
    text = log_file.read_text()
    assert text.count(" - DEBUG - ") > 100
    assert text.count("STEP_SUCCESS") == steps_shown([line for line in result.stdout.splitlines() if STEP_LINE.match(line)])
    assert "RUN_SUCCESS" in text


def test_a_failed_run_names_the_failure_and_exits_non_zero(tmp_path: Path):
    """A broken input: the Medical Examiner file is not valid JSON."""
    root = with_field_demo(tmp_path)
    broken = root / "raw" / "demo" / "medical_examiner" / "cjeq-bs86.json"
    broken.parent.mkdir(parents=True)
    broken.write_text('[{"casenumber": "ME2024-00001", "death_date": ')
    result = make("pipeline", env=isolated(root))
    assert result.returncode != 0
    out = result.stdout.splitlines()
    assert len(out + result.stderr.splitlines()) < 80, result.stdout + result.stderr
    (failed_line,) = [line for line in out if line.startswith(" FAIL ")]
    assert failed_line.split()[1] == "raw/me_records"
    summary = out[out.index("") + 1 :]
    assert re.match(r"overdose_watch_job FAILED in [\d.]+ s .*: \d+ steps? done, 1 failed, \d+ skipped\.$", summary[0])
    assert summary[1].startswith("  FAILED raw/me_records: ")
    assert "JSON" in summary[1]  # the error's own words
    assert "Medical Examiner  not loaded in this run" in "\n".join(summary)
    assert "resulted in failure" in result.stderr  # dg's closing line; make adds its own


def test_verbose_prints_dagsters_full_log(tmp_path: Path):
    """``VERBOSE=1`` picks the verbose run config (checked here on the small freshness job)."""
    dry = make("-n", "VERBOSE=1", "pipeline", env=isolated(tmp_path))
    assert "--config deploy/run_config/verbose.yaml" in dry.stdout
    assert "--config deploy/run_config/quiet.yaml" in make("-n", "pipeline", env=isolated(tmp_path)).stdout
    env = {**isolated(tmp_path), "VIRTUAL_ENV": sys.prefix}
    (tmp_path / "dagster_home").mkdir()
    shutil.copy(PROJECT_ROOT / "deploy" / "dagster.yaml", tmp_path / "dagster_home")  # as make does
    dg = str(Path(sys.executable).parent / "dg")
    result = run(
        [dg, "launch", "--job", "source_freshness_job", "--config", "deploy/run_config/verbose.yaml"], env
    )
    assert result.returncode == 0, result.stderr[-3000:]
    console = result.stdout + result.stderr
    assert " - DEBUG - " in console and "STEP_SUCCESS" in console and "RUN_SUCCESS" in console
    assert not re.search(r"^ {3}ok ", console, flags=re.MULTILINE)  # no progress lines
    (log_file,) = (tmp_path / "dagster_home" / "run_logs").iterdir()
    assert "RUN_SUCCESS" in log_file.read_text()

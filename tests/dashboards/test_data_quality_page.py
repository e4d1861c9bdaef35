"""The "Data quality" page under AppTest: the demo publication and the demo run's Dagster history,
a run whose checks really failed, and a publication with quarantined Medical Examiner records."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
PAGE = "app_pages/data_quality.py"
TIMEOUT = 180


def _query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def _page(
    app_db: Path, dagster_home: Path, secrets: dict | None = None, member: bool = False, section: str | None = None
) -> AppTest:
    """The app on ``app_db`` and ``dagster_home``, switched to the Data quality page, with the tab
    ``section`` open (default: the first)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ODW_APP_DB", str(app_db))
        mp.setenv("DAGSTER_HOME", str(dagster_home))
        at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
        for key, value in (secrets or {}).items():
            at.secrets[key] = value
        if member:
            at.session_state["odw_member"] = True
        at = at.run()
        at = at.switch_page(PAGE).run()
        if section is not None:
            at.session_state["dq_section"] = section
            at = at.run()
    assert not at.exception, at.exception
    return at


def _markdown_rows(at: AppTest, header: str) -> list[dict[str, str]]:
    """The Markdown table whose header row starts with ``header``, as one dict per row."""
    (table,) = [m.value for m in at.main.markdown if m.value.startswith(header)]
    head, _rule, *rows = table.splitlines()
    names = [c.strip() for c in head.strip("|").split("|")]
    return [dict(zip(names, (c.strip() for c in row.strip("|").split("|")), strict=True)) for row in rows]


def _metric(at: AppTest, label: str) -> str:
    (metric,) = [m for m in at.metric if m.label == label]
    return metric.value


def _frame_with(at: AppTest, column: str):
    return next(f.value for f in at.dataframe if column in f.value.columns)


@pytest.fixture(scope="module")
def demo_page(demo_pipeline) -> AppTest:
    """The page on the demo publication and the demo run's own check results."""
    return _page(demo_pipeline.app_db, demo_pipeline.dagster_home)


def test_first_tab_only_is_drawn_and_tables_are_markdown(demo_page: AppTest) -> None:
    """Opening the page draws the first tab (Markdown tables) and no data grid or chart; the
    other tabs' content is not sent until one is opened."""
    assert [t.label for t in demo_page.tabs] == [
        "Sources and row accounting", "Medical Examiner", "Quarantined rows", "Ingest log and files",
        "Forecast backtest",
    ]
    assert len(demo_page.dataframe) == 0
    assert not demo_page.get("vega_lite_chart")
    headings = [m.value for m in demo_page.main.markdown if m.value.startswith("#####")]
    assert headings == [
        "##### Asset checks", "##### Last refresh per source", "##### Rows in = rows loaded + rows quarantined"
    ]
    fresh = _markdown_rows(demo_page, "| Source | Label |")
    assert [row["Source"] for row in fresh] == ["Medical Examiner", "Test strips", "Outreach logs", "Hot-spot list"]
    assert fresh[0]["Rows"] == "25,000" and fresh[0]["Data from"] == "1 Jan 2016"


def test_demo_run_shows_every_check_passed(demo_page: AppTest, demo_pipeline) -> None:
    ((checks,),) = _query(demo_pipeline.app_db, "SELECT count(*) FROM marts.asset_checks")
    evaluated = demo_pipeline.result.get_asset_check_evaluations()
    assert len(evaluated) == checks and all(e.passed for e in evaluated)
    assert demo_page.title[0].value == "Data quality"
    assert not demo_page.error
    assert f"All {checks} checks passed" in demo_page.success[0].value
    assert _metric(demo_page, "Passed") == str(checks)
    assert _metric(demo_page, "Failed") == "0"


@pytest.mark.parametrize("section", ["Medical Examiner", "Ingest log and files"])
def test_every_other_tab_draws_without_error(demo_pipeline, section: str) -> None:
    page = _page(demo_pipeline.app_db, demo_pipeline.dagster_home, section=section)
    assert not page.error
    if section == "Medical Examiner":
        ((unplaced_n, chicago, unplaced_share),) = demo_pipeline.query(
            "SELECT numerator, denominator, value FROM marts.data_quality WHERE metric = 'unplaced_share'"
        )
        assert _metric(page, "Unplaced cases") == f"{unplaced_share:.1%}"
        assert any(f"{unplaced_n:,} of {chicago:,} Chicago cases" in c.value for c in page.caption)
        # Both shares meet their thresholds on the demo data: two green verdicts, no red one.
        verdicts = [m.value for m in page.main.markdown if "-badge[" in m.value and "threshold" in m.value]
        assert len(verdicts) == 2 and all(v.startswith(":green-badge[") for v in verdicts), verdicts
        # Placement by year: counted from staging.me_cases here, shown with its source line.
        by_year = demo_pipeline.query(
            """SELECT year(death_date), count(*), count(*) FILTER (WHERE placement IN ('archive', 'coordinates')),
                      count(*) FILTER (WHERE placement = 'unplaced')
               FROM staging.me_cases WHERE placement IN ('archive', 'coordinates', 'geocoded', 'unplaced')
               GROUP BY ALL ORDER BY 1"""
        )
        # Markdown escapes the "." of a share ("91\\.3%"); compare the text a reader sees.
        rows = [{k: v.replace("\\", "") for k, v in row.items()} for row in _markdown_rows(page, "| Year | Cases |")]
        assert [(r["Year"], r["Cases"]) for r in rows] == [(str(y), f"{n:,}") for y, n, _, _ in by_year]
        for row, (_, cases, placed, unplaced) in zip(rows, by_year, strict=True):
            assert row["By archive"] == f"{placed:,} ({placed / cases:.1%})"
            assert row["Unplaced"] == f"{unplaced:,} ({unplaced / cases:.1%})"
            assert row["Geocoded"] == "0 (0.0%)"  # the demo runs with ODW_GEOCODER=off
        headings = [m.value for m in page.main.markdown if m.value.startswith("#####")]
        assert "##### Medical Examiner: how deaths in Chicago were placed, by year" in headings
        assert any("Source: Cook County Medical Examiner" in c.value and "Data refreshed" in c.value
                   for c in page.caption)  # fmt: skip
        # The metric table is drawn only when its expander is opened.
        assert not page.dataframe
        page.session_state["dq_metrics_table"] = True
        metrics = _frame_with(page.run(), "share_pct")
        assert {"unplaced_share", "geocoded_share", "geocoder_match_share"} <= set(metrics["metric"])
    else:
        (log,) = [f.value for f in page.dataframe if "data_through" in f.value.columns]
        ((entries,),) = _query(demo_pipeline.app_db, "SELECT count(*) FROM marts.ingest_log")
        assert len(log) == entries


@pytest.fixture(scope="module")
def app_db_not_adding_up(demo_pipeline, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo publication with one test-strip file claiming a row more than was loaded or
    quarantined."""
    db = tmp_path_factory.mktemp("not_adding_up") / "app.duckdb"
    shutil.copy(demo_pipeline.app_db, db)
    with duckdb.connect(str(db)) as con:
        con.execute(
            """UPDATE marts.field_data_files SET rows_in = rows_in + 1
               WHERE file = (SELECT min(file) FROM marts.field_data_files WHERE source = 'test_strips')"""
        )
    return db


@pytest.mark.parametrize("section", [None, "Quarantined rows"])
def test_rows_not_adding_up_are_flagged_above_every_tab(
    app_db_not_adding_up: Path, demo_pipeline, section: str | None
) -> None:
    page = _page(app_db_not_adding_up, demo_pipeline.dagster_home, section=section)
    (error,) = page.error
    assert "Rows do not add up for: Test strips" in error.value


def test_quarantine_count_matches_the_warehouse(demo_pipeline) -> None:
    ((quarantined,),) = demo_pipeline.query("SELECT count(*) FROM staging.quarantine")
    assert quarantined == 15, "the demo field data has 12 bad rows and one refused 3-row file"
    page = _page(demo_pipeline.app_db, demo_pipeline.dagster_home, section="Quarantined rows")
    listing = _frame_with(page, "reason")
    assert len(listing) == quarantined
    assert "case_number" not in listing.columns
    assert any(f"{quarantined:,} row(s) not loaded" in c.value for c in page.caption)
    # Each rule is a known category; none falls through to "Other".
    assert "Other" not in set(listing["rule"])
    # The chart of the open tab is drawn; the first tab's tables are not.
    assert page.get("vega_lite_chart")
    assert not [m for m in page.main.markdown if m.value.startswith("| Source | Rows in |")]


def test_rows_add_up_with_independent_counts(demo_page: AppTest, demo_pipeline) -> None:
    ((raw, cases),) = demo_pipeline.query(
        "SELECT (SELECT count(*) FROM raw.me_records), (SELECT count(*) FROM staging.me_cases)"
    )
    recon = {row["Source"]: row for row in _markdown_rows(demo_page, "| Source | Rows in |")}
    me = recon["Medical Examiner"]
    assert (me["Rows in"], me["Loaded"], me["Quarantined"]) == (f"{raw:,}", f"{cases:,}", "0")
    ((strips_in, strips_staged),) = demo_pipeline.query(
        """SELECT (SELECT sum(rows_in) FROM marts.field_data_files WHERE source = 'test_strips'),
                  (SELECT count(*) FROM staging.test_strips)"""
    )
    strips = recon["Test strips"]
    assert (strips["Rows in"], strips["Loaded"]) == (f"{strips_in:,}", f"{strips_staged:,}")
    assert {row["Adds up"] for row in recon.values()} == {"✔ yes"}


@pytest.fixture(scope="module")
def failing_home(demo_pipeline, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Dagster home whose only run rebuilt ``marts/data_quality`` (on a copy of the demo
    warehouse) with thresholds the demo data cannot meet, so both of its checks really failed."""
    from pipelines.definitions import defs

    root = tmp_path_factory.mktemp("failing_checks")
    home = root / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").touch()
    shutil.copy(demo_pipeline.warehouse, root / "warehouse.duckdb")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ODW_WAREHOUSE", str(root / "warehouse.duckdb"))
        mp.setenv("ODW_APP_DB", str(root / "app.duckdb"))
        mp.setenv("ODW_MIN_PLACED_SHARE", "0.99")
        mp.setenv("ODW_MIN_OPIOID_FLAG_AGREEMENT", "0.99")
        job = defs().resolve_job_def("overdose_watch_job")
        with dg.DagsterInstance.from_config(str(home)) as instance:
            result = job.execute_in_process(
                instance=instance,
                asset_selection=[dg.AssetKey(["marts", "data_quality"])],
                raise_on_error=False,
            )
    failed = {e.check_name for e in result.get_asset_check_evaluations() if not e.passed}
    assert failed == {"placed_share_above_threshold", "opioid_flag_agreement_above_threshold"}
    return home


def test_failed_checks_are_shown_first_with_what_they_found(
    failing_home: Path, demo_pipeline
) -> None:
    at = _page(demo_pipeline.app_db, failing_home)
    ((unplaced, chicago),) = demo_pipeline.query(
        "SELECT numerator, denominator FROM marts.data_quality WHERE metric = 'unplaced_share'"
    )
    placed = 1 - unplaced / chicago
    ((checks,),) = _query(demo_pipeline.app_db, "SELECT count(*) FROM marts.asset_checks")
    (error,) = at.error
    assert "1 check(s) failed" in error.value
    assert "placed_share_above_threshold" in error.value
    assert "Share of Chicago cases placed in a community area" in error.value  # its description
    assert f"placed_share: {placed:.4g}" in error.value and "minimum: 0.99" in error.value
    (warning,) = at.warning
    assert "opioid_flag_agreement_above_threshold" in warning.value
    assert _metric(at, "Failed") == "2"
    assert _metric(at, "No result") == str(checks - 2)
    # The check panel is the first section of the page.
    headings = [m.value for m in at.main.markdown if m.value.startswith("#####")]
    assert headings[0] == "##### Asset checks"
    status = _frame_with(at, "blocking")
    assert list(status["outcome"][:2]) == ["✖ failed", "✖ failed"]
    assert list(status["severity"][:2]) == ["ERROR", "WARN"]


@pytest.fixture(scope="module")
def app_db_with_me_quarantine(demo_pipeline, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The demo publication with two quarantined Medical Examiner records added."""
    db = tmp_path_factory.mktemp("me_quarantine") / "app.duckdb"
    shutil.copy(demo_pipeline.app_db, db)
    with duckdb.connect(str(db)) as con:
        con.execute(
            """INSERT INTO marts.me_quarantine VALUES
               ('staging', 'pull-a/page-0001.json', 12, 'ME2099-INJ0001',
                'death_date missing or unparseable', TIMESTAMP '2026-11-01 10:00:00'),
               ('raw', 'pull-a/page-0001.json', 40, NULL, 'missing casenumber',
                TIMESTAMP '2026-11-01 10:00:00')"""
        )
    yield db


def test_case_numbers_only_in_member_mode(app_db_with_me_quarantine: Path, tmp_path: Path) -> None:
    no_history = tmp_path / "no_dagster_home"
    public = _page(app_db_with_me_quarantine, no_history, section="Quarantined rows")
    listing = _frame_with(public, "reason")
    me = listing[listing["source"] == "Medical Examiner"]
    assert sorted(me["row_number"]) == [12, 40]
    assert "case_number" not in listing.columns
    assert not any("ME2099-INJ0001" in str(v) for col in listing.columns for v in listing[col])
    assert any("17 row(s) not loaded: 2 Medical Examiner record(s)" in c.value for c in public.caption)
    # No run history reachable: said plainly, and no check is claimed to have passed.
    assert "No Dagster run history" in public.info[0].value
    assert _metric(public, "Passed") == "0"
    assert not no_history.exists(), "the page must not create a Dagster home"

    password_sha256 = hashlib.sha256(b"correct horse battery staple").hexdigest()
    member = _page(
        app_db_with_me_quarantine,
        no_history,
        secrets={"members": {"password_sha256": password_sha256}},
        member=True,
        section="Quarantined rows",
    )
    listing = _frame_with(member, "reason")
    assert "ME2099-INJ0001" in set(listing["case_number"].dropna())

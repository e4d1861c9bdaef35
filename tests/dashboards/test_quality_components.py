"""The Data quality page's pure logic, with known answers (dashboards/components/quality.py)."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from dashboards.components import check_results, quality
from pipelines.defs.field_data.schema import SPECS
from pipelines.defs.marts.quality import catalogue_of, check_catalogue

FIELDS = tuple(sorted({c.name for spec in SPECS.values() for c in spec.columns}))
T0 = datetime(2026, 11, 1, 12, 0)
ROOT = Path(__file__).resolve().parents[2]


@dg.asset(key="quality_probe")
def _checked_asset() -> int:
    return 1


@dg.asset_check(asset="quality_probe")
def probe_ok() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


# Every example reason of the validation table (docs/data/field-data.md), with the rule and field it belongs to.
README_REASONS = [
    ("result is missing", "Required value missing", "result"),
    ("tested_on '13/02/2026' is not a date (use YYYY-MM-DD, MM/DD/YYYY or an Excel date)", "Value not readable", "tested_on"),
    ("result 'pos?' is not one of: positive, negative, invalid", "Value not readable", "result"),
    ("contacts 'lots' is not a whole number", "Value not readable", "contacts"),
    ("contacts -3 is negative", "Negative or implausible count", "contacts"),
    ("contacts 25000 is implausibly large (more than 2,000 in one row)", "Negative or implausible count", "contacts"),
    ("tested_on 2062-02-14 is in the future", "Future or implausibly old date", "tested_on"),
    ("tested_on 2003-02-14 is before 2010-01-01 (a typing error?)", "Future or implausibly old date", "tested_on"),
    (
        "coordinates 41.88, 87.7259 are outside Cook County (longitudes in Chicago are negative: did you mean -87.7259?)",
        "Coordinates outside Cook County",
        "latitude, longitude",
    ),
    ("hotspot_id 'HS-99' is not in the hot-spot list", "Unknown hot spot", "hotspot_id"),
    ("community_area 'Austn' is not a Chicago community area (did you mean Austin?)", "Unknown community area", "community_area"),
    ("no location: give hotspot_id, latitude and longitude, or community_area", "No location or conflicting locations", None),
    (
        "location conflict: community_area says Humboldt Park but hot spot HS-01 is in West Garfield Park",
        "No location or conflicting locations",
        "community_area",
    ),
    (
        "the row has 1 value(s) to the right of the last column (an unquoted comma or a shifted row?)",
        "Values past the last column",
        None,
    ),
    ("team is a spreadsheet formula, not a value", "Formula or overlong text", "team"),
    ("team is longer than 80 characters", "Formula or overlong text", "team"),
    ("exact duplicate of row 5", "Duplicate", None),
    ("exact duplicate of row 5 in 'week12.csv'", "Duplicate", None),
    ("hotspot_id HS-01 is already defined in row 2", "Duplicate", "hotspot_id"),
    ("sample S-0142 already has a fentanyl strip result in row 7", "Duplicate", None),
    # The Medical Examiner's reasons (sql/raw/me_merge.sql, sql/staging/me_cases_typed.sql).
    ("missing casenumber", "Required value missing", "casenumber"),
    ("duplicate casenumber in the same pull; a later version was loaded", "Duplicate", "casenumber"),
    ("death_date missing or unparseable", "Required value missing", "death_date"),
    ("death_date outside the plausible range", "Future or implausibly old date", "death_date"),
]


@pytest.mark.parametrize(("reason", "rule", "field"), README_REASONS)
def test_every_documented_reason_has_its_rule_and_field(reason: str, rule: str, field: str | None) -> None:
    # A Medical Examiner reason is one problem as it stands (the page does not split it).
    problems = [reason] if ("casenumber" in reason or "death_date" in reason) else quality.split_problems(reason)
    assert [quality.problem_rule(p) for p in problems] == [rule]
    fields = FIELDS + ("death_date", "casenumber")
    assert quality.problem_field(problems[0], fields) == field


def test_split_problems_drops_the_sheet_and_keeps_a_refusal_whole() -> None:
    assert quality.split_problems("sheet 'March': result is missing; contacts -3 is negative") == [
        "result is missing",
        "contacts -3 is negative",
    ]
    refusal = "file refused: column 'Notes' looks like free-text notes; remove column 'Notes' and send it again"
    assert quality.split_problems(refusal) == [refusal]
    assert quality.problem_rule(refusal) == "File refused"
    assert quality.problem_rule("something new") == quality.OTHER_RULE


def _me_quarantine(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "stage": pl.String, "file": pl.String, "row_number": pl.Int64, "case_number": pl.String,
            "reason": pl.String, "quarantined_at": pl.Datetime("us"),
        },
        orient="row",
    )  # fmt: skip


def _field_quarantine(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "source": pl.String, "stage": pl.String, "file": pl.String, "row_number": pl.Int64,
            "reason": pl.String, "quarantined_at": pl.Datetime("us"),
        },
        orient="row",
    )  # fmt: skip


ME_ROWS = _me_quarantine(
    [
        ("raw", "pull-1/page-0001.json", 7, None, "missing casenumber", T0),
        ("staging", "pull-1/page-0001.json", 6, "ME2023-00006", "death_date missing or unparseable", T0),
    ]
)
FIELD_ROWS = _field_quarantine(
    [
        ("outreach", "validation", "week1.csv", 4, "team is missing; contacts -3 is negative", T0),
        ("test_strips", "validation", "march.xlsx", 9, "sheet 'A': result is missing", T0),
        ("outreach", "refused", "late.csv", 2, "file refused: column 'Notes' looks like notes; remove it", T0),
    ]
)


def test_quarantine_listing_public_has_no_case_numbers() -> None:
    listing = quality.quarantine_listing(ME_ROWS, FIELD_ROWS, FIELDS, include_case_numbers=False)
    assert listing.height == 5
    assert "case_number" not in listing.columns
    assert "ME2023-00006" not in listing.write_csv()
    first = listing.filter(pl.col("file") == "week1.csv").row(0, named=True)
    assert first["source"] == "Outreach logs"
    assert first["field"] == "team, contacts"
    assert first["rule"] == "Required value missing, Negative or implausible count"


def test_quarantine_listing_for_members_keeps_case_numbers() -> None:
    listing = quality.quarantine_listing(ME_ROWS, FIELD_ROWS, FIELDS, include_case_numbers=True)
    me = listing.filter(pl.col("source") == "Medical Examiner").sort("row_number")
    assert me.get_column("case_number").to_list() == ["ME2023-00006", None]
    assert me.get_column("field").to_list() == [None, "casenumber"]


def test_quarantine_by_rule_counts_rows_under_each_rule() -> None:
    listing = quality.quarantine_listing(ME_ROWS, FIELD_ROWS, FIELDS, include_case_numbers=False)
    counts = {(s, r): n for s, r, n in quality.quarantine_by_rule(listing).iter_rows()}
    assert counts == {
        ("Medical Examiner", "Required value missing"): 2,
        ("Outreach logs", "Required value missing"): 1,
        ("Outreach logs", "Negative or implausible count"): 1,
        ("Outreach logs", "File refused"): 1,
        ("Test strips", "Required value missing"): 1,
    }
    empty = quality.quarantine_listing(ME_ROWS.head(0), FIELD_ROWS.head(0), FIELDS, include_case_numbers=False)
    assert quality.quarantine_by_rule(empty).is_empty()


def test_reconciliation_counts_each_side_apart() -> None:
    data_quality = pl.DataFrame(
        {"metric": ["quarantined_share", "unplaced_share"], "numerator": [3, 10], "denominator": [100, 90]}
    )
    me = pl.DataFrame({"source": ["medical_examiner"], "row_count": [97]})
    files = pl.DataFrame({"source": ["outreach", "outreach", "test_strips"], "rows_in": [10, 3, 5]})
    staged = pl.DataFrame({"source": ["outreach", "test_strips", "hotspots"], "row_count": [9, 5, 18]})
    quarantine = pl.DataFrame(
        {"source": ["outreach"] * 4 + ["test_strips"], "row_number": [2, 3, 4, 5, None]}
    )
    recon = quality.reconciliation(data_quality, me, files, staged, quarantine)
    assert recon.rows() == [
        ("Medical Examiner", 100, 97, 3, 0, True),
        ("Test strips", 5, 5, 0, 0, True),
        ("Outreach logs", 13, 9, 4, 0, True),
        # A hot-spot list with no ingest-log entry: 18 rows loaded from nothing is a mismatch.
        ("Hot-spot list", 0, 18, 0, -18, False),
    ]
    shown = quality.reconciliation_display(recon)
    assert shown.columns == ["Source", "Rows in", "Loaded", "Quarantined", "Difference", "Adds up"]
    assert shown.get_column("Adds up").to_list() == ["✔ yes", "✔ yes", "✔ yes", "✖ no"]


def test_freshness_table_ages_in_days() -> None:
    sources = pl.DataFrame(
        {
            "source": ["outreach", "medical_examiner"],
            "label": ["Outreach", "ME"],
            "is_synthetic": [False, False],
            "data_from": [date(2026, 1, 1), date(2016, 1, 1)],
            "data_to": [date(2026, 10, 31), date(2026, 10, 31)],
            "refreshed_at": [datetime(2026, 11, 20, 12), datetime(2026, 11, 23, 0)],
            "row_count": [100, 25_000],
        }
    )
    table = quality.freshness_table(sources, datetime(2026, 11, 24, 12, tzinfo=UTC))
    assert table.get_column("source").to_list() == ["Medical Examiner", "Outreach logs"]
    assert table.get_column("age_days").to_list() == [1.5, 4.0]
    shown = quality.freshness_display(table.vstack(table.head(1).with_columns(pl.lit(None).alias("data_from"))))
    assert shown.row(0) == ("Medical Examiner", "ME", "1 Jan 2016", "31 Oct 2026", 25_000, "22 Nov 2026, 6:00 PM CST", "1.5")
    # Midnight UTC on 23 Nov is 6 PM on the 22nd in Chicago; a missing date stays missing.
    assert shown.row(1)[2:4] == ("1 Jan 2026", "31 Oct 2026") and shown.row(2)[2] is None


def test_quality_metric_threshold_both_ways() -> None:
    dq = pl.DataFrame(
        {
            "metric": ["unplaced_share", "opioid_flag_agreement_overdoses"],
            "description": ["u", "o"],
            "numerator": [9, 80],
            "denominator": [100, 100],
            "value": [0.09, 0.80],
        }
    )
    unplaced = quality.quality_metric(dq, "unplaced_share", minimum=0.85, higher_is_better=False)
    assert unplaced is not None and unplaced.meets_threshold is True  # 91 % placed
    agreement = quality.quality_metric(dq, "opioid_flag_agreement_overdoses", minimum=0.85)
    assert agreement is not None and agreement.meets_threshold is False
    assert quality.quality_metric(dq, "absent") is None


CATALOGUE = pl.DataFrame(
    {
        "asset": ["marts/data_quality", "marts/data_quality", "staging/me_cases", "staging/me_cases", "marts/alerts"],
        "check_name": ["opioid_flag", "placed_share", "unique", "rows_add_up", "alerts_consistent"],
        "blocking": [False, False, True, True, False],
        "description": ["flag agrees", "placed share", "one row per case", "nothing lost", "consistent"],
    }
)


def _result(asset: str, name: str, outcome: str, severity: str | None, **metadata: str) -> check_results.CheckResult:
    return check_results.CheckResult(asset, name, outcome, severity, T0, "run-1", metadata=dict(metadata))


def test_placement_by_year_suppresses_small_counts_and_what_would_reveal_them() -> None:
    annual = pl.DataFrame(
        {
            "year": [2016, 2017, 2018, 2019],
            "cases": [1000, 1200, 3, 40],
            "placed": [930, 1100, 3, 40],
            "geocoded": [55, 5, 0, 0],
            "unplaced": [15, 95, 0, 0],
        }
    )
    shown = quality.placement_by_year(annual, threshold=10)
    assert shown.columns == ["Year", "Cases", "By archive", "Geocoded", "Unplaced"]
    assert shown.rows() == [
        ("2016", "1,000", "930 (93.0%)", "55 (5.5%)", "15 (1.5%)"),
        # 5 geocoded is hidden, and so is the smallest other count: 1,200 − 1,100 would give it back.
        ("2017", "1,200", "1,100 (91.7%)", "<10", "*"),
        ("2018", "<10", "<10", "0 (0.0%)", "0 (0.0%)"),
        ("2019", "40", "40 (100.0%)", "0 (0.0%)", "0 (0.0%)"),
    ]
    assert quality.placement_by_year(annual.clear(), threshold=10).columns == shown.columns


def test_check_status_puts_failures_first_errors_before_warnings() -> None:
    history = check_results.CheckHistory(
        available=True,
        results={
            ("marts/data_quality", "opioid_flag"): _result("marts/data_quality", "opioid_flag", "failed", "WARN"),
            ("marts/data_quality", "placed_share"): _result(
                "marts/data_quality", "placed_share", "failed", "ERROR", placed_share="0.9097"
            ),
            ("staging/me_cases", "unique"): _result("staging/me_cases", "unique", "passed", "ERROR"),
            ("staging/me_cases", "rows_add_up"): _result("staging/me_cases", "rows_add_up", "did not run", None),
        },
    )
    status = check_results.check_status_table(CATALOGUE, history)
    assert status.select("check_name", "outcome", "severity").rows() == [
        ("placed_share", "failed", "ERROR"),
        ("opioid_flag", "failed", "WARN"),
        ("rows_add_up", "did not run", None),
        ("alerts_consistent", "no result", None),
        ("unique", "passed", None),  # severity only matters for a failure
    ]
    assert status.get_column("details")[0] == "placed_share: 0.9097"
    assert check_results.check_counts(status) == {
        "failed": 2, "did not run": 1, "running": 0, "no result": 1, "passed": 1,
    }  # fmt: skip


def test_format_metadata_value() -> None:
    assert check_results.format_metadata_value(25_000) == "25,000"
    assert check_results.format_metadata_value(0.909712) == "0.9097"
    assert check_results.format_metadata_value(True) == "yes"
    assert check_results.format_metadata_value({"b": 1, "a": 2}) == '{"a": 2, "b": 1}'


def test_missing_dagster_home_is_reported_not_created(tmp_path) -> None:
    home = tmp_path / "nowhere"
    history = check_results.read_check_results(home, [("staging/me_cases", "unique")])
    assert not history.available and "DAGSTER_HOME" in history.message
    assert not home.exists()


def test_shipped_dagster_yaml_is_read_without_dagster_home_set(tmp_path, monkeypatch) -> None:
    """deploy/dagster.yaml stores runs under {env: DAGSTER_HOME}; the dashboard may run without
    that variable (plain `streamlit run`), and must still read the instance it was pointed at."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.from_config(str(home)) as instance:
        dg.materialize([_checked_asset, probe_ok], instance=instance)
    monkeypatch.delenv("DAGSTER_HOME")

    history = check_results.read_check_results(home, [("quality_probe", "probe_ok")])
    assert history.available, history.message
    assert history.results[("quality_probe", "probe_ok")].outcome == "passed"
    assert "DAGSTER_HOME" not in os.environ  # put back as it was


@pytest.mark.parametrize(
    "text",
    [
        "storage:\n  sqlite:\n    base_dir: 17\n    colour: blue\n",  # not Dagster's schema
        "storage: [unclosed\n",  # not YAML
    ],
)
def test_unreadable_dagster_yaml_is_reported(tmp_path, text: str) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(text)
    history = check_results.read_check_results(home, [("quality_probe", "probe_ok")])
    assert not history.available
    assert "dagster.yaml is not valid" in history.message
    assert str(tmp_path) not in history.message  # the public page shows it; paths are for members


def test_check_catalogue_lists_every_spec() -> None:
    @dg.asset_check(asset=dg.AssetKey(["staging", "x"]), blocking=True, description="about x")
    def x_ok() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=True)

    @dg.asset_check(asset=dg.AssetKey(["marts", "a"]))
    def a_ok() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=True)

    catalogue = check_catalogue(spec for checks in (x_ok, a_ok) for spec in checks.check_specs)
    assert catalogue.rows() == [("marts/a", "a_ok", False, ""), ("staging/x", "x_ok", True, "about x")]


def test_catalogue_of_definitions_counts_each_check_once() -> None:
    """Checks on their own and checks declared on an asset; the same object found twice (as
    ``load_from_defs_folder`` finds an object imported by two modules) is one check."""

    @dg.asset(key=["staging", "y"], check_specs=[dg.AssetCheckSpec("y_rows", asset=["staging", "y"], blocking=True)])
    def y() -> dg.MaterializeResult:
        return dg.MaterializeResult(check_results=[dg.AssetCheckResult(passed=True)])

    @dg.asset_check(asset=y, description="about y")
    def y_fresh() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=True)

    definitions = dg.Definitions(assets=[y, y], asset_checks=[y_fresh, y_fresh])
    assert catalogue_of(definitions).rows() == [
        ("staging/y", "y_fresh", False, "about y"),
        ("staging/y", "y_rows", True, ""),
    ]

"""Security: SQL values are bound, secrets never leave the environment, CSV exports are defused."""

from __future__ import annotations

import ast
import csv
import functools
import io
import logging
from datetime import date
from pathlib import Path

import dagster as dg
import pytest
from soda_server import SodaServer

from pipelines.csv_export import FORMULA_PREFIXES, csv_export_bytes, escape_csv_cell
from pipelines.defs.medical_examiner.assets import me_records
from pipelines.defs.resources import build_resources
from pipelines.demo.medical_examiner import generate_me_records
from pipelines.settings import PROJECT_ROOT, load_settings

CODE_DIRS = ("pipelines", "dashboards")
#: Functions that run SQL text given as their first argument (or second, after the connection).
SQL_RUNNERS = {"execute", "executemany", "sql", "fetch_row", "read_frame", "_read", "_query", "query"}

#: Every expression formatted into SQL text in the code, and why it is safe. All are identifiers
#: from fixed lists in our own code, never a value a user or a file can influence; values are always
#: bound (``?`` / ``$name``). A new formatted expression fails this test until it is reviewed here.
ALLOWED_IN_SQL = {
    ("pipelines/warehouse.py", "schema"): "schema of a table in PUBLISHED_TABLES / information_schema",
    ("pipelines/warehouse.py", "name"): "table name from PUBLISHED_TABLES / information_schema",
    ("pipelines/warehouse.py", "row"): "quoted column names read from information_schema",
    ("pipelines/warehouse.py", "m_schema"): "MANIFEST_TABLE constant",
    ("pipelines/warehouse.py", "m_name"): "MANIFEST_TABLE constant",
    ("pipelines/warehouse.py", "table"): "replace_table: a mart name fixed in the asset definitions",
    ("pipelines/defs/field_data/marts.py", "table"): "mart name fixed in FIELD_DATA_MARTS",
    ("pipelines/defs/field_data/ingest.py", "spec.table"): "staging table of a SourceSpec constant",
    ("dashboards/components/data.py", "_MANIFEST"): "module constant",
    ("dashboards/components/data.py", "columns"): "column names from the fixed DEMOGRAPHICS table",
    ("dashboards/components/field_loaders.py", "', '.join(OUTREACH_KPI_COLUMNS)"): "fixed column list",
    ("dashboards/components/overview_loaders.py", "', '.join(FIELD_KPIS)"): "fixed column list",
}


@functools.cache
def formatted_sql() -> frozenset[tuple[str, str]]:
    """(file, expression) for every expression formatted into an f-string passed to a SQL runner."""
    found = set()
    for folder in CODE_DIRS:
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if name not in SQL_RUNNERS:
                    continue
                for arg in node.args[:2]:
                    if isinstance(arg, ast.JoinedStr):
                        for part in arg.values:
                            if isinstance(part, ast.FormattedValue):
                                found.add((str(path.relative_to(PROJECT_ROOT)), ast.unparse(part.value)))
    return frozenset(found)


def test_only_reviewed_identifiers_are_formatted_into_sql() -> None:
    unreviewed = sorted(formatted_sql() - set(ALLOWED_IN_SQL))
    assert unreviewed == [], "bind these as parameters, or review them into ALLOWED_IN_SQL"


def test_the_sql_scan_finds_formatted_values() -> None:
    """The scan itself works: it sees a value formatted into SQL."""
    tree = ast.parse('con.execute(f"SELECT * FROM t WHERE x = {user_value}")')
    call = tree.body[0].value
    assert isinstance(call.args[0], ast.JoinedStr)
    assert any(("pipelines/warehouse.py", e) in ALLOWED_IN_SQL for e in ("schema", "name"))
    assert formatted_sql() >= {("pipelines/defs/field_data/ingest.py", "spec.table")}


# ---------------------------------------------------------------------------------------- secrets

TOKEN = "tok-SECRET-1234567890"
SMTP_PASSWORD = "smtp-SECRET-pass"
WEBHOOK = "https://hooks.example.test/services/T000/B000/SECRETwebhookTOKEN"


@pytest.fixture
def secret_env(isolated_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    secrets = {"SOCRATA_APP_TOKEN": TOKEN, "SMTP_PASSWORD": SMTP_PASSWORD, "ODW_ALERT_WEBHOOK_URL": WEBHOOK}
    for key, value in secrets.items():
        monkeypatch.setenv(key, value)
    return secrets


def _leaks(text: str) -> list[str]:
    return [s for s in (TOKEN, SMTP_PASSWORD, WEBHOOK, "SECRETwebhookTOKEN") if s in text]


def test_settings_never_show_secrets(secret_env) -> None:
    settings = load_settings()
    assert settings.socrata_app_token == TOKEN and settings.smtp_password == SMTP_PASSWORD
    assert settings.alert_webhook_url == WEBHOOK
    assert _leaks(repr(settings)) == [] and _leaks(str(settings)) == []


def test_a_live_pull_with_a_token_logs_and_records_no_secret(
    secret_env, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    records = generate_me_records(n=60, seed=5, end_month=date(2026, 10, 1))
    caplog.set_level(logging.DEBUG)
    with SodaServer(records, faults=["503", ("429", 0)]) as server:
        monkeypatch.setenv("ODW_ME_SOURCE", "live")
        monkeypatch.setenv("ODW_SOCRATA_BASE_URL", server.base_url)
        monkeypatch.setenv("ODW_SOCRATA_PAGE_SIZE", "25")
        result = dg.materialize([me_records], resources=build_resources())
        sent = [headers.get("X-App-Token") for _, _, headers in server.requests]
    assert result.success
    assert set(sent) == {TOKEN}, "the token is used (in the header)..."
    events = "\n".join(repr(e) for e in result.all_events)
    assert _leaks(events) == [], "...but never appears in Dagster events, metadata or run logs"
    assert _leaks(caplog.text) == []
    raw = Path(load_settings().me_raw_dir)
    stored = "\n".join(p.read_text(errors="replace") for p in raw.rglob("*") if p.is_file())
    assert _leaks(stored) == []


def test_the_dashboard_code_never_reads_secrets() -> None:
    code = "\n".join(p.read_text(encoding="utf-8") for p in (PROJECT_ROOT / "dashboards").rglob("*.py"))
    for attribute in ("socrata_app_token", "smtp_password", "alert_webhook_url", "smtp_user"):
        assert attribute not in code


# ------------------------------------------------------------------------------- CSV injection

#: The only modules that may write CSV: the export writer (escapes every cell) and the writer of
#: simulated *input* files (demo data and tests write field files as coordinators send them).
CSV_WRITERS = {"pipelines/csv_export.py", "pipelines/defs/field_data/writing.py"}


def test_every_csv_writer_goes_through_the_escaping_export() -> None:
    writers = set()
    for folder in CODE_DIRS:
        for path in (PROJECT_ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if "csv.writer(" in text or "csv.DictWriter(" in text or ".write_csv(" in text:
                writers.add(str(path.relative_to(PROJECT_ROOT)))
    # The demo ME generator writes its synthetic *input* file (JSON lines), not a CSV export. The
    # geocoder client writes the batch file it sends to the geocoding service: read by a machine,
    # never opened in a spreadsheet, and every street in it starts with a house number (escaping
    # would only alter the addresses).
    assert writers - {"pipelines/demo/medical_examiner/writing.py", "pipelines/defs/geography/geocoder.py"} <= CSV_WRITERS


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ('=HYPERLINK("http://x","click")', '\'=HYPERLINK("http://x","click")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("-2+3", "'-2+3"),
        ("\r=1", "'\r=1"),
        (-87.7259, "-87.7259"),  # a number is a value, never a formula
        (-3, "-3"),
        ("Austin", "Austin"),
    ],
)
def test_escape_csv_cell(cell: object, expected: str) -> None:
    assert escape_csv_cell(cell) == expected


def test_exported_csv_has_no_live_formula() -> None:
    rows = [[p + "1+1", "ok", -1.5] for p in FORMULA_PREFIXES]
    parsed = list(csv.reader(io.StringIO(csv_export_bytes(["=name", "b", "c"], rows).decode("utf-8-sig"))))
    cells = [c for row in parsed for c in row if not c.lstrip("-").replace(".", "").isdigit()]
    assert all(not c.startswith(FORMULA_PREFIXES) for c in cells)
    assert parsed[1][2] == "-1.5"


def test_dashboard_downloads_and_templates_use_the_export_writer(tmp_path: Path) -> None:
    import polars as pl

    from dashboards.components import data, table_display
    from pipelines.defs.field_data.templates import write_templates

    frame = pl.DataFrame({"team": ['=HYPERLINK("x")'], "n": [-2]})
    assert table_display.to_csv_bytes(frame) == csv_export_bytes(["team", "n"], [['=HYPERLINK("x")', -2]])
    assert b"'=HYPERLINK" in table_display.to_csv_bytes(frame)
    templates = [p for p in write_templates(tmp_path) if p.suffix == ".csv"]
    assert len(templates) == 3
    for path in templates:
        (header,) = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))
        assert path.read_bytes() == csv_export_bytes(header, [])

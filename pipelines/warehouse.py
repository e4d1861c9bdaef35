"""Running the project's SQL files against DuckDB, and publishing the app's read-only copy.

SQL lives in `sql/` and is read by path; values are always bound parameters (`$name`), never
formatted into the text.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import duckdb

from pipelines.settings import PROJECT_ROOT

SQL_DIR = PROJECT_ROOT / "sql"

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def read_sql(name: str) -> str:
    """Return the text of ``sql/<name>`` (e.g. ``"marts/me_monthly_by_area.sql"``)."""
    return (SQL_DIR / name).read_text(encoding="utf-8")


def split_statements(text: str) -> list[str]:
    """Split a SQL file into statements on semicolons that end a line (our files' convention)."""
    without_comments = "\n".join(
        line for line in text.splitlines() if not line.lstrip().startswith("--")
    )
    parts = re.split(r";\s*(?:\n|$)", without_comments)
    return [p.strip() for p in parts if p.strip()]


def run_sql_file(
    con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any] | None = None
) -> None:
    """Execute every statement of ``sql/<name>``, binding only the ``$params`` each one uses."""
    params = dict(params or {})
    for statement in split_statements(read_sql(name)):
        used = set(_PARAM.findall(statement))
        missing = used - params.keys()
        if missing:
            raise KeyError(f"{name}: no value bound for {sorted(missing)}")
        con.execute(statement, {k: params[k] for k in used} if used else None)


def query_sql_file(
    con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any] | None = None
) -> duckdb.DuckDBPyRelation:
    """The single SELECT in ``sql/<name>`` as a relation (``.pl()``, ``.arrow()``, ...)."""
    statements = split_statements(read_sql(name))
    if len(statements) != 1:
        raise ValueError(f"{name} must hold exactly one statement, found {len(statements)}")
    used = set(_PARAM.findall(statements[0]))
    params = dict(params or {})
    return con.sql(statements[0], params={k: params[k] for k in used} if used else None)


def fetch_row(
    con: duckdb.DuckDBPyConnection, sql: str, params: Mapping[str, Any] | None = None
) -> tuple:
    """The first row of a query, with the result read to its end.

    DuckDB 2 refuses further relational work on a connection whose last ``execute()`` result was
    not read to the end, so a bare ``fetchone()`` would poison the connection.
    """
    rows = con.execute(sql, params).fetchall()
    return rows[0] if rows else ()


def publish_tables(
    con: duckdb.DuckDBPyConnection, target: Path, tables: Iterable[str]
) -> dict[str, int]:
    """Copy ``tables`` (``schema.name``) into a new DuckDB file and atomically swap it in at ``target``.

    The dashboard only ever opens ``target`` read-only; because the new file is complete before
    ``os.replace`` puts it in place, a reader sees either the old or the new publication, never a
    half-written one, and the pipeline never needs a lock the dashboard holds.
    Returns the row count of each published table.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    counts: dict[str, int] = {}
    con.execute("ATTACH ? AS publication", [str(tmp)])
    try:
        schemas = {t.split(".")[0] for t in tables}
        for schema in sorted(schemas):
            con.execute(f'CREATE SCHEMA IF NOT EXISTS publication."{schema}"')
        for table in tables:
            schema, name = table.split(".")
            # Identifiers come from our own code, never from users; quoted anyway.
            con.execute(
                f'CREATE TABLE publication."{schema}"."{name}" AS SELECT * FROM "{schema}"."{name}"'
            )
            counts[table] = fetch_row(con, f'SELECT count(*) FROM publication."{schema}"."{name}"')[0]
    finally:
        con.execute("DETACH publication")
    os.replace(tmp, target)
    return counts

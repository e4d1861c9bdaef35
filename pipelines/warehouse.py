"""Running the project's SQL files against DuckDB, and publishing the app's read-only copy.

SQL lives in `sql/` and is read by path; values are always bound parameters (`$name`), never
formatted into the text.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
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


#: Schema and table of the publication manifest written into every published file.
MANIFEST_TABLE = "meta.publication_manifest"


def replace_table(con: duckdb.DuckDBPyConnection, table: str, frame: Any) -> None:
    """``CREATE OR REPLACE TABLE <table>`` from a Polars frame, in DuckDB (Arrow, no copy through rows).

    ``table`` is always a name fixed in our code (an asset's mart), never input.
    """
    con.register("frame_to_write", frame.to_arrow())
    try:
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM frame_to_write")
    finally:
        con.unregister("frame_to_write")


def table_checksum(con: duckdb.DuckDBPyConnection, table: str, exclude: Iterable[str] = ()) -> int:
    """Order-independent checksum of every row of ``table`` (``schema.name``), minus ``exclude`` columns.

    The sum of DuckDB's row hashes: equal for equal multisets of rows, so two builds of the same
    mart compare equal whatever order their rows were written in.
    """
    schema, name = table.split(".")
    columns = [
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_catalog = current_database() AND table_schema = ? AND table_name = ? "
            "ORDER BY ordinal_position",
            [schema, name],
        ).fetchall()
        if r[0] not in set(exclude)
    ]
    if not columns:
        raise ValueError(f"{table}: no such table, or every column excluded")
    # Identifiers come from information_schema (quoted), never from users.
    row = ", ".join(f'"{c}"' for c in columns)
    value = fetch_row(con, f'SELECT coalesce(sum(hash(struct_pack({row}))), 0) FROM "{schema}"."{name}"')[0]
    return int(value)


def publish_tables(
    con: duckdb.DuckDBPyConnection, target: Path, tables: Iterable[str]
) -> dict[str, int]:
    """Copy ``tables`` (``schema.name``) into a new DuckDB file and atomically swap it in at ``target``.

    The dashboard only ever opens ``target`` read-only; because the new file is complete (and
    flushed to disk) before ``os.replace`` puts it in place, a reader sees either the old or the
    new publication, never a half-written one, and the pipeline never needs a lock the dashboard
    holds. The file carries ``meta.publication_manifest``: one row per table with a publication
    id (new for every publication), the publication time, the row count and a content checksum,
    so a reader can tell which publication each of its queries read (see
    ``dashboards.components.data``). Returns the row count of each published table.
    """
    tables = list(tables)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Left-overs of a publication killed before its swap: only the one process holding the
    # warehouse publishes, so no other publication can be in progress.
    for stale in target.parent.glob(f".{target.name}.*.tmp"):
        stale.unlink(missing_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    publication_id = uuid.uuid4().hex
    published_at = datetime.now(UTC).replace(tzinfo=None)
    counts: dict[str, int] = {}
    con.execute("ATTACH ? AS publication", [str(tmp)])
    try:
        # One transaction: every table is copied from the same state of the warehouse.
        con.execute("BEGIN TRANSACTION")
        schemas = {t.split(".")[0] for t in tables} | {MANIFEST_TABLE.split(".")[0]}
        for schema in sorted(schemas):
            con.execute(f'CREATE SCHEMA IF NOT EXISTS publication."{schema}"')
        manifest: list[tuple[str, int, int]] = []
        for table in tables:
            schema, name = table.split(".")
            # Identifiers come from our own code (PUBLISHED_TABLES), never from users; quoted anyway.
            con.execute(
                f'CREATE TABLE publication."{schema}"."{name}" AS SELECT * FROM "{schema}"."{name}"'
            )
            counts[table] = fetch_row(con, f'SELECT count(*) FROM publication."{schema}"."{name}"')[0]
            manifest.append((table, counts[table], table_checksum(con, table)))
        m_schema, m_name = MANIFEST_TABLE.split(".")
        con.execute(
            f'CREATE TABLE publication."{m_schema}"."{m_name}" (publication_id VARCHAR NOT NULL, '
            "published_at TIMESTAMP NOT NULL, table_name VARCHAR NOT NULL, row_count BIGINT NOT NULL, "
            "checksum HUGEINT NOT NULL)"
        )
        con.executemany(
            f'INSERT INTO publication."{m_schema}"."{m_name}" VALUES (?, ?, ?, ?, ?)',
            [(publication_id, published_at, t, n, c) for t, n, c in manifest],
        )
        con.execute("COMMIT")
    except BaseException:
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:
            pass  # the failure came before the transaction began
        con.execute("DETACH publication")
        tmp.unlink(missing_ok=True)
        raise
    con.execute("DETACH publication")
    try:
        _fsync(tmp)
        os.replace(tmp, target)
        _fsync(target.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return counts


def _fsync(path: Path) -> None:
    """Flush ``path`` (a file or a directory) to disk, so a crash cannot leave a renamed but empty file."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def open_published(path: str | Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived read-only connection to the published database file now at ``path``.

    ``duckdb.connect(path)`` would hand out the database instance DuckDB caches per path while any
    connection to it is still open in this process (another dashboard session's query, say) — the
    file that was at ``path`` *before* the last publish. Attaching from a fresh in-memory database
    always opens the file currently there. Every reader of the published file goes through here.
    """
    con = duckdb.connect(":memory:")
    try:
        con.execute("ATTACH ? AS app (READ_ONLY)", [str(path)])
        con.execute("USE app")
        yield con
    finally:
        con.close()


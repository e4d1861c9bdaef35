"""Dagster resources: the settings object and the DuckDB warehouse."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from pipelines.settings import Settings, load_settings
from pipelines.warehouse import run_sql_file


class SettingsResource(dg.ConfigurableResource):
    """Gives assets the :class:`Settings` read from the environment at run time."""

    def get(self) -> Settings:
        """Current settings (environment and optional ``.env``)."""
        return load_settings()


class WarehouseLocked(RuntimeError):
    """Another process holds the warehouse file; DuckDB allows a single writing process."""


def explain_lock_error(exc: duckdb.Error, path: object) -> WarehouseLocked | None:
    """A clear :class:`WarehouseLocked` for DuckDB's lock-conflict error, or None for other errors."""
    text = str(exc)
    if "Could not set lock" not in text:
        return None
    holder = re.search(r"held in (.*?) \(PID (\d+)\)", text)
    who = f"{holder.group(1)} (PID {holder.group(2)})" if holder else "another process"
    return WarehouseLocked(
        f"The warehouse `{path}` is open in {who}. DuckDB allows one writing process per file, "
        "so this run cannot write until it is closed: finish or stop the other pipeline run, or "
        "close the DuckDB CLI / notebook / SQL client holding the warehouse, then run again. "
        "(The dashboard never holds it: it reads the published copy, ODW_APP_DB.)"
    )


@contextmanager
def warehouse(resource: DuckDBResource, settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writable warehouse connection with the schema in place (created on first use).

    Raises :class:`WarehouseLocked` (after the resource's own retries, about 100 s) when another
    process holds the warehouse.
    """
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    try:
        with resource.get_connection() as con:
            # DuckDBResource closes only on success; a failed step must not keep the file open.
            try:
                con.execute("SET memory_limit = ?", [settings.warehouse_memory_limit])
                run_sql_file(con, "raw/schema.sql")
                yield con
            finally:
                con.close()
    except duckdb.IOException as exc:
        locked = explain_lock_error(exc, settings.warehouse)
        if locked is None:
            raise
        raise locked from exc


def build_resources(settings: Settings | None = None) -> dict[str, object]:
    """The resources every asset uses, configured from ``settings`` (default: the environment)."""
    settings = settings or load_settings()
    return {
        "settings": SettingsResource(),
        "duckdb": DuckDBResource(database=str(settings.warehouse)),
    }

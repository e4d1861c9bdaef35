"""Dagster resources: the settings object and the DuckDB warehouse."""

from __future__ import annotations

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


@contextmanager
def warehouse(resource: DuckDBResource, settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writable warehouse connection with the schema in place (created on first use)."""
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    with resource.get_connection() as con:
        # DuckDBResource closes only on success; a failed step must not keep the file open.
        try:
            run_sql_file(con, "raw/schema.sql")
            yield con
        finally:
            con.close()


def build_resources() -> dict[str, object]:
    """The resources every asset uses, configured from the environment."""
    settings = load_settings()
    return {
        "settings": SettingsResource(),
        "duckdb": DuckDBResource(database=str(settings.warehouse)),
    }

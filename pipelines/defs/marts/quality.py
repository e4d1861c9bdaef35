"""What the dashboard's Data quality page needs from the code location: the catalogue of checks.

The page shows the latest result of every asset check, read from Dagster's run history. The
history only holds checks that have run; the catalogue — every check the code defines, with its
asset, whether it blocks, and what it tests — is published with the marts so the page can also
name checks that never ran (or did not run in the last job), and describe each one even when no
run history is reachable from the dashboard.

``pipelines/definitions.py`` builds the catalogue from the definitions it assembles and hands it
to ``app/published_db`` as the resource ``check_catalogue``: the asset never imports the code
location that contains it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

import dagster as dg
import polars as pl

#: Columns of ``marts.asset_checks``.
CATALOGUE_SCHEMA = {
    "asset": pl.String,
    "check_name": pl.String,
    "blocking": pl.Boolean,
    "description": pl.String,
}


class _CheckSpec(Protocol):
    """The parts of ``dagster.AssetCheckSpec`` the catalogue uses."""

    name: str
    blocking: bool
    description: str | None

    @property
    def asset_key(self): ...


def check_catalogue(specs: Iterable[_CheckSpec]) -> pl.DataFrame:
    """One row per asset check spec: ``asset`` (``"staging/me_cases"``), ``check_name``,
    ``blocking``, ``description`` — sorted by asset, then check name."""
    rows = [
        {
            "asset": spec.asset_key.to_user_string(),
            "check_name": spec.name,
            "blocking": bool(spec.blocking),
            "description": spec.description or "",
        }
        for spec in specs
    ]
    return pl.DataFrame(rows, schema=CATALOGUE_SCHEMA).sort("asset", "check_name")


def catalogue_of(definitions: dg.Definitions) -> pl.DataFrame:
    """The catalogue of every check ``definitions`` holds — on an asset or on its own — once each."""
    specs = {}
    for definition in [*(definitions.assets or ()), *(definitions.asset_checks or ())]:
        for spec in getattr(definition, "check_specs", ()):
            specs[spec.key] = spec
    return check_catalogue(specs.values())

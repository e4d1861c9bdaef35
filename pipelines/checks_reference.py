"""The data-quality checks reference (Markdown), generated from the code location's asset checks.

One table: every asset check the Dagster definitions hold, by asset, with whether it blocks the
run and what it tests (its description) — the same catalogue the pipeline publishes for the
dashboard's Data quality page (``marts.asset_checks``). The MkDocs hook
``docs/hooks/checks_reference.py`` replaces :data:`MARKER` in a page with it, so the docs list the
checks the code runs, no more and no fewer.
"""

from __future__ import annotations

import polars as pl

from pipelines.settings import PROJECT_ROOT

#: Where a docs page wants the table (replaced by the MkDocs hook).
MARKER = "<!-- checks-reference -->"


def check_catalogue_of_the_definitions() -> pl.DataFrame:
    """Every asset check of the code location (``asset``, ``check_name``, ``blocking``, ``description``).

    Found in ``pipelines/defs/`` as ``pipelines/definitions.py`` finds them (which no module
    imports), and catalogued by the same function that hands them to ``app/published_db``.
    """
    # Imported here: loading the defs folder imports every asset module (seconds), which only
    # the docs build and the tests need.
    import dagster as dg

    from pipelines.defs.marts.quality import catalogue_of

    return catalogue_of(dg.load_from_defs_folder(path_within_project=PROJECT_ROOT / "pipelines"))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def checks_markdown(catalogue: pl.DataFrame) -> str:
    """The catalogue as a Markdown table, blocking checks first within each asset."""
    out = ["| asset | check | blocks the run | what it tests |", "|---|---|---|---|"]
    ordered = catalogue.sort("asset", pl.col("blocking").not_(), "check_name")
    for row in ordered.iter_rows(named=True):
        out.append(
            f"| `{row['asset']}` | `{row['check_name']}` | {'yes' if row['blocking'] else 'no'} | "
            f"{_cell(row['description'])} |"
        )
    return "\n".join(out) + "\n"


def expand_marker(markdown: str) -> str:
    """``markdown`` with :data:`MARKER` replaced by the table (unchanged without one)."""
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, checks_markdown(check_catalogue_of_the_definitions()).rstrip("\n"))

"""A dashboard-like reader for the concurrency tests, run as its own process.

``python tests/reliability/app_reader.py APP_DB STOP_FILE OUT_JSON`` renders "pages" in a tight
loop the way the Map page does (``db_version`` then the ``load_*`` functions of
``dashboards.components.data``), with the Streamlit cache cleared before every render so each
one really reads the file. It also keeps one read-only connection open the whole time, as a
dashboard user with a slow query would. After its first render it creates OUT_JSON.ready;
when STOP_FILE appears it writes what it saw to OUT_JSON:
one record per completed render, the renders abandoned because a new publication arrived
(the app reruns those), and every error.
"""

from __future__ import annotations

import json
import logging
import sys
import time
import traceback
from pathlib import Path

import duckdb
import streamlit as st

from dashboards.components import data


def render(app_db: Path) -> dict:
    """Read what the Map page reads, and return what a reader can check about it."""
    version = data.db_version(app_db)
    areas = data.load_community_areas(version)
    monthly = data.load_monthly(version)
    freshness = data.load_freshness(version)
    publication = data.load_publication(version)
    manifest = dict(
        data.read_frame(version, "SELECT table_name, row_count FROM meta.publication_manifest").iter_rows()
    )
    return {
        "publication_id": version.publication_id,
        "published_at": publication.published_at.isoformat(),
        "monthly_rows": monthly.height,
        "monthly_deaths": int(monthly.get_column("overdose_deaths").sum()),
        "area_rows": areas.height,
        "freshness_rows": freshness.row_count,
        "manifest_monthly_rows": manifest["marts.me_monthly_by_area"],
        "manifest_area_rows": manifest["marts.community_areas"],
    }


def main(app_db: Path, stop_file: Path, out: Path) -> None:
    """Render until ``stop_file`` exists, then write the log to ``out``."""
    logging.disable(logging.WARNING)  # "No runtime found" from st.cache_data outside Streamlit
    held = duckdb.connect(str(app_db), read_only=True)
    held_rows = held.execute("SELECT count(*) FROM marts.me_monthly_by_area").fetchall()[0][0]
    renders, abandoned, errors, held_reads = [], 0, [], 0
    ready = out.with_name(out.name + ".ready")
    started = time.monotonic()
    while not stop_file.exists() and time.monotonic() - started < 900:
        st.cache_data.clear()
        try:
            renders.append(render(app_db))
            ready.touch()
        except data.PublicationChanged:
            abandoned += 1
        except Exception:  # noqa: BLE001 - every error is what the test counts
            errors.append(traceback.format_exc())
        # The long-lived connection still reads its own (old) publication, unchanged.
        if held.execute("SELECT count(*) FROM marts.me_monthly_by_area").fetchall()[0][0] != held_rows:
            errors.append("the held connection's view of the old publication changed")
        held_reads += 1
    held.close()
    out.write_text(
        json.dumps(
            {"renders": renders, "abandoned": abandoned, "errors": errors, "held_reads": held_reads}
        )
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))

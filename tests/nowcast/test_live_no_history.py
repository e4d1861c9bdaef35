"""A fresh live deployment: one pull, no history yet — the nowcast says plainly that it needs more
pulls and nothing is shown; the portal's one-moment :created_at is recognised as a full replace."""

from __future__ import annotations

from datetime import date

import duckdb
from conftest import run_main_job
from soda_server import SodaServer

from pipelines.demo.medical_examiner import generate_me_records


def test_first_live_pull_shows_no_nowcast_and_says_why(isolated_env, monkeypatch):
    records = generate_me_records(n=600, seed=9, end_month=date(2026, 10, 1))
    with SodaServer(records) as server:
        monkeypatch.setenv("ODW_ME_SOURCE", "live")
        monkeypatch.setenv("ODW_SOCRATA_BASE_URL", server.base_url)
        run_main_job()
    with duckdb.connect(isolated_env["ODW_APP_DB"], read_only=True) as con:
        status = con.execute(
            "SELECT geography, drug, vintages, shown, reason, pulls, seeding, seeding_reason FROM marts.nowcast_status"
        ).fetchall()
        shown_rows = con.execute("SELECT count(*) FROM marts.nowcast WHERE shown").fetchone()[0]
        backtest = con.execute("SELECT count(*) FROM marts.nowcast_backtest").fetchone()[0]
    assert len(status) == 24
    assert shown_rows == 0 and backtest == 0
    for geography, drug, vintages, shown, reason, pulls, seeding, seeding_reason in status:
        assert vintages == 0 and not shown and pulls == 1
        assert reason == "needs 12 months of pulls with complete counts to check it against (0 so far)"
        # Every row of the stand-in portal was created at one moment, as after a full replace.
        assert seeding == "first_pull" and "full replace" in seeding_reason

"""The whole pipeline on the demo data: every asset and check, and the numbers agree end to end."""

from __future__ import annotations

import duckdb
import pytest


def test_job_succeeds_with_every_check_passing(demo_pipeline):
    result = demo_pipeline.result
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) >= 8
    failed = [e.check_name for e in evaluations if not e.passed]
    assert failed == []


def test_one_row_per_case_and_nothing_lost(demo_pipeline):
    (raw, cases, distinct, quarantined) = demo_pipeline.query(
        """
        SELECT (SELECT count(*) FROM raw.me_records), count(*), count(DISTINCT casenumber),
               (SELECT count(*) FROM staging.quarantine WHERE stage = 'staging')
        FROM staging.me_cases
        """
    )[0]
    assert cases == distinct
    assert raw == cases + quarantined
    assert 24_000 <= raw <= 26_000


def test_monthly_mart_equals_direct_count(demo_pipeline):
    mart, direct = demo_pipeline.query(
        """
        SELECT
            (SELECT sum(overdose_deaths) FROM marts.me_monthly_by_area
             WHERE in_region AND month BETWEEN DATE '2024-01-01' AND DATE '2024-12-01'),
            (SELECT count(*) FROM staging.me_cases
             WHERE is_overdose AND community_area_number BETWEEN 23 AND 31 AND year(death_date) = 2024)
        """
    )[0]
    assert mart == direct > 0
    areas, months = demo_pipeline.query(
        "SELECT count(DISTINCT community_area_number), count(DISTINCT month) FROM marts.me_monthly_by_area"
    )[0]
    assert areas == 77 and months == 130  # Jan 2016 – Oct 2026, zero-filled


def test_last_three_months_are_provisional(demo_pipeline):
    months = [
        r[0].isoformat()
        for r in demo_pipeline.query(
            "SELECT DISTINCT month FROM marts.me_monthly_by_area WHERE is_provisional ORDER BY 1"
        )
    ]
    assert months == ["2026-08-01", "2026-09-01", "2026-10-01"]
    weekly = demo_pipeline.query(
        "SELECT min(week) FROM marts.overdose_deaths_weekly WHERE is_provisional"
    )[0][0]
    assert weekly.isoformat() == "2026-07-27"  # the Monday of the week that holds 1 August


def test_region_rate_known_answer(demo_pipeline):
    deaths, population, rate, lower, upper = demo_pipeline.query(
        """
        SELECT deaths, population, rate, rate_lower, rate_upper FROM marts.overdose_rates_annual
        WHERE geography = 'West Side' AND year = 2024
        """
    )[0]
    direct = demo_pipeline.query(
        "SELECT count(*) FROM staging.me_cases WHERE is_overdose AND community_area_number "
        "BETWEEN 23 AND 31 AND year(death_date) = 2024"
    )[0][0]
    assert deaths == direct and population == 483_753
    assert rate == pytest.approx(direct / 483_753 * 100_000)
    assert lower < rate < upper


def test_partial_year_is_annualised(demo_pipeline):
    deaths, months, rate, population = demo_pipeline.query(
        "SELECT deaths, months_covered, rate, population FROM marts.overdose_rates_annual "
        "WHERE geography = 'Chicago' AND year = 2026"
    )[0]
    assert months == 10
    assert rate == pytest.approx(deaths / population * 100_000 / (10 / 12))


def test_public_rate_table_shows_no_small_counts(demo_pipeline):
    rows = demo_pipeline.query(
        "SELECT deaths, deaths_display, deaths_suppressed, rate FROM marts.overdose_rates_annual"
    )
    for deaths, display, suppressed, rate in rows:
        assert deaths is None or not 1 <= deaths <= 9
        assert display not in {str(n) for n in range(1, 10)}
        if suppressed:
            assert deaths is None and rate is None
    # Complementary suppression: no (year, region part) group with exactly one hidden area.
    single = demo_pipeline.query(
        """
        SELECT year, in_region FROM marts.overdose_rates_annual
        WHERE geography_type = 'community_area'
        GROUP BY ALL HAVING count(*) FILTER (WHERE deaths_suppressed) = 1
        """
    )
    assert single == []


def test_the_city_counts_every_chicago_death(demo_pipeline):
    """Chicago's annual deaths = the staged overdose deaths that occurred in Chicago
    (``in_chicago``) = its areas + the deaths not placed in an area, every year."""
    rows = demo_pipeline.query(
        """
        WITH staged AS (
            SELECT year(death_date) AS year,
                   count(*) FILTER (WHERE in_chicago) AS in_chicago,
                   count(*) FILTER (WHERE in_chicago AND community_area_number IS NULL) AS not_placed
            FROM staging.me_cases WHERE is_overdose GROUP BY 1
        ),
        mart AS (
            SELECT year,
                   any_value(deaths) FILTER (WHERE geography_type = 'city') AS city,
                   -- The areas' own rows are suppressed here: their raw sum is the monthly mart's.
                   (SELECT sum(overdose_deaths) FROM marts.me_monthly_by_area AS m
                    WHERE year(m.month) = r.year) AS areas,
                   sum(deaths) FILTER (WHERE geography_type = 'region') AS parts,
                   any_value(deaths) FILTER (WHERE geography_type = 'not_placed') AS not_placed,
                   any_value(rate) FILTER (WHERE geography_type = 'not_placed') AS not_placed_rate,
                   any_value(rate) FILTER (WHERE geography_type = 'city') AS city_rate,
                   any_value(population) FILTER (WHERE geography_type = 'city') AS population,
                   any_value(months_covered) AS months
            FROM marts.overdose_rates_annual AS r GROUP BY 1
        )
        SELECT m.*, s.in_chicago, s.not_placed AS staged_not_placed
        FROM mart AS m JOIN staged AS s USING (year) ORDER BY year
        """
    )
    assert len(rows) == 11  # 2016-2026
    for year, city, areas, parts, not_placed, np_rate, rate, population, months, in_chicago, staged in rows:
        assert city == in_chicago == areas + not_placed == parts + not_placed, year
        assert not_placed == staged > 0, year  # the demo has Chicago deaths without an area
        assert np_rate is None
        assert rate == pytest.approx(city / population * 100_000 / (months / 12))


def test_the_citys_crude_and_age_adjusted_rates_count_the_same_deaths(demo_pipeline):
    """Chicago's age-adjusted rate counts every Chicago death, as its crude rate does: its deaths of
    known age (by band) + its deaths of unknown age = its crude deaths, every year, and its rate is
    the one those band deaths give. The 'Not placed in an area' row has deaths but no rate of
    either kind, and no unknown-age count of its own."""
    from pipelines.defs.epidemiology.age_adjusted import STANDARD_POPULATION_2000

    standard = ", ".join(f"('{band}', {n / 1e6!r})" for band, n in STANDARD_POPULATION_2000.items())
    rows = demo_pipeline.query(
        f"""
        WITH standard(age_band, share) AS (VALUES {standard}),
        bands AS (
            SELECT year(month) AS year, age_band, sum(deaths) AS deaths
            FROM marts.overdose_deaths_by_age_band WHERE drug = 'all' GROUP BY ALL
        ),
        population AS (SELECT age_band, sum(population) AS population FROM marts.population_by_age_band GROUP BY 1),
        recomputed AS (
            SELECT b.year,
                   sum(b.deaths) FILTER (WHERE b.age_band <> 'Unknown') AS known_age,
                   coalesce(sum(b.deaths) FILTER (WHERE b.age_band = 'Unknown'), 0) AS unknown_age,
                   sum(s.share * b.deaths / p.population) AS weighted
            FROM bands AS b LEFT JOIN standard AS s USING (age_band) LEFT JOIN population AS p USING (age_band)
            GROUP BY 1
        )
        SELECT r.year, r.deaths, r.deaths_suppressed, r.deaths_unknown_age, r.deaths_unknown_age_display,
               r.age_adjusted_rate, r.months_covered, c.known_age, c.unknown_age, c.weighted
        FROM marts.overdose_rates_annual AS r JOIN recomputed AS c USING (year)
        WHERE r.geography_type = 'city' ORDER BY r.year
        """
    )
    assert len(rows) == 11
    for year, deaths, hidden, unknown, unknown_display, adjusted, months, known, unknown_all, weighted in rows:
        if hidden:  # withheld by the city total's rule: neither rate is shown
            assert deaths is None and adjusted is None and unknown is None, year
            continue
        assert known + unknown_all == deaths, year
        assert adjusted == pytest.approx(weighted / (months / 12) * 100_000, rel=1e-9), year
        if unknown is not None:
            assert unknown == unknown_all, year
        else:  # a small count (or withheld): the demo has few deaths of unknown age
            assert unknown_display in ("<10", "*") and 1 <= unknown_all, year
    # Deaths of unknown age exist, among them Chicago deaths not placed in an area: the sum is
    # not trivially the placed deaths'.
    assert sum(row[8] for row in rows) > 0
    ((unplaced_unknown,),) = demo_pipeline.query(
        """SELECT sum(deaths) FROM marts.overdose_deaths_by_age_band
           WHERE drug = 'all' AND age_band = 'Unknown' AND community_area_number IS NULL"""
    )
    assert unplaced_unknown > 0
    not_placed = demo_pipeline.query(
        """SELECT deaths, population, rate, rate_lower, rate_upper, age_adjusted_rate, age_adjusted_lower,
                  age_adjusted_upper, age_adjusted_unstable, deaths_unknown_age, deaths_unknown_age_display
           FROM marts.overdose_rates_annual WHERE geography_type = 'not_placed'"""
    )
    assert len(not_placed) == 11
    assert all(row[0] > 0 for row in not_placed)  # shown: 33-67 a year in the demo
    assert all(row[1:] == (None,) * 10 for row in not_placed)


def test_monthly_and_weekly_marts_call_every_chicago_death_chicago(demo_pipeline):
    """``place`` is 'Chicago' for every death that occurred in Chicago, placed in an area or not
    (an unplaced one used to be labelled 'Suburban Cook County')."""
    for mart, period in (("overdose_deaths_monthly", "month"), ("overdose_deaths_weekly", "week")):
        mismatches = demo_pipeline.query(
            f"""
            WITH staged AS (
                SELECT date_trunc('{period}', death_date)::DATE AS period, in_chicago,
                       community_area_number IS NULL AS not_placed, count(*) AS n
                FROM staging.me_cases WHERE is_overdose GROUP BY ALL
            ),
            mart AS (
                SELECT {period} AS period, place = 'Chicago' AS in_chicago,
                       community_area_number IS NULL AS not_placed, sum(deaths) AS n
                FROM marts.{mart} WHERE drug = 'all' GROUP BY ALL
            )
            SELECT * FROM staged FULL JOIN mart USING (period, in_chicago, not_placed)
            WHERE staged.n IS DISTINCT FROM mart.n
            """
        )
        assert mismatches == [], mart
        ((unplaced, suburban_chicago),) = demo_pipeline.query(
            f"""SELECT sum(deaths) FILTER (WHERE place = 'Chicago' AND community_area_number IS NULL),
                       count(*) FILTER (WHERE place <> 'Chicago' AND municipality = 'Chicago')
                FROM marts.{mart} WHERE drug = 'all'"""
        )
        assert unplaced > 0 and suburban_chicago == 0, mart
    ((chicago, in_chicago),) = demo_pipeline.query(
        """SELECT (SELECT overdose_deaths FROM marts.drug_involvement_annual
                   WHERE geography = 'Chicago' AND year = 2024 AND drug = 'fentanyl'),
                  (SELECT count(*) FROM staging.me_cases
                   WHERE is_overdose AND in_chicago AND year(death_date) = 2024)"""
    )
    assert chicago == in_chicago


def test_chicago_spike_alerts_count_every_chicago_death(demo_pipeline):
    """The 'Chicago' alert series (listed in the meeting pack and the e-blast) counts every death
    that occurred in Chicago, placed in an area or not."""
    rows = demo_pipeline.query(
        """
        SELECT b.observed,
               (SELECT sum(deaths) FROM marts.overdose_deaths_weekly AS w
                WHERE w.week = b.period AND w.drug = 'all' AND w.place = 'Chicago') AS chicago,
               (SELECT sum(deaths) FROM marts.overdose_deaths_weekly AS w
                WHERE w.week = b.period AND w.drug = 'all' AND w.community_area_number IS NOT NULL) AS placed
        FROM marts.alert_badges AS b
        WHERE b.area_level = 'city' AND b.granularity = 'week' AND b.series = 'overdose_deaths'
          AND b.observed IS NOT NULL
        """
    )
    assert len(rows) > 20
    assert all(observed == chicago for observed, chicago, _ in rows)
    assert any(chicago > placed for _, chicago, placed in rows)


def test_fentanyl_share_rises_in_demo_data(demo_pipeline):
    shares = dict(
        demo_pipeline.query(
            "SELECT year, share FROM marts.drug_involvement_annual "
            "WHERE geography = 'Cook County' AND drug = 'fentanyl' ORDER BY year"
        )
    )
    assert shares[2016] < 0.5 < shares[2022]


def test_published_app_db_matches_warehouse(demo_pipeline):
    with duckdb.connect(str(demo_pipeline.app_db), read_only=True) as con:
        published = con.execute(
            "SELECT sum(overdose_deaths), count(*) FROM marts.me_monthly_by_area"
        ).fetchall()[0]
        label, synthetic = con.execute(
            "SELECT label, is_synthetic FROM marts.source_freshness"
        ).fetchall()[0]
        tables = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts'"
        ).fetchall()}
    warehouse = demo_pipeline.query(
        "SELECT sum(overdose_deaths), count(*) FROM marts.me_monthly_by_area"
    )[0]
    assert published == warehouse
    assert synthetic and "synthetic demo data" in label
    assert {"community_areas", "me_monthly_by_area", "overdose_rates_annual", "data_quality"} <= tables
    # The app database holds aggregates only: no case-level table and no coordinates.
    assert "me_cases" not in tables


def test_published_app_db_has_the_data_quality_tables(demo_pipeline):
    from pipelines.definitions import defs

    with duckdb.connect(str(demo_pipeline.app_db), read_only=True) as con:
        checks = set(con.execute("SELECT asset, check_name FROM marts.asset_checks").fetchall())
        log = con.execute(
            "SELECT source, count(*), sum(rows_in), sum(rows_loaded + rows_quarantined) "
            "FROM marts.ingest_log GROUP BY source ORDER BY source"
        ).fetchall()
        me_quarantined = con.execute("SELECT count(*) FROM marts.me_quarantine").fetchall()[0][0]
    # Every check the code location defines, whether or not it ran in this job.
    defined = {
        (key.asset_key.to_user_string(), key.name) for key in defs().resolve_asset_graph().asset_check_keys
    }
    assert checks == defined and len(checks) >= 19
    warehouse_log = demo_pipeline.query(
        "SELECT source, count(*), sum(rows_in), sum(rows_loaded + rows_quarantined) "
        "FROM staging.ingest_log GROUP BY source ORDER BY source"
    )
    assert log == warehouse_log
    assert {row[0] for row in log} == {"hotspots", "medical_examiner", "outreach", "test_strips"}
    assert all(rows_in == accounted for _, _, rows_in, accounted in log)
    # The demo archive has no bad record (tests/medical_examiner/test_quarantine_mart.py injects some).
    assert me_quarantined == 0

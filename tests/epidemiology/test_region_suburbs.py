"""A region that adds western suburbs by municipality (ODW_REGION_MUNICIPALITIES)."""

import duckdb
from conftest import run_main_job


def test_region_with_suburbs(isolated_env, monkeypatch):
    monkeypatch.setenv("ODW_REGION_MUNICIPALITIES", "cicero, Oak Park")
    assert run_main_job().success
    with duckdb.connect(isolated_env["ODW_WAREHOUSE"], read_only=True) as con:
        direct = con.execute(
            """
            SELECT count(*) FROM staging.me_cases
            WHERE is_overdose AND year(death_date) = 2024
              AND (community_area_number BETWEEN 23 AND 31 OR municipality IN ('Cicero', 'Oak Park'))
            """
        ).fetchall()[0][0]
        in_region = con.execute(
            "SELECT sum(deaths) FROM marts.overdose_deaths_monthly "
            "WHERE drug = 'all' AND in_region AND year(month) = 2024"
        ).fetchall()[0][0]
        involvement = con.execute(
            "SELECT overdose_deaths FROM marts.drug_involvement_annual "
            "WHERE geography = 'West Side' AND year = 2024 AND drug = 'fentanyl'"
        ).fetchall()[0][0]
        suburbs = dict(
            con.execute(
                "SELECT geography, deaths FROM marts.overdose_rates_annual "
                "WHERE geography_type = 'municipality' AND year = 2024"
            ).fetchall()
        )
        cicero = con.execute(
            "SELECT count(*) FROM staging.me_cases WHERE is_overdose AND municipality = 'Cicero' "
            "AND year(death_date) = 2024"
        ).fetchall()[0][0]
        rates = con.execute(
            "SELECT count(*) FROM marts.overdose_rates_annual "
            "WHERE geography_type = 'municipality' AND rate IS NOT NULL"
        ).fetchall()[0][0]
    assert direct == in_region == involvement > 0
    assert set(suburbs) == {"Cicero", "Oak Park"}
    assert suburbs["Cicero"] == (cicero if cicero >= 10 else None)
    assert rates == 0  # no population for suburbs in the project's reference data

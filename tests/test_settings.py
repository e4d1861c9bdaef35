"""Settings from the environment: defaults, validation, region lists."""

from __future__ import annotations

import pytest

from pipelines.settings import PROJECT_ROOT, load_settings, parse_area_list


def test_defaults_point_inside_the_project():
    s = load_settings({})
    assert s.me_source == "demo" and s.boundaries_source == "bundled"
    assert s.warehouse == PROJECT_ROOT / "data" / "warehouse.duckdb"
    assert s.app_db == PROJECT_ROOT / "data" / "app.duckdb"
    assert s.raw_dir == PROJECT_ROOT / "data_raw"
    assert s.socrata_base_url == "https://datacatalog.cookcountyil.gov"
    assert s.region_areas == tuple(range(23, 32))
    assert s.suppress_below == 10 and s.provisional_months == 3
    assert s.socrata_app_token is None


def test_environment_overrides(tmp_path):
    s = load_settings(
        {
            "ODW_WAREHOUSE": str(tmp_path / "w.duckdb"),
            "ODW_ME_SOURCE": "LIVE",
            "ODW_SOCRATA_BASE_URL": "http://127.0.0.1:9/",
            "SOCRATA_APP_TOKEN": "secret-token",
            "ODW_REGION_AREAS": "25, 26-27",
            "ODW_DEMO_END_MONTH": "2024-06",
        }
    )
    assert s.warehouse == tmp_path / "w.duckdb"
    assert s.app_db == tmp_path / "app.duckdb"
    assert s.me_source == "live"
    assert s.socrata_base_url == "http://127.0.0.1:9"
    assert s.region_areas == (25, 26, 27)
    assert s.demo_end_month.isoformat() == "2024-06-01"
    assert "secret-token" not in repr(s)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ODW_ME_SOURCE": "files"}, "ODW_ME_SOURCE must be one of demo, live"),
        ({"ODW_BOUNDARIES_SOURCE": "web"}, "ODW_BOUNDARIES_SOURCE"),
        ({"ODW_SOCRATA_PAGE_SIZE": "60000"}, "50000"),
        ({"ODW_REGION_AREAS": "0-3"}, "1-77"),
        ({"ODW_REGION_AREAS": "west"}, "bad community-area list"),
        *(({"ODW_WAREHOUSE_MEMORY_LIMIT": bad}, "ODW_WAREHOUSE_MEMORY_LIMIT") for bad in ("lots", "2GBs", "-1GB", "50MB")),
        ({"ODW_GEOCODER": "google"}, "ODW_GEOCODER must be one of off, census"),
        ({"ODW_GEOCODER_URL": "ftp://geocoder"}, "ODW_GEOCODER_URL must be an http"),
        ({"ODW_GEOCODER_BATCH_SIZE": "10001"}, "ODW_GEOCODER_BATCH_SIZE must be a whole number from 1 to 10000"),
        ({"ODW_GEOCODER_TIMEOUT_SECONDS": "0"}, "ODW_GEOCODER_TIMEOUT_SECONDS"),
    ],
)
def test_bad_values_fail_with_a_clear_message(env, message):
    with pytest.raises(ValueError, match=message):
        load_settings(env)


def test_geocoder_is_off_unless_asked_for_and_keeps_its_answers_beside_the_raw_pulls(tmp_path):
    s = load_settings({"ODW_RAW_DIR": str(tmp_path)})
    assert s.geocoder == "off"
    assert s.geocoder_url == "https://geocoding.geo.census.gov/geocoder"
    assert s.geocoder_benchmark == "Public_AR_Current"
    assert (s.geocoder_batch_size, s.geocoder_timeout_seconds, s.geocoder_max_retries) == (1000, 300.0, 6)
    assert s.geocoder_dir == tmp_path / "geocoder"
    on = load_settings({"ODW_GEOCODER": " Census ", "ODW_GEOCODER_URL": "http://127.0.0.1:9/geocoder/"})
    assert on.geocoder == "census" and on.geocoder_url == "http://127.0.0.1:9/geocoder"


def test_parse_area_list():
    assert parse_area_list("23-31") == tuple(range(23, 32))
    assert parse_area_list("31,23,24-25") == (23, 24, 25, 31)


def test_warehouse_memory_limit_is_validated_and_applied_to_every_step_connection(tmp_path):
    from dagster_duckdb import DuckDBResource

    from pipelines.defs.resources import warehouse
    from pipelines.warehouse import fetch_row

    assert load_settings({}).warehouse_memory_limit == "700MB"
    settings = load_settings({"ODW_WAREHOUSE": str(tmp_path / "w.duckdb"), "ODW_WAREHOUSE_MEMORY_LIMIT": "300 MB"})
    assert settings.warehouse_memory_limit == "300MB"
    with warehouse(DuckDBResource(database=str(settings.warehouse)), settings) as con:
        # DuckDB reports the limit in MiB: 300 MB = 286.1 MiB.
        assert fetch_row(con, "SELECT current_setting('memory_limit')") == ("286.1 MiB",)

"""Reference geography assets: the 77 community areas with boundaries and population, and their
population by age band."""


import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from pipelines.defs.geography.age_structure import load_age_structure, population_by_age_band
from pipelines.defs.geography.boundaries import community_area_table, load_boundaries, load_population
from pipelines.defs.resources import SettingsResource, warehouse


@dg.asset(
    key=["staging", "community_areas"],
    group_name="reference",
    kinds={"duckdb", "geopandas"},
    description="Chicago's 77 community areas: 2020 census population, boundaries (EPSG:4326), "
    "name keys for matching the archive's names.",
)
def community_areas(
    context: dg.AssetExecutionContext, duckdb: DuckDBResource, settings: SettingsResource
) -> dg.MaterializeResult:
    cfg = settings.get()
    boundaries, origin = load_boundaries(cfg.boundaries_source, cfg.boundaries_url)
    table = community_area_table(boundaries, load_population())
    with warehouse(duckdb, cfg) as con:
        con.register("community_area_frame", table.to_arrow())
        con.execute("CREATE OR REPLACE TABLE staging.community_areas AS SELECT * FROM community_area_frame")
        con.unregister("community_area_frame")
    context.log.info("community areas from %s", origin)
    return dg.MaterializeResult(
        metadata={
            "rows": table.height,
            "boundaries_source": origin,
            "population_total": int(table["population_2020"].sum()),
        }
    )


@dg.asset(
    key=["marts", "population_by_age_band"],
    deps=[community_areas],
    group_name="reference",
    kinds={"duckdb", "polars"},
    description="Population of each community area by age band (0-4 … 85+): the 2020 census total "
    "split by the area's ACS 2016-2020 age shares (CMAP), for age-adjusted rates.",
)
def population_by_age_band_table(
    context: dg.AssetExecutionContext, duckdb: DuckDBResource, settings: SettingsResource
) -> dg.MaterializeResult:
    cfg = settings.get()
    with warehouse(duckdb, cfg) as con:
        population = con.sql(
            "SELECT community_area_number, population_2020 FROM staging.community_areas"
        ).pl()
        table = population_by_age_band(population, load_age_structure())
        con.register("age_band_frame", table.to_arrow())
        con.execute("CREATE OR REPLACE TABLE marts.population_by_age_band AS SELECT * FROM age_band_frame")
        con.unregister("age_band_frame")
    by_band = table.group_by("age_band", maintain_order=True).agg(pl.col("population").sum())
    shares = {band: f"{pop / table['population'].sum():.1%}" for band, pop in by_band.iter_rows()}
    context.log.info("Chicago's population by age band: %s", shares)
    return dg.MaterializeResult(
        metadata={
            "rows": table.height,
            "population_total": round(float(table["population"].sum())),
            "share_by_age_band": shares,
            "source": "CMAP Community Data Snapshots (ACS 2016-2020) age shares x 2020 Census totals",
        }
    )

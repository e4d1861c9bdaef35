"""Reference geography asset: the 77 community areas with boundaries and population."""


import dagster as dg
from dagster_duckdb import DuckDBResource

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

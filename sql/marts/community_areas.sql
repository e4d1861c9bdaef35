-- Community areas as the map shows them. Parameter: $region_areas (list of area numbers).
CREATE OR REPLACE TABLE marts.community_areas AS
SELECT
    community_area_number,
    community_area,
    population_2020,
    list_contains($region_areas, community_area_number) AS in_region,
    geometry_geojson,
    centroid_lon,
    centroid_lat
FROM staging.community_areas
ORDER BY community_area_number;

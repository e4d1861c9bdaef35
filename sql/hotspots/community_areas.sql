-- The 77 community areas with population and boundary, for weights, rates and the hex grid.
-- Parameters: none.
SELECT community_area_number, community_area, population_2020, geometry_wkt
FROM staging.community_areas
ORDER BY community_area_number;

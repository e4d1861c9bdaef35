-- Overdose deaths per Chicago community area over the months $start_month..$end_month (inclusive),
-- with name, population, region membership and the boundary (GeoJSON) for the map.
SELECT
    a.community_area_number,
    a.community_area,
    a.in_region,
    a.population_2020::BIGINT AS population,
    a.geometry_geojson,
    a.centroid_lon,
    a.centroid_lat,
    coalesce(sum(m.overdose_deaths), 0)::BIGINT AS deaths
FROM marts.community_areas AS a
LEFT JOIN marts.me_monthly_by_area AS m
    ON m.community_area_number = a.community_area_number
    AND m.month BETWEEN $start_month AND $end_month
GROUP BY ALL
ORDER BY a.community_area_number;

-- Overdose deaths as events for hot spots and spike alerts: day, community area of occurrence
-- (null outside Chicago or unplaced), suburban municipality, whether it occurred in Chicago (placed
-- in an area or not: Chicago's alert series counts them all), and the point, only where the
-- coordinates are valid.
-- Parameters: none.
SELECT
    death_date::DATE AS day,
    community_area_number,
    municipality,
    in_chicago,
    CASE WHEN coordinates_valid THEN latitude END AS latitude,
    CASE WHEN coordinates_valid THEN longitude END AS longitude,
    1 AS weight
FROM staging.me_cases
WHERE is_overdose AND death_date IS NOT NULL;

-- Overdose deaths as events for hot spots and spike alerts: day, community area of occurrence
-- (null outside Chicago or unplaced), suburban municipality, whether it occurred in Chicago (placed
-- in an area or not: Chicago's alert series counts them all), and the point, only where the
-- coordinates are valid. A death placed by geocoding its street address carries that address, so
-- the caller can take the geocoder's point (pipelines/defs/geography/death_points.py); the address
-- never leaves the pipeline step.
-- Parameters: none.
SELECT
    death_date::DATE AS day,
    community_area_number,
    municipality,
    in_chicago,
    placement,
    CASE WHEN coordinates_valid THEN latitude END AS latitude,
    CASE WHEN coordinates_valid THEN longitude END AS longitude,
    CASE WHEN placement = 'geocoded' THEN incident_street END AS incident_street,
    CASE WHEN placement = 'geocoded' THEN incident_zip END AS incident_zip,
    1 AS weight
FROM staging.me_cases
WHERE is_overdose AND death_date IS NOT NULL;

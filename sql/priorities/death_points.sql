-- Overdose deaths in Chicago for the forecast: day, community area, how the case was placed, and the
-- archive's point where its coordinates are valid. Geocoded cases (placement 'geocoded') come with
-- their street address, so the caller can take the geocoder's point (staging.me_geocodes); the
-- address never leaves the pipeline step.
-- Parameters: none.
SELECT
    death_date::DATE AS day,
    community_area_number,
    placement,
    CASE WHEN coordinates_valid THEN latitude END AS latitude,
    CASE WHEN coordinates_valid THEN longitude END AS longitude,
    CASE WHEN placement = 'geocoded' THEN incident_street END AS incident_street,
    CASE WHEN placement = 'geocoded' THEN incident_zip END AS incident_zip
FROM staging.me_cases
WHERE is_overdose AND death_date IS NOT NULL AND in_chicago;

-- Test-strip results for the places: fentanyl and xylazine strips with a valid result, their point
-- (own or hot spot's) and team. Parameters: $since (first day counted).
SELECT
    tested_on AS day,
    team,
    hotspot_id,
    latitude,
    longitude,
    community_area_number,
    strip_type,
    result = 'positive' AS positive
FROM staging.test_strips
WHERE tested_on >= $since AND result IN ('positive', 'negative');

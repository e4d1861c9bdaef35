-- Positive drug-checking test strips (fentanyl and xylazine strips alike) as events.
-- Parameters: none. Run only when staging.test_strips exists.
SELECT
    tested_on AS day,
    community_area_number,
    latitude,
    longitude,
    1 AS weight
FROM staging.test_strips
WHERE result = 'positive';

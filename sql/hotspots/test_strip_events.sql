-- Positive drug-checking test strips (fentanyl and xylazine strips alike) as events.
-- Parameters: none. Run only when staging.test_strips exists.
SELECT
    tested_on AS day,
    community_area_number,
    -- Field logs name no suburb; the column keeps every event source alike.
    CAST(NULL AS VARCHAR) AS municipality,
    latitude,
    longitude,
    1 AS weight
FROM staging.test_strips
WHERE result = 'positive';

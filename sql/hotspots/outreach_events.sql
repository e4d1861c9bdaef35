-- Outreach visits with their number of people contacted (the event weight).
-- Parameters: none. Run only when staging.outreach exists.
SELECT
    date AS day,
    community_area_number,
    -- Field logs name no suburb; the column keeps every event source alike.
    CAST(NULL AS VARCHAR) AS municipality,
    latitude,
    longitude,
    contacts AS weight
FROM staging.outreach
WHERE contacts > 0;

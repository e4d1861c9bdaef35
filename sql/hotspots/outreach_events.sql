-- Outreach visits with their number of people contacted (the event weight).
-- Parameters: none. Run only when staging.outreach exists.
SELECT
    date AS day,
    community_area_number,
    latitude,
    longitude,
    contacts AS weight
FROM staging.outreach
WHERE contacts > 0;

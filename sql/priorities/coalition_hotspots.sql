-- The coalition's active hot spots. Parameters: none.
SELECT hotspot_id, name, latitude, longitude, community_area_number
FROM staging.hotspots
WHERE active
ORDER BY hotspot_id;

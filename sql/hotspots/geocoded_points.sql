-- The geocoder's matched points, by normalised address (see pipelines/defs/geography/addresses.py).
-- Parameters: none.
SELECT street, city, state, zip, latitude, longitude
FROM staging.me_geocodes
WHERE status = 'Match' AND latitude IS NOT NULL AND longitude IS NOT NULL;

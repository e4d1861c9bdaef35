-- Typed Medical Examiner cases from raw.me_records (one row per casenumber).
-- Numbers arrive as strings ("20.0" for a ward), booleans as 'true'/'false', timestamps as
-- floating Chicago local time; anything unparseable becomes NULL, except a missing or
-- unparseable death_date, which sends the row to quarantine (reject_reason).
-- Also what placement reads of each case: the archive's own community area (commarea_from_archive),
-- whether its coordinates can place it (coordinates_valid: inside Cook County's extent; others are
-- errors in the archive) and whether incident_city names a place (known_city).
-- Parameters: $min_death_date, $max_death_date (plausible range of death dates); $lat_lo, $lat_hi,
-- $lon_lo, $lon_hi (Cook County's extent); $unknown_city (incident_city values that name no place).
WITH typed AS (
    SELECT
        r.casenumber,
        try_cast(r.death_date AS TIMESTAMP) AS death_date,
        try_cast(r.incident_date AS TIMESTAMP) AS incident_date,
        try_cast(try_cast(trim(r.age) AS DOUBLE) AS INTEGER) AS age,
        nullif(trim(r.gender), '') AS gender,
        nullif(trim(r.race), '') AS race,
        try_cast(r.latino AS BOOLEAN) AS latino,
        nullif(upper(trim(r.manner)), '') AS manner,
        nullif(trim(r.primarycause), '') AS primarycause,
        nullif(trim(r.primarycause_linea), '') AS primarycause_linea,
        nullif(trim(r.primarycause_lineb), '') AS primarycause_lineb,
        nullif(trim(r.primarycause_linec), '') AS primarycause_linec,
        nullif(trim(r.secondarycause), '') AS secondarycause,
        try_cast(r.opioids AS BOOLEAN) AS opioids,
        try_cast(r.gunrelated AS BOOLEAN) AS gunrelated,
        try_cast(r.cold_related AS BOOLEAN) AS cold_related,
        try_cast(r.heat_related AS BOOLEAN) AS heat_related,
        try_cast(r.covid_related AS BOOLEAN) AS covid_related,
        nullif(trim(r.incident_street), '') AS incident_street,
        nullif(upper(trim(r.incident_city)), '') AS incident_city,
        nullif(regexp_extract(r.incident_zip, '^\s*(\d{5})', 1), '') AS incident_zip,
        nullif(trim(r.residence_city), '') AS residence_city,
        nullif(regexp_extract(r.residence_zip, '^\s*(\d{5})', 1), '') AS residence_zip,
        try_cast(trim(r.latitude) AS DOUBLE) AS latitude,
        try_cast(trim(r.longitude) AS DOUBLE) AS longitude,
        try_cast(try_cast(trim(r.chi_ward) AS DOUBLE) AS INTEGER) AS chi_ward,
        nullif(trim(r.chi_commarea), '') AS chi_commarea,
        try_cast(try_cast(trim(r.commissioner_district) AS DOUBLE) AS INTEGER) AS commissioner_district,
        try_cast(try_cast(trim(r.objectid) AS DOUBLE) AS BIGINT) AS objectid,
        r.soda_updated_at,
        r.source_file,
        r.source_row
    FROM raw.me_records AS r
)
SELECT
    t.*,
    ca.community_area_number AS commarea_from_archive,
    coalesce(t.latitude BETWEEN $lat_lo AND $lat_hi AND t.longitude BETWEEN $lon_lo AND $lon_hi, false)
        AS coordinates_valid,
    t.incident_city IS NOT NULL AND NOT list_contains($unknown_city, t.incident_city) AS known_city,
    CASE
        WHEN t.death_date IS NULL THEN 'death_date missing or unparseable'
        WHEN t.death_date < $min_death_date OR t.death_date > $max_death_date
            THEN 'death_date outside the plausible range'
    END AS reject_reason
FROM typed AS t
LEFT JOIN staging.community_areas AS ca
    ON ca.name_key = regexp_replace(upper(t.chi_commarea), '[^A-Z0-9]', '', 'g')

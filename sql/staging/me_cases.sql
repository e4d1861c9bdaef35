-- One batch of staging.me_cases: the cases whose casenumber is in ($after, $upto], sorted, from the
-- typed rows (view me_typed, from me_cases_typed.sql) and the per-rule look-ups computed in Polars
-- on distinct inputs (registered frames, see pipelines/defs/medical_examiner/staging.py; the
-- geocoded areas of address-only Chicago cases in me_geocode_lookup). Same
-- rows and columns, in the same order, as stage_cases() builds in Polars; the placement rules
-- mirror geography/placement.py::place_cases. Batches in casenumber order, each sorted, give a
-- table sorted by casenumber without sorting the whole archive at once.
-- Parameters: $after, $upto (casenumber range), $lat_lo, $lat_hi, $lon_lo, $lon_hi (Cook County's
-- extent), $unknown_city (list). The caller creates the table from the first batch and appends.
WITH kept AS (
    SELECT
        *,
        coalesce(latitude BETWEEN $lat_lo AND $lat_hi AND longitude BETWEEN $lon_lo AND $lon_hi, false)
            AS coordinates_valid,
        incident_city IS NOT NULL AND NOT list_contains($unknown_city, incident_city) AS known_city
    FROM me_typed
    WHERE reject_reason IS NULL AND casenumber > $after AND casenumber <= $upto
),
located AS (
    SELECT
        k.*,
        -- Only cases without an area from the archive were looked up; -1 means outside every area.
        CASE WHEN g.area > 0 THEN g.area END AS from_coordinates,
        -- Only geocoding candidates (sql/staging/me_geocode_candidates.sql) placed in an area are in it.
        gc.area AS from_geocode,
        CASE WHEN k.known_city THEN k.incident_city ELSE z.zip_city END AS city
    FROM kept AS k
    LEFT JOIN me_coordinate_lookup AS g
        ON k.commarea_from_archive IS NULL AND k.coordinates_valid
        AND g.latitude = k.latitude AND g.longitude = k.longitude
    LEFT JOIN me_geocode_lookup AS gc
        ON k.commarea_from_archive IS NULL AND NOT k.coordinates_valid
        AND gc.incident_street = k.incident_street
        AND gc.incident_city IS NOT DISTINCT FROM k.incident_city
        AND gc.incident_zip IS NOT DISTINCT FROM k.incident_zip
    LEFT JOIN me_zip_lookup AS z ON z.incident_zip = k.incident_zip
),
placed AS (
    SELECT
        l.*,
        coalesce(l.commarea_from_archive, l.from_coordinates, l.from_geocode)::INTEGER AS area_number,
        CASE
            WHEN l.commarea_from_archive IS NOT NULL THEN 'archive'
            WHEN l.from_coordinates IS NOT NULL THEN 'coordinates'
            WHEN l.coordinates_valid THEN 'outside_chicago'
            WHEN l.from_geocode IS NOT NULL THEN 'geocoded'
            ELSE 'unplaced'
        END AS first_placement,
        l.city IS NOT NULL AND l.city <> 'CHICAGO' AS suburban
    FROM located AS l
)
SELECT
    p.* EXCLUDE (
        commarea_from_archive, reject_reason, coordinates_valid, known_city, from_coordinates, from_geocode,
        city, area_number, first_placement, suburban
    ) REPLACE (r.staged_city AS residence_city),
    p.incident_date::DATE AS incident_day,
    p.death_date::DATE AS death_day,
    c.cause_text,
    c.is_overdose,
    c.intent,
    c.fentanyl,
    c.heroin,
    c.rx_opioid,
    c.nitazene,
    c.any_opioid,
    c.xylazine,
    c.cocaine,
    c.methamphetamine,
    c.benzodiazepine,
    c.ethanol,
    c.drug_count,
    c.opioid_stimulant,
    c.opioid_flag_agrees,
    d.age_group,
    d.sex,
    d.race_ethnicity,
    d.age_band,
    p.coordinates_valid,
    p.area_number AS community_area_number,
    -- Without coordinates, a named suburb still places the case outside Chicago.
    CASE WHEN p.first_placement = 'unplaced' AND p.suburban THEN 'outside_chicago' ELSE p.first_placement END
        AS placement,
    a.community_area,
    CASE WHEN p.area_number IS NOT NULL THEN 'Chicago' ELSE m.municipality END AS municipality,
    -- Occurred in Chicago: placed in an area, or Chicago by its city (or its ZIP's city) though not placed.
    coalesce(p.area_number IS NOT NULL OR m.municipality = 'Chicago', false) AS in_chicago
FROM placed AS p
LEFT JOIN me_cause_lookup AS c
    ON c.primarycause IS NOT DISTINCT FROM p.primarycause
    AND c.primarycause_linea IS NOT DISTINCT FROM p.primarycause_linea
    AND c.primarycause_lineb IS NOT DISTINCT FROM p.primarycause_lineb
    AND c.primarycause_linec IS NOT DISTINCT FROM p.primarycause_linec
    AND c.secondarycause IS NOT DISTINCT FROM p.secondarycause
    AND c.manner IS NOT DISTINCT FROM p.manner
    AND c.opioids IS NOT DISTINCT FROM p.opioids
LEFT JOIN me_demographic_lookup AS d
    ON d.age IS NOT DISTINCT FROM p.age
    AND d.gender IS NOT DISTINCT FROM p.gender
    AND d.race IS NOT DISTINCT FROM p.race
    AND d.latino IS NOT DISTINCT FROM p.latino
LEFT JOIN me_residence_lookup AS r ON r.residence_city = p.residence_city
LEFT JOIN me_municipality_lookup AS m ON m.city = p.city
LEFT JOIN staging.community_areas AS a ON a.community_area_number = p.area_number
ORDER BY p.casenumber

-- One batch of staging.me_cases: the cases whose casenumber is in ($after, $upto], sorted, from the
-- typed rows (view me_typed, from me_cases_typed.sql) and the per-rule look-ups computed in Python
-- on distinct inputs (registered frames, see pipelines/defs/medical_examiner/staging.py: the case
-- definition, demographics, spellings, the community area containing each point, the geocoded area
-- of each address-only Chicago case's address, the city each ZIP names).
-- This file is THE definition of how a case is placed (placement, community_area_number,
-- municipality, in_chicago); see the CASE in `placed`. Batches in casenumber order, each sorted,
-- give a table sorted by casenumber without sorting the whole archive at once.
-- Parameters: $after, $upto (casenumber range). The caller creates the table from the first batch
-- and appends.
WITH kept AS (
    SELECT *
    FROM me_typed
    WHERE reject_reason IS NULL AND casenumber > $after AND casenumber <= $upto
),
located AS (
    SELECT
        k.*,
        -- The area containing the case's point; -1 (none) means outside every area.
        CASE WHEN g.area > 0 THEN g.area END AS from_coordinates,
        -- The area containing the point the geocoder gave the case's street address.
        gc.area AS from_geocode,
        -- The city the case occurred in: its incident_city, or where that names no place, the
        -- city its ZIP names.
        CASE WHEN k.known_city THEN k.incident_city ELSE z.zip_city END AS city
    FROM kept AS k
    LEFT JOIN me_coordinate_lookup AS g
        ON g.latitude = k.latitude AND g.longitude = k.longitude
    LEFT JOIN me_geocode_lookup AS gc
        ON gc.incident_street = k.incident_street
        AND gc.incident_city IS NOT DISTINCT FROM k.incident_city
        AND gc.incident_zip IS NOT DISTINCT FROM k.incident_zip
    LEFT JOIN me_zip_lookup AS z ON z.incident_zip = k.incident_zip
),
placed AS (
    SELECT
        l.*,
        -- The first that applies: the archive's own area name; valid coordinates (inside an area,
        -- or outside every area: outside Chicago); the geocoded street address; without any of
        -- these, a named suburb still places the case outside Chicago.
        CASE
            WHEN l.commarea_from_archive IS NOT NULL THEN 'archive'
            WHEN l.coordinates_valid AND l.from_coordinates IS NOT NULL THEN 'coordinates'
            WHEN l.coordinates_valid THEN 'outside_chicago'
            WHEN l.from_geocode IS NOT NULL THEN 'geocoded'
            WHEN l.city IS NOT NULL AND l.city <> 'CHICAGO' THEN 'outside_chicago'
            ELSE 'unplaced'
        END AS placement
    FROM located AS l
),
numbered AS (
    SELECT
        p.*,
        CASE p.placement
            WHEN 'archive' THEN p.commarea_from_archive
            WHEN 'coordinates' THEN p.from_coordinates
            WHEN 'geocoded' THEN p.from_geocode
        END::INTEGER AS area_number
    FROM placed AS p
)
SELECT
    p.* EXCLUDE (
        commarea_from_archive, reject_reason, coordinates_valid, known_city, from_coordinates, from_geocode,
        city, placement, area_number
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
    p.placement,
    a.community_area,
    CASE WHEN p.area_number IS NOT NULL THEN 'Chicago' ELSE m.municipality END AS municipality,
    -- Occurred in Chicago: placed in an area, or Chicago by its city (or its ZIP's city) though not placed.
    coalesce(p.area_number IS NOT NULL OR m.municipality = 'Chicago', false) AS in_chicago
FROM numbered AS p
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

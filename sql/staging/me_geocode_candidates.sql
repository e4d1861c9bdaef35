-- The cases only a street address can place (see the placement in me_cases.sql): no community area
-- from the archive, no valid coordinates, and in Chicago by incident_city — or, with the city missing
-- or unknown, by the city its ZIP names (me_zip_lookup), or with no ZIP at all. One row per distinct
-- (incident_street, incident_city, incident_zip) with its number of cases; incident_street may be
-- null (counted, never sent).
-- Reads the view me_typed and the frame me_zip_lookup (pipelines/defs/medical_examiner/staging.py).
SELECT t.incident_street, t.incident_city, t.incident_zip, count(*) AS cases
FROM me_typed AS t
LEFT JOIN me_zip_lookup AS z ON z.incident_zip = t.incident_zip
WHERE t.reject_reason IS NULL
    AND t.commarea_from_archive IS NULL
    AND NOT t.coordinates_valid
    AND CASE
        WHEN t.known_city THEN t.incident_city = 'CHICAGO'
        ELSE t.incident_zip IS NULL OR z.zip_city = 'CHICAGO'
    END
GROUP BY ALL
ORDER BY ALL

-- The cases only a street address can place: no community area from the archive, no valid
-- coordinates, and in Chicago by incident_city — or, with the city missing or unknown, by the city
-- its ZIP names (me_zip_lookup), or with no ZIP at all. One row per distinct
-- (incident_street, incident_city, incident_zip) with its number of cases; incident_street may be
-- null (counted, never sent). The Polars twin is geography/placement.py::geocode_candidate_expr.
-- Reads the view me_typed and the frame me_zip_lookup (pipelines/defs/medical_examiner/staging.py).
-- Parameters: $lat_lo, $lat_hi, $lon_lo, $lon_hi (Cook County's extent), $unknown_city (list).
SELECT t.incident_street, t.incident_city, t.incident_zip, count(*) AS cases
FROM me_typed AS t
LEFT JOIN me_zip_lookup AS z ON z.incident_zip = t.incident_zip
WHERE t.reject_reason IS NULL
    AND t.commarea_from_archive IS NULL
    AND NOT coalesce(t.latitude BETWEEN $lat_lo AND $lat_hi AND t.longitude BETWEEN $lon_lo AND $lon_hi, false)
    AND CASE
        WHEN t.incident_city IS NOT NULL AND NOT list_contains($unknown_city, t.incident_city)
            THEN t.incident_city = 'CHICAGO'
        ELSE t.incident_zip IS NULL OR z.zip_city = 'CHICAGO'
    END
GROUP BY ALL
ORDER BY ALL

-- How the deaths in Chicago (or of unknown place) of each year were placed in a community area:
-- by the archive's own area or coordinates (placed), by geocoding the street address (geocoded),
-- or not at all (unplaced). Counts and shares of the year's cases — the same cases as the
-- unplaced_share metric of marts.data_quality. Not suppressed: the Data quality page suppresses.
CREATE OR REPLACE TABLE marts.me_placement_annual AS
WITH counts AS (
    SELECT
        year(death_date)::INTEGER AS year,
        count(*) AS cases,
        count(*) FILTER (WHERE placement IN ('archive', 'coordinates')) AS placed,
        count(*) FILTER (WHERE placement = 'geocoded') AS geocoded,
        count(*) FILTER (WHERE placement = 'unplaced') AS unplaced
    FROM staging.me_cases
    WHERE placement IN ('archive', 'coordinates', 'geocoded', 'unplaced')
    GROUP BY ALL
)
SELECT
    *,
    placed / cases AS placed_share,
    geocoded / cases AS geocoded_share,
    unplaced / cases AS unplaced_share
FROM counts
ORDER BY year;

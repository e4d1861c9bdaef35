-- Overdose deaths that occurred in Chicago by month × community area × drug × age band — the
-- deaths of age-adjusted rates (pipelines/defs/epidemiology/age_adjusted.py). `age_band` is the
-- standard's band (demographics.AGE_BANDS) or 'Unknown' (no age, or outside 0-120: left out of
-- the adjusted rate and counted in a footnote). Rows with no `community_area_number` are Chicago
-- deaths not placed in an area: they count for the city (`in_chicago`, the one definition of a
-- Chicago death), not for any area or the region. `drug` as in overdose_deaths_monthly.sql.
-- Not suppressed: an internal table; public views aggregate it, then suppress.
-- Parameter: $region_areas (list of area numbers).
CREATE OR REPLACE TABLE marts.overdose_deaths_by_age_band AS
WITH long AS (
    SELECT date_trunc('month', death_date)::DATE AS month, community_area_number, age_band, drug, involved
    FROM staging.overdose_drugs
    WHERE in_chicago
)
SELECT
    month,
    community_area_number,
    coalesce(list_contains($region_areas, community_area_number), false) AS in_region,
    drug,
    age_band,
    count(*)::INTEGER AS deaths
FROM long
WHERE involved
GROUP BY ALL
ORDER BY ALL;

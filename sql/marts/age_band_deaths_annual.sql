-- Overdose deaths per calendar year × geography × age band (band 'Unknown' included), grouped as
-- overdose_counts_annual.sql groups its rows: community areas and the region / rest of Chicago
-- over deaths placed in an area; Chicago over every death that occurred in Chicago (`in_chicago`,
-- placed or not). Only non-zero rows. Parameter: $region_label.
WITH deaths AS (
    SELECT year(month) AS year, community_area_number, in_region, age_band, sum(deaths) AS deaths
    FROM marts.overdose_deaths_by_age_band
    WHERE drug = 'all'
    GROUP BY ALL
)
SELECT d.year, 'community_area' AS geography_type, a.community_area AS geography, d.age_band,
       sum(d.deaths)::BIGINT AS deaths
FROM deaths AS d
JOIN staging.community_areas AS a USING (community_area_number)
GROUP BY ALL
UNION ALL
SELECT year, 'region', CASE WHEN in_region THEN $region_label ELSE 'Rest of Chicago' END, age_band,
       sum(deaths)::BIGINT
FROM deaths
WHERE community_area_number IS NOT NULL
GROUP BY ALL
UNION ALL
SELECT year, 'city', 'Chicago', age_band, sum(deaths)::BIGINT
FROM deaths
GROUP BY ALL
ORDER BY ALL;

-- Overdose deaths and population by age band of the region (in_region) and the rest of Chicago
-- over the months $start_month..$end_month (inclusive), for the age-adjusted rates: one row per
-- part and standard band (population, deaths: 0 where none), plus the part's deaths of unknown
-- age (band 'Unknown', no population). Deaths placed in a community area only, as the crude
-- rates of the same slide.
WITH population AS (
    SELECT a.in_region, p.age_band, sum(p.population) AS population
    FROM marts.population_by_age_band AS p
    JOIN marts.community_areas AS a USING (community_area_number)
    GROUP BY ALL
),
deaths AS (
    SELECT in_region, age_band, sum(deaths)::BIGINT AS deaths
    FROM marts.overdose_deaths_by_age_band
    WHERE drug = 'all' AND community_area_number IS NOT NULL
        AND month BETWEEN $start_month AND $end_month
    GROUP BY ALL
)
SELECT p.in_region, p.age_band, p.population, coalesce(d.deaths, 0)::BIGINT AS deaths
FROM population AS p
LEFT JOIN deaths AS d USING (in_region, age_band)
UNION ALL
SELECT in_region, age_band, NULL, deaths
FROM deaths
WHERE age_band = 'Unknown'
ORDER BY ALL;

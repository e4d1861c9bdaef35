-- Monthly overdose, opioid and fentanyl deaths in Chicago: the region vs the rest of the city,
-- with each part's 2020 population (for rates) and the pipeline's provisional flag.
WITH population AS (
    SELECT in_region, sum(population_2020)::BIGINT AS population
    FROM marts.community_areas
    GROUP BY in_region
)
SELECT
    m.month,
    m.in_region,
    sum(m.overdose_deaths)::BIGINT AS overdose_deaths,
    sum(m.opioid_deaths)::BIGINT AS opioid_deaths,
    sum(m.fentanyl_deaths)::BIGINT AS fentanyl_deaths,
    bool_or(m.is_provisional) AS is_provisional,
    any_value(p.population) AS population
FROM marts.me_monthly_by_area AS m
JOIN population AS p USING (in_region)
GROUP BY m.month, m.in_region
ORDER BY m.month, m.in_region;

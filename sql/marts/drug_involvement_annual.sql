-- Overdose deaths per year involving each drug class, for the region, Chicago (every death that
-- occurred in Chicago, placed in an area or not) and Cook County, with the share of that year's
-- overdose deaths.
-- Parameters: $region_areas, $region_municipalities, $region_label.
WITH long AS (
    SELECT
        year(death_date) AS year,
        coalesce(list_contains($region_areas, community_area_number), false)
            OR coalesce(list_contains($region_municipalities, municipality), false) AS in_region,
        in_chicago,
        drug,
        involved
    FROM staging.overdose_drugs
    WHERE drug <> 'all'
),
geographies AS (
    SELECT $region_label AS geography, year, drug, involved FROM long WHERE in_region
    UNION ALL
    SELECT 'Chicago', year, drug, involved FROM long WHERE in_chicago
    UNION ALL
    SELECT 'Cook County', year, drug, involved FROM long
)
SELECT
    geography,
    year,
    drug,
    count(*) FILTER (WHERE involved)::BIGINT AS deaths,
    count(*)::BIGINT AS overdose_deaths
FROM geographies
GROUP BY ALL
ORDER BY geography, year, drug

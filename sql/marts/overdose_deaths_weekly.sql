-- Overdose deaths by ISO week (starting Monday) × community area × drug (Chicago and suburbs).
-- Parameters: $region_areas, $region_municipalities (suburbs in the region), $provisional_months.
CREATE OR REPLACE TABLE marts.overdose_deaths_weekly AS
WITH overdoses AS (
    SELECT
        date_trunc('week', death_date)::DATE AS week,
        community_area_number,
        municipality,
        in_chicago,
        true AS "all",
        fentanyl, heroin, rx_opioid, nitazene, any_opioid, xylazine, cocaine, methamphetamine,
        benzodiazepine, ethanol, opioid_stimulant
    FROM staging.me_cases
    WHERE is_overdose
),
long AS (
    UNPIVOT overdoses
    ON "all", fentanyl, heroin, rx_opioid, nitazene, any_opioid, xylazine, cocaine,
       methamphetamine, benzodiazepine, ethanol, opioid_stimulant
    INTO NAME drug VALUE involved
),
last_month AS (SELECT date_trunc('month', max(death_date))::DATE AS last_month FROM staging.me_cases)
SELECT
    l.week,
    l.community_area_number,
    coalesce(list_contains($region_areas, l.community_area_number), false)
        OR coalesce(list_contains($region_municipalities, l.municipality), false) AS in_region,
    -- Chicago: every death that occurred in Chicago, placed in an area or not (a null
    -- community_area_number with place 'Chicago' is a Chicago death not placed in an area).
    CASE
        WHEN l.in_chicago THEN 'Chicago'
        WHEN l.municipality IS NOT NULL THEN 'Suburban Cook County'
        ELSE 'Unknown'
    END AS place,
    l.municipality,
    l.drug,
    count(*)::INTEGER AS deaths,
    -- A week is provisional when any of its days falls in a provisional month.
    l.week + INTERVAL 6 DAY >= (SELECT last_month FROM last_month) - to_months($provisional_months - 1)
        AS is_provisional
FROM long AS l
WHERE l.involved
GROUP BY ALL
ORDER BY ALL;

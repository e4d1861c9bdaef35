-- Overdose deaths by ISO week (starting Monday) × community area × drug (Chicago and suburbs).
-- Parameters: $region_areas, $region_municipalities (suburbs in the region), $provisional_months.
CREATE OR REPLACE TABLE marts.overdose_deaths_weekly AS
WITH long AS (
    SELECT date_trunc('week', death_date)::DATE AS week, * EXCLUDE (death_date)
    FROM staging.overdose_drugs
),
last_month AS (SELECT date_trunc('month', max(death_date))::DATE AS last_month FROM staging.me_cases)
SELECT
    l.week,
    l.community_area_number,
    coalesce(list_contains($region_areas, l.community_area_number), false)
        OR coalesce(list_contains($region_municipalities, l.municipality), false) AS in_region,
    l.place,
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

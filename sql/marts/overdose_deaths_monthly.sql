-- Overdose deaths by month × place of occurrence × drug × intent × demographic group.
-- One row per non-empty combination; `drug` = 'all' counts every overdose death once, each other
-- value counts the deaths involving that drug (a death involving two drugs is in both rows).
-- Not suppressed: an internal table; public views aggregate it, then suppress.
-- Parameters: $region_areas, $region_municipalities (suburbs in the region) (list of area numbers), $provisional_months (int).
CREATE OR REPLACE TABLE marts.overdose_deaths_monthly AS
WITH long AS (
    SELECT date_trunc('month', death_date)::DATE AS month, * EXCLUDE (death_date)
    FROM staging.overdose_drugs
),
last_month AS (SELECT date_trunc('month', max(death_date))::DATE AS last_month FROM staging.me_cases)
SELECT
    l.month,
    l.community_area_number,
    a.community_area,
    coalesce(list_contains($region_areas, l.community_area_number), false)
        OR coalesce(list_contains($region_municipalities, l.municipality), false) AS in_region,
    l.place,
    l.municipality,
    l.drug,
    l.intent,
    l.age_group,
    l.sex,
    l.race_ethnicity,
    count(*)::INTEGER AS deaths,
    l.month >= (SELECT last_month FROM last_month) - to_months($provisional_months - 1) AS is_provisional
FROM long AS l
LEFT JOIN staging.community_areas AS a USING (community_area_number)
WHERE l.involved
GROUP BY ALL
ORDER BY ALL;

-- Monthly Medical Examiner deaths by Chicago community area of occurrence, zero-filled for every
-- area and month from the first to the last month with data.
-- Parameters: $region_areas (list of area numbers), $provisional_months (int).
CREATE OR REPLACE TABLE marts.me_monthly_by_area AS
WITH bounds AS (
    SELECT
        date_trunc('month', min(death_date))::DATE AS first_month,
        date_trunc('month', max(death_date))::DATE AS last_month
    FROM staging.me_cases
),
months AS (
    SELECT unnest(generate_series(first_month, last_month, INTERVAL 1 MONTH))::DATE AS month
    FROM bounds
),
counts AS (
    SELECT
        date_trunc('month', death_date)::DATE AS month,
        community_area_number,
        count(*) FILTER (WHERE is_overdose) AS overdose_deaths,
        count(*) FILTER (WHERE is_overdose AND any_opioid) AS opioid_deaths,
        count(*) FILTER (WHERE is_overdose AND fentanyl) AS fentanyl_deaths,
        count(*) AS all_me_cases
    FROM staging.me_cases
    WHERE community_area_number IS NOT NULL
    GROUP BY ALL
)
SELECT
    m.month,
    a.community_area_number,
    a.community_area,
    list_contains($region_areas, a.community_area_number) AS in_region,
    coalesce(c.overdose_deaths, 0)::INTEGER AS overdose_deaths,
    coalesce(c.opioid_deaths, 0)::INTEGER AS opioid_deaths,
    coalesce(c.fentanyl_deaths, 0)::INTEGER AS fentanyl_deaths,
    coalesce(c.all_me_cases, 0)::INTEGER AS all_me_cases,
    m.month >= (SELECT last_month FROM bounds) - to_months($provisional_months - 1) AS is_provisional
FROM months AS m
CROSS JOIN staging.community_areas AS a
LEFT JOIN counts AS c
    ON c.month = m.month AND c.community_area_number = a.community_area_number
ORDER BY m.month, a.community_area_number;

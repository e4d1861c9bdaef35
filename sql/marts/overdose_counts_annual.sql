-- Overdose deaths per calendar year for every community area, the region, the rest of Chicago,
-- the Chicago deaths not placed in an area, and Chicago, with the 2020 population and the months
-- of the year the data covers (the last year is usually partial). Chicago counts every death that
-- occurred in Chicago (staging.me_cases.in_chicago), placed in an area or not, so that
-- region + rest of Chicago + not placed = Chicago; the not-placed row has deaths only (no
-- population). Suburbs named in $region_municipalities get their own rows with deaths only: the
-- project's population reference covers Chicago's community areas, so the region's rate is that
-- of its community areas. Parameters: $region_areas, $region_municipalities, $region_label,
-- $not_placed_label.
WITH bounds AS (
    SELECT
        date_trunc('month', min(death_date))::DATE AS first_month,
        date_trunc('month', max(death_date))::DATE AS last_month
    FROM staging.me_cases
),
years AS (
    SELECT
        y AS year,
        -- Months of year y inside [first_month, last_month].
        datediff(
            'month',
            greatest(make_date(y, 1, 1), (SELECT first_month FROM bounds)),
            least(make_date(y, 12, 1), (SELECT last_month FROM bounds))
        ) + 1 AS months_covered
    FROM range(
        year((SELECT first_month FROM bounds)), year((SELECT last_month FROM bounds)) + 1
    ) AS t(y)
),
areas AS (
    SELECT
        community_area_number,
        community_area,
        population_2020,
        list_contains($region_areas, community_area_number) AS in_region
    FROM staging.community_areas
),
area_counts AS (
    SELECT year(death_date) AS year, community_area_number, count(*) AS deaths
    FROM staging.me_cases
    WHERE is_overdose AND community_area_number IS NOT NULL
    GROUP BY ALL
),
not_placed AS (
    SELECT year(death_date) AS year, count(*) AS deaths
    FROM staging.me_cases
    WHERE is_overdose AND in_chicago AND community_area_number IS NULL
    GROUP BY ALL
),
by_area AS (
    SELECT
        y.year, y.months_covered, a.community_area_number, a.community_area, a.in_region,
        a.population_2020::BIGINT AS population_2020, coalesce(c.deaths, 0)::BIGINT AS deaths
    FROM years AS y
    CROSS JOIN areas AS a
    LEFT JOIN area_counts AS c USING (year, community_area_number)
)
SELECT
    year, months_covered, 'community_area' AS geography_type, community_area AS geography,
    community_area_number, in_region, population_2020 AS population, deaths
FROM by_area
UNION ALL
SELECT
    year, months_covered, 'region', CASE WHEN in_region THEN $region_label ELSE 'Rest of Chicago' END,
    NULL, in_region, sum(population_2020)::BIGINT, sum(deaths)::BIGINT
FROM by_area
GROUP BY year, months_covered, in_region
UNION ALL
SELECT
    y.year, y.months_covered, 'not_placed', $not_placed_label, NULL, NULL, NULL::BIGINT,
    coalesce(n.deaths, 0)::BIGINT
FROM years AS y
LEFT JOIN not_placed AS n USING (year)
UNION ALL
SELECT
    a.year, a.months_covered, 'city', 'Chicago', NULL, NULL, sum(a.population_2020)::BIGINT,
    (sum(a.deaths) + any_value(coalesce(n.deaths, 0)))::BIGINT
FROM by_area AS a
LEFT JOIN not_placed AS n USING (year)
GROUP BY a.year, a.months_covered
UNION ALL
SELECT
    y.year, y.months_covered, 'municipality', m.municipality, NULL, true, NULL::BIGINT,
    (SELECT count(*) FROM staging.me_cases AS c
     WHERE c.is_overdose AND c.community_area_number IS NULL
       AND c.municipality = m.municipality AND year(c.death_date) = y.year)::BIGINT
FROM years AS y
CROSS JOIN (SELECT unnest($region_municipalities::VARCHAR[]) AS municipality) AS m
ORDER BY 1, 3, 4

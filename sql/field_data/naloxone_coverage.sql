-- "Naloxone coverage": naloxone kits distributed per overdose death, by Chicago community area and
-- for the region, over the months covered by both the outreach logs and the Medical Examiner
-- archive. Deaths are by community area of occurrence (staging.me_cases). Counts are raw here:
-- the app suppresses small death counts (and kits_per_death with them) before showing them.
-- Parameters: $region_areas, $region_label.
CREATE OR REPLACE TABLE marts.naloxone_coverage AS
WITH period AS (
    SELECT
        (SELECT min(month) FROM staging.outreach) AS first_month,
        least(
            (SELECT max(month) FROM staging.outreach),
            (SELECT date_trunc('month', max(death_date))::DATE FROM staging.me_cases)
        ) AS last_month
),
kits AS (
    SELECT
        o.community_area_number,
        sum(o.naloxone_kits_distributed) AS kits,
        sum(o.people_trained_naloxone) AS trained,
        sum(o.naloxone_administrations) AS reversals
    FROM staging.outreach AS o, period AS p
    WHERE o.month BETWEEN p.first_month AND p.last_month AND o.community_area_number IS NOT NULL
    GROUP BY ALL
),
deaths AS (
    SELECT c.community_area_number, count(*) AS deaths
    FROM staging.me_cases AS c, period AS p
    WHERE c.is_overdose
        AND date_trunc('month', c.death_date)::DATE BETWEEN p.first_month AND p.last_month
        AND c.community_area_number IS NOT NULL
    GROUP BY ALL
),
by_area AS (
    SELECT
        p.first_month,
        p.last_month,
        'community_area' AS area_level,
        a.community_area_number,
        a.community_area,
        list_contains($region_areas, a.community_area_number) AS in_region,
        coalesce(k.kits, 0)::BIGINT AS naloxone_kits_distributed,
        coalesce(d.deaths, 0)::BIGINT AS overdose_deaths,
        coalesce(k.trained, 0)::BIGINT AS people_trained_naloxone,
        coalesce(k.reversals, 0)::BIGINT AS naloxone_administrations
    FROM staging.community_areas AS a
    CROSS JOIN period AS p
    LEFT JOIN kits AS k USING (community_area_number)
    LEFT JOIN deaths AS d USING (community_area_number)
    WHERE p.first_month IS NOT NULL AND p.last_month >= p.first_month
),
with_region AS (
    SELECT * FROM by_area
    UNION ALL
    SELECT
        any_value(first_month),
        any_value(last_month),
        'region',
        NULL,
        $region_label,
        true,
        sum(naloxone_kits_distributed)::BIGINT,
        sum(overdose_deaths)::BIGINT,
        sum(people_trained_naloxone)::BIGINT,
        sum(naloxone_administrations)::BIGINT
    FROM by_area
    WHERE in_region
    HAVING count(*) > 0
)
SELECT
    *,
    CASE WHEN overdose_deaths > 0 THEN naloxone_kits_distributed / overdose_deaths END AS kits_per_death
FROM with_region
ORDER BY area_level DESC, community_area_number;

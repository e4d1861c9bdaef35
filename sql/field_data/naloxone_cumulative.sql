-- Naloxone over time, all areas: people trained (cumulative, towards the task force's milestone),
-- kits distributed and reversals, per month from the first to the last month of outreach logs
-- (zero-filled). Parameters: $trained_baseline (people trained before the first log), $trained_goal.
CREATE OR REPLACE TABLE marts.naloxone_cumulative AS
WITH bounds AS (
    SELECT min(month) AS first_month, max(month) AS last_month FROM staging.outreach
),
months AS (
    SELECT unnest(generate_series(first_month, last_month, INTERVAL 1 MONTH))::DATE AS month
    FROM bounds
    WHERE first_month IS NOT NULL
),
monthly AS (
    SELECT
        month,
        coalesce(sum(people_trained_naloxone), 0) AS trained,
        coalesce(sum(naloxone_kits_distributed), 0) AS kits,
        coalesce(sum(naloxone_administrations), 0) AS reversals,
        coalesce(sum(overdoses_responded), 0) AS overdoses
    FROM staging.outreach
    GROUP BY month
),
running AS (
    SELECT
        m.month,
        coalesce(x.trained, 0)::INTEGER AS people_trained_naloxone,
        ($trained_baseline + sum(coalesce(x.trained, 0)) OVER (ORDER BY m.month))::BIGINT
            AS people_trained_cumulative,
        coalesce(x.kits, 0)::INTEGER AS naloxone_kits_distributed,
        sum(coalesce(x.kits, 0)) OVER (ORDER BY m.month)::BIGINT AS naloxone_kits_cumulative,
        coalesce(x.reversals, 0)::INTEGER AS naloxone_administrations,
        sum(coalesce(x.reversals, 0)) OVER (ORDER BY m.month)::BIGINT AS naloxone_administrations_cumulative,
        coalesce(x.overdoses, 0)::INTEGER AS overdoses_responded
    FROM months AS m
    LEFT JOIN monthly AS x USING (month)
)
SELECT
    *,
    $trained_goal::BIGINT AS people_trained_goal,
    people_trained_cumulative / $trained_goal AS people_trained_goal_share,
    people_trained_cumulative >= $trained_goal AS people_trained_goal_reached
FROM running
ORDER BY month;

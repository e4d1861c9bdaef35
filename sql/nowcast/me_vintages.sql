-- staging.me_vintages: each case's versions as the pulls saw them, one row per change of what is
-- counted (overdose or not, drug flags, pending), valid from the pull that first showed it until
-- the next change. A case missing from a later full pull ends there (it left the archive).
-- Where the portal's :created_at is usable ($seed), a version in the first pull is dated from its
-- :updated_at (it has read so since then), which seeds history from before the first pull; and a
-- case created before that update is taken as pending from its :created_at until then.
-- The death month and place come from the case's current record (staging.me_cases).
-- Reads nowcast_pull_rows (me_pull_rows.sql) and nowcast_causes (the case definition per cause_key).
-- Parameters: $seed (bool).
CREATE OR REPLACE TEMP TABLE nowcast_states AS
WITH first_pull AS (SELECT min(pulled_at) AS first_at FROM nowcast_pull_rows),
seen AS (
    SELECT
        r.casenumber,
        CASE WHEN $seed AND r.pulled_at = (SELECT first_at FROM first_pull)
             THEN least(r.pulled_at, coalesce(r.updated_at, r.pulled_at)) ELSE r.pulled_at END AS valid_from,
        r.pulled_at,
        c.is_overdose, c.intent = 'pending' AS is_pending,
        c.fentanyl, c.heroin, c.rx_opioid, c.nitazene, c.any_opioid, c.xylazine, c.cocaine,
        c.methamphetamine, c.benzodiazepine, c.ethanol, c.opioid_stimulant,
        false AS is_absent
    FROM nowcast_pull_rows AS r
    JOIN nowcast_causes AS c USING (cause_key)
),
-- Seeded: a case created before its last update read otherwise in between; taken as pending then
-- (an assumption: most changes to a recent case are its toxicology closing).
seeded_pending AS (
    SELECT
        r.casenumber, r.created_at AS valid_from, r.created_at AS pulled_at,
        false, true, false, false, false, false, false, false, false, false, false, false, false,
        false AS is_absent
    FROM nowcast_pull_rows AS r
    WHERE $seed AND r.pulled_at = (SELECT first_at FROM first_pull)
      AND r.created_at < least(r.updated_at, r.pulled_at)
),
full_pulls AS (SELECT DISTINCT pulled_at FROM nowcast_pull_rows WHERE is_full),
first_seen AS (SELECT casenumber, min(pulled_at) AS first_pull FROM nowcast_pull_rows GROUP BY casenumber),
absent AS (
    SELECT s.casenumber, f.pulled_at AS valid_from, f.pulled_at,
           false, false, false, false, false, false, false, false, false, false, false, false, false,
           true AS is_absent
    FROM full_pulls AS f
    JOIN first_seen AS s ON s.first_pull < f.pulled_at
    ANTI JOIN nowcast_pull_rows AS r ON r.casenumber = s.casenumber AND r.pulled_at = f.pulled_at
)
SELECT * FROM seen
UNION ALL
SELECT * FROM seeded_pending
UNION ALL
SELECT * FROM absent;

CREATE OR REPLACE TABLE staging.me_vintages AS
WITH keyed AS (
    SELECT *,
        hash(is_overdose, is_pending, fentanyl, heroin, rx_opioid, nitazene, any_opioid, xylazine,
             cocaine, methamphetamine, benzodiazepine, ethanol, opioid_stimulant, is_absent) AS state
    FROM nowcast_states
),
changes AS (
    SELECT * FROM keyed
    QUALIFY state IS DISTINCT FROM lag(state) OVER (PARTITION BY casenumber ORDER BY valid_from, pulled_at)
),
spans AS (
    SELECT *, lead(valid_from) OVER (PARTITION BY casenumber ORDER BY valid_from, pulled_at) AS valid_to FROM changes
)
SELECT
    ch.casenumber,
    date_trunc('month', c.death_date)::DATE AS death_month,
    c.community_area_number,
    c.municipality,
    c.in_chicago,
    ch.valid_from,
    ch.valid_to,
    ch.pulled_at AS first_pull_at,
    ch.is_overdose, ch.is_pending,
    ch.fentanyl, ch.heroin, ch.rx_opioid, ch.nitazene, ch.any_opioid, ch.xylazine, ch.cocaine,
    ch.methamphetamine, ch.benzodiazepine, ch.ethanol, ch.opioid_stimulant
FROM spans AS ch
JOIN staging.me_cases AS c USING (casenumber)
WHERE NOT ch.is_absent
ORDER BY ch.casenumber, ch.valid_from;

-- Every record of every Medical Examiner pull (snapshot page files), one row per case and pull,
-- with what the case definition reads and the portal's :created_at / :updated_at.
-- Parameters: $files, $file_pulled_at, $file_full (aligned lists: page file, its pull's time, full?).
-- Within one pull a repeated casenumber keeps its latest :updated_at, as the merge does.
CREATE OR REPLACE TEMP TABLE nowcast_pages AS
SELECT unnest($files) AS source_file, unnest($file_pulled_at) AS pulled_at, unnest($file_full) AS is_full;

CREATE OR REPLACE TEMP TABLE nowcast_pull_rows AS
SELECT
    trim(r.casenumber) AS casenumber,
    try_cast(r.death_date AS TIMESTAMP) AS death_date,
    nullif(upper(trim(r.manner)), '') AS manner,
    nullif(trim(r.primarycause), '') AS primarycause,
    nullif(trim(r.primarycause_linea), '') AS primarycause_linea,
    nullif(trim(r.primarycause_lineb), '') AS primarycause_lineb,
    nullif(trim(r.primarycause_linec), '') AS primarycause_linec,
    nullif(trim(r.secondarycause), '') AS secondarycause,
    try_cast(r.opioids AS BOOLEAN) AS opioids,
    try_cast(r.":created_at" AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS created_at,
    try_cast(r.":updated_at" AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS updated_at,
    p.pulled_at,
    p.is_full,
    hash(upper(trim(r.manner)), trim(r.primarycause), trim(r.primarycause_linea), trim(r.primarycause_lineb),
         trim(r.primarycause_linec), trim(r.secondarycause), try_cast(r.opioids AS BOOLEAN)) AS cause_key
FROM read_json(
    $files,
    format = 'array',
    filename = 'source_file',
    columns = {
        'casenumber': 'VARCHAR', 'death_date': 'VARCHAR', 'manner': 'VARCHAR',
        'primarycause': 'VARCHAR', 'primarycause_linea': 'VARCHAR', 'primarycause_lineb': 'VARCHAR',
        'primarycause_linec': 'VARCHAR', 'secondarycause': 'VARCHAR', 'opioids': 'VARCHAR',
        ':created_at': 'VARCHAR', ':updated_at': 'VARCHAR'
    }
) AS r
JOIN nowcast_pages AS p USING (source_file)
WHERE nullif(trim(r.casenumber), '') IS NOT NULL
QUALIFY row_number() OVER (
    PARTITION BY trim(r.casenumber), p.pulled_at
    ORDER BY r.":updated_at" DESC NULLS LAST, r.source_file DESC
) = 1;

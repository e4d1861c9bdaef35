-- One row per field-data file present now: how it was ingested and its row accounting
-- (rows_in = rows_loaded + rows_quarantined). Parameters: $sources, $synthetic_prefix.
CREATE OR REPLACE TABLE marts.field_data_files AS
WITH latest AS (
    SELECT *
    FROM staging.ingest_log
    WHERE list_contains($sources, source)
    QUALIFY row_number() OVER (PARTITION BY source, file ORDER BY ingested_at DESC) = 1
),
first_seen AS (
    SELECT source, file, min(ingested_at) AS first_ingested_at
    FROM staging.ingest_log
    WHERE list_contains($sources, source)
    GROUP BY ALL
),
refusals AS (
    SELECT source, file, min(reason) AS reason
    FROM staging.quarantine
    WHERE stage = 'refused' AND list_contains($sources, source)
    GROUP BY ALL
)
SELECT
    l.source,
    l.file,
    CASE WHEN r.reason IS NULL THEN 'loaded' ELSE 'refused' END AS status,
    l.rows_in,
    l.rows_loaded,
    l.rows_quarantined,
    r.reason AS refusal,
    starts_with(regexp_extract(l.file, '[^/]*$'), $synthetic_prefix) AS is_synthetic,
    l.watermark AS data_to,
    l.checksum,
    f.first_ingested_at,
    l.ingested_at AS last_changed_at
FROM latest AS l
JOIN first_seen AS f USING (source, file)
LEFT JOIN refusals AS r USING (source, file)
WHERE l.mode <> 'removed'
ORDER BY l.source, l.file;

-- One row per field-data source, in the columns of marts.source_freshness (so the two can be
-- stacked): label (marked when synthetic), period covered, last change, rows loaded.
-- Reads marts.field_data_files. Parameters: $hotspots_label, $test_strips_label,
-- $outreach_label, $raw_dir.
CREATE OR REPLACE TABLE marts.field_data_sources AS
WITH files AS (
    SELECT
        source,
        bool_or(is_synthetic) AS any_synthetic,
        bool_and(is_synthetic) AS all_synthetic,
        max(last_changed_at) AS refreshed_at
    FROM marts.field_data_files
    GROUP BY source
),
periods AS (
    SELECT 'test_strips' AS source, $test_strips_label AS label, min(tested_on) AS data_from,
        max(tested_on) AS data_to, count(*) AS row_count
    FROM staging.test_strips
    UNION ALL
    SELECT 'outreach', $outreach_label, min(date), max(date), count(*) FROM staging.outreach
    UNION ALL
    SELECT 'hotspots', $hotspots_label, NULL, NULL, count(*) FROM staging.hotspots
)
SELECT
    p.source,
    CASE
        WHEN f.all_synthetic THEN p.label || ' — synthetic demo data'
        WHEN f.any_synthetic THEN p.label || ' — includes synthetic demo data'
        ELSE p.label
    END AS label,
    coalesce(f.any_synthetic, false) AS is_synthetic,
    p.data_from,
    p.data_to,
    f.refreshed_at,
    p.row_count,
    $raw_dir || '/' || p.source || '/' AS source_url
FROM periods AS p
LEFT JOIN files AS f USING (source)
ORDER BY p.source;

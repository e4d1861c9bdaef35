-- Per field-data source: rows in (latest ingest-log entry of every file) against rows staged and
-- rows quarantined, and how many files do not add up. Parameter: $source.
WITH latest_entry AS (
    SELECT file, mode, rows_in, rows_loaded, rows_quarantined
    FROM staging.ingest_log
    WHERE source = $source
    QUALIFY row_number() OVER (PARTITION BY file ORDER BY ingested_at DESC) = 1
),
latest AS (SELECT * FROM latest_entry WHERE mode <> 'removed'),
staged_rows AS (
    SELECT 'hotspots' AS source, source_file AS file FROM staging.hotspots
    UNION ALL
    SELECT 'test_strips', source_file FROM staging.test_strips
    UNION ALL
    SELECT 'outreach', source_file FROM staging.outreach
),
staged AS (SELECT file, count(*) AS n FROM staged_rows WHERE source = $source GROUP BY file),
quarantined AS (
    SELECT file, count(row_number) AS n FROM staging.quarantine WHERE source = $source GROUP BY file
)
SELECT
    coalesce(sum(l.rows_in), 0) AS rows_in,
    coalesce(sum(s.n), 0) AS staged,
    coalesce(sum(q.n), 0) AS quarantined,
    count(*) FILTER (
        WHERE l.rows_in IS DISTINCT FROM coalesce(s.n, 0) + coalesce(q.n, 0)
            OR l.rows_loaded IS DISTINCT FROM coalesce(s.n, 0)
            OR l.rows_quarantined IS DISTINCT FROM coalesce(q.n, 0)
    ) AS files_not_adding_up
FROM latest AS l
FULL JOIN staged AS s USING (file)
FULL JOIN quarantined AS q USING (file);

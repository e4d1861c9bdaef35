-- The latest ingest-log entry of every file of one field-data source (what the warehouse holds
-- now, or that the file was removed). Parameter: $source.
SELECT file, checksum, mode, rows_in, rows_loaded, rows_quarantined
FROM staging.ingest_log
WHERE source = $source
QUALIFY row_number() OVER (PARTITION BY file ORDER BY ingested_at DESC) = 1
ORDER BY file;

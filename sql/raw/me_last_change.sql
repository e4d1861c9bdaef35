-- When the Medical Examiner records last changed: the latest merge that brought any row (UTC).
SELECT max(ingested_at) FROM staging.ingest_log WHERE source = $source AND rows_in > 0;

-- Every ingest, newest first: Medical Examiner pulls/merges and field-data file events, with the
-- row accounting each one logged (rows_in = rows_loaded + rows_quarantined). For the Medical
-- Examiner `file` is the pull id (snapshot folder, or demo file and checksum); for field data it is
-- the file's path inside its folder. No row values: this is the log, not the data.
CREATE OR REPLACE TABLE marts.ingest_log AS
SELECT
    source,
    file,
    mode,
    rows_in,
    rows_loaded,
    rows_quarantined,
    watermark,
    checksum,
    reason,
    ingested_at
FROM staging.ingest_log
ORDER BY ingested_at DESC, source, file;

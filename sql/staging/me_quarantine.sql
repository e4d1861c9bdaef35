-- The typed Medical Examiner rows staging refuses (reject_reason from me_cases_typed.sql, view
-- me_typed) replace the previous staging quarantine of the source.
-- Parameters: $source, $now. Runs inside the caller's transaction, with the staging.me_cases rebuild.
DELETE FROM staging.quarantine WHERE source = $source AND stage = 'staging';

INSERT INTO staging.quarantine
SELECT $source, 'staging', source_file, source_row, casenumber, reject_reason, $now
FROM me_typed
WHERE reject_reason IS NOT NULL;

-- Medical Examiner records that were not loaded, with the reason: where the record is (pull file
-- and row) and its case number, never any of its values. `stage` is `raw` (rejected when the pull
-- was merged: no casenumber, or superseded within its pull) or `staging` (no usable death date).
-- `file` keeps the last two path parts (snapshot folder and page file, or demo folder and file):
-- enough to find the record, without the server's directory layout.
CREATE OR REPLACE TABLE marts.me_quarantine AS
SELECT
    stage,
    coalesce(
        nullif(regexp_extract(replace(file, '\', '/'), '([^/]+/[^/]+)$', 1), ''),
        file
    ) AS file,
    row_number,
    record_key AS case_number,
    reason,
    quarantined_at
FROM staging.quarantine
WHERE source = 'medical_examiner'
ORDER BY quarantined_at DESC, file, row_number;

-- The field-data rows that were not loaded, with the reason (no personal data: file, row, reason).
-- Parameter: $sources.
CREATE OR REPLACE TABLE marts.field_data_quarantine AS
SELECT source, stage, file, row_number, reason, quarantined_at
FROM staging.quarantine
WHERE list_contains($sources, source)
ORDER BY source, file, row_number NULLS FIRST;

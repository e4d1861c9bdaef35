-- Data-quality figures, one row per metric: numerator / denominator = value.
CREATE OR REPLACE TABLE marts.data_quality AS
WITH c AS (SELECT * FROM staging.me_cases)
SELECT
    'medical_examiner' AS source,
    'unplaced_share' AS metric,
    'Cases in Chicago or of unknown place that could not be placed in a community area '
        || '(no usable chi_commarea and no coordinates inside Chicago)' AS description,
    count(*) FILTER (WHERE placement = 'unplaced') AS numerator,
    count(*) FILTER (WHERE placement IN ('archive', 'coordinates', 'unplaced')) AS denominator
FROM c
UNION ALL
SELECT
    'medical_examiner', 'placed_by_coordinates_share',
    'Chicago cases placed by point-in-polygon because the archive gave no community area',
    count(*) FILTER (WHERE placement = 'coordinates'),
    count(*) FILTER (WHERE placement IN ('archive', 'coordinates'))
FROM c
UNION ALL
SELECT
    'medical_examiner', 'opioid_flag_agreement_overdoses',
    'Overdose deaths where the archive''s opioids flag agrees with the text-based any_opioid',
    count(*) FILTER (WHERE is_overdose AND opioid_flag_agrees),
    count(*) FILTER (WHERE is_overdose)
FROM c
UNION ALL
SELECT
    'medical_examiner', 'opioid_flag_agreement_all_cases',
    'All cases where the archive''s opioids flag agrees with the text-based any_opioid '
        || '(the flag marks involvement and is set on some non-overdose deaths)',
    count(*) FILTER (WHERE opioid_flag_agrees),
    count(*)
FROM c
UNION ALL
SELECT
    'medical_examiner', 'without_coordinates_share',
    'Cases without valid coordinates inside Cook County',
    count(*) FILTER (WHERE NOT coordinates_valid),
    count(*)
FROM c
UNION ALL
SELECT
    'medical_examiner', 'quarantined_share',
    'Archive records not loaded (quarantined with a reason) out of all records received',
    (SELECT count(*) FROM staging.quarantine WHERE source = 'medical_examiner' AND stage = 'staging'),
    (SELECT count(*) FROM raw.me_records);

ALTER TABLE marts.data_quality ADD COLUMN value DOUBLE;
UPDATE marts.data_quality SET value = CASE WHEN denominator > 0 THEN numerator / denominator END;

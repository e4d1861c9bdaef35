-- Data-quality figures, one row per metric: numerator / denominator = value.
CREATE OR REPLACE TABLE marts.data_quality AS
WITH c AS (SELECT * FROM staging.me_cases)
SELECT
    'medical_examiner' AS source,
    'unplaced_share' AS metric,
    'Cases in Chicago or of unknown place that could not be placed in a community area '
        || '(no usable chi_commarea, no coordinates inside Chicago, no geocoded address inside an area)'
        AS description,
    count(*) FILTER (WHERE placement = 'unplaced') AS numerator,
    count(*) FILTER (WHERE placement IN ('archive', 'coordinates', 'geocoded', 'unplaced')) AS denominator
FROM c
UNION ALL
SELECT
    'medical_examiner', 'placed_by_coordinates_share',
    'Chicago cases placed in an area that were placed by point-in-polygon on the archive''s '
        || 'coordinates because it gave no community area',
    count(*) FILTER (WHERE placement = 'coordinates'),
    count(*) FILTER (WHERE placement IN ('archive', 'coordinates', 'geocoded'))
FROM c
UNION ALL
SELECT
    'medical_examiner', 'geocoded_share',
    'Cases in Chicago or of unknown place placed in an area by geocoding their street address '
        || '(no chi_commarea, no coordinates; ODW_GEOCODER=census)',
    count(*) FILTER (WHERE placement = 'geocoded'),
    count(*) FILTER (WHERE placement IN ('archive', 'coordinates', 'geocoded', 'unplaced'))
FROM c
UNION ALL
SELECT
    'medical_examiner', 'geocoder_match_share',
    'Cases whose street address the geocoder answered that it matched to a point (Match, not '
        || 'No_Match or Tie); the point may still lie outside every area',
    coalesce(sum(cases) FILTER (WHERE status = 'Match'), 0),
    coalesce(sum(cases), 0)
FROM staging.me_geocodes
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

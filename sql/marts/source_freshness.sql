-- One row per source: what it is, the period it covers, when it was last refreshed.
-- Parameters: $me_label, $me_is_synthetic, $me_source_url.
CREATE OR REPLACE TABLE marts.source_freshness AS
SELECT
    'medical_examiner' AS source,
    $me_label AS label,
    $me_is_synthetic AS is_synthetic,
    min(death_date)::DATE AS data_from,
    max(death_date)::DATE AS data_to,
    (SELECT max(ingested_at) FROM staging.ingest_log WHERE source = 'medical_examiner') AS refreshed_at,
    count(*) AS row_count,
    $me_source_url AS source_url
FROM staging.me_cases;

CREATE OR REPLACE TABLE marts.publication AS
SELECT
    $region_label AS region_label,
    $region_areas AS region_areas,
    $suppress_below AS suppress_below,
    $provisional_months AS provisional_months,
    $published_at AS published_at;

-- Field data (test strips, outreach logs, hot spots): the staging tables the marts read.
-- Rebuilt from the files under ODW_RAW_DIR on every run; rows that fail validation are in
-- staging.quarantine and every file's accounting is in staging.ingest_log (sql/raw/schema.sql).
-- No column holds personal data: see pipelines/defs/field_data/pii.py.
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS marts;

CREATE TABLE IF NOT EXISTS staging.hotspots (
    hotspot_id VARCHAR NOT NULL,
    name VARCHAR,
    latitude DOUBLE NOT NULL,
    longitude DOUBLE NOT NULL,
    community_area VARCHAR,
    active BOOLEAN NOT NULL,
    community_area_number INTEGER,
    is_synthetic BOOLEAN NOT NULL,
    source_file VARCHAR NOT NULL,
    source_row BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS staging.test_strips (
    tested_on DATE NOT NULL,
    team VARCHAR NOT NULL,
    hotspot_id VARCHAR,
    latitude DOUBLE,
    longitude DOUBLE,
    community_area VARCHAR,
    substance_as_sold VARCHAR NOT NULL,
    strip_type VARCHAR NOT NULL,
    result VARCHAR NOT NULL,
    sample_id VARCHAR,
    month DATE NOT NULL,
    location_source VARCHAR NOT NULL,
    community_area_number INTEGER,
    is_synthetic BOOLEAN NOT NULL,
    source_file VARCHAR NOT NULL,
    source_row BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS staging.outreach (
    date DATE NOT NULL,
    team VARCHAR NOT NULL,
    hotspot_id VARCHAR,
    latitude DOUBLE,
    longitude DOUBLE,
    community_area VARCHAR,
    contacts INTEGER,
    people_trained_naloxone INTEGER,
    naloxone_kits_distributed INTEGER,
    naloxone_administrations INTEGER,
    overdoses_responded INTEGER,
    warm_handoffs_moud INTEGER,
    warm_handoffs_detox INTEGER,
    warm_handoffs_mental_health INTEGER,
    warm_handoffs_housing INTEGER,
    warm_handoffs_medical INTEGER,
    test_strips_distributed INTEGER,
    deactivation_kits_distributed INTEGER,
    month DATE NOT NULL,
    location_source VARCHAR NOT NULL,
    community_area_number INTEGER,
    is_synthetic BOOLEAN NOT NULL,
    source_file VARCHAR NOT NULL,
    source_row BIGINT NOT NULL
);

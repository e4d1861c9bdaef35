-- The warehouse contract: schemas and the tables every run appends to or merges into.
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS marts;

-- Medical Examiner records exactly as received (all text), one row per casenumber, latest wins.
CREATE TABLE IF NOT EXISTS raw.me_records (
    casenumber VARCHAR PRIMARY KEY,
    death_date VARCHAR, incident_date VARCHAR, age VARCHAR, gender VARCHAR, race VARCHAR,
    latino VARCHAR, manner VARCHAR, primarycause VARCHAR, primarycause_linea VARCHAR,
    primarycause_lineb VARCHAR, primarycause_linec VARCHAR, secondarycause VARCHAR,
    opioids VARCHAR, gunrelated VARCHAR, cold_related VARCHAR, heat_related VARCHAR,
    covid_related VARCHAR, incident_street VARCHAR, incident_city VARCHAR, incident_zip VARCHAR,
    residence_city VARCHAR, residence_zip VARCHAR, latitude VARCHAR, longitude VARCHAR,
    location VARCHAR, chi_ward VARCHAR, chi_commarea VARCHAR, commissioner_district VARCHAR,
    objectid VARCHAR,
    soda_id VARCHAR, soda_updated_at VARCHAR,
    source_file VARCHAR, source_row BIGINT, pull_id VARCHAR
);

-- Every input row that was not loaded, with the reason. Never holds personal data.
CREATE TABLE IF NOT EXISTS staging.quarantine (
    source VARCHAR NOT NULL,
    stage VARCHAR NOT NULL,
    file VARCHAR NOT NULL,
    row_number BIGINT,
    record_key VARCHAR,
    reason VARCHAR NOT NULL,
    quarantined_at TIMESTAMP NOT NULL
);

-- One row per ingested file or pull: rows in = rows loaded + rows quarantined.
CREATE TABLE IF NOT EXISTS staging.ingest_log (
    source VARCHAR NOT NULL,
    file VARCHAR NOT NULL,
    checksum VARCHAR,
    mode VARCHAR,
    rows_in BIGINT NOT NULL,
    rows_loaded BIGINT NOT NULL,
    rows_quarantined BIGINT NOT NULL,
    watermark VARCHAR,
    ingested_at TIMESTAMP NOT NULL,
    -- Why a field-data file was refused (columns and rows named, never a value); null otherwise.
    reason VARCHAR
);
-- Warehouses made before the column existed.
ALTER TABLE staging.ingest_log ADD COLUMN IF NOT EXISTS reason VARCHAR;

-- The geocoder's answers for the street addresses of Chicago deaths without coordinates or area
-- (written by staging/me_geocodes; empty while ODW_GEOCODER=off). One row per normalised address
-- (street, city, state, zip; zip '' when none). Addresses only: never a case number.
CREATE TABLE IF NOT EXISTS staging.me_geocodes (
    street VARCHAR NOT NULL,
    city VARCHAR NOT NULL,
    state VARCHAR NOT NULL,
    zip VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    match_type VARCHAR,
    matched_address VARCHAR,
    latitude DOUBLE,
    longitude DOUBLE,
    tigerline_id VARCHAR,
    side VARCHAR,
    benchmark VARCHAR NOT NULL,
    geocoder VARCHAR NOT NULL,
    geocoded_at TIMESTAMP NOT NULL,
    cases BIGINT NOT NULL,
    PRIMARY KEY (street, city, state, zip)
);

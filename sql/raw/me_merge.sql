-- Merge one Medical Examiner pull (JSON array files as received) into raw.me_records.
-- Parameters: $files (list of paths), $pull_id, $full_refresh (bool), $now (timestamp).
-- Runs inside one transaction opened by the caller: a failure leaves raw.me_records untouched.
--
-- The files are read twice rather than held in memory: first only the keys (casenumber,
-- :updated_at, file, row), to find the rows to quarantine, then every column, streamed straight
-- into raw.me_records. row_number() OVER () numbers the rows in file order (insertion order is
-- preserved), so both reads — through the one macro below — give every row the same source_row.
CREATE OR REPLACE TEMP MACRO me_pull_rows(files) AS TABLE
SELECT *, row_number() OVER () AS source_row
FROM read_json(
    files,
    format = 'array',
    filename = 'source_file',
    columns = {
        'casenumber': 'VARCHAR', 'death_date': 'VARCHAR', 'incident_date': 'VARCHAR',
        'age': 'VARCHAR', 'gender': 'VARCHAR', 'race': 'VARCHAR', 'latino': 'VARCHAR',
        'manner': 'VARCHAR', 'primarycause': 'VARCHAR', 'primarycause_linea': 'VARCHAR',
        'primarycause_lineb': 'VARCHAR', 'primarycause_linec': 'VARCHAR',
        'secondarycause': 'VARCHAR', 'opioids': 'VARCHAR', 'gunrelated': 'VARCHAR',
        'cold_related': 'VARCHAR', 'heat_related': 'VARCHAR', 'covid_related': 'VARCHAR',
        'incident_street': 'VARCHAR', 'incident_city': 'VARCHAR', 'incident_zip': 'VARCHAR',
        'residence_city': 'VARCHAR', 'residence_zip': 'VARCHAR', 'latitude': 'VARCHAR',
        'longitude': 'VARCHAR', 'location': 'VARCHAR', 'chi_ward': 'VARCHAR',
        'chi_commarea': 'VARCHAR', 'commissioner_district': 'VARCHAR', 'objectid': 'VARCHAR',
        ':id': 'VARCHAR', ':updated_at': 'VARCHAR'
    }
);

CREATE OR REPLACE TEMP TABLE me_keys AS
SELECT trim(casenumber) AS casenumber, ":updated_at" AS updated_at, source_file, source_row
FROM me_pull_rows($files);

-- Within one pull a casenumber may appear twice (a record re-issued between pages):
-- the latest :updated_at wins, then the later row. Only repeated casenumbers are ranked.
CREATE OR REPLACE TEMP TABLE me_superseded AS
WITH repeated AS (
    SELECT casenumber FROM me_keys WHERE casenumber <> '' GROUP BY casenumber HAVING count(*) > 1
)
SELECT source_file, source_row, casenumber
FROM me_keys
WHERE casenumber IN (SELECT casenumber FROM repeated)
QUALIFY row_number() OVER (
    PARTITION BY casenumber
    ORDER BY updated_at DESC NULLS LAST, source_file DESC, source_row DESC
) > 1;

DELETE FROM staging.quarantine
WHERE source = 'medical_examiner' AND file IN (SELECT DISTINCT source_file FROM me_keys);

INSERT INTO staging.quarantine
SELECT 'medical_examiner', 'raw', source_file, source_row, NULL, 'missing casenumber', $now
FROM me_keys
WHERE nullif(casenumber, '') IS NULL
UNION ALL
SELECT 'medical_examiner', 'raw', source_file, source_row, casenumber,
       'duplicate casenumber in the same pull; a later version was loaded', $now
FROM me_superseded;

DELETE FROM raw.me_records
WHERE $full_refresh OR casenumber IN (SELECT casenumber FROM me_keys WHERE casenumber <> '');

INSERT INTO raw.me_records
SELECT
    trim(incoming.casenumber), death_date, incident_date, age, gender, race, latino, manner,
    primarycause, primarycause_linea, primarycause_lineb, primarycause_linec, secondarycause,
    opioids, gunrelated, cold_related, heat_related, covid_related, incident_street,
    incident_city, incident_zip, residence_city, residence_zip, latitude, longitude, location,
    chi_ward, chi_commarea, commissioner_district, objectid,
    ":id", ":updated_at", incoming.source_file, incoming.source_row, $pull_id
FROM me_pull_rows($files) AS incoming
-- The superseded versions; matching the casenumber too means a row numbered differently by the
-- second read could never slip in unnoticed (the primary key would refuse the duplicate).
ANTI JOIN me_superseded AS superseded
    ON superseded.source_row = incoming.source_row
    AND superseded.casenumber = trim(incoming.casenumber)
WHERE nullif(trim(incoming.casenumber), '') IS NOT NULL;

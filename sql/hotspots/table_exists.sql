-- Whether a table exists (field-data tables are optional). Parameters: $schema_name, $table_name.
SELECT count(*) > 0 AS present
FROM information_schema.tables
WHERE table_schema = $schema_name AND table_name = $table_name;

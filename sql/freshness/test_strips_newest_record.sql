-- Newest test-strip result date, the number of rows, and whether every row is synthetic demo data.
SELECT max(tested_on) AS newest, count(*) AS row_count, coalesce(bool_and(is_synthetic), false) AS all_synthetic
FROM staging.test_strips;

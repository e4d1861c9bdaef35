-- Newest outreach shift date, the number of rows, and whether every row is synthetic demo data.
SELECT max(date) AS newest, count(*) AS row_count, coalesce(bool_and(is_synthetic), false) AS all_synthetic
FROM staging.outreach;

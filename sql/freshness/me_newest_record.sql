-- Newest Medical Examiner death date and the number of cases (record-age freshness check).
SELECT max(death_date)::DATE AS newest, count(*) AS row_count
FROM staging.me_cases;

-- First and last day of Medical Examiner data. Parameters: none.
SELECT min(death_date)::DATE AS first_day, max(death_date)::DATE AS last_day
FROM staging.me_cases;

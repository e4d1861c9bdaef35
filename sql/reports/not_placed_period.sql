-- Chicago overdose deaths not placed in a community area over the months $start_month..$end_month
-- (inclusive): the third part of Chicago's total beside the region and the rest of Chicago.
SELECT coalesce(sum(deaths), 0)::BIGINT AS deaths
FROM marts.overdose_deaths_monthly
WHERE drug = 'all' AND place = 'Chicago' AND community_area_number IS NULL
    AND month BETWEEN $start_month AND $end_month;

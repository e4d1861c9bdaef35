-- Overdose deaths in the region's Chicago community areas involving each drug group over the months
-- $start_month..$end_month; drug 'all' is every overdose death (the denominator of the shares).
SELECT drug, sum(deaths)::BIGINT AS deaths
FROM marts.overdose_deaths_monthly
WHERE in_region AND place = 'Chicago' AND month BETWEEN $start_month AND $end_month
GROUP BY drug
ORDER BY drug;

-- Weekly (Monday-start) overdose deaths in the region's Chicago community areas, weeks starting
-- $first_week..$last_week; weeks without deaths are absent from the mart and filled by the caller.
SELECT week, sum(deaths)::BIGINT AS deaths, bool_or(is_provisional) AS is_provisional
FROM marts.overdose_deaths_weekly
WHERE in_region AND place = 'Chicago' AND drug = 'all' AND week BETWEEN $first_week AND $last_week
GROUP BY week
ORDER BY week;

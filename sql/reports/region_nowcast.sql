-- The region's expected overdose deaths (all drugs) of the months the public views show them for.
SELECT month, reported, expected, lower_90, upper_90
FROM marts.nowcast
WHERE geography = 'region' AND drug = 'all' AND shown
ORDER BY month

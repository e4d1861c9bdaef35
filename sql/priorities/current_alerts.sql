-- Spike alerts per community area ending on or after $since (deaths and positive strips), the
-- latest first: what the place list and the team briefs show as "the week's alerts".
-- Parameters: $since.
SELECT community_area_number, area, series, granularity, period, period_end, alert_type, severity
FROM marts.alerts
WHERE area_level = 'community_area' AND period_end >= $since
ORDER BY period_end DESC, community_area_number, series;

-- Weekly spike alerts (public badges: observed counts already suppressed) whose week ends in
-- $start_day..$end_day, newest first, most severe first.
SELECT
    period, period_end, area_level, area, series, observed_display, methods, alert_type, severity,
    is_provisional
FROM marts.alert_badges
WHERE granularity = 'week' AND period_end BETWEEN $start_day AND $end_day
ORDER BY
    period DESC,
    CASE severity WHEN 'high' THEN 0 WHEN 'moderate' THEN 1 ELSE 2 END,
    CASE area_level WHEN 'city' THEN 0 WHEN 'region' THEN 1 ELSE 2 END,
    area, series;

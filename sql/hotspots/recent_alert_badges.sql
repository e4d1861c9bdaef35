-- Public alert badges about the latest data, for the new-alert sensor (read from the app database).
-- Parameters: none.
SELECT badge_id, granularity, period, period_end, area_level, community_area_number, area, series,
       observed_display, methods, alert_type, severity, episode_start, is_provisional
FROM marts.alert_badges
WHERE is_recent
ORDER BY period, area_level, area, series, granularity;

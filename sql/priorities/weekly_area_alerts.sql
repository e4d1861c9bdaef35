-- Weekly spike alerts on overdose deaths per community area (all periods: the backtest replays
-- them as they were known). Parameters: none.
SELECT DISTINCT community_area_number, period_end
FROM marts.alerts
WHERE granularity = 'week' AND series = 'overdose_deaths' AND area_level = 'community_area';

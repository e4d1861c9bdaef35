-- Community areas of the region classed as hot spots of overdose deaths in the latest window.
SELECT community_area, window_label
FROM marts.area_hotspots
WHERE is_latest_window AND in_region AND measure = 'deaths' AND gi_class = 'hot spot'
ORDER BY community_area;

-- Small counts that would leak into the published hot-spot tables: hex cells shown with a count
-- below the threshold, and alert badges showing an observed count from 1 to threshold - 1.
-- Parameter: $threshold (ODW_SUPPRESS_BELOW).
SELECT
    (SELECT count(*) FROM marts.hex_counts WHERE count IS NULL OR count < $threshold) AS small_hex_cells,
    (SELECT count(*) FROM marts.alert_badges WHERE observed BETWEEN 1 AND $threshold - 1) AS small_badges;

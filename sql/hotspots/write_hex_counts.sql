-- Public hex layer from the registered frame hex_counts_frame (already suppressed in Python).
CREATE OR REPLACE TABLE marts.hex_counts AS
SELECT * FROM hex_counts_frame
ORDER BY metric, period_type, period, h3_cell;

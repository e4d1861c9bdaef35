-- Spike alerts (internal) and their public badges from registered frames, replaced together.
BEGIN TRANSACTION;
CREATE OR REPLACE TABLE marts.alerts AS SELECT * FROM alerts_frame;
CREATE OR REPLACE TABLE marts.alert_badges AS SELECT * FROM alert_badges_frame;
COMMIT;

-- Next week's priorities from the registered frames (built in Python: pipelines/defs/priorities/).
CREATE OR REPLACE TABLE marts.priority_backtest AS
SELECT * FROM priority_backtest_frame ORDER BY sample, flagged_share, model;
CREATE OR REPLACE TABLE marts.outreach_priorities AS
SELECT * FROM outreach_priorities_frame ORDER BY forecast_rank;
CREATE OR REPLACE TABLE marts.hotspot_coverage AS
SELECT * FROM hotspot_coverage_frame ORDER BY hotspot_id;
CREATE OR REPLACE TABLE marts.priority_teams AS
SELECT * FROM priority_teams_frame ORDER BY team;
CREATE OR REPLACE TABLE marts.area_priorities AS
SELECT * FROM area_priorities_frame ORDER BY area_rank;

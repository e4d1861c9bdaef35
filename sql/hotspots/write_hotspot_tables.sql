-- The hot-spot tables from registered frames, replaced together so readers never mix two runs.
BEGIN TRANSACTION;
CREATE OR REPLACE TABLE marts.hotspot_statistics AS SELECT * FROM hotspot_statistics_frame;
CREATE OR REPLACE TABLE marts.area_hotspots AS SELECT * FROM area_hotspots_frame;
CREATE OR REPLACE TABLE marts.hex_hotspots AS SELECT * FROM hex_hotspots_frame;
CREATE OR REPLACE TABLE marts.emerging_hotspots AS SELECT * FROM emerging_hotspots_frame;
COMMIT;

-- The coalition's active hot spots with their outreach, for the team briefs' maps. Parameters: none.
SELECT * FROM marts.hotspot_coverage ORDER BY hotspot_id;

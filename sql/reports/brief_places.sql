-- Next week's ranked West Side places for the team briefs (member content). Parameters: none.
SELECT * FROM marts.outreach_priorities WHERE in_region ORDER BY forecast_rank;

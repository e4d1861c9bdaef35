-- Each team's areas and last 4 weeks of work, for the team briefs. Parameters: none.
SELECT * FROM marts.priority_teams ORDER BY team;

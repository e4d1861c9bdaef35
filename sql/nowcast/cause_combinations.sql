-- The distinct combinations of what the case definition reads (staging.py's CAUSE_KEY), once each.
SELECT DISTINCT cause_key, primarycause, primarycause_linea, primarycause_lineb, primarycause_linec,
       secondarycause, manner, opioids
FROM nowcast_pull_rows

-- Outreach visits for the coverage gap: one row per team shift and place, with its point (its own or
-- its hot spot's) and what the team did. No free text, no person.
-- Parameters: $since (first day counted).
SELECT
    date AS day,
    team,
    hotspot_id,
    latitude,
    longitude,
    community_area_number,
    coalesce(contacts, 0) AS contacts,
    coalesce(naloxone_kits_distributed, 0) AS naloxone_kits,
    coalesce(naloxone_administrations, 0) AS reversals
FROM staging.outreach
WHERE date >= $since;

-- Monthly outreach activity over all areas, with the cumulative naloxone-training count and goal.
SELECT
    o.month,
    o.contacts,
    o.naloxone_kits_distributed,
    o.people_trained_naloxone,
    o.naloxone_administrations,
    o.warm_handoffs_total,
    o.test_strips_distributed,
    c.people_trained_cumulative,
    c.people_trained_goal
FROM marts.outreach_monthly AS o
LEFT JOIN marts.naloxone_cumulative AS c USING (month)
WHERE o.area_level = 'all'
ORDER BY o.month;

-- The warm hand-off funnel in long form, one row per month x area x stage: contacts, any warm
-- hand-off, then each kind. Built from marts.outreach_monthly (same area levels and roll-ups).
CREATE OR REPLACE TABLE marts.warm_handoff_funnel AS
SELECT
    o.month,
    o.area_level,
    o.community_area_number,
    o.community_area,
    o.in_region,
    s.stage_order,
    s.stage,
    s.stage_count::INTEGER AS stage_count,
    CASE WHEN o.contacts > 0 THEN s.stage_count / o.contacts END AS share_of_contacts
FROM marts.outreach_monthly AS o
CROSS JOIN LATERAL (
    VALUES
        (1, 'Contacts', o.contacts),
        (2, 'Any warm hand-off', o.warm_handoffs_total),
        (3, 'MOUD', o.warm_handoffs_moud),
        (4, 'Detox', o.warm_handoffs_detox),
        (5, 'Mental health', o.warm_handoffs_mental_health),
        (6, 'Housing', o.warm_handoffs_housing),
        (7, 'Medical', o.warm_handoffs_medical)
) AS s(stage_order, stage, stage_count)
ORDER BY o.month, o.area_level, o.community_area_number NULLS FIRST, s.stage_order;

-- Street-outreach totals by month x community area, plus an all-areas row per month
-- (area_level = 'all'). Blank counts in the logs count as 0 here. Parameter: $region_areas.
CREATE OR REPLACE TABLE marts.outreach_monthly AS
SELECT
    o.month,
    CASE
        WHEN grouping(o.community_area_number) = 1 THEN 'all'
        WHEN o.community_area_number IS NULL THEN 'outside_chicago'
        ELSE 'community_area'
    END AS area_level,
    o.community_area_number,
    CASE
        WHEN grouping(o.community_area_number) = 1 THEN 'All areas'
        WHEN o.community_area_number IS NULL THEN 'Outside Chicago'
        ELSE any_value(a.community_area)
    END AS community_area,
    CASE WHEN grouping(o.community_area_number) = 0
        THEN coalesce(list_contains($region_areas, o.community_area_number), false)
    END AS in_region,
    count(*)::INTEGER AS shift_locations,
    count(DISTINCT o.team)::INTEGER AS teams,
    coalesce(sum(o.contacts), 0)::INTEGER AS contacts,
    coalesce(sum(o.people_trained_naloxone), 0)::INTEGER AS people_trained_naloxone,
    coalesce(sum(o.naloxone_kits_distributed), 0)::INTEGER AS naloxone_kits_distributed,
    coalesce(sum(o.naloxone_administrations), 0)::INTEGER AS naloxone_administrations,
    coalesce(sum(o.overdoses_responded), 0)::INTEGER AS overdoses_responded,
    coalesce(sum(o.warm_handoffs_moud), 0)::INTEGER AS warm_handoffs_moud,
    coalesce(sum(o.warm_handoffs_detox), 0)::INTEGER AS warm_handoffs_detox,
    coalesce(sum(o.warm_handoffs_mental_health), 0)::INTEGER AS warm_handoffs_mental_health,
    coalesce(sum(o.warm_handoffs_housing), 0)::INTEGER AS warm_handoffs_housing,
    coalesce(sum(o.warm_handoffs_medical), 0)::INTEGER AS warm_handoffs_medical,
    sum(
        coalesce(o.warm_handoffs_moud, 0) + coalesce(o.warm_handoffs_detox, 0)
        + coalesce(o.warm_handoffs_mental_health, 0) + coalesce(o.warm_handoffs_housing, 0)
        + coalesce(o.warm_handoffs_medical, 0)
    )::INTEGER AS warm_handoffs_total,
    coalesce(sum(o.test_strips_distributed), 0)::INTEGER AS test_strips_distributed,
    coalesce(sum(o.deactivation_kits_distributed), 0)::INTEGER AS deactivation_kits_distributed
FROM staging.outreach AS o
LEFT JOIN staging.community_areas AS a USING (community_area_number)
GROUP BY GROUPING SETS ((o.month, o.community_area_number), (o.month))
ORDER BY o.month, area_level, o.community_area_number NULLS FIRST;

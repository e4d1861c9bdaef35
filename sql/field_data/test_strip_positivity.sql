-- Test-strip results by month x community area x strip type x substance as sold, with roll-ups over
-- substances (substance_as_sold = 'all') and over areas (area_level = 'all'). Invalid strips are
-- counted but left out of the denominator (tests_read). Positivity and its Wilson interval are
-- added in Python (pipelines/defs/field_data/metrics.py). Parameter: $region_areas.
SELECT
    t.month,
    CASE
        WHEN grouping(t.community_area_number) = 1 THEN 'all'
        WHEN t.community_area_number IS NULL THEN 'outside_chicago'
        ELSE 'community_area'
    END AS area_level,
    t.community_area_number,
    CASE
        WHEN grouping(t.community_area_number) = 1 THEN 'All areas'
        WHEN t.community_area_number IS NULL THEN 'Outside Chicago'
        ELSE any_value(a.community_area)
    END AS community_area,
    CASE WHEN grouping(t.community_area_number) = 0
        THEN coalesce(list_contains($region_areas, t.community_area_number), false)
    END AS in_region,
    t.strip_type,
    CASE WHEN grouping(t.substance_as_sold) = 1 THEN 'all' ELSE t.substance_as_sold END AS substance_as_sold,
    count(*) AS strips_used,
    count(*) FILTER (WHERE t.result <> 'invalid') AS tests_read,
    count(*) FILTER (WHERE t.result = 'positive') AS positives,
    count(*) FILTER (WHERE t.result = 'negative') AS negatives,
    count(*) FILTER (WHERE t.result = 'invalid') AS invalid
FROM staging.test_strips AS t
LEFT JOIN staging.community_areas AS a USING (community_area_number)
GROUP BY GROUPING SETS (
    (t.month, t.community_area_number, t.strip_type, t.substance_as_sold),
    (t.month, t.community_area_number, t.strip_type),
    (t.month, t.strip_type, t.substance_as_sold),
    (t.month, t.strip_type)
)
ORDER BY t.month, area_level, t.community_area_number NULLS FIRST, t.strip_type, substance_as_sold;

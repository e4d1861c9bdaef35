-- Fentanyl + xylazine co-detection per drug sample, by month x community area (and all areas).
-- A sample is the rows sharing (tested_on, team, sample_id); only samples with a readable
-- (positive or negative) fentanyl strip AND a readable xylazine strip count. Shares and their
-- Wilson intervals are added in Python. Parameter: $region_areas.
WITH samples AS (
    SELECT
        tested_on,
        team,
        sample_id,
        min(month) AS month,
        min(community_area_number) AS community_area_number,
        bool_or(strip_type = 'fentanyl' AND result <> 'invalid') AS fentanyl_read,
        bool_or(strip_type = 'xylazine' AND result <> 'invalid') AS xylazine_read,
        bool_or(strip_type = 'fentanyl' AND result = 'positive') AS fentanyl_positive,
        bool_or(strip_type = 'xylazine' AND result = 'positive') AS xylazine_positive
    FROM staging.test_strips
    WHERE sample_id IS NOT NULL
    GROUP BY tested_on, team, sample_id
)
SELECT
    s.month,
    CASE
        WHEN grouping(s.community_area_number) = 1 THEN 'all'
        WHEN s.community_area_number IS NULL THEN 'outside_chicago'
        ELSE 'community_area'
    END AS area_level,
    s.community_area_number,
    CASE
        WHEN grouping(s.community_area_number) = 1 THEN 'All areas'
        WHEN s.community_area_number IS NULL THEN 'Outside Chicago'
        ELSE any_value(a.community_area)
    END AS community_area,
    CASE WHEN grouping(s.community_area_number) = 0
        THEN coalesce(list_contains($region_areas, s.community_area_number), false)
    END AS in_region,
    count(*) AS samples_tested_both,
    count(*) FILTER (WHERE s.fentanyl_positive) AS fentanyl_positive,
    count(*) FILTER (WHERE s.xylazine_positive) AS xylazine_positive,
    count(*) FILTER (WHERE s.fentanyl_positive AND s.xylazine_positive) AS both_positive
FROM samples AS s
LEFT JOIN staging.community_areas AS a USING (community_area_number)
WHERE s.fentanyl_read AND s.xylazine_read
GROUP BY GROUPING SETS ((s.month, s.community_area_number), (s.month))
ORDER BY s.month, area_level, s.community_area_number NULLS FIRST;

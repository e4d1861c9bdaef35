-- Population by age band of every geography of overdose_counts_annual.sql that has a population:
-- each community area, the region and the rest of Chicago (sums of their areas), and Chicago
-- (all 77 areas). The bands of a geography add up to its crude-rate population (2020 Census).
-- Parameters: $region_areas, $region_label.
WITH areas AS (
    SELECT
        a.community_area,
        list_contains($region_areas, p.community_area_number) AS in_region,
        p.age_band,
        p.population
    FROM marts.population_by_age_band AS p
    JOIN staging.community_areas AS a USING (community_area_number)
)
SELECT 'community_area' AS geography_type, community_area AS geography, age_band, population
FROM areas
UNION ALL
SELECT 'region', CASE WHEN in_region THEN $region_label ELSE 'Rest of Chicago' END, age_band, sum(population)
FROM areas
GROUP BY ALL
UNION ALL
SELECT 'city', 'Chicago', age_band, sum(population)
FROM areas
GROUP BY ALL
ORDER BY ALL;

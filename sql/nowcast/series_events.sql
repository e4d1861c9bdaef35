-- Count changes per series (geography × drug) and death month from staging.me_vintages: +1 when
-- a case starts being counted in the series, −1 when it stops. `pending` counts the cases whose
-- manner is still PENDING (any drug). Geographies: `region` (the region's areas and suburbs, as
-- marts.overdose_deaths_monthly's in_region) and `chicago` (every death in Chicago).
-- Parameters: $region_areas, $region_municipalities.
WITH placed AS (
    SELECT
        *,
        coalesce(list_contains($region_areas, community_area_number), false)
            OR coalesce(list_contains($region_municipalities, municipality), false) AS in_region
    FROM staging.me_vintages
),
geo AS (
    SELECT 'region' AS geography, * FROM placed WHERE in_region
    UNION ALL
    SELECT 'chicago' AS geography, * FROM placed WHERE in_chicago
),
flags AS (
    SELECT
        geography, death_month, valid_from, valid_to,
        is_overdose AS "all",
        is_overdose AND any_opioid AS any_opioid,
        is_overdose AND fentanyl AS fentanyl,
        is_overdose AND heroin AS heroin,
        is_overdose AND rx_opioid AS rx_opioid,
        is_overdose AND nitazene AS nitazene,
        is_overdose AND xylazine AS xylazine,
        is_overdose AND cocaine AS cocaine,
        is_overdose AND methamphetamine AS methamphetamine,
        is_overdose AND opioid_stimulant AS opioid_stimulant,
        is_overdose AND benzodiazepine AS benzodiazepine,
        is_overdose AND ethanol AS ethanol,
        is_pending AS pending
    FROM geo
),
long AS (
    UNPIVOT flags
    ON "all", any_opioid, fentanyl, heroin, rx_opioid, nitazene, xylazine, cocaine, methamphetamine,
       opioid_stimulant, benzodiazepine, ethanol, pending
    INTO NAME drug VALUE counted
)
SELECT geography, drug, death_month, valid_from AS at, count(*)::DOUBLE AS delta
FROM long WHERE counted GROUP BY ALL
UNION ALL
SELECT geography, drug, death_month, valid_to AS at, -count(*)::DOUBLE AS delta
FROM long WHERE counted AND valid_to IS NOT NULL GROUP BY ALL
ORDER BY ALL

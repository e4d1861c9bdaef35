-- One row per overdose death × drug class, `involved` saying whether the death involves it: the
-- long form every count "by drug" starts from, so the list of drug classes and the place of a
-- death are written once. `drug` = 'all' is involved in every overdose death; a death involving
-- two drugs counts in both (`WHERE involved`). `place`: 'Chicago' for every death that occurred in Chicago, placed in an
-- area or not (`in_chicago`, a null community_area_number is a Chicago death not placed in an
-- area), else 'Suburban Cook County' when its municipality is known, else 'Unknown'.
-- A view over staging.me_cases, created with it (pipelines/defs/medical_examiner/staging.py).
CREATE OR REPLACE VIEW staging.overdose_drugs AS
WITH overdoses AS (
    SELECT
        casenumber, death_date, community_area_number, municipality, in_chicago,
        CASE
            WHEN in_chicago THEN 'Chicago'
            WHEN municipality IS NOT NULL THEN 'Suburban Cook County'
            ELSE 'Unknown'
        END AS place,
        intent, age_group, age_band, sex, race_ethnicity,
        true AS "all",
        fentanyl, heroin, rx_opioid, nitazene, any_opioid, xylazine, cocaine, methamphetamine,
        benzodiazepine, ethanol, opioid_stimulant
    FROM staging.me_cases
    WHERE is_overdose
)
UNPIVOT overdoses
ON "all", fentanyl, heroin, rx_opioid, nitazene, any_opioid, xylazine, cocaine,
   methamphetamine, benzodiazepine, ethanol, opioid_stimulant
INTO NAME drug VALUE involved;

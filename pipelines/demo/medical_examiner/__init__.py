"""Deterministic synthetic Cook County Medical Examiner case archive in the public SODA API shape.

The real archive is the Cook County Medical Examiner "Case Archive" (Socrata dataset ``cjeq-bs86``).
This package produces SYNTHETIC records — no real person is described — in exactly the shape the
SODA 2.1 JSON endpoint returns, so the whole pipeline can run offline and in tests.

The shape is described in :mod:`.soda_shape`, the command line in :mod:`.command_line`.

Model parameters (all synthetic, chosen to be plausible against the published archive)
-------------------------------------------------------------------------------------
Volume and case mix.  Cases are spread over the months ``start .. end_month`` by a multinomial
draw over (month, category) intensities.  Relative monthly intensities:

* drug overdose 1.1 x year factor (2016 1.00, 2017 1.12, 2018 1.15, 2019 1.20, 2020 1.60,
  2021 1.75, 2022 1.72, 2023 1.65, 2024 1.52, 2025 1.45, 2026+ 1.42) — about half of all cases;
* homicide 0.55 x (2016 1.00 ... 2019 0.71, 2020 1.00, 2021 1.04, 2022 0.90 ... 2025 0.55),
  summer peak +-30 %; ~85 % gunshot (``gunrelated`` true);
* suicide 0.22, natural 0.42 (+15 % in winter), other accidents 0.28 (falls, traffic, fire,
  drowning, adverse therapeutic effects), undetermined 0.05;
* cold-related (hypothermia) December-March, heat-related June-September (July peak);
* COVID-19 deaths following the 2020-2021 waves (April 2020 peak), a thin tail from 2022.

Geography.  Share of cases occurring in Chicago: overdose 62 %, homicide 80 %, cold 65 %,
heat 60 %, COVID 55 %, undetermined 58 %, others 50 % — about 60 % overall.  Chicago cases are
placed in a community area drawn with weight population x rate multiplier; the overdose
multipliers put the heaviest burden on the West Side (West Garfield Park 12, East Garfield Park 10,
North Lawndale 9, Austin 6, Humboldt Park 5, Near West Side 2.5) and a secondary burden on South
Side areas (Englewood, West Englewood, Fuller Park, Washington Park, Roseland, Riverdale 3-4);
the base multiplier elsewhere is 0.6.  Coordinates are uniform INSIDE the drawn community-area
polygon (libpysal ``Chicago77``, EPSG:3435 re-projected to EPSG:4326, rejection sampling at
1e-6 degree resolution).  Suburban cases are drawn from 28 Cook County municipalities (west
suburbs Cicero, Oak Park, Berwyn, Maywood, Forest Park, Broadview, Bellwood ... north, northwest
and south suburbs) weighted by population x local multiplier, with coordinates jittered around
the town centroid and kept outside the city limits.

Drugs.  89 % of overdoses involve an opioid.  The opioid type is drawn by year (fentanyl only /
heroin only / both / prescription only / unspecified "opioid"); fentanyl is present in ~32 % of
opioid overdoses in 2016, ~76 % in 2019 and ~88-91 % from 2021; heroin falls from ~64 % to ~7 %.
Given fentanyl: despropionyl fentanyl (4-ANPP) 15 -> 55 %, acetyl fentanyl 35 % (2016) -> 2 %,
carfentanil 2017-2018, fluorofentanyl from 2020, xylazine from 2021 (4 % -> 30 % by 2025),
nitazenes (metonitazene, protonitazene, isotonitazene) from 2023 (2 -> 4 %).  Co-involvement:
cocaine 45 %, methamphetamine 2 -> 11 %, ethanol 16 %, alprazolam 8 -> 3 %, bromazolam from 2021,
etizolam 2019-2022, diphenhydramine 4 %, gabapentin 3 %, prescription opioids 4 %.  Non-opioid
overdoses are mostly cocaine, then methamphetamine, ethanol and benzodiazepine combinations.
Cause texts follow the archive's phrasings ("COMBINED ... TOXICITY", "COMBINED DRUG (...) AND
ETHANOL TOXICITY", "ACUTE HEROIN TOXICITY", "COMPLICATIONS OF PROBABLE HEROIN TOXICITY",
"FENTANYL INTOXICATION", "MULTIPLE DRUG TOXICITY", drugs listed alone ...); ~2 % carry a
misspelling (FENTNAYL, HERION, TOXCIITY, TOXOCITY); ~8 % put the drug text only or also in
``primarycause_linea``/``lineb`` (e.g. "ANOXIC ENCEPHALOPATHY" then the drugs).  From 2019 most
records also repeat a single-line cause in ``primarycause_linea``.

Quirks reproduced.  ``opioids`` is true on ~96 % of opioid overdoses (false or absent on the
rest) and also on some non-overdose deaths (e.g. natural deaths with secondary cause
"RECENT HEROIN USE"); ~8 % of cases have no coordinates (nor location, area or ward) — of
the Chicago ones about two thirds (~5 % of Chicago cases) keep a street address on the city's
grid (``3001 W JACKSON BLVD``; now and then with a unit, ``#217``, ``- 2ND FLR.``, or a hotel or
shop name, ``SUNRISE MOTEL, 3001 W. JACKSON BLVD``), ``CHICAGO`` and a ZIP of their area, the
rest mostly no street or ``UNKNOWN`` (:func:`~.addresses.grid_point` says where a grid address lies);
``chi_commarea`` is absent on ~10 % of geocoded Chicago cases; ``chi_ward`` reads "20.0";
~0.5 % of incident dates lie years before the death (delayed deaths from old injuries);
``incident_city`` is "UNKNOWN" on some ungeocoded cases; ``residence_city`` comes in mixed case
("Chicago", "CHICAGO", "chicago"); ~2 % of manners are in title case ("Accident"); the last three
months carry many "PENDING" manners with cause "PENDING" or no cause (toxicology outstanding);
``covid_related`` is absent before March 2020; a few cases lack age, gender or race.

Determinism.  Only ``numpy.random.default_rng(seed)`` is used, tables are read in a fixed order
(no set iteration) and output is built column-wise, so the same arguments give byte-identical
output (the only clock dependence is the ``end_month`` default: the month before the current
month).

Modules.  :mod:`.generator` draws the parts of each case in a fixed order: when and what, the
reporting delay and the incident (:mod:`.timing`), where and where the decedent lived
(:mod:`.places`), the street address (:mod:`.addresses`), who (:mod:`.people`), how
(:mod:`.causes`, :mod:`.overdose_causes`); :mod:`.soda_shape` shapes the records and
:mod:`.writing` writes them.
"""

from pipelines.demo.medical_examiner.addresses import grid_point
from pipelines.demo.medical_examiner.command_line import main
from pipelines.demo.medical_examiner.generator import DEFAULT_N, DEFAULT_SEED, DEFAULT_START, generate_me_frame
from pipelines.demo.medical_examiner.places import chicago77_path, community_area_names
from pipelines.demo.medical_examiner.soda_shape import BOOL_FIELDS, FIELDS
from pipelines.demo.medical_examiner.writing import frame_to_records, generate_me_records, write_me_demo
from pipelines.demo.months import default_end_month

__all__ = [
    "BOOL_FIELDS",
    "DEFAULT_N",
    "DEFAULT_SEED",
    "DEFAULT_START",
    "FIELDS",
    "chicago77_path",
    "community_area_names",
    "default_end_month",
    "frame_to_records",
    "generate_me_frame",
    "generate_me_records",
    "grid_point",
    "main",
    "write_me_demo",
]

"""Deterministic synthetic Cook County Medical Examiner case archive in the public SODA API shape.

The real archive is the Cook County Medical Examiner "Case Archive" (Socrata dataset ``cjeq-bs86``).
This module produces SYNTHETIC records — no real person is described — in exactly the shape the
SODA 2.1 JSON endpoint returns, so the whole pipeline can run offline and in tests.

Shape (as SODA 2.1 JSON returns it)
-----------------------------------
* lower-case keys from :data:`FIELDS`; a field whose value is null is ABSENT from its object;
* numbers arrive as strings: ``"age": "45"``, ``"latitude": "41.881234"``, ``"chi_ward": "20.0"``,
  ``"commissioner_district": "3"``, ``"objectid": "12345"``;
* ``latino, opioids, gunrelated, cold_related, heat_related, covid_related`` are JSON booleans;
* timestamps are floating local time: ``"2022-03-26T13:00:00.000"``;
* ``location`` is a point ``{"type": "Point", "coordinates": [lon, lat]}``, present iff lat/lon are;
* ``chi_commarea`` is the upper-case community-area name (``"HUMBOLDT PARK"``, ``"OHARE"``).

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
rest mostly no street or ``UNKNOWN`` (:func:`grid_point` says where a grid address lies);
``chi_commarea`` is absent on ~10 % of geocoded Chicago cases; ``chi_ward`` reads "20.0";
~0.5 % of incident dates lie years before the death (delayed deaths from old injuries);
``incident_city`` is "UNKNOWN" on some ungeocoded cases; ``residence_city`` comes in mixed case
("Chicago", "CHICAGO", "chicago"); ~2 % of manners are in title case ("Accident"); the last three
months carry many "PENDING" manners with cause "PENDING" or no cause (toxicology outstanding);
``covid_related`` is absent before March 2020; a few cases lack age, gender or race.

Determinism.  Only ``numpy.random.default_rng(seed)`` is used, tables are read in a fixed order
(no set iteration) and output is built column-wise, so the same arguments give byte-identical
output (the only clock dependence is the ``end_month``
default: the month before the current month).

Command line (``--out`` defaults to the pipeline's demo input path, ``--end-month`` to the
``ODW_DEMO_END_MONTH`` setting)::

    python -m pipelines.demo.medical_examiner [--out data_raw/demo/medical_examiner/cjeq-bs86.json]
        [--n 25000] [--scale 1] [--seed 20160101] [--start 2016-01-01] [--end-month 2026-10]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np
import polars as pl

#: Every key a record may carry, in the order the writer emits them.
FIELDS: tuple[str, ...] = (
    "casenumber",
    "death_date",
    "incident_date",
    "age",
    "gender",
    "race",
    "latino",
    "manner",
    "primarycause",
    "primarycause_linea",
    "primarycause_lineb",
    "primarycause_linec",
    "secondarycause",
    "opioids",
    "gunrelated",
    "cold_related",
    "heat_related",
    "covid_related",
    "incident_street",
    "incident_city",
    "incident_zip",
    "residence_city",
    "residence_zip",
    "latitude",
    "longitude",
    "location",
    "chi_ward",
    "chi_commarea",
    "commissioner_district",
    "objectid",
)

#: Fields delivered as JSON booleans.
BOOL_FIELDS: tuple[str, ...] = (
    "latino",
    "opioids",
    "gunrelated",
    "cold_related",
    "heat_related",
    "covid_related",
)

DEFAULT_N = 25_000
DEFAULT_SEED = 20160101
DEFAULT_START = date(2016, 1, 1)

# --------------------------------------------------------------------------------------------
# Categories and their time profiles
# --------------------------------------------------------------------------------------------

OD, HOM, SUI, NAT, ACC, COLD, HEAT, COVID, UND = range(9)
_N_CAT = 9

_OD_TREND = {2016: 1.00, 2017: 1.12, 2018: 1.15, 2019: 1.20, 2020: 1.60, 2021: 1.75, 2022: 1.72,
             2023: 1.65, 2024: 1.52, 2025: 1.45, 2026: 1.42}
_HOM_TREND = {2016: 1.00, 2017: 0.88, 2018: 0.77, 2019: 0.71, 2020: 1.00, 2021: 1.04, 2022: 0.90,
              2023: 0.78, 2024: 0.70, 2025: 0.55, 2026: 0.52}
_COLD_BY_MONTH = (0.12, 0.10, 0.03, 0.005, 0.0, 0.0, 0.0, 0.0, 0.0, 0.005, 0.03, 0.08)
_HEAT_BY_MONTH = (0.0, 0.0, 0.0, 0.0, 0.003, 0.02, 0.07, 0.04, 0.01, 0.0, 0.0, 0.0)
_COVID_BY_MONTH = {
    2020: (0.0, 0.0, 0.5, 3.0, 2.2, 0.7, 0.3, 0.3, 0.3, 0.5, 1.8, 1.6),
    2021: (1.1, 0.4, 0.3, 0.6, 0.4, 0.1, 0.1, 0.3, 0.35, 0.25, 0.3, 0.7),
    2022: (0.8, 0.2, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05),
}
_COVID_TAIL = 0.02

#: Share of each category's cases that happen inside Chicago.
_P_CHICAGO = np.array([0.62, 0.80, 0.50, 0.50, 0.50, 0.65, 0.60, 0.55, 0.58])

#: Hour-of-death weights (0..23): overdoses afternoon/evening, homicides at night, others daytime.
_HOURS_OD = (3, 2.5, 2, 1.6, 1.3, 1.2, 1.4, 1.8, 2.3, 2.8, 3.2, 3.5, 3.8, 4, 4.1, 4.2, 4.3, 4.4,
             4.4, 4.3, 4.1, 3.9, 3.7, 3.4)
_HOURS_HOM = (6, 6.5, 6, 5, 4, 3, 2, 1.5, 1.5, 1.5, 1.7, 2, 2.3, 2.6, 2.9, 3.2, 3.6, 4, 4.5, 5, 5.5,
              6, 6.2, 6.2)
_HOURS_DAY = (2, 2, 1.8, 1.6, 1.5, 1.6, 2.2, 3, 3.6, 4, 4.2, 4.2, 4.1, 4, 3.9, 3.8, 3.7, 3.6, 3.4,
              3.2, 3, 2.8, 2.5, 2.2)

#: Probability that the manner is PENDING, by months before ``end_month`` (0, 1, 2) and category.
_PENDING_OD = (0.90, 0.65, 0.35)
_PENDING_HOM = (0.10, 0.05, 0.02)
_PENDING_OTHER = (0.45, 0.20, 0.08)

# --------------------------------------------------------------------------------------------
# Places: the 77 community areas and Cook County suburbs
# --------------------------------------------------------------------------------------------

#: 2020 census population of community areas 1..77.
_CA_POP = (
    55628, 77122, 57182, 40494, 35114, 103050, 70492, 105481, 11525, 38303, 26216, 19596, 17559,
    48396, 63020, 51940, 43147, 14401, 78116, 24062, 36257, 71665, 54165, 87781, 96557, 17433,
    19992, 67881, 34794, 71399, 33751, 42298, 28795, 13890, 20291, 6799, 2567, 24589, 19116,
    12707, 29456, 24425, 53971, 31710, 9458, 27300, 2527, 13088, 38816, 6820, 14105, 21724,
    26104, 7262, 10027, 35439, 14196, 45053, 15923, 33702, 43628, 18394, 39540, 24473, 33662,
    55931, 29647, 24369, 31471, 41098, 44878, 20027, 25065, 18628, 21186, 13418, 56296,
)

#: Overdose rate multipliers (default 0.6): West Side highest, secondary South Side burden.
_CA_OD_MULT = {
    25: 6.0, 26: 12.0, 27: 10.0, 23: 5.0, 29: 9.0, 28: 2.5, 24: 1.3, 30: 1.2, 31: 1.6,
    68: 4.0, 67: 3.5, 40: 3.5, 37: 4.0, 69: 3.0, 71: 2.5, 49: 3.0, 53: 2.5, 43: 2.5, 44: 2.0,
    54: 3.0, 46: 2.0, 42: 2.0, 61: 1.8, 38: 2.0, 36: 1.5, 50: 1.8, 47: 1.5, 73: 1.5, 3: 1.8,
    1: 1.3, 8: 1.0, 32: 1.0, 22: 1.0, 19: 0.9, 20: 0.9, 58: 0.8, 66: 1.2, 63: 0.8, 65: 0.7,
    33: 0.9, 35: 1.2, 77: 1.1, 14: 0.8,
}
_CA_OD_DEFAULT = 0.6

#: Homicide rate multipliers (default 0.4).
_CA_HOM_MULT = {
    25: 4.0, 26: 8.0, 27: 7.0, 23: 4.0, 29: 7.0, 28: 1.5, 24: 0.8, 30: 1.5, 31: 1.2, 68: 8.0,
    67: 7.0, 40: 6.0, 37: 7.0, 69: 5.0, 71: 5.0, 49: 5.0, 53: 5.0, 43: 4.0, 44: 4.0, 54: 6.0,
    46: 4.0, 42: 4.0, 61: 3.5, 38: 3.0, 36: 2.5, 50: 3.5, 47: 3.0, 73: 3.0, 66: 3.0, 63: 2.0,
    58: 1.5, 65: 1.5, 20: 1.5, 19: 1.2, 22: 0.8, 8: 0.5, 3: 0.7, 1: 0.8, 35: 1.5, 48: 2.5,
    45: 2.5, 51: 2.0, 75: 2.0, 52: 1.0, 70: 1.0, 56: 0.5,
}
_CA_HOM_DEFAULT = 0.4

#: Residence/incident ZIP codes per community area.
_CA_ZIPS = {
    1: ("60626", "60645"), 2: ("60645", "60659"), 3: ("60640", "60613"), 4: ("60625", "60640"),
    5: ("60618", "60613"), 6: ("60657", "60613"), 7: ("60614",), 8: ("60610", "60611", "60654"),
    9: ("60631",), 10: ("60631", "60656"), 11: ("60630",), 12: ("60646", "60630"),
    13: ("60625", "60659"), 14: ("60625",), 15: ("60641", "60634"), 16: ("60618", "60641"),
    17: ("60634",), 18: ("60634", "60707"), 19: ("60639", "60641"), 20: ("60639", "60647"),
    21: ("60618",), 22: ("60647",), 23: ("60651", "60647", "60622"),
    24: ("60622", "60642", "60612"), 25: ("60644", "60651", "60639"), 26: ("60624",),
    27: ("60612", "60624"), 28: ("60607", "60612", "60608"), 29: ("60623", "60624"),
    30: ("60623",), 31: ("60608",), 32: ("60601", "60602", "60603", "60604", "60605", "60606"),
    33: ("60605", "60616"), 34: ("60616",), 35: ("60616",), 36: ("60653",), 37: ("60609",),
    38: ("60653", "60615"), 39: ("60615", "60653"), 40: ("60637", "60621"),
    41: ("60615", "60637"), 42: ("60637",), 43: ("60649",), 44: ("60619",),
    45: ("60619", "60617"), 46: ("60617",), 47: ("60619",), 48: ("60617",), 49: ("60628",),
    50: ("60628",), 51: ("60617", "60633"), 52: ("60617",), 53: ("60628", "60643"),
    54: ("60627",), 55: ("60633",), 56: ("60638",), 57: ("60632",), 58: ("60632",),
    59: ("60609",), 60: ("60608", "60609"), 61: ("60609",), 62: ("60629",),
    63: ("60629", "60632"), 64: ("60638",), 65: ("60652", "60629"), 66: ("60629",),
    67: ("60636",), 68: ("60621",), 69: ("60619", "60637"), 70: ("60652",), 71: ("60620",),
    72: ("60643",), 73: ("60620", "60643"), 74: ("60655",), 75: ("60643",),
    76: ("60666", "60656"), 77: ("60660", "60640"),
}

#: City wards overlapping each community area (approximate, for the ``chi_ward`` field).
_CA_WARDS = {
    1: (49,), 2: (50, 40), 3: (46, 48), 4: (47, 40), 5: (47, 32), 6: (44, 43, 46), 7: (43, 2, 32),
    8: (42, 2, 27), 9: (41,), 10: (41, 45), 11: (45,), 12: (45, 39), 13: (39, 40), 14: (33, 39),
    15: (38, 45), 16: (35, 33, 30), 17: (38, 36), 18: (36, 29), 19: (30, 31, 36), 20: (31, 30),
    21: (35, 33), 22: (35, 26, 1), 23: (26, 27, 37), 24: (1, 26, 27), 25: (29, 37, 28),
    26: (28, 24, 37), 27: (28, 27, 24), 28: (27, 28, 25, 11), 29: (24, 22), 30: (22, 12, 24),
    31: (25, 12), 32: (42, 4, 2), 33: (3, 4, 25), 34: (11, 25), 35: (3, 4), 36: (4,),
    37: (3, 20), 38: (3, 4, 20), 39: (4, 5), 40: (20, 3), 41: (5, 4), 42: (20, 5), 43: (5, 7, 8),
    44: (6, 8, 21), 45: (8,), 46: (10, 7), 47: (9,), 48: (7, 8), 49: (9, 34), 50: (9,), 51: (10,),
    52: (10,), 53: (34, 21, 9), 54: (9,), 55: (10,), 56: (23, 13), 57: (14, 23), 58: (12, 14),
    59: (11, 12), 60: (11,), 61: (20, 15, 16), 62: (13, 14), 63: (14, 16, 15), 64: (23, 13),
    65: (13, 18), 66: (15, 16, 18), 67: (16, 15, 17), 68: (20, 16, 6), 69: (6, 20, 5),
    70: (18, 13), 71: (17, 21, 6), 72: (19,), 73: (21, 34), 74: (19,), 75: (19, 34), 76: (41,),
    77: (48, 40),
}

#: Cook County Board district covering most of each community area.
_CA_DISTRICT = (
    13, 13, 10, 10, 12, 10, 10, 10, 9, 9, 9, 9, 12, 12, 9, 12, 9, 9, 8, 8, 12, 8, 8, 8, 1, 1, 2, 2,
    2, 7, 7, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 5, 5, 4, 4, 5, 5, 4, 11, 11, 7,
    11, 11, 11, 11, 7, 11, 11, 11, 3, 3, 4, 11, 4, 11, 5, 11, 5, 9, 13,
)

#: Demographic profile per community area: B black-majority, L latino-majority, M mixed, W white.
_CA_PROFILE = (
    "M", "M", "M", "W", "W", "W", "W", "M", "W", "W", "W", "W", "W", "M", "W", "M", "W", "L", "L",
    "L", "M", "M", "M", "M", "B", "B", "B", "M", "B", "L", "L", "M", "M", "M", "B", "B", "B", "B",
    "M", "B", "M", "B", "B", "B", "B", "M", "B", "B", "B", "B", "M", "L", "B", "B", "L", "L", "L",
    "L", "L", "M", "L", "L", "L", "L", "L", "M", "B", "B", "B", "M", "B", "M", "B", "W", "M", "W",
    "M",
)


@dataclass(frozen=True)
class _Town:
    name: str
    lat: float
    lon: float
    zips: tuple[str, ...]
    pop_k: float
    od_mult: float
    hom_mult: float
    district: int
    profile: str


_TOWNS: tuple[_Town, ...] = (
    _Town("Cicero", 41.8456, -87.7539, ("60804",), 85, 1.6, 1.5, 16, "L"),
    _Town("Oak Park", 41.8850, -87.7845, ("60302", "60304", "60301"), 52, 0.9, 0.4, 1, "M"),
    _Town("Berwyn", 41.8506, -87.7937, ("60402",), 57, 1.1, 0.7, 16, "L"),
    _Town("Maywood", 41.8792, -87.8431, ("60153",), 23, 3.0, 4.0, 1, "B"),
    _Town("Forest Park", 41.8795, -87.8134, ("60130",), 14, 2.0, 1.0, 1, "M"),
    _Town("Broadview", 41.8639, -87.8534, ("60155",), 8, 2.2, 2.0, 1, "B"),
    _Town("Bellwood", 41.8814, -87.8831, ("60104",), 19, 2.5, 2.5, 1, "B"),
    _Town("Melrose Park", 41.9006, -87.8567, ("60160",), 25, 1.3, 1.0, 16, "L"),
    _Town("Franklin Park", 41.9353, -87.8656, ("60131",), 18, 1.0, 0.6, 16, "L"),
    _Town("Summit", 41.7881, -87.8101, ("60501",), 11, 1.3, 1.2, 16, "L"),
    _Town("Evanston", 42.0451, -87.6877, ("60201", "60202"), 78, 0.6, 0.5, 13, "M"),
    _Town("Skokie", 42.0324, -87.7416, ("60076", "60077"), 67, 0.5, 0.2, 13, "W"),
    _Town("Des Plaines", 42.0334, -87.8834, ("60016", "60018"), 60, 0.7, 0.2, 9, "W"),
    _Town("Schaumburg", 42.0334, -88.0834, ("60193", "60194", "60173"), 78, 0.5, 0.2, 15, "W"),
    _Town("Palatine", 42.1103, -88.0342, ("60067", "60074"), 67, 0.5, 0.2, 14, "W"),
    _Town("Arlington Heights", 42.0884, -87.9806, ("60004", "60005"), 77, 0.45, 0.1, 14, "W"),
    _Town("Elk Grove Village", 42.0039, -87.9703, ("60007",), 32, 0.5, 0.1, 15, "W"),
    _Town("Orland Park", 41.6303, -87.8539, ("60462", "60467"), 58, 0.5, 0.2, 17, "W"),
    _Town("Tinley Park", 41.5731, -87.7845, ("60477", "60487"), 55, 0.55, 0.2, 17, "W"),
    _Town("Oak Lawn", 41.7190, -87.7479, ("60453",), 58, 0.7, 0.4, 6, "W"),
    _Town("Bridgeview", 41.7500, -87.8042, ("60455",), 17, 0.9, 0.6, 11, "L"),
    _Town("Blue Island", 41.6570, -87.6800, ("60406",), 23, 1.5, 1.5, 5, "M"),
    _Town("Harvey", 41.6100, -87.6467, ("60426",), 20, 3.0, 4.0, 5, "B"),
    _Town("Dolton", 41.6389, -87.6070, ("60419",), 21, 1.6, 2.0, 5, "B"),
    _Town("Markham", 41.5934, -87.6945, ("60428",), 12, 1.6, 2.5, 5, "B"),
    _Town("Calumet City", 41.6156, -87.5295, ("60409",), 36, 1.8, 1.8, 4, "B"),
    _Town("Chicago Heights", 41.5061, -87.6356, ("60411",), 27, 1.8, 2.5, 6, "M"),
    _Town("Park Forest", 41.4914, -87.6745, ("60466",), 21, 1.2, 1.2, 6, "B"),
)

#: Residences outside the places above (city, ZIP).
_OUTSIDE_RESIDENCES: tuple[tuple[str, str], ...] = (
    ("Gary", "46404"), ("Hammond", "46320"), ("Milwaukee", "53204"), ("Aurora", "60505"),
    ("Joliet", "60432"), ("Elgin", "60120"), ("Naperville", "60540"), ("Waukegan", "60085"),
)

#: Race category probabilities per profile, and P(latino) for White/Other decedents.
_RACES = ("White", "Black", "Asian", "Other", "Am. Indian")
_RACE_P = {
    "B": (0.06, 0.90, 0.005, 0.03, 0.005),
    "L": (0.80, 0.08, 0.01, 0.10, 0.01),
    "M": (0.50, 0.30, 0.06, 0.13, 0.01),
    "W": (0.80, 0.08, 0.07, 0.04, 0.01),
}
_LATINO_P = {"B": 0.5, "L": 0.85, "M": 0.35, "W": 0.12}
_PROFILES = ("B", "L", "M", "W")

# Chicago street grid: 800 address numbers per mile from State St (E/W) and Madison St (N/S).
_GRID_LAT0, _GRID_LON0 = 41.8819, -87.6278
_GRID_DEG_LAT, _GRID_DEG_LON = 0.01449 / 800, 0.01943 / 800
_EW_STREETS: tuple[tuple[int, str], ...] = (  # signed grid number (N > 0), street name
    (-13400, "134TH ST"), (-13000, "130TH ST"), (-12700, "127TH ST"), (-11900, "119TH ST"),
    (-11500, "115TH ST"), (-11100, "111TH ST"), (-10300, "103RD ST"), (-9500, "95TH ST"),
    (-8700, "87TH ST"), (-8300, "83RD ST"), (-7900, "79TH ST"), (-7500, "75TH ST"),
    (-7100, "71ST ST"), (-6700, "67TH ST"), (-6300, "63RD ST"), (-5900, "59TH ST"),
    (-5500, "GARFIELD BLVD"), (-5100, "51ST ST"), (-4700, "47TH ST"), (-4300, "43RD ST"),
    (-3900, "PERSHING RD"), (-3500, "35TH ST"), (-3100, "31ST ST"), (-2600, "26TH ST"),
    (-2200, "CERMAK RD"), (-1600, "16TH ST"), (-1200, "ROOSEVELT RD"), (-600, "HARRISON ST"),
    (-300, "JACKSON BLVD"), (0, "MADISON ST"), (100, "WASHINGTON BLVD"), (200, "LAKE ST"),
    (500, "GRAND AVE"), (800, "CHICAGO AVE"), (1200, "DIVISION ST"), (1600, "NORTH AVE"),
    (2000, "ARMITAGE AVE"), (2400, "FULLERTON AVE"), (2800, "DIVERSEY AVE"), (3200, "BELMONT AVE"),
    (3600, "ADDISON ST"), (4000, "IRVING PARK RD"), (4400, "MONTROSE AVE"), (4800, "LAWRENCE AVE"),
    (5200, "FOSTER AVE"), (5600, "BRYN MAWR AVE"), (6000, "PETERSON AVE"), (6400, "DEVON AVE"),
    (7200, "TOUHY AVE"), (7600, "HOWARD ST"),
)
_NS_STREETS: tuple[tuple[int, str], ...] = (  # signed grid number (E > 0), street name
    (-8400, "CUMBERLAND AVE"), (-7600, "OLEANDER AVE"), (-7200, "HARLEM AVE"),
    (-6800, "OAK PARK AVE"), (-6400, "NARRAGANSETT AVE"), (-6000, "AUSTIN BLVD"),
    (-5600, "CENTRAL AVE"), (-5200, "LARAMIE AVE"), (-4800, "CICERO AVE"), (-4400, "KOSTNER AVE"),
    (-4000, "PULASKI RD"), (-3800, "CRAWFORD AVE"), (-3600, "CENTRAL PARK AVE"),
    (-3400, "HOMAN AVE"), (-3200, "KEDZIE AVE"), (-2800, "CALIFORNIA AVE"), (-2400, "WESTERN AVE"),
    (-2000, "DAMEN AVE"), (-1600, "ASHLAND AVE"), (-1200, "RACINE AVE"), (-800, "HALSTED ST"),
    (-400, "CANAL ST"), (0, "STATE ST"), (400, "KING DR"), (800, "COTTAGE GROVE AVE"),
    (1600, "STONY ISLAND AVE"), (2000, "JEFFERY BLVD"), (2400, "YATES BLVD"),
    (3000, "COMMERCIAL AVE"), (3600, "EWING AVE"),
)
_SUBURB_STREETS: tuple[str, ...] = (
    "MAIN ST", "OAK ST", "MADISON ST", "ROOSEVELT RD", "WASHINGTON BLVD", "1ST AVE", "5TH AVE",
    "HARLEM AVE", "CERMAK RD", "OGDEN AVE", "LAKE ST", "CENTRAL AVE", "RIDGE AVE", "DEMPSTER ST",
    "GOLF RD", "ALGONQUIN RD", "159TH ST", "SIBLEY BLVD", "LINCOLN HWY", "17TH AVE", "25TH AVE",
    "MANNHEIM RD", "GRAND AVE", "NORTH AVE", "DES PLAINES AVE", "HALSTED ST", "WOLF RD",
)
#: Share of Chicago cases without coordinates that keep a street address and ZIP (address-only).
_P_ADDRESS_ONLY = 0.65
#: Hand-typed noise around address-only streets, as the archive has it (names invented).
_ADDRESS_PREFIXES: tuple[str, ...] = (
    "SUNRISE MOTEL, ", "(LAKESIDE HOTEL) ", "Corner Food Mart, ", "ST. JAMES HOTEL ", "Green Line, ",
    "RIVERVIEW INN/",
)
_ADDRESS_SUFFIXES: tuple[str, ...] = (
    " #2", " #217", " APT 3F", ", UNIT# 3A", " - 2ND FLR.", "/basement", " Rm 901", ", ROOM# 220",
    " (REAR)", " BSMT",
)

# --------------------------------------------------------------------------------------------
# Drugs and cause-of-death texts
# --------------------------------------------------------------------------------------------

#: Drug components in the order they are listed in cause texts (bit i of the drug mask).
_DRUG_NAMES: tuple[str, ...] = (
    "FENTANYL", "ACETYL FENTANYL", "DESPROPIONYL FENTANYL(4-ANPP)", "FLUOROFENTANYL",
    "CARFENTANIL", "METONITAZENE", "PROTONITAZENE", "ISOTONITAZENE", "HEROIN", "OXYCODONE",
    "METHADONE", "TRAMADOL", "HYDROCODONE", "MORPHINE", "BUPRENORPHINE", "XYLAZINE", "COCAINE",
    "METHAMPHETAMINE", "ALPRAZOLAM", "BROMAZOLAM", "ETIZOLAM", "CLONAZEPAM", "DIAZEPAM",
    "DIPHENHYDRAMINE", "GABAPENTIN", "MDMA", "OPIOID", "ETHANOL",
)
(B_FENT, B_ACETYL, B_ANPP, B_FLUORO, B_CARFENT, B_METONIT, B_PROTONIT, B_ISONIT, B_HEROIN,
 B_OXY, B_METHADONE, B_TRAMADOL, B_HYDROCODONE, B_MORPHINE, B_BUPRENORPHINE, B_XYLAZINE,
 B_COCAINE, B_METH, B_ALPRAZOLAM, B_BROMAZOLAM, B_ETIZOLAM, B_CLONAZEPAM, B_DIAZEPAM, B_DPH,
 B_GABAPENTIN, B_MDMA, B_OPIOID, B_ETHANOL) = range(len(_DRUG_NAMES))
_OPIOID_BITS = (B_FENT, B_ACETYL, B_ANPP, B_FLUORO, B_CARFENT, B_METONIT, B_PROTONIT, B_ISONIT,
                B_HEROIN, B_OXY, B_METHADONE, B_TRAMADOL, B_HYDROCODONE, B_MORPHINE,
                B_BUPRENORPHINE, B_OPIOID)
_OPIOID_MASK = sum(1 << b for b in _OPIOID_BITS)
_RX_BITS = (B_OXY, B_METHADONE, B_TRAMADOL, B_HYDROCODONE, B_MORPHINE, B_BUPRENORPHINE)
_RX_P = (0.30, 0.30, 0.12, 0.10, 0.10, 0.08)
_NITAZENE_BITS = (B_METONIT, B_PROTONIT, B_ISONIT)
_ANPP_FORMS = ("DESPROPIONYL FENTANYL(4-ANPP)", "DESPROPIONYL FENTANYL",
               "DESPROPIONYL FENTANYL (4-ANPP)", "4-ANPP")

#: Opioid type by year: fentanyl only, heroin only, fentanyl + heroin, prescription only,
#: unspecified "opioid".
_OPIOID_TYPE = {
    2016: (0.18, 0.50, 0.14, 0.10, 0.08), 2017: (0.35, 0.30, 0.20, 0.09, 0.06),
    2018: (0.48, 0.20, 0.20, 0.08, 0.04), 2019: (0.58, 0.14, 0.18, 0.07, 0.03),
    2020: (0.70, 0.08, 0.14, 0.06, 0.02), 2021: (0.76, 0.05, 0.12, 0.05, 0.02),
    2022: (0.80, 0.04, 0.09, 0.05, 0.02), 2023: (0.83, 0.03, 0.07, 0.05, 0.02),
    2024: (0.85, 0.02, 0.06, 0.05, 0.02), 2025: (0.86, 0.02, 0.05, 0.05, 0.02),
}
_P_OPIOID_OD = 0.89

#: Year-dependent probabilities of co-involved substances.
_P_ANPP = {2016: 0.15, 2018: 0.35, 2020: 0.50, 2022: 0.55, 2025: 0.55}
_P_ACETYL = {2016: 0.35, 2017: 0.25, 2018: 0.12, 2019: 0.08, 2020: 0.05, 2022: 0.03, 2025: 0.02}
_P_FLUORO = {2019: 0.0, 2020: 0.05, 2021: 0.15, 2022: 0.20, 2023: 0.18, 2025: 0.12}
_P_CARFENT = {2016: 0.01, 2017: 0.06, 2018: 0.04, 2019: 0.01, 2020: 0.005, 2021: 0.0}
_P_XYLAZINE = {2020: 0.0, 2021: 0.04, 2022: 0.14, 2023: 0.24, 2024: 0.28, 2025: 0.30}
_P_NITAZENE = {2022: 0.0, 2023: 0.02, 2024: 0.035, 2025: 0.04}
_P_METH = {2016: 0.02, 2020: 0.06, 2025: 0.11}
_P_ALPRAZOLAM = {2016: 0.08, 2020: 0.05, 2025: 0.03}
_P_BROMAZOLAM = {2020: 0.0, 2021: 0.01, 2022: 0.04, 2023: 0.06, 2025: 0.05}
_P_ETIZOLAM = {2018: 0.0, 2019: 0.015, 2020: 0.02, 2021: 0.015, 2022: 0.005, 2023: 0.0}
_P_GABAPENTIN = {2017: 0.0, 2018: 0.03, 2025: 0.03}

_OD_SECONDARY = (
    ("HYPERTENSIVE AND ARTERIOSCLEROTIC CARDIOVASCULAR DISEASE", 0.30),
    ("ARTERIOSCLEROTIC CARDIOVASCULAR DISEASE", 0.20),
    ("HYPERTENSIVE CARDIOVASCULAR DISEASE", 0.12),
    ("OBESITY", 0.10),
    ("CHRONIC OBSTRUCTIVE PULMONARY DISEASE", 0.08),
    ("CHRONIC ETHANOL ABUSE", 0.08),
    ("HEPATIC CIRRHOSIS", 0.04),
    ("ASTHMA", 0.04),
    ("DIABETES MELLITUS", 0.04),
)
_IMMEDIATE_CAUSES = ("ANOXIC ENCEPHALOPATHY", "ANOXIC-ISCHEMIC ENCEPHALOPATHY",
                     "ASPIRATION PNEUMONIA", "CARDIOPULMONARY ARREST")
_MISSPELLINGS = (("FENTANYL", "FENTNAYL"), ("HEROIN", "HERION"), ("TOXICITY", "TOXCIITY"),
                 ("TOXICITY", "TOXOCITY"))

# Non-overdose causes: (text, weight, gun-related).
_HOMICIDE_CAUSES = (
    ("MULTIPLE GUNSHOT WOUNDS", 0.60, True), ("GUNSHOT WOUND OF HEAD", 0.12, True),
    ("GUNSHOT WOUND OF CHEST", 0.07, True), ("GUNSHOT WOUND OF BACK", 0.03, True),
    ("GUNSHOT WOUND OF ABDOMEN", 0.03, True), ("MULTIPLE STAB WOUNDS", 0.04, False),
    ("STAB WOUND OF CHEST", 0.03, False), ("BLUNT FORCE INJURIES", 0.03, False),
    ("BLUNT FORCE TRAUMA OF HEAD", 0.02, False), ("ASPHYXIA DUE TO STRANGULATION", 0.015, False),
    ("MULTIPLE INJURIES DUE TO ASSAULT", 0.015, False),
)
_HOMICIDE_DELAYED = (
    ("COMPLICATIONS OF PARAPLEGIA DUE TO GUNSHOT WOUND OF BACK", 0.45, True),
    ("COMPLICATIONS OF QUADRIPLEGIA DUE TO GUNSHOT WOUND OF NECK", 0.25, True),
    ("COMPLICATIONS OF REMOTE GUNSHOT WOUND OF ABDOMEN", 0.20, True),
    ("COMPLICATIONS OF REMOTE BLUNT FORCE INJURIES", 0.10, False),
)
_SUICIDE_CAUSES = (
    ("HANGING", 0.45, False), ("GUNSHOT WOUND OF HEAD", 0.28, True),
    ("MULTIPLE INJURIES DUE TO FALL FROM HEIGHT", 0.07, False),
    ("MULTIPLE INJURIES DUE TO TRAIN VERSUS PEDESTRIAN", 0.04, False),
    ("INCISED WOUNDS OF WRISTS", 0.03, False),
    ("ASPHYXIA DUE TO PLASTIC BAG SUFFOCATION", 0.03, False),
    ("CARBON MONOXIDE TOXICITY", 0.03, False), ("DROWNING", 0.04, False),
    ("MULTIPLE BLUNT FORCE INJURIES", 0.03, False),
)
_NATURAL_CAUSES = (
    ("ARTERIOSCLEROTIC CARDIOVASCULAR DISEASE", 0.35, False),
    ("HYPERTENSIVE AND ARTERIOSCLEROTIC CARDIOVASCULAR DISEASE", 0.20, False),
    ("HYPERTENSIVE CARDIOVASCULAR DISEASE", 0.10, False),
    ("CHRONIC ETHANOL ABUSE", 0.05, False), ("DIABETIC KETOACIDOSIS", 0.04, False),
    ("PULMONARY THROMBOEMBOLISM", 0.05, False),
    ("CHRONIC OBSTRUCTIVE PULMONARY DISEASE", 0.04, False), ("SEIZURE DISORDER", 0.04, False),
    ("CARDIOMEGALY", 0.04, False), ("ASTHMA", 0.03, False), ("PNEUMONIA", 0.03, False),
    ("HEPATIC CIRRHOSIS DUE TO CHRONIC ETHANOL ABUSE", 0.03, False),
)
_NATURAL_SECONDARY = (  # (text, weight, sets the opioids flag)
    ("RECENT HEROIN USE", 0.14, True), ("CHRONIC ETHANOL ABUSE", 0.18, False),
    ("OBESITY", 0.20, False), ("DIABETES MELLITUS", 0.18, False),
    ("RECENT COCAINE USE", 0.10, False), ("TOBACCO USE", 0.10, False),
    ("CHRONIC OBSTRUCTIVE PULMONARY DISEASE", 0.10, False),
)
_ACCIDENT_CAUSES = (
    ("MULTIPLE BLUNT FORCE INJURIES", 0.20, False),
    ("MULTIPLE INJURIES DUE TO MOTOR VEHICLE COLLISION", 0.10, False),
    ("MULTIPLE INJURIES", 0.05, False), ("BLUNT FORCE INJURIES DUE TO FALL", 0.12, False),
    ("COMPLICATIONS OF HIP FRACTURE DUE TO FALL", 0.10, False),
    ("SUBDURAL HEMATOMA DUE TO FALL", 0.08, False), ("CRANIOCEREBRAL INJURIES", 0.05, False),
    ("DROWNING", 0.05, False), ("INHALATION OF SMOKE AND SOOT", 0.06, False),
    ("CARBON MONOXIDE TOXICITY", 0.03, False), ("POSITIONAL ASPHYXIA", 0.03, False),
    ("ADVERSE EFFECTS OF ANTICOAGULATION THERAPY", 0.05, False),
    ("ADVERSE EFFECTS OF WARFARIN THERAPY", 0.03, False),
    ("ADVERSE EFFECTS OF CHEMOTHERAPY", 0.02, False),
    ("GUNSHOT WOUND OF CHEST", 0.01, True), ("ELECTROCUTION", 0.02, False),
)
_ACCIDENT_DELAYED = (
    ("COMPLICATIONS OF QUADRIPLEGIA DUE TO MOTOR VEHICLE COLLISION", 0.5, False),
    ("COMPLICATIONS OF REMOTE HEAD INJURY DUE TO FALL", 0.5, False),
)
_COLD_CAUSES = (("HYPOTHERMIA", 0.55, False), ("COLD EXPOSURE", 0.15, False),
                ("HYPOTHERMIA DUE TO COLD EXPOSURE", 0.30, False))
_HEAT_CAUSES = (("HYPERTHERMIA", 0.45, False), ("HEAT STRESS", 0.25, False),
                ("HEAT STROKE", 0.30, False))
_COVID_CAUSES = (("COVID-19", 0.35, False), ("COVID-19 VIRAL INFECTION", 0.35, False),
                 ("COMPLICATIONS OF COVID-19 VIRAL INFECTION", 0.15, False),
                 ("COVID 19 VIRAL PNEUMONIA", 0.15, False))
_UND_CAUSES = (("UNDETERMINED", 0.6, False), ("UNDETERMINED ETIOLOGY", 0.4, False))
_UND_INFANT_CAUSES = (("SUDDEN UNEXPLAINED INFANT DEATH", 0.6, False),
                      ("UNDETERMINED", 0.4, False))
_GENERAL_SECONDARY = (
    ("HYPERTENSIVE AND ARTERIOSCLEROTIC CARDIOVASCULAR DISEASE", 0.35),
    ("ETHANOL INTOXICATION", 0.25), ("DIABETES MELLITUS", 0.15), ("OBESITY", 0.15),
    ("DEMENTIA", 0.10),
)
_SECONDARY_P = {HOM: 0.05, SUI: 0.10, ACC: 0.20, COLD: 0.35, HEAT: 0.40, COVID: 0.45, UND: 0.05}

_MANNERS = ("ACCIDENT", "SUICIDE", "HOMICIDE", "NATURAL", "UNDETERMINED", "PENDING")
M_ACCIDENT, M_SUICIDE, M_HOMICIDE, M_NATURAL, M_UNDETERMINED, M_PENDING = range(6)

#: Age (mean, sd, min, max) and P(male) by category.
_AGE = {OD: (44.0, 12.0, 15, 90), HOM: (29.0, 11.0, 13, 90), SUI: (45.0, 17.0, 11, 98),
        NAT: (63.0, 14.0, 18, 104), ACC: (42.0, 18.0, 1, 100), COLD: (61.0, 14.0, 20, 99),
        HEAT: (68.0, 14.0, 18, 104), COVID: (70.0, 13.0, 20, 104), UND: (45.0, 20.0, 1, 95)}
_P_MALE = (0.76, 0.87, 0.78, 0.66, 0.62, 0.75, 0.60, 0.58, 0.55)

# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _yearly(table: dict[int, float], frac_year: np.ndarray) -> np.ndarray:
    """Linear interpolation of a by-year table at mid-year points, flat beyond its ends."""
    years = sorted(table)
    return np.interp(frac_year, np.array(years, dtype=float) + 0.5, [table[y] for y in years])


def _yearly_rows(table: dict[int, tuple[float, ...]], frac_year: np.ndarray) -> np.ndarray:
    """Interpolate a by-year table of probability vectors; rows are renormalised."""
    years = sorted(table)
    xs = np.array(years, dtype=float) + 0.5
    width = len(table[years[0]])
    out = np.column_stack(
        [np.interp(frac_year, xs, [table[y][j] for y in years]) for j in range(width)]
    )
    return out / out.sum(axis=1, keepdims=True)


def _draw_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One categorical draw per row of a (rows x k) probability matrix."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(len(probs))[:, None] * cum[:, -1:]
    return np.minimum((u >= cum).sum(axis=1), probs.shape[1] - 1)


def _choice(rng: np.random.Generator, weights: Sequence[float], size: int) -> np.ndarray:
    """Categorical draw of ``size`` indices with the given (unnormalised) weights."""
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


def _resolve_count(n: int, scale: float) -> int:
    if n < 1:
        raise ValueError(f"n must be positive, got {n}")
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale}")
    return max(1, int(round(n * scale)))


def default_end_month(today: date | None = None) -> date:
    """The default last month of the archive: the month before ``today``'s month (first day)."""
    today = today or date.today()
    return date(today.year - 1, 12, 1) if today.month == 1 else date(today.year, today.month - 1, 1)


def _title_text(text: str) -> str:
    """Title-case a name ("W MADISON ST" -> "W Madison St") keeping ordinals ("17th Ave")."""
    return re.sub(r"(\d)(St|Nd|Rd|Th)\b", lambda m: m.group(1) + m.group(2).lower(), text.title())


#: Characters that would need escaping inside a JSON string (the writer emits texts verbatim).
_UNSAFE_JSON = re.compile(r'["\\\x00-\x1f]')


class _Vocab:
    """Interns strings to integer ids so text columns are built by one vectorised gather."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self._ids: dict[str, int] = {}

    def id(self, text: str) -> int:
        found = self._ids.get(text)
        if found is None:
            if _UNSAFE_JSON.search(text):
                raise ValueError(f"text needs JSON escaping: {text!r}")
            found = len(self.texts)
            self._ids[text] = found
            self.texts.append(text)
        return found

    def ids(self, texts: Sequence[str]) -> np.ndarray:
        return np.array([self.id(t) for t in texts], dtype=np.int64)

    def column(self, ids: np.ndarray, name: str) -> pl.Series:
        """Strings for ``ids``; id -1 gives null."""
        table = pl.Series(name, [*self.texts, None], dtype=pl.String)
        index = np.where(ids < 0, len(self.texts), ids)
        return table.gather(pl.Series(index, dtype=pl.UInt32))


@dataclass(frozen=True)
class _Areas:
    geoms: tuple
    names: tuple[str, ...]
    bounds: np.ndarray
    fill: np.ndarray
    city: object


def chicago77_path() -> Path:
    """Path of libpysal's bundled ``Chicago77.shp`` (found without importing slow ``libpysal``)."""
    spec = importlib.util.find_spec("libpysal")
    for root in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(root) / "examples" / "chicago" / "Chicago77.shp"
        if candidate.is_file():
            return candidate
    import libpysal

    return Path(libpysal.examples.get_path("Chicago77.shp"))


@lru_cache(maxsize=1)
def _community_areas() -> _Areas:
    """The 77 community areas (index 0 = area 1) in EPSG:4326 and the city outline, prepared."""
    import geopandas as gpd
    import shapely

    frame = gpd.read_file(chicago77_path())
    frame = frame.set_crs(3435, allow_override=True).to_crs(4326)
    frame["area_number"] = frame["AREA_NUMBE"].astype(int)
    frame = frame.sort_values("area_number").reset_index(drop=True)
    if frame["area_number"].tolist() != list(range(1, 78)):
        raise RuntimeError("Chicago77.shp does not hold community areas 1..77")
    geoms = tuple(frame.geometry)
    for geom in geoms:
        shapely.prepare(geom)
    bounds = np.array([g.bounds for g in geoms])
    box_area = (bounds[:, 2] - bounds[:, 0]) * (bounds[:, 3] - bounds[:, 1])
    fill = np.array([g.area for g in geoms]) / box_area
    city = shapely.union_all(np.array(geoms, dtype=object))
    shapely.prepare(city)
    names = tuple(str(s).strip().upper() for s in frame["COMMUNITY"])
    if any(_UNSAFE_JSON.search(name) for name in names):
        raise RuntimeError("unexpected characters in Chicago77 community-area names")
    return _Areas(geoms=geoms, names=names, bounds=bounds, fill=fill, city=city)


def community_area_names() -> dict[int, str]:
    """Area number -> upper-case name as the archive spells it (e.g. 76 -> ``"OHARE"``)."""
    return {i + 1: name for i, name in enumerate(_community_areas().names)}


def grid_point(street: str) -> tuple[float, float] | None:
    """Where the demo's street grid puts a Chicago address as the generator writes it, without
    unit or name (``"3001 W JACKSON BLVD"``, any case): ``(latitude, longitude)``, or None.

    The inverse of how addresses are drawn: 800 house numbers a mile from State St (east/west)
    and Madison St (north/south), on the named grid street. Used as the demo's truth about where
    its synthetic addresses lie (e.g. by the tests' stand-in geocoder).
    """
    match = re.fullmatch(r"(\d+) ([NSEW]) (.+)", " ".join(street.upper().split()))
    if not match:
        return None
    house, direction, name = int(match.group(1)), match.group(2), match.group(3)
    east_west = dict((n, g) for g, n in _EW_STREETS)
    north_south = dict((n, g) for g, n in _NS_STREETS)
    if direction in "EW" and name in east_west:
        north, east = east_west[name], house if direction == "E" else -house
    elif direction in "NS" and name in north_south:
        north, east = (house if direction == "N" else -house), north_south[name]
    else:
        return None
    return _GRID_LAT0 + north * _GRID_DEG_LAT, _GRID_LON0 + east * _GRID_DEG_LON


def _sample_in_polygon(rng: np.random.Generator, areas: _Areas, index: int, k: int
                       ) -> tuple[np.ndarray, np.ndarray]:
    """``k`` points uniform inside area ``index`` as integer micro-degrees (lon, lat)."""
    import shapely

    minx, miny, maxx, maxy = areas.bounds[index]
    geom = areas.geoms[index]
    lons: list[np.ndarray] = []
    lats: list[np.ndarray] = []
    need = k
    while need > 0:
        m = int(need / max(areas.fill[index], 0.05) * 1.3) + 16
        ilon = np.rint(rng.uniform(minx, maxx, m) * 1e6).astype(np.int64)
        ilat = np.rint(rng.uniform(miny, maxy, m) * 1e6).astype(np.int64)
        ok = shapely.contains_xy(geom, ilon / 1e6, ilat / 1e6)
        ilon, ilat = ilon[ok][:need], ilat[ok][:need]
        lons.append(ilon)
        lats.append(ilat)
        need -= len(ilon)
    return np.concatenate(lons), np.concatenate(lats)


def _nearest(sorted_values: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Index of the nearest value of an ascending array for each ``x``."""
    i = np.clip(np.searchsorted(sorted_values, x), 1, len(sorted_values) - 1)
    left, right = sorted_values[i - 1], sorted_values[i]
    return np.where(x - left <= right - x, i - 1, i)


def _case_variants(vocab: _Vocab, ids: np.ndarray, case: np.ndarray) -> np.ndarray:
    """Re-spell vocabulary ids as written (0), upper case (1) or lower case (2); -1 stays."""
    present = ids >= 0
    uniq, inverse = np.unique(np.where(present, ids, 0), return_inverse=True)
    inverse = inverse.ravel()
    spelled = np.stack([uniq, vocab.ids([vocab.texts[i].upper() for i in uniq]),
                        vocab.ids([vocab.texts[i].lower() for i in uniq])])
    return np.where(present, spelled[case, inverse], -1)


def _flat_table(groups: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Flatten variable-length string groups into (offsets, counts, values)."""
    counts = np.array([len(g) for g in groups], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    return offsets, counts, [v for g in groups for v in g]


def _pick_in_group(rng: np.random.Generator, offsets: np.ndarray, counts: np.ndarray,
                   group: np.ndarray) -> np.ndarray:
    """Uniformly pick one member index of each row's group."""
    return offsets[group] + np.minimum(
        (rng.random(len(group)) * counts[group]).astype(np.int64), counts[group] - 1
    )


# --------------------------------------------------------------------------------------------
# Drug text rendering
# --------------------------------------------------------------------------------------------


def _list_and(items: Sequence[str]) -> str:
    if len(items) == 2:
        return f"{items[0]} AND {items[1]}"
    return ", ".join(items[:-1]) + ", AND " + items[-1]


def _render_drug_text(mask: int, template: int, probable: int, misspell: int, anpp_form: int
                      ) -> str:
    """The cause text for one drug combination.

    ``template`` picks the phrasing, ``probable`` marks cocaine (1) or heroin/opioid (2) as
    "PROBABLE", ``misspell`` (1..4) injects one of the archive's typos and ``anpp_form`` picks
    how despropionyl fentanyl is written.
    """
    bits = [b for b in range(len(_DRUG_NAMES)) if mask >> b & 1]
    names: list[str] = []
    for b in bits:
        name = _ANPP_FORMS[anpp_form] if b == B_ANPP else _DRUG_NAMES[b]
        if (probable == 1 and b == B_COCAINE) or (probable == 2 and b in (B_HEROIN, B_OPIOID)):
            name = "PROBABLE " + name
        names.append(name)
    if len(names) == 1:
        single = names[0]
        text = (f"{single} TOXICITY", f"ACUTE {single} TOXICITY", f"{single} INTOXICATION",
                f"COMPLICATIONS OF {single} TOXICITY")[template % 4]
    else:
        drugs = [nm for b, nm in zip(bits, names) if b != B_ETHANOL]
        has_ethanol = len(drugs) < len(names)
        if template == 2:
            text = (f"COMBINED DRUG ({', '.join(drugs)}) AND ETHANOL TOXICITY" if has_ethanol
                    else f"COMBINED DRUG ({', '.join(drugs)}) TOXICITY")
        elif template == 3:
            text = f"{_list_and(sorted(names))} TOXICITY"
        elif template == 4:
            text = f"COMBINED {_list_and(names)}"
        elif template == 5:
            text = f"COMBINED {_list_and(names)} INTOXICATION"
        elif template == 6 and len(names) >= 3:
            text = "MULTIPLE DRUG TOXICITY"
        elif template == 7:
            text = f"COMBINED DRUG TOXICITY ({', '.join(names)})"
        else:
            text = f"COMBINED {_list_and(names)} TOXICITY"
    if misspell:
        options = [pair for pair in _MISSPELLINGS if pair[0] in text]
        if options:
            wrong, typo = options[(misspell - 1) % len(options)]
            text = text.replace(wrong, typo, 1)
    return text


# --------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------


def _month_span(start: date, end_month: date | None) -> tuple[np.datetime64, np.datetime64]:
    end = end_month or default_end_month()
    first = np.datetime64(f"{start.year:04d}-{start.month:02d}", "M")
    last = np.datetime64(f"{end.year:04d}-{end.month:02d}", "M")
    if last < first:
        raise ValueError(f"end_month {end.isoformat()} is before start {start.isoformat()}")
    return first, last


def _intensities(months: np.ndarray) -> np.ndarray:
    """(months x categories) relative case intensities."""
    year = months.astype("datetime64[Y]").astype(int) + 1970
    month = months.astype(int) % 12 + 1
    fy = year + (month - 0.5) / 12.0
    season = np.cos(2 * np.pi * (month - 7) / 12.0)  # +1 in July, -1 in January
    out = np.zeros((len(months), _N_CAT))
    out[:, OD] = 1.1 * _yearly(_OD_TREND, fy) * (1 + 0.05 * season)
    out[:, HOM] = 0.55 * _yearly(_HOM_TREND, fy) * (1 + 0.30 * season)
    out[:, SUI] = 0.22 * (1 + 0.05 * season)
    out[:, NAT] = 0.42 * (1 - 0.15 * season)
    out[:, ACC] = 0.28 * (1 - 0.05 * season)
    out[:, COLD] = np.array(_COLD_BY_MONTH)[month - 1]
    out[:, HEAT] = np.array(_HEAT_BY_MONTH)[month - 1]
    covid = np.array([_COVID_BY_MONTH[y][m - 1] if y in _COVID_BY_MONTH
                      else (_COVID_TAIL if y > 2022 else 0.0) for y, m in zip(year, month)])
    out[:, COVID] = covid
    out[:, UND] = 0.05
    return out


def _cause_block(rng: np.random.Generator, vocab: _Vocab, options: Sequence[tuple], size: int
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Draw causes from ``(text, weight, gun)`` options: (vocab ids, gun-related flags)."""
    pick = _choice(rng, [o[1] for o in options], size)
    ids = vocab.ids([o[0] for o in options])
    guns = np.array([o[2] for o in options], dtype=bool)
    return ids[pick], guns[pick]


def _overdose_causes(rng: np.random.Generator, vocab: _Vocab, fy: np.ndarray
                     ) -> dict[str, np.ndarray]:
    """Drug masks and cause/line/secondary text ids for overdose rows (fractional years ``fy``)."""
    k = len(fy)
    mask = np.zeros(k, dtype=np.int64)

    def add(bit: int, where: np.ndarray) -> None:
        mask[where] |= np.int64(1 << bit)

    opioid = rng.random(k) < _P_OPIOID_OD
    otype = _draw_rows(rng, _yearly_rows(_OPIOID_TYPE, fy))
    fent = opioid & ((otype == 0) | (otype == 2))
    add(B_FENT, fent)
    add(B_HEROIN, opioid & ((otype == 1) | (otype == 2)))
    add(B_OPIOID, opioid & (otype == 4))
    rx_pick = np.array(_RX_BITS)[_choice(rng, _RX_P, k)]
    rx_only = opioid & (otype == 3)
    rx_co = opioid & (otype != 3) & (otype != 4) & (rng.random(k) < 0.04)
    for bit in _RX_BITS:
        add(bit, (rx_only | rx_co) & (rx_pick == bit))
    add(B_ANPP, fent & (rng.random(k) < _yearly(_P_ANPP, fy)))
    add(B_ACETYL, fent & (rng.random(k) < _yearly(_P_ACETYL, fy)))
    add(B_FLUORO, fent & (rng.random(k) < _yearly(_P_FLUORO, fy)))
    add(B_CARFENT, fent & (rng.random(k) < _yearly(_P_CARFENT, fy)))
    add(B_XYLAZINE, fent & (rng.random(k) < _yearly(_P_XYLAZINE, fy)))
    nit_pick = np.array(_NITAZENE_BITS)[_choice(rng, (0.5, 0.3, 0.2), k)]
    nitazene = opioid & (otype != 4) & (rng.random(k) < _yearly(_P_NITAZENE, fy))
    for bit in _NITAZENE_BITS:
        add(bit, nitazene & (nit_pick == bit))
    add(B_COCAINE, rng.random(k) < np.where(opioid, 0.45, 0.62))
    add(B_METH, rng.random(k) < np.where(opioid, 1.0, 3.0) * _yearly(_P_METH, fy))
    add(B_ALPRAZOLAM, rng.random(k) < _yearly(_P_ALPRAZOLAM, fy))
    add(B_BROMAZOLAM, rng.random(k) < _yearly(_P_BROMAZOLAM, fy))
    add(B_ETIZOLAM, rng.random(k) < _yearly(_P_ETIZOLAM, fy))
    add(B_CLONAZEPAM, rng.random(k) < 0.015)
    add(B_DIAZEPAM, rng.random(k) < 0.01)
    add(B_DPH, rng.random(k) < 0.04)
    add(B_GABAPENTIN, rng.random(k) < _yearly(_P_GABAPENTIN, fy))
    add(B_MDMA, ~opioid & (rng.random(k) < 0.05))
    add(B_ETHANOL, rng.random(k) < np.where(opioid, 0.16, 0.25))
    # A non-opioid overdose always names a drug other than ethanol: default to cocaine.
    drugless = (mask & ~np.int64(1 << B_ETHANOL)) == 0
    add(B_COCAINE, drugless)

    n_drugs = np.zeros(k, dtype=np.int64)
    for bit in range(len(_DRUG_NAMES)):
        n_drugs += (mask >> bit) & 1
    template = np.where(n_drugs == 1, _choice(rng, (0.55, 0.20, 0.12, 0.13), k),
                        _choice(rng, (0.40, 0.15, 0.15, 0.14, 0.03, 0.05, 0.03, 0.05), k))
    u = rng.random(k)
    probable = np.where(u < 0.08, 1, np.where(u < 0.16, 2, 0))
    misspell = np.where(rng.random(k) < 0.02, rng.integers(1, 5, k), 0)
    anpp_form = _choice(rng, (0.55, 0.25, 0.10, 0.10), k)
    key = (mask | (template << 32) | (probable << 36) | (misspell << 39) | (anpp_form << 42))
    uniq, inverse = np.unique(key, return_inverse=True)
    texts = [_render_drug_text(int(v) & 0xFFFFFFFF, int(v) >> 32 & 0xF, int(v) >> 36 & 0x7,
                               int(v) >> 39 & 0x7, int(v) >> 42 & 0x3) for v in uniq]
    drug_id = vocab.ids(texts)[inverse.ravel()]

    # Where the text sits: 0 primary only, 1 primary + same line A (from 2019),
    # 2 lines only (line A = drugs, or line A = immediate cause and line B = drugs),
    # 3 primary "X DUE TO drugs" with line A = X and line B = drugs.
    post = fy >= 2019.0
    mode = np.where(post, _choice(rng, (0.35, 0.57, 0.04, 0.04), k),
                    _choice(rng, (0.92, 0.0, 0.04, 0.04), k))
    imm_ids = vocab.ids(_IMMEDIATE_CAUSES)[_choice(rng, (0.35, 0.25, 0.15, 0.25), k)]
    split = rng.random(k) < 0.5
    primary = np.full(k, -1, dtype=np.int64)
    line_a = np.full(k, -1, dtype=np.int64)
    line_b = np.full(k, -1, dtype=np.int64)
    primary[mode <= 1] = drug_id[mode <= 1]
    line_a[mode == 1] = drug_id[mode == 1]
    lines_only_direct = (mode == 2) & ~split
    lines_only_chain = (mode == 2) & split
    line_a[lines_only_direct] = drug_id[lines_only_direct]
    chain = lines_only_chain | (mode == 3)
    line_a[chain] = imm_ids[chain]
    line_b[chain] = drug_id[chain]
    m3 = np.flatnonzero(mode == 3)
    if len(m3):
        pair = imm_ids[m3] * (1 << 32) + drug_id[m3]
        upair, pinv = np.unique(pair, return_inverse=True)
        joined = vocab.ids([f"{vocab.texts[int(p) >> 32]} DUE TO {vocab.texts[int(p) & 0xFFFFFFFF]}"
                            for p in upair])
        primary[m3] = joined[pinv.ravel()]

    secondary = np.full(k, -1, dtype=np.int64)
    has_sec = rng.random(k) < 0.22
    sec_pick = _choice(rng, [w for _, w in _OD_SECONDARY], k)
    sec_ids = vocab.ids([s for s, _ in _OD_SECONDARY])[sec_pick]
    secondary[has_sec] = sec_ids[has_sec]
    return {"mask": mask, "primary": primary, "line_a": line_a, "line_b": line_b,
            "secondary": secondary}


def generate_me_frame(*, n: int = DEFAULT_N, seed: int = DEFAULT_SEED, start: date = DEFAULT_START,
                      end_month: date | None = None, scale: float = 1.0) -> pl.DataFrame:
    """Generate the synthetic archive as a Polars frame, one row per case, columns :data:`FIELDS`.

    All columns are strings except the :data:`BOOL_FIELDS` (booleans) and ``location`` (a struct
    ``{type, coordinates: [lon, lat]}``); absent values are null.  ``n * scale`` rows are produced
    with deaths from ``start`` through the end of ``end_month`` (default: the month before the
    current month), ordered by case number.  The result depends only on the arguments.
    """
    import shapely

    total = _resolve_count(n, scale)
    first, last = _month_span(start, end_month)
    rng = np.random.default_rng(seed)
    vocab = _Vocab()

    # ---- when and what ------------------------------------------------------------------
    months = np.arange(first, last + 1, dtype="datetime64[M]")
    weights = _intensities(months).ravel()
    cells = np.repeat(np.arange(weights.size), rng.multinomial(total, weights / weights.sum()))
    month_idx, cat = cells // _N_CAT, cells % _N_CAT
    mstart = months[month_idx]
    days = ((mstart + 1).astype("datetime64[D]") - mstart.astype("datetime64[D]")).astype(np.int64)
    low = np.where(month_idx == 0, start.day - 1, 0)
    low = np.minimum(low, days - 1)
    day = low + (rng.random(total) * (days - low)).astype(np.int64)
    hour = np.zeros(total, dtype=np.int64)
    for c, profile in ((OD, _HOURS_OD), (HOM, _HOURS_HOM)):
        sel = cat == c
        hour[sel] = _choice(rng, profile, int(sel.sum()))
    sel = (cat != OD) & (cat != HOM)
    hour[sel] = _choice(rng, _HOURS_DAY, int(sel.sum()))
    minute = np.where(rng.random(total) < 0.35, 0, rng.integers(0, 60, total))
    death = (mstart.astype("datetime64[D]") + day).astype("datetime64[m]") + hour * 60 + minute
    order = np.argsort(death, kind="stable")
    death, cat, month_idx = death[order], cat[order], month_idx[order]
    year = death.astype("datetime64[Y]").astype(np.int64) + 1970
    dmonth = death.astype("datetime64[M]")
    fy = year + (dmonth.astype(np.int64) % 12 + 0.5) / 12.0
    months_before_end = (last - dmonth).astype(np.int64)

    # ---- where ----------------------------------------------------------------------------
    areas = _community_areas()
    n_ca = 77
    pop = np.array(_CA_POP, dtype=float)
    od_mult = np.array([_CA_OD_MULT.get(a, _CA_OD_DEFAULT) for a in range(1, 78)])
    hom_mult = np.array([_CA_HOM_MULT.get(a, _CA_HOM_DEFAULT) for a in range(1, 78)])
    town_pop = np.array([t.pop_k * 1000 for t in _TOWNS])
    ca_w = {OD: pop * od_mult, HOM: pop * hom_mult}
    town_w = {OD: town_pop * np.array([t.od_mult for t in _TOWNS]),
              HOM: town_pop * np.array([t.hom_mult for t in _TOWNS])}
    other_ca_w = pop * (1 + 0.25 * hom_mult)
    is_chi = rng.random(total) < _P_CHICAGO[cat]
    place = np.zeros(total, dtype=np.int64)
    for c in range(_N_CAT):
        chi_rows = np.flatnonzero(is_chi & (cat == c))
        sub_rows = np.flatnonzero(~is_chi & (cat == c))
        place[chi_rows] = _choice(rng, ca_w.get(c, other_ca_w), len(chi_rows))
        place[sub_rows] = n_ca + _choice(rng, town_w.get(c, town_pop), len(sub_rows))

    ilon = np.zeros(total, dtype=np.int64)
    ilat = np.zeros(total, dtype=np.int64)
    for a in range(n_ca):
        rows = np.flatnonzero(place == a)
        if len(rows):
            ilon[rows], ilat[rows] = _sample_in_polygon(rng, areas, a, len(rows))
    town_lat = np.array([t.lat for t in _TOWNS])
    town_lon = np.array([t.lon for t in _TOWNS])
    todo = np.flatnonzero(~is_chi)
    for _attempt in range(60):
        if not len(todo):
            break
        t = place[todo] - n_ca
        ilat[todo] = np.rint((town_lat[t] + rng.normal(0, 0.009, len(todo))) * 1e6)
        ilon[todo] = np.rint((town_lon[t] + rng.normal(0, 0.011, len(todo))) * 1e6)
        todo = todo[shapely.contains_xy(areas.city, ilon[todo] / 1e6, ilat[todo] / 1e6)]
    if len(todo):  # pathological fallback: the town centroid itself lies outside the city
        t = place[todo] - n_ca
        ilat[todo] = np.rint(town_lat[t] * 1e6)
        ilon[todo] = np.rint(town_lon[t] * 1e6)
    has_coord = rng.random(total) >= 0.08
    chi_geo = is_chi & has_coord
    has_area = chi_geo & (rng.random(total) >= 0.10)
    has_ward = chi_geo & (rng.random(total) >= 0.03)

    # incident street, city, ZIP
    ew_nums = np.array([s[0] for s in _EW_STREETS], dtype=float)
    ns_nums = np.array([s[0] for s in _NS_STREETS], dtype=float)
    north = (ilat / 1e6 - _GRID_LAT0) / _GRID_DEG_LAT
    east = (ilon / 1e6 - _GRID_LON0) / _GRID_DEG_LON
    along_ew = rng.random(total) < 0.5
    grid_names = [s[1] for s in _EW_STREETS] + [s[1] for s in _NS_STREETS]
    street_index = np.where(along_ew, _nearest(ew_nums, north),
                            len(_EW_STREETS) + _nearest(ns_nums, east))
    house = np.maximum(1, np.rint(np.abs(np.where(along_ew, east, north)))).astype(np.int64)
    directions = vocab.ids(["N", "S", "E", "W"])
    chi_dir = np.where(along_ew, np.where(east >= 0, directions[2], directions[3]),
                       np.where(north >= 0, directions[0], directions[1]))
    street_index = np.where(is_chi, street_index,
                            len(grid_names) + rng.integers(0, len(_SUBURB_STREETS), total))
    all_streets = grid_names + list(_SUBURB_STREETS)
    house = np.where(is_chi, house, rng.integers(100, 2500, total))
    title_street = rng.random(total) < 0.25
    titled = vocab.ids([_title_text(t) for t in all_streets])
    street_id = np.where(title_street, titled[street_index], vocab.ids(all_streets)[street_index])
    dir_id = np.where(is_chi, chi_dir, -1)
    u = rng.random(total)
    no_street = ~has_coord & (u < 0.70)
    unknown_street = ~has_coord & (u >= 0.70) & (u < 0.80)

    place_names = ["Chicago"] * n_ca + [t.name for t in _TOWNS]
    u = rng.random(total)
    city_unknown = ~has_coord & (u < 0.15)
    city_absent = ~has_coord & (u >= 0.15) & (u < 0.22)
    city_title = rng.random(total) < np.where(is_chi, 0.12, 0.15)
    inc_city = np.where(city_title, vocab.ids(place_names)[place],
                        vocab.ids([c.upper() for c in place_names])[place])
    inc_city = np.where(city_unknown, vocab.id("UNKNOWN"), np.where(city_absent, -1, inc_city))
    zip_offsets, zip_counts, zip_values = _flat_table(
        [_CA_ZIPS[a] for a in range(1, 78)] + [t.zips for t in _TOWNS])
    zip_ids = vocab.ids(zip_values)
    inc_zip = zip_ids[_pick_in_group(rng, zip_offsets, zip_counts, place)]
    inc_zip = np.where(city_unknown | city_absent | (~has_coord & (rng.random(total) < 0.5))
                       | (rng.random(total) < 0.02), -1, inc_zip)

    # residence
    res_kind = np.where(is_chi, _choice(rng, (0.78, 0.07, 0.08, 0.04, 0.03), total),
                        _choice(rng, (0.68, 0.14, 0.12, 0.03, 0.03), total))
    res_place = place.copy()
    res_place = np.where(res_kind == 1, _choice(rng, pop, total), res_place)
    res_place = np.where(res_kind == 2, n_ca + _choice(rng, town_pop, total), res_place)
    same_zip = (res_kind == 0) & (rng.random(total) < 0.65) & (inc_zip >= 0)
    res_zip = np.where(same_zip, inc_zip,
                       zip_ids[_pick_in_group(rng, zip_offsets, zip_counts, res_place)])
    outside = rng.integers(0, len(_OUTSIDE_RESIDENCES), total)
    outside_city = vocab.ids([c for c, _ in _OUTSIDE_RESIDENCES])
    outside_zip = vocab.ids([z for _, z in _OUTSIDE_RESIDENCES])
    res_city = np.where(res_kind == 3, outside_city[outside], vocab.ids(place_names)[res_place])
    res_zip = np.where(res_kind == 3, outside_zip[outside], res_zip)
    res_unknown = (res_kind == 4) & (rng.random(total) < 0.4)
    res_city = np.where(res_kind == 4, -1, res_city)
    res_zip = np.where((res_kind == 4) | (rng.random(total) < 0.04), -1, res_zip)
    res_case = _choice(rng, (0.55, 0.40, 0.05), total)  # title, upper, lower
    res_city = _case_variants(vocab, res_city, res_case)
    res_city = np.where(res_unknown, vocab.id("UNKNOWN"), res_city)

    # ---- who ------------------------------------------------------------------------------
    age = np.zeros(total, dtype=np.int64)
    for c, (mean, sd, lo, hi) in _AGE.items():
        rows = np.flatnonzero(cat == c)
        mu = mean + (0.5 * (fy[rows] - 2016) if c == OD else 0.0)
        age[rows] = np.clip(np.rint(rng.normal(mu, sd, len(rows))), lo, hi)
    hom_rows = np.flatnonzero(cat == HOM)
    kids = rng.random(len(hom_rows)) < 0.03
    age[hom_rows[kids]] = rng.integers(0, 13, int(kids.sum()))
    und_rows = np.flatnonzero(cat == UND)
    infant = rng.random(len(und_rows)) < 0.15
    age[und_rows[infant]] = 0
    has_age = rng.random(total) >= 0.004
    male = rng.random(total) < np.array(_P_MALE)[cat]
    has_gender = rng.random(total) >= 0.0015
    profile_index = {p: i for i, p in enumerate(_PROFILES)}
    place_profile = np.array([profile_index[p] for p in _CA_PROFILE]
                             + [profile_index[t.profile] for t in _TOWNS])[place]
    race = np.zeros(total, dtype=np.int64)
    latino = np.zeros(total, dtype=bool)
    for i, p in enumerate(_PROFILES):
        rows = np.flatnonzero(place_profile == i)
        race[rows] = _choice(rng, _RACE_P[p], len(rows))
        lat_p = np.where((race[rows] == 0) | (race[rows] == 3), _LATINO_P[p], 0.02)
        latino[rows] = rng.random(len(rows)) < lat_p
    has_race = rng.random(total) >= 0.003

    # ---- how --------------------------------------------------------------------------------
    primary = np.full(total, -1, dtype=np.int64)
    line_a = np.full(total, -1, dtype=np.int64)
    line_b = np.full(total, -1, dtype=np.int64)
    line_c = np.full(total, -1, dtype=np.int64)
    secondary = np.full(total, -1, dtype=np.int64)
    gun = np.zeros(total, dtype=bool)
    opioid_flag = np.zeros(total, dtype=np.int8)  # 1 true, 0 false, -1 absent
    manner = np.zeros(total, dtype=np.int64)
    delayed = np.zeros(total, dtype=bool)

    od_rows = np.flatnonzero(cat == OD)
    od = _overdose_causes(rng, vocab, fy[od_rows])
    primary[od_rows], line_a[od_rows], line_b[od_rows] = od["primary"], od["line_a"], od["line_b"]
    secondary[od_rows] = od["secondary"]
    has_opioid = (od["mask"] & np.int64(_OPIOID_MASK)) != 0
    u = rng.random(len(od_rows))
    opioid_flag[od_rows] = np.where(has_opioid, np.where(u < 0.96, 1, np.where(u < 0.98, 0, -1)), 0)
    manner[od_rows] = np.array([M_ACCIDENT, M_SUICIDE, M_UNDETERMINED])[
        _choice(rng, (0.965, 0.02, 0.015), len(od_rows))]

    blocks = ((HOM, _HOMICIDE_CAUSES, M_HOMICIDE), (SUI, _SUICIDE_CAUSES, M_SUICIDE),
              (NAT, _NATURAL_CAUSES, M_NATURAL), (ACC, _ACCIDENT_CAUSES, M_ACCIDENT),
              (COLD, _COLD_CAUSES, M_ACCIDENT), (HEAT, _HEAT_CAUSES, M_ACCIDENT),
              (COVID, _COVID_CAUSES, M_NATURAL), (UND, _UND_CAUSES, M_UNDETERMINED))
    for c, options, c_manner in blocks:
        rows = np.flatnonzero(cat == c)
        primary[rows], gun[rows] = _cause_block(rng, vocab, options, len(rows))
        manner[rows] = c_manner
    for c, options, share in ((HOM, _HOMICIDE_DELAYED, 0.025), (ACC, _ACCIDENT_DELAYED, 0.02)):
        rows = np.flatnonzero(cat == c)
        rows = rows[rng.random(len(rows)) < share]
        primary[rows], gun[rows] = _cause_block(rng, vocab, options, len(rows))
        delayed[rows] = True
    acc_rows = np.flatnonzero(cat == ACC)
    elderly_ids = vocab.ids([t for t, _, _ in _ACCIDENT_CAUSES + _ACCIDENT_DELAYED
                             if "FALL" in t or "ANTICOAGULATION" in t or "WARFARIN" in t])
    falls = acc_rows[np.isin(primary[acc_rows], elderly_ids)]
    age[falls] = np.clip(np.rint(rng.normal(77, 11, len(falls))), 35, 104)
    infant_rows = und_rows[infant]
    primary[infant_rows], _ = _cause_block(rng, vocab, _UND_INFANT_CAUSES, len(infant_rows))
    for c in (COLD, HEAT):  # a share of weather deaths are certified natural
        rows = np.flatnonzero(cat == c)
        manner[rows[rng.random(len(rows)) < 0.12]] = M_NATURAL
    gun &= rng.random(total) < 0.98

    nat_rows = np.flatnonzero(cat == NAT)
    has_sec = rng.random(len(nat_rows)) < 0.30
    pick = _choice(rng, [w for _, w, _ in _NATURAL_SECONDARY], len(nat_rows))
    sec_ids = vocab.ids([s for s, _, _ in _NATURAL_SECONDARY])
    secondary[nat_rows[has_sec]] = sec_ids[pick[has_sec]]
    sets_opioid = np.array([f for _, _, f in _NATURAL_SECONDARY])[pick] & has_sec
    opioid_flag[nat_rows[sets_opioid & (rng.random(len(nat_rows)) < 0.7)]] = 1
    gen_ids = vocab.ids([s for s, _ in _GENERAL_SECONDARY])
    for c, p in _SECONDARY_P.items():
        rows = np.flatnonzero(cat == c)
        rows = rows[rng.random(len(rows)) < p]
        secondary[rows] = gen_ids[_choice(rng, [w for _, w in _GENERAL_SECONDARY], len(rows))]
    others = np.flatnonzero((cat != OD) & (cat != NAT))
    opioid_flag[others[rng.random(len(others)) < 0.004]] = 1

    # single-line causes repeated in line A from 2019 on
    single = (cat != OD) & (fy >= 2019.0) & (rng.random(total) < 0.6)
    line_a[single] = primary[single]

    # toxicology pending in the last three months
    p_pending = np.zeros(total)
    recent = months_before_end <= 2
    mb = np.clip(months_before_end, 0, 2)
    p_pending[recent] = np.where(cat[recent] == OD, np.array(_PENDING_OD)[mb[recent]],
                                 np.where(cat[recent] == HOM, np.array(_PENDING_HOM)[mb[recent]],
                                          np.array(_PENDING_OTHER)[mb[recent]]))
    pending = rng.random(total) < p_pending
    pending_text = rng.random(total) < 0.55
    manner[pending] = M_PENDING
    primary[pending] = np.where(pending_text[pending], vocab.id("PENDING"), -1)
    line_a[pending] = line_b[pending] = line_c[pending] = secondary[pending] = -1
    opioid_flag[pending] = -1

    manner_title = rng.random(total) < 0.02

    # ---- when, in detail ----------------------------------------------------------------
    offset = np.rint(rng.exponential(1.0, total) * np.array(
        [90, 45, 60, 60, 120, 300, 120, 2880, 120])[cat]).astype(np.int64)
    offset[rng.random(total) < 0.25] = 0
    nat_same = (cat == NAT) & (rng.random(total) < 0.6)
    offset[nat_same] = 0
    later = ((cat == HOM) & (rng.random(total) < 0.06)) | ((cat == ACC) & (rng.random(total) < 0.3))
    offset[later] += rng.integers(1, 30, total)[later] * 1440
    years_ago = rng.integers(365, 25 * 365, total) * 1440 + rng.integers(0, 1440, total)
    offset[delayed] = years_ago[delayed]
    incident = death - offset
    has_incident = rng.random(total) >= 0.02

    # ---- identifiers -----------------------------------------------------------------------
    steps = 1 + np.where(rng.random(total) < 0.03, rng.integers(1, 4, total), 0)
    cum = np.cumsum(steps)
    year_first = np.concatenate([[True], year[1:] != year[:-1]])
    base = np.maximum.accumulate(np.where(year_first, cum - steps, 0))
    seq = cum - base

    # ---- address-only Chicago deaths ----------------------------------------------------------
    # Most Chicago cases without coordinates keep their street address (house number on the
    # street grid nearest the drawn point, now and then with a unit or a hotel name), the city
    # and a ZIP of their area. Drawn from a stream of their own, so every other field of every
    # record is what it was before they were added.
    extra = np.random.default_rng([seed, 1])
    address_only = is_chi & ~has_coord & (extra.random(total) < _P_ADDRESS_ONLY)
    no_street &= ~address_only
    unknown_street &= ~address_only
    inc_city = np.where(address_only, np.where(city_title, vocab.id("Chicago"), vocab.id("CHICAGO")), inc_city)
    inc_zip = np.where(address_only, zip_ids[_pick_in_group(extra, zip_offsets, zip_counts, place)], inc_zip)
    prefix_pick = extra.integers(0, len(_ADDRESS_PREFIXES), total)
    suffix_pick = extra.integers(0, len(_ADDRESS_SUFFIXES), total)
    street_prefix = np.where(address_only & (extra.random(total) < 0.08),
                             vocab.ids(_ADDRESS_PREFIXES)[prefix_pick], -1)
    street_suffix = np.where(address_only & (extra.random(total) < 0.25),
                             vocab.ids(_ADDRESS_SUFFIXES)[suffix_pick], -1)
    dotted = address_only & (extra.random(total) < 0.15)  # "3001 W. JACKSON BLVD"
    dotted_dirs = vocab.ids(["N.", "S.", "E.", "W."])
    dir_id = np.where(dotted, dotted_dirs[np.argmax(dir_id[:, None] == directions[None, :], axis=1)], dir_id)

    # ---- assemble ----------------------------------------------------------------------------
    frame = pl.DataFrame({
        "year": year, "seq": seq, "death": death.astype("datetime64[ms]"),
        "incident": incident.astype("datetime64[ms]"), "has_incident": has_incident,
        "age": age, "has_age": has_age, "latino": latino,
        "opioid_flag": opioid_flag, "gun": gun, "cat": cat,
        "ilat": ilat, "ilon": ilon, "has_coord": has_coord, "has_area": has_area,
        "has_ward": has_ward, "place": place, "house": house,
        "no_street": no_street, "unknown_street": unknown_street, "is_chi": is_chi,
        "ward_pick": rng.random(total), "objectid": np.arange(1, total + 1),
    })
    manner_ids = np.where(manner_title, vocab.ids([m.title() for m in _MANNERS])[manner],
                          vocab.ids(_MANNERS)[manner])
    texts = {
        "primarycause": vocab.column(primary, "primarycause"),
        "primarycause_linea": vocab.column(line_a, "primarycause_linea"),
        "primarycause_lineb": vocab.column(line_b, "primarycause_lineb"),
        "primarycause_linec": vocab.column(line_c, "primarycause_linec"),
        "secondarycause": vocab.column(secondary, "secondarycause"),
        "street_name": vocab.column(street_id, "street_name"),
        "street_dir": vocab.column(dir_id, "street_dir"),
        "street_prefix": vocab.column(street_prefix, "street_prefix"),
        "street_suffix": vocab.column(street_suffix, "street_suffix"),
        "incident_city": vocab.column(inc_city, "incident_city"),
        "incident_zip": vocab.column(inc_zip, "incident_zip"),
        "residence_city": vocab.column(res_city, "residence_city"),
        "residence_zip": vocab.column(res_zip, "residence_zip"),
        "manner": vocab.column(manner_ids, "manner"),
        "gender": vocab.column(np.where(has_gender, np.where(male, vocab.id("Male"),
                                                             vocab.id("Female")), -1), "gender"),
        "race": vocab.column(np.where(has_race, vocab.ids(_RACES)[race], -1), "race"),
    }
    frame = frame.with_columns(**texts)
    return _to_soda_frame(frame)


def _ward_table() -> tuple[pl.Series, pl.Series, pl.Series]:
    offsets, counts, values = _flat_table([tuple(map(str, _CA_WARDS[a])) for a in range(1, 78)])
    return (pl.Series(offsets.tolist(), dtype=pl.Int64), pl.Series(counts.tolist(), dtype=pl.Int64),
            pl.Series([f"{v}.0" for v in values], dtype=pl.String))


def _to_soda_frame(work: pl.DataFrame) -> pl.DataFrame:
    """Turn the numeric working frame into the SODA-shaped string/boolean frame."""
    areas = _community_areas()
    n_ca = 77
    area_names = pl.Series([*areas.names, *([None] * len(_TOWNS))], dtype=pl.String)
    districts = pl.Series([str(d) for d in _CA_DISTRICT] + [str(t.district) for t in _TOWNS],
                          dtype=pl.String)
    ward_offsets, ward_counts, ward_values = _ward_table()
    place = pl.col("place")
    is_chi = pl.col("is_chi")
    coord = pl.col("has_coord")

    def decimal(col: str) -> pl.Expr:
        value = pl.col(col)
        magnitude = value.abs()
        text = pl.concat_str([
            pl.when(value < 0).then(pl.lit("-")).otherwise(pl.lit("")),
            (magnitude // 1_000_000).cast(pl.String), pl.lit("."),
            (magnitude % 1_000_000).cast(pl.String).str.zfill(6),
        ])
        return text.str.strip_chars_end("0").str.strip_chars_end(".")

    ward_index = pl.col("place").clip(0, n_ca - 1)
    ward_pos = (
        pl.lit(ward_offsets).gather(ward_index)
        + (pl.col("ward_pick") * pl.lit(ward_counts).gather(ward_index)).floor().cast(pl.Int64)
    )
    street = pl.concat_str(
        [pl.col("house").cast(pl.String), pl.col("street_dir"), pl.col("street_name")],
        separator=" ", ignore_nulls=True)
    fmt = "%Y-%m-%dT%H:%M:%S.000"

    out = work.select(
        casenumber=pl.concat_str([pl.lit("ME"), pl.col("year").cast(pl.String), pl.lit("-"),
                                  pl.col("seq").cast(pl.String).str.zfill(5)]),
        death_date=pl.col("death").dt.strftime(fmt),
        incident_date=pl.when(pl.col("has_incident")).then(pl.col("incident").dt.strftime(fmt)),
        age=pl.when(pl.col("has_age")).then(pl.col("age").cast(pl.String)),
        gender=pl.col("gender"),
        race=pl.col("race"),
        latino=pl.col("latino"),
        manner=pl.col("manner"),
        primarycause=pl.col("primarycause"),
        primarycause_linea=pl.col("primarycause_linea"),
        primarycause_lineb=pl.col("primarycause_lineb"),
        primarycause_linec=pl.col("primarycause_linec"),
        secondarycause=pl.col("secondarycause"),
        opioids=pl.when(pl.col("opioid_flag") >= 0).then(pl.col("opioid_flag") == 1),
        gunrelated=pl.col("gun"),
        cold_related=pl.col("cat") == COLD,
        heat_related=pl.col("cat") == HEAT,
        covid_related=pl.when(pl.col("death") >= pl.datetime(2020, 3, 1))
        .then(pl.col("cat") == COVID),
        incident_street=pl.when(pl.col("no_street")).then(None)
        .when(pl.col("unknown_street")).then(pl.lit("UNKNOWN"))
        .otherwise(pl.concat_str([pl.col("street_prefix").fill_null(""), street,
                                  pl.col("street_suffix").fill_null("")])),
        incident_city=pl.col("incident_city"),
        incident_zip=pl.col("incident_zip"),
        residence_city=pl.col("residence_city"),
        residence_zip=pl.col("residence_zip"),
        latitude=pl.when(coord).then(decimal("ilat")),
        longitude=pl.when(coord).then(decimal("ilon")),
        chi_ward=pl.when(pl.col("has_ward") & is_chi).then(pl.lit(ward_values).gather(ward_pos)),
        chi_commarea=pl.when(pl.col("has_area") & is_chi).then(pl.lit(area_names).gather(place)),
        commissioner_district=pl.when(coord).then(pl.lit(districts).gather(place)),
        objectid=pl.col("objectid").cast(pl.String),
    )
    location = pl.when(pl.col("latitude").is_not_null()).then(pl.struct(
        type=pl.lit("Point"),
        coordinates=pl.concat_list([pl.col("longitude").cast(pl.Float64),
                                    pl.col("latitude").cast(pl.Float64)])))
    return out.with_columns(location=location).select(FIELDS)


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


_CHUNK_ROWS = 100_000


def _object_strings(frame: pl.DataFrame, prefix: str = "") -> pl.Series:
    """One compact JSON object per row (``prefix`` + ``{...}``), null fields omitted.

    Keys follow :data:`FIELDS`.  String values are written without escaping: every text the
    generator emits comes from the checked vocabulary (see ``_Vocab``) or from number and date
    formatting, none of which contains a quote, backslash or control character.
    """
    parts: list[pl.Expr] = []
    for name in FIELDS:
        col = pl.col(name)
        key = f'"{name}":'
        if name in BOOL_FIELDS:
            part = pl.when(col).then(pl.lit(key + "true")).when(col.not_()).then(
                pl.lit(key + "false"))
        elif name == "location":
            part = pl.when(pl.col("latitude").is_not_null()).then(pl.concat_str([
                pl.lit(key + '{"type":"Point","coordinates":['), pl.col("longitude"), pl.lit(","),
                pl.col("latitude"), pl.lit("]}")]))
        else:
            part = pl.concat_str([pl.lit(key + '"'), col, pl.lit('"')])
        parts.append(part.alias(name))
    # Build the key:value parts in one (parallel) select, then join them per row.
    pieces = frame.select(parts)
    row = pl.concat_str([pl.lit(prefix + "{"),
                         pl.concat_str(pl.all(), separator=",", ignore_nulls=True), pl.lit("}")])
    return pieces.select(row.alias("json")).to_series()


def _write_json_array(frame: pl.DataFrame, handle) -> None:
    """Write ``frame`` to a binary handle as a JSON array: ``[{..}``, ``,{..}`` per line, ``]``."""
    handle.write(b"[")
    for offset in range(0, frame.height, _CHUNK_ROWS):
        lines = _object_strings(frame.slice(offset, _CHUNK_ROWS), prefix=",")
        if offset == 0:
            handle.write(lines[0][1:].encode("utf-8") + b"\n")
            lines = lines.slice(1)
        lines.to_frame().write_csv(handle, include_header=False, quote_style="never",
                                   line_terminator="\n")
    handle.write(b"]\n")


def frame_to_records(frame: pl.DataFrame) -> list[dict]:
    """SODA-style dicts from a :func:`generate_me_frame` frame (null fields dropped).

    The dicts equal what parsing the file written by :func:`write_me_demo` gives.
    """
    columns = [frame.get_column(name).to_list() for name in FIELDS]
    return [{k: v for k, v in zip(FIELDS, row) if v is not None} for row in zip(*columns)]


def generate_me_records(*, n: int = DEFAULT_N, seed: int = DEFAULT_SEED,
                        start: date = DEFAULT_START, end_month: date | None = None,
                        scale: float = 1.0) -> list[dict]:
    """Generate the synthetic archive as SODA 2.1 JSON objects (dicts; absent = null).

    Arguments as for :func:`generate_me_frame`; the dicts are exactly what parsing the file
    written by :func:`write_me_demo` gives.
    """
    return frame_to_records(generate_me_frame(n=n, seed=seed, start=start, end_month=end_month,
                                              scale=scale))


def write_me_demo(path: Path, **kwargs) -> int:
    """Write the synthetic archive to ``path`` as a UTF-8 JSON array; return the record count.

    Keyword arguments go to :func:`generate_me_frame`.  The file is written to a temporary file
    in the same folder and moved into place with ``os.replace``; equal arguments give
    byte-identical files.
    """
    path = Path(path)
    frame = generate_me_frame(**kwargs)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            _write_json_array(frame, handle)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return frame.height


def _parse_month(text: str) -> date:
    try:
        year, month = (int(p) for p in text.split("-")[:2])
        return date(year, month, 1)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM, got {text!r}") from exc


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: write the demo archive and report count and timing.

    Without ``--out`` the file goes where the pipeline's demo mode reads it
    (``<ODW_RAW_DIR>/demo/medical_examiner/<dataset id>.json``); without ``--end-month`` the
    ``ODW_DEMO_END_MONTH`` setting applies, else the month before the current one.
    """
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.demo.medical_examiner",
        description="Write a deterministic synthetic Cook County ME archive (SODA 2.1 JSON array).")
    parser.add_argument("--out", type=Path, default=None,
                        help="output JSON file (default: the pipeline's demo input path)")
    parser.add_argument("--n", type=int, default=DEFAULT_N,
                        help="base record count (default 25000)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies --n (default 1)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--start", type=date.fromisoformat, default=DEFAULT_START,
                        help="first death date, YYYY-MM-DD (default 2016-01-01)")
    parser.add_argument("--end-month", type=_parse_month, default=None,
                        help="last month included, YYYY-MM (default: ODW_DEMO_END_MONTH, else "
                             "the month before the current one)")
    args = parser.parse_args(argv)
    out, end_month = args.out, args.end_month
    if out is None or end_month is None:
        from pipelines.settings import load_settings

        settings = load_settings()
        out = out or settings.demo_dir / "medical_examiner" / f"{settings.me_dataset_id}.json"
        end_month = end_month or settings.demo_end_month
    began = time.perf_counter()
    count = write_me_demo(out, n=args.n, scale=args.scale, seed=args.seed, start=args.start,
                          end_month=end_month)
    print(f"wrote {count} records to {out} in {time.perf_counter() - began:.1f}s",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

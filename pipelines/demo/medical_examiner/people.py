"""Who died: age, sex, race and ethnicity of the synthetic decedents.

Age follows a per-category normal distribution (overdose decedents getting older by half a year
a year), with a few children among homicides and infants among undetermined deaths; sex a
per-category share of men; race and Latino ethnicity the demographic profile of the place of
death (:data:`~.places.CA_PROFILE`, the towns' profiles).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.demo.medical_examiner.categories import ACC, COLD, COVID, HEAT, HOM, NAT, OD, SUI, UND
from pipelines.demo.medical_examiner.places import CA_PROFILE, TOWNS
from pipelines.demo.medical_examiner.sampling import choice

#: Race category probabilities per profile, and P(latino) for White/Other decedents.
RACES = ("White", "Black", "Asian", "Other", "Am. Indian")
_RACE_P = {
    "B": (0.06, 0.90, 0.005, 0.03, 0.005),
    "L": (0.80, 0.08, 0.01, 0.10, 0.01),
    "M": (0.50, 0.30, 0.06, 0.13, 0.01),
    "W": (0.80, 0.08, 0.07, 0.04, 0.01),
}
_LATINO_P = {"B": 0.5, "L": 0.85, "M": 0.35, "W": 0.12}
_PROFILES = ("B", "L", "M", "W")

#: Age (mean, sd, min, max) and P(male) by category.
_AGE = {OD: (44.0, 12.0, 15, 90), HOM: (29.0, 11.0, 13, 90), SUI: (45.0, 17.0, 11, 98),
        NAT: (63.0, 14.0, 18, 104), ACC: (42.0, 18.0, 1, 100), COLD: (61.0, 14.0, 20, 99),
        HEAT: (68.0, 14.0, 18, 104), COVID: (70.0, 13.0, 20, 104), UND: (45.0, 20.0, 1, 95)}
_P_MALE = (0.76, 0.87, 0.78, 0.66, 0.62, 0.75, 0.60, 0.58, 0.55)


@dataclass(frozen=True)
class People:
    """Age, sex and race of each decedent; ``has_*`` false where the archive leaves it out."""

    age: np.ndarray
    has_age: np.ndarray
    male: np.ndarray
    has_gender: np.ndarray
    race: np.ndarray  # index into RACES
    latino: np.ndarray
    has_race: np.ndarray
    infant_rows: np.ndarray  # rows of the undetermined deaths of infants


def draw_people(rng: np.random.Generator, cat: np.ndarray, fy: np.ndarray, place: np.ndarray) -> People:
    """The decedent of each case of category ``cat``, dying in year ``fy`` at ``place``."""
    total = len(cat)
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
    place_profile = np.array([profile_index[p] for p in CA_PROFILE]
                             + [profile_index[t.profile] for t in TOWNS])[place]
    race = np.zeros(total, dtype=np.int64)
    latino = np.zeros(total, dtype=bool)
    for i, p in enumerate(_PROFILES):
        rows = np.flatnonzero(place_profile == i)
        race[rows] = choice(rng, _RACE_P[p], len(rows))
        lat_p = np.where((race[rows] == 0) | (race[rows] == 3), _LATINO_P[p], 0.02)
        latino[rows] = rng.random(len(rows)) < lat_p
    has_race = rng.random(total) >= 0.003
    return People(age=age, has_age=has_age, male=male, has_gender=has_gender, race=race, latino=latino,
                  has_race=has_race, infant_rows=und_rows[infant])

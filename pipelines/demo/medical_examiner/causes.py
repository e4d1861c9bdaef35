"""Cause of death, manner and flags of each synthetic case, as the archive writes them.

Overdose texts come from :mod:`.overdose_causes`; every other category draws its primary cause
from a weighted list of the archive's phrasings (with a gun-related flag), a few of them delayed
deaths from an old injury, and some a secondary cause. Quirks reproduced: ``opioids`` is true on
~96 % of opioid overdoses (false or absent on the rest) and also on some non-overdose deaths
(natural deaths with secondary cause "RECENT HEROIN USE"); from 2019 most records repeat a
single-line cause in ``primarycause_linea``; a pending case (:func:`~.timing.draw_pending`) has
cause "PENDING" or none (:func:`mark_pending`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pipelines.demo.medical_examiner.categories import ACC, COLD, COVID, HEAT, HOM, NAT, OD, SUI, UND
from pipelines.demo.medical_examiner.overdose_causes import OPIOID_MASK, overdose_causes
from pipelines.demo.medical_examiner.sampling import Vocab, choice

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

MANNERS = ("ACCIDENT", "SUICIDE", "HOMICIDE", "NATURAL", "UNDETERMINED", "PENDING")
M_ACCIDENT, M_SUICIDE, M_HOMICIDE, M_NATURAL, M_UNDETERMINED, M_PENDING = range(6)


def _cause_block(rng: np.random.Generator, vocab: Vocab, options: Sequence[tuple], size: int
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Draw causes from ``(text, weight, gun)`` options: (vocab ids, gun-related flags)."""
    pick = choice(rng, [o[1] for o in options], size)
    ids = vocab.ids([o[0] for o in options])
    guns = np.array([o[2] for o in options], dtype=bool)
    return ids[pick], guns[pick]


@dataclass(frozen=True)
class Causes:
    """The cause fields (vocabulary ids, -1 absent), manner and flags of each case.

    The arrays are filled in place by :func:`draw_causes` and :func:`mark_pending`.
    """

    primary: np.ndarray
    line_a: np.ndarray
    line_b: np.ndarray
    line_c: np.ndarray
    secondary: np.ndarray
    gun: np.ndarray
    opioid_flag: np.ndarray  # 1 true, 0 false, -1 absent
    manner: np.ndarray  # index into MANNERS
    delayed: np.ndarray  # a death from an old injury (its incident lies years back)


def draw_causes(rng: np.random.Generator, vocab: Vocab, cat: np.ndarray, fy: np.ndarray, age: np.ndarray,
                infant_rows: np.ndarray) -> Causes:
    """The causes of each case of category ``cat`` dying in year ``fy``.

    Elderly falls and anticoagulation accidents re-draw the decedent's ``age`` (in place); the
    ``infant_rows`` (undetermined deaths of infants) get infant causes.
    """
    total = len(cat)
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
    od = overdose_causes(rng, vocab, fy[od_rows])
    primary[od_rows], line_a[od_rows], line_b[od_rows] = od["primary"], od["line_a"], od["line_b"]
    secondary[od_rows] = od["secondary"]
    has_opioid = (od["mask"] & np.int64(OPIOID_MASK)) != 0
    u = rng.random(len(od_rows))
    opioid_flag[od_rows] = np.where(has_opioid, np.where(u < 0.96, 1, np.where(u < 0.98, 0, -1)), 0)
    manner[od_rows] = np.array([M_ACCIDENT, M_SUICIDE, M_UNDETERMINED])[
        choice(rng, (0.965, 0.02, 0.015), len(od_rows))]

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
    primary[infant_rows], _ = _cause_block(rng, vocab, _UND_INFANT_CAUSES, len(infant_rows))
    for c in (COLD, HEAT):  # a share of weather deaths are certified natural
        rows = np.flatnonzero(cat == c)
        manner[rows[rng.random(len(rows)) < 0.12]] = M_NATURAL
    gun &= rng.random(total) < 0.98

    nat_rows = np.flatnonzero(cat == NAT)
    has_sec = rng.random(len(nat_rows)) < 0.30
    pick = choice(rng, [w for _, w, _ in _NATURAL_SECONDARY], len(nat_rows))
    sec_ids = vocab.ids([s for s, _, _ in _NATURAL_SECONDARY])
    secondary[nat_rows[has_sec]] = sec_ids[pick[has_sec]]
    sets_opioid = np.array([f for _, _, f in _NATURAL_SECONDARY])[pick] & has_sec
    opioid_flag[nat_rows[sets_opioid & (rng.random(len(nat_rows)) < 0.7)]] = 1
    gen_ids = vocab.ids([s for s, _ in _GENERAL_SECONDARY])
    for c, p in _SECONDARY_P.items():
        rows = np.flatnonzero(cat == c)
        rows = rows[rng.random(len(rows)) < p]
        secondary[rows] = gen_ids[choice(rng, [w for _, w in _GENERAL_SECONDARY], len(rows))]
    others = np.flatnonzero((cat != OD) & (cat != NAT))
    opioid_flag[others[rng.random(len(others)) < 0.004]] = 1

    # single-line causes repeated in line A from 2019 on
    single = (cat != OD) & (fy >= 2019.0) & (rng.random(total) < 0.6)
    line_a[single] = primary[single]
    return Causes(primary=primary, line_a=line_a, line_b=line_b, line_c=line_c, secondary=secondary, gun=gun,
                  opioid_flag=opioid_flag, manner=manner, delayed=delayed)


def mark_pending(vocab: Vocab, causes: Causes, pending: np.ndarray, pending_text: np.ndarray) -> None:
    """Pending cases (toxicology outstanding) have manner PENDING, cause "PENDING" where
    ``pending_text`` or none, no other cause field and no opioid flag (in place)."""
    causes.manner[pending] = M_PENDING
    causes.primary[pending] = np.where(pending_text[pending], vocab.id("PENDING"), -1)
    causes.line_a[pending] = causes.line_b[pending] = causes.line_c[pending] = causes.secondary[pending] = -1
    causes.opioid_flag[pending] = -1

"""The cause-of-death texts of synthetic drug overdoses: which drugs, and how the archive words them.

A death's drugs are a bit mask (bit *i* = ``_DRUG_NAMES[i]``) drawn with year-dependent
probabilities (see the package docstring, "Drugs"), rendered by one of the archive's phrasings,
now and then misspelt, and placed in the primary cause and/or its lines A and B.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pipelines.demo.medical_examiner.sampling import Vocab, choice, draw_rows, yearly, yearly_rows

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
OPIOID_MASK = sum(1 << b for b in _OPIOID_BITS)
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


def overdose_causes(rng: np.random.Generator, vocab: Vocab, fy: np.ndarray
                     ) -> dict[str, np.ndarray]:
    """Drug masks and cause/line/secondary text ids for overdose rows (fractional years ``fy``)."""
    k = len(fy)
    mask = np.zeros(k, dtype=np.int64)

    def add(bit: int, where: np.ndarray) -> None:
        mask[where] |= np.int64(1 << bit)

    opioid = rng.random(k) < _P_OPIOID_OD
    otype = draw_rows(rng, yearly_rows(_OPIOID_TYPE, fy))
    fent = opioid & ((otype == 0) | (otype == 2))
    add(B_FENT, fent)
    add(B_HEROIN, opioid & ((otype == 1) | (otype == 2)))
    add(B_OPIOID, opioid & (otype == 4))
    rx_pick = np.array(_RX_BITS)[choice(rng, _RX_P, k)]
    rx_only = opioid & (otype == 3)
    rx_co = opioid & (otype != 3) & (otype != 4) & (rng.random(k) < 0.04)
    for bit in _RX_BITS:
        add(bit, (rx_only | rx_co) & (rx_pick == bit))
    add(B_ANPP, fent & (rng.random(k) < yearly(_P_ANPP, fy)))
    add(B_ACETYL, fent & (rng.random(k) < yearly(_P_ACETYL, fy)))
    add(B_FLUORO, fent & (rng.random(k) < yearly(_P_FLUORO, fy)))
    add(B_CARFENT, fent & (rng.random(k) < yearly(_P_CARFENT, fy)))
    add(B_XYLAZINE, fent & (rng.random(k) < yearly(_P_XYLAZINE, fy)))
    nit_pick = np.array(_NITAZENE_BITS)[choice(rng, (0.5, 0.3, 0.2), k)]
    nitazene = opioid & (otype != 4) & (rng.random(k) < yearly(_P_NITAZENE, fy))
    for bit in _NITAZENE_BITS:
        add(bit, nitazene & (nit_pick == bit))
    add(B_COCAINE, rng.random(k) < np.where(opioid, 0.45, 0.62))
    add(B_METH, rng.random(k) < np.where(opioid, 1.0, 3.0) * yearly(_P_METH, fy))
    add(B_ALPRAZOLAM, rng.random(k) < yearly(_P_ALPRAZOLAM, fy))
    add(B_BROMAZOLAM, rng.random(k) < yearly(_P_BROMAZOLAM, fy))
    add(B_ETIZOLAM, rng.random(k) < yearly(_P_ETIZOLAM, fy))
    add(B_CLONAZEPAM, rng.random(k) < 0.015)
    add(B_DIAZEPAM, rng.random(k) < 0.01)
    add(B_DPH, rng.random(k) < 0.04)
    add(B_GABAPENTIN, rng.random(k) < yearly(_P_GABAPENTIN, fy))
    add(B_MDMA, ~opioid & (rng.random(k) < 0.05))
    add(B_ETHANOL, rng.random(k) < np.where(opioid, 0.16, 0.25))
    # A non-opioid overdose always names a drug other than ethanol: default to cocaine.
    drugless = (mask & ~np.int64(1 << B_ETHANOL)) == 0
    add(B_COCAINE, drugless)

    n_drugs = np.zeros(k, dtype=np.int64)
    for bit in range(len(_DRUG_NAMES)):
        n_drugs += (mask >> bit) & 1
    template = np.where(n_drugs == 1, choice(rng, (0.55, 0.20, 0.12, 0.13), k),
                        choice(rng, (0.40, 0.15, 0.15, 0.14, 0.03, 0.05, 0.03, 0.05), k))
    u = rng.random(k)
    probable = np.where(u < 0.08, 1, np.where(u < 0.16, 2, 0))
    misspell = np.where(rng.random(k) < 0.02, rng.integers(1, 5, k), 0)
    anpp_form = choice(rng, (0.55, 0.25, 0.10, 0.10), k)
    key = (mask | (template << 32) | (probable << 36) | (misspell << 39) | (anpp_form << 42))
    uniq, inverse = np.unique(key, return_inverse=True)
    texts = [_render_drug_text(int(v) & 0xFFFFFFFF, int(v) >> 32 & 0xF, int(v) >> 36 & 0x7,
                               int(v) >> 39 & 0x7, int(v) >> 42 & 0x3) for v in uniq]
    drug_id = vocab.ids(texts)[inverse.ravel()]

    # Where the text sits: 0 primary only, 1 primary + same line A (from 2019),
    # 2 lines only (line A = drugs, or line A = immediate cause and line B = drugs),
    # 3 primary "X DUE TO drugs" with line A = X and line B = drugs.
    post = fy >= 2019.0
    mode = np.where(post, choice(rng, (0.35, 0.57, 0.04, 0.04), k),
                    choice(rng, (0.92, 0.0, 0.04, 0.04), k))
    imm_ids = vocab.ids(_IMMEDIATE_CAUSES)[choice(rng, (0.35, 0.25, 0.15, 0.25), k)]
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
    sec_pick = choice(rng, [w for _, w in _OD_SECONDARY], k)
    sec_ids = vocab.ids([s for s, _ in _OD_SECONDARY])[sec_pick]
    secondary[has_sec] = sec_ids[has_sec]
    return {"mask": mask, "primary": primary, "line_a": line_a, "line_b": line_b,
            "secondary": secondary}


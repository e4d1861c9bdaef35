"""The known answers of the overdose case definition: one death per row, its cause fields, manner
and the classification it must get (used by ``test_classify.py``)."""

from __future__ import annotations

from typing import NamedTuple

import polars as pl

from pipelines.defs.epidemiology.cause_text import CAUSE_FIELDS

SCHEMA = {c: pl.String for c in (*CAUSE_FIELDS, "manner")} | {"opioids": pl.Boolean}


class Case(NamedTuple):
    """One death: its cause fields, manner and the expected classification."""

    primary: str | None
    secondary: str | None = None
    manner: str | None = "ACCIDENT"
    overdose: bool = True
    flags: str = ""  # space-separated expected true flags; every other flag must be false
    count: int = 0
    lines: tuple[str | None, str | None, str | None] = (None, None, None)


def frame(rows: list[dict]) -> pl.DataFrame:
    """A case frame with every input column, missing values null."""
    return pl.DataFrame([{c: row.get(c) for c in SCHEMA} for row in rows], schema=SCHEMA)


def case_row(case: Case) -> dict:
    """The input row of a table case."""
    line_a, line_b, line_c = case.lines
    return {
        "primarycause": case.primary,
        # Without explicit lines, line A repeats the primary cause: the same text twice reads the same.
        "primarycause_linea": line_a if any(case.lines) else case.primary,
        "primarycause_lineb": line_b,
        "primarycause_linec": line_c,
        "secondarycause": case.secondary,
        "manner": case.manner,
    }


CASES: list[Case] = [
    # --- single drugs, misspellings ---
    Case("FENTANYL TOXICITY", flags="fentanyl any_opioid", count=1),
    Case("FENTNAYL TOXICITY", flags="fentanyl any_opioid", count=1),
    Case("FENTANYL TOXCIITY", flags="fentanyl any_opioid", count=1),
    Case("FENTANYL INTOXICAITON", flags="fentanyl any_opioid", count=1),
    Case("PROBABLE FENTANYL TOXICITY", flags="fentanyl any_opioid", count=1),
    Case("HERION TOXICITY", flags="heroin any_opioid", count=1),
    Case("HEROINE TOXICITY", flags="heroin any_opioid", count=1),
    Case("HEROIN AND FENTANYL TOXOCITY", flags="fentanyl heroin any_opioid", count=2),
    Case("COCIANE TOXICITY", flags="cocaine", count=1),
    Case("COCAINE TOXCITY", flags="cocaine", count=1),
    Case("ACUTE COCAINE INTOXICATION", flags="cocaine", count=1),
    Case("METHAMPHETEMINE TOXICITY", flags="methamphetamine", count=1),
    Case("AMPHETAMINE AND METHAMPHETAMINE TOXICITY", flags="methamphetamine", count=2),
    # --- combined drug toxicity, drug lists without a toxicity word ---
    Case(
        "COMBINED DRUG (FENTANYL, DESPROPIONYL FENTANYL, PROBABLE COCAINE) AND ETHANOL TOXICITY",
        flags="fentanyl any_opioid cocaine ethanol",
        count=4,
    ),
    Case("COMBINED FENTANYL AND ALPRAZOLAM", flags="fentanyl any_opioid benzodiazepine", count=2),
    Case("FENTANYL AND COCAINE", flags="fentanyl any_opioid cocaine", count=2),
    Case(
        "COCAINE AND HEROIN TOXICITY",
        "HYPERTENSIVE AND ARTERIOSCLEROTIC CARDIOVASCULAR DISEASE",
        flags="heroin any_opioid cocaine",
        count=2,
    ),
    Case("FENTANYL TOXICITY", "ETHANOL TOXICITY", flags="fentanyl any_opioid ethanol", count=2),
    Case("ALCOHOL AND FENTANYL TOXICITY", flags="fentanyl any_opioid ethanol", count=2),
    Case("ETOH AND HEROIN TOXICITY", flags="heroin any_opioid ethanol", count=2),
    Case(
        "POLYSUBSTANCE TOXICITY (FENTANYL, COCAINE, ETHANOL)",
        flags="fentanyl any_opioid cocaine ethanol",
        count=3,
    ),
    Case(
        "ACUTE HEROIN, FENTANYL AND XYLAZINE INTOXICATION",
        flags="fentanyl heroin any_opioid xylazine",
        count=3,
    ),
    Case("METHAMPHETAMINE AND FENTANYL TOXICITY", flags="fentanyl any_opioid methamphetamine", count=2),
    Case(
        "ACUTE INTOXICATION DUE TO THE COMBINED EFFECTS OF HEROIN AND COCAINE",
        flags="heroin any_opioid cocaine",
        count=2,
    ),
    Case("TOXIC EFFECTS OF FENTANYL", flags="fentanyl any_opioid", count=1),
    Case("ASPIRATION PNEUMONIA DUE TO METHADONE TOXICITY", flags="rx_opioid any_opioid", count=1),
    Case("FENTANYL TOXICITY IN A KNOWN HEROIN USER", flags="fentanyl any_opioid", count=1),
    # --- fentanyl analogues, precursors, metabolites ---
    Case("ACETYL FENTANYL TOXICITY", flags="fentanyl any_opioid", count=1),
    Case("CARFENTANIL TOXICITY", flags="fentanyl any_opioid", count=1),
    Case("FENTANYL, ACETYL FENTANYL AND CARFENTANIL TOXICITY", flags="fentanyl any_opioid", count=3),
    Case("FENTANYL, 4-ANPP AND XYLAZINE TOXICITY", flags="fentanyl any_opioid xylazine", count=3),
    Case("DESPROPIONYL FENTANYL (4-ANPP) AND FENTANYL TOXICITY", flags="fentanyl any_opioid", count=2),
    Case("ANPP AND FENTANYL TOXICITY", flags="fentanyl any_opioid", count=2),
    Case(
        "PARA-FLUOROFENTANYL, FENTANYL AND XYLAZINE TOXICITY",
        flags="fentanyl any_opioid xylazine",
        count=3,
    ),
    Case("FENTANYL AND NORFENTANYL TOXICITY", flags="fentanyl any_opioid", count=1),
    Case("HEROIN (6-MAM) AND COCAINE TOXICITY", flags="heroin any_opioid cocaine", count=2),
    Case("6-MONOACETYLMORPHINE TOXICITY", flags="heroin any_opioid", count=1),
    # --- nitazenes, designer benzodiazepines ---
    Case("ISOTONITAZENE TOXICITY", flags="nitazene any_opioid", count=1),
    Case("N-PYRROLIDINO ETONITAZENE AND FENTANYL TOXICITY", flags="fentanyl nitazene any_opioid", count=2),
    Case("METONITAZENE AND BROMAZOLAM TOXICITY", flags="nitazene any_opioid benzodiazepine", count=2),
    Case("PROTONITAZENE TOXICITY", manner="UNDETERMINED", flags="nitazene any_opioid", count=1),
    Case("BROMAZOLAM AND FENTANYL TOXICITY", flags="fentanyl any_opioid benzodiazepine", count=2),
    Case(
        "ETIZOLAM, FENTANYL AND COCAINE TOXICITY",
        flags="fentanyl any_opioid cocaine benzodiazepine",
        count=3,
    ),
    Case(
        "CLONAZEPAM, FLUALPRAZOLAM AND FENTANYL TOXICITY",
        flags="fentanyl any_opioid benzodiazepine",
        count=3,
    ),
    # --- prescription opioids, other drugs ---
    Case("OXYCODONE TOXICITY", manner="SUICIDE", flags="rx_opioid any_opioid", count=1),
    Case("METHADONE AND ALPRAZOLAM TOXICITY", flags="rx_opioid any_opioid benzodiazepine", count=2),
    Case("TRAMADOL OVERDOSE", manner="SUICIDE", flags="rx_opioid any_opioid", count=1),
    Case("MORPHINE TOXICITY", flags="rx_opioid any_opioid", count=1),
    Case(
        "HYDROCODONE, ACETAMINOPHEN AND DIPHENHYDRAMINE TOXICITY",
        manner="SUICIDE",
        flags="rx_opioid any_opioid",
        count=3,
    ),
    Case("DIPHENHYDRAMINE TOXICITY", manner="SUICIDE", count=1),
    Case("ETHANOL AND DIPHENHYDRAMINE TOXICITY", manner="SUICIDE", flags="ethanol", count=2),
    Case("GABAPENTIN AND FENTANYL TOXICITY", flags="fentanyl any_opioid", count=2),
    Case("KRATOM (MITRAGYNINE) TOXICITY", count=1),
    # --- unnamed drugs and class-level mentions ---
    Case("MULTIPLE DRUG TOXICITY", count=0),
    Case("MIXED DRUG INTOXICATION", manner="SUICIDE", count=0),
    Case("CARDIAC ARREST DUE TO PROBABLE DRUG OVERDOSE", manner="UNDETERMINED", count=0),
    Case("PROBABLE OVERDOSE", manner="PENDING", count=0),
    Case("OPIATE TOXICITY", flags="any_opioid", count=1),
    Case("OPIOID INTOXICATION", flags="any_opioid", count=1),
    Case("COMPLICATIONS OF OPIATE TOXICITY", flags="any_opioid", count=1),
    Case("NARCOTIC TOXICITY", flags="any_opioid", count=1),
    Case("FENTANYL AND OPIATE TOXICITY", flags="fentanyl any_opioid", count=1),
    Case("BENZODIAZEPINE AND OPIATE TOXICITY", flags="any_opioid benzodiazepine", count=2),
    # --- the drug cause on a later line of the primary cause ---
    Case(
        "ANOXIC ENCEPHALOPATHY",
        lines=("ANOXIC ENCEPHALOPATHY", "CARDIOPULMONARY ARREST", "FENTANYL TOXICITY"),
        flags="fentanyl any_opioid",
        count=1,
    ),
    Case(
        "ANOXIC BRAIN INJURY DUE TO CARDIAC ARREST DUE TO HEROIN INTOXICATION",
        flags="heroin any_opioid",
        count=1,
    ),
    # --- history, use and negations inside an overdose ---
    Case(
        "FENTANYL TOXICITY",
        "HYPERTENSIVE CARDIOVASCULAR DISEASE; CHRONIC ETHANOL ABUSE",
        flags="fentanyl any_opioid",
        count=1,
    ),
    Case("FENTANYL TOXICITY", "RECENT COCAINE USE", flags="fentanyl any_opioid", count=1),
    Case("FENTANYL TOXICITY", "NO EVIDENCE OF TRAUMA", flags="fentanyl any_opioid", count=1),
    # ethanol toxicity in the primary cause with a drug toxicity in the secondary: combined poisoning
    Case("ETHANOL TOXICITY", "COCAINE TOXICITY", flags="cocaine ethanol", count=2),
    # --- real archive texts (tests/fixtures/me_archive_sample.json) the dictionary used to misread ---
    Case("FENANYL AND METHADONE TOXICITY", flags="fentanyl rx_opioid any_opioid", count=2),
    Case(
        "COMBINED DRUG (HEROIN, FENTANYL, ACETYL FENTANYL, DESPROPIONYL FENTANL) TOXICTY",
        "ASTHMA",
        flags="fentanyl heroin any_opioid",
        count=4,
    ),
    Case(
        "COMBINED DRUG (COCAINE, FENTANYL, DESPROPIONYL FENTNAYL [4-ANPP], AND HEROIN) TOXICITY",
        flags="fentanyl heroin any_opioid cocaine",
        count=4,
    ),
    Case(
        "COMBINED DRUG(COCAINE, CYCLOPROPYL FENTANYL, METHOXYACETYL FENTANY, HEROIN AND ETHANOL) TOXICITY",
        flags="fentanyl heroin any_opioid cocaine ethanol",
        count=5,
    ),
    Case("DESPROPIONYL (4-ANPP) FENTANYL TOXICITY", flags="fentanyl any_opioid", count=1),
    Case(
        "COMBINED HEROIN, FENTANYL, HYDROCODONE, ACETYL FENTANYL, DESPROPIONYL FENTANYL, 2-FURANYLFENTANYL, "
        "AND ALPRAZOLAM TOXICITY",
        flags="fentanyl heroin rx_opioid any_opioid benzodiazepine",
        count=7,
    ),
    # the 3,4- locant and misspelt MDMA/MDA; a list of drugs with locants is still a list of drugs
    Case(
        "MIXED DRUG INTOXICATION (HEROIN, COCAINE, 3,4-METHYLENDIOXYAMPHETAMINE, "
        "3,4-METHYLENDIOXYMETHAMPHETAMINE",
        flags="heroin any_opioid cocaine",
        count=4,
    ),
    Case(
        "COMBINED 3,4-METHYLENEDIOXYMETHAMPHETAMINE (MDMA), FENTANYL, AND DESPROPIONYL FENTANYL (4-ANPP)",
        flags="fentanyl any_opioid",
        count=3,
    ),
    Case("COMBINED DRUG (HEROIN, ALPRAZOLAM, AND TRAZADONE) TOXICITY", flags="heroin any_opioid benzodiazepine", count=3),
    Case(
        "COMBINED DRUG (HYDROCODONE, PSEUDOEPHEDRINE, FLUOXETINE, CARSOPRODOL, MIDAZOLAM AND BUTALBITAL) TOXICITY",
        flags="rx_opioid any_opioid benzodiazepine",
        count=6,
    ),
    Case(
        "COMBINED DRUG (FENTANYL, ACETYL FENTANYL, COCAINE, EPHEDRINE, AND PSEUDOEPHEDRINE) TOXICITY",
        flags="fentanyl any_opioid cocaine",
        count=5,
    ),
    Case(
        "COMBINED DRUG (HEROIN, ALPRAZOLAM, HYDROCODONE, DIHYDROCODEINE / HYDROCODOL) TOXICITY",
        flags="heroin rx_opioid any_opioid benzodiazepine",
        count=4,
    ),
    Case(
        "COMBINED DRUG (HEROIN, ALPRAZOLAM, CLONAZEPAM, DELORAZEPAM, AND ETHANOL) TOXICITY",
        flags="heroin any_opioid benzodiazepine ethanol",
        count=5,
    ),
    Case(
        "COMBINED DRUG (HALOPERIDOL, FENTANYL, BENZTROPINE, DIPHENHYDRAMINE, HYDROXYZINE, TRAZODONE, "
        "AND ACETAMINOPHEN) TOXICITY",
        flags="fentanyl any_opioid",
        count=7,
    ),
    Case(
        "COMBINED DRUG TOXICITY (ALCOHOL, DIAZEPAM, BUPROPION, ESZOPICLONE/ZOPICLONE, LAMOTRIGINE, QUETIAPINE, "
        "FLUOXETINE, AND BUSPIRONE)(",
        manner="SUICIDE",
        flags="benzodiazepine ethanol",
        count=8,
    ),
    Case(
        "COMBINED ETHANOL, TRAZODONE, CHLORPHENIRAMINE, DEXTRO/ LEVO METHORPHAN, FENTANYL AND HEROIN TOXICITY",
        flags="fentanyl heroin any_opioid ethanol",
        count=6,
    ),
    Case(
        "COMBINED DRUG (FENTANYL, DESPROPIONYL FENTANYL, DEXTRO/LEVOMETHORPHAN) TOXICITY",
        flags="fentanyl any_opioid",
        count=3,
    ),
    Case(
        "COMBINED DRUG (FENTANYL, DESPROPIONYL FENTANYL [4-ANPP], BUPRENORPHINE, GABAPENTIN, CLONAZEPAM, AND "
        "PROBABLE CLONAZOLAM, METONITAZENE, AND ISOTONITAZENE/PROTONITAZENE) TOXICITY",
        flags="fentanyl rx_opioid nitazene any_opioid benzodiazepine",
        count=8,
    ),
    Case(
        "COMBINED FENTANYL, 3-FLUOROPHENMETRAZINE, 3-METHOXYPHENCYCLIDINE (3-MEO-PCP) AND DESPROPIONYL "
        "FENTANYL (4-ANPP) TOXICITY",
        flags="fentanyl any_opioid",
        count=4,
    ),
    Case("COMBINED DRUG (HEROIN, COCAINE, DELTA-9 TETRAHYDROCANNABINOL) TOXICITY", flags="heroin any_opioid cocaine", count=3),
    Case(
        "COMBINED DRUG (HEROIN AND TRANS-3,4-DICHLORO-N-[2-(DIMETHYLAMINO)CYCLOHEXYL]-N-METHYLBENZAMIDE "
        "(U-47700)) DRUG TOXICITY",
        flags="heroin any_opioid",
        count=2,
    ),
    Case("PROBABLE BRORPHINE TOXICITY", flags="any_opioid", count=1),
    Case("COMBINED AMPHETAMINE, METHAMPHETAMINE, FENTANYL, AND PROBABLE EUTYLONE TOXICITY", flags="fentanyl any_opioid methamphetamine", count=4),
    Case("LOPERAMIDE TOXICITY", count=1),
    Case("COMBINED COCAINE AND OPIOID(S) TOXICITY", flags="any_opioid cocaine", count=2),
    Case(
        "COMBINE FENTANYL, DESPROPIONYL FENTANYL (4-ANPP), ALPRAZOLAM",
        flags="fentanyl any_opioid benzodiazepine",
        count=3,
    ),
    Case("FENTANYL, METHADONE, TRAMADOL, AND SUSPECTED HEROIN TOXICITY", flags="fentanyl heroin rx_opioid any_opioid", count=4),
    # RECENT dates the intake inside a toxicity; with a use word, or outside a toxicity, it marks use
    Case("COMBINED DRUG (FENTANYL AND RECENT COCAINE) TOXICITY", flags="fentanyl any_opioid cocaine", count=2),
    Case("FENTANYL AND ETHANOL TOXICITY IN THE SETTING OF RECENT COCAINE USE", flags="fentanyl any_opioid ethanol", count=2),
    Case("HEROIN TOXICITY", "PROBABLE RECENT COCAINE USE, HYPERTENSIVE CARDIOVASCULAR DISEASE", flags="heroin any_opioid", count=1),
    Case("HEROIN TOXICITY", "CHRONIC ETHANOLISM AND CHRONIC COCAINE USE", flags="heroin any_opioid", count=1),
    Case("FENTANYL TOXICITY", "RECENT COCAINE", flags="fentanyl any_opioid", count=1),
    Case("COMBINED DRUG (FENTANYL AND CHRONIC ETHANOL) TOXICITY", flags="fentanyl any_opioid", count=1),
    Case("HYPERTENSIVE CARDIOVASCULAR DISEASE", "RECENT COCAINE", manner="NATURAL", overdose=False),
    # drowning: a drug toxicity in Part I (line A) is the underlying cause; in Part II it contributes
    Case(
        "DROWNING",
        lines=("COMBINED DRUG (HEROIN, FENTANYL, CLONAZEPAM) TOXICITY WHILE IN BATHTUB", None, None),
        manner="UNDETERMINED",
        flags="fentanyl heroin any_opioid benzodiazepine",
        count=3,
    ),
    Case(
        "DROWNING",
        "COMBINED DRUG (HEROIN, FENTANYL, DESPROPIONYL FENTANYL) AND ETHANOL TOXICITY",
        manner="UNDETERMINED",
        overdose=False,
    ),
    # --- not drug overdoses ---
    Case("HYPERTENSIVE CARDIOVASCULAR DISEASE", "COCAINE USE", manner="NATURAL", overdose=False),
    Case("ARTERIOSCLEROTIC CARDIOVASCULAR DISEASE", "RECENT HEROIN USE", manner="NATURAL", overdose=False),
    Case(
        "HYPERTENSIVE ARTERIOSCLEROTIC CARDIOVASCULAR DISEASE WITH COCAINE USE",
        manner="NATURAL",
        overdose=False,
    ),
    Case("COMPLICATIONS OF CHRONIC ETHANOL ABUSE", manner="NATURAL", overdose=False),
    Case("INFECTIVE ENDOCARDITIS DUE TO INTRAVENOUS DRUG ABUSE", manner="NATURAL", overdose=False),
    Case("TOXIC SHOCK SYNDROME", "NONCOMPLIANCE WITH MEDICATIONS", manner="NATURAL", overdose=False),
    Case("ACUTE OPIOID WITHDRAWAL", "OPIOID USE DISORDER", manner="NATURAL", overdose=False),
    Case("COVID-19 PNEUMONIA", "OPIOID USE DISORDER", manner="NATURAL", overdose=False),
    Case("COVID-19", "FENTANYL USE", manner="NATURAL", overdose=False),
    Case("GUNSHOT WOUND OF HEAD", "HISTORY OF DRUG ABUSE", manner="HOMICIDE", overdose=False),
    Case("GUNSHOT WOUNDS OF CHEST", "COCAINE AND ETHANOL INTOXICATION", manner="HOMICIDE", overdose=False),
    Case("BLUNT FORCE INJURIES", "ETHANOL AND COCAINE INTOXICATION", overdose=False),
    # drug toxicity only as a contributing condition of a natural underlying cause
    Case("ARTERIOSCLEROTIC CARDIOVASCULAR DISEASE", "FENTANYL TOXICITY", manner="NATURAL", overdose=False),
    Case("HYPOTHERMIA", "ETHANOL INTOXICATION", overdose=False),
    Case("DROWNING", "ACUTE ETHANOL INTOXICATION", overdose=False),
    Case("HANGING", manner="SUICIDE", overdose=False),
    Case("ASPHYXIA DUE TO NECK COMPRESSION", manner="HOMICIDE", overdose=False),
    Case("CARBON MONOXIDE TOXICITY", overdose=False),
    Case("SMOKE INHALATION AND THERMAL INJURIES", overdose=False),
    Case("ETHANOL AND CARBON MONOXIDE TOXICITY", overdose=False),
    Case("ISOPROPYL ALCOHOL TOXICITY", overdose=False),
    Case("ETHYLENE GLYCOL TOXICITY", manner="SUICIDE", overdose=False),
    # ethanol alone is alcohol poisoning (ICD-10 X45), outside the drug-overdose definition
    Case("ETHANOL TOXICITY", overdose=False),
    Case("ACUTE ETHANOL INTOXICATION", overdose=False),
    Case("UNDETERMINED", "NO EVIDENCE OF DRUG TOXICITY", manner="UNDETERMINED", overdose=False),
    Case("SEIZURE DISORDER", "NO EVIDENCE OF TRAUMA OR DRUG TOXICITY", manner="NATURAL", overdose=False),
    Case("ADVERSE EFFECTS OF MORPHINE ADMINISTRATION", manner="NATURAL", overdose=False),
    Case("ANAPHYLAXIS DUE TO ADVERSE REACTION TO CONTRAST MEDIA", manner="ACCIDENT", overdose=False),
    Case("PENDING", manner="PENDING", overdose=False),
    Case("PENDING TOXICOLOGY", manner="PENDING", overdose=False),
]


"""Overdose case definition and drug-involvement classification of Medical Examiner cause texts."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import polars as pl
import pytest

from pipelines.defs.epidemiology.classify import (
    CAUSE_FIELDS,
    DRUG_CLASSES,
    FLAG_COLUMNS,
    OUTPUT_COLUMNS,
    TERMS_PATH,
    classify_cases,
    load_drug_terms,
    opioid_flag_agreement,
)

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


def _case_id(case: Case) -> str:
    return " / ".join(t for t in (case.primary, case.lines[2], case.secondary) if t)[:70]


@pytest.fixture(scope="module")
def classified_table() -> list[dict]:
    """Every case of the table classified in one frame (one call keeps the suite fast)."""
    return classify_cases(frame([case_row(c) for c in CASES])).to_dicts()


@pytest.mark.parametrize("index", range(len(CASES)), ids=[_case_id(c) for c in CASES])
def test_cause_texts(index: int, classified_table: list[dict]) -> None:
    case, out = CASES[index], classified_table[index]
    expected_flags = set(case.flags.split())
    assert expected_flags <= set(FLAG_COLUMNS), "typo in the expected flags"
    assert out["is_overdose"] is case.overdose
    assert {f for f in FLAG_COLUMNS if out[f]} == expected_flags
    assert out["drug_count"] == case.count
    opioid = "any_opioid" in expected_flags
    assert out["opioid_stimulant"] is (opioid and bool({"cocaine", "methamphetamine"} & expected_flags))


def test_case_table_is_large_and_balanced() -> None:
    assert len(CASES) >= 60
    assert sum(c.overdose for c in CASES) >= 30
    assert sum(not c.overdose for c in CASES) >= 20


def test_each_row_alone_matches_the_table(classified_table: list[dict]) -> None:
    """A row classified on its own gets the same answer as inside the whole table."""
    for index in range(0, len(CASES), 7):
        alone = classify_cases(frame([case_row(CASES[index])])).to_dicts()[0]
        assert alone == classified_table[index], CASES[index]


def test_repeated_rows_keep_their_order(classified_table: list[dict]) -> None:
    """Texts are classified once per distinct combination; every copy gets the answer, in order."""
    rows = [case_row(c) for c in reversed(CASES)] * 3
    out = classify_cases(frame(rows))
    assert out.height == len(rows)
    assert out.to_dicts() == list(reversed(classified_table)) * 3


def test_lower_case_input_is_normalised() -> None:
    row = {"primarycause": "fentanyl and cocaine toxicity", "manner": "Accident"}
    out = classify_cases(frame([row])).row(0, named=True)
    assert out["cause_text"] == "FENTANYL AND COCAINE TOXICITY"
    assert out["is_overdose"] and out["fentanyl"] and out["cocaine"] and out["opioid_stimulant"]
    assert out["intent"] == "accident"


def test_cause_text_joins_all_five_fields() -> None:
    row = {
        "primarycause": "COMBINED DRUG (FENTANYL, PROBABLE COCAINE) TOXICITY",
        "primarycause_linea": "COMBINED DRUG (FENTANYL, PROBABLE COCAINE) TOXICITY",
        "primarycause_lineb": None,
        "primarycause_linec": "  ",
        "secondarycause": "Hypertensive  cardiovascular disease;   obesity",
    }
    out = classify_cases(frame([row])).row(0, named=True)
    part = "COMBINED DRUG FENTANYL PROBABLE COCAINE TOXICITY"
    assert out["cause_text"] == f"{part} {part} HYPERTENSIVE CARDIOVASCULAR DISEASE OBESITY"


@pytest.mark.parametrize(
    ("manner", "intent"),
    [
        ("ACCIDENT", "accident"),
        ("Accident", "accident"),
        (" ACCIDENTAL ", "accident"),
        ("SUICIDE", "suicide"),
        ("HOMICIDE", "homicide"),
        ("UNDETERMINED", "undetermined"),
        ("COULD NOT BE DETERMINED", "undetermined"),
        ("PENDING", "pending"),
        ("PENDING INVESTIGATION", "pending"),
        ("NATURAL", "natural"),
        ("OTHER", "unknown"),
        ("", "unknown"),
        (None, "unknown"),
    ],
)
def test_intent_from_manner(manner: str | None, intent: str) -> None:
    out = classify_cases(frame([{"primarycause": "FENTANYL TOXICITY", "manner": manner}]))
    assert out["intent"].to_list() == [intent]
    assert out["is_overdose"].to_list() == [True], "the case definition ignores the manner"


def test_output_columns_and_types() -> None:
    out = classify_cases(frame([case_row(CASES[0])]))
    assert out.columns == [*SCHEMA, *OUTPUT_COLUMNS]
    assert out.schema["cause_text"] == pl.String
    assert out.schema["intent"] == pl.String
    assert out.schema["drug_count"].is_integer()
    for column in ("is_overdose", *FLAG_COLUMNS, "opioid_stimulant", "opioid_flag_agrees"):
        assert out.schema[column] == pl.Boolean, column


def test_same_texts_in_different_fields_are_different_cases() -> None:
    rows = frame(
        [
            {"primarycause": "FENTANYL TOXICITY", "secondarycause": "HYPERTENSIVE CARDIOVASCULAR DISEASE"},
            {"primarycause": "HYPERTENSIVE CARDIOVASCULAR DISEASE", "secondarycause": "FENTANYL TOXICITY"},
        ]
    )
    assert classify_cases(rows)["is_overdose"].to_list() == [True, False]


def test_non_overdose_has_no_flags_even_when_drugs_are_named() -> None:
    out = classify_cases(
        frame([{"primarycause": "GUNSHOT WOUND OF HEAD", "secondarycause": "FENTANYL AND COCAINE TOXICITY"}])
    ).row(0, named=True)
    assert out["is_overdose"] is False
    assert not any(out[f] for f in FLAG_COLUMNS)
    assert out["drug_count"] == 0 and out["opioid_stimulant"] is False


def test_null_fields_and_null_typed_columns() -> None:
    all_null = pl.DataFrame({c: [None, None] for c in (*CAUSE_FIELDS, "manner", "opioids")})
    out = classify_cases(all_null)
    assert out["cause_text"].to_list() == [None, None]
    assert out["is_overdose"].to_list() == [False, False]
    assert out["intent"].to_list() == ["unknown", "unknown"]
    assert out["drug_count"].to_list() == [0, 0]
    added = [c for c in OUTPUT_COLUMNS if c != "cause_text"]
    assert out.select(added).null_count().sum_horizontal().item() == 0


def test_lazyframe_in_lazyframe_out() -> None:
    rows = frame([case_row(c) for c in CASES])
    lazy = classify_cases(rows.lazy())
    assert isinstance(lazy, pl.LazyFrame)
    assert lazy.collect().equals(classify_cases(rows))


def test_empty_frame() -> None:
    out = classify_cases(frame([]))
    assert out.height == 0
    assert set(OUTPUT_COLUMNS) <= set(out.columns)


def test_missing_opioid_column_is_allowed_and_missing_cause_column_is_not() -> None:
    out = classify_cases(frame([{"primarycause": "HEROIN TOXICITY"}]).drop("opioids"))
    assert out["opioid_flag_agrees"].to_list() == [False]
    with pytest.raises(ValueError, match="secondarycause"):
        classify_cases(frame([]).drop("secondarycause"))


def test_reclassifying_replaces_previous_outputs() -> None:
    once = classify_cases(frame([case_row(c) for c in CASES[:5]]))
    assert classify_cases(once).equals(once)


def test_opioid_flag_agreement_known_answer() -> None:
    rows = frame(
        [
            {"primarycause": "FENTANYL TOXICITY", "opioids": True},  # overdose, agree
            {"primarycause": "COCAINE TOXICITY", "opioids": True},  # overdose, archive only
            {"primarycause": "HEROIN TOXICITY", "opioids": None},  # overdose, text only (null = false)
            {"primarycause": "MULTIPLE DRUG TOXICITY", "opioids": False},  # overdose, agree
            {"primarycause": "GUNSHOT WOUND OF HEAD", "opioids": False},  # agree
            {"primarycause": "HYPERTENSIVE CARDIOVASCULAR DISEASE", "opioids": True},  # archive only
        ]
    )
    classified = classify_cases(rows)
    assert classified["opioid_flag_agrees"].to_list() == [True, False, False, True, True, False]
    expected = {
        "overdose_deaths": {
            "cases": 4, "agree": 2, "disagree": 2, "share": 0.5, "archive_only": 1, "text_only": 1
        },
        "all_cases": {"cases": 6, "agree": 3, "disagree": 3, "share": 0.5, "archive_only": 2, "text_only": 1},
    }
    assert opioid_flag_agreement(rows) == expected
    assert opioid_flag_agreement(classified.lazy()) == expected


def test_opioid_flag_agreement_without_overdoses() -> None:
    result = opioid_flag_agreement(frame([{"primarycause": "HANGING", "opioids": False}]))
    assert result["overdose_deaths"]["cases"] == 0
    assert result["overdose_deaths"]["share"] is None
    assert result["all_cases"]["share"] == 1.0


def test_opioid_flag_as_text() -> None:
    rows = frame([{"primarycause": "FENTANYL TOXICITY"}, {"primarycause": "HANGING"}]).with_columns(
        opioids=pl.Series(["true", "false"])
    )
    assert classify_cases(rows)["opioid_flag_agrees"].to_list() == [True, True]


# --- the dictionary ---


def test_shipped_dictionary_loads_and_covers_every_class() -> None:
    terms = load_drug_terms()
    assert set(DRUG_CLASSES) <= set(terms["drug_class"])
    for needed in ("__toxicity__", "__negation__", "__filler__", "__generic__", "__intent__"):
        assert needed in set(terms["drug_class"])
    drugs = set(terms["drug"])
    named = {"fentanyl", "carfentanil", "despropionyl fentanyl (4-ANPP)", "isotonitazene", "xylazine"}
    assert named | {"bromazolam", "etizolam", "heroin", "methamphetamine"} <= drugs


def test_custom_dictionary_is_used(tmp_path: Path) -> None:
    extra = pl.DataFrame({"pattern": ["ZYLOXITOL"], "drug": ["zyloxitol"], "drug_class": ["benzodiazepine"]})
    terms = pl.concat([load_drug_terms().select("pattern", "drug", "drug_class"), extra])
    row = frame([{"primarycause": "ZYLOXITOL TOXICITY"}])
    assert classify_cases(row)["is_overdose"].to_list() == [False]
    out = classify_cases(row, terms=terms).row(0, named=True)
    assert out["is_overdose"] and out["benzodiazepine"] and out["drug_count"] == 1
    path = tmp_path / "terms.csv"
    terms.write_csv(path)
    assert load_drug_terms(path).height == terms.height


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("FENT(ANYL,fentanyl,fentanyl", "invalid regex"),
        ("X?,nothing,other", "empty string"),
        ("FOO,foo,stimulant", "unknown drug_class"),
        (",foo,other", "empty"),
    ],
)
def test_bad_dictionary_rows_are_rejected(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "terms.csv"
    path.write_text(TERMS_PATH.read_text().split("\n", 1)[0] + "\n" + line + ",\n")
    with pytest.raises(ValueError, match=message):
        load_drug_terms(path)


def test_dictionary_without_optional_sections() -> None:
    """Sections left out of a custom dictionary match nothing instead of everything."""
    terms = pl.DataFrame(
        {
            "pattern": ["FENTANYL", "TOXICITY"],
            "drug": ["fentanyl", "toxicity"],
            "drug_class": ["fentanyl", "__toxicity__"],
        }
    )
    out = classify_cases(
        frame([{"primarycause": "FENTANYL TOXICITY", "manner": "ACCIDENT"}, {"primarycause": "HEROIN"}]),
        terms=terms,
    )
    assert out["is_overdose"].to_list() == [True, False]
    assert out["fentanyl"].to_list() == [True, False]
    assert out["intent"].to_list() == ["unknown", "unknown"]


def test_intent_rows_must_use_known_labels(tmp_path: Path) -> None:
    path = tmp_path / "terms.csv"
    path.write_text("pattern,drug,drug_class\n^ACCIDENT,accidental,__intent__\n")
    with pytest.raises(ValueError, match="__intent__"):
        load_drug_terms(path)

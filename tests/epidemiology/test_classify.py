"""Overdose case definition and drug-involvement classification of Medical Examiner cause texts."""

from __future__ import annotations

import polars as pl
import pytest

from pipelines.defs.epidemiology.cause_text import CAUSE_FIELDS
from pipelines.defs.epidemiology.classify import FLAG_COLUMNS, OUTPUT_COLUMNS, classify_cases, opioid_flag_agreement
from tests.epidemiology.cause_cases import CASES, SCHEMA, Case, case_row, frame


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


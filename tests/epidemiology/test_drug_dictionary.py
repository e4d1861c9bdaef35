"""The drug dictionary: the shipped one loads, a custom one is used, bad rows are refused."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipelines.defs.epidemiology.classify import classify_cases
from pipelines.defs.epidemiology.drug_dictionary import DRUG_CLASSES, TERMS_PATH, load_drug_terms
from tests.epidemiology.cause_cases import frame


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

"""The README's Definitions section says what the code computes: its examples classify as stated."""

from __future__ import annotations

import re

import polars as pl
import pytest

from pipelines.defs.epidemiology.classify import classify_cases
from pipelines.settings import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def section(start: str, end: str) -> str:
    begin = README.index(start)
    return README[begin : README.index(end, begin)]


def examples(text: str) -> list[str]:
    return re.findall(r"`([^`]+)`", text)


IS_OVERDOSE = examples(
    section("A death **is** a drug overdose death when:", "A death **is not** a drug overdose death")
)
NOT_OVERDOSE = examples(section("A death **is not** a drug overdose death", "### Drugs involved"))


def classify_primary(texts: list[str]) -> pl.DataFrame:
    empty = [None] * len(texts)
    frame = pl.DataFrame(
        {
            "primarycause": texts,
            "primarycause_linea": empty,
            "primarycause_lineb": empty,
            "primarycause_linec": empty,
            "secondarycause": empty,
            "manner": ["ACCIDENT"] * len(texts),
        },
        schema_overrides={c: pl.String for c in ("primarycause_linea", "primarycause_lineb", "primarycause_linec", "secondarycause")},
    )
    return classify_cases(frame)


def test_readme_has_examples():
    assert len(IS_OVERDOSE) >= 8 and len(NOT_OVERDOSE) >= 8


@pytest.mark.parametrize("text", IS_OVERDOSE)
def test_readme_overdose_examples(text):
    assert classify_primary([text])["is_overdose"].to_list() == [True]


@pytest.mark.parametrize("text", NOT_OVERDOSE)
def test_readme_non_overdose_examples(text):
    assert classify_primary([text])["is_overdose"].to_list() == [False]


def test_readme_drug_table_names_every_flag():
    table = section("| Group | Includes |", "**Opioid and stimulant**")
    groups = {
        "fentanyl": "Fentanyl",
        "heroin": "Heroin",
        "rx_opioid": "Prescription opioids",
        "nitazene": "Nitazenes",
        "any_opioid": "Any opioid",
        "xylazine": "Xylazine",
        "cocaine": "Cocaine",
        "methamphetamine": "Methamphetamine",
        "benzodiazepine": "Benzodiazepines",
        "ethanol": "Alcohol",
    }
    flags = classify_primary(["FENTANYL TOXICITY"]).columns
    for flag, label in groups.items():
        assert flag in flags
        assert f"| {label} |" in table


def test_readme_age_adjustment_matches_the_code():
    """The standard population and the bands the README gives are the ones the code uses."""
    from pipelines.defs.epidemiology.age_adjusted import STANDARD_POPULATION_2000

    text = section("### Age-adjusted death rate", "### Period length")
    bands = re.split(r",\s+", re.search(r"eight age bands `([^`]+)`", text).group(1))
    assert bands == list(STANDARD_POPULATION_2000)
    figures = re.search(r"per million: ([\d,· \n]+)\)", text).group(1)
    assert [int(n.replace(",", "")) for n in re.findall(r"[\d,]+", figures)] == list(STANDARD_POPULATION_2000.values())

"""The README's Definitions section says what the code computes: its examples classify as stated."""

from __future__ import annotations

import re

import polars as pl
import pytest

from pipelines.defs.epidemiology.classify import OUTPUT_COLUMNS, classify_cases
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


GROUP_FLAGS = {
    "Fentanyl": "fentanyl",
    "Heroin": "heroin",
    "Prescription opioids": "rx_opioid",
    "Nitazenes": "nitazene",
    "Any opioid": "any_opioid",
    "Xylazine": "xylazine",
    "Cocaine": "cocaine",
    "Methamphetamine": "methamphetamine",
    "Benzodiazepines": "benzodiazepine",
    "Alcohol": "ethanol",
}
READING_TABLE = [
    [cell.strip() for cell in line.strip().strip("|").split("|")]
    for line in section("| Cause text | Groups | Drugs | Why |", "### Intent").splitlines()[2:]
    if line.startswith("| `")
]
CONTINUED = re.findall(r"`([^`]+)`\s*\+\s*`([^`]+)`", section("## Definitions", "### Drugs involved"))


def test_reading_table_has_rows():
    assert len(READING_TABLE) >= 8 and len(CONTINUED) >= 1


@pytest.mark.parametrize("row", READING_TABLE, ids=[r[0][:60] for r in READING_TABLE])
def test_readme_reading_table(row):
    """Each row of "How some cause texts are read": an overdose with exactly the groups and drugs stated."""
    text, groups, drugs = examples(row[0])[0], row[1], int(row[2])
    expected = {GROUP_FLAGS[g.strip()] for g in groups.split(",")} if groups != "—" else set()
    out = classify_primary([text]).row(0, named=True)
    assert out["is_overdose"]
    assert {flag for flag in GROUP_FLAGS.values() if out[flag]} == expected
    assert out["drug_count"] == drugs


@pytest.mark.parametrize(("first", "rest"), CONTINUED)
def test_readme_continued_example(first, rest):
    """The README's continued cause, as primary + line A, reads as the one text it makes."""
    two_fields = classify_primary([first]).with_columns(pl.lit(rest).alias("primarycause_linea"))
    joined = classify_cases(two_fields).select(OUTPUT_COLUMNS).row(0, named=True)
    one_text = classify_primary([first.rstrip(". ") + " " + rest]).select(OUTPUT_COLUMNS).row(0, named=True)
    assert joined["is_overdose"] and joined["heroin"] and joined["fentanyl"]
    assert joined == one_text
    # Read field by field, the first half would not be a poisoning: its heroin would be lost.
    assert not classify_primary([first])["is_overdose"].item()


def test_readme_age_adjustment_matches_the_code():
    """The standard population and the bands the README gives are the ones the code uses."""
    from pipelines.defs.epidemiology.age_adjusted import STANDARD_POPULATION_2000

    text = section("### Age-adjusted death rate", "### Period length")
    bands = re.split(r",\s+", re.search(r"eight age bands `([^`]+)`", text).group(1))
    assert bands == list(STANDARD_POPULATION_2000)
    figures = re.search(r"per million: ([\d,· \n]+)\)", text).group(1)
    assert [int(n.replace(",", "")) for n in re.findall(r"[\d,]+", figures)] == list(STANDARD_POPULATION_2000.values())

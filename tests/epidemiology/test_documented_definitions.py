"""The docs' definition pages say what the code computes: their examples classify as stated.

The examples are read from the pages themselves (``docs/methods/``), so a page cannot give an
example the code would read otherwise.
"""

from __future__ import annotations

import re

import polars as pl
import pytest

from pipelines.defs.epidemiology.classify import OUTPUT_COLUMNS, classify_cases
from pipelines.settings import PROJECT_ROOT

METHODS = PROJECT_ROOT / "docs" / "methods"
CASE_DEFINITION = (METHODS / "case-definition.md").read_text(encoding="utf-8")
DRUGS_INVOLVED = (METHODS / "drugs-involved.md").read_text(encoding="utf-8")
AGE_ADJUSTED = (METHODS / "age-adjusted-rates.md").read_text(encoding="utf-8")


def section(page: str, start: str, end: str | None = None) -> str:
    """The text of ``page`` from ``start`` to ``end`` (or to the end of the page)."""
    begin = page.index(start)
    return page[begin : page.index(end, begin) if end else len(page)]


def examples(text: str) -> list[str]:
    return re.findall(r"`([^`]+)`", text)


IS_OVERDOSE = examples(
    section(CASE_DEFINITION, "A death **is** a drug overdose death when:", "A death **is not** a drug overdose death")
)
NOT_OVERDOSE = examples(section(CASE_DEFINITION, "A death **is not** a drug overdose death"))


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


def test_the_case_definition_page_has_examples():
    assert len(IS_OVERDOSE) >= 8 and len(NOT_OVERDOSE) >= 8


@pytest.mark.parametrize("text", IS_OVERDOSE)
def test_documented_overdose_examples(text):
    assert classify_primary([text])["is_overdose"].to_list() == [True]


@pytest.mark.parametrize("text", NOT_OVERDOSE)
def test_documented_non_overdose_examples(text):
    assert classify_primary([text])["is_overdose"].to_list() == [False]


def test_the_drug_table_names_every_flag():
    table = section(DRUGS_INVOLVED, "| Group | Includes |", "**Opioid and stimulant**")
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
    for line in section(DRUGS_INVOLVED, "| Cause text | Groups | Drugs | Why |").splitlines()[2:]
    if line.startswith("| `")
]
CONTINUED = re.findall(r"`([^`]+)`\s*\+\s*`([^`]+)`", section(CASE_DEFINITION, "## Continued causes"))


def test_reading_table_has_rows():
    assert len(READING_TABLE) >= 8 and len(CONTINUED) >= 1


@pytest.mark.parametrize("row", READING_TABLE, ids=[r[0][:60] for r in READING_TABLE])
def test_documented_reading_table(row):
    """Each row of "How some cause texts are read": an overdose with exactly the groups and drugs stated."""
    text, groups, drugs = examples(row[0])[0], row[1], int(row[2])
    expected = {GROUP_FLAGS[g.strip()] for g in groups.split(",")} if groups != "—" else set()
    out = classify_primary([text]).row(0, named=True)
    assert out["is_overdose"]
    assert {flag for flag in GROUP_FLAGS.values() if out[flag]} == expected
    assert out["drug_count"] == drugs


@pytest.mark.parametrize(("first", "rest"), CONTINUED)
def test_documented_continued_example(first, rest):
    """The page's continued cause, as primary + line A, reads as the one text it makes."""
    two_fields = classify_primary([first]).with_columns(pl.lit(rest).alias("primarycause_linea"))
    joined = classify_cases(two_fields).select(OUTPUT_COLUMNS).row(0, named=True)
    one_text = classify_primary([first.rstrip(". ") + " " + rest]).select(OUTPUT_COLUMNS).row(0, named=True)
    assert joined["is_overdose"] and joined["heroin"] and joined["fentanyl"]
    assert joined == one_text
    # Read field by field, the first half would not be a poisoning: its heroin would be lost.
    assert not classify_primary([first])["is_overdose"].item()


def test_documented_age_adjustment_matches_the_code():
    """The standard population and the bands the page gives are the ones the code uses."""
    from pipelines.defs.epidemiology.age_adjusted import STANDARD_POPULATION_2000

    text = AGE_ADJUSTED
    bands = re.split(r",\s+", re.search(r"eight age bands `([^`]+)`", text).group(1))
    assert bands == list(STANDARD_POPULATION_2000)
    figures = re.search(r"per million: ([\d,· \n]+)\)", text).group(1)
    assert [int(n.replace(",", "")) for n in re.findall(r"[\d,]+", figures)] == list(STANDARD_POPULATION_2000.values())

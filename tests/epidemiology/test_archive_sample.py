"""The case definition on real Medical Examiner records (``tests/fixtures/me_archive_sample.json``).

``tests/fixtures/cause_review.csv`` is the log of a reading by hand of every sample record where the
classification and a plain reading of the text could disagree: every death not counted as an
overdose, every overdose naming no opioid (the archive flags all of these records as
opioid-related), every drug named in the text without its group being set, the continued causes,
the records the dictionary used to misread and the largest drug counts. Each row is a known answer.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest
from archive_sample import SAMPLE_PATH, sample_causes

from pipelines.defs.epidemiology.classify import (
    CAUSE_FIELDS,
    FLAG_COLUMNS,
    PRIMARY_FIELDS,
    classify_cases,
    opioid_flag_agreement,
)

REVIEW_PATH = Path(SAMPLE_PATH).with_name("cause_review.csv")
REVIEW = pl.read_csv(
    REVIEW_PATH, schema_overrides={"is_overdose": pl.Boolean, "groups": pl.String, "drug_count": pl.Int64}
).with_columns(
    pl.col("groups").fill_null("")
)
CATEGORIES = {
    "continued",
    "dictionary",
    "no_drug_poisoning",
    "secondary_only",
    "no_opioid_named",
    "use_phrase",
    "drug_count_outlier",
}


@pytest.fixture(scope="module")
def classified() -> pl.DataFrame:
    return classify_cases(sample_causes())


@pytest.fixture(scope="module")
def by_case(classified: pl.DataFrame) -> dict[str, dict]:
    return {row["casenumber"]: row for row in classified.iter_rows(named=True)}


def test_sample_shape() -> None:
    sample = sample_causes()
    assert sample.height == 1234 and sample["casenumber"].n_unique() == 1234
    assert sample["opioids"].all()  # a sample of the archive's opioid-related cases


def test_review_log_is_well_formed() -> None:
    assert REVIEW["casenumber"].n_unique() == REVIEW.height
    assert set(REVIEW["category"]) <= CATEGORIES
    assert set(" ".join(REVIEW["groups"]).split()) <= set(FLAG_COLUMNS)
    assert REVIEW["decision"].str.len_chars().min() > 10


@pytest.mark.parametrize("row", REVIEW.to_dicts(), ids=REVIEW["casenumber"].to_list())
def test_reviewed_record(row: dict, by_case: dict[str, dict]) -> None:
    out = by_case[row["casenumber"]]
    assert out["is_overdose"] is row["is_overdose"]
    assert {f for f in FLAG_COLUMNS if out[f]} == set(row["groups"].split())
    assert out["drug_count"] == row["drug_count"]


def test_every_disagreement_was_reviewed(classified: pl.DataFrame) -> None:
    """Every record not counted as an overdose, or counted without an opioid while the archive
    flags it as opioid-related, is in the review log."""
    disagreeing = classified.filter(~pl.col("is_overdose") | ~pl.col("opioid_flag_agrees"))
    assert disagreeing.height > 0
    assert set(disagreeing["casenumber"]) <= set(REVIEW["casenumber"])


def test_every_continued_record_was_reviewed(classified: pl.DataFrame) -> None:
    ellipsis = r"(\.\s*\.|…)[\s.…]*$|^\s*(\.\s*\.|…)"
    continued = classified.filter(
        pl.any_horizontal(pl.col(f).str.contains(ellipsis).fill_null(False) for f in PRIMARY_FIELDS)
    )
    reviewed = REVIEW.filter(pl.col("category") == "continued")
    assert set(continued["casenumber"]) == set(reviewed["casenumber"])


def test_drug_words_without_a_group_were_reviewed(classified: pl.DataFrame) -> None:
    """Where the text names cocaine, heroin or fentanyl but the group is not set, the record was read
    by hand (use phrases such as RECENT COCAINE USE, or a poisoning only in the secondary cause)."""
    words = {"cocaine": r"\bCOCAINE\b", "heroin": r"\bHEROIN\b", "fentanyl": r"\bFENTANYL\b"}
    text = pl.concat_str([pl.col(f) for f in CAUSE_FIELDS], separator=" ", ignore_nulls=True)
    unflagged = classified.filter(pl.any_horizontal(text.str.contains(w) & ~pl.col(g) for g, w in words.items()))
    assert unflagged.height > 0
    assert set(unflagged["casenumber"]) <= set(REVIEW["casenumber"])


def test_archive_flag_agreement_on_the_sample(classified: pl.DataFrame) -> None:
    """The agreement figure follows from the reviewed records: every overdose the archive flags as
    opioid-related but whose text names no opioid is a reviewed `no_opioid_named` (or dictionary)
    record."""
    reviewed_overdoses_without_opioid = REVIEW.filter(
        pl.col("is_overdose") & ~pl.col("groups").str.contains(r"\bany_opioid\b")
    ).height
    agreement = opioid_flag_agreement(classified)["overdose_deaths"]
    assert agreement["cases"] == classified["is_overdose"].sum()
    assert agreement["archive_only"] == reviewed_overdoses_without_opioid
    assert agreement["text_only"] == 0
    assert agreement["share"] == pytest.approx(1 - reviewed_overdoses_without_opioid / agreement["cases"])
    assert agreement["share"] > 0.98


def test_secondary_only_deaths_name_no_drug_poisoning_in_part_one(classified: pl.DataFrame) -> None:
    """The deaths not counted because the drug toxicity is only in the secondary cause: their primary
    cause fields name no drug (one is a carbon monoxide intoxication)."""
    cases = REVIEW.filter(pl.col("category") == "secondary_only")["casenumber"]
    rows = classified.filter(pl.col("casenumber").is_in(cases.implode()))
    assert rows.height == len(cases) > 0
    drug = r"FENTANYL|HEROIN|COCAINE|OPIATE|OPIOID|DRUG|OVERDOSE"
    for row in rows.iter_rows(named=True):
        primary = " ".join(row[f] or "" for f in PRIMARY_FIELDS)
        assert not re.search(drug, primary), row["casenumber"]
        assert re.search(r"TOXICITY|INTOXICATION", row["secondarycause"]), row["casenumber"]

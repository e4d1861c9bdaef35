"""Causes the archive continues from one field into the next (``...`` / ``. . .``), joined before classification.

Known answers are real records of ``tests/fixtures/me_archive_sample.json``, looked up by case number
so that the texts are exactly the archive's.
"""

from __future__ import annotations

import re

import polars as pl
import pytest
from archive_sample import sample_causes

from pipelines.defs.epidemiology.cause_text import (
    CAUSE_FIELDS,
    PRIMARY_FIELDS,
    SECONDARY_FIELD,
    join_continued_causes,
)
from pipelines.defs.epidemiology.classify import FLAG_COLUMNS, classify_cases

P, A, B, C = PRIMARY_FIELDS
SCHEMA = {c: pl.String for c in (*CAUSE_FIELDS, "manner")}


def fields(*primary: str | None, secondary: str | None = None) -> dict[str, str | None]:
    """A row with the primary-cause fields in certificate order (missing ones null)."""
    row: dict[str, str | None] = dict.fromkeys(SCHEMA)
    row.update(zip(PRIMARY_FIELDS, primary, strict=False))
    row[SECONDARY_FIELD] = secondary
    row["manner"] = "ACCIDENT"
    return row


def joined(row: dict) -> tuple[str | None, ...]:
    out = join_continued_causes(pl.DataFrame([row], schema=SCHEMA)).row(0, named=True)
    return tuple(out[f] for f in (*PRIMARY_FIELDS, SECONDARY_FIELD))


@pytest.fixture(scope="module")
def sample() -> pl.DataFrame:
    return sample_causes()


def record(sample: pl.DataFrame, casenumber: str) -> dict:
    return sample.filter(pl.col("casenumber") == casenumber).row(0, named=True)


def classified(row: dict) -> dict:
    return classify_cases(pl.DataFrame([row], schema=SCHEMA | {"casenumber": pl.String})).row(0, named=True)


def groups(out: dict) -> set[str]:
    return {f for f in FLAG_COLUMNS if out[f]}


# --- the join itself -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        # every ellipsis form ends a field: ..., . . ., .., ...., with spaces after, the character …
        (fields("FENTANYL, ACETYL FENTANYL...", "AND OXYCODONE) TOXICITY"),
         ("FENTANYL, ACETYL FENTANYL AND OXYCODONE) TOXICITY", None, None, None, None)),
        (fields("FENTANYL, AND . . .", "HEROIN) TOXICITY"), ("FENTANYL, AND HEROIN) TOXICITY", None, None, None, None)),
        (fields("U-47700. . .", "AND HEROIN"), ("U-47700 AND HEROIN", None, None, None, None)),
        (fields("FENTANYL,..  ", "X"), ("FENTANYL, X", None, None, None, None)),
        (fields("FENTANYL, ....", "X"), ("FENTANYL, X", None, None, None, None)),
        (fields("FENTANYL,…", "X"), ("FENTANYL, X", None, None, None, None)),
        # the continuation may start with its own ellipsis, or only it may carry one
        (fields("HEROIN...", "...FENTANYL"), ("HEROIN FENTANYL", None, None, None, None)),
        (fields("HEROIN, AND . . .", ". . .4-ANPP"), ("HEROIN, AND 4-ANPP", None, None, None, None)),
        (fields("HEROIN, FENTANYL,", "...DIAZEPAM TOXICITY"), ("HEROIN, FENTANYL, DIAZEPAM TOXICITY", None, None, None, None)),
        # chains: primary -> A -> B -> C, and a chain starting at line A
        (fields("A . . .", "B . . .", "C...", "D"), ("A B C D", None, None, None, None)),
        (fields("DROWNING", "TOXICITY (COCAINE...", "...ETHANOL)"), ("DROWNING", "TOXICITY (COCAINE ETHANOL)", None, None, None)),
        # one full stop is not an ellipsis; an ellipsis with nothing after it is dropped
        (fields("HEROIN) TOXICITY.", "COLD EXPOSURE"), ("HEROIN) TOXICITY", "COLD EXPOSURE", None, None, None)),
        (fields("HEROIN TOXICITY...", secondary="OBESITY"), ("HEROIN TOXICITY", None, None, None, "OBESITY")),
        (fields("HEROIN TOXICITY", ".."), ("HEROIN TOXICITY", None, None, None, None)),
        # nothing to continue from: the next field stays where it is
        (fields(None, "...FENTANYL TOXICITY"), (None, "FENTANYL TOXICITY", None, None, None)),
        # never into (or from) the secondary cause, another part of the certificate
        (fields("FENTANYL TOXICITY...", secondary="...CHRONIC ETHANOL ABUSE"),
         ("FENTANYL TOXICITY", None, None, None, "...CHRONIC ETHANOL ABUSE")),
        (fields("HEROIN TOXICITY", secondary=None), ("HEROIN TOXICITY", None, None, None, None)),
    ],
)
def test_join_continued_causes(row, expected):
    assert joined(row) == expected


def test_join_keeps_rows_columns_and_laziness():
    frame = pl.DataFrame(
        {
            P: ["A...", "B", None],
            A: ["X", "Y", None],
            B: [None, None, None],
            C: [None, None, None],
            "other": [1, 2, 3],
        }
    )
    eager = join_continued_causes(frame)
    assert eager.columns == frame.columns and eager["other"].to_list() == [1, 2, 3]
    assert eager[P].to_list() == ["A X", "B", None] and eager[A].to_list() == [None, "Y", None]
    assert eager.schema[C] == pl.String  # an all-null column arrives typed Null
    lazy = join_continued_causes(frame.lazy())
    assert isinstance(lazy, pl.LazyFrame) and lazy.collect().equals(eager)


def test_no_text_is_lost_or_left_continued_in_the_sample(sample):
    """On every real record: the words of the primary-cause fields survive the join, in order, and
    no field still ends or starts with an ellipsis."""
    out = join_continued_causes(sample)

    def words(row: dict) -> list[str]:
        return re.findall(r"[A-Z0-9]+", " ".join(row[f] or "" for f in PRIMARY_FIELDS))

    for before, after in zip(sample.iter_rows(named=True), out.iter_rows(named=True), strict=True):
        assert words(after) == words(before), before["casenumber"]
        for f in PRIMARY_FIELDS:
            text = after[f] or ""
            assert not re.search(r"(\.\s*\.|…)\s*$", text) and not re.match(r"\s*(\.\s*\.|…)", text), before
        assert after[SECONDARY_FIELD] == before[SECONDARY_FIELD]


def test_how_many_sample_records_are_continued(sample):
    out = join_continued_causes(sample)
    consumed = pl.any_horizontal(
        pl.col(f).str.strip_chars(" .…").ne("").fill_null(False) & pl.col(f"{f}_joined").is_null()
        for f in PRIMARY_FIELDS
    )
    both = pl.concat([sample, out.select(pl.col(f).alias(f"{f}_joined") for f in PRIMARY_FIELDS)], how="horizontal")
    # 87 records continue a field into the next; one more (ME2015-03366) has a bare ".." line A.
    assert both.filter(consumed).height == 87


# --- known answers from the real records ---------------------------------------------------------


@pytest.mark.parametrize(
    ("casenumber", "expected_groups", "count", "joined_text"),
    [
        # the example: field by field, fentanyl and cocaine were lost
        (
            "ME2020-08491",
            "fentanyl rx_opioid any_opioid cocaine benzodiazepine",
            6,
            "COMBINED DRUG 3 4 METHYLENEDIOXYMETHAMPHETAMINE DIAZEPAM COCAINE FENTANYL ACETYL FENTANYL AND "
            "OXYCODONE TOXICITY",
        ),
        # ". . ." forms
        ("ME2020-09209", "fentanyl rx_opioid any_opioid cocaine", 5, None),
        ("ME2018-02160", "fentanyl heroin any_opioid ethanol", 6, None),
        # leading dots on the continuation too, including the character … and "....." runs
        ("ME2020-13621", "fentanyl heroin rx_opioid any_opioid", 4, None),
        ("ME2023-01107", "fentanyl any_opioid cocaine methamphetamine ethanol", 5, None),
        ("ME2022-08984", "fentanyl nitazene any_opioid cocaine benzodiazepine", 6, None),
        # a continuation marked only at the start of line B (line A ends with a comma): P -> A -> B
        ("ME2022-10152", "fentanyl rx_opioid any_opioid methamphetamine benzodiazepine", 7, None),
        # three fields, every break ". . .": primary -> A -> B
        ("ME2017-01901", "fentanyl any_opioid benzodiazepine", 11, None),
        # a word broken across the fields: METHYLENEDIOXY- / METHAMPHETAMINE is MDMA
        ("ME2019-04144", "heroin any_opioid cocaine methamphetamine benzodiazepine", 8, None),
        # DROWNING due to a drug toxicity continued from line A into line B
        (
            "ME2020-00566",
            "fentanyl any_opioid cocaine ethanol",
            6,
            "DROWNING COMBINED DRUG TOXICITY COCAINE 3 4 METHYLENEDIOXYMETHAMPHETAMINE ETHANOL FENTANYL ACETYL "
            "FENTANYL DESPROPIONYL FENTANYL 4 ANPP",
        ),
        # line A ends "TOXICITY." (one full stop): the secondary cause stays apart
        (
            "ME2020-00417",
            "fentanyl heroin any_opioid cocaine",
            4,
            "COMBINED DRUG FENTANYL DESPROPIONYL FENTANYL 4 ANPP COCAINE AND PROBABLE HEROIN TOXICITY COLD EXPOSURE",
        ),
    ],
)
def test_continued_real_records(sample, casenumber, expected_groups, count, joined_text):
    out = classified(record(sample, casenumber))
    assert out["is_overdose"]
    assert groups(out) == set(expected_groups.split())
    assert out["drug_count"] == count
    if joined_text is not None:
        assert out["cause_text"] == joined_text


@pytest.mark.parametrize(
    ("casenumber", "first_half_drug"),
    [
        ("ME2020-09486", "heroin"),
        ("ME2020-09635", "benzodiazepine"),
        ("ME2019-04144", "cocaine"),
    ],
)
def test_first_half_alone_is_no_poisoning_but_the_whole_cause_is(sample, casenumber, first_half_drug):
    """Cut inside a drug name, the first field alone is neither a toxicity nor a list of drugs: read
    field by field its drugs are lost; read joined, they are part of the poisoning."""
    row = record(sample, casenumber)
    first_alone = classified(fields(row[P]))
    assert not first_alone["is_overdose"]
    whole = classified(row)
    assert whole["is_overdose"] and whole[first_half_drug]


def test_an_overdose_only_the_join_can_see(sample):
    """Two real fields (ME2020-09486's primary cause, ME2021-02298's line A): neither alone is an
    overdose, so without the join the death would not be counted at all."""
    first = record(sample, "ME2020-09486")[P]
    rest = record(sample, "ME2021-02298")[A]
    assert (first, rest) == ("COMBINED DRUG (HEROIN, FENTANYL, DESPROPIONYL...", "...TOXICITY")
    assert not classified(fields(first))["is_overdose"]
    assert not classified(fields(rest))["is_overdose"]
    out = classified(fields(first, rest))
    assert out["is_overdose"] and groups(out) == {"fentanyl", "heroin", "any_opioid"}
    assert out["drug_count"] == 2  # heroin, fentanyl: a bare DESPROPIONYL names no drug


def test_continued_fields_in_the_warehouse_look_up(sample):
    """The warehouse path classifies distinct (cause fields, manner, flag) rows with the same function."""
    from pipelines.defs.medical_examiner.staging import cause_lookup

    causes = sample.drop("casenumber").unique(maintain_order=True)
    lookup = cause_lookup(causes)
    whole = classify_cases(sample)
    keyed = whole.join(lookup, on=[*CAUSE_FIELDS, "manner", "opioids"], how="left", nulls_equal=True, suffix="_lookup")
    for column in ("cause_text", "is_overdose", "drug_count", *FLAG_COLUMNS):
        assert keyed[column].equals(keyed[f"{column}_lookup"]), column

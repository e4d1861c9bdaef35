"""Reading the cause-of-death fields of the certificate: which fields, continued fields joined, and
the text normalised into upper-case clauses (steps 0 and 1 of the case definition in
:mod:`.classify`)."""

from __future__ import annotations

from typing import TypeVar

import polars as pl

#: Cause-of-death fields, in certificate order: the primary cause, its lines A-C, the secondary.
PRIMARY_FIELDS = ("primarycause", "primarycause_linea", "primarycause_lineb", "primarycause_linec")
SECONDARY_FIELD = "secondarycause"
CAUSE_FIELDS = (*PRIMARY_FIELDS, SECONDARY_FIELD)
MANNER_FIELD = "manner"
#: The archive's own opioid flag, compared with the text classification for data quality.
ARCHIVE_OPIOID_FIELD = "opioids"

# Clause delimiters kept through the first normalisation so that negations have a scope.
CLAUSE_END = ",;.:"
# Runs to become one space, clause delimiters kept: anything but a lone space between words.
# Matching only those (not every space) keeps replace_all to a few matches per text.
JUNK_RUN = rf" *[^A-Z0-9 {CLAUSE_END}][^A-Z0-9{CLAUSE_END}]*| {{2,}}"
# After JUNK_RUN: clause delimiters with their spaces, and double spaces, to become one space.
DELIMITER_RUN = rf" *[{CLAUSE_END}][ {CLAUSE_END}]*| {{2,}}"
#: A frame, eager or lazy: what is given is returned.
FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)
# An ellipsis: two or more full stops (spaces allowed between them, ". . .") or the character "…".
_ELLIPSIS = r"(?:…|\.\s*\.)"
# A field ending / starting with an ellipsis (with any further dots and spaces around it).
_ELLIPSIS_END = rf"\s*{_ELLIPSIS}[\s.…]*$"
_ELLIPSIS_START = rf"^\s*{_ELLIPSIS}[\s.…]*"
# What is stripped from both ends of a primary-cause field before joining.
_ELLIPSIS_CHARS = " \t\r\n.…"


def join_continued_causes(frame: FrameT) -> FrameT:
    """Join primary-cause fields that the archive continues in the next field.

    The archive cuts a long cause short with an ellipsis (``...``, ``. . .``, ``..``, ``…``) and
    goes on at the start of the next field, in certificate order: primary cause -> line A ->
    line B -> line C (``COMBINED DRUG (..., FENTANYL, ACETYL FENTANYL...`` + ``AND OXYCODONE)
    TOXICITY``). A field *continues* into the next one when it ends with an ellipsis or the next
    one starts with one, and both have text. The continued text (ellipses removed, one
    space at the join) replaces the first field of the chain; the fields it consumed become null,
    so each chain is read once, as one cause. Chains go on (primary -> A -> B). An ellipsis with
    nothing after it is dropped; a single full stop (``TOXICITY.``) is not an ellipsis. The
    secondary cause is another part of the certificate and is never joined.

    ``frame`` needs the :data:`PRIMARY_FIELDS`; they are replaced (as String, without the dots and
    spaces at their ends, empty as null), other columns and the row order kept. A LazyFrame stays
    lazy.
    """
    raw = [pl.col(f).cast(pl.String) for f in PRIMARY_FIELDS]
    # Dots and spaces around a field go: an ellipsis is a break, and a lone full stop at either end
    # reads the same with or without it (full stops only end clauses, see clauses).
    stripped = [c.str.strip_chars(_ELLIPSIS_CHARS) for c in raw]
    text = [pl.when(s != "").then(s) for s in stripped]
    joins = [
        (c.str.contains(_ELLIPSIS_END) | n.str.contains(_ELLIPSIS_START)).fill_null(False)
        & text[i].is_not_null()
        & text[i + 1].is_not_null()
        for i, (c, n) in enumerate(zip(raw, raw[1:]))
    ]
    # From the last field backwards, so that a field takes the whole rest of its chain.
    chain = [text[-1]]
    for i in reversed(range(len(joins))):
        continued = pl.concat_str([text[i], chain[0]], separator=" ")
        chain.insert(0, pl.when(joins[i]).then(continued).otherwise(text[i]))
    # A field consumed by the one before it is not read again.
    fields = [chain[0], *(pl.when(~joins[i]).then(chain[i + 1]) for i in range(len(joins)))]
    return frame.with_columns(f.alias(name) for f, name in zip(fields, PRIMARY_FIELDS, strict=True))


def clauses(field: pl.Expr) -> pl.Expr:
    """Upper-case words separated by single spaces, clause delimiters ``, ; . :`` kept."""
    # "OPIOID(S)" is the plural "OPIOIDS", not the word "OPIOID" and a stray "S".
    return field.str.to_uppercase().str.replace_all("(S)", "S", literal=True).str.replace_all(JUNK_RUN, " ")


def normalised(clause_text: pl.Expr) -> pl.Expr:
    """From :func:`clauses`: delimiters to spaces, trimmed; empty text becomes null."""
    text = clause_text.str.replace_all(DELIMITER_RUN, " ").str.strip_chars()
    return pl.when(text != "").then(text)



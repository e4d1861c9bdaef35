"""Drug-overdose case definition and drug-involvement classification of Medical Examiner causes.

The Cook County Medical Examiner archive records each death's cause as free text (primary
cause, its lines A-C, and a secondary cause) plus a manner of death. This module turns that text
into the surveillance variables, entirely with vectorised Polars expressions; every word it looks
for lives in ``drug_terms.csv`` next to this file, not in the code.

Case definition (mirrored in docs/methods/case-definition.md and drugs-involved.md)
-----------------------------------------------------------------------------------
Sources: the CDC/NCHS drug-overdose death definition (underlying cause ICD-10 X40-X44, X60-X64,
X85, Y10-Y14: poisoning by drugs of *any* intent); the CDC State Unintentional Drug Overdose
Reporting System (SUDORS, with CSTE), whose rule that a drug is *involved* when the medical
examiner lists it as causing the death is used here for drug involvement; and the Chicago
Department of Public Health overdose reports, which are built from the same Cook County Medical
Examiner records.

0. **Continued causes.** The primary cause is Part I line a of the certificate, its lines A-C the
   conditions it was due to, the secondary cause Part II. A primary-cause field the archive cuts
   short with an ellipsis and continues in the next one is joined to it and read as one field
   (:func:`join_continued_causes`); the secondary cause is never joined.
1. **Text.** Each of the five cause fields is upper-cased and punctuation becomes spaces,
   except that ``, ; : .`` first split it into clauses. In a clause, a negation
   (``NO EVIDENCE OF ...``), a therapeutic adverse effect (``ADVERSE EFFECTS OF ...``), a history
   (``HISTORY OF ...``) or a pending note (``PENDING``) voids the rest of that clause. Non-drug
   agents (carbon monoxide, smoke, toxic alcohols, gases, pesticides ...) are masked, and
   use/abuse phrases (``RECENT HEROIN USE``, ``CHRONIC ETHANOL ABUSE``, ``INTRAVENOUS DRUG
   ABUSE``, ``WITHDRAWAL FROM ...``) are removed: they describe behaviour, not a poisoning. A habit
   word alone marks use (``CHRONIC ETHANOL``); ``RECENT`` does only with a use word, so that
   ``(FENTANYL AND RECENT COCAINE) TOXICITY`` keeps cocaine in the poisoning.
2. **Toxicity context.** A field is a *toxicity context* when it contains a toxicity word
   (toxicity, intoxication, overdose, poisoning, toxic effects, ingestion, and misspellings such
   as ``TOXCIITY``, ``TOXOCITY``, ``INTOXICAITON``) or consists only of drug names and connector
   words (``COMBINED FENTANYL AND ALPRAZOLAM``, ``FENTANYL AND COCAINE``; chemical locants such as
   the 3,4- of ``3,4-METHYLENEDIOXYMETHAMPHETAMINE`` are allowed).
3. **Drug overdose death** (``is_overdose``), any manner: a primary-cause field (primary cause or
   its lines A-C) is a toxicity context naming a drug other than ethanol or a generic drug word
   (``MULTIPLE DRUG TOXICITY``, ``MIXED DRUG INTOXICATION``, ``OVERDOSE``); or a primary-cause
   field is an ethanol-only toxicity context and the secondary cause is such a drug toxicity
   context (a combined ethanol and drug poisoning split over the two parts of the certificate).
   Not overdoses: a drug toxicity named only in the secondary cause of a non-drug primary cause
   (a contributing condition, not the underlying cause); natural or injury deaths that mention
   drug use or history; therapeutic adverse effects (ICD-10 Y40-Y59); carbon monoxide and other
   non-drug poisonings (X46-X49); pending causes; and **ethanol toxicity alone**, which is alcohol
   poisoning (X45, X65, Y15), outside the CDC drug-overdose definition.
4. **Drug involvement.** For overdose deaths only, every drug named in a toxicity-context field
   (primary-cause fields and the secondary cause, so ``ETHANOL TOXICITY`` listed as contributing
   in the secondary cause counts) sets its class flag: fentanyl (analogues, 4-ANPP and
   norfentanyl included), heroin (6-MAM included), prescription opioids (methadone and
   buprenorphine included), nitazenes, xylazine, cocaine (metabolites included),
   methamphetamine (amphetamine included), benzodiazepines (designer benzodiazepines included)
   and ethanol. ``any_opioid`` also counts ``OPIOID``/``OPIATE``/``NARCOTIC`` with no named drug
   and non-fentanyl synthetic opioids (the CDC opioid codes T40.0-T40.4 and T40.6). Drugs named
   only in history or use phrases do not count; ``PROBABLE``/``POSSIBLE`` drugs do, as the
   examiner named them as a cause.
5. **drug_count** is the number of distinct drugs named: misspellings, brand names, synonyms
   and a drug's own metabolites (6-MAM -> heroin, norfentanyl -> fentanyl, benzoylecgonine ->
   cocaine) collapse to one drug; analogues and 4-ANPP count separately. A class-level mention
   (``OPIATE``, ``BENZODIAZEPINES``) counts once, and only when no specific drug of its family
   (all opioids form one family) is named. Generic words (``MULTIPLE DRUG``) count zero.
6. **intent** comes from the manner of death: accident, suicide, homicide, undetermined,
   pending, natural; anything else or missing is ``unknown``.
7. **opioid_flag_agrees** compares the archive's own ``opioids`` flag (null = false) with
   ``any_opioid``.

Implementation notes: Polars regexes are the Rust ``regex`` crate (no look-around, no
back-references), so exclusions are done by *removing* text with ``replace_all`` before matching,
and "which drug matched" is recovered by extracting the matches of one alternation (ordered
longest pattern first, so ``ACETYL FENTANYL`` is one match, not also ``FENTANYL``) and mapping
the few distinct matched strings back to dictionary rows. The work is done once per distinct
value, never per row: rows are reduced to distinct (cause fields, manner) combinations by a
64-bit hash, those to distinct field texts, which get the regex work; drug sets travel as bit
sets, so combining the fields of a death is bitwise OR, and drug_count a population count.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

import polars as pl

#: The drug dictionary shipped with the pipeline.
TERMS_PATH = Path(__file__).with_name("drug_terms.csv")

#: Cause-of-death fields, in certificate order: the primary cause, its lines A-C, the secondary.
PRIMARY_FIELDS = ("primarycause", "primarycause_linea", "primarycause_lineb", "primarycause_linec")
SECONDARY_FIELD = "secondarycause"
CAUSE_FIELDS = (*PRIMARY_FIELDS, SECONDARY_FIELD)
MANNER_FIELD = "manner"
#: The archive's own opioid flag, compared with the text classification for data quality.
ARCHIVE_OPIOID_FIELD = "opioids"

#: Dictionary classes that name drugs; every dictionary row must use one of these or a section.
DRUG_CLASSES = (
    "fentanyl",
    "heroin",
    "rx_opioid",
    "nitazene",
    "opioid_unspecified",
    "xylazine",
    "cocaine",
    "methamphetamine",
    "benzodiazepine",
    "ethanol",
    "other",
)
#: Classes whose involvement makes a death opioid-involved (ICD-10 T40.0-T40.4, T40.6).
OPIOID_CLASSES = ("fentanyl", "heroin", "rx_opioid", "nitazene", "opioid_unspecified")
#: Dictionary sections that hold the vocabulary of the case definition rather than drugs.
SECTION_CLASSES = (
    "__toxicity__",
    "__generic__",
    "__filler__",
    "__negation__",
    "__adverse_effect__",
    "__history__",
    "__pending__",
    "__use_prefix__",
    "__habit_prefix__",
    "__use_suffix__",
    "__nondrug__",
    "__intent__",
)
TERM_COLUMNS = ("pattern", "drug", "drug_class")

#: Boolean drug flags added by :func:`classify_cases`, in output order.
FLAG_COLUMNS = (
    "fentanyl",
    "heroin",
    "rx_opioid",
    "nitazene",
    "any_opioid",
    "xylazine",
    "cocaine",
    "methamphetamine",
    "benzodiazepine",
    "ethanol",
)
#: Values of the ``intent`` column (``__intent__`` dictionary rows map the manner to one of them).
INTENTS = ("accident", "suicide", "homicide", "undetermined", "pending", "natural", "unknown")
#: Every column :func:`classify_cases` adds (an input column of the same name is replaced).
OUTPUT_COLUMNS = (
    "cause_text",
    "is_overdose",
    "intent",
    *FLAG_COLUMNS,
    "drug_count",
    "opioid_stimulant",
    "opioid_flag_agrees",
)
#: Drug names ending so are class-level mentions (``OPIATE``), not a specific substance.
UNSPECIFIED_SUFFIX = "(unspecified)"

# ASCII word boundary: the normalised text is pure ASCII, and an ASCII boundary keeps the
# regex crate on its fast lazy-DFA path (a Unicode boundary can force the slower engines).
_B = r"(?-u:\b)"
# Clause delimiters kept through the first normalisation so that negations have a scope.
_CLAUSE_END = ",;.:"
# Runs to become one space, clause delimiters kept: anything but a lone space between words.
# Matching only those (not every space) keeps replace_all to a few matches per text.
_JUNK_RUN = rf" *[^A-Z0-9 {_CLAUSE_END}][^A-Z0-9{_CLAUSE_END}]*| {{2,}}"
# After _JUNK_RUN: clause delimiters with their spaces, and double spaces, to become one space.
_DELIMITER_RUN = rf" *[{_CLAUSE_END}][ {_CLAUSE_END}]*| {{2,}}"
# Replacement for masked non-drug agents: a word no pattern matches, so a masked field never
# looks like a list of drugs only.
_NONDRUG_MASK = " NONDRUGAGENT "
# A regex that never matches (stands in for an empty dictionary section).
_NOTHING = r"[^\s\S]"
_KEY = "__cause_key"
# Layout of the packed result column: one bit per boolean, drug_count in the high 16 bits.
_PACKED_FLAGS = ("is_overdose", *FLAG_COLUMNS, "opioid_stimulant")
_COUNT_UNIT = 1 << 16
_COUNT_LIMIT = (1 << 16) - 1
_T = TypeVar("_T", pl.DataFrame, pl.LazyFrame)
# An ellipsis: two or more full stops (spaces allowed between them, ". . .") or the character "…".
_ELLIPSIS = r"(?:…|\.\s*\.)"
# A field ending / starting with an ellipsis (with any further dots and spaces around it).
_ELLIPSIS_END = rf"\s*{_ELLIPSIS}[\s.…]*$"
_ELLIPSIS_START = rf"^\s*{_ELLIPSIS}[\s.…]*"
# What is stripped from both ends of a primary-cause field before joining.
_ELLIPSIS_CHARS = " \t\r\n.…"


def load_drug_terms(path: str | Path | None = None) -> pl.DataFrame:
    """Read and validate the drug dictionary (default: ``drug_terms.csv`` beside this module).

    Returns a frame with at least ``pattern``, ``drug`` and ``drug_class`` (String), in file
    order. Rows whose ``drug_class`` is a ``__section__`` hold case-definition vocabulary
    (toxicity words, negations, fillers, ...); the others name drugs. Raises ``ValueError`` for
    a missing column, an empty cell, an unknown class, or a pattern that is not a valid Rust
    regex or that matches the empty string (it would match everywhere).
    """
    source = Path(path) if path is not None else TERMS_PATH
    terms = pl.read_csv(source, infer_schema=False)
    missing = [c for c in TERM_COLUMNS if c not in terms.columns]
    if missing:
        raise ValueError(f"{source}: missing column(s) {', '.join(missing)}")
    terms = terms.with_columns(pl.col(c).str.strip_chars() for c in TERM_COLUMNS)
    empty = terms.filter(pl.any_horizontal(pl.col(c).is_null() | (pl.col(c) == "") for c in TERM_COLUMNS))
    if empty.height:
        raise ValueError(f"{source}: empty pattern/drug/drug_class in {empty.head(3).to_dicts()}")
    unknown = sorted(set(terms["drug_class"]) - set(DRUG_CLASSES) - set(SECTION_CLASSES))
    if unknown:
        raise ValueError(f"{source}: unknown drug_class {unknown}")
    labels = set(terms.filter(pl.col("drug_class") == "__intent__")["drug"]) - set(INTENTS)
    if labels:
        raise ValueError(f"{source}: __intent__ rows must map to one of {INTENTS}, not {sorted(labels)}")
    for pattern in terms["pattern"]:
        try:
            matches_empty = pl.Series([""]).str.contains(f"^(?:{pattern})$").item()
        except pl.exceptions.PolarsError as error:
            raise ValueError(f"{source}: invalid regex {pattern!r}: {error}") from error
        if matches_empty:
            raise ValueError(f"{source}: pattern {pattern!r} matches the empty string")
    return terms


@lru_cache(maxsize=1)
def _default_terms() -> pl.DataFrame:
    # Validating every pattern costs a few milliseconds; the shipped file does not change.
    return load_drug_terms()


def _alternation(patterns: list[str]) -> str:
    """One regex alternation, longest pattern first.

    The regex crate prefers the earliest alternative among matches starting at the same place,
    so longer (more specific) patterns must come first: ``FENTANYL ANALOG`` before ``FENTANYL``.
    """
    if not patterns:
        # An empty alternation would match the empty string everywhere; match nothing instead.
        return _NOTHING
    ordered = sorted(patterns, key=len, reverse=True)
    return "|".join(f"(?:{p})" for p in ordered)


def _words(patterns: list[str]) -> str:
    """An alternation that only matches whole words."""
    return f"{_B}(?:{_alternation(patterns)}){_B}"


def _only(patterns: list[str]) -> str:
    """A regex matching a text made of nothing but these words (space-separated)."""
    words = f"(?:{_alternation(patterns)})"
    return f"^ *{words}(?: +{words})* *$"


def _drug_bits(drugs: pl.DataFrame) -> pl.DataFrame:
    """Bit sets describing each drug row, so that sets of drugs combine by bitwise OR.

    ``classes``: bit *i* for ``DRUG_CLASSES[i]``. ``drugs_0``, ``drugs_1``, ...: one bit per
    specific drug name (64 per word). ``specific_families`` / ``unspecified_families``: one bit
    per family (all opioid classes are one family) of a specific drug / of a class-level mention
    such as ``OPIATE``, which counts in drug_count only when its family has no specific drug.
    """
    rows = drugs.select("drug", "drug_class").rows()
    family = {c: "opioid" if c in OPIOID_CLASSES else c for c in DRUG_CLASSES}
    family_bit = {f: 1 << i for i, f in enumerate(dict.fromkeys(family.values()))}
    specific = list(dict.fromkeys(d for d, _ in rows if not d.endswith(UNSPECIFIED_SUFFIX)))
    drug_id = {d: i for i, d in enumerate(specific)}
    words = max(1, -(-len(specific) // 64))
    columns: dict[str, pl.Series] = {
        "classes": pl.Series([1 << DRUG_CLASSES.index(c) for _, c in rows], dtype=pl.UInt32),
        "specific_families": pl.Series(
            [0 if d.endswith(UNSPECIFIED_SUFFIX) else family_bit[family[c]] for d, c in rows], dtype=pl.UInt32
        ),
        "unspecified_families": pl.Series(
            [family_bit[family[c]] if d.endswith(UNSPECIFIED_SUFFIX) else 0 for d, c in rows], dtype=pl.UInt32
        ),
    }
    for word in range(words):
        columns[f"drugs_{word}"] = pl.Series(
            [1 << (drug_id[d] % 64) if d in drug_id and drug_id[d] // 64 == word else 0 for d, _ in rows],
            dtype=pl.UInt64,
        )
    return pl.DataFrame(columns)


@dataclass(frozen=True)
class _Vocabulary:
    """The dictionary compiled into the handful of regexes the classification runs."""

    drugs: pl.DataFrame  # drug rows in match-priority order, with their bit columns
    bit_columns: tuple[str, ...]  # the bit-set columns of ``drugs`` (see _drug_bits)
    drug_re: str
    nonethanol_re: str
    toxicity_re: str
    generic_re: str
    candidate_re: str
    only_drugs_re: str  # a whole field of drug names, generic drug words, fillers and toxicity words
    clause_re: str
    nondrug_re: str
    use_re: str
    intents: list[tuple[str, str]]

    @classmethod
    def build(cls, terms: pl.DataFrame) -> _Vocabulary:
        def section(name: str) -> list[str]:
            return terms.filter(pl.col("drug_class") == name)["pattern"].to_list()

        drugs = (
            terms.filter(pl.col("drug_class").is_in(DRUG_CLASSES))
            .select(TERM_COLUMNS)
            .with_columns(pl.col("pattern").str.len_chars().alias("__len"))
            # Same order as _alternation, so the anchored look-up in _drugs_named picks the
            # pattern the alternation preferred.
            .sort("__len", descending=True, maintain_order=True)
            .drop("__len")
            .with_row_index("__term")
            .with_columns(pl.col("__term").cast(pl.UInt32))
        )
        bits = _drug_bits(drugs)
        drugs = drugs.hstack(bits)
        if drugs.is_empty():
            raise ValueError("the drug dictionary names no drug")
        drug_patterns = drugs["pattern"].to_list()
        nonethanol = drugs.filter(pl.col("drug_class") != "ethanol")["pattern"].to_list()
        generic = section("__generic__")
        drug_item = _alternation(drug_patterns + generic)
        drug_list = f"(?:{drug_item})(?: (?:AND OR |AND |OR )?(?:{drug_item}))*"
        prefix = _alternation(section("__use_prefix__") + section("__habit_prefix__"))
        habit = _alternation(section("__habit_prefix__"))
        suffix = _alternation(section("__use_suffix__"))
        use_re = "|".join(
            [
                # "RECENT HEROIN USE", "ETHANOL AND DRUG ABUSE", "OPIOID USE DISORDER"
                f"{_B}(?:(?:{prefix}) )*{drug_list} (?:{suffix}){_B}",
                # "CHRONIC ETHANOL" (a habit word alone marks use; "RECENT COCAINE" does not)
                f"{_B}(?:(?:{habit}) )+{drug_list}{_B}",
                # "ABUSE OF DRUGS", "WITHDRAWAL FROM ETHANOL"
                f"{_B}(?:{suffix}) (?:OF|FROM) {drug_list}{_B}",
            ]
        )
        voiding = [
            pattern
            for name in ("__negation__", "__adverse_effect__", "__history__", "__pending__")
            for pattern in section(name)
        ]
        return cls(
            drugs=drugs,
            bit_columns=tuple(bits.columns),
            drug_re=_words(drug_patterns),
            nonethanol_re=_words(nonethanol),
            toxicity_re=_words(section("__toxicity__")),
            generic_re=_words(generic),
            candidate_re=_words(drug_patterns + generic + section("__toxicity__")),
            only_drugs_re=_only(drug_patterns + generic + section("__filler__") + section("__toxicity__")),
            clause_re=f"{_B}(?:{_alternation(voiding)}){_B}[^{_CLAUSE_END}]*",
            nondrug_re=_words(section("__nondrug__")),
            use_re=use_re,
            intents=list(
                terms.filter(pl.col("drug_class") == "__intent__").select("pattern", "drug").iter_rows()
            ),
        )


def join_continued_causes(frame: _T) -> _T:
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
    # reads the same with or without it (full stops only end clauses, see _clauses).
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


def _clauses(field: pl.Expr) -> pl.Expr:
    """Upper-case words separated by single spaces, clause delimiters ``, ; . :`` kept."""
    # "OPIOID(S)" is the plural "OPIOIDS", not the word "OPIOID" and a stray "S".
    return field.str.to_uppercase().str.replace_all("(S)", "S", literal=True).str.replace_all(_JUNK_RUN, " ")


def _normalised(clauses: pl.Expr) -> pl.Expr:
    """From :func:`_clauses`: delimiters to spaces, trimmed; empty text becomes null."""
    text = clauses.str.replace_all(_DELIMITER_RUN, " ").str.strip_chars()
    return pl.when(text != "").then(text)


def _field_text(clauses: pl.Expr, vocab: _Vocabulary) -> pl.Expr:
    """From :func:`_clauses`: voided clauses, non-drug agents and use phrases removed."""
    return (
        clauses.str.replace_all(vocab.clause_re, " ")
        .str.replace_all(vocab.nondrug_re, _NONDRUG_MASK)
        .str.replace_all(_DELIMITER_RUN, " ")
        .str.replace_all(vocab.use_re, " ")
    )


def _field_features(values: pl.LazyFrame, vocab: _Vocabulary) -> pl.LazyFrame:
    """Classify distinct cause-field texts (column ``__value``) one by one.

    Returns ``__value`` with ``normal`` (normalised text, for ``cause_text``); three roles:
    ``context`` (a toxicity word, or nothing but drug names and connectors: "FENTANYL AND
    COCAINE" names the drugs as the cause without a toxicity word), ``drug_toxicity`` (a context
    naming a non-ethanol drug or a generic drug word) and ``ethanol_only`` (a context whose only
    named drug is ethanol); and, for contexts, the drugs named (see :func:`_drugs_named`).
    """
    clauses = values.with_columns(_clauses(pl.col("__value")).alias("clauses")).with_columns(
        _normalised(pl.col("clauses")).alias("normal")
    )
    # Only a text naming a drug, a generic drug word or a toxicity word can matter; the others
    # become null here so that every later regex skips them.
    candidate = pl.col("normal").str.contains(vocab.candidate_re).fill_null(False)
    cleaned = clauses.with_columns(_field_text(pl.when(candidate).then(pl.col("clauses")), vocab).alias("text"))
    text = pl.col("text")
    tested = cleaned.with_columns(
        text.str.contains(vocab.toxicity_re).fill_null(False).alias("toxicity"),
        text.str.contains(vocab.drug_re).fill_null(False).alias("named"),
        text.str.contains(vocab.nonethanol_re).fill_null(False).alias("nonethanol"),
        text.str.contains(vocab.generic_re).fill_null(False).alias("generic"),
        # Nothing but drugs, connectors and toxicity words?
        text.str.contains(vocab.only_drugs_re).fill_null(False).alias("only"),
    )
    toxicity, named, nonethanol, generic = (pl.col(c) for c in ("toxicity", "named", "nonethanol", "generic"))
    only_drugs = named & pl.col("only")
    drug_toxicity = (toxicity & (nonethanol | generic)) | (only_drugs & nonethanol)
    context = toxicity | only_drugs
    roles = tested.select(
        "__value",
        "normal",
        "text",
        context.alias("context"),
        drug_toxicity.alias("drug_toxicity"),
        (context & named & ~drug_toxicity).alias("ethanol_only"),
    ).cache()
    drugs = _drugs_named(roles.filter(pl.col("context")).select("__value", "text"), vocab)
    return (
        roles.drop("text")
        .join(drugs, on="__value", how="left")
        .with_columns(pl.col(c).fill_null(0) for c in vocab.bit_columns)
    )


def _intent(vocab: _Vocabulary) -> pl.Expr:
    """Manner of death mapped to the intent vocabulary via the dictionary's ``__intent__`` rows."""
    manner = _normalised(_clauses(pl.col(MANNER_FIELD)))
    # First matching row wins, as in the dictionary's order; built from the last row backwards.
    intent = pl.lit("unknown")
    for pattern, label in reversed(vocab.intents):
        intent = pl.when(manner.str.contains(pattern).fill_null(False)).then(pl.lit(label)).otherwise(intent)
    return intent


def _classify_distinct(causes: pl.LazyFrame, vocab: _Vocabulary) -> pl.LazyFrame:
    """Classify one row per distinct cause combination; returns the key and the output columns."""
    # Combinations multiply a few thousand distinct field texts (primary x lines x secondary x
    # manner), so the regex work runs once per distinct text and is joined to each field.
    values = pl.concat([causes.select(pl.col(f).alias("__value")) for f in CAUSE_FIELDS]).drop_nulls().unique()
    features = _field_features(values, vocab).cache()
    roles = ("normal", "context", "drug_toxicity", "ethanol_only", *vocab.bit_columns)
    combined = causes
    for field in CAUSE_FIELDS:
        combined = combined.join(
            features.rename({"__value": field, **{r: f"{field}__{r}" for r in roles}}),
            on=field,
            how="left",
        )

    def role(field: str, name: str) -> pl.Expr:
        return pl.col(f"{field}__{name}").fill_null(False)

    primary_drug = pl.any_horizontal(role(f, "drug_toxicity") for f in PRIMARY_FIELDS)
    primary_ethanol = pl.any_horizontal(role(f, "ethanol_only") for f in PRIMARY_FIELDS)
    is_overdose = primary_drug | (primary_ethanol & role(SECONDARY_FIELD, "drug_toxicity"))
    # Drugs count as involved in every toxicity-context field of an overdose.
    involved = {f: pl.col("is_overdose") & role(f, "context") for f in CAUSE_FIELDS}

    def union(name: str) -> pl.Expr:
        return pl.reduce(
            lambda a, b: a | b,
            [pl.when(involved[f]).then(pl.col(f"{f}__{name}")).otherwise(0) for f in CAUSE_FIELDS],
        )

    words = [c for c in vocab.bit_columns if c.startswith("drugs_")]
    # A class-level mention ("OPIATE") counts only when its family has no specific drug.
    drug_count = pl.sum_horizontal(union(w).bitwise_count_ones() for w in words) + (
        union("unspecified_families") & ~union("specific_families")
    ).bitwise_count_ones()
    cause_text = pl.concat_str([pl.col(f"{f}__normal") for f in CAUSE_FIELDS], separator=" ", ignore_nulls=True)
    # The manner vocabulary is tiny: map each distinct manner once.
    intents = causes.select(MANNER_FIELD).unique().with_columns(_intent(vocab).alias("intent"))
    has = {c: (pl.col("__classes") & (1 << i)) != 0 for i, c in enumerate(DRUG_CLASSES)}
    return (
        combined.with_columns(is_overdose.alias("is_overdose"))
        .select(
            _KEY,
            MANNER_FIELD,
            pl.when(cause_text != "").then(cause_text).alias("cause_text"),
            "is_overdose",
            union("classes").alias("__classes"),
            drug_count.cast(pl.UInt32).alias("drug_count"),
        )
        .join(intents, on=MANNER_FIELD, how="left", nulls_equal=True)
        .with_columns(
            *(has[c].alias(c) for c in FLAG_COLUMNS if c != "any_opioid"),
            pl.any_horizontal(has[c] for c in OPIOID_CLASSES).alias("any_opioid"),
        )
        .with_columns(
            (pl.col("any_opioid") & (pl.col("cocaine") | pl.col("methamphetamine"))).alias("opioid_stimulant")
        )
        .select(_KEY, "cause_text", "intent", _pack())
    )


def _pack() -> pl.Expr:
    """The boolean outputs and drug_count packed into one UInt32 column ``__packed``.

    Copying results to millions of rows is the costliest step; one integer column copies
    several times faster than a dozen boolean bitmaps. :func:`_unpack` reverses it.
    """
    bits = [pl.col(c).cast(pl.UInt32) * (1 << i) for i, c in enumerate(_PACKED_FLAGS)]
    count = pl.col("drug_count").clip(upper_bound=_COUNT_LIMIT).cast(pl.UInt32) * _COUNT_UNIT
    return (pl.sum_horizontal(bits) + count).cast(pl.UInt32).alias("__packed")


def _unpack() -> list[pl.Expr]:
    """The output columns of :func:`_pack`, from ``__packed``."""
    packed = pl.col("__packed")
    return [
        *(((packed & (1 << i)) != 0).alias(c) for i, c in enumerate(_PACKED_FLAGS)),
        (packed // _COUNT_UNIT).alias("drug_count"),
    ]


def _drugs_named(texts: pl.LazyFrame, vocab: _Vocabulary) -> pl.LazyFrame:
    """The drugs named in each cleaned text (columns ``__value``, ``text``), as bit sets.

    Returns ``__value`` and the OR of the :func:`_drug_bits` of every drug it names. One
    ``extract_all`` finds every mention; only the distinct matched strings (a few dozen) are
    then tested against each pattern to learn which dictionary row matched, keeping the
    per-pattern work off the texts.
    """
    mentions = (
        texts.select("__value", pl.col("text").str.extract_all(vocab.drug_re).alias("__match"))
        .explode("__match")
        # Repeated mentions stay: OR-ing the same bits twice changes nothing, dropping them costs.
        .filter(pl.col("__match").is_not_null())
    )
    term_of = pl.coalesce(
        pl.when(pl.col("__match").str.contains(f"^(?:{pattern})$")).then(pl.lit(term, dtype=pl.UInt32))
        for term, pattern in vocab.drugs.select("__term", "pattern").iter_rows()
    )
    matched = (
        mentions.select("__match")
        .unique()
        .with_columns(term_of.alias("__term"))
        .join(vocab.drugs.lazy().select("__term", *vocab.bit_columns), on="__term", how="inner")
    )
    return (
        mentions.join(matched, on="__match", how="inner")
        .group_by("__value")
        .agg(pl.col(c).bitwise_or() for c in vocab.bit_columns)
    )


def _archive_flag(schema: pl.Schema) -> pl.Expr:
    """The archive's opioid flag as a non-null boolean (missing or null counts as false)."""
    dtype = schema.get(ARCHIVE_OPIOID_FIELD)
    if dtype is None:
        return pl.lit(False)
    if dtype == pl.String:
        # Socrata exports booleans as text in some formats.
        text = pl.col(ARCHIVE_OPIOID_FIELD).str.strip_chars().str.to_lowercase()
        flag = text.is_in(["true", "t", "1", "yes", "y"])
    else:
        flag = pl.col(ARCHIVE_OPIOID_FIELD).cast(pl.Boolean)
    return flag.fill_null(False)


def classify_cases(frame: _T, terms: pl.DataFrame | None = None) -> _T:
    """Add the case definition and drug-involvement columns to Medical Examiner cases.

    ``frame`` needs the string columns ``primarycause``, ``primarycause_linea``/``b``/``c``,
    ``secondarycause`` and ``manner`` (nulls allowed); ``opioids`` (the archive's boolean flag)
    is optional. ``terms`` defaults to the shipped dictionary (see :func:`load_drug_terms`).
    Adds :data:`OUTPUT_COLUMNS` (replacing same-named input columns) and returns the same kind
    of frame it was given, rows in input order; a LazyFrame stays lazy. See the module
    docstring for the definition.
    """
    vocab = _Vocabulary.build(_default_terms() if terms is None else terms)
    lazy = frame.lazy()
    schema = lazy.collect_schema()
    missing = [c for c in (*CAUSE_FIELDS, MANNER_FIELD) if c not in schema]
    if missing:
        raise ValueError(f"classify_cases: missing column(s) {', '.join(missing)}")
    key_fields = [*CAUSE_FIELDS, MANNER_FIELD]
    agrees = (_archive_flag(schema) == pl.col("any_opioid")).alias("opioid_flag_agrees")
    base = lazy.drop([c for c in OUTPUT_COLUMNS if c in schema]).with_columns(
        # All-null columns may arrive typed Null; the text expressions need String.
        pl.col(c).cast(pl.String)
        for c in key_fields
        if schema[c] != pl.String
    )
    # Texts repeat heavily, so classify each distinct combination once, keyed by a 64-bit hash
    # (XOR of per-column hashes with distinct seeds, about half the cost of hashing a struct).
    # A collision among even a million distinct combinations has a probability near 3e-8, far
    # below the classification's own error.
    key = pl.reduce(lambda a, b: a ^ b, [pl.col(c).hash(seed=i) for i, c in enumerate(key_fields)])
    # cache(): both are read by several branches of the plan, which the optimiser would
    # otherwise recompute (hashing every row once per branch).
    keyed = base.select(*key_fields, key.alias(_KEY)).cache()
    # The first step of the definition: continued fields joined (once per distinct combination).
    distinct = join_continued_causes(
        keyed.filter(pl.col(_KEY).is_first_distinct()).select(_KEY, *key_fields)
    ).cache()
    # Join only the key and put the outputs beside the input: joining the whole input would
    # copy every input column.
    outputs = (
        keyed.select(_KEY)
        .join(_classify_distinct(distinct, vocab), on=_KEY, how="left", validate="m:1", maintain_order="left")
        .with_columns(_unpack())
        .select(OUTPUT_COLUMNS[:-1])
    )
    result = pl.concat([base, outputs], how="horizontal").with_columns(agrees)
    return result if isinstance(frame, pl.LazyFrame) else result.collect()


def opioid_flag_agreement(frame: pl.DataFrame | pl.LazyFrame) -> dict[str, dict[str, int | float | None]]:
    """How often the archive's ``opioids`` flag agrees with the text classification.

    Classifies ``frame`` first unless it already has the output columns. Returns, for
    ``"overdose_deaths"`` and ``"all_cases"``: ``cases``, ``agree``, ``disagree``, ``share``
    (agree / cases, None when there are no cases), ``archive_only`` (flag set, text names no
    opioid) and ``text_only`` (text names an opioid, flag not set). A null flag counts as false.
    """
    lazy = frame.lazy()
    schema = lazy.collect_schema()
    if not all(c in schema for c in OUTPUT_COLUMNS):
        lazy = classify_cases(lazy)
    flag = _archive_flag(schema)
    opioid = pl.col("any_opioid")
    # is_overdose is never null, so is_not_null() selects every row.
    scopes = {"overdose_deaths": pl.col("is_overdose"), "all_cases": pl.col("is_overdose").is_not_null()}
    counts = (
        lazy.select(
            pl.concat_list(
                scope.sum().cast(pl.Int64),
                (scope & pl.col("opioid_flag_agrees")).sum().cast(pl.Int64),
                (scope & flag & ~opioid).sum().cast(pl.Int64),
                (scope & ~flag & opioid).sum().cast(pl.Int64),
            ).alias(name)
            for name, scope in scopes.items()
        )
        .collect()
        .row(0, named=True)
    )
    result: dict[str, dict[str, int | float | None]] = {}
    for name, (cases, agree, archive_only, text_only) in counts.items():
        result[name] = {
            "cases": cases,
            "agree": agree,
            "disagree": cases - agree,
            "share": agree / cases if cases else None,
            "archive_only": archive_only,
            "text_only": text_only,
        }
    return result

"""Drug-overdose case definition and drug-involvement classification of Medical Examiner causes.

The Cook County Medical Examiner archive records each death's cause as free text (primary
cause, its lines A-C, and a secondary cause) plus a manner of death. This module turns that text
into the surveillance variables, entirely with vectorised Polars expressions; every word it looks
for lives in ``drug_terms.csv`` next to this file, not in the code.

Case definition (mirrored in ``docs/definitions.md``)
------------------------------------------------------
Sources: the CDC/NCHS drug-overdose definition (underlying cause ICD-10 X40-X44, X60-X64, X85,
Y10-Y14 -- poisoning by drugs of *any* intent); the CSTE/CDC State Unintentional Drug Overdose
Reporting System (SUDORS), which classifies drug involvement from the medical examiner's
cause-of-death text; and the Chicago Department of Public Health overdose reports, which count
Cook County Medical Examiner deaths by manner-independent drug toxicity.

1. **Text.** The five cause fields are upper-cased; clauses are separated at ``, ; : .``.
   Within a clause, a negation (``NO EVIDENCE OF ...``), a therapeutic adverse effect
   (``ADVERSE EFFECTS OF ...``), a history (``HISTORY OF ...``) or a pending note (``PENDING``)
   voids the rest of that clause. Non-drug agents (carbon monoxide, smoke, toxic alcohols, gases,
   pesticides ...) are masked, and use/abuse phrases (``RECENT HEROIN USE``,
   ``CHRONIC ETHANOL ABUSE``, ``ETHANOL AND DRUG ABUSE``, ``WITHDRAWAL FROM ...``) are removed:
   they describe behaviour, not a poisoning.
2. **Toxicity context.** A field is a *toxicity context* when it contains a toxicity word
   (toxicity, intoxication, overdose, poisoning, toxic, ingestion -- and misspellings such as
   ``TOXCIITY``, ``TOXOCITY``, ``INTOXICAITON``) or when it consists only of drug names and
   connector words (``COMBINED FENTANYL AND ALPRAZOLAM``, ``FENTANYL AND COCAINE``).
3. **Drug overdose death** (``is_overdose``), any manner: a primary-cause field (primary cause or
   lines A-C) is a toxicity context that names a drug other than ethanol, or a generic drug word
   (``MULTIPLE DRUG TOXICITY``, ``MIXED DRUG INTOXICATION``); or a primary-cause field is an
   ethanol toxicity context and the secondary cause is such a drug-toxicity context (a combined
   ethanol and drug poisoning split over the two parts of the certificate).
   Not overdoses: drug toxicity named only in the secondary cause of a non-drug primary cause
   (a contributing condition, not the underlying cause); natural or injury deaths that mention
   drug use or history; therapeutic adverse effects (ICD-10 Y40-Y59); carbon monoxide and other
   non-drug poisonings (X45-X49 other than drugs); pending causes; and **ethanol toxicity
   alone**, which CDC codes to X45 (alcohol poisoning), outside the drug-overdose definition.
4. **Drug involvement.** For overdose deaths only, every drug named in a toxicity-context field
   (primary lines and the secondary cause, so ``ETHANOL TOXICITY`` listed as contributing in the
   secondary cause counts) sets its class flag: fentanyl (incl. analogues, 4-ANPP and
   norfentanyl), heroin (incl. 6-MAM), prescription opioids (incl. methadone and
   buprenorphine), nitazenes, xylazine, cocaine (incl. its metabolites), methamphetamine (and
   amphetamine), benzodiazepines (incl. designer benzodiazepines) and ethanol. ``any_opioid``
   also counts ``OPIOID``/``OPIATE``/``NARCOTIC`` mentions with no named drug and non-fentanyl
   synthetic opioids (ICD-10 T40.0-T40.4, T40.6). Drugs named only in history or use phrases do
   not count. ``PROBABLE``/``POSSIBLE`` drugs count, as the examiner named them as a cause.
5. **drug_count** is the number of distinct drugs named: misspellings, brand names, synonyms
   and a drug's own metabolites (6-MAM -> heroin, norfentanyl -> fentanyl, benzoylecgonine ->
   cocaine) collapse to one drug; analogues and 4-ANPP count separately. A class-level mention
   (``OPIATE``, ``BENZODIAZEPINES``) counts once, and only when no specific drug of that family
   (all opioids form one family) is named.
6. **intent** comes from the manner of death: accident, suicide, homicide, undetermined,
   pending, natural; anything else or missing is ``unknown``.

Implementation notes: Polars regexes are the Rust ``regex`` crate (no look-around, no
back-references), so exclusions are done by *removing* text with ``replace_all`` before matching,
and "which drug matched" is recovered by extracting the matches of one alternation (ordered
longest pattern first, so ``ACETYL FENTANYL`` is one match, not also ``FENTANYL``) and mapping
the few distinct matched strings back to dictionary rows. Cause texts repeat heavily, so the
text work runs once per distinct (cause fields, manner) combination, found by a 64-bit hash of
those fields, and the results are joined back to every row.
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
_KEY = "__cause_key"
# Layout of the packed result column: one bit per boolean, drug_count in the high 16 bits.
_PACKED_FLAGS = ("is_overdose", *FLAG_COLUMNS, "opioid_stimulant")
_COUNT_UNIT = 1 << 16
_COUNT_LIMIT = (1 << 16) - 1
_T = TypeVar("_T", pl.DataFrame, pl.LazyFrame)


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
    ordered = sorted(patterns, key=len, reverse=True)
    return "|".join(f"(?:{p})" for p in ordered)


def _words(patterns: list[str]) -> str:
    """An alternation that only matches whole words."""
    return f"{_B}(?:{_alternation(patterns)}){_B}"


def _only(patterns: list[str]) -> str:
    """A regex matching a text made of nothing but these words (space-separated)."""
    words = f"(?:{_alternation(patterns)})"
    return f"^ *{words}(?: +{words})* *$"


@dataclass(frozen=True)
class _Vocabulary:
    """The dictionary compiled into the handful of regexes the classification runs."""

    drugs: pl.DataFrame  # drug rows in match-priority order, with family/unspecified columns
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
            # Same order as _alternation, so the anchored look-up in _drug_involvement picks
            # the pattern the alternation preferred.
            .sort("__len", descending=True, maintain_order=True)
            .drop("__len")
            .with_row_index("__term")
            .with_columns(
                pl.when(pl.col("drug_class").is_in(OPIOID_CLASSES))
                .then(pl.lit("opioid"))
                .otherwise(pl.col("drug_class"))
                .alias("__family"),
                pl.col("drug").str.ends_with(UNSPECIFIED_SUFFIX).alias("__unspecified"),
            )
        )
        if drugs.is_empty():
            raise ValueError("the drug dictionary names no drug")
        drug_patterns = drugs["pattern"].to_list()
        nonethanol = drugs.filter(pl.col("drug_class") != "ethanol")["pattern"].to_list()
        generic = section("__generic__")
        drug_item = _alternation(drug_patterns + generic)
        drug_list = f"(?:{drug_item})(?: (?:AND OR |AND |OR )?(?:{drug_item}))*"
        prefix = _alternation(section("__use_prefix__"))
        suffix = _alternation(section("__use_suffix__"))
        use_re = "|".join(
            [
                # "RECENT HEROIN USE", "ETHANOL AND DRUG ABUSE", "OPIOID USE DISORDER"
                f"{_B}(?:(?:{prefix}) )*{drug_list} (?:{suffix}){_B}",
                # "CHRONIC ETHANOL" (the prefix alone marks use)
                f"{_B}(?:(?:{prefix}) )+{drug_list}{_B}",
                # "ABUSE OF DRUGS", "WITHDRAWAL FROM ETHANOL"
                f"{_B}(?:{suffix}) (?:OF|FROM) {drug_list}{_B}",
            ]
        )
        voiding = (
            section("__negation__") + section("__adverse_effect__") + section("__history__") + section("__pending__")
        )
        return cls(
            drugs=drugs,
            drug_re=_words(drug_patterns),
            nonethanol_re=_words(nonethanol) if nonethanol else r"[^\s\S]",
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


def _clauses(field: pl.Expr) -> pl.Expr:
    """Upper-case words separated by single spaces, clause delimiters ``, ; . :`` kept."""
    return field.str.to_uppercase().str.replace_all(_JUNK_RUN, " ")


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


def _field_tests(text: str, vocab: _Vocabulary) -> dict[str, pl.Expr]:
    """Word tests on one cleaned field (column ``text``), keyed by a short name."""
    cleaned = pl.col(text)
    return {
        "toxicity": cleaned.str.contains(vocab.toxicity_re),
        "named": cleaned.str.contains(vocab.drug_re),
        "nonethanol": cleaned.str.contains(vocab.nonethanol_re),
        "generic": cleaned.str.contains(vocab.generic_re),
        # Nothing but drugs, connectors and toxicity words?
        "only": cleaned.str.contains(vocab.only_drugs_re),
    }


def _field_roles(text: str) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """From one field's word tests: ``(context, drug_toxicity, ethanol_only_context)``.

    ``context``: a toxicity word, or a field of drug names and connectors only ("FENTANYL AND
    COCAINE" names the drugs as the cause without a toxicity word). ``drug_toxicity``: a context
    naming a non-ethanol drug or a generic drug word. ``ethanol_only_context``: a context whose
    only named drug is ethanol.
    """

    def test(name: str) -> pl.Expr:
        return pl.col(f"{text}_{name}").fill_null(False)

    only_drugs = test("named") & test("only")
    context = test("toxicity") | only_drugs
    drug_toxicity = (test("toxicity") & (test("nonethanol") | test("generic"))) | (only_drugs & test("nonethanol"))
    ethanol_only = context & test("named") & ~drug_toxicity
    return context, drug_toxicity, ethanol_only


def _intent(vocab: _Vocabulary) -> pl.Expr:
    """Manner of death mapped to the intent vocabulary via the dictionary's ``__intent__`` rows."""
    manner = _normalised(_clauses(pl.col(MANNER_FIELD)))
    intent: pl.Expr | pl.Then | pl.ChainedThen | None = None
    for pattern, label in vocab.intents:
        condition = manner.str.contains(pattern).fill_null(False)
        intent = (pl.when(condition) if intent is None else intent.when(condition)).then(pl.lit(label))
    if intent is None:
        return pl.lit("unknown")
    return intent.otherwise(pl.lit("unknown"))


def _classify_distinct(causes: pl.LazyFrame, vocab: _Vocabulary) -> pl.LazyFrame:
    """Classify one row per distinct cause combination; returns the key and the output columns."""
    # Built in stages of plain columns: one nested expression would repeat every regex in the
    # plan for each place a cleaned field is used.
    clauses = {field: f"__clauses_{field}" for field in CAUSE_FIELDS}
    normal = {field: f"__normal_{field}" for field in CAUSE_FIELDS}
    texts = {field: f"__text_{field}" for field in CAUSE_FIELDS}
    normalised = causes.with_columns(_clauses(pl.col(f)).alias(clauses[f]) for f in CAUSE_FIELDS).with_columns(
        _normalised(pl.col(clauses[f])).alias(normal[f]) for f in CAUSE_FIELDS
    )

    def candidate(field: str) -> pl.Expr:
        # Only a field naming a drug, a generic drug word or a toxicity word can matter; the
        # others are set to null so that every later regex skips them. A line repeating the
        # primary cause (the archive usually repeats it as line A) adds nothing either.
        named = pl.col(normal[field]).str.contains(vocab.candidate_re)
        if field in PRIMARY_FIELDS[1:]:
            named = named & (pl.col(normal[field]) != pl.col(normal[PRIMARY_FIELDS[0]])).fill_null(True)
        return named.fill_null(False)

    cleaned = normalised.with_columns(
        _field_text(pl.when(candidate(field)).then(pl.col(clauses[field])), vocab).alias(texts[field])
        for field in CAUSE_FIELDS
    )
    tested = cleaned.with_columns(
        expr.alias(f"{text}_{name}") for text in texts.values() for name, expr in _field_tests(text, vocab).items()
    )
    roles = {field: _field_roles(texts[field]) for field in CAUSE_FIELDS}
    primary_drug = pl.any_horizontal(roles[f][1] for f in PRIMARY_FIELDS)
    primary_ethanol = pl.any_horizontal(roles[f][2] for f in PRIMARY_FIELDS)
    is_overdose = primary_drug | (primary_ethanol & roles[SECONDARY_FIELD][1])
    # The text in which drugs count as involved: every toxicity-context field of an overdose.
    involvement = pl.when(pl.col("is_overdose")).then(
        pl.concat_str(
            [pl.when(roles[f][0]).then(pl.col(texts[f])) for f in CAUSE_FIELDS],
            separator=" | ",
            ignore_nulls=True,
        )
    )
    cause_text = pl.concat_str([pl.col(normal[f]) for f in CAUSE_FIELDS], separator=" ", ignore_nulls=True)
    # The manner vocabulary is tiny: map each distinct manner once.
    intents = causes.select(MANNER_FIELD).unique().with_columns(_intent(vocab).alias("intent"))
    classified = (
        tested.with_columns(is_overdose.alias("is_overdose"))
        .with_columns(involvement.alias("__involvement"))
        .select(
            _KEY,
            MANNER_FIELD,
            pl.when(cause_text != "").then(cause_text).alias("cause_text"),
            "is_overdose",
            "__involvement",
        )
        .join(intents, on=MANNER_FIELD, how="left", nulls_equal=True)
    )
    involved = _drug_involvement(classified.select(_KEY, "__involvement"), vocab)
    return (
        classified.drop("__involvement")
        .join(involved, on=_KEY, how="left")
        .with_columns(pl.col(f"__has_{c}").fill_null(False) for c in DRUG_CLASSES)
        .with_columns(
            *(pl.col(f"__has_{c}").alias(c) for c in FLAG_COLUMNS if c != "any_opioid"),
            pl.any_horizontal(pl.col(f"__has_{c}") for c in OPIOID_CLASSES).alias("any_opioid"),
            pl.col("drug_count").fill_null(0).cast(pl.UInt32),
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


def _drug_involvement(involvement: pl.LazyFrame, vocab: _Vocabulary) -> pl.LazyFrame:
    """Per key: which drug classes are involved and how many distinct substances are named.

    One ``extract_all`` finds every drug mention; only the distinct matched strings (a few
    hundred at most) are then tested against the individual patterns to learn which dictionary
    row each one is, which keeps the per-pattern work off the large frame.
    """
    mentions = (
        involvement.select(_KEY, pl.col("__involvement").str.extract_all(vocab.drug_re).alias("__match"))
        .explode("__match")
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
        .join(vocab.drugs.lazy().drop("pattern"), on="__term", how="inner")
    )
    specific = ~pl.col("__unspecified")
    return (
        mentions.join(matched, on="__match", how="inner")
        .group_by(_KEY)
        .agg(
            *((pl.col("drug_class") == c).any().alias(f"__has_{c}") for c in DRUG_CLASSES),
            pl.col("drug").filter(specific).n_unique().alias("__n_specific"),
            pl.col("__family").filter(pl.col("__unspecified")).unique().alias("__unspecified_families"),
            pl.col("__family").filter(specific).unique().alias("__specific_families"),
        )
        .select(
            _KEY,
            *(f"__has_{c}" for c in DRUG_CLASSES),
            (
                pl.col("__n_specific")
                + pl.col("__unspecified_families").list.set_difference("__specific_families").list.len()
            ).alias("drug_count"),
        )
    )


def _archive_flag(schema: pl.Schema) -> pl.Expr:
    """The archive's opioid flag as a non-null boolean (missing or null counts as false)."""
    dtype = schema.get(ARCHIVE_OPIOID_FIELD)
    if dtype is None:
        return pl.lit(False)
    if dtype == pl.String:
        # Socrata exports booleans as text in some formats.
        flag = pl.col(ARCHIVE_OPIOID_FIELD).str.strip_chars().str.to_lowercase().is_in(["true", "t", "1", "yes", "y"])
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
    # Texts repeat heavily, so classify each distinct combination once. A 64-bit hash as the
    # key: a collision between two of even millions of distinct combinations has a
    # probability near 1e-7, far below the classification's own error.
    # XOR of per-column hashes with distinct seeds: half the cost of hashing a struct.
    key = pl.reduce(lambda a, b: a ^ b, [pl.col(c).hash(seed=i) for i, c in enumerate(key_fields)])
    keyed = base.with_columns(key.alias(_KEY))
    distinct = keyed.filter(pl.col(_KEY).is_first_distinct()).select(_KEY, *key_fields)
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

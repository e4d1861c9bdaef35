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


from __future__ import annotations

import polars as pl

from pipelines.defs.epidemiology.cause_text import (
    ARCHIVE_OPIOID_FIELD,
    CAUSE_FIELDS,
    DELIMITER_RUN,
    MANNER_FIELD,
    PRIMARY_FIELDS,
    SECONDARY_FIELD,
    FrameT,
    clauses,
    join_continued_causes,
    normalised,
)
from pipelines.defs.epidemiology.drug_dictionary import DRUG_CLASSES, OPIOID_CLASSES, DrugVocabulary, default_terms

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
# Replacement for masked non-drug agents: a word no pattern matches, so a masked field never
# looks like a list of drugs only.
NONDRUG_MASK = " NONDRUGAGENT "
_KEY = "__cause_key"
# Layout of the packed result column: one bit per boolean, drug_count in the high 16 bits.
_PACKED_FLAGS = ("is_overdose", *FLAG_COLUMNS, "opioid_stimulant")
_COUNT_UNIT = 1 << 16
_COUNT_LIMIT = (1 << 16) - 1


def _field_text(clause_text: pl.Expr, vocab: DrugVocabulary) -> pl.Expr:
    """From :func:`~.cause_text.clauses`: voided clauses, non-drug agents and use phrases removed."""
    return (
        clause_text.str.replace_all(vocab.clause_re, " ")
        .str.replace_all(vocab.nondrug_re, NONDRUG_MASK)
        .str.replace_all(DELIMITER_RUN, " ")
        .str.replace_all(vocab.use_re, " ")
    )


def _field_features(values: pl.LazyFrame, vocab: DrugVocabulary) -> pl.LazyFrame:
    """Classify distinct cause-field texts (column ``__value``) one by one.

    Returns ``__value`` with ``normal`` (normalised text, for ``cause_text``); three roles:
    ``context`` (a toxicity word, or nothing but drug names and connectors: "FENTANYL AND
    COCAINE" names the drugs as the cause without a toxicity word), ``drug_toxicity`` (a context
    naming a non-ethanol drug or a generic drug word) and ``ethanol_only`` (a context whose only
    named drug is ethanol); and, for contexts, the drugs named (see :func:`_drugs_named`).
    """
    split = values.with_columns(clauses(pl.col("__value")).alias("clauses")).with_columns(
        normalised(pl.col("clauses")).alias("normal")
    )
    # Only a text naming a drug, a generic drug word or a toxicity word can matter; the others
    # become null here so that every later regex skips them.
    candidate = pl.col("normal").str.contains(vocab.candidate_re).fill_null(False)
    cleaned = split.with_columns(_field_text(pl.when(candidate).then(pl.col("clauses")), vocab).alias("text"))
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


def _intent(vocab: DrugVocabulary) -> pl.Expr:
    """Manner of death mapped to the intent vocabulary via the dictionary's ``__intent__`` rows."""
    manner = normalised(clauses(pl.col(MANNER_FIELD)))
    # First matching row wins, as in the dictionary's order; built from the last row backwards.
    intent = pl.lit("unknown")
    for pattern, label in reversed(vocab.intents):
        intent = pl.when(manner.str.contains(pattern).fill_null(False)).then(pl.lit(label)).otherwise(intent)
    return intent


def _classify_distinct(causes: pl.LazyFrame, vocab: DrugVocabulary) -> pl.LazyFrame:
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


def _drugs_named(texts: pl.LazyFrame, vocab: DrugVocabulary) -> pl.LazyFrame:
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


def classify_cases(frame: FrameT, terms: pl.DataFrame | None = None) -> FrameT:
    """Add the case definition and drug-involvement columns to Medical Examiner cases.

    ``frame`` needs the string columns ``primarycause``, ``primarycause_linea``/``b``/``c``,
    ``secondarycause`` and ``manner`` (nulls allowed); ``opioids`` (the archive's boolean flag)
    is optional. ``terms`` defaults to the shipped dictionary (see :func:`~.drug_dictionary.load_drug_terms`).
    Adds :data:`OUTPUT_COLUMNS` (replacing same-named input columns) and returns the same kind
    of frame it was given, rows in input order; a LazyFrame stays lazy. See the module
    docstring for the definition.
    """
    vocab = DrugVocabulary.build(default_terms() if terms is None else terms)
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

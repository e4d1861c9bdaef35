"""The drug dictionary (``drug_terms.csv``): read, validated, and compiled into the few regexes
the classification (:mod:`.classify`) runs.

Every word the case definition looks for lives in the dictionary, not in the code: rows whose
``drug_class`` is a drug class name drugs; rows whose class is a ``__section__`` hold the
vocabulary of the definition (toxicity words, negations, fillers, use phrases, non-drug agents,
the manner → intent map).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import polars as pl

from pipelines.defs.epidemiology.cause_text import CLAUSE_END

#: The drug dictionary shipped with the pipeline.
TERMS_PATH = Path(__file__).with_name("drug_terms.csv")


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

#: Values of the ``intent`` column (``__intent__`` dictionary rows map the manner to one of them).
INTENTS = ("accident", "suicide", "homicide", "undetermined", "pending", "natural", "unknown")
#: Drug names ending so are class-level mentions (``OPIATE``), not a specific substance.
UNSPECIFIED_SUFFIX = "(unspecified)"

# ASCII word boundary: the normalised text is pure ASCII, and an ASCII boundary keeps the
# regex crate on its fast lazy-DFA path (a Unicode boundary can force the slower engines).
_B = r"(?-u:\b)"
# A regex that never matches (stands in for an empty dictionary section).
_NOTHING = r"[^\s\S]"


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
def default_terms() -> pl.DataFrame:
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
class DrugVocabulary:
    """The dictionary compiled into the handful of regexes the classification runs (:meth:`build`)."""

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
    def build(cls, terms: pl.DataFrame) -> DrugVocabulary:
        """Compile a dictionary as :func:`load_drug_terms` returns it."""

        def section(name: str) -> list[str]:
            return terms.filter(pl.col("drug_class") == name)["pattern"].to_list()

        drugs = (
            terms.filter(pl.col("drug_class").is_in(DRUG_CLASSES))
            .select(TERM_COLUMNS)
            .with_columns(pl.col("pattern").str.len_chars().alias("__len"))
            # Same order as _alternation, so the anchored look-up of classify._drugs_named picks the
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
            clause_re=f"{_B}(?:{_alternation(voiding)}){_B}[^{CLAUSE_END}]*",
            nondrug_re=_words(section("__nondrug__")),
            use_re=use_re,
            intents=list(
                terms.filter(pl.col("drug_class") == "__intent__").select("pattern", "drug").iter_rows()
            ),
        )


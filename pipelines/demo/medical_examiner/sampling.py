"""Random draws and text interning shared by every part of the synthetic ME archive generator.

Everything is vectorised over NumPy arrays: a draw is one call for all rows, so the output
depends only on the seed and the order of the calls.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import polars as pl


def yearly(table: dict[int, float], frac_year: np.ndarray) -> np.ndarray:
    """Linear interpolation of a by-year table at mid-year points, flat beyond its ends."""
    years = sorted(table)
    return np.interp(frac_year, np.array(years, dtype=float) + 0.5, [table[y] for y in years])


def yearly_rows(table: dict[int, tuple[float, ...]], frac_year: np.ndarray) -> np.ndarray:
    """Interpolate a by-year table of probability vectors; rows are renormalised."""
    years = sorted(table)
    xs = np.array(years, dtype=float) + 0.5
    width = len(table[years[0]])
    out = np.column_stack(
        [np.interp(frac_year, xs, [table[y][j] for y in years]) for j in range(width)]
    )
    return out / out.sum(axis=1, keepdims=True)


def draw_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One categorical draw per row of a (rows x k) probability matrix."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(len(probs))[:, None] * cum[:, -1:]
    return np.minimum((u >= cum).sum(axis=1), probs.shape[1] - 1)


def choice(rng: np.random.Generator, weights: Sequence[float], size: int) -> np.ndarray:
    """Categorical draw of ``size`` indices with the given (unnormalised) weights."""
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


#: Characters that would need escaping inside a JSON string (the writer emits texts verbatim).
UNSAFE_JSON = re.compile(r'["\\\x00-\x1f]')


class Vocab:
    """Interns strings to integer ids so text columns are built by one vectorised gather."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self._ids: dict[str, int] = {}

    def id(self, text: str) -> int:
        found = self._ids.get(text)
        if found is None:
            if UNSAFE_JSON.search(text):
                raise ValueError(f"text needs JSON escaping: {text!r}")
            found = len(self.texts)
            self._ids[text] = found
            self.texts.append(text)
        return found

    def ids(self, texts: Sequence[str]) -> np.ndarray:
        return np.array([self.id(t) for t in texts], dtype=np.int64)

    def column(self, ids: np.ndarray, name: str) -> pl.Series:
        """Strings for ``ids``; id -1 gives null."""
        table = pl.Series(name, [*self.texts, None], dtype=pl.String)
        index = np.where(ids < 0, len(self.texts), ids)
        return table.gather(pl.Series(index, dtype=pl.UInt32))


def case_variants(vocab: Vocab, ids: np.ndarray, case: np.ndarray) -> np.ndarray:
    """Re-spell vocabulary ids as written (0), upper case (1) or lower case (2); -1 stays."""
    present = ids >= 0
    uniq, inverse = np.unique(np.where(present, ids, 0), return_inverse=True)
    inverse = inverse.ravel()
    spelled = np.stack([uniq, vocab.ids([vocab.texts[i].upper() for i in uniq]),
                        vocab.ids([vocab.texts[i].lower() for i in uniq])])
    return np.where(present, spelled[case, inverse], -1)


def flat_table(groups: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Flatten variable-length string groups into (offsets, counts, values)."""
    counts = np.array([len(g) for g in groups], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    return offsets, counts, [v for g in groups for v in g]


def pick_in_group(rng: np.random.Generator, offsets: np.ndarray, counts: np.ndarray,
                  group: np.ndarray) -> np.ndarray:
    """Uniformly pick one member index of each row's group."""
    return offsets[group] + np.minimum(
        (rng.random(len(group)) * counts[group]).astype(np.int64), counts[group] - 1
    )


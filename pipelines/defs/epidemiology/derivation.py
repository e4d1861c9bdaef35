"""Whether a hidden count can be worked out from the sums published beside it (exact algebra).

A table hides some cells (a count of 1 to ``threshold - 1`` as "<10", others as "*") but
publishes sums over cells: a region's total, the city's, a chosen set of areas'. Subtracting the
shown cells, each published sum is a linear equation over the hidden cells. A hidden value is
*derivable* exactly when its vector (one cell, or the cells of a hidden total) lies in the row
space of those equations: some combination of published numbers then equals it, whatever the
hidden cells are.

Cells that sit in exactly the same sums can never be told apart, so they are merged into blocks
first (a block's variable is their sum; one cell of a block of two or more is never derivable).
With ``k`` sums there are at most ``2**k`` blocks — a handful in practice — and the system is
solved exactly, with fractions, so no rounding can hide a derivation.

This models exact recovery by subtraction within one table and period (the standard the
suppression rules here are built to); it does not model bounds (a count known to be at least 10)
or sums published for other periods or filters.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Sum:
    """A total over ``cells``: ``published`` (its number is shown) or hidden; a hidden total that is
    itself a small count (1 to ``threshold - 1``) is ``small`` and must not be derivable either."""

    cells: frozenset[Hashable]
    published: bool
    small: bool = False


def derivable(sums: Sequence[Sum], hidden: Mapping[Hashable, bool]) -> bool:
    """Whether any small hidden value can be worked out from the published ``sums``.

    ``hidden`` maps each hidden cell to whether it is a small count (1 to ``threshold - 1``); cells
    of a sum not in ``hidden`` are shown, so known. The small values checked are the small cells
    and the hidden totals marked ``small``; a small total without a hidden cell is derivable (it is
    the sum of shown cells).
    """
    blocks: dict[tuple[bool, ...], list[Hashable]] = {}
    for cell in hidden:
        blocks.setdefault(tuple(cell in s.cells for s in sums), []).append(cell)
    keys = list(blocks)

    def vector(members: Iterable[Hashable]) -> list[Fraction]:
        chosen = set(members)
        return [Fraction(int(any(c in chosen for c in blocks[k]))) for k in keys]

    basis = _Basis()
    for total in sums:
        if total.published:
            basis.add(vector(c for c in total.cells if c in hidden))
    targets = [
        vector(cells)
        for cells in blocks.values()
        if len(cells) == 1 and hidden[cells[0]]
    ]
    for total in sums:
        if total.small and not total.published:
            inside = [c for c in total.cells if c in hidden]
            if not inside:
                return True
            targets.append(vector(inside))
    return any(basis.spans(t) for t in targets)


class _Basis:
    """Rows in reduced echelon form over the rationals."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, list[Fraction]]] = []

    def _reduce(self, vector: list[Fraction]) -> list[Fraction]:
        out = list(vector)
        for pivot, row in self.rows:
            if out[pivot]:
                factor = out[pivot]
                out = [a - factor * b for a, b in zip(out, row, strict=True)]
        return out

    def add(self, vector: list[Fraction]) -> None:
        reduced = self._reduce(vector)
        pivot = next((i for i, v in enumerate(reduced) if v), None)
        if pivot is None:
            return
        lead = reduced[pivot]
        reduced = [v / lead for v in reduced]
        # Keep the basis fully reduced: clear the new pivot column from the earlier rows.
        self.rows = [
            (p, [a - row[pivot] * b for a, b in zip(row, reduced, strict=True)] if row[pivot] else row)
            for p, row in self.rows
        ]
        self.rows.append((pivot, reduced))

    def spans(self, vector: list[Fraction]) -> bool:
        return not any(self._reduce(vector))
